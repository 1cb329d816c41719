"""The forest plot and the Kaplan-Meier curves, as accessible SVG in the report's style and font."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from earlyhelp.journeys.charts import GROUP_DASHES, KM_HEIGHT, end_label_layer, end_labels
from earlyhelp.report.charts import FONT, to_svg

OUTCOME_LABELS = {
    "re_referral_12m": "Re-referral, 12 months",
    "re_referral_24m": "Re-referral, 24 months",
    "escalation_12m": "Escalation, 12 months",
}
METHOD_LABELS = {"naive": "Naive", "IPW": "IPW", "AIPW": "AIPW (doubly robust)"}
COLOURS = ["#12436D", "#28A197", "#801650", "#F46A25"]


def _short(method: str) -> str:
    return METHOD_LABELS.get(method.split(" ")[0], method)


def forest_svg(estimates: pd.DataFrame) -> str:
    rows = estimates[estimates["estimand"] == "ATT_risk_difference"].copy()
    rows["row"] = rows["outcome"].map(OUTCOME_LABELS) + " · " + rows["method"].map(_short)
    for column in ("estimate", "ci_lower", "ci_upper"):
        rows[column] = rows[column].astype(float) * 100
    rows["method_label"] = rows["method"].map(_short)
    order = list(rows["row"])
    y = alt.Y("row:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    base = alt.Chart(rows)
    layers = [
        base.mark_rule(strokeWidth=2).encode(
            x=alt.X("ci_lower:Q", title="Risk difference, percentage points"),
            x2="ci_upper",
            y=y,
            color=alt.Color("method_label:N", title="Method", scale=alt.Scale(range=COLOURS)),
        ),
        base.mark_point(filled=True, size=70).encode(x="estimate:Q", y=y, color="method_label:N"),
        alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color="#505a5f", strokeDash=[4, 3]).encode(x="zero:Q"),
    ]
    if "true_value" in rows and rows["true_value"].notna().any():
        truth = rows[rows["true_value"].notna()].copy()
        truth["true_value"] = truth["true_value"].astype(float) * 100
        layers.append(alt.Chart(truth).mark_tick(color="#0b0c0c", thickness=2, size=16).encode(x="true_value:Q", y=y))
    chart = alt.layer(*layers).properties(width=420, height=28 * len(rows))
    if len(layers) == 4:
        chart = chart.properties(
            title=alt.TitleParams(
                "Effect of step-down",
                subtitle="Black ticks: the true effect planted in synthetic England",
                anchor="start",
            )
        )
    spec = chart.configure(font=FONT, background="white").to_dict()
    summary = "; ".join(
        f"{r.row}: {r.estimate:.1f} points (95% CI {r.ci_lower:.1f} to {r.ci_upper:.1f})" for r in rows.itertuples()
    )
    return to_svg(spec, "evaluate-forest", "Effect of step-down to early help (risk difference with 95% CI)", summary)


def km_svg(survival: pd.DataFrame) -> str:
    """Kaplan-Meier curves by group, each with its own colour and dash pattern and its name at the
    end of its line, so that they can be told apart without colour."""
    frame = survival.copy()
    frame["percent"] = frame["share"] * 100
    lowest = float(frame["percent"].min()) if len(frame) else 0.0
    domain = (max(0.0, 5 * math.floor(lowest / 5)), 100.0)  # fixed, to place the names
    y_title = "Not re-referred (%)"
    groups = list(dict.fromkeys(frame["group"]))
    x = alt.X("day:Q", title="Days since closure", scale=alt.Scale(domain=[0, 730]))
    lines = (
        alt.Chart(frame)
        .mark_line(interpolate="step-after", strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y("percent:Q", title=y_title, scale=alt.Scale(domain=list(domain), nice=False)),
            color=alt.Color("group:N", scale=alt.Scale(domain=groups, range=COLOURS), legend=None),
            strokeDash=alt.StrokeDash("group:N", scale=alt.Scale(domain=groups, range=GROUP_DASHES), legend=None),
        )
    )
    labels = end_label_layer(end_labels(frame, "day", "percent", domain, KM_HEIGHT), x, y_title)
    chart = alt.layer(lines, labels).properties(width=480, height=KM_HEIGHT)
    spec = chart.configure(font=FONT, background="white").to_dict()
    ends = frame.groupby("group")["percent"].last()
    summary = "; ".join(
        f"{group}: {value:.0f}% not re-referred at the end of follow-up" for group, value in ends.items()
    )
    return to_svg(spec, "evaluate-km", "Kaplan-Meier: share of children not re-referred, by step-down", summary)
