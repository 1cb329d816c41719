"""The journeys charts in the report's style and font: a flow (Sankey) chart of the published
transitions, and Kaplan-Meier curves. Both are one accessible SVG image (``role="img"``, a title
and a description), and the same figures are a table in ``journeys.md`` and the CSV files.

Vega-Lite has no Sankey mark, so the flow chart is drawn here as plain SVG; the curves go through
the report's Vega-Lite renderer (:func:`earlyhelp.report.charts.to_svg`).
"""

from __future__ import annotations

import html
import math
import textwrap
from collections import defaultdict
from typing import TYPE_CHECKING

import pandas as pd

from earlyhelp.report.charts import BLACK, BLUE, BROWN, FONT, GREEN, GREY, PURPLE, RED, to_svg

if TYPE_CHECKING:  # altair is imported only when a chart is drawn
    import altair as alt

COLUMN_OF_STATE = {
    "closed_after_assessment": 0,
    "early_help_closed": 0,
    "stepped_down": 1,
    "closed_no_early_help": 1,
    "stepped_up": 1,
    "early_help_ended": 1,
    "re_referred_12m": 2,
    "not_re_referred_12m": 2,
    "escalated_12m": 2,
    "re_entered_early_help_12m": 2,
    "no_further_service_12m": 2,
}
STATE_COLOURS = {
    "closed_after_assessment": GREY,
    "early_help_closed": GREY,
    "stepped_down": GREEN,
    "closed_no_early_help": BROWN,
    "stepped_up": PURPLE,
    "early_help_ended": BLUE,
    "re_referred_12m": RED,
    "not_re_referred_12m": GREEN,
    "escalated_12m": RED,
    "re_entered_early_help_12m": BLUE,
    "no_further_service_12m": GREEN,
}
GROUP_LABELS = {"stepped_down": "Stepped down to early help", "closed_no_early_help": "Closed with no early help"}
HEIGHT = 520
MARGIN_TOP = 40
NODE_WIDTH = 14
NODE_GAP = 24
LABEL_WIDTH = 240
PLOT_WIDTH = 520
# Curves differ in dash pattern as well as colour, and each is named at the end of its line, so
# they can be told apart without colour (WCAG 1.4.1) and without a legend to look up.
GROUP_DASHES = [[1, 0], [8, 4], [2, 3], [8, 3, 2, 3], [12, 3, 3, 3, 3, 3]]
END_LABEL_CHARACTERS = 30
END_LABEL_LINE_PX = 14
END_LABEL_GAP_PX = 6
KM_HEIGHT = 300


