"""Loading validated EHLD returns into a DuckDB warehouse, all or nothing, by LA and period.

The warehouse has one table per EHLD table, named and typed exactly as :mod:`earlyhelp.spec`
says, holding every LA together, so any stage can read it like a folder of EHLD files. Identity
zone tables (``person_identifiers``) never enter it: they go into a separate identity warehouse
when one is named, and otherwise the load is refused (or, when asked, they are left out).

Tables without ``la_code`` that come with an LA's return (partner outcomes, ``person_link``) get
one warehouse-only column, ``provenance_la_codes``: the LAs of the return each row came with, so
that reloading an LA replaces only the rows that came with it. Readers select the spec's
columns by name (``earlyhelp.engine``), so the extra column is invisible to every stage.

Record tables accumulate an LA's returns period by period and source by source: see
:mod:`earlyhelp.warehouse.periods` for which rows a return replaces and how a record held by
two returns (an episode open across 31 March) becomes one row.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from earlyhelp.console import steps
from earlyhelp.engine.connect import duckdb_connection, duckdb_table_names
from earlyhelp.errors import DataError, EarlyhelpError, UsageError
from earlyhelp.spec import TABLES, TABLES_IN_ORDER, Table
from earlyhelp.spec.files import sql_identifier, sql_literal
from earlyhelp.validate import ValidationReport, validate_paths
from earlyhelp.validate.engine import collect_files
from earlyhelp.validate.folder import select_sql  # reads workbooks and Excel-saved CSV as validate does
from earlyhelp.validate.rules import RETURNS_TABLE
from earlyhelp.warehouse.journal import Journal, crash_point, read_journal, remove_journal, write_journal
from earlyhelp.warehouse.periods import (
    PERIOD_COLUMN,
    PERIOD_TABLES,
    PERIODS_SQL,
    PERIODS_TABLE,
    key_columns,
    period_end_sql,
    period_tag_sql,
    spoken_for,
)

HISTORY_TABLE = "load_history"
# Tables that hold direct identifiers: never in the analytic warehouse.
IDENTITY_TABLES = tuple(t.name for t in TABLES_IN_ORDER if t.zone == "identity")
WAREHOUSE_TABLES = tuple(t for t in TABLES_IN_ORDER if t.zone != "identity")
# Tables without la_code that an LA's return brings (not national reference data such as
# deflators): each row records the LAs of its return in this warehouse-only column.
PROVENANCE_COLUMN = "provenance_la_codes"
PROVENANCE_TABLES = frozenset(t.name for t in TABLES_IN_ORDER if not t.has_la_code and t.zone != "reference")


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
    # What was done to finish an earlier, interrupted load first (sentences for the user).
    repaired: list[str] = field(default_factory=list)
    # Per LA, the period its loaded returns cover together after this load (its returns row).
    covers: dict[str, tuple[date, date]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "warehouse": str(self.warehouse),
            "la_codes": self.la_codes,
            "rows": self.rows,
            "loaded_at": self.loaded_at.isoformat(),
            "checksum": self.checksum,
            "files": self.files,
            "identity_warehouse": str(self.identity_warehouse) if self.identity_warehouse else None,
            "identity_rows": self.identity_rows,
            "skipped_identity": self.skipped_identity,
            "warnings": self.report.warning_count if self.report else 0,
        }


def create_sql(table: Table) -> str:
    columns = [f"{sql_identifier(c.name)} {c.duckdb_type}" for c in table.columns]
    if table.name in PROVENANCE_TABLES:
        columns.append(f"{sql_identifier(PROVENANCE_COLUMN)} VARCHAR[]")
    if table.name in PERIOD_TABLES:
        columns.append(f"{sql_identifier(PERIOD_COLUMN)} VARCHAR")
    return f"CREATE TABLE IF NOT EXISTS {sql_identifier(table.name)} ({', '.join(columns)})"


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


@dataclass(frozen=True)
class Target:
    """A database file a load writes, with the option that named it (for messages)."""

    path: Path
    option: str  # "--warehouse" or "--identity-warehouse"
    example: str  # a file name to suggest

    @property
    def what(self) -> str:
        return "identity warehouse" if self.option == "--identity-warehouse" else "warehouse"


WAREHOUSE_HINT = "Choose a folder you can write to (e.g. in your documents), or ask IT for write access."


def check_target(target: Target) -> None:
    """Refuse, before any work, a database file that cannot be created or written.

    DuckDB's own errors for these cases name the wrong cause ("not a database file"), and
    validating a large return first would keep the analyst waiting for nothing.
    """
    path = target.path
    if path.is_dir():
        raise UsageError(
            f"{path} is a folder; {target.option} needs a file name such as {target.example}.",
            hint=f"Give a file inside the folder, e.g. {path / target.example}.",
        )
    # The nearest folder that exists: the file, its .wal journal and any missing folders go there.
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise UsageError(
            f"Cannot create the {target.what} {path}: {folder} is a file, not a folder.",
            hint=f"Give {target.option} a path inside a folder.",
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(
            f"Cannot write the {target.what} {path}: the folder {folder} is read-only or you may not write there.",
            hint=WAREHOUSE_HINT,
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise UsageError(
            f"Cannot write the {target.what} {path}: the file is read-only or you may not change it.",
            hint=WAREHOUSE_HINT,
        )


def same_file(first: Path, second: Path) -> bool:
    """Whether two paths name one file: the same path, a symbolic link or a hard link to it.

    Two names for one DuckDB file open two databases in one process, and the later commit
    overwrites the earlier one's rows, so comparing resolved paths is not enough.
    """
    if first.resolve() == second.resolve():
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False  # one of them does not exist yet: not the same file


def _connect(target: Target) -> duckdb.DuckDBPyConnection:
    # load_return has already run check_target on every target before validating the return.
    path = target.path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"Cannot create the folder {path.parent} for the {target.what}: "
            f"{error.strerror or 'it cannot be created'}.",
            hint=WAREHOUSE_HINT,
        ) from None
    try:
        # Bounded (the load's share of the memory limit): DuckDB spills beside the file beyond it.
        return duckdb_connection(path, stage="load")
    except duckdb.IOException as error:
        text = str(error).lower()
        if "lock" in text:
            raise UsageError(
                f"The {target.what} {path} is in use by another program.",
                hint="Close the other program (or earlyhelp command) and try again.",
            ) from None
        for cause in ("read-only file system", "permission denied"):
            if cause in text:
                raise UsageError(f"Cannot write the {target.what} {path}: {cause}.", hint=WAREHOUSE_HINT) from None
        if "no space left" in text:
            raise UsageError(
                f"Cannot write the {target.what} {path}: the disk is full.",
                hint="Free some space on the disk, or choose a folder on another disk.",
            ) from None
        raise UsageError(
            f"The {target.what} {path} cannot be opened: it is not a DuckDB database file.",
            hint=f"Give {target.option} a new file name, or an earlier warehouse file.",
        ) from None
    except duckdb.Error:
        raise UsageError(
            f"The {target.what} {path} cannot be opened: it is not a DuckDB database file.",
            hint=f"Give {target.option} a new file name, or an earlier warehouse file.",
        ) from None


def _source_sql(table: Table, path: Path) -> str:
    """The file as typed rows; blank lines (accepted by validation with a warning) are dropped."""
    every_null = " AND ".join(f"{sql_identifier(c.name)} IS NULL" for c in table.columns)
    return f"SELECT * FROM ({select_sql(table, path)}) WHERE NOT ({every_null})"


def _list_literal(values: list[str]) -> str:
    return "CAST([" + ", ".join(sql_literal(v) for v in values) + "] AS VARCHAR[])"


def _in_list(values: list[str]) -> str:
    return "(" + ", ".join(sql_literal(v) for v in values) + ")" if values else "(NULL)"


def _came_with(la_codes: list[str]) -> str:
    """Rows of a provenance table that came with a return covering any of ``la_codes``."""
    column = sql_identifier(PROVENANCE_COLUMN)
    if not la_codes:
        return f"len({column}) = 0"
    return f"list_has_any({column}, {_list_literal(la_codes)})"


def history_tables(files_json: str | None) -> set[str]:
    """The tables a load brought, from the ``files`` column of a :data:`HISTORY_TABLE` row (the
    JSON list of its file names). Raises ValueError or TypeError if the value is not such a list."""
    return {Path(name).stem for name in json.loads(files_json or "[]")}


def loaded_return_tables(warehouse: Path | str) -> dict[str, frozenset[str]]:
    """Per LA, the tables its loaded returns had files for, together: returns accumulate (a CIN
    census and an SSDA903 return of one LA each bring their own tables), and a table none of
    them had a file for was not supplied. A history row that cannot be read is passed over; an
    LA none of whose rows can be read is left out, as is every LA of a warehouse without a
    load history: they cannot tell."""
    con = duckdb_connection(warehouse, read_only=True)
    try:
        has_history = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [HISTORY_TABLE]
        ).fetchall()[0][0]
        if not has_history:
            return {}
        loads = con.execute(f"SELECT la_code, files FROM {HISTORY_TABLE} ORDER BY loaded_at").fetchall()
    finally:
        con.close()
    tables: dict[str, frozenset[str]] = {}
    for la_code, files in loads:
        try:
            tables[la_code] = tables.get(la_code, frozenset()) | history_tables(files)
        except (TypeError, ValueError):
            continue
    return tables


def _backfill_provenance(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Give rows loaded before provenance was recorded the LAs of the return they came with.

    Loads then replaced such a table whole, so its rows are those of the latest load whose files
    included it. Rows no history explains keep an empty (NULL) provenance and are never replaced.
    """
    # loaded_at as text: it only tells loads apart, and TIMESTAMPTZ values would need pytz.
    history = con.execute(
        f"SELECT la_code, loaded_at::VARCHAR, checksum, files FROM {HISTORY_TABLE} ORDER BY loaded_at DESC"
    ).fetchall()
    latest = None
    la_codes: list[str] = []
    for la_code, loaded_at, digest, files in history:
        if latest is None and table.name in history_tables(files):
            latest = (loaded_at, digest)
        if latest == (loaded_at, digest) and la_code is not None:
            la_codes.append(la_code)
    if latest is not None:
        con.execute(
            f"UPDATE {sql_identifier(table.name)} SET {sql_identifier(PROVENANCE_COLUMN)} = "
            f"{_list_literal(sorted(set(la_codes)))}"
        )


