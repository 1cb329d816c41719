"""`run_whatif`: estimate the model, simulate every scenario, and write whatif.csv, whatif.xlsx,
whatif_backtest.csv and whatif.md."""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from earlyhelp.publish import CONFIDENTIAL, DEFAULT_THRESHOLD, round_half_away, round_to_ten
from earlyhelp.spec.periods import label, time_period
from earlyhelp.whatif.costs import CostTable, read_unit_costs
from earlyhelp.whatif.effects import Effects, read_effects
from earlyhelp.whatif.model import Model, estimate, starting_cohort
from earlyhelp.whatif.panel import STATES
from earlyhelp.whatif.scenarios import resolve
from earlyhelp.whatif.simulate import MEASURES, Scenario, simulate

COLUMNS = ["scenario", "measure", "year", "baseline", "projected", "change", "ci_lower", "ci_upper", "unit"]
PUBLISHED_MEASURES = ("referrals", "cin_starts", "cp_starts", "care_starts", "cost_pounds")
UNITS = {
    "referrals": "referrals",
    "cin_starts": "CIN plans started",
    "cp_starts": "child protection plans started",
    "care_starts": "periods of care started",
}
BACKTEST_COLUMNS = ["measure", "year", "observed", "projected", "ci_lower", "ci_upper", "within_interval"]
FILES = ("whatif.csv", "whatif.xlsx", "whatif_backtest.csv", "whatif.md")
# Published pounds are rounded to this many pounds (counts to the nearest 10).
POUNDS_ROUNDING = 10_000


@dataclass(frozen=True)
class WhatIf:
    """The result: ``projections`` unrounded (scenario, measure, year, baseline and its interval,
    projected, change and its interval), ``published`` as whatif.csv, and the backtest."""

    projections: pd.DataFrame
    published: pd.DataFrame
    backtest: pd.DataFrame
    scenarios: list[Scenario]
    effects: Effects
    costs: CostTable
    model: Model
    files: list[Path]
    seconds: float


def cost_unit(costs: CostTable) -> str:
    return f"pounds ({label(costs.base_year)} prices)"


def summarise(results: np.ndarray, scenarios: list[Scenario], first_year: int, unit_of_cost: str) -> pd.DataFrame:
    """[scenario, replicate, year, measure] -> one row per scenario, measure and year: means, and
    the 2.5th and 97.5th percentiles of the replicates' change (and of the baseline)."""
    rows = []
    base = results[0]
    for s, scenario in enumerate(scenarios):
        change = results[s] - base
        for m, measure in enumerate(MEASURES):
            if measure not in PUBLISHED_MEASURES:
                continue
            for k in range(results.shape[2]):
                low, high = np.percentile(change[:, k, m], [2.5, 97.5])
                base_low, base_high = np.percentile(base[:, k, m], [2.5, 97.5])
                rows.append(
                    {
                        "scenario": scenario.name,
                        "measure": measure,
                        "year": time_period(first_year + k),
                        "baseline": base[:, k, m].mean(),
                        "projected": results[s, :, k, m].mean(),
                        "change": change[:, k, m].mean(),
                        "ci_lower": low,
                        "ci_upper": high,
                        "unit": UNITS.get(measure, unit_of_cost),
                        "baseline_lower": base_low,
                        "baseline_upper": base_high,
                        "extra_early_help": results[s, :, k, MEASURES.index("extra_early_help")].mean(),
                    }
                )
    return pd.DataFrame(rows)


def _to_ten(value: float) -> int:
    return round_to_ten(int(round_half_away(float(value), 0)))


def _rounded(value: float, measure: str) -> int:
    if measure == "cost_pounds":
        return int(round_half_away(Fraction(float(value)) / POUNDS_ROUNDING, 0)) * POUNDS_ROUNDING
    return _to_ten(value)


def published(projections: pd.DataFrame) -> pd.DataFrame:
    """whatif.csv: counts rounded to the nearest 10, pounds to the nearest 10,000."""
    table = projections[COLUMNS].copy()
    for column in ("baseline", "projected", "change", "ci_lower", "ci_upper"):
        table[column] = [_rounded(v, m) for v, m in zip(table[column], table["measure"], strict=True)]
    return table


