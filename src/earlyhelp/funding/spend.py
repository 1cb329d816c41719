"""Early intervention spend in real terms, by LA, England and deprivation fifth, and the headline figures.

Early intervention is the sum of three section 251 lines, as Action for Children and the Children's
Services Funding Alliance count it: Sure Start children's centres and other under-5s services, family
support services, and services for young people. Real terms use the SPPI price index shipped with the
reference data (cash x index[base] / index[year]).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from earlyhelp import reference

EARLY_INTERVENTION_LINES = ("sure_start_under_5s", "family_support_services", "services_for_young_people")
# Prices of the headline figures: the last year of the published comparison.
BASE_YEAR = 201920
FIRST_YEAR = 201011
COMPARISON_YEAR = 201920
QUINTILE_LABELS = {
    1: "1 (least deprived)",
    2: "2",
    3: "3",
    4: "4",
    5: "5 (most deprived)",
}


def children_year(time_period: int) -> int:
    """The mid-year population estimate paired with a financial year: 201920 -> mid-2019."""
    return time_period // 100


def real_terms(cash: pd.Series, time_period: pd.Series, deflators: pd.DataFrame, base_year: int) -> pd.Series:
    """Cash pounds of each row's year -> pounds at ``base_year`` prices."""
    index = deflators.set_index("time_period")["index"]
    missing = set(time_period) - set(index.index) | ({base_year} - set(index.index))
    if missing:
        raise ValueError(f"No deflator for {sorted(missing)}")
    return cash * index[base_year] / time_period.map(index)


def ei_by_la(
    spend: pd.DataFrame, deflators: pd.DataFrame, population: pd.DataFrame, base_year: int = BASE_YEAR
) -> pd.DataFrame:
    """la_code, time_period (2010-11 on), ei_spend_cash, ei_spend_real, children_0_17, ei_real_per_child."""
    lines = spend[spend["line"].isin(EARLY_INTERVENTION_LINES) & (spend["time_period"] >= FIRST_YEAR)]
    table = lines.groupby(["la_code", "time_period"], as_index=False)["gross_spend"].sum()
    table = table.rename(columns={"gross_spend": "ei_spend_cash"})
    table["ei_spend_real"] = real_terms(table["ei_spend_cash"], table["time_period"], deflators, base_year)
    children = population.rename(columns={"year": "children_year"})
    table["children_year"] = table["time_period"].map(children_year)
    table = table.merge(children, on=["la_code", "children_year"], how="left").drop(columns="children_year")
    table["ei_real_per_child"] = table["ei_spend_real"] / table["children_0_17"]
    return table.sort_values(["la_code", "time_period"]).reset_index(drop=True)


def deprivation_quintiles(deprivation: pd.DataFrame) -> pd.Series:
    """la_code -> fifth 1 (least deprived) .. 5 (most deprived) by the LA's IDACI 2019 score.

    Equal numbers of LAs per fifth, not weighted by children (151 LAs: 31 in the least deprived
    fifth, 30 in each other); ties are broken by la_code so the split is reproducible.
    """
    ordered = deprivation.sort_values(["idaci_score", "la_code"]).reset_index(drop=True)
    fifth = pd.qcut(ordered.index, 5, labels=[1, 2, 3, 4, 5]).astype(int)
    return pd.Series(fifth, index=ordered["la_code"].to_numpy(), name="deprivation_quintile")


def ei_by_quintile(by_la: pd.DataFrame, quintiles: pd.Series) -> pd.DataFrame:
    """deprivation_quintile, time_period, ei_spend_real, children_0_17, ei_real_per_child (England = 0)."""
    table = by_la.assign(deprivation_quintile=by_la["la_code"].map(quintiles))
    fifths = table.groupby(["deprivation_quintile", "time_period"], as_index=False)[
        ["ei_spend_real", "children_0_17"]
    ].sum()
    england = table.groupby("time_period", as_index=False)[["ei_spend_real", "children_0_17"]].sum()
    england.insert(0, "deprivation_quintile", 0)
    out = pd.concat([england, fifths], ignore_index=True)
    out["ei_real_per_child"] = out["ei_spend_real"] / out["children_0_17"]
    return out


def real_change_pct(by_la: pd.DataFrame, start: int, end: int, per_child: bool = False) -> float:
    """Percentage change in the summed real spend (or summed spend over summed children) of ``by_la``."""
    totals = (
        by_la[by_la["time_period"].isin([start, end])].groupby("time_period")[["ei_spend_real", "children_0_17"]].sum()
    )
    if set(totals.index) != {start, end}:
        raise ValueError(f"Spend for both {start} and {end} is needed")
    level = totals["ei_spend_real"] / totals["children_0_17"] if per_child else totals["ei_spend_real"]
    return float((level[end] / level[start] - 1) * 100)