def _prepare_schema(con: duckdb.DuckDBPyConnection, tables: list[Table]) -> None:
    """Create missing tables; give tables of an older warehouse their warehouse-only columns."""
    con.execute(HISTORY_SQL)
    present = duckdb_table_names(con)

    def having(column: str) -> set[str]:
        return {
            row[0]
            for row in con.execute(
                "SELECT table_name FROM duckdb_columns() WHERE database_name = current_database() "
                f"AND schema_name = 'main' AND column_name = {sql_literal(column)}"
            ).fetchall()
        }

    with_provenance, with_period = having(PROVENANCE_COLUMN), having(PERIOD_COLUMN)
    for table in tables:
        name = sql_identifier(table.name)
        if table.name in PROVENANCE_TABLES and table.name in present and table.name not in with_provenance:
            con.execute(f"ALTER TABLE {name} ADD COLUMN {sql_identifier(PROVENANCE_COLUMN)} VARCHAR[]")
            _backfill_provenance(con, table)
        if table.name in PERIOD_TABLES and table.name in present and table.name not in with_period:
            # Loaded when a return replaced all of its LA's rows: they are of the LA's one return.
            con.execute(f"ALTER TABLE {name} ADD COLUMN {sql_identifier(PERIOD_COLUMN)} VARCHAR")
            if RETURNS_TABLE in present:
                con.execute(
                    f"UPDATE {name} SET {sql_identifier(PERIOD_COLUMN)} = r.tag FROM (SELECT la_code, "
                    f"{period_tag_sql('period_start', 'period_end')} AS tag FROM {RETURNS_TABLE}) r "
                    f"WHERE {name}.la_code = r.la_code"
                )
        con.execute(create_sql(table))
        _add_new_columns(con, table)
    if RETURNS_TABLE in {t.name for t in tables}:
        con.execute(PERIODS_SQL)
        if RETURNS_TABLE in present:
            # An older warehouse's returns rows are its LAs' only periods so far.
            con.execute(
                f"INSERT INTO {PERIODS_TABLE} SELECT la_code, period_start, period_end, extract_date "
                f"FROM {RETURNS_TABLE} WHERE la_code NOT IN (SELECT la_code FROM {PERIODS_TABLE})"
            )


