"""Share a national early help grant by a formula: need shares, area cost, floors and damping, whole pounds.

1. Each need measure becomes every LA's share of England (children; income-deprived children =
   children x IDACI, or DWP children in low income families; interventions = the weighted mix of the LA's shares of CIN, CP and CLA counts).
2. The measures are mixed with the formula weights, multiplied by the area cost adjustment and
   scaled to the pot: the *formula amount*.
3. Floors and damping compare with current spend scaled to the pot (the *baseline*): each LA must get
   between baseline x (1 + floor%) and baseline x (1 + cap%). The amounts are
   clip(lambda x formula amount, low, high) with the one lambda that makes them sum to the pot: the
   LAs inside their limits keep the formula's proportions and share what the floored and capped
   LAs leave. lambda is found exactly by walking the breakpoints where an LA meets a limit (the sum is
   piecewise linear and non-decreasing in lambda). The baseline itself lies within every LA's limits
   and sums to the pot, so a solution always exists.
4. Whole pounds by largest remainder: each LA gets the floor of its amount, and the pounds left go one
   each to the largest fractional parts (ties to the earlier la_code), so the total is exactly the pot.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from earlyhelp.errors import DataError
from earlyhelp.funding.formula import INTERVENTION_KEYS, Formula

# children_low_income is needed only when the formula's deprivation_measure is child_poverty.
INPUT_COLUMNS = ("la_code", "children", "idaci", "children_low_income", "cin", "cp", "cla", "current_spend")


def need_components(inputs: pd.DataFrame, formula: Formula) -> pd.DataFrame:
    """la_code and each LA's share of England on each need measure (each column sums to 1)."""
    if formula.deprivation_measure == "child_poverty":
        deprived = inputs["children_low_income"]
        if deprived.isna().any():
            raise DataError("Child poverty (DWP children in low income families) is missing for some LAs in this year.")
    else:
        deprived = inputs["children"] * inputs["idaci"]
    interventions = sum(
        formula.interventions[key] * _share(inputs[key]) for key in INTERVENTION_KEYS if formula.interventions[key]
    ) / sum(formula.interventions.values())
    return pd.DataFrame(
        {
            "la_code": inputs["la_code"],
            "children": _share(inputs["children"]),
            "deprivation": _share(deprived),
            "interventions": interventions,
        }
    )


def _share(values: pd.Series) -> pd.Series:
    """Each LA's share of England; all 0 when England's total is 0 (an error only if the measure is weighted)."""
    total = values.sum()
    return values / total if total > 0 else values * 0.0


def solve_limits(target: np.ndarray, low: np.ndarray, high: np.ndarray, pot: float) -> np.ndarray:
    """clip(lambda x target, low, high) summing to ``pot``, for the lambda found on the breakpoints."""
    target, low, high = (np.asarray(a, dtype=float) for a in (target, low, high))

    def at(scale: float) -> np.ndarray:
        return np.clip(scale * target, low, high)

    if at(0.0).sum() >= pot:
        return at(0.0)
    positive = target > 0
    breakpoints = np.concatenate([low[positive] / target[positive], high[positive] / target[positive]])
    breakpoints = np.unique(breakpoints[np.isfinite(breakpoints)])
    below = 0.0
    for point in [*breakpoints, math.inf]:
        # No LA meets a limit strictly between `below` and `point`, so the sum is linear there, rising
        # with the targets of the LAs strictly inside their limits.
        middle = below + 1.0 if math.isinf(point) else (below + point) / 2
        inside = positive & (low < middle * target) & (middle * target < high)
        slope = float(target[inside].sum())
        reached = math.isinf(point) or at(point).sum() >= pot
        if reached and slope > 0:
            return at(below + (pot - at(below).sum()) / slope)
        below = float(point)
    return high.copy()  # the pot exceeds every LA's cap: only reachable with infeasible limits


def largest_remainder(amounts: np.ndarray, pot: int) -> np.ndarray:
    """Whole pounds summing exactly to ``pot``; the pounds left after flooring go to the largest remainders."""
    amounts = np.asarray(amounts, dtype=float)
    if amounts.sum() > 0:
        amounts = amounts * (pot / amounts.sum())  # removes floating-point drift from the exact sum
    whole = np.floor(amounts).astype(np.int64)
    left = pot - int(whole.sum())
    order = np.argsort(-(amounts - whole), kind="stable")
    whole[order[: max(left, 0)]] += 1
    return whole


