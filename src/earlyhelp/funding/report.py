"""funding.md and its one chart: allocation per child against current spend per child, LAs ranked."""

from __future__ import annotations

import altair as alt
import pandas as pd

from earlyhelp.funding.formula import Formula
from earlyhelp.funding.spend import COMPARISON_YEAR, FIRST_YEAR, QUINTILE_LABELS, Headline
from earlyhelp.report.charts import BLACK, FONT, to_svg
from earlyhelp.spec.periods import label as period_label

# One sequential blue scale, light (least deprived) to dark; even the lightest keeps 3:1 contrast with white.
QUINTILE_COLOURS = ["#4a90c9", "#2c6fb0", "#1f4f96", "#14377a", "#0b1f4d"]
CHART_ID = "funding-allocation"


def allocation_chart(table: pd.DataFrame, formula: Formula) -> tuple[str, str, str]:
    """(svg, title, description) of the ranked dot chart."""
    frame = table.assign(
        allocation_per_child=table["amount"] / table["children"],
        current_per_child=table["current_spend"] / table["children"],
        fifth=table["deprivation_quintile"].map(QUINTILE_LABELS),
    ).sort_values("allocation_per_child", ascending=False)
    order = frame["la_name"].tolist()
    title = f"Grant per child under the formula against current early intervention spend per child, {period_label(str(formula.data_year))}"
    top, bottom = frame.iloc[0], frame.iloc[-1]
    summary = (
        f"Each row is one of {len(frame)} local authorities, ranked by grant per child (filled dot, coloured by "
        f"deprivation fifth); the open dot is its current spend per child. Grant per child runs from "
        f"£{top['allocation_per_child']:,.0f} ({top['la_name']}) to £{bottom['allocation_per_child']:,.0f} "
        f"({bottom['la_name']}), on a log scale. The same figures are in allocation_detail.csv."
    )
    y = alt.Y("la_name:N", sort=order, title=None, axis=alt.Axis(labelFontSize=9))
    rules = (
        alt.Chart(frame).mark_rule(color="#b1b4b6").encode(y=y, x="current_per_child:Q", x2="allocation_per_child:Q")
    )
    current = (
        alt.Chart(frame)
        .mark_point(shape="circle", filled=False, color=BLACK, size=30)
        .encode(
            y=y,
            # A log scale, so the City of London (a few hundred children) does not squash every other LA.
            x=alt.X(
                "current_per_child:Q",
                title="Pounds per child aged 0-17 a year (log scale)",
                scale=alt.Scale(type="log", domain=[40, 1500], nice=False),
            ),
            tooltip=["la_name", alt.Tooltip("current_per_child:Q", format=",.0f")],
        )
    )
    grant = (
        alt.Chart(frame)
        .mark_point(shape="circle", filled=True, size=40, opacity=1)
        .encode(
            y=y,
            x="allocation_per_child:Q",
            color=alt.Color(
                "fifth:N",
                title="Deprivation fifth (IDACI 2019)",
                scale=alt.Scale(domain=list(QUINTILE_LABELS.values()), range=QUINTILE_COLOURS),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=["la_name", "fifth", alt.Tooltip("allocation_per_child:Q", format=",.0f")],
        )
    )
    chart = (
        alt.layer(rules, current, grant)
        .properties(width=560, height=alt.Step(11), title=title)
        .configure(font=FONT)
        .configure_title(fontSize=14, anchor="start")
    )
    return to_svg(chart.to_dict(), CHART_ID, title, summary), title, summary


def _money(value: float) -> str:
    if abs(value) >= 1e9:
        return f"£{value / 1e9:,.2f}bn"
    if abs(value) >= 1e6:
        return f"£{value / 1e6:,.1f}m"
    return f"£{value:,.0f}"


def _value(row: Headline) -> str:
    if row.value != row.value:  # NaN
        return "–"
    if "pounds" in row.unit:
        return _money(row.value)
    return f"{row.value:.1f}%"


def _published(row: Headline) -> str:
    if row.published_value is None:
        return "–"
    return _money(row.published_value) if "pounds" in row.unit else f"{row.published_value:.0f}%"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def funding_markdown(
    headlines: list[Headline],
    by_quintile: pd.DataFrame,
    restore: pd.DataFrame,
    allocation: pd.DataFrame,
    sensitivity: pd.DataFrame,
    formula: Formula,
    chart_file: str,
    chart_title: str,
    chart_summary: str,
) -> str:
    year = period_label(str(formula.data_year))
    first, last = period_label(str(FIRST_YEAR)), period_label(str(COMPARISON_YEAR))
    parts = [
        "# Early intervention funding",
        "",
        "Early intervention spend here is the sum of three section 251 gross expenditure lines: Sure Start "
        "children's centres and other under-5s services, family support services, and services for young "
        "people, as Action for Children and the Children's Services Funding Alliance count it. Real terms use "
        "the SPPI price index (Webb 2024 panel); the headline figures are at 2019-20 prices. Deprivation fifths "
        "are equal numbers of LAs ranked by their IDACI 2019 score, not weighted by children.",
        "",
        "Source: Webb, C. (2024) Investing in Prevention & Support, University of Sheffield, "
        "doi:10.15131/shef.data.26348359 (DfE section 251 outturn, ONS population, MHCLG IoD 2019; Open "
        "Government Licence v3.0). Published figures: Action for Children, 'Too Little, Too Late' (2022).",
        "",
        "**Disclosure control.** Every figure here is an LA or England aggregate of public spending or a grant "
        "amount, published by DfE and LAs themselves, not a count of children: no suppression is needed or applied.",
        "",
        "## Headline figures beside the published ones",
        "",
        _table(
            ["Measure", "Computed", "Published", "Method"],
            [[row.measure, _value(row), _published(row), row.method] for row in headlines],
        ),
        "",
        f"## Real early intervention spend per child by deprivation fifth, {first} to "
        f"{period_label(str(by_quintile['time_period'].max()))} (2019-20 prices)",
        "",
    ]
    wide = by_quintile.pivot(index="time_period", columns="deprivation_quintile", values="ei_real_per_child")
    names = {0: "England", **{k: f"Fifth {v}" for k, v in QUINTILE_LABELS.items()}}
    parts.append(
        _table(
            ["Year", *[names[c] for c in wide.columns]],
            [[period_label(str(y)), *[f"£{v:,.0f}" for v in wide.loc[y]]] for y in wide.index],
        )
    )
    rising = int((restore["restore_cost"] < 0).sum())
    parts += [
        "",
        f"## Cost of restoring {first} real spend per child",
        "",
        f"Each LA's own {first} real spend per child, times its children in mid-{COMPARISON_YEAR // 100}, less its "
        f"{last} real spend (2019-20 prices), is in restore_cost_by_la.csv. The LA costs add up to "
        f"{_money(restore['restore_cost'].sum())}; {rising} LAs spent more per child in {last} than in {first}.",
        "",
        f"## A national early help grant, {year}",
        "",
        f"The formula (formula.toml beside this file) shares a pot of {_money(formula.pot)}. Need weights: "
        + ", ".join(f"{key} {value:g}" for key, value in formula.weights.items())
        + " (deprivation measured as "
        + (
            "DWP children in low income families"
            if formula.deprivation_measure == "child_poverty"
            else "children x IDACI 2019"
        )
        + "); interventions mix: "
        + ", ".join(f"{key} {value:g}" for key, value in formula.interventions.items())
        + f"; floor {_limit(formula.floor_change_pct)} and cap {_limit(formula.cap_gain_pct)} against current "
        "spend scaled to the pot; area cost adjustment "
        + (
            f"{formula.aca_default:g} for every LA"
            if not formula.aca
            else f"default {formula.aca_default:g}, {len(formula.aca)} LAs set"
        )
        + ". allocation.csv sums to the pot exactly, in whole pounds.",
        "",
    ]
    gainers = allocation[allocation["change"] > 0]
    losers = allocation[allocation["change"] < 0]
    floored = int((allocation["limited"] == "floor").sum())
    capped = int((allocation["limited"] == "cap").sum())
    parts += [
        f"Against current spend in {year}: {len(gainers)} LAs gain ({_money(gainers['change'].sum())} in all) and "
        f"{len(losers)} lose ({_money(-losers['change'].sum())}). {floored} LAs are held up by the floor and "
        f"{capped} held down by the cap.",
        "",
        f"![{chart_title}]({chart_file})",
        "",
        chart_summary,
        "",
        "### By deprivation fifth",
        "",
    ]
    fifths = allocation.groupby("deprivation_quintile")[["amount", "current_spend", "children"]].sum()
    parts.append(
        _table(
            ["Fifth", "Grant", "Current spend", "Grant per child", "Current per child", "Change"],
            [
                [
                    QUINTILE_LABELS[int(q)],
                    _money(r["amount"]),
                    _money(r["current_spend"]),
                    f"£{r['amount'] / r['children']:,.0f}",
                    f"£{r['current_spend'] / r['children']:,.0f}",
                    f"{(r['amount'] / r['current_spend'] - 1) * 100:+.1f}%",
                ]
                for q, r in fifths.iterrows()
            ],
        )
    )
    change_pct = (allocation["change"] / allocation["current_spend"] * 100).rename("change_pct")
    ranked = allocation.assign(change_pct=change_pct).sort_values("change_pct")
    for heading, rows in (("Largest gains", ranked.iloc[::-1].head(10)), ("Largest losses", ranked.head(10))):
        parts += [
            "",
            f"### {heading} against current spend",
            "",
            _table(
                ["LA", "Grant", "Current spend", "Change", "Limited by"],
                [
                    [r.la_name, _money(r.amount), _money(r.current_spend), f"{r.change_pct:+.1f}%", r.limited or "–"]
                    for r in rows.itertuples()
                ],
            ),
        ]
    threshold_column = next(c for c in sensitivity.columns if c.startswith("las_moving") and "without" not in c)
    parts += [
        "",
        "### Sensitivity: each weight 50% lower and higher",
        "",
        "How many LAs' grants move by more than 5% from the formula above when one weight changes (the others "
        "unchanged; weights are divided by their sum, so this changes that measure's share of the formula).",
        "",
        _table(
            ["Weight", "Change", "LAs moving > 5%", "Largest move", "LAs moving > 5% without floor and cap"],
            [
                [
                    r["weight"],
                    f"{r['change_pct']:+d}%",
                    str(r[threshold_column]),
                    f"{r['largest_move_pct']:.1f}%",
                    str(r[threshold_column + "_without_damping"]),
                ]
                for _, r in sensitivity.iterrows()
            ],
        ),
        "",
        "## Limitations",
        "",
        "- Section 251 lines are as LAs report them; what counts as family support or young people's services "
        "varies between LAs and over time. Spend is gross (before income).",
        "- The published figures' exact methods (price index, deprivation ranking, per child or total) are not "
        "all stated; the notes in the table say where and why the computed figures differ by more than 10%.",
        "- IDACI 2019 is one snapshot; the intervention counts are a 31 March stock and reflect each LA's "
        "thresholds as well as need, so weighting them rewards current practice as well as need.",
        "- No area cost adjustment data is shipped: every LA gets the formula's default unless set.",
        "",
    ]
    return "\n".join(parts)


def _limit(value: float | None) -> str:
    return "none" if value is None else f"{value:+g}%"
