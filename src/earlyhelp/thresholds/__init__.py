"""Thresholds: where LAs differ in their decisions beyond the needs of the children referred.

``run`` builds the child-level records with SQL (:mod:`.dataset`), fits a case-mix-adjusted model
per decision with empirical-Bayes LA effects (:mod:`.model`), explains LA rates by deprivation and
demand (:mod:`.la_level`) and writes threshold_index.csv, the LA-level tables, the charts
(:mod:`.charts`) and thresholds.md. See docs/thresholds.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from earlyhelp import reference
from earlyhelp.compare.neighbours import neighbour_table
from earlyhelp.console import steps
from earlyhelp.engine import create_engine
from earlyhelp.errors import DataError
from earlyhelp.publish import DEFAULT_THRESHOLD
from earlyhelp.thresholds import charts, dataset, la_level, workbook
from earlyhelp.thresholds.model import DESCRIPTIONS, SIGNS, DecisionFit, composite, fit_decision, reach_index

INDEX_COLUMNS = ["la_code", "decision", "index", "ci_lower", "ci_upper"]


@dataclass
class ThresholdResult:
    index: pd.DataFrame  # INDEX_COLUMNS, published rows only
    fits: dict[str, DecisionFit]
    r_squared: pd.DataFrame
    window: dataset.Window
    referrals: int
    seconds: float
    files: list[Path] = field(default_factory=list)


def _covariates(decision: str) -> tuple[str, ...]:
    return dataset.PLAN_COVARIATES if decision in ("cin_plan", "cp_plan") else dataset.COVARIATES


def compute(source: Path, threshold: int = DEFAULT_THRESHOLD) -> tuple[ThresholdResult, pd.DataFrame, pd.DataFrame]:
    """The index, the fits, and the LA-level tables (r_squared, per-LA variation) for ``source``
    (an EHLD folder or a warehouse file). LA figures from fewer than ``threshold`` events are left out."""
    started = time.perf_counter()
    with steps("Thresholds", 3 + len(SIGNS)) as advance:
        with create_engine("duckdb") as engine:
            engine.register_ehld(source, tables=dataset.TABLES)
            try:
                window = dataset.window_of(engine)
            except ValueError:
                raise DataError(f"{source} has no referrals: there are no decisions to compare.") from None
            records = dataset.referral_records(engine, window)
            activity = dataset.la_activity(engine, window)
        advance("child-level records")
        fits: dict[str, DecisionFit] = {}
        for decision in SIGNS:
            fit = fit_decision(records, decision, _covariates(decision), threshold)
            if fit is not None:
                fits[decision] = fit
            advance(decision)
        rows = [fit.table.assign(decision=name)[INDEX_COLUMNS] for name, fit in fits.items()]
        rows.append(reach_index(activity, threshold).assign(decision="eh_reach")[INDEX_COLUMNS])
        rows.append(composite(fits).assign(decision="threshold")[INDEX_COLUMNS])
        index = pd.concat([r for r in rows if not r.empty], ignore_index=True)
        index[["index", "ci_lower", "ci_upper"]] = index[["index", "ci_lower", "ci_upper"]].round(4)
        advance("index")
        panel, period = la_level.real_panel()
        real_r2, real_las = la_level.explain(la_level.rates(panel, threshold), f"real panel {period}")
        data_r2, data_las = la_level.explain(la_level.rates(activity, threshold), "data")
        advance("LA-level variation")
    result = ThresholdResult(index, fits, pd.concat([real_r2, data_r2], ignore_index=True), window, len(records), 0.0)
    result.seconds = time.perf_counter() - started
    return result, pd.concat([real_las, data_las], ignore_index=True), activity


def _neighbour_means(index: pd.DataFrame) -> pd.DataFrame:
    """Per LA and decision: the mean index of its statistical neighbours present in the data."""
    neighbours = neighbour_table()
    rows = []
    for decision, part in index.groupby("decision"):
        values = part.set_index("la_code")["index"]
        for code in values.index:
            near = [c for c in neighbours.loc[neighbours["la_code"] == code, "neighbour_la_code"] if c in values.index]
            rows.append(
                {
                    "la_code": code,
                    "decision": decision,
                    "neighbours_mean_index": round(float(values[near].mean()), 4) if near else np.nan,
                    "n_neighbours": len(near),
                }
            )
    return pd.DataFrame(rows)


def run(source: Path, out: Path, threshold: int = DEFAULT_THRESHOLD) -> ThresholdResult:
    """Compute and write every file into ``out`` (a staging folder made by the CLI)."""
    result, variation, _ = compute(source, threshold)
    out.mkdir(parents=True, exist_ok=True)
    names = reference.local_authorities().set_index("la_code")["la_name"].to_dict()
    files: list[Path] = []

    def write_csv(frame: pd.DataFrame, name: str) -> None:
        path = out / name
        frame.to_csv(path, index=False, lineterminator="\n", float_format="%.4f")
        files.append(path)

    write_csv(result.index, "threshold_index.csv")
    neighbour_means = _neighbour_means(result.index)
    write_csv(neighbour_means, "threshold_neighbours.csv")
    write_csv(result.r_squared, "la_r_squared.csv")
    write_csv(variation, "la_variation.csv")
    summaries: list[tuple[str, str]] = []
    caterpillar_decision = "threshold" if (result.index["decision"] == "threshold").any() else "nfa"
    caterpillar_rows = result.index[result.index["decision"] == caterpillar_decision]
    if not caterpillar_rows.empty:
        svg, summary = charts.caterpillar(caterpillar_rows, caterpillar_decision, names)
        (out / "caterpillar.svg").write_text(svg, encoding="utf-8")
        files.append(out / "caterpillar.svg")
        summaries.append(("caterpillar.svg", summary))
    for decision, fit in result.fits.items():
        svg, summary = charts.funnel(fit.table, decision, fit.england_rate)
        path = out / f"funnel_{decision}.svg"
        path.write_text(svg, encoding="utf-8")
        files.append(path)
        summaries.append((path.name, summary))
    files += workbook.write(
        out, result.fits, result.index, neighbour_means, result.r_squared, variation, names, threshold
    )
    (out / "thresholds.md").write_text(
        _markdown(result, neighbour_means, names, summaries, threshold), encoding="utf-8"
    )
    files.append(out / "thresholds.md")
    result.files = files
    return result


def _markdown(
    result: ThresholdResult,
    neighbour_means: pd.DataFrame,
    names: dict[str, str],
    summaries: list[tuple[str, str]],
    threshold: int,
) -> str:
    lines = [
        "# Thresholds: where LAs differ beyond the needs of the children referred",
        "",
        f"Referrals made {result.window.label} ({result.referrals:,} referrals).",
        "",
        "## Method",
        "",
        "For each decision that expresses a threshold, a logistic regression of the decision on the child's",
        "financial year, age band, primary need, referral source, deprivation decile group and prior referrals",
        "(and, for plans, the number of assessment factors) with one effect per LA, fitted on the child-level",
        "records; each LA's effect relative to the referral-weighted England average is shrunk by empirical Bayes",
        "(normal LA random effects, variance by DerSimonian-Laird). **Scale**: log-odds relative to England,",
        "signed so that a **higher index is a higher threshold** (more no further action or not in need; fewer",
        "step-downs, CIN plans, CP plans or children in early help). An index of 0.5 multiplies the odds of",
        "the higher-threshold decision by about 1.65. Intervals are 95% posterior intervals. Early help reach",
        "is not case-mix adjusted (children in the population are at risk, not referrals).",
        "",
        f"Disclosure: an LA's index for a decision is published only when it has at least {threshold} events",
        "and as many non-events of that decision.",
        "",
        "| Decision | LAs | England rate | Between-LA SD (log-odds) |",
        "|---|---|---|---|",
    ]
    for name, fit in result.fits.items():
        lines.append(
            f"| {name}: {DESCRIPTIONS[name]} | {len(fit.table)} | {100 * fit.england_rate:.1f}% | {fit.tau:.2f} |"
        )
    threshold_rows = result.index[result.index["decision"] == "threshold"].sort_values("index", ascending=False)
    if not threshold_rows.empty:
        lines += [
            "",
            "## The social care threshold index",
            "",
            "The mean of the nfa, not_in_need, cin_plan and cp_plan indices, beside the mean index of the LA's",
            "statistical neighbours that are in the data (`earlyhelp neighbours`).",
            "",
            "| LA | Index | 95% interval | Neighbours' mean (how many) |",
            "|---|---|---|---|",
        ]
        neighbours = neighbour_means[neighbour_means["decision"] == "threshold"].set_index("la_code")
        for row in threshold_rows.itertuples():
            name = names.get(row.la_code, row.la_code)
            near = neighbours.loc[row.la_code]
            compared = (
                f"{near['neighbours_mean_index']:.2f} ({near['n_neighbours']})" if near["n_neighbours"] else "none"
            )
            lines.append(f"| {name} | {row.index:.2f} | {row.ci_lower:.2f} to {row.ci_upper:.2f} | {compared} |")
    lines += ["", "## How much deprivation and demand explain (LA level)", ""]
    lines += [
        "R² of a least-squares regression across LAs of the log rate per 10,000 children on the IDACI score",
        "(deprivation) and on IDACI and log referrals per 10,000 (demand). The rest, per LA, is in",
        "la_variation.csv (unexplained_log: above 0 = more than deprivation and demand predict), beside the",
        "mean of its statistical neighbours.",
        "",
        "| Source | Measure | Model | R² | LAs |",
        "|---|---|---|---|---|",
    ]
    for row in result.r_squared.itertuples():
        lines.append(f"| {row.source} | {row.measure} | {row.model} | {row.r_squared:.2f} | {row.n_las} |")
    if result.r_squared.empty or not (result.r_squared["source"] == "data").any():
        lines += ["", "The data given has too few LAs (under 5) for an LA-level regression."]
    lines += ["", "## Charts", ""]
    lines += [f"- `{name}`: {summary}" for name, summary in summaries]
    lines += [
        "",
        "## Files",
        "",
        "- `threshold_index.csv`: la_code, decision, index, ci_lower, ci_upper (see the scale above).",
        "- `threshold_neighbours.csv`: each LA's statistical neighbours' mean index, where in the data.",
        "- `la_r_squared.csv`, `la_variation.csv`: the LA-level regressions and the unexplained part per LA.",
        "",
    ]
    return "\n".join(lines)
