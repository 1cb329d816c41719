"""Which rows of the warehouse a return replaces: its LA's rows of its own period, by source.

A warehouse accumulates an LA's returns year by year (CIN census 2019, 2020, 2021 ...) and from
several sources (a CIN census and an SSDA903 return of the same year). So that a trend can be
built from annual returns, a return never replaces the LA's other periods or other sources:

* Every row of an LA's record table (and of ``person_identifiers``) carries one warehouse-only
  column, :data:`PERIOD_COLUMN`: the period of the return it came from, ``"start/end"`` (ISO
  dates), e.g. ``"2018-04-01/2019-03-31"``.
* A record held by several returns (a referral open at 31 March is in both censuses) is one row,
  matched by its key (:func:`key_columns`: the spec's unique columns, or the columns that name it),
  and the version from the return whose period ends latest wins: loading 2020 gives the
  referral its 2020 closure; loading 2019 again afterwards leaves the 2020 version in place. A
  child is one child across returns (``la_code``, ``child_id``).
* A return speaks for its period in each *family* of tables it has a file for
  (:data:`FAMILIES`: CIN episodes, looked-after episodes, early help): those rows of the same LA
  and period that it no longer holds are deleted (a corrected 2019 census removes a 2019 referral
  entered by mistake). A family it has no file for is left as it is, so that an SSDA903 return
  does not remove the CIN census of the same year. ``children`` rows are never removed this way:
  every source brings its own children.
* The warehouse's ``returns`` row of an LA spans every period loaded for it (warehouse-only table
  :data:`PERIODS_TABLE` lists them), with the latest extract date; loads that would leave a gap
  between periods are refused, as ``returns`` cannot describe one.
"""

from __future__ import annotations

from earlyhelp.spec import TABLES, TABLES_IN_ORDER, Table

PERIOD_COLUMN = "source_period"
PERIODS_TABLE = "return_periods"
PERIODS_SQL = (
    f"CREATE TABLE IF NOT EXISTS {PERIODS_TABLE} (la_code VARCHAR, period_start DATE, period_end DATE, "
    "extract_date DATE)"
)
# Record tables whose rows belong to the period of the return that brought them.
PERIOD_TABLES = frozenset(t.name for t in TABLES_IN_ORDER if t.has_la_code and t.zone in ("analytic", "identity"))
FAMILIES: tuple[frozenset[str], ...] = (
    frozenset({"referrals", "assessments", "cin_plans", "s47_enquiries", "cp_plans"}),
    frozenset({"looked_after_episodes"}),
    frozenset({"early_help_episodes", "early_help_services", "family_goals"}),
    frozenset({"person_identifiers"}),
)
# Tables the spec gives no unique columns: what names one of their records.
_NAMING_COLUMNS = {
    "cin_plans": ("la_code", "child_id", "referral_id", "start_date"),
    "s47_enquiries": ("la_code", "child_id", "referral_id", "start_date"),
    "cp_plans": ("la_code", "child_id", "referral_id", "start_date"),
    "looked_after_episodes": ("la_code", "child_id", "start_date"),
    "early_help_services": ("la_code", "episode_id", "service_type", "provider_agency", "start_date"),
}


def key_columns(table: Table) -> tuple[str, ...]:
    """The columns that say two rows of ``table`` from different returns are one record."""
    if table.name in _NAMING_COLUMNS:
        return _NAMING_COLUMNS[table.name]
    if not table.unique:
        # A table of the spec added later without a key: every column names the record.
        return table.column_names
    unique = table.unique[0]
    return unique if "la_code" in unique else ("la_code", *unique)


def spoken_for(tables_with_files: set[str]) -> frozenset[str]:
    """The tables whose rows of the return's period the return replaces: whole families."""
    spoken: set[str] = set()
    for family in FAMILIES:
        if family & tables_with_files:
            spoken |= family
    return frozenset(spoken)


def period_tag_sql(start: str, end: str) -> str:
    """SQL of a period's tag from two DATE expressions."""
    return f"strftime({start}, '%Y-%m-%d') || '/' || strftime({end}, '%Y-%m-%d')"


def period_end_sql(tag: str) -> str:
    """SQL of the end of a tagged period, comparable as text; '' for rows of no known period."""
    return f"coalesce(split_part({tag}, '/', 2), '')"


assert all(name in TABLES for name in _NAMING_COLUMNS)
assert all(name in TABLES for family in FAMILIES for name in family)