def _add_new_columns(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Give a table of an older warehouse the optional columns the spec has gained since
    (children.mother, ...). The spec adds them after the others, and rows are inserted by
    position (record tables by name: their source_period may come first), so they are added
    at the end in the spec's order."""
    have = {
        row[0]
        for row in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND table_name = ?",
            [table.name],
        ).fetchall()
    }
    for column in table.columns:
        if column.name not in have:
            con.execute(
                f"ALTER TABLE {sql_identifier(table.name)} ADD COLUMN {sql_identifier(column.name)} {column.duckdb_type}"
            )


def _refuse_split(con: duckdb.DuckDBPyConnection, table: Table, la_codes: list[str]) -> None:
    """Partner rows loaded with several LAs cannot be told apart by LA: a return covering only
    some of those LAs would either drop the others' rows or double its own, so it is refused."""
    column = sql_identifier(PROVENANCE_COLUMN)
    if not la_codes:
        return
    rows = con.execute(
        f"SELECT DISTINCT {column} FROM {sql_identifier(table.name)} WHERE {_came_with(la_codes)} "
        f"AND NOT list_has_all({_list_literal(la_codes)}, {column})"
    ).fetchall()
    if rows:
        together = sorted({code for (codes,) in rows for code in codes})
        raise UsageError(
            f"{table.name} holds rows loaded with one return for {', '.join(together)}; this return "
            f"covers only {', '.join(la_codes)}, so those rows cannot be replaced without losing or "
            "doubling another LA's rows. Nothing was loaded.",
            hint=f"Load one return covering {', '.join(together)} together.",
        )


