"""Regenerate src/earlyhelp/reference/data/ from ../shared/reference (run from the repository root).

Source: Calum Webb (2024), "Investing in Prevention & Support: data tidying script and
repository", University of Sheffield, doi 10.15131/shef.data.26348359 (data: DfE, ONS and MHCLG
statistics under the Open Government Licence v3.0; tidying code MIT). The published national
figures come from the table in ../shared/reference/README.md.

    .venv/bin/python scripts/derive_reference.py [--shared ../shared/reference]

Every choice made here (deduplication, region mapping, 0-17 population, cash spend) is explained
in docs/synth.md, "Reference data"; the published comparators (DfE "Characteristics of children in
need" 2022 release tables) and the statistical neighbours are explained in docs/compare.md.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from earlyhelp.compare.neighbours import CHARACTERISTICS, NEIGHBOURS_PER_LA

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "earlyhelp" / "reference" / "data"

LONDON = ("E12000007", "London")
# The panel splits London into Inner/Outer London (E13 codes); ONS regions have one London.
INNER_OUTER_LONDON = {"E13000001", "E13000002"}
REGION_NAMES = {
    "E12000001": "North East",
    "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands",
    "E12000005": "West Midlands",
    "E12000006": "East of England",
    "E12000007": "London",
    "E12000008": "South East",
    "E12000009": "South West",
}
# Section 251 lines in the panel (2022 prices, SPPI-adjusted) -> (line name, early intervention?)
SPEND_LINES = {
    "gspend_ss5": ("sure_start_under_5s", True),
    "gspend_fss": ("family_support_services", True),
    "gspend_yps": ("services_for_young_people", True),
    "gspend_cla": ("children_looked_after", False),
    "gspend_saf": ("safeguarding", False),
    "gspend_yjs": ("youth_justice", False),
    "gspend_oth": ("other_childrens_services", False),
}
ACTIVITY_COLUMNS = {
    "referrals_n": "referrals",
    "rereferrals_n": "re_referrals",
    "referrals_nfa_n": "referrals_nfa",
    "referrals_nin_n": "referrals_not_in_need",
    "anypoint_episodes": "cin_episodes_anypoint",
    "at31_episodes": "cin_at_31_march",
    "cpp_start": "cp_plans_started",
    "at31_cpp": "cp_plans_at_31_march",
    "cla_start": "cla_started",
    "at31_cla": "cla_at_31_march",
    "pop_age_16plus": "population_16",
}


def _financial_year(end_year: int) -> int:
    """Panel year 2020 (financial year ending 31 March 2020) -> EHLD time_period 201920."""
    return (end_year - 1) * 100 + end_year % 100


def read_panel(shared: Path) -> pd.DataFrame:
    panel = pd.read_csv(shared / "ipse-webb-2024" / "la_panel_2010_2022.csv", low_memory=False)
    panel = panel.copy()  # the wide panel is fragmented; one copy keeps pandas quiet
    # BCP appears twice in 2011-2017 (once per predecessor code) with identical figures.
    return panel.drop_duplicates(["new_la_code", "time_period"]).copy()


def local_authorities(panel: pd.DataFrame, shared: Path) -> pd.DataFrame:
    names = panel.sort_values("time_period").groupby("new_la_code").last()
    regions = panel[panel["region_code"].astype(str).str.match(r"E1[23]\d{6}")]
    regions = regions[["new_la_code", "region_code"]].drop_duplicates()
    if regions["new_la_code"].duplicated().any():
        sys.exit("An LA has two regions in the panel; check the mapping by hand.")
    region = regions.set_index("new_la_code")["region_code"].replace({code: LONDON[0] for code in INNER_OUTER_LONDON})
    missing = set(names.index) - set(region.index)
    if missing:
        sys.exit(f"No region for {sorted(missing)}")
    # Cross-check against the ONS population file of the CIN census release.
    ons = pd.read_csv(
        shared / "ipse-webb-2024" / "cin-census-2021-22" / "ons_mid-year_population_estimates.csv", low_memory=False
    )
    ons = ons[ons["geographic_level"] == "Local authority"][["new_la_code", "region_code"]]
    ons = (
        ons.drop_duplicates()
        .set_index("new_la_code")["region_code"]
        .replace({code: LONDON[0] for code in INNER_OUTER_LONDON})
    )
    both = region.index.intersection(ons.index)
    clash = [code for code in both if region[code] != ons[code]]
    if clash:
        sys.exit(f"Panel and ONS disagree on the region of {clash}")
    table = pd.DataFrame(
        {
            "la_code": names.index,
            "la_name": names["la_name"].values,
            "region_code": region.reindex(names.index).values,
            "old_la_code": names["old_la_code"].astype(int).astype(str).values,
        }
    )
    table["region_name"] = table["region_code"].map(REGION_NAMES)
    return (
        table[["la_code", "la_name", "region_code", "region_name", "old_la_code"]]
        .sort_values("la_code")
        .reset_index(drop=True)
    )


def population(panel: pd.DataFrame, shared: Path) -> pd.DataFrame:
    """Children 0-17 by LA and calendar year 2010..2022.

    ONS 0-17 mid-year estimates where the CIN release has them (2012-2020, current boundaries);
    otherwise the panel's 0-16 estimate times the LA's own ONS(0-17)/panel(0-16) ratio in the
    nearest year that has both.
    """
    ons = pd.read_csv(
        shared / "ipse-webb-2024" / "cin-census-2021-22" / "ons_mid-year_population_estimates.csv", low_memory=False
    )
    ons = ons[
        (ons["geographic_level"] == "Local authority") & ons["population_estimate"].astype(str).str.fullmatch(r"\d+")
    ]
    ons = ons.assign(year=ons["time_period"].astype(int), ons_0_17=ons["population_estimate"].astype(float))
    ons = ons[["new_la_code", "year", "ons_0_17"]]
    base = panel[["new_la_code", "time_period", "population_0_16"]].rename(columns={"time_period": "year"})
    merged = base.merge(ons, on=["new_la_code", "year"], how="left")
    merged["ratio"] = merged["ons_0_17"] / merged["population_0_16"]
    rows = []
    for la_code, group in merged.groupby("new_la_code"):
        group = group.sort_values("year")
        known = group.dropna(subset=["ratio"])
        for row in group.itertuples():
            if not np.isnan(row.ons_0_17):
                value = row.ons_0_17
            else:
                nearest = known.iloc[(known["year"] - row.year).abs().argsort()].iloc[0]
                value = row.population_0_16 * nearest["ratio"]
            rows.append((la_code, int(row.year), int(round(value))))
    return pd.DataFrame(rows, columns=["la_code", "year", "children_0_17"])


def spend_and_deflators(panel: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    sppi = panel.groupby("time_period")["sppi"].first()
    rows = []
    for column, (line, early) in SPEND_LINES.items():
        part = panel[["new_la_code", "time_period", column]].dropna()
        for row in part.itertuples(index=False):
            # gspend_* are in 2022 prices (cash x sppi); back to the cash pounds of the year.
            cash = getattr(row, column) / sppi[row.time_period]
            rows.append((row.new_la_code, _financial_year(row.time_period), line, round(cash, 2), early))
    spend = pd.DataFrame(rows, columns=["la_code", "time_period", "line", "gross_spend", "early_intervention"])
    deflators = pd.DataFrame(
        {
            "time_period": [_financial_year(year) for year in sppi.index],
            # A price index (2021-22 = 100): real = cash x index[base] / index[year].
            "index": [round(100.0 / value, 4) for value in sppi.values],
        }
    )
    return spend.sort_values(["la_code", "time_period", "line"]), deflators


def deprivation(panel: pd.DataFrame) -> pd.DataFrame:
    latest = panel.sort_values("time_period").groupby("new_la_code").last()
    return pd.DataFrame({"la_code": latest.index, "idaci_score": latest["imd19_idaci"].round(4).values}).reset_index(
        drop=True
    )


def child_poverty(panel: pd.DataFrame) -> pd.DataFrame:
    """DWP children in relative low income families by LA and financial year (2014-15 on; the panel
    marks the last year provisional): the count and the percentage of children."""
    table = panel[["new_la_code", "time_period", "rel_pov_chil", "rel_pov_rate100"]].dropna()
    table = table.rename(
        columns={"new_la_code": "la_code", "rel_pov_chil": "children_low_income", "rel_pov_rate100": "low_income_pct"}
    )
    table["time_period"] = table["time_period"].map(_financial_year)
    table["children_low_income"] = table["children_low_income"].round().astype(int)
    table["low_income_pct"] = table["low_income_pct"].round(2)
    return table.sort_values(["la_code", "time_period"]).reset_index(drop=True)


def activity(panel: pd.DataFrame) -> pd.DataFrame:
    table = panel[["new_la_code", "time_period", *ACTIVITY_COLUMNS]].rename(
        columns={"new_la_code": "la_code", **ACTIVITY_COLUMNS}
    )
    table["time_period"] = table["time_period"].map(_financial_year)
    return table.sort_values(["la_code", "time_period"]).reset_index(drop=True)


def published_national(shared: Path) -> pd.DataFrame:
    """The calibration table of ../shared/reference/README.md, parsed from its markdown."""
    text = (shared / "README.md").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    years = [int(cell) for cell in header[1:]]
    names = {
        "referrals": "referrals",
        "re-referrals within 12 months (% of referrals)": "re_referral_pct",
        "referrals ending in no further action": "referrals_nfa",
        "referrals assessed as not in need": "referrals_not_in_need",
        "children in need at any point in the year": "cin_children",
        "CIN episodes at any point in the year": "cin_episodes_anypoint",
        "children in need at 31 March": "cin_at_31_march",
        "CP plans at 31 March": "cp_plans_at_31_march",
        "looked after at 31 March": "cla_at_31_march",
        "started to be looked after": "cla_started",
        "children in targeted early help in year": "eh_children",
    }
    rows = []
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[0] not in names:
            continue
        for year, cell in zip(years, cells[1:]):
            match = re.search(r"[\d,.]+", cell)
            if not match:
                continue
            rows.append(
                (names[cells[0]], _financial_year(year), float(match.group().replace(",", "")), cell.startswith("~"))
            )
    return pd.DataFrame(rows, columns=["figure", "time_period", "value", "approximate"])


# The source column names the release and table; docs/compare.md gives the tables' titles.
CIN_RELEASE = "DfE Children in need 2022"
CIN_TABLES = {
    "b1": "b1_children_in_need_2013_to_2022.csv",
    "c1": "c1_children_in_need_referrals_and_rereferrals_2013_to_2022.csv",
    "d1": "d1_child_protection_plans_2013_to_2022.csv",
    "d3": "d3_cpps_subsequent_plan_2013_to_2022.csv",
}
NOT_APPLICABLE = "z"
NOT_AVAILABLE = "x"
# Our indicator -> (table, value column, numerator column, denominator column or a symbol). Only the
# indicators whose published definition is ours; docs/compare.md lists the others and why not.
PUBLISHED_INDICATORS = {
    "referrals": ("c1", "Referrals", "Referrals", NOT_APPLICABLE),
    "re_referral_pct": ("c1", "Re_referrals_percent", "Re_referrals", "Referrals"),
    "cin_children": ("b1", "Anypoint_child", "Anypoint_child", NOT_APPLICABLE),
    # DfE publishes the rate but not the LA population it divided by.
    "cin_rate_per_10k": ("b1", "Anypoint_child_rate", "Anypoint_child", NOT_AVAILABLE),
    "cp_plans_started": ("d1", "CPP_start", "CPP_start", NOT_APPLICABLE),
    "cp_second_plan_pct": ("d3", "CPP_subsequent_percent", "CPP_subsequent", "CPP_start"),
}
PUBLISHED_LEVELS = ("National", "Regional", "Local authority")
# Buckinghamshire county became a unitary on the same boundary (April 2020); table D3 keeps the
# county code to 2019-20, the other tables use the unitary's throughout.
SAME_AREA_NEW_CODE = {"E10000002": "E06000060"}


def published_figures(shared: Path) -> pd.DataFrame:
    """The DfE CIN release rows for the indicators we define the same way, cells kept as published.

    Inner and Outer London (E13) rows are left out: the ONS region is London (E12000007), which the
    release also publishes, and its London LAs are given that region. LA codes are the release's,
    but for Buckinghamshire's (SAME_AREA_NEW_CODE).
    """
    frames = []
    for indicator, (table, value, numerator, denominator) in PUBLISHED_INDICATORS.items():
        raw = pd.read_csv(
            shared / "ipse-webb-2024" / "cin-census-2021-22" / CIN_TABLES[table],
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
        )
        raw = raw[~raw["region_code"].isin(INNER_OUTER_LONDON) | (raw["geographic_level"] == "Local authority")]
        frames.append(
            pd.DataFrame(
                {
                    "indicator": indicator,
                    "time_period": raw["time_period"].astype(int).map(_financial_year),
                    "geographic_level": raw["geographic_level"],
                    "region_code": raw["region_code"].replace({code: LONDON[0] for code in INNER_OUTER_LONDON}),
                    "la_code": raw["new_la_code"].replace(SAME_AREA_NEW_CODE),
                    "value": raw[value],
                    "numerator": raw[numerator],
                    "denominator": raw[denominator] if denominator in raw.columns else denominator,
                    "source": f"{CIN_RELEASE} {table.upper()}",
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    if set(table["geographic_level"]) != set(PUBLISHED_LEVELS):
        sys.exit(f"Unexpected geographic levels in the CIN release: {sorted(set(table['geographic_level']))}")
    order = {level: rank for rank, level in enumerate(PUBLISHED_LEVELS)}
    table = table.assign(_level=table["geographic_level"].map(order))
    return (
        table.sort_values(["indicator", "time_period", "_level", "region_code", "la_code"])
        .drop(columns="_level")
        .reset_index(drop=True)
    )


# Statistical neighbours: characteristics before the years the indicators look at, averaged over
# financial years 2014-15 to 2016-17 (panel years 2015-2017) where they change from year to year.
NEIGHBOUR_YEARS = (2015, 2016, 2017)
# Characteristic (weights in earlyhelp.compare.neighbours.CHARACTERISTICS) -> (panel column, take its log?)
NEIGHBOUR_COLUMNS = {
    "idaci_2019": ("imd19_idaci", False),
    "child_poverty_pct": ("rel_pov_rate100", False),
    "log_children_0_16": ("population_0_16", True),
    "cin_rate_per_10k": ("any_cin_ep_rate_10000", False),
    "cla_rate_per_10k": ("at_31_cla_rate10000", False),
    "children_not_white_pct": ("children_not_white_pct", False),
}


def neighbour_characteristics(panel: pd.DataFrame) -> pd.DataFrame:
    """Per LA: each characteristic (mean over NEIGHBOUR_YEARS, or over every panel year where those
    years have none) and its z-score across the LAs (population standard deviation), 6 decimals."""
    # Census 2021 ethnic proportions applied to the 0-16 estimates by the panel: a share, fixed in time.
    panel = panel.assign(children_not_white_pct=100 * (1 - panel["white_ethnest"] / panel["population_0_16"]))
    window = panel[panel["time_period"].isin(NEIGHBOUR_YEARS)]
    table = pd.DataFrame(index=pd.Index(sorted(panel["new_la_code"].unique()), name="la_code"))
    if set(NEIGHBOUR_COLUMNS) != set(CHARACTERISTICS):
        sys.exit("NEIGHBOUR_COLUMNS and earlyhelp.compare.neighbours.CHARACTERISTICS name different characteristics.")
    for name, (column, log) in NEIGHBOUR_COLUMNS.items():
        values = window.groupby("new_la_code")[column].mean()
        fallback = panel.groupby("new_la_code")[column].mean()
        values = values.reindex(table.index).fillna(fallback.reindex(table.index))
        if values.isna().any():
            sys.exit(f"No {column} in any year for {sorted(values[values.isna()].index)}")
        table[name] = np.log(values) if log else values
    table = table.round(6)
    for name in NEIGHBOUR_COLUMNS:
        table[f"z_{name}"] = ((table[name] - table[name].mean()) / table[name].std(ddof=0)).round(6)
    return table.reset_index()


def statistical_neighbours(characteristics: pd.DataFrame) -> pd.DataFrame:
    """The NEIGHBOURS_PER_LA nearest LAs of each LA by weighted Euclidean distance over the z-scores
    (ties by la_code); distances to 4 decimals."""
    weights = np.array(list(CHARACTERISTICS.values()))
    z = characteristics[[f"z_{name}" for name in CHARACTERISTICS]].to_numpy()
    codes = characteristics["la_code"].to_numpy()
    distances = np.sqrt((((z[:, None, :] - z[None, :, :]) ** 2) * weights).sum(axis=2)).round(4)
    rows = []
    for i, la_code in enumerate(codes):
        others = sorted((distances[i, j], codes[j]) for j in range(len(codes)) if j != i)
        for rank, (distance, neighbour) in enumerate(others[:NEIGHBOURS_PER_LA], start=1):
            rows.append((la_code, rank, neighbour, distance))
    return pd.DataFrame(rows, columns=["la_code", "rank", "neighbour_la_code", "distance"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "reference")
    parser.add_argument("--out", type=Path, default=OUT, help="default: the package's data folder")
    args = parser.parse_args()
    panel = read_panel(args.shared)
    args.out.mkdir(parents=True, exist_ok=True)
    spend, deflators = spend_and_deflators(panel)
    tables = {
        "local_authorities": local_authorities(panel, args.shared),
        "population": population(panel, args.shared),
        "deprivation": deprivation(panel),
        "child_poverty": child_poverty(panel),
        "spend": spend,
        "deflators": deflators,
        "activity": activity(panel),
        "published_national": published_national(args.shared),
    }
    characteristics = neighbour_characteristics(panel)
    tables["neighbour_characteristics"] = characteristics
    tables["statistical_neighbours"] = statistical_neighbours(characteristics)
    for name, frame in tables.items():
        frame.to_csv(args.out / f"{name}.csv", index=False, lineterminator="\n")
        print(f"{name}: {len(frame)} rows")
    # Ten years x every area x six indicators: Parquet keeps it a tenth of the CSV's size.
    figures = published_figures(args.shared)
    pq.write_table(
        pa.Table.from_pandas(figures, preserve_index=False).replace_schema_metadata(None),
        args.out / "published_figures.parquet",
        compression="zstd",
    )
    print(f"published_figures: {len(figures)} rows")


if __name__ == "__main__":
    main()
