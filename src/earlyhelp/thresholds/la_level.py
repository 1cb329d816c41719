"""How much of the LA variation in early help reach and in CIN/CP rates deprivation and demand explain.

Ordinary least squares across LAs of the log rate per 10,000 children on deprivation (IDACI score)
and then on deprivation and demand (log referrals per 10,000 children): R^2 of each, and per LA
the unexplained part (the residual of the fuller model, on the log scale) beside the mean residual
of its statistical neighbours. Run on the real panel shipped in :mod:`earlyhelp.reference` (CIN
and CP rates: the panel has no early help reach) and on the data given (all three).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from earlyhelp import reference
from earlyhelp.compare.neighbours import neighbour_table

MODELS: dict[str, tuple[str, ...]] = {
    "deprivation": ("idaci_score",),
    "deprivation_and_demand": ("idaci_score", "log_referrals_per_10k"),
}
MEASURES: dict[str, str] = {
    "eh_reach": "children in early help per 10,000 children 0-17",
    "cin_rate": "children in need per 10,000 children 0-17",
    "cp_rate": "child protection plans started per 10,000 children 0-17",
}


def real_panel(time_period: int | None = None) -> tuple[pd.DataFrame, int]:
    """LA rates from the shipped panel for ``time_period`` (default: the latest year in which at
    least 140 LAs have referrals, children in need and CP plans)."""
    activity = reference.activity()
    complete = activity.dropna(subset=["referrals", "cin_episodes_anypoint", "cp_plans_started"])
    if time_period is None:
        counts = complete.groupby("time_period").size()
        time_period = int(counts[counts >= 140].index.max())
    year = complete[complete["time_period"] == time_period]
    population = reference.population()
    children = population[population["year"] == time_period // 100].set_index("la_code")["children_0_17"]
    frame = pd.DataFrame(
        {
            "la_code": year["la_code"].to_numpy(),
            "children_0_17": year["la_code"].map(children).to_numpy(float),
            "referrals": year["referrals"].to_numpy(float),
            "children_in_need": year["cin_episodes_anypoint"].to_numpy(float),
            "cp_plans_started": year["cp_plans_started"].to_numpy(float),
        }
    )
    return frame.dropna(), time_period


def rates(activity: pd.DataFrame, minimum_events: int) -> pd.DataFrame:
    """Per LA and measure: the rate per 10,000 and the covariates; a count below
    ``minimum_events`` leaves that LA's measure out (disclosure)."""
    deprivation = reference.deprivation().set_index("la_code")["idaci_score"]
    counts = {"cin_rate": "children_in_need", "cp_rate": "cp_plans_started"}
    if "children_in_early_help" in activity:
        counts = {"eh_reach": "children_in_early_help", **counts}
    rows = []
    for measure, column in counts.items():
        part = activity[(activity[column] >= minimum_events) & (activity["referrals"] >= minimum_events)]
        rows.append(
            pd.DataFrame(
                {
                    "measure": measure,
                    "la_code": part["la_code"],
                    "rate_per_10k": 10_000 * part[column] / part["children_0_17"],
                    "idaci_score": part["la_code"].map(deprivation),
                    "log_referrals_per_10k": np.log(10_000 * part["referrals"] / part["children_0_17"]),
                }
            )
        )
    return pd.concat(rows, ignore_index=True).dropna()


def _ols(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, float]:
    design = np.column_stack([np.ones(len(y)), x])
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    fitted = design @ coefficients
    total = np.sum((y - y.mean()) ** 2)
    return fitted, float(1 - np.sum((y - fitted) ** 2) / total) if total > 0 else float("nan")


def explain(table: pd.DataFrame, source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(r_squared rows: source, measure, model, r_squared, n_las; per-LA rows: source, measure,
    la_code, rate_per_10k, predicted_per_10k, unexplained_log, neighbours_unexplained_log, n_neighbours)."""
    r2_rows, la_rows = [], []
    neighbours = neighbour_table()
    for measure, part in table.groupby("measure", sort=False):
        # Fewer LAs than the fuller model has coefficients plus two: no meaningful fit.
        if len(part) < 5:
            continue
        y = np.log(part["rate_per_10k"].to_numpy(float))
        fitted = y
        for model, columns in MODELS.items():
            fitted, r2 = _ols(y, part[list(columns)].to_numpy(float))
            r2_rows.append({"source": source, "measure": measure, "model": model, "r_squared": r2, "n_las": len(part)})
        residual = pd.Series(y - fitted, index=part["la_code"].to_numpy())
        for code, rate, prediction in zip(part["la_code"], part["rate_per_10k"], np.exp(fitted), strict=True):
            near = neighbours.loc[neighbours["la_code"] == code, "neighbour_la_code"]
            near = [c for c in near if c in residual.index]
            la_rows.append(
                {
                    "source": source,
                    "measure": measure,
                    "la_code": code,
                    "rate_per_10k": float(rate),
                    "predicted_per_10k": float(prediction),
                    "unexplained_log": float(residual[code]),
                    "neighbours_unexplained_log": float(residual[near].mean()) if near else float("nan"),
                    "n_neighbours": len(near),
                }
            )
    return pd.DataFrame(r2_rows), pd.DataFrame(la_rows)
