"""``threshold_funnel.csv`` (the funnel plots' figures, for the report) and ``thresholds.xlsx`` (every
table of `earlyhelp thresholds`, labelled, for readers who live in Excel)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from earlyhelp.publish.workbook import (
    DECIMAL_2,
    DECIMAL_4,
    LA_COLUMNS,
    PERCENT_1,
    WHOLE,
    Column,
    Sheet,
    with_la_names,
    write_tables_workbook,
)
from earlyhelp.thresholds.model import DESCRIPTIONS, DecisionFit

FUNNEL_FILE = "threshold_funnel.csv"
WORKBOOK_FILE = "thresholds.xlsx"
FUNNEL_COLUMNS = ["la_code", "decision", "at_risk", "observed_pct", "expected_pct", "adjusted_pct", "england_pct"]


def funnel_table(fits: dict[str, DecisionFit]) -> pd.DataFrame:
    """Per decision and published LA: the number at risk, the observed rate, the rate its case mix
    predicts, and the adjusted rate (observed / expected x England's), all in percent."""
    parts = []
    for decision, fit in fits.items():
        table = fit.table
        parts.append(
            pd.DataFrame(
                {
                    "la_code": table["la_code"],
                    "decision": decision,
                    "at_risk": table["trials"].astype(int),
                    "observed_pct": 100 * table["observed"],
                    "expected_pct": 100 * table["expected"],
                    "adjusted_pct": 100 * table["observed"] / table["expected"] * fit.england_rate,
                    "england_pct": 100 * fit.england_rate,
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=FUNNEL_COLUMNS)
    return pd.concat(parts, ignore_index=True)[FUNNEL_COLUMNS].round(4)


def write(
    out: Path,
    fits: dict[str, DecisionFit],
    index: pd.DataFrame,
    neighbour_means: pd.DataFrame,
    r_squared: pd.DataFrame,
    variation: pd.DataFrame,
    names: dict[str, str],
    threshold: int,
) -> list[Path]:
    """Write threshold_funnel.csv and thresholds.xlsx into ``out``; returns their paths."""
    funnels = funnel_table(fits)
    funnels.to_csv(out / FUNNEL_FILE, index=False, lineterminator="\n", float_format="%.4f")

    def named(frame: pd.DataFrame) -> pd.DataFrame:
        frame = with_la_names(frame, names)
        if "decision" in frame:
            frame["decision_meaning"] = frame["decision"].map(DESCRIPTIONS).fillna("")
        return frame

    la = LA_COLUMNS
    decision = [Column("decision", "Decision", None, 14)]
    meaning = [Column("decision_meaning", "What the decision is", None, 60)]
    sheets = [
        Sheet(
            "Threshold index",
            named(index),
            [
                *la,
                *decision,
                Column("index", "Index (log-odds against England; higher = higher threshold)", DECIMAL_4),
                Column("ci_lower", "95% interval, lower", DECIMAL_4),
                Column("ci_upper", "95% interval, upper", DECIMAL_4),
                *meaning,
            ],
        ),
        Sheet(
            "Neighbours",
            named(neighbour_means),
            [
                *la,
                *decision,
                Column("neighbours_mean_index", "Statistical neighbours' mean index", DECIMAL_4),
                Column("n_neighbours", "Neighbours in the data", WHOLE),
            ],
        ),
        Sheet(
            "Funnel plots",
            named(funnels),
            [
                *la,
                *decision,
                Column("at_risk", "Number at risk", WHOLE),
                Column("observed_pct", "Observed rate (%)", PERCENT_1),
                Column("expected_pct", "Rate its case mix predicts (%)", PERCENT_1),
                Column("adjusted_pct", "Case-mix-adjusted rate (%)", PERCENT_1),
                Column("england_pct", "England's rate (%)", PERCENT_1),
            ],
        ),
        Sheet(
            "R squared",
            r_squared,
            [
                Column("source", "Source", None, 22),
                Column("measure", "Measure", None, 14),
                Column("model", "Model", None, 24),
                Column("r_squared", "R² (0 to 1)", DECIMAL_2),
                Column("n_las", "LAs", WHOLE),
            ],
        ),
        Sheet(
            "Unexplained by LA",
            named(variation),
            [
                Column("source", "Source", None, 22),
                Column("measure", "Measure", None, 14),
                *la,
                Column("rate_per_10k", "Rate per 10,000 children", DECIMAL_2),
                Column("predicted_per_10k", "Predicted per 10,000 (deprivation and demand)", DECIMAL_2),
                Column("unexplained_log", "Unexplained (log scale; above 0 = more than predicted)", DECIMAL_4),
                Column("neighbours_unexplained_log", "Neighbours' mean unexplained (log)", DECIMAL_4),
                Column("n_neighbours", "Neighbours", WHOLE),
            ],
        ),
    ]
    about = [
        (
            "What this file is",
            "The threshold index of every LA for each decision that expresses a threshold, its statistical "
            "neighbours' mean, the funnel plots' figures, and how much of the variation between LAs deprivation "
            "and demand explain: the CSV files of `earlyhelp thresholds` in one labelled workbook.",
        ),
        (
            "Method",
            "A logistic regression of each decision on the child's case mix with an effect per LA, each LA's "
            "effect relative to England shrunk by empirical Bayes; the index is on the log-odds scale, higher = "
            "higher threshold, with a 95% posterior interval. See thresholds.md and docs/thresholds.md.",
        ),
        (
            "Disclosure control",
            f"An LA's figures for a decision are published only when it has at least {threshold} events and as "
            "many non-events of that decision.",
        ),
        (
            "Source",
            "The returns given to `earlyhelp thresholds`; the real LA panel shipped with earlyhelp (Webb 2024, "
            "doi:10.15131/shef.data.26348359, Open Government Licence v3.0) for the R² on real data.",
        ),
    ]
    path = write_tables_workbook(out / WORKBOOK_FILE, "Thresholds", about, sheets, "thresholds")
    return [out / FUNNEL_FILE, path]
