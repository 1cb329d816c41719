"""``funding.xlsx``: the tables of `earlyhelp fund` in one labelled workbook, for readers who live in Excel."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from earlyhelp.publish.workbook import (
    DECIMAL_2,
    LA_COLUMNS,
    PERCENT_1,
    POUNDS,
    SHARE,
    WHOLE,
    Column,
    Sheet,
    with_la_names,
    write_tables_workbook,
)

WORKBOOK_FILE = "funding.xlsx"


def write(out: Path, tables: Mapping[str, pd.DataFrame], names: Mapping[str, str], pot: int) -> Path:
    """Write ``out/funding.xlsx`` from the frames `earlyhelp fund` writes as CSV (keyed by file name)."""

    la = LA_COLUMNS
    summary = tables["funding_summary.csv"].copy()
    # A headline in percent is kept as written (44.1 means 44.1%), pounds as whole pounds.
    summary_sheet = Sheet(
        "Headline figures",
        summary,
        [
            Column("measure", "Measure", None, 52),
            Column("value", "Computed", DECIMAL_2, 18),
            Column("unit", "Unit", None, 14),
            Column("published_value", "Published", DECIMAL_2, 18),
            Column("source", "Source", None, 60),
            Column("method", "Method", None, 100),
        ],
    )
    sheets = [
        summary_sheet,
        Sheet(
            "Spend by LA",
            with_la_names(tables["ei_spend_by_la.csv"], names),
            [
                *la,
                Column("time_period", "Financial year (e.g. 201011 = 2010-11)", None, 14),
                Column("ei_spend_cash", "Early intervention spend, cash", POUNDS, 16),
                Column("ei_spend_real", "Early intervention spend, 2019-20 prices", POUNDS, 16),
                Column("children_0_17", "Children aged 0-17", WHOLE),
                Column("ei_real_per_child", "Real spend per child", POUNDS),
                Column("deprivation_quintile", "Deprivation fifth (5 = most deprived)", WHOLE),
            ],
        ),
        Sheet(
            "Spend by deprivation",
            tables["ei_spend_by_quintile.csv"],
            [
                Column("deprivation_quintile", "Deprivation fifth (0 = England, 5 = most deprived)", WHOLE, 18),
                Column("time_period", "Financial year", None, 12),
                Column("ei_spend_real", "Early intervention spend, 2019-20 prices", POUNDS, 18),
                Column("children_0_17", "Children aged 0-17", WHOLE),
                Column("ei_real_per_child", "Real spend per child", POUNDS),
            ],
        ),
        Sheet(
            "Restore cost by LA",
            with_la_names(tables["restore_cost_by_la.csv"], names),
            [
                *la,
                Column("ei_real_per_child_201011", "2010-11 real spend per child", POUNDS),
                Column("children_0_17_2019", "Children aged 0-17, mid-2019", WHOLE),
                Column("ei_spend_real_201920", "2019-20 real spend", POUNDS, 16),
                Column("restore_cost_pounds", "Cost a year of restoring 2010-11 spend per child", POUNDS, 18),
            ],
        ),
        Sheet(
            "Grant allocation",
            with_la_names(tables["allocation.csv"], names),
            [
                *la,
                Column("share", "Share of the pot", SHARE),
                Column("amount", "Allocation", POUNDS, 16),
                Column("current_spend", "Current spend (scaled to the pot)", POUNDS, 16),
                Column("change", "Change (allocation - current spend)", POUNDS, 16),
            ],
        ),
        Sheet(
            "Sensitivity",
            tables["allocation_sensitivity.csv"],
            [
                Column("weight", "Weight changed", None, 16),
                Column("change_pct", "Change to the weight (%)", PERCENT_1),
                Column("weight_value", "Weight used", DECIMAL_2),
                Column("las_moving_over_5pct", "LAs moving more than 5%", WHOLE),
                Column("largest_move_pct", "Largest move (%)", PERCENT_1),
                Column("las_moving_over_5pct_without_damping", "LAs moving more than 5%, no floors or damping", WHOLE),
            ],
        ),
    ]
    about = [
        (
            "What this file is",
            "Early intervention spend by LA in real terms, the headline figures beside the published ones, the "
            f"cost of restoring 2010-11 spend per child, and a grant of £{pot:,} shared by the formula in "
            "formula.toml: the CSV files of `earlyhelp fund` in one labelled workbook.",
        ),
        (
            "Method",
            "Early intervention spend is the section 251 gross spend on Sure Start and under-5s, family support "
            "services and services for young people, in 2019-20 prices (SPPI). Each headline's own method is in "
            "the Headline figures sheet; funding.md and docs/funding.md give the rest.",
        ),
        (
            "Source",
            "Webb, C. (2024) Investing in Prevention & Support, University of Sheffield, "
            "doi:10.15131/shef.data.26348359 (DfE section 251 outturn, ONS mid-year estimates, MHCLG English "
            "Indices of Deprivation 2019; Open Government Licence v3.0). Published figures: Action for Children, "
            "Too Little, Too Late (2022).",
        ),
        (
            "Disclosure control",
            "Every figure is an LA or England aggregate of public spending, a grant amount, a population estimate "
            "or a published statistic: no suppression is needed and none is applied.",
        ),
    ]
    return write_tables_workbook(out / WORKBOOK_FILE, "Early intervention funding", about, sheets, "fund")
