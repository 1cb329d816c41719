"""The LA report's comparison with its statistical neighbours' published figures.

For each indicator DfE publishes (:func:`earlyhelp.reference.published_figures`), the LA's own
published figure, its ten statistical neighbours' (:func:`earlyhelp.compare.statistical_neighbours`)
figures as DfE published them for the same year, their median and range, and England's figure,
each labelled with its source and year. Percentages and rates, which can be compared between LAs
of different sizes, are also drawn; counts are only tabled.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

import altair as alt
import pandas as pd

from earlyhelp.errors import UsageError
from earlyhelp.publish import SOURCE_PUBLISHED, Unit
from earlyhelp.report.catalogue import format_number, indicator, unit_suffix
from earlyhelp.report.charts import (
    BLACK,
    BLUE,
    GREY,
    Cell,
    Context,
    DataTable,
    _style,
    header_cell,
    published_cell,
    to_svg,
)
from earlyhelp.report.published import Figure, as_number
from earlyhelp.spec.periods import label as period_label

# The indicators DfE publishes as we define them (docs/compare.md), in the report's order.
COMPARED = (
    "cin_rate_per_10k",
    "re_referral_pct",
    "cp_second_plan_pct",
    "cin_children",
    "referrals",
    "cp_plans_started",
)
DRAWN_UNITS = ("pct", "per_10k")
NEIGHBOURS_SOURCE = "DfE Characteristics of children in need (published LA figures)"
CHART_ID = "neighbours"


@dataclass
class Comparison:
    indicator: str
    period: str
    own: Figure | None
    england: Figure | None
    neighbours: list[tuple[str, str]]  # (neighbour name, DfE's published value), nearest first

    @property
    def neighbour_numbers(self) -> list[float]:
        return [n for _, value in self.neighbours if (n := as_number(value)) is not None]


@dataclass
class NeighboursSection:
    """What the template shows: a chart (None when nothing can be drawn) and two tables."""

    title: str
    description: str
    summary_table: DataTable
    neighbour_table: DataTable
    notes: list[str]
    svg: str | None = None
    summary: str = ""
    comparisons: list[Comparison] = field(default_factory=list)

    @property
    def id(self) -> str:
        return CHART_ID

    @property
    def drawn(self) -> bool:
        return self.svg is not None


def _published_la_figures() -> pd.DataFrame:
    from earlyhelp import reference

    figures = reference.published_figures()
    return figures[figures["geographic_level"] == "Local authority"]


def _choose_period(ctx: Context, name: str, dfe_periods: set[str]) -> str | None:
    """The latest year of the report DfE publishes, preferring one where the LA has a number."""
    candidates = [p for p in ctx.published.periods if p in dfe_periods]
    if not candidates:
        return None
    with_number = [p for p in candidates if (f := ctx.published.get(name, ctx.focus, p)) and f.number() is not None]
    return (with_number or candidates)[-1]


def comparisons(ctx: Context) -> tuple[list[Comparison], pd.DataFrame]:
    from earlyhelp.compare import statistical_neighbours

    neighbours = statistical_neighbours(ctx.focus.code)
    figures = _published_la_figures()
    found = []
    for name in COMPARED:
        mine = figures[figures["indicator"] == name]
        period = _choose_period(ctx, name, {str(p) for p in mine["time_period"].unique()})
        if period is None:
            continue
        year = mine[mine["time_period"] == int(period)]
        values = dict(zip(year["la_code"], year["value"], strict=True))
        found.append(
            Comparison(
                name,
                period,
                ctx.published.get(name, ctx.focus, period),
                ctx.published.get(name, ctx.england, period),
                [(str(n), str(values.get(code, ""))) for n, code in zip(neighbours["la_name"], neighbours["la_code"])],
            )
        )
    return found, neighbours


def _source_words(figure: Figure | None) -> str:
    if figure is None:
        return "no figure"
    return "DfE published" if figure.source == SOURCE_PUBLISHED else "computed from the returns"


def _median_text(comparison: Comparison, unit: Unit) -> tuple[str, str]:
    numbers = comparison.neighbour_numbers
    if not numbers:
        return "", ""
    places = 0 if unit == "count" else 1
    median = f"{statistics.median(numbers):.{places}f}"
    low, high = (f"{v:.{places}f}" for v in (min(numbers), max(numbers)))
    return format_number(median, unit, with_unit=False), (
        f"{format_number(low, unit, with_unit=False)} to {format_number(high, unit, with_unit=False)}"
    )


def _chart(ctx: Context, drawn: list[Comparison]) -> tuple[dict, str] | None:
    panels = []
    described = []
    for comparison in drawn:
        meta = indicator(comparison.indicator)
        records = [{"who": "Neighbours", "value": v, "name": n} for n, v in _numeric(comparison.neighbours)]
        for who, figure in ((ctx.focus.name, comparison.own), ("England", comparison.england)):
            if figure is not None and figure.number() is not None:
                records.append({"who": who, "value": figure.number(), "name": who})
        if not records:
            continue
        domain = ["Neighbours", ctx.focus.name, "England"]
        panel = (
            alt.Chart(pd.DataFrame(records))
            .mark_point(filled=True, size=110, opacity=0.9)
            .encode(
                x=alt.X("value:Q", title=f"{meta.label}{unit_suffix(meta.unit)}", scale=alt.Scale(zero=True)),
                y=alt.Y("who:N", title=None, sort=domain, scale=alt.Scale(domain=domain)),
                color=alt.Color("who:N", scale=alt.Scale(domain=domain, range=[GREY, BLUE, BLACK]), legend=None),
                shape=alt.Shape(
                    "who:N", scale=alt.Scale(domain=domain, range=["circle", "diamond", "square"]), legend=None
                ),
            )
            .properties(width=640, height=110, title=f"{meta.label}, {period_label(comparison.period)}")
        )
        panels.append(panel)
        own = comparison.own.value if comparison.own is not None else "no figure"
        described.append(f"{meta.label} {period_label(comparison.period)}: {ctx.focus.name} {own}")
    if not panels:
        return None
    spec = _style(alt.vconcat(*panels, spacing=24)).to_dict()
    return spec, "Dot plots of " + "; ".join(described) + ", against its ten statistical neighbours and England."


def _numeric(neighbours: list[tuple[str, str]]) -> list[tuple[str, float]]:
    return [(name, number) for name, value in neighbours if (number := as_number(value)) is not None]


def neighbours_section(ctx: Context) -> NeighboursSection | None:
    """The section of an LA report; None for the England report or an LA the package does not know."""
    if not ctx.is_la:
        return None
    try:
        found, neighbours = comparisons(ctx)
    except UsageError:  # an LA the package does not know has no statistical neighbours
        return None
    if not found or neighbours.empty:
        return None
    rows: list[list[Cell]] = []
    for comparison in found:
        meta = indicator(comparison.indicator)
        median, spread = _median_text(comparison, meta.unit)
        rows.append(
            [
                header_cell(f"{meta.label}{unit_suffix(meta.unit)}"),
                Cell(period_label(comparison.period)),
                published_cell(comparison.own),
                Cell(median),
                Cell(spread),
                Cell(f"{len(comparison.neighbour_numbers)} of {len(comparison.neighbours)}"),
                published_cell(comparison.england),
                Cell(_source_words(comparison.england)),
            ]
        )
    summary = DataTable(
        caption=f"{ctx.focus.name} against its statistical neighbours and England, latest year DfE publishes",
        columns=[
            "Indicator",
            "Year",
            ctx.focus.name,
            "Neighbours' median",
            "Neighbours' range",
            "Neighbours with a figure",
            "England",
            "England's source",
        ],
        rows=rows,
    )
    per_neighbour = DataTable(
        caption=f"Each statistical neighbour's figures as DfE published them ({NEIGHBOURS_SOURCE})",
        columns=["Neighbour", *[f"{indicator(c.indicator).label}, {period_label(c.period)}" for c in found]],
        rows=[
            [
                header_cell(f"{rank}. {name}"),
                *[Cell(format_number(c.neighbours[i][1], indicator(c.indicator).unit, with_unit=False)) for c in found],
            ]
            for i, (rank, name) in enumerate(zip(neighbours["rank"], neighbours["la_name"], strict=True))
        ],
    )
    notes = [
        f"{ctx.focus.name}'s figures are its own published figures (computed from its returns, disclosure-controlled); "
        f"its neighbours' are as DfE published them ({NEIGHBOURS_SOURCE}, Open Government Licence v3.0), "
        "where c is DfE's suppression and x not available.",
        "England's figure is computed from the returns only when they cover every LA; otherwise it is DfE's "
        "published figure, as the England's source column says.",
        "Statistical neighbours: the ten LAs most like this one in deprivation, child poverty, population, "
        "ethnicity and children in need and care rates before the period (see docs/compare.md).",
        "Counts are not drawn: LAs differ in size, so only percentages and rates are compared in the chart.",
    ]
    section = NeighboursSection(
        f"{ctx.focus.name} and its statistical neighbours",
        f"How {ctx.focus.name} compares with the ten LAs most like it, and with England, on the children in need "
        "figures DfE publishes for every LA.",
        summary,
        per_neighbour,
        notes,
        comparisons=found,
    )
    drawn = _chart(ctx, [c for c in found if indicator(c.indicator).unit in DRAWN_UNITS])
    if drawn is not None:
        spec, summary_text = drawn
        section.svg = to_svg(spec, CHART_ID, section.title, summary_text)
        section.summary = summary_text
    return section
