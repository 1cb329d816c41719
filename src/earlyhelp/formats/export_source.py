"""What every DfE exporter starts from: the EHLD folders as DuckDB views and the LAs to write.

Export reads EHLD data that ``earlyhelp validate`` should have passed, but it does not trust
that: ``EHLDFolder.register`` runs the validator's file and header checks on every table first
(encoding, separator, required columns, misnamed files), and a value DuckDB cannot convert later
on is located (file, line, column) and reported as a ``DataError``, never as a database error.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from earlyhelp.engine.connect import duckdb_connection
from earlyhelp.errors import DataError, UsageError
from earlyhelp.spec.files import columns_in_file, csv_source_sql, sql_identifier
from earlyhelp.spec.model import TABLES
from earlyhelp.spec.periods import last_year_end_reached
from earlyhelp.validate.folder import EHLDFolder

VALIDATE_HINT = (
    "Export reads valid EHLD data: run `earlyhelp validate` on the folder and fix "
    "what it lists (dates are written YYYY-MM-DD)."
)
# Validator findings listed when a line cannot be parsed at all.
SHOWN_FINDINGS = 10


def open_export_source(
    data: list[Path],
    *,
    driving_table: str,
    required: tuple[str, ...],
    missing: str,
    no_records: str,
    la_code: str | None,
) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    """Register ``data`` on a new connection and list the LAs with rows in ``driving_table``
    (only ``la_code`` when given). ``missing`` names the tables for the error when ``required``
    ones are absent; ``no_records`` names the records for the error when ``la_code`` has none."""
    folder = EHLDFolder(*data)
    if any(name not in folder for name in required):
        raise UsageError(f"{', '.join(map(str, data))} holds no {missing} to export.")
    con = duckdb_connection()
    folder.register(con)  # runs the validator's file and header checks first (DataError)
    las = [row[0] for row in con.execute(f'SELECT DISTINCT la_code FROM "{driving_table}" ORDER BY la_code').fetchall()]
    if la_code:
        if la_code not in las:
            raise UsageError(f"{la_code} has no {no_records} in the data.")
        las = [la_code]
    return con, las


def collection_year(con: duckdb.DuckDBPyConnection, la: str, year: int | None, *, fallback_sql: str) -> int:
    """The collection year to write for ``la``: ``year`` when the data reaches its 31 March,
    else (``year`` None) the latest year whose 31 March ``returns.period_end`` reaches.

    ``fallback_sql`` (one parameter, the LA) gives the latest event date when the LA has no
    ``returns`` row. A ``year`` whose 31 March is after the LA's extract date is refused: the
    return would show children as still open in a year the data never saw.
    """
    period_end, extract_date = con.execute(
        "SELECT max(period_end), max(extract_date) FROM returns WHERE la_code = ?", [la]
    ).fetchall()[0]
    latest_event = None
    if period_end is None or extract_date is None:
        latest_event = con.execute(fallback_sql, [la]).fetchall()[0][0]
    last = period_end or latest_event
    observed = extract_date or latest_event
    if last is None or observed is None:
        raise DataError(
            f"{la} has no returns row with a period_end and no dated record to export.",
            hint="Add the LA's row to returns.csv (period_start, period_end, extract_date).",
        )
    if year is None:
        # The latest census whose reference date (31 March) the data reaches.
        return last_year_end_reached(last)
    if dt.date(year, 3, 31) > observed:
        reached = last_year_end_reached(observed)
        raise UsageError(
            f"--year {year} (the collection ending 31 March {year}) is after the data of {la}: "
            f"its {'extract date' if extract_date else 'latest record'} is {observed.isoformat()}.",
            hint=f"Choose --year {reached} or earlier, or leave --year out for the latest year "
            "the return covers. (Data from `earlyhelp ingest` of SSDA903 or SSD files has the "
            "latest event as its extract date unless --extract-date was given.)",
        )
    return year


def first_of_birth_month(birth_month: str | None) -> dt.date | None:
    """The 1st of ``birth_month`` (YYYY-MM) for --approximate-birth-dates; None when the month
    is not written YYYY-MM (e.g. a date Excel wrote as 01/04/2005)."""
    if not birth_month or len(birth_month) != 7:
        return None
    try:
        return dt.date.fromisoformat(f"{birth_month}-01")
    except ValueError:
        return None


BAD_BIRTH_MONTH = (
    "birth_month is not a month written YYYY-MM, so no approximate date of birth "
    "can be made; run `earlyhelp validate` and fix children.csv"
)


def locate_unreadable_value(data: list[Path]) -> DataError:
    """The first value of the EHLD CSV files that DuckDB cannot read as its spec type, as a
    DataError naming file, line and column (never the value: it may be an identifier)."""
    folder = EHLDFolder(*data)
    con = duckdb_connection(threads=1)  # one thread: rows keep file order, so row_number() gives the line
    try:
        for name, path in folder.tables.items():
            if path.suffix.lower() != ".csv":
                continue
            table = TABLES[name]
            present = columns_in_file(path)
            typed = [c for c in table.columns if c.name in present and c.duckdb_type != "VARCHAR"]
            if not typed:
                continue
            source = csv_source_sql(path, present)
            for column in typed:
                quoted = sql_identifier(column.name)
                found = con.execute(
                    f"""SELECT line FROM (SELECT row_number() OVER () + 1 AS line, {quoted} AS v FROM {source})
                        WHERE NULLIF(TRIM(v), '') IS NOT NULL
                          AND TRY_CAST(TRIM(v) AS {column.duckdb_type}) IS NULL
                        ORDER BY line LIMIT 1"""
                ).fetchall()
                if found:
                    return DataError(
                        f"{path.name}, line {found[0][0]}, column {column.name}: the value is not a "
                        f"valid {column.type} ({_form(column.type)}).",
                        hint=VALIDATE_HINT,
                    )
    except duckdb.Error:
        pass  # a line DuckDB cannot parse: the validator below says where
    finally:
        con.close()
    return _validator_errors(data)


def _validator_errors(data: list[Path]) -> DataError:
    """The validator's errors on ``data`` (it reads every line itself, and masks identifiers)."""
    from earlyhelp.validate.engine import validate_paths

    report = validate_paths(data, detail_limit=SHOWN_FINDINGS)
    errors = [f for f in report.sorted_findings() if f.severity == "error"][:SHOWN_FINDINGS]
    if not errors:
        return DataError("The EHLD files could not be read for export.", hint=VALIDATE_HINT)
    lines = "\n".join(f"  - {f.location()}: {f.message} Hint: {f.hint}" for f in errors)
    more = report.error_count - len(errors)
    tail = f"\n  ... and {more} more" if more > 0 else ""
    return DataError(
        f"The EHLD files cannot be exported as they are: {report.error_count} problem(s).\n{lines}{tail}",
        hint=VALIDATE_HINT,
    )


def _form(kind: str) -> str:
    return {
        "date": "written YYYY-MM-DD",
        "month": "written YYYY-MM",
        "bool": "true or false",
        "int": "a whole number",
    }.get(kind, "see the EHLD specification")
