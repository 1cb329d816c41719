"""The funding section, from the files `earlyhelp fund --out DIR` writes: the headline figures beside
the published ones with their method and source, and two ranked, map-free charts with a row per LA:
the real-terms change in early intervention spend per child, and the grant allocation against
current spend."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd

from earlyhelp.report.analyses.common import (
    AnalysisSection,
    drawn,
    fixed,
    header,
    la_names,
    number,
    optional_table,
    pounds,
    read_table,
    table,
    text_cell,
)
from earlyhelp.report.charts import BLACK, BLUE, GREY, RED, WIDTH, Chart, DataTable, _style

COMMAND = "fund"
SUMMARY_COLUMNS = ("measure", "value", "unit", "published_value", "source", "method")
ALLOCATION_COLUMNS = ("la_code", "share", "amount", "current_spend", "change")
RESTORE_COLUMNS = ("la_code", "ei_real_per_child_201011", "children_0_17_2019", "ei_spend_real_201920")
MEASURE_LABELS = {
    "ei_spend_real_201011_pounds": "Early intervention spend in England, 2010-11 (2019-20 prices)",
    "ei_spend_real_201920_pounds": "Early intervention spend in England, 2019-20",
    "ei_real_change_pct_201011_201920": "Real-terms change in spend, 2010-11 to 2019-20, England",
    "ei_real_change_pct_201011_201920_most_deprived_fifth": "The same, most deprived fifth of LAs",
    "ei_real_change_pct_201011_201920_least_deprived_fifth": "The same, least deprived fifth of LAs",
    "ei_real_per_child_change_pct_201011_201920": "Real-terms change in spend per child, 2010-11 to 2019-20, England",
    "ei_real_per_child_change_pct_201011_201920_most_deprived_fifth": "The same per child, most deprived fifth",
    "ei_real_per_child_change_pct_201011_201920_least_deprived_fifth": "The same per child, least deprived fifth",
    "restore_201011_per_child_cost_pounds": "Cost of restoring 2010-11 real spend per child, a year",
    "restore_201011_per_child_cost_pounds_sum_of_las": "The same, LA by LA, summed",
    "las_cutting_ei_real_201516_201920_pct": "LAs whose real spend fell from 2015-16 to 2019-20",
}
PER_CHILD_CHANGE = "ei_real_per_child_change_pct_201011_201920"
# The ranked charts list every LA: smaller axis labels keep 151 names readable without a very long page.
RANK_STEP = 13
RANK_LABEL_SIZE = 11


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit.startswith("pounds"):
        return pounds(value)
    if unit.startswith("percent"):
        return f"{fixed(value, 1)}%"
    return fixed(value, 2)


def summary_table(summary: pd.DataFrame) -> tuple[DataTable, list[str]]:
    """Each headline figure beside the published one, how far apart they are, and its method."""
    body = []
    for row in summary.itertuples():
        value, published = number(row.value), number(row.published_value)
        apart = ""
        if value is not None and published:
            apart = f"{fixed(100 * (value - published) / abs(published), 0)}%"
        body.append(
            [
                header(MEASURE_LABELS.get(row.measure, row.measure.replace("_", " "))),
                text_cell(_value(value, row.unit)),
                text_cell(_value(published, row.unit) if published is not None else "not published"),
                text_cell(apart),
                text_cell(row.method),
            ]
        )
    sources = [f"Source: {source}." for source in dict.fromkeys(summary["source"]) if source]
    return (
        table(
            "Headline funding figures beside the published ones",
            ["Measure", "Computed", "Published", "Computed against published", "Method"],
            body,
        ),
        sources,
    )


def _ranked(frame: pd.DataFrame, x_title: str, focus: str | None, reference: float | None) -> dict:
    """A ranked bar per LA (largest fall first); the report's LA in black, England as a dashed line."""
    frame = frame.assign(group=["This report's LA" if code == focus else "LAs" for code in frame["la_code"]])
    groups = ["LAs", "This report's LA"] if (frame["la_code"] == focus).any() else ["LAs"]
    y = alt.Y(
        "name:N",
        sort=list(frame["name"]),
        title=None,
        axis=alt.Axis(labelLimit=230, labelFontSize=RANK_LABEL_SIZE),
    )
    layers = [
        alt.Chart(frame[["name", "value", "group"]])
        .mark_bar(height={"band": 0.75})
        .encode(
            x=alt.X("value:Q", title=x_title),
            y=y,
            color=alt.Color("group:N", title=None, scale=alt.Scale(domain=groups, range=[BLUE, BLACK][: len(groups)])),
        ),
        alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color=GREY).encode(x="zero:Q"),
    ]
    if reference is not None:
        layers.append(
            alt.Chart(pd.DataFrame({"england": [reference]}))
            .mark_rule(color=RED, strokeDash=[6, 3], strokeWidth=2)
            .encode(x="england:Q")
        )
    return _style(alt.layer(*layers).properties(width=WIDTH - 280, height=alt.Step(RANK_STEP))).to_dict()