# The identity share of a two-file load keeps, in its own file and committed with it, the rows it
# replaced and a note of the load, until the analytic warehouse has committed too: a load killed
# between the two commits can then be undone by the next one, whatever process that is.
PENDING_TABLE = "load_pending"
UNDO_PREFIX = "load_undo_"
PENDING_SQL = (
    f"CREATE TABLE {PENDING_TABLE} (loaded_at TIMESTAMPTZ, checksum VARCHAR, analytic_warehouse VARCHAR, "
    "table_name VARCHAR, replaced VARCHAR)"
)


def _refuse_gaps(con: duckdb.DuckDBPyConnection, la_codes: list[str]) -> None:
    """One ``returns`` row per LA cannot describe periods with a gap between them: refuse."""
    gaps = con.execute(
        f"""SELECT la_code, covered_to + 1, period_start - 1 FROM (
              SELECT la_code, period_start,
                     max(period_end) OVER (PARTITION BY la_code ORDER BY period_start
                                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS covered_to
              FROM {PERIODS_TABLE} WHERE la_code IN {_in_list(la_codes)})
            WHERE period_start > covered_to + 1 ORDER BY la_code, period_start LIMIT 1"""
    ).fetchall()
    if gaps:
        la_code, first, last = gaps[0]
        raise DataError(
            f"With this return the warehouse would hold returns of {la_code} with a gap from {first:%Y-%m-%d} "
            f"to {last:%Y-%m-%d}, which no return covers, so nothing was loaded.",
            hint="Load the return of the period in between first, then this one.",
        )


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND table_name = ?",
            [name],
        ).fetchall()[0][0]
    )


def _epoch_us(moment: datetime) -> int:
    """A load's time as whole microseconds, compared exactly across files (no time zone, no pytz)."""
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def _pending_load(con: duckdb.DuckDBPyConnection) -> tuple[int, str, Path] | None:
    """The unfinished load an identity warehouse holds: (loaded_at in µs, checksum, analytic warehouse)."""
    if not _has_table(con, PENDING_TABLE):
        return None
    rows = con.execute(
        f"SELECT epoch_us(loaded_at), checksum, analytic_warehouse FROM {PENDING_TABLE} WHERE table_name IS NULL"
    ).fetchall()
    return (rows[0][0], rows[0][1], Path(rows[0][2])) if rows else None


def _finish_pending(con: duckdb.DuckDBPyConnection, keep: bool) -> None:
    """Keep (the analytic warehouse committed it too) or undo the identity share of a load, in one
    transaction, then let go of the rows it replaced."""
    con.execute("BEGIN TRANSACTION")
    if not keep:
        for table_name, replaced in con.execute(
            f"SELECT table_name, replaced FROM {PENDING_TABLE} WHERE table_name IS NOT NULL"
        ).fetchall():
            name = sql_identifier(table_name)
            con.execute(f"DELETE FROM {name} WHERE {replaced}")
            con.execute(f"INSERT INTO {name} SELECT * FROM {sql_identifier(UNDO_PREFIX + table_name)}")
        con.execute(
            f"DELETE FROM {HISTORY_TABLE} WHERE (epoch_us(loaded_at), checksum) IN "
            f"(SELECT (epoch_us(loaded_at), checksum) FROM {PENDING_TABLE} WHERE table_name IS NULL)"
        )
    for (table_name,) in con.execute(f"SELECT table_name FROM {PENDING_TABLE} WHERE table_name IS NOT NULL").fetchall():
        con.execute(f"DROP TABLE IF EXISTS {sql_identifier(UNDO_PREFIX + table_name)}")
    con.execute(f"DROP TABLE {PENDING_TABLE}")
    con.execute("COMMIT")


def _analytic_committed(warehouse: Path, loaded_at_us: int, digest: str) -> bool:
    """Whether the analytic warehouse committed the load: its history rows commit with its data."""
    if not warehouse.exists():
        return False
    con = _connect(Target(warehouse, "--warehouse", "warehouse.duckdb"))
    try:
        if not _has_table(con, HISTORY_TABLE):
            return False
        return bool(
            con.execute(
                f"SELECT count(*) FROM {HISTORY_TABLE} WHERE epoch_us(loaded_at) = ? AND checksum = ?",
                [loaded_at_us, digest],
            ).fetchall()[0][0]
        )
    finally:
        con.close()


def _resolve_identity(identity: Path, warehouse: Path | None) -> bool | None:
    """Finish the unfinished load ``identity`` holds, as ``warehouse`` (default: the analytic
    warehouse the load named) decided it: True kept, False undone, None if there was none."""
    con = _connect(Target(identity, "--identity-warehouse", "identity.duckdb"))
    try:
        pending = _pending_load(con)
        if pending is None:
            return None
        loaded_at_us, digest, named = pending
        if warehouse is None and not named.exists():
            raise UsageError(
                f"The identity warehouse {identity} holds an unfinished load into the warehouse {named}, "
                "which cannot be found, so it cannot tell whether that load should be kept.",
                hint=f"Put the warehouse back at {named} and load again.",
            )
        keep = _analytic_committed(warehouse or named, loaded_at_us, digest)
        _finish_pending(con, keep)
        return keep
    finally:
        con.close()


