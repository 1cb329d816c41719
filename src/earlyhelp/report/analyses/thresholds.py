"""The thresholds section, from the files `earlyhelp thresholds --out DIR` writes: a caterpillar plot
of the threshold index with its intervals, funnel plots of the case-mix-adjusted rates, the R² that
deprivation and demand explain across LAs, and for an LA report its position against its statistical
neighbours."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from earlyhelp.report import funnel as funnel_limits
from earlyhelp.report.analyses.common import (
    AnalysisSection,
    drawn,
    fixed,
    header,
    interval_dots,
    la_names,
    number,
    optional_table,
    read_table,
    table,
    text_cell,
)
from earlyhelp.report.charts import BLACK, BLUE, GREY, MID_GREY, RED, WIDTH, Chart, DataTable, _style

COMMAND = "thresholds"
INDEX_COLUMNS = ("la_code", "decision", "index", "ci_lower", "ci_upper")
NEIGHBOUR_COLUMNS = ("la_code", "decision", "neighbours_mean_index", "n_neighbours")
R_SQUARED_COLUMNS = ("source", "measure", "model", "r_squared", "n_las")
FUNNEL_COLUMNS = ("la_code", "decision", "at_risk", "adjusted_pct", "england_pct")
VARIATION_COLUMNS = ("source", "measure", "la_code", "rate_per_10k", "predicted_per_10k", "unexplained_log")
DECISION_LABELS = {
    "threshold": "Social care threshold (composite)",
    "nfa": "No further action",
    "not_in_need": "Assessed as not in need",
    "step_down": "Stepped down to early help",
    "cin_plan": "Child in need plan",
    "cp_plan": "Child protection plan",
    "eh_reach": "Early help reach",
}
MODEL_LABELS = {"deprivation": "Deprivation", "deprivation_and_demand": "Deprivation and demand"}


def _decision(code: str) -> str:
    return DECISION_LABELS.get(code, code.replace("_", " ").capitalize())


def _descriptions() -> dict[str, str]:
    from earlyhelp.thresholds.model import DESCRIPTIONS

    return DESCRIPTIONS


def _measures() -> dict[str, str]:
    from earlyhelp.thresholds.la_level import MEASURES

    return MEASURES


def _source_words(source: str) -> str:
    """``real panel 202122`` -> ``the real LA panel, 2021-22``; ``data`` -> ``the data given``."""
    if not source.startswith("real panel"):
        return "the data given"
    year = source.removeprefix("real panel").strip()
    return "the real LA panel" + (f", {year[:4]}-{year[4:]}" if len(year) == 6 and year.isdigit() else "")


def _measure(measure: str) -> str:
    label = _measures().get(measure, measure.replace("_", " "))
    return label[:1].upper() + label[1:]


def _where(low: float | None, high: float | None) -> str:
    """The LA against England (index 0), from its 95% interval."""
    if low is None or high is None:
        return ""
    if low > 0:
        return "higher threshold than England"
    if high < 0:
        return "lower threshold than England"
    return "not clearly different from England"


def caterpillar(
    index: pd.DataFrame, neighbours: pd.DataFrame | None, names: dict[str, str], focus: str | None
) -> Chart | None:
    decision = "threshold" if (index["decision"] == "threshold").any() else "nfa"
    rows = index[index["decision"] == decision].copy()
    if rows.empty:
        return None
    for column in ("index", "ci_lower", "ci_upper"):
        rows[column] = rows[column].map(number)
    rows = rows.dropna(subset=["index"]).sort_values("index", ascending=False, kind="stable")
    rows["name"] = rows["la_code"].map(lambda code: names.get(code, code))
    near: dict[str, tuple[str, str]] = {}
    if neighbours is not None:
        for row in neighbours[neighbours["decision"] == decision].itertuples():
            neighbours_mean = number(row.neighbours_mean_index)
            near[str(row.la_code)] = (fixed(neighbours_mean, 2), str(row.n_neighbours))
    body = []
    for row in rows.itertuples():
        mean_text, count = near.get(str(row.la_code), ("", ""))
        body.append(
            [
                header(row.name + (" (this report's LA)" if row.la_code == focus else "")),
                text_cell(fixed(row.index, 2)),
                text_cell(f"{fixed(row.ci_lower, 2)} to {fixed(row.ci_upper, 2)}"),
                text_cell(_where(row.ci_lower, row.ci_upper)),
                text_cell(mean_text or "none in the data"),
                text_cell(count),
            ]
        )
    data_table = table(
        f"Threshold index by LA, highest first: {_decision(decision).lower()}",
        ["LA", "Index", "95% interval", "Against England", "Neighbours' mean index", "Neighbours in the data"],
        body,
    )
    notes = [
        f"{_decision(decision)}: {_descriptions().get(decision, decision)}.",
        "The index is on the log-odds scale relative to England (0): +0.5 multiplies the odds of the "
        "higher-threshold decision (for example no further action) by about 1.65. Each line is a 95% interval.",
        "LAs whose interval lies wholly above 0 decide as if their threshold were higher than England's for "
        "children with the same recorded needs; the model cannot see needs that are not recorded.",
    ]
    chart = Chart(
        "thresholds-caterpillar",
        "Threshold index by LA",
        "How far each LA's decisions sit above or below England's once the children's age, need, referral "
        "source, deprivation and history are taken into account. Higher means a higher threshold.",
        data_table,
        notes,
    )
    is_focus = rows["la_code"] == focus
    rows["group"] = ["This report's LA" if f else "Other LAs" for f in is_focus]
    groups = ["Other LAs", "This report's LA"] if is_focus.any() else ["Other LAs"]
    order = list(rows["name"])
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=240))
    frame = rows[["name", "index", "ci_lower", "ci_upper", "group"]]
    colour = alt.Color("group:N", title=None, scale=alt.Scale(domain=groups, range=[BLUE, BLACK][: len(groups)]))
    shape = alt.Shape("group:N", scale=alt.Scale(domain=groups, range=["circle", "diamond"][: len(groups)]))
    layers = interval_dots(
        frame,
        y,
        colour,
        shape,
        value="index",
        low="ci_lower",
        high="ci_upper",
        x_title="Threshold index (log-odds against England; higher = higher threshold)",
        zero_colour=RED,
        interval_colour=MID_GREY,
        size=80,
    )
    chart.spec = _style(alt.layer(*layers).properties(width=WIDTH - 280, height=alt.Step(18))).to_dict()
    top, bottom = rows.iloc[0], rows.iloc[-1]
    chart.summary = (
        f"Caterpillar plot of {len(rows)} LAs ranked by their threshold index with 95% intervals. Highest: "
        f"{top['name']} ({fixed(top['index'], 2)}); lowest: {bottom['name']} ({fixed(bottom['index'], 2)})."
        + (
            f" This report's LA, {rows[is_focus].iloc[0]['name']}: {fixed(rows[is_focus].iloc[0]['index'], 2)}."
            if is_focus.any()
            else ""
        )
    )
    return drawn(chart)


def funnel(rows: pd.DataFrame, decision: str, names: dict[str, str], focus: str | None) -> Chart | None:
    """The case-mix-adjusted rate of one decision against the number at risk, England's 95% and 99.8% limits."""
    frame = pd.DataFrame(
        {
            "la_code": rows["la_code"],
            "at_risk": rows["at_risk"].map(number),
            "rate": rows["adjusted_pct"].map(number),
            "england": rows["england_pct"].map(number),
        }
    ).dropna()
    frame = frame[frame["at_risk"] > 0]
    if frame.empty:
        return None
    england = float(frame["england"].iloc[0])
    frame["name"] = frame["la_code"].map(lambda code: names.get(code, code))
    frame["where"] = [
        funnel_limits.position(rate, funnel_limits.limits(england, at_risk, "binomial", scale=100))
        for rate, at_risk in zip(frame["rate"], frame["at_risk"], strict=True)
    ]
    frame = frame.sort_values("rate", ascending=False, kind="stable")
    body = [
        [
            header(row.name + (" (this report's LA)" if row.la_code == focus else "")),
            text_cell(f"{row.at_risk:,.0f}"),
            text_cell(fixed(row.rate, 1)),
            text_cell(row.where),
        ]
        for row in frame.itertuples()
    ]
    label = _decision(decision)
    data_table = table(
        f"{label}: case-mix-adjusted rate by LA, England {fixed(england, 1)}%",
        ["LA", "Number at risk", "Adjusted rate (%)", "Against England's limits"],
        body,
    )
    chart = Chart(
        f"thresholds-funnel-{decision.replace('_', '-')}",
        f"Funnel plot: {label.lower()}",
        f"Each LA's rate of {_descriptions().get(decision, decision)}, adjusted for the case mix of its "
        "children, against how many children were at risk of the decision.",
        data_table,
        [
            "Adjusted rate: the LA's observed rate divided by the rate its children's case mix predicts, times "
            "England's rate. If every LA decided like England, 95 in 100 LAs would fall inside the dashed "
            "funnel and 998 in 1,000 inside the dotted one by chance (binomial limits, Spiegelhalter 2005).",
        ],
    )
    grid = funnel_limits.funnel(
        england, float(frame["at_risk"].min()), float(frame["at_risk"].max()), "binomial", scale=100
    )
    limits = pd.DataFrame([vars(limit) for limit in grid]).melt("denominator", var_name="limit", value_name="value")
    limits["kind"] = limits["limit"].map(lambda name: "99.8% limits" if name.endswith("998") else "95% limits")
    x_scale = alt.Scale(type="log", nice=False)
    frame["group"] = ["This report's LA" if code == focus else "LAs" for code in frame["la_code"]]
    groups = ["LAs", "This report's LA"] if (frame["la_code"] == focus).any() else ["LAs"]
    layers = [
        alt.Chart(limits)
        .mark_line(color=GREY, strokeWidth=1.5)
        .encode(
            x=alt.X("denominator:Q", scale=x_scale, title="Number at risk (log scale)", axis=alt.Axis(format="~s")),
            y=alt.Y("value:Q", title=f"{label}: adjusted rate (%)"),
            detail="limit:N",
            strokeDash=alt.StrokeDash(
                "kind:N", title=None, scale=alt.Scale(domain=["95% limits", "99.8% limits"], range=[[6, 3], [2, 2]])
            ),
        ),
        alt.Chart(pd.DataFrame({"y": [england]})).mark_rule(color=BLACK, strokeWidth=2).encode(y="y:Q"),
        alt.Chart(frame[["at_risk", "rate", "group", "name"]])
        .mark_point(filled=True, size=80, opacity=1)
        .encode(
            x=alt.X("at_risk:Q", scale=x_scale),
            y="rate:Q",
            color=alt.Color("group:N", title=None, scale=alt.Scale(domain=groups, range=[BLUE, BLACK][: len(groups)])),
            shape=alt.Shape("group:N", scale=alt.Scale(domain=groups, range=["circle", "diamond"][: len(groups)])),
        ),
    ]
    chart.spec = _style(alt.layer(*layers).properties(width=WIDTH - 160, height=320)).to_dict()
    outside = int(frame["where"].str.contains("99.8").sum())
    chart.summary = (
        f"Funnel plot of {len(frame)} LAs: {label.lower()}, adjusted for case mix, against the number at risk. "
        f"England's rate is {fixed(england, 1)}%; {outside} LA(s) lie outside the 99.8% limits."
    )
    return drawn(chart)