def _focus_rank(frame: pd.DataFrame, focus: str | None) -> tuple[int, int] | None:
    codes = list(frame["la_code"])
    return (codes.index(focus) + 1, len(codes)) if focus in codes else None


def spend_change_chart(
    restore: pd.DataFrame, names: dict[str, str], focus: str | None, england: float | None
) -> tuple[Chart, str | None]:
    per_child_start = restore["ei_real_per_child_201011"].map(number)
    per_child_end = restore["ei_spend_real_201920"].map(number) / restore["children_0_17_2019"].map(number)
    frame = pd.DataFrame(
        {
            "la_code": restore["la_code"],
            "name": restore["la_code"].map(lambda code: names.get(code, code)),
            "start": per_child_start,
            "end": per_child_end,
            "value": 100 * (per_child_end / per_child_start - 1),
            "restore": restore["restore_cost_pounds"].map(number) if "restore_cost_pounds" in restore else None,
        }
    ).dropna(subset=["value"])
    frame = frame.sort_values("value", kind="stable")
    body = [
        [
            header(row.name + (" (this report's LA)" if row.la_code == focus else "")),
            text_cell(pounds(row.start)),
            text_cell(pounds(row.end)),
            text_cell(f"{fixed(row.value, 1)}%"),
            text_cell(pounds(row.restore) if row.restore is not None and not pd.isna(row.restore) else ""),
        ]
        for row in frame.itertuples()
    ]
    chart = Chart(
        "funding-spend-change",
        "Change in early intervention spend per child by LA, 2010-11 to 2019-20",
        "Each LA's early intervention spend per child aged 0-17 in 2019-20 against 2010-11, in real terms "
        "(2019-20 prices), largest fall first.",
        table(
            "Early intervention spend per child by LA (2019-20 prices), largest fall first",
            ["LA", "2010-11 per child", "2019-20 per child", "Change", "Cost a year of restoring 2010-11 per child"],
            body,
        ),
        [
            "Early intervention spend: the section 251 lines for Sure Start and under-5s, family support services "
            "and services for young people (gross), as Action for Children count it; deflated to 2019-20 prices "
            "with the SPPI index. Children: ONS mid-year estimates, 0-17 (2019-20 uses mid-2019).",
            "Change = 2019-20 spend per child over 2010-11 spend per child, minus 1. Restore cost = 2010-11 spend "
            "per child times 2019-20's children, minus 2019-20 spend (negative where spend per child rose).",
        ]
        + (["The dashed red line is England's change per child."] if england is not None else []),
    )
    chart.spec = _ranked(frame, "Change in real spend per child, 2010-11 to 2019-20 (%)", focus, england)
    rank = _focus_rank(frame, focus)
    sentence = None
    if rank is not None:
        own = frame[frame["la_code"] == focus].iloc[0]
        sentence = (
            f"{own['name']}: early intervention spend per child changed by {fixed(own['value'], 1)}% in real terms "
            f"from 2010-11 to 2019-20, the {_ordinal(rank[0])} largest fall of {rank[1]} LAs."
        )
    chart.summary = (
        f"Ranked bar chart of {len(frame)} LAs: change in real early intervention spend per child from 2010-11 "
        f"to 2019-20, from {fixed(frame['value'].iloc[0], 1)}% ({frame['name'].iloc[0]}) to "
        f"{fixed(frame['value'].iloc[-1], 1)}% ({frame['name'].iloc[-1]})."
        + (f" England: {fixed(england, 1)}%." if england is not None else "")
        + (f" {sentence}" if sentence else "")
    )
    return drawn(chart), sentence


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def allocation_chart(allocation: pd.DataFrame, names: dict[str, str], focus: str | None) -> tuple[Chart, str | None]:
    frame = pd.DataFrame(
        {
            "la_code": allocation["la_code"],
            "name": allocation["la_code"].map(lambda code: names.get(code, code)),
            "share": allocation["share"].map(number),
            "amount": allocation["amount"].map(number),
            "current": allocation["current_spend"].map(number),
            "change": allocation["change"].map(number),
        }
    )
    frame["value"] = 100 * frame["change"] / frame["current"]
    frame = frame.dropna(subset=["value"]).sort_values("value", kind="stable")
    pot = float(frame["amount"].sum())
    body = [
        [
            header(row.name + (" (this report's LA)" if row.la_code == focus else "")),
            text_cell(f"{fixed(100 * row.share, 3)}%"),
            text_cell(f"£{row.amount:,.0f}"),
            text_cell(f"£{row.current:,.0f}"),
            text_cell(f"{'-' if row.change < 0 else '+'}£{abs(row.change):,.0f}"),
            text_cell(f"{fixed(row.value, 1)}%"),
        ]
        for row in frame.itertuples()
    ]
    chart = Chart(
        "funding-allocation",
        "A national early help grant by formula, against current spend",
        f"How a pot of {pounds(pot)} would be shared by the grant formula, as each LA's gain or loss against "
        "its current early intervention spend, largest loss first.",
        table(
            "Grant allocation by LA against current spend, largest loss first",
            ["LA", "Share", "Allocation", "Current spend", "Change", "Change (%)"],
            body,
        ),
        [
            "The formula (formula.toml in the fund folder) mixes each LA's share of children, of deprived children "
            "and of current statutory intervention, with an area cost adjustment, and limits each LA's loss and "
            "gain against current spend (floors and damping); the amounts sum exactly to the pot.",
            "Current spend is the LA's early intervention spend in the formula's data year, scaled to the pot.",
        ],
    )
    chart.spec = _ranked(frame, "Allocation against current spend (%)", focus, None)
    rank = _focus_rank(frame, focus)
    sentence = None
    if rank is not None:
        own = frame[frame["la_code"] == focus].iloc[0]
        sentence = (
            f"{own['name']}: the formula gives £{own['amount']:,.0f} against current spend of "
            f"£{own['current']:,.0f} ({fixed(own['value'], 1)}%)."
        )
    gains = int((frame["value"] > 0).sum())
    chart.summary = (
        f"Ranked bar chart of {len(frame)} LAs: the grant against current spend, from {fixed(frame['value'].iloc[0], 1)}% "
        f"({frame['name'].iloc[0]}) to {fixed(frame['value'].iloc[-1], 1)}% ({frame['name'].iloc[-1]}); "
        f"{gains} LAs gain." + (f" {sentence}" if sentence else "")
    )
    return drawn(chart), sentence


