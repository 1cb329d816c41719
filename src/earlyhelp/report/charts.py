"""The report's charts: each one a title, a plain-English description, a Vega-Lite chart rendered
to SVG at build time, the same data as an accessible table, and notes.

Every chart is built from published rows only. A table cell that shows a published figure keeps a
reference to the row and field it came from (``Cell.source``), so the page can say where each
number came from and the tests can check every one against ``indicators_published.csv``.
Charts plot only numeric published values; symbols (``c``, ``x``, ...) appear in the tables and
are counted in the notes.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from earlyhelp.publish import LOCAL, SOURCE_PUBLISHED, TOTAL, chart_notice
from earlyhelp.report import funnel as funnel_limits
from earlyhelp.report.catalogue import (
    OUTCOME_HEADINGS,
    change,
    format_number,
    indicator,
    unit_suffix,
)
from earlyhelp.report.published import (
    Area,
    Figure,
    Published,
    as_number,
)
from earlyhelp.spec.periods import label as period_label

# GOV.UK palette colours that keep 3:1 contrast with white (WCAG 1.4.11 non-text contrast).
BLUE = "#1d70b8"
BLACK = "#0b0c0c"
GREEN = "#00703c"
RED = "#d4351c"
PURPLE = "#4c2c92"
BROWN = "#8f4a00"
GREY = "#505a5f"
MID_GREY = "#6f777b"
# The package's own font (Liberation Sans 2 renamed, SIL OFL 1.1; scripts/derive_report_font.py) so that
# text is measured the same on every machine: the layout used to change with the machine's fonts. It
# matches Arial metric for metric, which a reader's browser uses when it lacks the font.
FONT = "Earlyhelp Sans, Arial, Helvetica, sans-serif"
FONT_FOLDER = Path(__file__).parent / "fonts"
WIDTH = 760


@dataclass(frozen=True)
class Cell:
    """One table cell. ``source``/``field`` name the published figure it shows, if any."""

    text: str
    source: Figure | None = None
    field: str | None = None
    row_header: bool = False


@dataclass
class DataTable:
    caption: str
    columns: list[str]
    rows: list[list[Cell]]

    @property
    def long(self) -> bool:
        return len(self.rows) > 14


@dataclass
class Chart:
    id: str
    title: str
    description: str
    table: DataTable
    notes: list[str]
    spec: dict | None = None
    svg: str | None = None
    summary: str = ""  # one sentence read out by screen readers for the SVG

    @property
    def drawn(self) -> bool:
        return self.svg is not None


@dataclass
class Headline:
    indicator: str
    label: str
    value: Cell
    period: str
    change_text: str | None
    first_period: str | None
    comparisons: list[tuple[str, Cell]] = field(default_factory=list)


@dataclass
class Context:
    published: Published
    focus: Area
    england: Area
    region: Area | None

    @property
    def is_la(self) -> bool:
        return self.focus.level == LOCAL

    @property
    def comparison_areas(self) -> list[Area]:
        """The focus first, then its region and England (LA report) or England alone."""
        if not self.is_la:
            return [self.england]
        return [a for a in (self.focus, self.region, self.england) if a is not None]

    @property
    def area_name(self) -> str:
        return self.focus.name if self.is_la else "England"


# --- cells ------------------------------------------------------------------------------------
def published_cell(figure: Figure | None, field_name: str = "value") -> Cell:
    if figure is None:
        return Cell("")  # no row published for this combination
    unit = indicator(figure.indicator).unit if field_name == "value" else "count"
    return Cell(format_number(figure.cell(field_name), unit, with_unit=False), figure, field_name)


def header_cell(text: str) -> Cell:
    return Cell(text, row_header=True)


def _symbols_note(
    symbols: dict[str, str], figures: Sequence[Figure | None], fields: tuple[str, ...] = ("value",)
) -> list[str]:
    """Say how many figures in this chart's data are symbols rather than numbers, and why
    (``symbols``: each symbol's meaning at the threshold the figures were published at)."""
    counts: dict[str, int] = {}
    for figure in figures:
        if figure is None:
            continue
        for name in fields:
            text = figure.cell(name)
            if text in symbols:
                counts[text] = counts.get(text, 0) + 1
    notes = []
    for symbol, count in sorted(counts.items()):
        plural = "figure is" if count == 1 else "figures are"
        notes.append(f"{count} {plural} in this table shown as {symbol}: {symbols[symbol]}. Symbols are never plotted.")
    return notes


# --- rendering --------------------------------------------------------------------------------
def _style(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return (
        chart.configure(font=FONT, aria=False, background="white")
        .configure_axis(
            labelColor=BLACK,
            titleColor=BLACK,
            labelFontSize=13,
            titleFontSize=14,
            gridColor="#dfe1e2",
            domainColor=GREY,
            tickColor=GREY,
            titleFontWeight="bold",
        )
        .configure_legend(
            labelColor=BLACK,
            titleColor=BLACK,
            labelFontSize=13,
            titleFontSize=14,
            orient="bottom",
            direction="horizontal",
            columns=3,
            labelLimit=260,
        )
        .configure_view(stroke=None)
    )


@functools.cache
def _vl_convert() -> Any:
    import vl_convert

    vl_convert.register_font_directory(str(FONT_FOLDER))
    return vl_convert


def to_svg(spec: dict, chart_id: str, title: str, summary: str) -> str:
    """Vega-Lite -> SVG, offline, as one accessible image with its own title and description."""
    svg = _vl_convert().vegalite_to_svg(spec)
    # The SVG is one image to assistive technology: drop Vega's inner roles and labels.
    svg = re.sub(r'\s(?:role|aria-[a-z]+)="[^"]*"', "", svg)
    title_id, desc_id = f"{chart_id}-svg-title", f"{chart_id}-svg-desc"
    svg = svg.replace(
        "<svg ",
        f'<svg role="img" aria-labelledby="{title_id} {desc_id}" focusable="false" ',
        1,
    )
    opening_end = svg.index(">") + 1
    svg = (
        svg[:opening_end]
        + f'<title id="{title_id}">{html.escape(title)}</title>'
        + f'<desc id="{desc_id}">{html.escape(summary)}</desc>'
        + svg[opening_end:]
    )
    return svg


# The PNG beside each SVG is drawn at twice the SVG's size, so it stays sharp in a board paper.
PNG_SCALE = 2


def to_png(svg: str) -> bytes:
    """A chart's SVG as PNG (same picture, same package font, ``PNG_SCALE`` times the size)."""
    return bytes(_vl_convert().svg_to_png(svg, scale=PNG_SCALE))


def _series_colours(ctx: Context) -> tuple[list[str], list[str], list[list[int]]]:
    names = [a.name for a in ctx.comparison_areas]
    colours = [BLUE, GREEN, BLACK][: len(names)] if ctx.is_la else [BLUE]
    dashes = [[1, 0], [6, 3], [2, 2]][: len(names)]
    return names, colours, dashes


def _period_axis(title: str = "Year") -> alt.X:
    return alt.X("period:O", title=title, axis=alt.Axis(labelAngle=0))


def _line_with_points(base: alt.Chart, frame: pd.DataFrame, stroke_width: float) -> list[alt.Chart]:
    """A line per series over ``frame`` and a point on each published figure. Symbols stay in the
    frame as None so that a line breaks rather than bridging a suppressed year; the points are
    drawn only where there is a number."""
    return [
        base.mark_line(strokeWidth=stroke_width, invalid="break-paths-filter-domains"),
        base.properties(data=frame[frame["value"].notna()]).mark_point(filled=True, size=80),
    ]


# --- the charts -------------------------------------------------------------------------------
def _over_time(ctx: Context, name: str, chart_id: str, title: str, description: str, extra_notes: list[str]) -> Chart:
    meta = indicator(name)
    areas = ctx.comparison_areas
    series = {area.key: {row.time_period: row for row in ctx.published.series(name, area)} for area in areas}
    periods = sorted({p for rows in series.values() for p in rows})
    records, figures = [], []
    rows: list[list[Cell]] = []
    for period in periods:
        row_cells = [header_cell(period_label(period))]
        for area in areas:
            figure = series[area.key].get(period)
            figures.append(figure)
            row_cells.append(published_cell(figure))
            if figure is not None:  # a symbol stays in as a gap: lines break, never bridge it
                records.append(
                    {
                        "period": period_label(period),
                        "area": area.name,
                        "value": figure.number(),
                        "shown": format_number(figure.value, meta.unit),
                    }
                )
        rows.append(row_cells)
    table = DataTable(
        caption=f"{meta.label}{unit_suffix(meta.unit)} by year",
        columns=["Year", *[a.name for a in areas]],
        rows=rows,
    )
    notes = [
        meta.definition,
        *extra_notes,
        *_symbols_note(ctx.published.symbols, figures),
        *published_source_note(figures),
        chart_notice(ctx.published.threshold),
    ]
    chart = Chart(chart_id, title, description, table, notes)
    if any(r["value"] is not None for r in records):
        names, colours, dashes = _series_colours(ctx)
        # Draw England first and the focus LA last, so the LA's line is on top where they meet.
        frame = pd.DataFrame(records[::-1] if ctx.is_la else records)
        numeric = frame[frame["value"].notna()]
        base = alt.Chart(frame).encode(
            x=_period_axis(),
            y=alt.Y("value:Q", title=f"{meta.label}{unit_suffix(meta.unit)}", scale=alt.Scale(zero=True)),
            color=alt.Color(
                "area:N",
                title="Area",
                scale=alt.Scale(domain=names, range=colours),
                legend=alt.Legend() if ctx.is_la else None,
            ),
            strokeDash=alt.StrokeDash("area:N", scale=alt.Scale(domain=names, range=dashes), legend=None),
        )
        layers = _line_with_points(base, frame, stroke_width=3)
        if not ctx.is_la:  # one series: label every point (several series would overlap)
            layers.append(
                alt.Chart(numeric)
                .mark_text(dy=-14, fontSize=13, color=BLACK)
                .encode(x=_period_axis(), y="value:Q", text="shown:N")
            )
        layered = alt.layer(*layers).properties(width=WIDTH, height=320)
        last = [r for r in records if r["area"] == areas[0].name and r["value"] is not None]
        summary = f"Line chart of {meta.label.lower()} by year for {', '.join(a.name for a in areas)}." + (
            f" {areas[0].name}: {last[0]['shown']} in {last[0]['period']}, {last[-1]['shown']} in {last[-1]['period']}."
            if last
            else ""
        )
        chart.spec = _style(layered).to_dict()
        chart.summary = summary
    return chart


def published_source_note(figures: Sequence[Figure | None]) -> list[str]:
    """Which figures are DfE's published statistics standing in for England or a region."""
    stand_ins = [f for f in figures if f is not None and f.source == SOURCE_PUBLISHED]
    if not stand_ins:
        return []
    areas = sorted({f.area.name for f in stand_ins})
    years = sorted({f.time_period for f in stand_ins})
    return [
        f"{' and '.join(areas)}: DfE's published figures for {period_label(years[0])}"
        + (f" to {period_label(years[-1])}" if len(years) > 1 else "")
        + ", because the returns do not cover every LA of the area (DfE, Characteristics of children in need)."
    ]


def _social_care_over_time(ctx: Context, name: str, chart_id: str, title: str, what: str) -> Chart:
    where = f"in {ctx.area_name}" + (", its region and England." if ctx.is_la else ".")
    return _over_time(ctx, name, chart_id, title, f"{what} {where}", [])


def need_over_time(ctx: Context) -> Chart:
    return _social_care_over_time(
        ctx,
        "cin_rate_per_10k",
        "need-over-time",
        "Children in need over time",
        "Children in need of social care at any point in each year per 10,000 children aged 0 to 17,",
    )


def re_referrals_over_time(ctx: Context) -> Chart:
    return _social_care_over_time(
        ctx,
        "re_referral_pct",
        "re-referrals-over-time",
        "Re-referrals over time",
        "The percentage of referrals to social care made within 12 months of a previous referral of the child,",
    )


def second_plans_over_time(ctx: Context) -> Chart:
    return _social_care_over_time(
        ctx,
        "cp_second_plan_pct",
        "second-plans-over-time",
        "Second or later child protection plans over time",
        "The percentage of child protection plans started in the year for a child who had had a plan before,",
    )


def reach_over_time(ctx: Context) -> Chart:
    return _over_time(
        ctx,
        "eh_reach_pct",
        "reach-over-time",
        "Early help reach over time",
        f"The percentage of all children aged 0 to 17 who had early help at some point in each year, "
        f"in {ctx.area_name}" + (", its region and England." if ctx.is_la else "."),
        [
            "Action for Children estimated 3.1% of children in England had targeted early help in 2015-16 "
            "and 4.3% in 2019-20."
        ],
    )


def prevention_ratio_over_time(ctx: Context) -> Chart:
    return _over_time(
        ctx,
        "prevention_ratio",
        "prevention-ratio-over-time",
        "Prevention ratio over time",
        "How many children had early help for every one child in need of social care during the year. "
        "A ratio of 1 would mean as many children helped early as helped by social care.",
        [
            "Action for Children put England's ratio in 2019-20 at about two in early help for every "
            "three children in need (0.67)."
        ],
    )


def _funnel(
    ctx: Context,
    name: str,
    chart_id: str,
    title: str,
    denominator_label: str,
    model: funnel_limits.Model,
    scale: float,
    description: str,
) -> Chart:
    meta = indicator(name)
    published = ctx.published
    periods = [
        p
        for p in published.periods_with_value(name, ctx.england)
        if any(r.number() is not None for r in published.at_level(name, LOCAL, p))
    ]
    notes = [
        meta.definition,
        "Each dot is one local authority. The solid line is England's figure. If every LA had "
        "England's underlying rate, about 95 in 100 LAs would fall inside the inner (dashed) funnel "
        "and 998 in 1,000 inside the outer (dotted) one by chance alone; LAs outside the outer "
        "funnel differ from England by more than chance explains.",
        (
            "Limits use the binomial distribution (a share of all children)."
            if model == "binomial"
            else "Limits treat the early help count as Poisson (the ratio can exceed 1)."
        ),
    ]
    if not periods:
        table = DataTable(f"{meta.label} by local authority", ["Local authority"], [])
        return Chart(
            chart_id, title, description, table, notes + ["No year has published figures for both England and LAs."]
        )
    period = periods[-1]
    england_row = published.get(name, ctx.england, period)
    target = england_row.number() if england_row else None
    las = sorted(published.at_level(name, LOCAL, period), key=lambda r: r.area.name)
    plotted = [r for r in las if r.number() is not None and (as_number(r.denominator) or 0) > 0]
    rows: list[list[Cell]] = []
    records: list[dict[str, Any]] = []
    focus_where = ""
    for row in las:
        value, size = row.number(), as_number(row.denominator)
        where = ""
        if value is not None and size and target is not None:
            where = funnel_limits.position(value, funnel_limits.limits(target, size, model, scale=scale))
        rows.append([header_cell(row.area.name), published_cell(row, "denominator"), published_cell(row), Cell(where)])
        if ctx.is_la and row.area.code == ctx.focus.code:
            focus_where = where
    for row in plotted:
        records.append(
            {
                "la": row.area.name,
                "n": as_number(row.denominator),
                "value": row.number(),
                "focus": "Selected LA" if ctx.is_la and row.area.code == ctx.focus.code else "Other LAs",
            }
        )
    table = DataTable(
        caption=f"{meta.label}{unit_suffix(meta.unit)} by local authority, {period_label(period)}, "
        f"with England at {england_row.value if england_row else 'not published'}",
        columns=[
            "Local authority",
            denominator_label,
            f"{meta.label}{unit_suffix(meta.unit)}",
            "Against England's control limits",
        ],
        rows=rows,
    )
    notes += _symbols_note(ctx.published.symbols, las, ("value", "denominator"))
    notes.append(chart_notice(ctx.published.threshold))
    chart = Chart(chart_id, f"{title}, {period_label(period)}", description, table, notes)
    if england_row is None or target is None or not plotted:
        return chart
    sizes = [r["n"] for r in records]
    grid = funnel_limits.funnel(target, min(sizes), max(sizes), model, scale=scale)
    limit_frame = pd.DataFrame(
        [
            {"n": g.denominator, "limit": label, "bound": bound, "value": getattr(g, attr)}
            for g in grid
            for label, bound, attr in (
                ("95% limits", "lower", "lower_95"),
                ("95% limits", "upper", "upper_95"),
                ("99.8% limits", "lower", "lower_998"),
                ("99.8% limits", "upper", "upper_998"),
            )
        ]
    )
    x = alt.X("n:Q", title=denominator_label, scale=alt.Scale(type="log", nice=False), axis=alt.Axis(format="~s"))
    y_title = f"{meta.label}{unit_suffix(meta.unit)}"
    limit_lines = (
        alt.Chart(limit_frame)
        .mark_line(color=GREY, strokeWidth=1.5)
        .encode(
            x=x,
            y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)),
            strokeDash=alt.StrokeDash(
                "limit:N",
                title="Control limits",
                scale=alt.Scale(domain=["95% limits", "99.8% limits"], range=[[6, 3], [2, 2]]),
            ),
            detail="bound:N",
        )
    )
    england_frame = pd.DataFrame(
        {"value": [target], "label": [f"England {format_number(england_row.value, meta.unit)}"]}
    )
    england_line = alt.Chart(england_frame).mark_rule(color=BLACK, strokeWidth=2).encode(y="value:Q")
    england_label = (
        alt.Chart(england_frame)
        .mark_text(
            align="left",
            baseline="bottom",
            dy=-4,
            fontSize=13,
            fontWeight="bold",
            color=BLACK,
        )
        .encode(y="value:Q", x=alt.value(4), text="label:N")
    )
    dots = (
        alt.Chart(pd.DataFrame(records))
        .mark_circle(size=90, opacity=0.85, stroke="white", strokeWidth=0.5)
        .encode(
            x=x,
            y=alt.Y("value:Q"),
            color=alt.Color(
                "focus:N",
                title="Local authorities",
                scale=alt.Scale(domain=["Other LAs", "Selected LA"], range=[BLUE, RED]),
                legend=alt.Legend() if ctx.is_la else None,
            ),
            size=alt.Size(
                "focus:N", scale=alt.Scale(domain=["Other LAs", "Selected LA"], range=[90, 220]), legend=None
            ),
        )
    )
    layers = [limit_lines, england_line, england_label, dots]
    selected = [r for r in records if r["focus"] == "Selected LA"]
    if selected:
        layers.append(
            alt.Chart(pd.DataFrame(selected))
            .mark_text(dx=10, align="left", fontWeight="bold", color=BLACK)
            .encode(x=x, y="value:Q", text="la:N")
        )
    layered = alt.layer(*layers).properties(width=WIDTH, height=340)
    outside = sum(1 for r in rows if r[3].text.startswith(("Above the 99.8", "Below the 99.8")))
    chart.spec = _style(layered).to_dict()
    chart.summary = (
        f"Funnel plot of {meta.label.lower()} for {len(records)} local authorities in "
        f"{period_label(period)} against England's {format_number(england_row.value, meta.unit)}; "
        f"{outside} lie outside the 99.8% control limits."
    )
    if ctx.is_la:
        chart.summary += (
            f" {ctx.focus.name}: {focus_where.lower()}."
            if focus_where
            else f" {ctx.focus.name} is not plotted because its figure is not published."
        )
    return chart