def r_squared_table(r_squared: pd.DataFrame) -> tuple[DataTable, list[str]]:
    body, sentences = [], []
    keys = list(dict.fromkeys(zip(r_squared["source"], r_squared["measure"], strict=True)))
    for source, measure in keys:
        part = r_squared[(r_squared["source"] == source) & (r_squared["measure"] == measure)].set_index("model")
        values = {
            model: number(part.loc[model, "r_squared"]) if model in part.index else None for model in MODEL_LABELS
        }
        count = part["n_las"].iloc[0]
        where = _source_words(source)
        label = _measure(measure)
        body.append(
            [
                header(f"{label} ({where})"),
                *[text_cell(fixed(values[m], 2)) for m in MODEL_LABELS],
                text_cell(str(count)),
            ]
        )
        if values["deprivation"] is not None and values["deprivation_and_demand"] is not None:
            sentences.append(
                f"In {where}, deprivation explains {fixed(100 * values['deprivation'], 0)}% of the variation "
                f"between LAs in {label.lower()}, and deprivation and demand together "
                f"{fixed(100 * values['deprivation_and_demand'], 0)}% ({count} LAs)."
            )
    data_table = table(
        "How much of the variation between LAs deprivation and demand explain (R², 0 to 1)",
        ["Measure", *[f"R²: {label.lower()}" for label in MODEL_LABELS.values()], "LAs"],
        body,
    )
    return data_table, sentences