def focus_table(charts: list[Chart], name: str) -> DataTable | None:
    """The report's LA's own row of each ranked chart's table, as one table of its figures."""
    body = []
    for chart in charts:
        for row in chart.table.rows:
            if row[0].text == f"{name} (this report's LA)":
                body += [
                    [header(column), text_cell(cell.text)]
                    for column, cell in zip(chart.table.columns[1:], row[1:], strict=True)
                ]
    if not body:
        return None
    return table(f"{name}: early intervention spend and the grant", ["Measure", name], body)


def funding_section(folder: Path, focus: str | None = None) -> AnalysisSection:
    summary = read_table(folder, "funding_summary.csv", SUMMARY_COLUMNS, COMMAND)
    allocation = read_table(folder, "allocation.csv", ALLOCATION_COLUMNS, COMMAND)
    restore = optional_table(folder, "restore_cost_by_la.csv", RESTORE_COLUMNS, COMMAND)
    names = la_names()
    section = AnalysisSection(
        "funding",
        "Funding: early intervention spend and a fair early help grant",
        [
            "Early intervention spend by LA in real terms from the section 251 outturn LAs report, the cost of "
            "restoring 2010-11 spend per child, and how a national early help grant would be shared by a "
            "transparent formula of need. Every figure is computed from public data for all LAs in England, "
            "not from the returns behind the rest of this report, so no disclosure control is needed.",
            "Each headline figure is shown beside the published one it can be checked against, with its "
            "method; where they differ by more than 10%, the method says why.",
        ],
        sources=[folder / "funding_summary.csv", folder / "allocation.csv"],
    )
    headline, sources = summary_table(summary)
    section.lead_tables.append(("funding-headlines", headline))
    section.notes += sources
    england = None
    per_child = summary[summary["measure"] == PER_CHILD_CHANGE]
    if not per_child.empty:
        england = number(per_child["value"].iloc[0])
    if restore is not None:
        chart, sentence = spend_change_chart(restore, names, focus, england)
        section.charts.append(chart)
        section.sources.append(folder / "restore_cost_by_la.csv")
        if sentence:
            section.paragraphs.append(sentence)
    else:
        section.notes.append("No spend chart: the fund folder has no restore_cost_by_la.csv.")
    chart, sentence = allocation_chart(allocation, names, focus)
    section.charts.append(chart)
    if sentence:
        section.paragraphs.append(sentence)
    own = focus_table(section.charts, names.get(focus, focus)) if focus is not None else None
    if own is not None:
        section.lead_tables.append(("funding-this-la", own))
    if (folder / "formula.toml").is_file():
        section.sources.append(folder / "formula.toml")
    return section