def sankey_svg(flows: pd.DataFrame, labels: dict[str, str], title: str, summary: str) -> str:
    """A flow chart of ``flows`` (from_state, to_state, count: numbers only) as an accessible SVG."""
    flows = flows[flows["count"] > 0]
    node_value: dict[str, float] = defaultdict(float)
    incoming: dict[str, float] = defaultdict(float)
    outgoing: dict[str, float] = defaultdict(float)
    for row in flows.itertuples():
        outgoing[row.from_state] += row.count
        incoming[row.to_state] += row.count
    for state in set(incoming) | set(outgoing):
        node_value[state] = max(incoming[state], outgoing[state])
    columns: dict[int, list[str]] = defaultdict(list)
    for state in COLUMN_OF_STATE:
        if node_value.get(state):
            columns[COLUMN_OF_STATE[state]].append(state)
    usable = HEIGHT - MARGIN_TOP - 20
    largest = max((sum(node_value[s] for s in states) for states in columns.values()), default=0.0)
    most_nodes = max((len(states) for states in columns.values()), default=1)
    scale = (usable - NODE_GAP * (most_nodes - 1)) / largest if largest else 0.0
    left = LABEL_WIDTH + 10
    x_of: dict[int, float] = {0: left, 1: left + PLOT_WIDTH / 2 - NODE_WIDTH / 2, 2: left + PLOT_WIDTH - NODE_WIDTH}
    total_width = left + PLOT_WIDTH + LABEL_WIDTH
    top: dict[str, float] = {}
    for states in columns.values():
        y: float = MARGIN_TOP
        for state in states:
            top[state] = y
            y += node_value[state] * scale + NODE_GAP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="journeys-flow-title journeys-flow-desc" '
        f'focusable="false" width="{total_width:.0f}" height="{HEIGHT}" viewBox="0 0 {total_width:.0f} {HEIGHT}" '
        f'font-family="{html.escape(FONT)}">',
        f'<title id="journeys-flow-title">{html.escape(title)}</title>',
        f'<desc id="journeys-flow-desc">{html.escape(summary)}</desc>',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{left:.0f}" y="22" font-size="15" font-weight="bold" fill="{BLACK}">{html.escape(title)}</text>',
    ]
    out_offset: dict[str, float] = defaultdict(float)
    in_offset: dict[str, float] = defaultdict(float)
    order = {state: i for i, state in enumerate(COLUMN_OF_STATE)}
    for row in sorted(flows.itertuples(), key=lambda r: (order[r.from_state], order[r.to_state])):
        band = row.count * scale
        x0 = x_of[COLUMN_OF_STATE[row.from_state]] + NODE_WIDTH
        x1 = x_of[COLUMN_OF_STATE[row.to_state]]
        y0 = top[row.from_state] + out_offset[row.from_state]
        y1 = top[row.to_state] + in_offset[row.to_state]
        out_offset[row.from_state] += band
        in_offset[row.to_state] += band
        middle = (x0 + x1) / 2
        parts.append(
            f'<path d="M{x0:.1f},{y0:.1f} C{middle:.1f},{y0:.1f} {middle:.1f},{y1:.1f} {x1:.1f},{y1:.1f} '
            f"L{x1:.1f},{y1 + band:.1f} C{middle:.1f},{y1 + band:.1f} {middle:.1f},{y0 + band:.1f} "
            f'{x0:.1f},{y0 + band:.1f} Z" fill="{STATE_COLOURS[row.to_state]}" fill-opacity="0.3"/>'
        )
    for state, y in top.items():
        height = max(node_value[state] * scale, 1.0)
        x = x_of[COLUMN_OF_STATE[state]]
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{NODE_WIDTH}" height="{height:.1f}" fill="{STATE_COLOURS[state]}"/>'
        )
        label = html.escape(f"{labels.get(state, state)}: {node_value[state]:,.0f}")
        column = COLUMN_OF_STATE[state]
        if column == 2:  # beside the node, on the right
            parts.append(
                f'<text x="{x + NODE_WIDTH + 6:.1f}" y="{y + height / 2 + 4:.1f}" font-size="12" fill="{BLACK}">{label}</text>'
            )
        elif column == 0:  # on the left, the count on a second line
            name, count = html.escape(labels.get(state, state)), f"{node_value[state]:,.0f}"
            parts.append(
                f'<text x="{x - 6:.1f}" y="{y + height / 2 - 2:.1f}" font-size="12" text-anchor="end" fill="{BLACK}">'
                f'{name}<tspan x="{x - 6:.1f}" dy="15">{count}</tspan></text>'
            )
        else:  # above the node
            parts.append(
                f'<text x="{x + NODE_WIDTH / 2:.1f}" y="{y - 5:.1f}" font-size="12" text-anchor="middle" '
                f'fill="{BLACK}">{label}</text>'
            )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def end_labels(frame: pd.DataFrame, x: str, y: str, domain: tuple[float, float], height: float) -> pd.DataFrame:
    """One row per ``group`` of ``frame`` at the end of its line: its name, wrapped, at ``x`` and
    ``label_y`` (the top of the name, so that a wrapped name is centred on the end), moved apart
    where names would overlap (``domain`` and ``height`` turn ``y``'s units into pixels)."""
    bottom, top = domain
    pixels_per_unit = height / (top - bottom)
    ends = frame.sort_values(x).groupby("group", sort=False).tail(1).sort_values(y, ascending=False)
    rows: list[dict] = []
    lowest_edge = 0.0  # pixels from the top of the plot to the bottom of the last name placed
    for end in ends.to_dict("records"):
        text = "\n".join(textwrap.wrap(str(end["group"]), END_LABEL_CHARACTERS))
        half = (text.count("\n") + 1) * END_LABEL_LINE_PX / 2
        gap = END_LABEL_GAP_PX if rows else 0.0
        centre = max((top - end[y]) * pixels_per_unit, lowest_edge + gap + half)
        lowest_edge = centre + half
        rows.append({"group": end["group"], x: end[x], "label": text, "top_edge": centre - half})
    overflow = max(lowest_edge - height, 0.0)  # lift them all rather than write over the axis
    for row in rows:
        row["label_y"] = top - (row.pop("top_edge") - overflow) / pixels_per_unit
    return pd.DataFrame(rows, columns=["group", x, "label", "label_y"])