def restore_cost_by_la(by_la: pd.DataFrame, start: int, end: int) -> pd.DataFrame:
    """Per LA: what restoring its own ``start`` real spend per child for ``end``'s children costs in ``end``.

    la_code, per_child_start, children_end, spend_end, restore_cost (negative where spend per child rose).
    """
    wide = by_la.pivot(index="la_code", columns="time_period")
    table = pd.DataFrame(
        {
            "per_child_start": wide[("ei_real_per_child", start)],
            "children_end": wide[("children_0_17", end)],
            "spend_end": wide[("ei_spend_real", end)],
        }
    )
    table["restore_cost"] = table["per_child_start"] * table["children_end"] - table["spend_end"]
    return table.reset_index()


def national_restore_cost(by_la: pd.DataFrame, start: int, end: int) -> float:
    """England's ``start`` real spend per child x England's ``end`` children - England's ``end`` spend."""
    totals = by_la.groupby("time_period")[["ei_spend_real", "children_0_17"]].sum()
    per_child = totals.loc[start, "ei_spend_real"] / totals.loc[start, "children_0_17"]
    return float(per_child * totals.loc[end, "children_0_17"] - totals.loc[end, "ei_spend_real"])


@dataclass(frozen=True)
class Headline:
    measure: str
    value: float
    unit: str
    published_value: float | None
    source: str
    method: str

    @property
    def difference_pct(self) -> float | None:
        """Relative difference from the published figure, in percent of the published figure."""
        if self.published_value is None or self.published_value == 0:
            return None
        return (self.value - self.published_value) / abs(self.published_value) * 100


AFC = (
    "Action for Children, 'Too Little, Too Late' (2022), as summarised in the project's shared reference "
    "README (published national figures)"
)
PANEL = "Computed from Webb (2024) LA panel, section 251 outturn (earlyhelp.reference)"
LINES_TEXT = "Sure Start/under-5s + family support services + services for young people (section 251 gross)"

# Why the computed figure can differ from the published one (the published method is not fully stated).
QUINTILE_REASON = (
    "The published fifths' method is not stated. Here the fifths are equal numbers of LAs by IDACI 2019 "
    "score and the change is in summed real spend; the same fifths measured per child (England's "
    "children rose by 7% over the period) give {per_child:.1f}%, within 10% of the published figure, so "
    "the published figure is probably per child or an average of LA changes, on a different deprivation "
    "ranking and price index (SPPI here; HM Treasury GDP deflator is common in the published reports)."
)

LEVEL_REASON = (
    "The published levels are rounded to £0.1bn, in a price base and line definition the summary does not "
    "state (its -48% implies £1.87bn, not £1.8bn). Here: SPPI 2019-20 prices and the three section 251 lines; "
    "family support services grew in real terms over the decade while Sure Start fell by about two thirds, "
    "so a definition with less family support falls further."
)