def recover(warehouse: Path, identity: Path | None = None) -> list[str]:
    """Finish a load into ``warehouse`` (and ``identity``) that was interrupted between or around
    its commits, so both warehouses agree; one sentence per load finished, for the user.

    The analytic warehouse's commit decides: if its load_history holds the load, the identity
    warehouse keeps its share; otherwise the identity share is undone.
    """
    notes = []
    journal = read_journal(warehouse)
    if journal is not None:
        if not journal.identity.exists():
            raise UsageError(
                f"An earlier load into {warehouse} was interrupted, and the identity warehouse it was "
                f"loading, {journal.identity}, cannot be found, so the two cannot be made to agree.",
                hint=f"Put the identity warehouse back at {journal.identity} and load again.",
            )
        kept = _resolve_identity(journal.identity, warehouse)
        committed = _analytic_committed(warehouse, _epoch_us(journal.loaded_at), journal.checksum)
        load = (
            f"An earlier load (checksum {journal.checksum[:12]}, {', '.join(journal.la_codes) or 'no LAs'}, "
            f"started {journal.loaded_at:%Y-%m-%d %H:%M:%S} UTC) was interrupted"
        )
        if committed:
            notes.append(f"{load} after the warehouse committed it; both warehouses now hold it.")
        elif kept is False:
            notes.append(f"{load} between its commits; the identity warehouse's share was undone, so neither holds it.")
        else:
            notes.append(f"{load} before either warehouse committed it; neither holds it.")
        crash_point("recovery-resolved")
        remove_journal(warehouse)
    if identity is not None and identity.exists() and (journal is None or not same_file(identity, journal.identity)):
        kept = _resolve_identity(identity, None)
        if kept is not None:
            outcome = "kept, as its warehouse holds it" if kept else "undone, as its warehouse does not hold it"
            notes.append(f"The identity warehouse {identity} held an unfinished earlier load: it was {outcome}.")
    return notes


