"""The evaluation section, from the files `earlyhelp evaluate --out DIR` writes: a forest plot of the
effect of step-down with the naive estimate beside the adjusted ones, the Kaplan-Meier curves, the
balance table and the LA panel, with the method and its uncertainty in plain English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
from markupsafe import Markup

from earlyhelp.evaluate.analysis import PARTNER_ANALYSIS
from earlyhelp.publish import CONFIDENTIAL
from earlyhelp.report.analyses.common import (
    AnalysisSection,
    drawn,
    fixed,
    header,
    interval,
    interval_dots,
    number,
    optional_table,
    read_table,
    table,
    text_cell,
)
from earlyhelp.report.charts import BLACK, BLUE, GREEN, GREY, PURPLE, WIDTH, Cell, Chart, DataTable, _style

COMMAND = "evaluate"
ESTIMATE_COLUMNS = (
    "analysis",
    "outcome",
    "estimand",
    "estimate",
    "ci_lower",
    "ci_upper",
    "n_treated",
    "n_comparison",
    "method",
)
BALANCE_COLUMNS = ("covariate", "smd_before", "smd_after")
KM_COLUMNS = ("group", "day", "share")
OUTCOME_LABELS = {
    "re_referral_12m": "Re-referral within 12 months",
    "re_referral_24m": "Re-referral within 24 months",
    "escalation_12m": "Escalation within 12 months",
    "care_16_17": "Children looked after aged 16-17",
    "care_1_4": "Children looked after aged 1-4",
    "emergency_attendances_12m": "Emergency attendances within 12 months",
    "police_notifications_12m": "Police notifications within 12 months",
    "school_absence_share_12m": "Share of school sessions missed, the school year six months on",
}
# The first word of estimates.csv's method, in the order shown: the naive comparison first.
METHODS = {"naive": "Naive (unadjusted)", "IPW": "IPW (weighted)", "AIPW": "AIPW (doubly robust)"}
METHOD_COLOURS = [GREY, BLUE, PURPLE]
METHOD_SHAPES = ["circle", "square", "diamond"]
PANEL_ANALYSES = {"la_panel_real": "Real LA panel (Webb 2024)", "la_panel_data": "LAs in this data"}
# The days at which the Kaplan-Meier table reads the curves: closure, 3, 6, 12, 18 and 24 months.
KM_DAYS = (0, 91, 182, 365, 547, 730)
BALANCE_LIMIT = 0.1


def _outcome(code: str) -> str:
    return OUTCOME_LABELS.get(code, code.replace("_", " ").capitalize())


def _method(text: str) -> str:
    return text.split(" ")[0]


def _estimate_text(row: pd.Series, digits: int, scale: float, named: bool = False) -> str:
    if row["estimate"] == CONFIDENTIAL:
        return CONFIDENTIAL
    value = number(row["estimate"])
    if value is None:
        return "not estimable"
    return interval(value, number(row["ci_lower"]), number(row["ci_upper"]), digits, scale, named)


def _step_down_rows(estimates: pd.DataFrame) -> pd.DataFrame:
    rows = estimates[~estimates["analysis"].str.startswith("la_panel")]
    if "subgroup" in rows:
        rows = rows[rows["subgroup"].isin(["all", ""])]
    return rows


def _by_outcome_table(rows: pd.DataFrame, estimand: str, caption: str, digits: int, scale: float) -> DataTable:
    """One row per outcome, the methods side by side (the naive comparison first)."""
    chosen = rows[rows["estimand"] == estimand]
    methods = [m for m in METHODS if (chosen["method"].map(_method) == m).any()]
    truth = "true_value" in chosen and (chosen["true_value"].map(number).notna()).any()
    columns = ["Outcome", "Stepped down", "Comparison", *[f"{METHODS[m]}" for m in methods]]
    if truth:
        columns.append("True value (synthetic)")
    body: list[list[Cell]] = []
    for outcome in dict.fromkeys(chosen["outcome"]):
        of_outcome = chosen[chosen["outcome"] == outcome]
        first = of_outcome.iloc[0]
        cells = [header(_outcome(outcome)), text_cell(first["n_treated"]), text_cell(first["n_comparison"])]
        for method in methods:
            match = of_outcome[of_outcome["method"].map(_method) == method]
            cells.append(text_cell(_estimate_text(match.iloc[0], digits, scale) if not match.empty else ""))
        if truth:
            true_value = number(first.get("true_value", ""))
            cells.append(text_cell(fixed(true_value * scale, digits) if true_value is not None else "not known"))
        body.append(cells)
    return table(caption, columns, body)


def forest(estimates: pd.DataFrame) -> Chart | None:
    """Risk differences in percentage points with 95% CIs, naive beside IPW and AIPW, per outcome."""
    rows = _step_down_rows(estimates)
    differences = rows[rows["estimand"] == "ATT_risk_difference"]
    if differences.empty:
        return None
    data_table = _by_outcome_table(
        rows,
        "ATT_risk_difference",
        "Effect of step-down: risk difference in percentage points (95% CI), naive beside adjusted",
        1,
        100,
    )
    records: list[dict[str, Any]] = []
    for row in differences.itertuples():
        value = number(row.estimate)
        if value is None or _method(row.method) not in METHODS:
            continue
        true_value = number(getattr(row, "true_value", ""))
        low, high = number(row.ci_lower), number(row.ci_upper)
        records.append(
            {
                "row": f"{_outcome(row.outcome)} · {METHODS[_method(row.method)]}",
                "method": METHODS[_method(row.method)],
                "estimate": value * 100,
                "low": (value if low is None else low) * 100,
                "high": (value if high is None else high) * 100,
                "truth": None if true_value is None else true_value * 100,
            }
        )
    suppressed = int((differences["estimate"] == CONFIDENTIAL).sum())
    notes = [
        "A risk difference is the stepped-down children's risk minus the risk they would have had without "
        "early help, in percentage points: below 0 means fewer children with the outcome.",
        "The horizontal lines are 95% confidence intervals; an interval that crosses the dashed line at 0 is "
        "consistent with no effect.",
    ]
    if suppressed:
        notes.append(f"{suppressed} estimate(s) from fewer than 10 children are not published ({CONFIDENTIAL}).")
    chart = Chart(
        "evaluation-forest",
        "Effect of step-down to early help",
        "The effect of stepping a child down to early help after an assessment closed below the threshold, "
        "against closing the case with no early help: the naive comparison beside the adjusted estimates.",
        data_table,
        notes,
    )
    if not records:
        return chart
    frame = pd.DataFrame(records)
    methods = [m for m in METHODS.values() if m in set(frame["method"])]
    colours = [METHOD_COLOURS[list(METHODS.values()).index(m)] for m in methods]
    shapes = [METHOD_SHAPES[list(METHODS.values()).index(m)] for m in methods]
    y = alt.Y("row:N", sort=list(frame["row"]), title=None, axis=alt.Axis(labelLimit=340))
    colour = alt.Color("method:N", title="Method", scale=alt.Scale(domain=methods, range=colours))
    shape = alt.Shape("method:N", scale=alt.Scale(domain=methods, range=shapes))
    layers = interval_dots(
        frame,
        y,
        colour,
        shape,
        value="estimate",
        low="low",
        high="high",
        x_title="Risk difference (percentage points)",
    )
    if frame["truth"].notna().any():
        layers.append(
            alt.Chart(frame[frame["truth"].notna()])
            .mark_tick(color=BLACK, thickness=2, size=20)
            .encode(x="truth:Q", y=y)
        )
        chart.notes.append("Black ticks: the true effect planted in synthetic England (approximate; docs/evaluate.md).")
    chart.spec = _style(alt.layer(*layers).properties(width=WIDTH - 340, height=alt.Step(30))).to_dict()
    chart.summary = "Forest plot. " + "; ".join(
        f"{r['row']}: {fixed(r['estimate'], 1)} points (95% CI {fixed(r['low'], 1)} to {fixed(r['high'], 1)})"
        for r in records
    )
    return drawn(chart)


def km_table(curves: pd.DataFrame) -> DataTable:
    """The share not re-referred, in percent, at closure and 3, 6, 12, 18 and 24 months, per group."""
    curves = curves.assign(day=curves["day"].map(number), share=curves["share"].map(number)).dropna()
    groups = list(dict.fromkeys(curves["group"]))
    body = []
    for day in KM_DAYS:
        cells = [header("Closure" if day == 0 else f"Day {day}")]
        for group in groups:
            before = curves[(curves["group"] == group) & (curves["day"] <= day)].sort_values("day")
            cells.append(text_cell(fixed(100 * before["share"].iloc[-1], 1) if not before.empty else ""))
        body.append(cells)
    return table("Children not re-referred (%), by days since closure", ["Days since closure", *groups], body)


def km_chart(folder: Path) -> Chart | None:
    """The Kaplan-Meier curves: drawn from km.csv with their table, or else evaluate's own km.svg."""
    notes = [
        "Kaplan-Meier curves: the share of children not yet re-referred, by days since the case closed, "
        "allowing for children followed for less than two years (censored).",
        "The comparison group is also shown weighted to look like the stepped-down children, so the gap "
        "between the weighted curve and the stepped-down curve is the adjusted difference over time.",
    ]
    curves = optional_table(folder, "km.csv", KM_COLUMNS, COMMAND)
    title = "Time to re-referral after closure (Kaplan-Meier)"
    description = "The share of children not re-referred, by days since closure, stepped down or not."
    if curves is not None:
        data_table = km_table(curves)
        chart = Chart("evaluation-km", title, description, data_table, notes)
        frame = curves.assign(day=curves["day"].map(number), percent=100 * curves["share"].map(number)).dropna()
        if frame.empty:
            return chart
        groups = list(dict.fromkeys(frame["group"]))
        spec = (
            alt.Chart(frame)
            .mark_line(interpolate="step-after", strokeWidth=2.5)
            .encode(
                x=alt.X("day:Q", title="Days since closure", scale=alt.Scale(domain=[0, 730])),
                y=alt.Y("percent:Q", title="Not re-referred (%)", scale=alt.Scale(zero=False)),
                color=alt.Color(
                    "group:N", title=None, scale=alt.Scale(domain=groups, range=[BLUE, GREY, GREEN][: len(groups)])
                ),
                strokeDash=alt.StrokeDash(
                    "group:N",
                    scale=alt.Scale(domain=groups, range=[[1, 0], [6, 3], [2, 2]][: len(groups)]),
                    legend=None,
                ),
            )
        )
        chart.spec = _style(spec.properties(width=WIDTH - 200, height=300)).to_dict()
        ends = frame.sort_values("day").groupby("group", sort=False)["percent"].last()
        chart.summary = "Kaplan-Meier curves. " + "; ".join(
            f"{group}: {fixed(value, 0)}% not re-referred at the end of follow-up" for group, value in ends.items()
        )
        return drawn(chart)
    svg_file = folder / "km.svg"
    if not svg_file.is_file():
        return None
    chart = Chart(
        "evaluation-km",
        title,
        description,
        table("", [], []),
        notes
        + [
            "This chart is evaluate's own km.svg: its curves' figures are not among evaluate's files (km.csv), "
            "so there is no table; the chart's description reads out where each curve ends."
        ],
    )
    # evaluate's SVG is already one accessible image (role img, title and description).
    chart.svg = Markup(svg_file.read_text(encoding="utf-8"))
    return chart