def headlines(by_la: pd.DataFrame, quintiles: pd.Series, base_year: int = BASE_YEAR) -> list[Headline]:
    """The published figures beside the ones computed here, each with its method."""
    prices = f"{base_year // 100}-{base_year % 100:02d} prices (SPPI)"
    start, end = FIRST_YEAR, COMPARISON_YEAR
    fifth = by_la["la_code"].map(quintiles)
    most, least = by_la[fifth == 5], by_la[fifth == 1]
    totals = by_la.groupby("time_period")["ei_spend_real"].sum()
    change_method = f"Change in summed real early intervention spend ({LINES_TEXT}), {prices}, {start} to {end}"
    rows = [
        Headline(
            "ei_spend_real_201011_pounds",
            float(totals[start]),
            "pounds",
            3.6e9,
            PANEL + "; published: " + AFC,
            f"England total of {LINES_TEXT}, {prices}, all 151 LAs",
        ),
        Headline(
            "ei_spend_real_201920_pounds",
            float(totals[end]),
            "pounds",
            1.8e9,
            PANEL + "; published: " + AFC,
            f"England total of {LINES_TEXT}, {prices}, all 151 LAs",
        ),
        Headline(
            "ei_real_change_pct_201011_201920",
            real_change_pct(by_la, start, end),
            "percent",
            -48.0,
            PANEL + "; published: " + AFC,
            change_method + ", England (151 LAs)",
        ),
        Headline(
            "ei_real_change_pct_201011_201920_most_deprived_fifth",
            real_change_pct(most, start, end),
            "percent",
            -59.0,
            PANEL + "; published: " + AFC,
            change_method + f", the {most['la_code'].nunique()} LAs with the highest IDACI 2019 score",
        ),
        Headline(
            "ei_real_change_pct_201011_201920_least_deprived_fifth",
            real_change_pct(least, start, end),
            "percent",
            -38.0,
            PANEL + "; published: " + AFC,
            change_method + f", the {least['la_code'].nunique()} LAs with the lowest IDACI 2019 score",
        ),
        Headline(
            "ei_real_per_child_change_pct_201011_201920",
            real_change_pct(by_la, start, end, per_child=True),
            "percent",
            None,
            PANEL,
            f"Change in England real spend per child aged 0-17 (mid-{start // 100} and mid-{end // 100} "
            f"ONS estimates), {prices}",
        ),
        Headline(
            "ei_real_per_child_change_pct_201011_201920_most_deprived_fifth",
            real_change_pct(most, start, end, per_child=True),
            "percent",
            None,
            PANEL,
            f"As the per-child England figure, for the {most['la_code'].nunique()} LAs with the highest IDACI 2019 score",
        ),
        Headline(
            "ei_real_per_child_change_pct_201011_201920_least_deprived_fifth",
            real_change_pct(least, start, end, per_child=True),
            "percent",
            None,
            PANEL,
            f"As the per-child England figure, for the {least['la_code'].nunique()} LAs with the lowest IDACI 2019 score",
        ),
        Headline(
            "restore_201011_per_child_cost_pounds",
            national_restore_cost(by_la, start, end),
            "pounds a year",
            1.93e9,
            PANEL + "; published: " + AFC,
            f"England's {start} real spend per child x England's children aged 0-17 in mid-{end // 100} "
            f"- England's {end} real spend, {prices}",
        ),
        Headline(
            "restore_201011_per_child_cost_pounds_sum_of_las",
            float(restore_cost_by_la(by_la, start, end)["restore_cost"].sum()),
            "pounds a year",
            None,
            PANEL,
            f"Sum over LAs of (the LA's own {start} real spend per child x its mid-{end // 100} children "
            f"- its {end} real spend), {prices}; LAs whose spend per child rose count negatively",
        ),
        Headline(
            "las_cutting_ei_real_201516_201920_pct",
            _share_cutting(by_la, 201516, end),
            "percent of LAs",
            90.0,
            PANEL + "; published: " + AFC + " ('9 in 10 LAs')",
            f"Share of the 151 LAs whose real early intervention spend ({prices}) was lower in {end} than in 201516",
        ),
    ]
    values = {row.measure: row.value for row in rows}
    reasons = {
        "ei_spend_real_201011_pounds": LEVEL_REASON,
        "ei_spend_real_201920_pounds": LEVEL_REASON,
        "ei_real_change_pct_201011_201920": LEVEL_REASON,
        "restore_201011_per_child_cost_pounds": LEVEL_REASON,
        "las_cutting_ei_real_201516_201920_pct": (
            "The published count's method is not stated. Counted here on total real spend; on real spend per "
            f"child, {_share_cutting(by_la, 201516, end, 'ei_real_per_child'):.0f}% of LAs cut it, within 10% of "
            "the published 9 in 10."
        ),
    }
    for fifth in ("most_deprived_fifth", "least_deprived_fifth"):
        reasons[f"ei_real_change_pct_201011_201920_{fifth}"] = QUINTILE_REASON.format(
            per_child=values[f"ei_real_per_child_change_pct_201011_201920_{fifth}"]
        )
    explained = []
    for row in rows:
        difference = row.difference_pct
        if difference is not None and abs(difference) > 10:
            note = f" Differs from the published figure by {difference:+.0f}%: {reasons[row.measure]}"
            row = Headline(row.measure, row.value, row.unit, row.published_value, row.source, row.method + note)
        explained.append(row)
    return explained


def _share_cutting(by_la: pd.DataFrame, start: int, end: int, measure: str = "ei_spend_real") -> float:
    wide = by_la.pivot(index="la_code", columns="time_period", values=measure)
    return float((wide[end] < wide[start]).mean() * 100)


def headline_frame(rows: list[Headline]) -> pd.DataFrame:
    return pd.DataFrame(
        [(r.measure, r.value, r.unit, r.published_value, r.source, r.method) for r in rows],
        columns=["measure", "value", "unit", "published_value", "source", "method"],
    )


def shipped_ei_by_la(base_year: int = BASE_YEAR) -> pd.DataFrame:
    return ei_by_la(reference.spend(), reference.deflators(), reference.population(), base_year)
