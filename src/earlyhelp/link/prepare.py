"""Standardise identity records into the columns every linkage step compares.

Everything here runs in DuckDB over the identity-zone table ``person_identifiers`` and writes
the table ``link_records``: one row per identity record with cleaned names, name-variant
groups, date-of-birth forms (including the day/month-swapped form), postcode sector and
district, and NHS numbers and UPNs kept only when their check digit/letter is valid.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

import duckdb

LA_SOURCES = ("la_csc", "la_early_help")


@dataclass(frozen=True)
class SourceRule:
    """How a source's records may share a person: ``scope`` None = any number per person,
    ``"national"`` = at most one per person, ``"la"`` = at most one per person per LA."""

    scope: str | None


# Which sources are known to be duplicate-free, and at what level. Social care and early help
# share one case-management id per child in an LA (see earlyhelp.spec.model), so together they
# hold at most one record per child per LA; health (NHS registration) and education (the UPN)
# hold one per child nationally; police records are often duplicated.
SOURCE_RULES: dict[str, SourceRule] = {
    "la_csc": SourceRule("la"),
    "la_early_help": SourceRule("la"),
    "health": SourceRule("national"),
    "education": SourceRule("national"),
    "housing": SourceRule("la"),
    "police": SourceRule(None),
}


@cache
def name_variant_rows() -> tuple[tuple[str, str], ...]:
    """(group, name) pairs: each name belongs to the groups of formal names it is written for."""
    text = resources.files("earlyhelp.link").joinpath("data", "name_variants.csv").read_text("utf-8")
    return tuple((row["group"], row["name"]) for row in csv.DictReader(text.splitlines()))


def _nhs_valid_sql(column: str) -> str:
    digits = " + ".join(f"CAST(substr({column}, {i + 1}, 1) AS INTEGER) * {10 - i}" for i in range(9))
    check = f"(11 - ({digits}) % 11) % 11"
    return (
        f"CASE WHEN regexp_full_match({column}, '[0-9]{{10}}') "
        f"AND {check} = CAST(substr({column}, 10, 1) AS INTEGER) THEN {column} END"
    )


def _upn_valid_sql(column: str) -> str:
    weighted = " + ".join(f"CAST(substr({column}, {i}, 1) AS INTEGER) * {i}" for i in range(2, 14))
    return (
        f"CASE WHEN regexp_full_match({column}, '[A-Z][0-9]{{12}}') "
        f"AND substr('ABCDEFGHJKLMNPQRTUVWXYZ', (({weighted}) % 23) + 1, 1) = substr({column}, 1, 1) "
        f"THEN {column} END"
    )


def constraint_group_sql() -> str:
    cases = []
    for source, rule in SOURCE_RULES.items():
        if rule.scope == "la":
            group = "'la:' || la_code" if source in LA_SOURCES else f"'{source}:' || la_code"
            cases.append(f"WHEN source = '{source}' THEN {group}")
        elif rule.scope == "national":
            cases.append(f"WHEN source = '{source}' THEN '{source}'")
    return "CASE " + " ".join(cases) + " END"


def prepare_records(con: duckdb.DuckDBPyConnection, source_view: str = "person_identifiers") -> int:
    """Create ``link_records`` from ``source_view``; returns the number of records."""
    con.execute("CREATE OR REPLACE TEMP TABLE name_variants (grp VARCHAR, name VARCHAR)")
    con.executemany("INSERT INTO name_variants VALUES (?, ?)", list(name_variant_rows()))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE link_cleaned AS
        SELECT
            source || '|' || source_record_id AS unique_id,
            source, source_record_id, la_code,
            NULLIF(lower(regexp_replace(forename, '[^A-Za-z]', '', 'g')), '') AS forename_std,
            NULLIF(lower(regexp_replace(trim(surname), '[^A-Za-z\\- ]', '', 'g')), '') AS surname_raw,
            date_of_birth AS dob,
            NULLIF(regexp_replace(coalesce(nhs_number, ''), '[^0-9]', '', 'g'), '') AS nhs_raw,
            NULLIF(upper(regexp_replace(coalesce(upn, ''), '[^A-Za-z0-9]', '', 'g')), '') AS upn_raw,
            CASE WHEN sex IN ('M', 'F') THEN sex END AS sex,
            NULLIF(upper(regexp_replace(coalesce(postcode, ''), '[^A-Za-z0-9]', '', 'g')), '') AS postcode_std
        FROM {source_view}
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE link_records AS
        -- extra blocking keys (see model.blocking_rules): forename group and first surname part
        -- together, and the same key only where the date of birth is missing
        SELECT *, forename_block || '|' || surname_block AS name_key,
               CASE WHEN dob IS NULL THEN forename_block || '|' || surname_block END AS name_key_no_dob
        FROM (
        WITH variants AS (
            SELECT name, list(DISTINCT grp ORDER BY grp) AS groups FROM name_variants GROUP BY name
        )
        SELECT
            (row_number() OVER (ORDER BY c.unique_id) - 1)::BIGINT AS i,
            c.unique_id, c.source, c.source_record_id, c.la_code,
            {constraint_group_sql()} AS constraint_group,
            c.forename_std,
            -- a name is in its own group and in every group it is a nickname or variant of
            CASE WHEN c.forename_std IS NOT NULL
                 THEN list_distinct(list_concat([c.forename_std], coalesce(v.groups, []))) END
                 AS forename_groups,
            CASE WHEN c.forename_std IS NOT NULL
                 THEN coalesce(list_min(v.groups), c.forename_std) END AS forename_block,
            replace(c.surname_raw, ' ', '') AS surname_std,
            CASE WHEN c.surname_raw IS NOT NULL
                 THEN list_filter(string_split_regex(c.surname_raw, '[\\- ]+'), lambda x: x <> '') END
                 AS surname_tokens,
            string_split_regex(c.surname_raw, '[\\- ]+')[1] AS surname_block,
            c.dob,
            strftime(c.dob, '%Y-%m-%d') AS dob_str,
            CASE WHEN day(c.dob) <= 12 AND day(c.dob) <> month(c.dob)
                 THEN strftime(c.dob, '%Y') || '-' || lpad(CAST(day(c.dob) AS VARCHAR), 2, '0')
                      || '-' || lpad(CAST(month(c.dob) AS VARCHAR), 2, '0') END AS dob_swapped,
            CAST(year(c.dob) AS VARCHAR) AS birth_year,
            c.sex,
            c.postcode_std,
            CASE WHEN length(c.postcode_std) >= 5 THEN left(c.postcode_std, length(c.postcode_std) - 2) END
                AS postcode_sector,
            CASE WHEN length(c.postcode_std) >= 5 THEN left(c.postcode_std, length(c.postcode_std) - 3) END
                AS postcode_district,
            c.nhs_raw,
            {_nhs_valid_sql("c.nhs_raw")} AS nhs_valid,
            {_upn_valid_sql("c.upn_raw")} AS upn_valid
        FROM link_cleaned c
        LEFT JOIN variants v ON v.name = c.forename_std
        )
    """)
    con.execute("DROP TABLE link_cleaned")
    return con.execute("SELECT count(*) FROM link_records").fetchall()[0][0]