def allocate(inputs: pd.DataFrame, formula: Formula) -> pd.DataFrame:
    """The allocation of ``formula.pot`` to the LAs of ``inputs`` (columns INPUT_COLUMNS), one row each.

    Columns: la_code, share, amount (whole pounds), current_spend, change (amount - current_spend), then
    the workings: the need components, need_share, area_cost_adjustment, formula_amount, baseline,
    floor_amount, cap_amount, limited ("floor", "cap" or "").
    """
    inputs = inputs.sort_values("la_code").reset_index(drop=True)
    components = need_components(inputs, formula)
    for key, weight in formula.weights.items():
        if weight > 0 and not components[key].sum() > 0:
            raise DataError(f"The formula weights {key}, but every LA has 0 of it: no shares can be formed.")
    weight_total = sum(formula.weights.values())
    need = sum(formula.weights[key] / weight_total * components[key] for key in formula.weights)
    aca = inputs["la_code"].map(lambda code: formula.aca.get(code, formula.aca_default)).astype(float)
    weighted = need * aca
    if not weighted.sum() > 0:
        raise DataError("The formula gives every LA a need of 0: no shares can be formed.")
    pot = formula.pot
    formula_amount = (pot * weighted / weighted.sum()).to_numpy()
    current = inputs["current_spend"].to_numpy(dtype=float)
    if current.sum() > 0:
        baseline = pot * current / current.sum()
    else:
        baseline = formula_amount.copy()
    low = (
        baseline * (1 + formula.floor_change_pct / 100)
        if formula.floor_change_pct is not None
        else np.zeros(len(inputs))
    )
    high = (
        baseline * (1 + formula.cap_gain_pct / 100)
        if formula.cap_gain_pct is not None
        else np.full(len(inputs), math.inf)
    )
    exact = solve_limits(formula_amount, low, high, pot)
    amount = largest_remainder(exact, pot)
    # An LA sits on a limit when its amount is there (to a millionth of the baseline), whatever lambda did.
    tolerance = 1e-6 * np.maximum(baseline, 1.0)
    limited = np.where(np.abs(exact - low) <= tolerance, "floor", "")
    limited = np.where(np.abs(exact - high) <= tolerance, "cap", limited)
    return pd.DataFrame(
        {
            "la_code": inputs["la_code"],
            "share": amount / pot if pot else 0.0,
            "amount": amount,
            "current_spend": current,
            "change": amount - current,
            "children_share": components["children"],
            "deprivation_share": components["deprivation"],
            "interventions_share": components["interventions"],
            "need_share": need,
            "area_cost_adjustment": aca,
            "formula_amount": formula_amount,
            "baseline": baseline,
            "floor_amount": low,
            "cap_amount": high,
            "limited": limited,
        }
    )


def sensitivity(inputs: pd.DataFrame, formula: Formula, threshold_pct: float = 5.0) -> pd.DataFrame:
    """Each weight x 0.5 and x 1.5: how many LAs' amounts move by more than ``threshold_pct``, with and
    without floors and damping."""
    rows = []
    base = allocate(inputs, formula)["amount"].to_numpy(dtype=float)
    undamped_base = allocate(inputs, formula.without_damping())["amount"].to_numpy(dtype=float)
    for key in formula.weights:
        for factor in (0.5, 1.5):
            varied = formula.with_weight(key, factor)
            moved = _moved(allocate(inputs, varied)["amount"].to_numpy(dtype=float), base)
            moved_undamped = _moved(
                allocate(inputs, varied.without_damping())["amount"].to_numpy(dtype=float), undamped_base
            )
            rows.append(
                {
                    "weight": key,
                    "change_pct": round((factor - 1) * 100),
                    "weight_value": formula.weights[key] * factor,
                    f"las_moving_over_{threshold_pct:g}pct": int((np.abs(moved) > threshold_pct).sum()),
                    "largest_move_pct": float(np.abs(moved).max()),
                    f"las_moving_over_{threshold_pct:g}pct_without_damping": int(
                        (np.abs(moved_undamped) > threshold_pct).sum()
                    ),
                }
            )
    return pd.DataFrame(rows)


def _moved(amounts: np.ndarray, base: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(base > 0, (amounts - base) / base * 100, 0.0)