def balance_table(balance: pd.DataFrame) -> tuple[DataTable, str]:
    """Every covariate's standardised mean difference before and after weighting, worst first."""
    frame = balance.assign(before=balance["smd_before"].map(number), after=balance["smd_after"].map(number))
    frame = frame.assign(order=frame["before"].abs()).sort_values("order", ascending=False, kind="stable")
    has_means = all(c in frame for c in ("mean_treated", "mean_comparison"))
    columns = ["Covariate"]
    if has_means:
        columns += ["Mean, stepped down", "Mean, comparison"]
    columns += ["SMD before weighting", "SMD after weighting", f"Within ±{BALANCE_LIMIT} after?"]
    body = []
    for row in frame.itertuples():
        cells = [header(str(row.covariate).replace("_", " "))]
        if has_means:
            cells += [text_cell(row.mean_treated), text_cell(row.mean_comparison)]
        after = row.after
        within = "" if after is None or pd.isna(after) else ("yes" if abs(after) < BALANCE_LIMIT else "no")
        cells += [text_cell(fixed(row.before, 3)), text_cell(fixed(after, 3)), text_cell(within)]
        body.append(cells)
    before_ok = int((frame["before"].abs() < BALANCE_LIMIT).sum())
    after_ok = int((frame["after"].abs() < BALANCE_LIMIT).sum())
    summary = (
        f"Of {len(frame)} covariates, {before_ok} were within ±{BALANCE_LIMIT} before weighting and {after_ok} "
        f"after (a standardised mean difference under {BALANCE_LIMIT} is the usual sign the groups are alike)."
    )
    return table("Balance: standardised mean differences (SMD) of the covariates", columns, body), summary


