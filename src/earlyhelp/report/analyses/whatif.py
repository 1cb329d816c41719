"""The what-if section, from ``whatif.csv`` (`earlyhelp whatif --out DIR`): for each scenario, the
projected change in referrals, children in need, child protection, care and cost, with intervals.

``whatif.csv`` has the columns ``scenario, measure, year, baseline, projected, change, ci_lower,
ci_upper, unit``. The interval is read as the 95% interval of ``change``; an interval that holds
``projected`` but not ``change`` is taken as the interval of the projected figure and moved by the
baseline, and the table caption says which it was.
"""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd

from earlyhelp.report.analyses.common import (
    AnalysisSection,
    drawn,
    fixed,
    header,
    interval_dots,
    number,
    read_table,
    table,
    text_cell,
)
from earlyhelp.report.charts import BLUE, BROWN, GREEN, PURPLE, RED, WIDTH, Chart, _style
from earlyhelp.spec.periods import label as period_label

COMMAND = "whatif"
COLUMNS = ("scenario", "measure", "year", "baseline", "projected", "change", "ci_lower", "ci_upper", "unit")
SCENARIO_COLOURS = [BLUE, PURPLE, GREEN, BROWN, RED]
SCENARIO_SHAPES = ["circle", "square", "diamond", "triangle-up", "cross"]
# Readable names of `earlyhelp whatif`'s measures and built-in scenarios; anything else is shown from its code.
LABELS = {
    "referrals": "Referrals",
    "cin_starts": "CIN plans started",
    "cp_starts": "CP plans started",
    "care_starts": "Care starts",
    "cost_pounds": "Cost",
    "baseline": "Baseline (no change)",
    "step_down_40": "Step-down raised to 40%",
    "reach_6pct": "Early help reach raised to 6%",
}


def _label(code: str) -> str:
    return LABELS.get(code, code.replace("_", " ").capitalize())


def _year(year: str) -> str:
    """``202829`` (a financial year, as the pipeline writes it) -> ``2028-29``; anything else as given."""
    return period_label(year) if len(year) == 6 and year.isdigit() else year


def _amount(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit.lower().startswith(("pounds", "gbp", "£")):
        sign = "-" if value < 0 else ""
        return f"{sign}£{abs(value):,.0f}"
    digits = 0 if abs(value) >= 100 or float(value).is_integer() else 1
    return fixed(value, digits)


def change_frame(rows: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Numbers, with the interval as the interval of the change (see the module's docstring)."""
    frame = pd.DataFrame(
        {
            "scenario": rows["scenario"],
            "measure": rows["measure"],
            "year": rows["year"],
            "unit": rows["unit"],
            **{c: rows[c].map(number) for c in ("baseline", "projected", "change", "ci_lower", "ci_upper")},
        }
    )
    holds_change = ((frame["ci_lower"] <= frame["change"]) & (frame["change"] <= frame["ci_upper"])).all()
    holds_projected = ((frame["ci_lower"] <= frame["projected"]) & (frame["projected"] <= frame["ci_upper"])).all()
    if not holds_change and holds_projected:
        frame["ci_lower"] -= frame["baseline"]
        frame["ci_upper"] -= frame["baseline"]
        return frame, "the file's interval of the projected figure, less the baseline"
    return frame, "95% interval"


def whatif_section(folder: Path) -> AnalysisSection:
    rows = read_table(folder, "whatif.csv", COLUMNS, COMMAND)
    frame, interval_words = change_frame(rows)
    scenarios = list(dict.fromkeys(frame["scenario"]))
    measures = list(dict.fromkeys(frame["measure"]))
    section = AnalysisSection(
        "whatif",
        "What if: the projected effect of more early help",
        [
            "A microsimulation follows children's journeys over the coming years with the transition rates "
            "estimated from the data. Each scenario changes early help (for example, more step-down after "
            "closed assessments), and the effects estimated by the evaluation carry through to referrals, "
            "children in need, child protection plans, care and their cost.",
            "Uncertainty: each projected change has an interval that carries the uncertainty of the estimated "
            "effects and of the simulation. A change whose interval includes 0 may be no change at all.",
        ],
        sources=[folder / "whatif.csv"],
    )
    last_year = max(frame["year"], key=lambda y: (number(y) or 0, y)) if not frame.empty else ""
    body = []
    for row in frame.itertuples():
        body.append(
            [
                header(f"{_label(row.scenario)}: {_label(row.measure)}, {_year(row.year)}"),
                text_cell(_amount(row.baseline, row.unit)),
                text_cell(_amount(row.projected, row.unit)),
                text_cell(_amount(row.change, row.unit)),
                text_cell(
                    f"{_amount(row.ci_lower, row.unit)} to {_amount(row.ci_upper, row.unit)}"
                    if row.ci_lower is not None and not pd.isna(row.ci_lower)
                    else ""
                ),
                text_cell(row.unit),
            ]
        )
    data_table = table(
        f"Projected change by scenario, measure and year ({interval_words} of the change)",
        ["Scenario, measure and year", "Baseline", "Projected", "Change", "Interval of the change", "Unit"],
        body,
    )
    chart = Chart(
        "whatif-change",
        f"Projected change by scenario, {_year(last_year)}",
        f"The projected change in each measure in {_year(last_year)} under each scenario, as a percentage of the "
        "baseline, with its interval.",
        data_table,
        [
            "Change as a percentage of the baseline = change / baseline x 100, so that measures in different units "
            "share one axis; the table gives the figures in their own units.",
            "The baseline is the projection with no change to early help.",
        ],
    )
    last = frame[(frame["year"] == last_year) & frame["baseline"].notna() & (frame["baseline"] != 0)]
    last = last.dropna(subset=["change"])
    if not last.empty:
        plotted = pd.DataFrame(
            {
                "row": [f"{_label(m)} · {_label(s)}" for m, s in zip(last["measure"], last["scenario"], strict=True)],
                "scenario": last["scenario"].map(_label),
                "value": 100 * last["change"] / last["baseline"],
                "low": 100 * last["ci_lower"].fillna(last["change"]) / last["baseline"],
                "high": 100 * last["ci_upper"].fillna(last["change"]) / last["baseline"],
            }
        )
        named = [_label(s) for s in scenarios]
        colour = alt.Color(
            "scenario:N", title="Scenario", scale=alt.Scale(domain=named, range=SCENARIO_COLOURS[: len(named)])
        )
        shape = alt.Shape("scenario:N", scale=alt.Scale(domain=named, range=SCENARIO_SHAPES[: len(named)]))
        y = alt.Y("row:N", sort=list(plotted["row"]), title=None, axis=alt.Axis(labelLimit=400))
        layers = interval_dots(
            plotted,
            y,
            colour,
            shape,
            value="value",
            low="low",
            high="high",
            x_title="Change against the baseline (%)",
        )
        chart.spec = _style(alt.layer(*layers).properties(width=WIDTH - 360, height=alt.Step(28))).to_dict()
        chart.summary = f"Dot plot of the projected change in {_year(last_year)}. " + "; ".join(
            f"{r.row}: {fixed(r.value, 1)}% (interval {fixed(r.low, 1)}% to {fixed(r.high, 1)}%)"
            for r in plotted.itertuples()
        )
    section.charts.append(drawn(chart))
    section.notes.append(f"{len(scenarios)} scenario(s) and {len(measures)} measure(s) from whatif.csv.")
    return section