def reach_funnel(ctx: Context) -> Chart:
    return _funnel(
        ctx,
        "eh_reach_pct",
        "reach-funnel",
        "How far LAs differ in early help reach",
        "Children aged 0 to 17",
        "binomial",
        100.0,
        "Every local authority's early help reach against its child population, with the range "
        "that chance alone would produce around England's figure.",
    )


def prevention_ratio_funnel(ctx: Context) -> Chart:
    return _funnel(
        ctx,
        "prevention_ratio",
        "prevention-ratio-funnel",
        "How far LAs differ in the prevention ratio",
        "Children in need",
        "poisson",
        1.0,
        "Every local authority's prevention ratio against its number of children in need, with the "
        "range that chance alone would produce around England's ratio.",
    )


def _columns_by_year(
    ctx: Context, names: list[str], area: Area
) -> tuple[list[str], list[list[Cell]], dict[str, dict[str, Figure]]]:
    by_name = {n: {r.time_period: r for r in ctx.published.series(n, area)} for n in names}
    periods = sorted({p for rows in by_name.values() for p in rows})
    rows = [[header_cell(period_label(p)), *[published_cell(by_name[n].get(p)) for n in names]] for p in periods]
    return periods, rows, by_name


def missed_step_down(ctx: Context) -> Chart:
    names = ["closed_after_assessment", "step_down_pct", "missed_step_down", "missed_step_down_pct"]
    periods, rows, by_name = _columns_by_year(ctx, names, ctx.focus)
    figures = [by_name[n].get(p) for n in names for p in periods]
    meta = indicator("missed_step_down")
    table = DataTable(
        caption=f"Cases closed after assessment and missed step-down opportunities, {ctx.area_name}",
        columns=["Year", *[f"{indicator(n).label}{unit_suffix(indicator(n).unit)}" for n in names]],
        rows=rows,
    )
    notes = [
        meta.definition,
        indicator("step_down_pct").definition,
        "Action for Children estimated about 64,000 children a year in England were re-referred "
        "within 12 months after an assessment closed with no early help (2015-16 to 2019-20).",
        "The latest years show x until 12 months of follow-up have passed by the data's extract date.",
        *_symbols_note(ctx.published.symbols, figures),
        chart_notice(ctx.published.threshold),
    ]
    chart = Chart(
        "missed-step-down",
        "Missed step-down opportunities",
        f"Children whose case was closed after a social care assessment without early help and "
        f"who were referred again within 12 months, in {ctx.area_name}.",
        table,
        notes,
    )
    records = [
        {
            "period": period_label(p),
            "value": by_name["missed_step_down"][p].number(),
            "shown": format_number(by_name["missed_step_down"][p].value, "count"),
        }
        for p in periods
        if p in by_name["missed_step_down"] and by_name["missed_step_down"][p].number() is not None
    ]
    if records:
        base = alt.Chart(pd.DataFrame(records)).encode(
            x=_period_axis(), y=alt.Y("value:Q", title="Missed step-down opportunities")
        )
        layered = alt.layer(
            base.mark_bar(color=BLUE, width={"band": 0.7}),
            base.mark_text(dy=-8, color=BLACK, fontSize=13).encode(text="shown:N"),
        ).properties(width=WIDTH, height=280)
        chart.spec = _style(layered).to_dict()
        chart.summary = (
            f"Bar chart of missed step-down opportunities by year in {ctx.area_name}: "
            f"{records[-1]['shown']} in {records[-1]['period']}."
        )
    return chart