def panel_table(estimates: pd.DataFrame) -> DataTable | None:
    rows = estimates[estimates["analysis"].str.startswith("la_panel")]
    if rows.empty:
        return None
    body = []
    for row in rows.itertuples():
        body.append(
            [
                header(PANEL_ANALYSES.get(row.analysis, row.analysis)),
                text_cell(_outcome(row.outcome)),
                text_cell(_estimate_text(pd.Series(row._asdict()), 2, 1)),
                text_cell(row.n_treated),
                text_cell(row.n_comparison),
                text_cell(row.method),
            ]
        )
    return table(
        "LA panel: change in the care rate per 100,000 of the age group for each £10 per child cut in preventative spend",
        ["Panel", "Outcome", "Estimate (95% CI)", "LA-years", "LAs", "Method"],
        body,
    )


def hazard_sentence(estimates: pd.DataFrame) -> str | None:
    rows = _step_down_rows(estimates)
    cox = rows[rows["estimand"] == "hazard_ratio"]
    if cox.empty:
        return None
    row = cox.iloc[0]
    return (
        f"Time to re-referral: the hazard ratio of step-down is {_estimate_text(row, 2, 1, named=True)} ({row['method']}); "
        "below 1 means stepped-down children were re-referred more slowly."
    )


PARAGRAPHS = [
    "The question: after a social care assessment closed below the threshold, does stepping the child down "
    "to early help change what happens next, compared with closing the case with no early help? The effect "
    "is estimated for the children who were stepped down (the average effect on the treated).",
    "The naive comparison is the plain difference between the two groups. It is shown because it is what a "
    "simple table would say, and it is biased whenever the children stepped down differ from the others "
    "(for example, in need or history). The adjusted estimates compare like with like: IPW weights the "
    "comparison children so they resemble the stepped-down children on everything recorded before closure "
    "(age, need, referral source, assessment factors, history, deprivation, family, LA); AIPW adds a model "
    "of the outcome and is right if either model is (doubly robust).",
    "Uncertainty: every estimate has a 95% confidence interval, which allows for children of the same "
    "family being alike (clustered on family). An interval that includes 0 means the data cannot tell the "
    "effect from no effect. The adjusted estimates are causal only if nothing unrecorded (such as a "
    "family's underlying risk) drives both step-down and the outcome.",
]


