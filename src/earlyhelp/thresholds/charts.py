"""The threshold charts: a caterpillar plot of the index and a funnel plot per decision, as accessible SVG."""

from __future__ import annotations

import altair as alt
import pandas as pd

from earlyhelp.report import funnel as funnel_limits
from earlyhelp.report.charts import BLACK, BLUE, FONT, GREY, RED, WIDTH, to_svg
from earlyhelp.thresholds.model import DESCRIPTIONS


def _configured(chart: alt.TopLevelMixin) -> dict:
    styled = (
        chart.configure(font=FONT, aria=False, background="white")
        .configure_axis(labelColor=BLACK, titleColor=BLACK, labelFontSize=12, titleFontSize=13, gridColor="#dfe1e2")
        .configure_view(stroke=None)
    )
    return styled.to_dict()


def caterpillar(index: pd.DataFrame, decision: str, names: dict[str, str]) -> tuple[str, str]:
    """LAs ranked by the index with 95% intervals; returns (svg, the summary read out to screen readers)."""
    frame = index.sort_values("index").assign(la_name=lambda f: f["la_code"].map(names).fillna(f["la_code"]))
    order = list(frame["la_name"])
    height = max(120, 14 * len(frame))
    y = alt.Y("la_name:N", sort=order, title=None, axis=alt.Axis(labelLimit=220))
    base = alt.Chart(frame)
    bars = base.mark_rule(color=GREY, strokeWidth=2).encode(
        x=alt.X("ci_lower:Q", title="Threshold index (log-odds relative to England; higher = higher threshold)"),
        x2="ci_upper:Q",
        y=y,
    )
    points = base.mark_point(filled=True, color=BLUE, size=45).encode(x="index:Q", y=y)
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color=RED, strokeDash=[4, 3]).encode(x="x:Q")
    chart = alt.layer(bars, points, zero).properties(width=WIDTH - 260, height=height)
    high = frame.iloc[-1]
    low = frame.iloc[0]
    summary = (
        f"{len(frame)} LAs ranked by their {decision} index ({DESCRIPTIONS[decision]}), each with a 95% interval. "
        f"Highest: {high['la_name']} ({high['index']:.2f}); lowest: {low['la_name']} ({low['index']:.2f}). "
        "The dashed line is England (0)."
    )
    title = f"Threshold index by LA: {decision}"
    return to_svg(_configured(chart), f"caterpillar-{decision}", title, summary), summary


def funnel(fit_table: pd.DataFrame, decision: str, england_rate: float) -> tuple[str, str]:
    """Case-mix-adjusted rate (observed / expected x England's rate, percent) against the number at
    risk, with 95% and 99.8% binomial limits around England's rate."""
    frame = fit_table.assign(adjusted=lambda f: 100 * f["observed"] / f["expected"] * england_rate)
    grid = funnel_limits.funnel(
        100 * england_rate, float(frame["trials"].min()), float(frame["trials"].max()), "binomial", scale=100
    )
    limits = pd.DataFrame([vars(limit) for limit in grid])
    lines = limits.melt("denominator", var_name="limit", value_name="value")
    log_scale = alt.Scale(type="log", nice=False)
    x = alt.X("denominator:Q", scale=log_scale, axis=alt.Axis(format="~s"), title="Number at risk (log scale)")
    limit_chart = (
        alt.Chart(lines)
        .mark_line(color=GREY, strokeDash=[4, 3])
        .encode(x=x, y=alt.Y("value:Q", title="Case-mix-adjusted rate (%)"), detail="limit:N")
    )
    points = (
        alt.Chart(frame)
        .mark_point(filled=True, color=BLUE, size=40)
        .encode(x=alt.X("trials:Q", scale=log_scale), y="adjusted:Q")
    )
    england = alt.Chart(pd.DataFrame({"y": [100 * england_rate]})).mark_rule(color=RED).encode(y="y:Q")
    chart = alt.layer(limit_chart, england, points).properties(width=WIDTH - 160, height=360)
    outside = 0
    for _, row in frame.iterrows():
        bounds = funnel_limits.limits(100 * england_rate, float(row["trials"]), "binomial", scale=100)
        outside += not bounds.lower_998 <= row["adjusted"] <= bounds.upper_998
    summary = (
        f"Funnel plot of {len(frame)} LAs: {DESCRIPTIONS[decision]}, adjusted for case mix, against the number "
        f"at risk. England's rate is {100 * england_rate:.1f}%; {outside} LAs lie outside the 99.8% limits."
    )
    return to_svg(_configured(chart), f"funnel-{decision}", f"Funnel plot: {decision}", summary), summary