def after_early_help(ctx: Context) -> Chart:
    measures = ["eh_outcomes_achieved_pct", "eh_step_up_pct", "eh_escalation_pct", "eh_re_entry_pct"]
    names = ["eh_closed", *measures]
    periods, rows, by_name = _columns_by_year(ctx, names, ctx.focus)
    figures = [by_name[n].get(p) for n in names for p in periods]
    table = DataTable(
        caption=f"What happened after early help episodes closed, {ctx.area_name}",
        columns=["Year", *[f"{indicator(n).label}{unit_suffix(indicator(n).unit)}" for n in names]],
        rows=rows,
    )
    notes = [f"{indicator(n).label}: {indicator(n).definition}" for n in names]
    notes += [
        "Escalation and re-entry need 12 months of follow-up after the episode closed, so the "
        "latest years show x until that time has passed.",
        *_symbols_note(ctx.published.symbols, figures),
        chart_notice(ctx.published.threshold),
    ]
    chart = Chart(
        "after-early-help",
        "What happens after early help",
        f"Of early help episodes that closed each year in {ctx.area_name}: how many ended with the "
        f"family's outcomes achieved, how many stepped up to social care, and how many children "
        f"escalated to social care or came back to early help within a year.",
        table,
        notes,
    )
    labels = [indicator(n).label for n in measures]
    # Symbols stay in as gaps so that a line breaks rather than bridging a suppressed year.
    records = [
        {"period": period_label(p), "measure": indicator(n).label, "value": by_name[n][p].number()}
        for n in measures
        for p in periods
        if p in by_name[n]
    ]
    if any(r["value"] is not None for r in records):
        frame = pd.DataFrame(records)
        base = alt.Chart(frame).encode(
            x=_period_axis(),
            y=alt.Y("value:Q", title="Closed episodes (%)", scale=alt.Scale(zero=True)),
            color=alt.Color(
                "measure:N", title="Measure", scale=alt.Scale(domain=labels, range=[GREEN, RED, PURPLE, BROWN])
            ),
            shape=alt.Shape(
                "measure:N", scale=alt.Scale(domain=labels, range=["circle", "square", "triangle-up", "diamond"])
            ),
        )
        layered = alt.layer(*_line_with_points(base, frame, stroke_width=2.5)).properties(width=WIDTH, height=300)
        chart.spec = _style(layered).to_dict()
        chart.summary = (
            f"Line chart of four outcomes of closed early help episodes by year in "
            f"{ctx.area_name}: {', '.join(label.lower() for label in labels)}."
        )
    return chart