def evaluation_section(folder: Path) -> AnalysisSection:
    estimates = read_table(folder, "estimates.csv", ESTIMATE_COLUMNS, COMMAND)
    balance = optional_table(folder, "balance.csv", BALANCE_COLUMNS, COMMAND)
    section = AnalysisSection(
        "evaluation",
        "Evaluation: does step-down to early help work?",
        list(PARAGRAPHS),
        sources=[folder / "estimates.csv"],
    )
    hazard = hazard_sentence(estimates)
    if hazard:
        section.paragraphs.append(hazard)
    chart = forest(estimates)
    if chart is not None:
        section.charts.append(chart)
        ratios = _step_down_rows(estimates)
        if (ratios["estimand"] == "ATT_risk_ratio").any():
            section.tables.append(
                (
                    "evaluation-risk-ratios",
                    _by_outcome_table(
                        ratios,
                        "ATT_risk_ratio",
                        "Effect of step-down: risk ratio (95% CI), naive beside adjusted; below 1 means lower risk",
                        2,
                        1,
                    ),
                )
            )
    partner = estimates[(estimates["analysis"] == PARTNER_ANALYSIS) & (estimates["estimand"] == "ATT_rate_ratio")]
    if not partner.empty:
        section.tables.append(
            (
                "evaluation-partner-outcomes",
                _by_outcome_table(
                    partner,
                    "ATT_rate_ratio",
                    "Effect of step-down on what partners record (linked school, health and police records): "
                    "ratio of means (95% CI), naive beside adjusted; below 1 means fewer",
                    2,
                    1,
                ),
            )
        )
    km = km_chart(folder)
    if km is not None:
        section.charts.append(km)
        for name in ("km.csv", "km.svg"):
            if (folder / name).is_file():
                section.sources.append(folder / name)
                break
    if balance is not None:
        balance_data, summary = balance_table(balance)
        section.tables.append(("evaluation-balance", balance_data))
        section.notes.append(summary)
        section.sources.append(folder / "balance.csv")
    else:
        section.notes.append("No balance table: the evaluate folder has no balance.csv.")
    panel = panel_table(estimates)
    if panel is not None:
        section.tables.append(("evaluation-panel", panel))
        section.notes.append(
            "LA panel: two-way fixed effects across LAs and years (each LA compared with itself over time), "
            "errors clustered by LA; Bennett et al. (2021) found +1.9 per 100,000 16-17-year-olds entering care "
            "per £10 cut (95% CI 0.7 to 2.9) and nothing at ages 1-4. The method column states each model."
        )
    section.notes.append(
        f"Estimates from fewer than 10 children in either group are not published ({CONFIDENTIAL}); "
        "'not estimable' means the method could not give a figure (for example a risk ratio when no "
        "stepped-down child had the outcome)."
    )
    return section