class _StagedLoad:
    """One database's share of a load, held in an open transaction until every share is ready.

    With ``undo_for`` (the analytic warehouse of a two-file load) the share also stores, in its
    own file, the rows it replaces and a note of the load (:data:`PENDING_TABLE`), committed with
    it, so that it can be undone should the analytic commit fail or never happen.
    """

    def __init__(self, target: Target, undo_for: Path | None = None):
        self.path = path = target.path
        self.created = not path.exists()
        self.undo_for = undo_for
        self.con = _connect(target)
        self.closed = False
        self.committed = False
        self._pending: list[object] = []
        self.spoken: frozenset[str] = frozenset()
        self.periods: list[tuple[str, str]] = []
        self.con.execute("BEGIN TRANSACTION")
        self.open = True

    def load(
        self,
        tables: list[Table],
        files: dict[str, Path],
        la_codes: list[str],
        loaded_at: datetime,
        digest: str,
        advance: Callable[[str], None],
    ) -> dict[str, int]:
        _prepare_schema(self.con, tables)
        if self.undo_for is not None:
            self._pending = [loaded_at, digest, str(self.undo_for)]
            self.con.execute(PENDING_SQL)
            self.con.execute(f"INSERT INTO {PENDING_TABLE} VALUES (?, ?, ?, NULL, NULL)", self._pending)
        # The period each LA's return covers, as its rows are tagged (see periods.py).
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE incoming_periods AS SELECT la_code, period_start, period_end, extract_date, "
            f"{period_tag_sql('period_start', 'period_end')} AS tag "
            f"FROM ({select_sql(TABLES[RETURNS_TABLE], files[RETURNS_TABLE])}) WHERE la_code IS NOT NULL"
        )
        self.spoken = spoken_for(set(files))
        # Literal, not a subquery: an undo may run in a later process, without this temp table.
        self.periods = self.con.execute("SELECT la_code, tag FROM incoming_periods ORDER BY 1").fetchall()
        rows_by_la: dict[str, dict[str, int]] = {}
        loaded: dict[str, int] = {}
        for table in tables:
            count = self._replace(table, files.get(table.name), la_codes, rows_by_la)
            if count is not None:
                loaded[table.name] = count
            advance(table.name)
        file_names = json.dumps(sorted(files[t.name].name for t in tables if t.name in files))
        for code in la_codes:
            self.con.execute(
                f"INSERT INTO {HISTORY_TABLE} VALUES (?, ?, ?, ?, ?)",
                [code, loaded_at, file_names, json.dumps(rows_by_la.get(code, {}), sort_keys=True), digest],
            )
        return loaded

    def _delete(self, table: Table, where: str, undo_where: str | None = None) -> None:
        """Delete the rows ``where`` says. An undoable share keeps them, with the rows to delete
        should the load be undone (``undo_where``: by default the same rows; after the load they
        are the rows it inserted)."""
        name = sql_identifier(table.name)
        if self.undo_for is not None:
            self.con.execute(
                f"CREATE TABLE {sql_identifier(UNDO_PREFIX + table.name)} AS SELECT * FROM {name} WHERE {where}"
            )
            self.con.execute(
                f"INSERT INTO {PENDING_TABLE} VALUES (?, ?, ?, ?, ?)",
                [*self._pending, table.name, undo_where or where],
            )
        self.con.execute(f"DELETE FROM {name} WHERE {where}")

    def _replace(
        self, table: Table, path: Path | None, la_codes: list[str], rows_by_la: dict[str, dict[str, int]]
    ) -> int | None:
        """Replace the return's rows of one table; the count loaded, or None without a file."""
        con = self.con
        name = sql_identifier(table.name)
        if table.name in PERIOD_TABLES:
            return self._replace_period_rows(table, path, rows_by_la)
        if path is None:
            return None
        if table.name == RETURNS_TABLE:
            return self._replace_returns(la_codes, rows_by_la)
        # A view, not a table: the file streams straight into the warehouse table.
        con.execute(f"CREATE OR REPLACE TEMP VIEW incoming AS {_source_sql(table, path)}")
        select = "SELECT * FROM incoming"
        if table.has_la_code:
            # Reference rows (population by year, spend by year and line) are replaced by their
            # key: a return of one year brings that year's, and the other years' stay.
            same_row = " AND ".join(f"i.{sql_identifier(c)} = {name}.{sql_identifier(c)}" for c in key_columns(table))
            self._delete(table, f"EXISTS (SELECT 1 FROM incoming i WHERE {same_row})")
        elif table.name in PROVENANCE_TABLES:
            # Not split by LA in the file: the rows belong to the return that brought them.
            _refuse_split(con, table, la_codes)
            self._delete(table, _came_with(la_codes))
            select = f"SELECT *, {_list_literal(la_codes)} FROM incoming"
        else:
            # National reference tables without la_code (deflators) are replaced whole.
            self._delete(table, "true")
        loaded = con.execute(f"INSERT INTO {name} {select}").fetchall()[0][0]
        if table.has_la_code:
            for code, count in con.execute(
                f"SELECT la_code, count(*) FROM {name} WHERE la_code IN {_in_list(la_codes)} GROUP BY ALL"
            ).fetchall():
                rows_by_la.setdefault(code, {})[table.name] = count
        elif table.name in PROVENANCE_TABLES:
            for code in la_codes:
                rows_by_la.setdefault(code, {})[table.name] = loaded
        con.execute("DROP VIEW incoming")
        return loaded

    def _replace_period_rows(
        self, table: Table, path: Path | None, rows_by_la: dict[str, dict[str, int]]
    ) -> int | None:
        """Replace the LA's rows of the return's period, and older versions of the records it
        brings; keep versions from returns whose period ends later (see periods.py)."""
        con = self.con
        name = sql_identifier(table.name)
        tag = sql_identifier(PERIOD_COLUMN)
        own_period = (
            " OR ".join(
                f"({name}.la_code = {sql_literal(code)} AND {name}.{tag} = {sql_literal(period)})"
                for code, period in self.periods
            )
            or "false"
        )
        if path is None:
            if table.name in self.spoken:
                self._delete(table, own_period)
            return None
        con.execute(
            "CREATE OR REPLACE TEMP VIEW incoming AS SELECT s.*, p.tag AS incoming_period "
            f"FROM ({_source_sql(table, path)}) s JOIN incoming_periods p USING (la_code)"
        )
        same_record = " AND ".join(f"i.{sql_identifier(c)} = {name}.{sql_identifier(c)}" for c in key_columns(table))
        older = (
            f"EXISTS (SELECT 1 FROM incoming i WHERE {same_record} AND "
            f"{period_end_sql(f'{name}.{tag}')} <= {period_end_sql('i.incoming_period')})"
        )
        replaced = f"({own_period}) OR {older}" if table.name in self.spoken else older
        self._delete(table, replaced, undo_where=own_period)
        newer_kept = f"EXISTS (SELECT 1 FROM {name} WHERE {same_record})"
        # By name: an older warehouse has the spec's newer columns after source_period.
        columns = ", ".join(sql_identifier(c) for c in table.column_names)
        loaded = con.execute(
            f"INSERT INTO {name} ({columns}, {tag}) SELECT {columns}, incoming_period FROM incoming i "
            f"WHERE NOT {newer_kept}"
        ).fetchall()[0][0]
        for code, count in con.execute(
            f"SELECT la_code, count(*) FROM {name} WHERE la_code IN (SELECT la_code FROM incoming_periods) GROUP BY ALL"
        ).fetchall():
            rows_by_la.setdefault(code, {})[table.name] = count
        con.execute("DROP VIEW incoming")
        return loaded

    def _replace_returns(self, la_codes: list[str], rows_by_la: dict[str, dict[str, int]]) -> int:
        """Record the return's periods; each LA's ``returns`` row then spans all of its periods."""
        con = self.con
        same = f"({PERIODS_TABLE}.la_code, {PERIODS_TABLE}.period_start, {PERIODS_TABLE}.period_end)"
        con.execute(
            f"DELETE FROM {PERIODS_TABLE} WHERE {same} IN (SELECT la_code, period_start, period_end FROM incoming_periods)"
        )
        con.execute(
            f"INSERT INTO {PERIODS_TABLE} SELECT la_code, period_start, period_end, extract_date FROM incoming_periods"
        )
        _refuse_gaps(con, la_codes)
        self._delete(TABLES[RETURNS_TABLE], f"la_code IN {_in_list(la_codes)}")
        loaded = con.execute(
            f"INSERT INTO {RETURNS_TABLE} SELECT la_code, min(period_start), max(period_end), max(extract_date) "
            f"FROM {PERIODS_TABLE} WHERE la_code IN {_in_list(la_codes)} GROUP BY la_code ORDER BY la_code"
        ).fetchall()[0][0]
        for code in la_codes:
            rows_by_la.setdefault(code, {})[RETURNS_TABLE] = 1
        return loaded

    def commit(self) -> None:
        self.con.execute("COMMIT")
        self.open = False
        self.committed = True

    def finish(self) -> None:
        """The analytic warehouse committed too: let go of what this share replaced."""
        _finish_pending(self.con, keep=True)

    def abandon(self) -> None:
        """Leave the database as it was: roll back, or undo a commit; a new file is removed."""
        if self.open:
            try:
                self.con.execute("ROLLBACK")
            except duckdb.Error:
                pass  # the transaction already failed and was aborted
            self.open = False
        elif self.committed and not self.created:
            # A new file is removed below: there is nothing in it to put back.
            _finish_pending(self.con, keep=False)
            self.committed = False
        if self.created:
            self.close()
            self.remove()

    def remove(self) -> None:
        for leftover in (self.path, self.path.with_name(self.path.name + ".wal")):
            leftover.unlink(missing_ok=True)

    def close(self) -> None:
        if not self.closed:
            self.con.close()
            self.closed = True