def family_goals(ctx: Context) -> Chart:
    name = "family_goals_met_pct"
    meta = indicator(name)
    published = ctx.published
    periods = [
        p for p in published.periods if any(r.number() is not None for r in published.breakdowns(name, ctx.focus, p))
    ]
    notes = [
        meta.definition,
        "Goals are grouped under the ten Supporting Families headline outcomes.",
        "A heading with few goals can be suppressed (c); when only one heading would be suppressed, "
        "the next smallest is suppressed as well so that it cannot be worked out from the total.",
    ]
    compare = ctx.is_la
    title = "Family goals met by outcome heading"
    description = (
        f"Of the goals agreed with families whose early help closed in the year, the percentage "
        f"the family met, by headline outcome, in {ctx.area_name}"
        + (" with England for comparison." if compare else ".")
    )
    if not periods:
        table = DataTable("Family goals met by outcome heading", ["Outcome heading"], [])
        return Chart("family-goals", title, description, table, notes + ["No published figures."])
    period = periods[-1]
    rows_here = sorted(published.breakdowns(name, ctx.focus, period), key=lambda r: r.breakdown)
    total = published.get(name, ctx.focus, period)
    rows: list[list[Cell]] = []
    records: list[dict[str, Any]] = []
    figures: list[Figure | None] = []
    for row in rows_here + ([total] if total else []):
        heading = row.breakdown.split(":", 1)[-1]
        label = "All goals" if row.breakdown == TOTAL else OUTCOME_HEADINGS.get(heading, heading)
        england = published.get(name, ctx.england, period, row.breakdown) if compare else None
        figures += [row, england]
        cells = [header_cell(label), published_cell(row, "denominator"), published_cell(row)]
        if compare:
            cells.append(published_cell(england))
        rows.append(cells)
        if row.breakdown != TOTAL and row.number() is not None:
            records.append(
                {
                    "heading": label,
                    "value": row.number(),
                    "area": ctx.area_name,
                    "shown": format_number(row.value, "pct"),
                }
            )
            if england is not None and england.number() is not None:
                records.append(
                    {
                        "heading": label,
                        "value": england.number(),
                        "area": "England",
                        "shown": format_number(england.value, "pct"),
                    }
                )
    columns = ["Outcome heading", "Goals with a status", f"Met in {ctx.area_name} (%)"]
    if compare:
        columns.append("Met in England (%)")
    table = DataTable(f"Family goals met by outcome heading, {ctx.area_name}, {period_label(period)}", columns, rows)
    notes += _symbols_note(ctx.published.symbols, figures, ("value", "denominator")) + [
        chart_notice(ctx.published.threshold)
    ]
    chart = Chart("family-goals", f"{title}, {period_label(period)}", description, table, notes)
    if records:
        frame = pd.DataFrame(records)
        order = [
            r["heading"] for r in sorted((r for r in records if r["area"] == ctx.area_name), key=lambda r: -r["value"])
        ]
        y = alt.Y("heading:N", title=None, sort=order, axis=alt.Axis(labelLimit=330))
        x = alt.X("value:Q", title="Goals met (%)", scale=alt.Scale(domain=[0, 100]))
        bars = alt.Chart(frame[frame["area"] == ctx.area_name]).encode(x=x, y=y)
        layers = [
            bars.mark_bar(color=BLUE, height={"band": 0.7}),
            bars.mark_text(align="left", dx=4, color=BLACK, fontSize=13).encode(text="shown:N"),
        ]
        if compare and (frame["area"] == "England").any():
            layers.append(
                alt.Chart(frame[frame["area"] == "England"])
                .mark_tick(color=BLACK, thickness=3, size=22)
                .encode(x=x, y=y)
            )
        layered = alt.layer(*layers).properties(width=WIDTH - 200, height=alt.Step(30))
        chart.spec = _style(layered).to_dict()
        chart.summary = (
            f"Bar chart of the percentage of family goals met in {period_label(period)} for "
            f"{len(order)} outcome headings in {ctx.area_name}" + ("; black ticks mark England." if compare else ".")
        )
    return chart


