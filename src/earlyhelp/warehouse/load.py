"""Loading validated EHLD returns into a DuckDB warehouse, all or nothing, replacing by LA.

The warehouse has one table per EHLD table, named and typed exactly as :mod:`earlyhelp.spec`
says, holding every LA together, so any stage can read it like a folder of EHLD files. Identity
zone tables (``person_identifiers``) never enter it: they go into a separate identity warehouse
when one is named, and otherwise the load is refused (or, when asked, they are left out).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from earlyhelp.errors import DataError, EarlyhelpError, UsageError
from earlyhelp.spec import TABLES, TABLES_IN_ORDER, Table
from earlyhelp.spec.files import select_sql, sql_identifier, sql_literal
from earlyhelp.validate import ValidationReport, validate_paths
from earlyhelp.validate.engine import collect_files
from earlyhelp.validate.rules import RETURNS_TABLE

HISTORY_TABLE = "load_history"
LOAD_MEMORY_LIMIT = "1GB"
# Tables that hold direct identifiers: never in the analytic warehouse.
IDENTITY_TABLES = tuple(t.name for t in TABLES_IN_ORDER if t.zone == "identity")
WAREHOUSE_TABLES = tuple(t for t in TABLES_IN_ORDER if t.zone != "identity")


class ReturnRejected(DataError):
    """The return failed validation, so nothing was loaded. ``report`` says why."""

    def __init__(self, report: ValidationReport):
        super().__init__(
            f"The return has {report.error_count:,} error{'s' if report.error_count != 1 else ''}, "
            "so nothing was loaded.",
            hint="Fix the errors listed above (run `earlyhelp validate` on the same files) and load again.",
        )
        self.report = report


@dataclass
class LoadResult:
    """What one load did. ``rows`` counts the rows loaded per table (all LAs of the return)."""

    warehouse: Path
    la_codes: list[str]
    rows: dict[str, int]
    loaded_at: datetime
    checksum: str
    files: list[str]
    identity_warehouse: Path | None = None
    identity_rows: int = 0
    skipped_identity: bool = False
    report: ValidationReport | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        return {
            "warehouse": str(self.warehouse), "la_codes": self.la_codes, "rows": self.rows,
            "loaded_at": self.loaded_at.isoformat(), "checksum": self.checksum, "files": self.files,
            "identity_warehouse": str(self.identity_warehouse) if self.identity_warehouse else None,
            "identity_rows": self.identity_rows, "skipped_identity": self.skipped_identity,
            "warnings": self.report.warning_count if self.report else 0,
        }


def create_sql(table: Table) -> str:
    columns = ", ".join(f"{sql_identifier(c.name)} {c.duckdb_type}" for c in table.columns)
    return f"CREATE TABLE IF NOT EXISTS {sql_identifier(table.name)} ({columns})"


HISTORY_SQL = (
    f"CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} (la_code VARCHAR, loaded_at TIMESTAMPTZ, "
    "files VARCHAR, rows_per_table VARCHAR, checksum VARCHAR)"
)


def checksum(files: dict[str, Path]) -> str:
    """SHA-256 over the tables' names and bytes, in table order: the same return, the same sum."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0")
        with open(files[name], "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    if path.exists() and path.is_dir():
        raise UsageError(f"{path} is a folder; --warehouse needs a file name such as warehouse.duckdb.")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # Bounded like the validator: DuckDB spills beyond this instead of taking 80% of RAM.
        return duckdb.connect(str(path), config={"memory_limit": LOAD_MEMORY_LIMIT})
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise UsageError(f"The warehouse {path} is in use by another program.",
                             hint="Close the other program (or earlyhelp command) and try again.") from None
        raise UsageError(f"The warehouse {path} cannot be opened: it is not a DuckDB database file.") from None
    except duckdb.Error:
        raise UsageError(f"The warehouse {path} cannot be opened: it is not a DuckDB database file.") from None


def _source_sql(table: Table, path: Path) -> str:
    """The file as typed rows; blank lines (accepted by validation with a warning) are dropped."""
    every_null = " AND ".join(f"{sql_identifier(c.name)} IS NULL" for c in table.columns)
    return f"SELECT * FROM ({select_sql(table, path)}) WHERE NOT ({every_null})"


def _replace(con: duckdb.DuckDBPyConnection, tables: list[Table], files: dict[str, Path],
             la_codes: list[str], rows_by_la: dict[str, dict[str, int]]) -> dict[str, int]:
    """Within the open transaction: replace the return's LAs' rows table by table."""
    las = "(" + ", ".join(sql_literal(code) for code in la_codes) + ")" if la_codes else "(NULL)"
    loaded: dict[str, int] = {}
    for table in tables:
        name = sql_identifier(table.name)
        path = files.get(table.name)
        if path is None:
            # A return is the whole analytic picture of its LAs: what it no longer holds goes.
            if table.zone == "analytic" and table.has_la_code:
                con.execute(f"DELETE FROM {name} WHERE la_code IN {las}")
            continue
        # A view, not a table: the file streams straight into the warehouse table.
        con.execute(f"CREATE OR REPLACE TEMP VIEW incoming AS {_source_sql(table, path)}")
        if table.has_la_code:
            con.execute(f"DELETE FROM {name} WHERE la_code IN {las} "
                        "OR la_code IN (SELECT DISTINCT la_code FROM incoming)")
        else:
            # Partner outcome and other tables without la_code are not split by LA: a return that
            # includes one replaces it whole.
            con.execute(f"DELETE FROM {name}")
        loaded[table.name] = con.execute(f"INSERT INTO {name} SELECT * FROM incoming").fetchall()[0][0]
        if table.has_la_code:
            for code, count in con.execute(f"SELECT la_code, count(*) FROM {name} WHERE la_code IN {las} "
                                           "GROUP BY ALL").fetchall():
                rows_by_la.setdefault(code, {})[table.name] = count
        con.execute("DROP VIEW incoming")
    return loaded


def _load_into(path: Path, tables: list[Table], files: dict[str, Path], la_codes: list[str],
               loaded_at: datetime, digest: str) -> dict[str, int]:
    con = _connect(path)
    try:
        for table in tables:
            con.execute(create_sql(table))
        con.execute(HISTORY_SQL)
        rows_by_la: dict[str, dict[str, int]] = {}
        con.execute("BEGIN TRANSACTION")
        try:
            loaded = _replace(con, tables, files, la_codes, rows_by_la)
            file_names = json.dumps(sorted(files[t.name].name for t in tables if t.name in files))
            for code in la_codes:
                con.execute(f"INSERT INTO {HISTORY_TABLE} VALUES (?, ?, ?, ?, ?)",
                            [code, loaded_at, file_names, json.dumps(rows_by_la.get(code, {}), sort_keys=True),
                             digest])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        return loaded
    except duckdb.Error as error:
        raise EarlyhelpError(f"Loading into {path} failed and was rolled back: nothing changed "
                             f"({type(error).__name__}).", exit_code=1) from None
    finally:
        con.close()


def return_la_codes(files: dict[str, Path]) -> list[str]:
    """The LAs a return covers: the la_code of each row of its returns table."""
    con = duckdb.connect()
    try:
        rows = con.execute(f"SELECT DISTINCT la_code FROM ({select_sql(TABLES[RETURNS_TABLE], files[RETURNS_TABLE])}) "
                           "WHERE la_code IS NOT NULL ORDER BY 1").fetchall()
    finally:
        con.close()
    return [row[0] for row in rows]


def load_return(paths: list[Path] | tuple[Path, ...] | Path | str, warehouse: Path | str, *,
                identity_warehouse: Path | str | None = None, skip_identity: bool = False,
                report: ValidationReport | None = None) -> LoadResult:
    """Validate a return, then load it into ``warehouse`` in one transaction.

    A return that fails validation raises :class:`ReturnRejected` and changes nothing. Loading
    an LA again replaces its rows (idempotent); every load is recorded in ``load_history``.
    ``person_identifiers`` goes only into ``identity_warehouse``; without one the load is
    refused unless ``skip_identity`` is true. Pass ``report`` to reuse a validation already run.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    warehouse = Path(warehouse)
    identity_path = Path(identity_warehouse) if identity_warehouse is not None else None
    if identity_path is not None and identity_path.resolve() == warehouse.resolve():
        raise UsageError("The identity warehouse must be a different file from the analytic warehouse.",
                         hint="Identifiers are kept apart from the analytic data, e.g. identity.duckdb.")
    if identity_path is not None and skip_identity:
        raise UsageError("Choose one: an identity warehouse, or skipping the identity tables.")

    report = report if report is not None else validate_paths(paths)
    if not report.ok:
        raise ReturnRejected(report)
    files = collect_files(paths, ValidationReport())
    identity_files = [name for name in IDENTITY_TABLES if name in files]
    if identity_files and identity_path is None and not skip_identity:
        raise UsageError(
            f"This return holds identifiers ({', '.join(identity_files)}), which never go into the "
            "analytic warehouse.",
            hint="Name a separate identity warehouse with --identity-warehouse FILE, or leave the "
                 "identifiers out with --skip-identity.",
        )
    if RETURNS_TABLE not in files:
        raise DataError("A return needs a returns file (one row per LA with its extract date).")
    la_codes = return_la_codes(files)
    digest = checksum(files)
    loaded_at = datetime.now(timezone.utc)

    rows = _load_into(warehouse, list(WAREHOUSE_TABLES), files, la_codes, loaded_at, digest)
    identity_rows = 0
    if identity_path is not None:
        identity_tables = [TABLES[name] for name in IDENTITY_TABLES]
        identity_rows = sum(_load_into(identity_path, identity_tables, files, la_codes,
                                       loaded_at, digest).values())
    return LoadResult(
        warehouse=warehouse, la_codes=la_codes, rows=rows, loaded_at=loaded_at, checksum=digest,
        files=sorted(p.name for p in files.values()), identity_warehouse=identity_path,
        identity_rows=identity_rows, skipped_identity=bool(identity_files) and skip_identity,
        report=report,
    )