def _load_all_or_nothing(
    targets: list[tuple[Target, list[Table]]],
    files: dict[str, Path],
    la_codes: list[str],
    loaded_at: datetime,
    digest: str,
) -> list[dict[str, int]]:
    """Stage every database's share, then commit them all; any failure leaves every one as it was.

    With two databases (identity, then analytic) a journal beside the analytic warehouse names the
    load from before the first commit until both are done, so that a process killed in between
    leaves what the next load needs to finish it (:func:`recover`).
    """
    warehouse = targets[-1][0].path
    two_files = len(targets) > 1
    stages: list[_StagedLoad] = []
    results: list[dict[str, int]] = []
    total = sum(len(tables) for _, tables in targets)
    try:
        with steps("Loading", total) as advance:
            for position, (target, tables) in enumerate(targets):
                # Every share but the last is committed before another: it keeps what it replaces.
                undo_for = warehouse.resolve() if position < len(targets) - 1 else None
                stage = _StagedLoad(target, undo_for)
                stages.append(stage)
                results.append(stage.load(tables, files, la_codes, loaded_at, digest, advance))
        if two_files:
            write_journal(
                Journal(warehouse.resolve(), targets[0][0].path.resolve(), loaded_at, digest, tuple(la_codes))
            )
            crash_point("journal-written")
        for stage in stages:
            stage.commit()
            crash_point("identity-committed" if stage is not stages[-1] else "analytic-committed")
    except BaseException as error:
        if stages and stages[-1].committed:
            raise  # interrupted after the deciding commit: the journal stays, the next load finishes
        abandoned = True
        for stage in stages:
            try:
                stage.abandon()
            except duckdb.Error:
                abandoned = False  # reported below; the other shares are still put back
        if two_files and abandoned:
            remove_journal(warehouse)
        if isinstance(error, duckdb.Error):
            failed = next((s.path for s in reversed(stages)), targets[0][0].path)
            raise EarlyhelpError(
                f"Loading into {failed} failed and was rolled back: nothing changed.",
                hint="Check the disk has room and no other program has the warehouse open, then load again.",
                exit_code=1,
            ) from None
        raise
    else:
        if two_files:
            try:
                for stage in stages[:-1]:
                    stage.finish()
            except duckdb.Error:
                # The load is committed in both; the journal stays and the next load lets go.
                pass
            else:
                crash_point("identity-finalised")
                remove_journal(warehouse)
    finally:
        for stage in stages:
            stage.close()
    return results