def position_table(index: pd.DataFrame, neighbours: pd.DataFrame | None, focus: str, name: str) -> DataTable | None:
    """The LA's index for every decision beside its statistical neighbours' mean."""
    own = index[index["la_code"] == focus]
    if own.empty:
        return None
    near: dict[str, Any] = {}
    if neighbours is not None:
        near = {row.decision: row for row in neighbours[neighbours["la_code"] == focus].itertuples()}
    body = []
    for row in own.itertuples():
        low, high = number(row.ci_lower), number(row.ci_upper)
        neighbour = near.get(row.decision)
        mean = number(neighbour.neighbours_mean_index) if neighbour is not None else None
        body.append(
            [
                header(_decision(row.decision)),
                text_cell(fixed(number(row.index), 2)),
                text_cell(f"{fixed(low, 2)} to {fixed(high, 2)}"),
                text_cell(_where(low, high)),
                text_cell(fixed(mean, 2) if mean is not None else "none in the data"),
                text_cell(str(neighbour.n_neighbours) if neighbour is not None else "0"),
            ]
        )
    return table(
        f"{name}: threshold index by decision, beside its statistical neighbours",
        ["Decision", "Index", "95% interval", "Against England", "Neighbours' mean index", "Neighbours in the data"],
        body,
    )