def backtest(panel: pd.DataFrame, model: Model, results: np.ndarray, threshold: int) -> pd.DataFrame:
    """The baseline simulated from each LA's first year, against the counts observed in later years."""
    first = panel.groupby("la_code")["time_period"].transform("min")
    offset = (panel["time_period"] // 100) - (first // 100)
    observed = panel.assign(offset=offset).groupby("offset")[list(UNITS)].sum()
    first_year = int(panel["time_period"].min()) // 100
    rows = []
    for m, measure in enumerate(UNITS):
        for k in range(results.shape[2]):
            if k + 1 not in observed.index:
                continue
            count = int(observed.loc[k + 1, measure])
            low, high = np.percentile(results[0, :, k, m], [2.5, 97.5])
            shown: int | str = CONFIDENTIAL if 0 < count <= threshold else round_to_ten(count)
            rows.append(
                {
                    "measure": measure,
                    "year": time_period(first_year + k + 1),
                    "observed": shown,
                    "projected": _to_ten(results[0, :, k, m].mean()),
                    "ci_lower": _to_ten(low),
                    "ci_upper": _to_ten(high),
                    "within_interval": bool(low <= count <= high),
                    "observed_exact": count,
                    "projected_exact": results[0, :, k, m].mean(),
                    "lower_exact": low,
                    "upper_exact": high,
                }
            )
    return pd.DataFrame(rows)


def run_whatif(
    data: Path | str,
    out: Path,
    evaluation: Path | None = None,
    scenarios: tuple[str, ...] | list[str] = (),
    unit_costs: Path | None = None,
    years: int = 5,
    replicates: int = 200,
    seed: int = 2026,
    engine: str = "duckdb",
    threshold: int = DEFAULT_THRESHOLD,
) -> WhatIf:
    """Estimate the what-if model on ``data`` (EHLD folder or warehouse), simulate the scenarios
    ``years`` ahead over ``replicates`` replicates, and write :data:`FILES` into ``out``."""
    from earlyhelp.console import steps, track
    from earlyhelp.engine import create_engine
    from earlyhelp.whatif.panel import build_panel
    from earlyhelp.whatif.report import write_outputs

    started = time.perf_counter()
    chosen = resolve(list(scenarios))
    effects = read_effects(evaluation)
    costs = read_unit_costs(unit_costs)
    with steps("What-if: estimating", 2) as advance:
        with create_engine(engine) as database:
            panel, population = build_panel(database, data)
        advance("child-year panel")
        model = estimate(panel, population)
        advance("transition model")
    sampler = effects.sampler()
    simulation_costs = costs.for_simulation()

    def progress(label_text: str):
        return lambda items: track(items, label_text, total=len(items))

    results = simulate(
        model,
        starting_cohort(panel, model, "last"),
        chosen,
        simulation_costs,
        sampler,
        years=years,
        replicates=replicates,
        seed=seed,
        progress=progress(f"Simulating {len(chosen)} scenarios"),
    )
    data_years = int(panel.groupby("la_code")["time_period"].nunique().min())
    past = simulate(
        model,
        starting_cohort(panel, model, "first"),
        chosen[:1],
        simulation_costs,
        sampler,
        years=max(data_years - 1, 1),
        replicates=replicates,
        seed=seed + 1,
        progress=progress("Back-testing the baseline"),
    )
    first_year = int(panel["time_period"].max()) // 100 + 1
    projections = summarise(results, chosen, first_year, cost_unit(costs))
    checked = backtest(panel, model, past, threshold)
    table = published(projections)
    out.mkdir(parents=True, exist_ok=True)
    files = write_outputs(
        out, table, projections, checked, chosen, effects, costs, model, replicates, years, seed, threshold
    )
    return WhatIf(projections, table, checked, chosen, effects, costs, model, files, time.perf_counter() - started)


__all__ = ["COLUMNS", "FILES", "STATES", "WhatIf", "run_whatif"]