def spend_by_region(ctx: Context) -> Chart:
    name = "ei_spend_per_child_real"
    meta = indicator(name)
    published = ctx.published
    areas = ([ctx.focus] if ctx.is_la else []) + [ctx.england] + published.regions()
    available = sorted({p for a in areas for p in published.periods_with_value(name, a)})
    notes = [
        meta.definition,
        "Spend comes from the section 251 lines marked as early intervention in the data's spend "
        "table, deflated to the latest year's prices. For England's LAs these are DfE and MHCLG "
        "figures; a tidy LA panel for 2010-11 to 2021-22 is published by Webb (2024), doi "
        "10.15131/shef.data.26348359, under the Open Government Licence.",
        "Action for Children and the Children's Services Funding Alliance found early "
        "intervention spend in England fell by about 48% in real terms from 2010-11 to 2019-20.",
    ]
    title = "Early intervention spend per child, by region"
    if not available:
        return Chart(
            "spend-by-region",
            title,
            "Spend per child by region.",
            DataTable("Early intervention spend per child by region", ["Area"], []),
            notes + ["No published figures."],
        )
    first = "201011" if "201011" in available else available[0]
    latest = available[-1]
    rows, records, figures = [], [], []
    for area in areas:
        a, b = published.get(name, area, first), published.get(name, area, latest)
        if a is None and b is None:
            continue
        figures += [a, b]
        moved = change(a.value, b.value, "pounds") if a and b else None
        rows.append([header_cell(area.name), published_cell(a), published_cell(b), Cell(moved or "")])
        for period, row in ((first, a), (latest, b)):
            if row is not None and row.number() is not None:
                records.append(
                    {
                        "area": area.name,
                        "year": period_label(period),
                        "value": row.number(),
                        "shown": format_number(row.value, "pounds"),
                    }
                )
    table = DataTable(
        caption=f"Early intervention spend per child (£, real terms), {period_label(first)} and {period_label(latest)}",
        columns=["Area", f"{period_label(first)} (£)", f"{period_label(latest)} (£)", "Change"],
        rows=rows,
    )
    notes += _symbols_note(ctx.published.symbols, figures) + [chart_notice(ctx.published.threshold)]
    chart = Chart(
        "spend-by-region",
        f"{title}, {period_label(first)} and {period_label(latest)}",
        f"Early intervention spend per child in real terms in {period_label(first)} against "
        f"{period_label(latest)}, for England and each region"
        + (f", with {ctx.focus.name} at the top." if ctx.is_la else "."),
        table,
        notes,
    )
    if records:
        frame = pd.DataFrame(records)
        order = [r[0].text for r in rows]
        years = [period_label(first), period_label(latest)]
        y = alt.Y("area:N", title=None, sort=order, axis=alt.Axis(labelLimit=260))
        x = alt.X(
            "value:Q", title="Spend per child (£, real terms)", scale=alt.Scale(zero=True), axis=alt.Axis(format=",.0f")
        )
        rules = (
            alt.Chart(frame).mark_rule(color=MID_GREY, strokeWidth=2).encode(x="min(value):Q", x2="max(value):Q", y=y)
        )
        dots = (
            alt.Chart(frame)
            .mark_point(filled=True, size=110, opacity=1)
            .encode(
                x=x,
                y=y,
                color=alt.Color("year:N", title="Year", scale=alt.Scale(domain=years, range=[GREY, BLUE])),
                shape=alt.Shape("year:N", scale=alt.Scale(domain=years, range=["circle", "diamond"])),
            )
        )
        layered = alt.layer(rules, dots).properties(width=WIDTH - 160, height=alt.Step(28))
        chart.spec = _style(layered).to_dict()
        chart.summary = (
            f"Dot plot of early intervention spend per child for {len(order)} areas, "
            f"{period_label(first)} against {period_label(latest)}."
        )
    return chart