def variation_table(variation: pd.DataFrame, focus: str, name: str) -> DataTable | None:
    """What deprivation and demand leave unexplained in the LA's own rates."""
    own = variation[variation["la_code"] == focus]
    if own.empty:
        return None
    body = []
    for row in own.itertuples():
        unexplained = number(row.unexplained_log)
        beyond = f"{fixed(100 * (math.exp(unexplained) - 1), 0)}%" if unexplained is not None else ""
        neighbours = number(getattr(row, "neighbours_unexplained_log", ""))
        body.append(
            [
                header(f"{_measure(row.measure)} ({_source_words(row.source)})"),
                text_cell(fixed(number(row.rate_per_10k), 1)),
                text_cell(fixed(number(row.predicted_per_10k), 1)),
                text_cell(beyond),
                text_cell(f"{fixed(100 * (math.exp(neighbours) - 1), 0)}%" if neighbours is not None else ""),
            ]
        )
    return table(
        f"{name}: rates against what deprivation and demand predict",
        [
            "Measure",
            "Rate per 10,000",
            "Predicted per 10,000",
            "Above (+) or below (-) the prediction",
            "Neighbours' mean",
        ],
        body,
    )


def thresholds_section(folder: Path, focus: str | None = None) -> AnalysisSection:
    index = read_table(folder, "threshold_index.csv", INDEX_COLUMNS, COMMAND)
    neighbours = optional_table(folder, "threshold_neighbours.csv", NEIGHBOUR_COLUMNS, COMMAND)
    r_squared = optional_table(folder, "la_r_squared.csv", R_SQUARED_COLUMNS, COMMAND)
    funnels = optional_table(folder, "threshold_funnel.csv", FUNNEL_COLUMNS, COMMAND)
    variation = optional_table(folder, "la_variation.csv", VARIATION_COLUMNS, COMMAND)
    names = la_names()
    section = AnalysisSection(
        "thresholds",
        "Thresholds: where LAs differ beyond the needs of the children referred",
        [
            "Two children with the same needs, referred by the same agency, may be closed at the front door in "
            "one LA and put on a plan in another. For each decision that expresses a threshold (no further "
            "action, assessed as not in need, step-down, CIN and child protection plans), a model compares each "
            "LA's decisions with England's for children with the same age, need, referral source, deprivation "
            "and history, and gives each LA a threshold index: higher means a higher threshold.",
            "Uncertainty: each index has a 95% interval. The model is a logistic regression with an effect per "
            "LA, shrunk towards England by empirical Bayes so that small LAs are not ranked on noise (a "
            "multilevel model). Only differences the recorded case mix cannot explain are counted; needs that "
            "are not recorded can still explain some.",
        ],
        sources=[folder / "threshold_index.csv"],
    )
    if focus is not None:
        position = position_table(index, neighbours, focus, names.get(focus, focus))
        if position is not None:
            section.lead_tables.append(("thresholds-position", position))
        else:
            section.paragraphs.append(
                f"{names.get(focus, focus)} has no published threshold index in this analysis: it is not in the "
                "data given, or it has too few decisions of each kind to publish."
            )
    chart = caterpillar(index, neighbours, names, focus)
    if chart is not None:
        section.charts.append(chart)
    if funnels is not None:
        for decision in dict.fromkeys(funnels["decision"]):
            made = funnel(funnels[funnels["decision"] == decision], decision, names, focus)
            if made is not None:
                section.charts.append(made)
        section.sources.append(folder / "threshold_funnel.csv")
    else:
        section.notes.append(
            "No funnel plots: the thresholds folder has no threshold_funnel.csv (written by `earlyhelp "
            "thresholds` from this version on)."
        )
    if r_squared is not None and not r_squared.empty:
        r_table, sentences = r_squared_table(r_squared)
        section.paragraphs += sentences
        section.tables.append(("thresholds-r-squared", r_table))
        section.notes.append(
            "R²: least squares across LAs of the log rate per 10,000 children on the IDACI score (deprivation), "
            "then on IDACI and log referrals per 10,000 (demand). 1 would mean the two explain every difference."
        )
        section.sources.append(folder / "la_r_squared.csv")
    if focus is not None and variation is not None:
        own = variation_table(variation, focus, names.get(focus, focus))
        if own is not None:
            section.tables.append(("thresholds-unexplained", own))
            section.sources.append(folder / "la_variation.csv")
    if neighbours is not None:
        section.sources.append(folder / "threshold_neighbours.csv")
    section.notes.append(
        "An LA's index for a decision is published only when it has enough events and non-events of that "
        "decision (the suppression threshold `earlyhelp thresholds` applied)."
    )
    return section