def end_label_layer(labels: pd.DataFrame, x: alt.X, y_title: str) -> alt.Chart:
    """The text layer of :func:`end_labels`: black (legible on white), just right of each end."""
    import altair as alt

    return (
        alt.Chart(labels)
        .mark_text(
            align="left",
            baseline="top",
            dx=6,
            fontSize=12,
            lineHeight=END_LABEL_LINE_PX,
            lineBreak="\n",
            color=BLACK,
        )
        .encode(x=x, y=alt.Y("label_y:Q", title=y_title), text="label:N")
    )


def km_svg(points: pd.DataFrame, analysis: str, outcome: str, title: str, summary: str, chart_id: str) -> str:
    """Kaplan-Meier curves (share with the event, %, with its 95% band) by closure group, each
    group with its own colour and dash pattern and its name at the end of its line."""
    frame = points[(points["analysis"] == analysis) & (points["outcome"] == outcome)].copy()
    for column in ("cumulative_incidence", "ci_lower", "ci_upper"):
        frame[column] = frame[column].astype(float) * 100
    frame["group"] = frame["group"].map(lambda code: GROUP_LABELS.get(code, code.replace("_", " ").capitalize()))
    if "segment" not in frame:
        frame["segment"] = 0
    import altair as alt

    highest = float(frame["ci_upper"].max()) if len(frame) else 0.0
    domain = (0.0, min(100.0, max(5.0, 5 * math.ceil(highest / 5))))  # fixed, to place the names
    y_title = "Children with the event (%)"
    groups = sorted(frame["group"].unique())
    colours = [BLUE, RED, GREEN, PURPLE, BROWN, GREY, BLACK]
    colour = alt.Color("group:N", scale=alt.Scale(domain=groups, range=colours), legend=None)
    dash = alt.StrokeDash("group:N", scale=alt.Scale(domain=groups, range=GROUP_DASHES), legend=None)
    x = alt.X("day:Q", title="Days since closure", scale=alt.Scale(domain=[0, 730]))
    y = alt.Y("cumulative_incidence:Q", title=y_title, scale=alt.Scale(domain=list(domain), nice=False))
    base = alt.Chart(frame)
    chart = alt.layer(
        base.mark_area(opacity=0.15, interpolate="step-after").encode(
            x=x, y=alt.Y("ci_lower:Q", title=y_title), y2="ci_upper:Q", color=colour, detail="segment:N"
        ),
        base.mark_line(interpolate="step-after", strokeWidth=2).encode(
            x=x, y=y, color=colour, strokeDash=dash, detail="segment:N"
        ),
        end_label_layer(end_labels(frame, "day", "cumulative_incidence", domain, KM_HEIGHT), x, y_title),
    ).properties(width=480, height=KM_HEIGHT, title=alt.TitleParams(title, anchor="start"))
    spec = chart.configure(font=FONT, background="white").to_dict()
    return to_svg(spec, chart_id, title, summary)