CHARTS: tuple[Callable[[Context], Chart], ...] = (
    reach_over_time,
    prevention_ratio_over_time,
    reach_funnel,
    prevention_ratio_funnel,
    missed_step_down,
    after_early_help,
    family_goals,
    spend_by_region,
    need_over_time,
    re_referrals_over_time,
    second_plans_over_time,
)

NOT_REPORTED = ("x", "z", "")

HEADLINE_INDICATORS = (
    "eh_reach_pct",
    "prevention_ratio",
    "cin_rate_per_10k",
    "step_down_pct",
    "missed_step_down",
    "eh_outcomes_achieved_pct",
    "family_goals_met_pct",
    "ei_spend_per_child_real",
)


def headlines(ctx: Context) -> tuple[list[Headline], DataTable]:
    """The latest published figure of each headline indicator, and its change since the first year.

    "Latest" is the latest year whose figure is not ``x``/``z`` (so an indicator still waiting
    for its follow-up window shows its last complete year, and a suppressed one shows ``c``);
    "first" is the first year with a number. The change needs numbers at both ends.
    """
    published = ctx.published
    cards: list[Headline] = []
    rows: list[list[Cell]] = []
    for name in HEADLINE_INDICATORS:
        meta = indicator(name)
        series = published.series(name, ctx.focus)
        numeric = [row for row in series if row.number() is not None]
        # The latest year that is not "x" (not yet available): if it is suppressed, the card says
        # c for that year rather than quietly showing an older number.
        reported = [row for row in series if row.value not in NOT_REPORTED]
        if not reported:
            continue
        latest_row = reported[-1]
        latest = latest_row.time_period
        first_row = numeric[0] if numeric and numeric[0].time_period != latest else None
        first = first_row.time_period if first_row else None
        moved = change(first_row.value, latest_row.value, meta.unit) if first_row else None
        comparisons = [
            (area.name, published_cell(published.get(name, area, latest))) for area in ctx.comparison_areas[1:]
        ]
        cards.append(
            Headline(
                name,
                meta.label,
                published_cell(latest_row),
                period_label(latest),
                moved,
                period_label(first) if first else None,
                comparisons,
            )
        )
        rows.append(
            [
                header_cell(f"{meta.label}{unit_suffix(meta.unit)}"),
                Cell(period_label(first) if first else ""),
                published_cell(first_row),
                Cell(period_label(latest)),
                published_cell(latest_row),
                Cell(moved or ""),
                *[cell for _, cell in comparisons],
            ]
        )
    table = DataTable(
        caption=f"Headline figures for {ctx.area_name}: first and latest year with published figures",
        columns=[
            "Indicator",
            "First year",
            "Figure",
            "Latest year",
            "Figure",
            "Change",
            *[f"{area.name}, latest year" for area in ctx.comparison_areas[1:]],
        ],
        rows=rows,
    )
    return cards, table


def build_charts(ctx: Context) -> list[Chart]:
    """Every chart with something to show: one whose indicator has no published row at all (not
    even an x) is left out rather than shown empty."""
    charts = [chart for chart in (make(ctx) for make in CHARTS) if chart.spec is not None or _shows_a_row(chart)]
    for chart in charts:
        if chart.spec is not None:
            chart.svg = to_svg(chart.spec, chart.id, chart.title, chart.summary or chart.description)
    return charts


def _shows_a_row(chart: Chart) -> bool:
    return any(cell.source is not None for row in chart.table.rows for cell in row)


def context_for(published: Published, la: str | None) -> Context:
    england = published.england()
    if la is None:
        return Context(published, england, england, None)
    focus = published.local_authority(la)
    return Context(published, focus, england, published.region_of(focus))


__all__ = [
    "CHARTS",
    "PNG_SCALE",
    "Cell",
    "Chart",
    "Context",
    "DataTable",
    "Headline",
    "build_charts",
    "context_for",
    "headlines",
    "to_png",
]