def return_la_codes(files: dict[str, Path]) -> list[str]:
    """The LAs a return covers: the la_code of each row of its returns table."""
    con = duckdb_connection()
    try:
        rows = con.execute(
            f"SELECT DISTINCT la_code FROM ({select_sql(TABLES[RETURNS_TABLE], files[RETURNS_TABLE])}) "
            "WHERE la_code IS NOT NULL ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    return [row[0] for row in rows]


def load_return(
    paths: list[Path] | tuple[Path, ...] | Path | str,
    warehouse: Path | str,
    *,
    identity_warehouse: Path | str | None = None,
    skip_identity: bool = False,
    report: ValidationReport | None = None,
    on_repaired: Callable[[str], None] | None = None,
) -> LoadResult:
    """Validate a return, then load it into ``warehouse`` in one transaction.

    A return that fails validation raises :class:`ReturnRejected` and changes nothing. Loading
    an LA again replaces its rows (idempotent); every load is recorded in ``load_history``.
    ``person_identifiers`` goes only into ``identity_warehouse``; without one the load is
    refused unless ``skip_identity`` is true. Pass ``report`` to reuse a validation already run.
    An earlier load interrupted between its commits is finished first; ``on_repaired`` hears
    what was done at once (the return may still be rejected), and ``LoadResult.repaired`` keeps it.
    """
    paths = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    warehouse = Path(warehouse)
    identity_path = Path(identity_warehouse) if identity_warehouse is not None else None
    if identity_path is not None and same_file(identity_path, warehouse):
        raise UsageError(
            f"The identity warehouse {identity_path} is the same file as the analytic warehouse {warehouse} "
            "(the same path, a link to it, or a hard link); it must be a different file.",
            hint="Identifiers are kept apart from the analytic data: give a new file, e.g. identity.duckdb.",
        )
    if identity_path is not None and skip_identity:
        raise UsageError("Choose one: an identity warehouse, or skipping the identity tables.")
    analytic_target = Target(warehouse, "--warehouse", "warehouse.duckdb")
    identity_target = (
        Target(identity_path, "--identity-warehouse", "identity.duckdb") if identity_path is not None else None
    )
    for target in (identity_target, analytic_target):
        if target is not None:
            check_target(target)

    # An earlier load killed between its commits is finished before anything else is written.
    repaired = recover(warehouse, identity_path)
    if on_repaired is not None:
        for note in repaired:
            on_repaired(note)

    report = report if report is not None else validate_paths(paths)
    if not report.ok:
        raise ReturnRejected(report)
    files = collect_files(paths, ValidationReport())
    identity_files = [name for name in IDENTITY_TABLES if name in files]
    if identity_files and identity_path is None and not skip_identity:
        raise UsageError(
            f"This return holds identifiers ({', '.join(identity_files)}), which never go into the analytic warehouse.",
            hint="Name a separate identity warehouse with --identity-warehouse FILE, or leave the "
            "identifiers out with --skip-identity.",
        )
    if RETURNS_TABLE not in files:
        raise DataError("A return needs a returns file (one row per LA with its extract date).")
    la_codes = return_la_codes(files)
    digest = checksum(files)
    loaded_at = datetime.now(UTC)

    # The identity share is staged and committed first: it is the small one to put back should
    # the analytic commit fail.
    targets: list[tuple[Target, list[Table]]] = []
    if identity_target is not None:
        targets.append((identity_target, [TABLES[name] for name in IDENTITY_TABLES]))
    targets.append((analytic_target, list(WAREHOUSE_TABLES)))
    loaded = _load_all_or_nothing(targets, files, la_codes, loaded_at, digest)
    rows = loaded[-1]
    identity_rows = sum(loaded[0].values()) if identity_path is not None else 0
    con = duckdb_connection(warehouse, read_only=True)
    try:
        covers = {
            code: (start, end)
            for code, start, end in con.execute(
                f"SELECT la_code, period_start, period_end FROM {RETURNS_TABLE} WHERE la_code IN {_in_list(la_codes)}"
            ).fetchall()
        }
    finally:
        con.close()
    return LoadResult(
        warehouse=warehouse,
        la_codes=la_codes,
        rows=rows,
        loaded_at=loaded_at,
        checksum=digest,
        files=sorted(p.name for p in files.values()),
        identity_warehouse=identity_path,
        identity_rows=identity_rows,
        skipped_identity=bool(identity_files) and skip_identity,
        report=report,
        repaired=repaired,
        covers=covers,
    )
