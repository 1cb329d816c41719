"""The one interface every stage uses to run SQL over EHLD data.

Queries are written once, in DuckDB's SQL dialect. The DuckDB backend runs them as they are; the
Spark backend transpiles them with SQLGlot first. A backend only has to know how to hold named
tables (``register``), keep an intermediate result (``materialize``) and answer a query as a
``pyarrow.Table`` (``sql``); everything else (which tables an EHLD folder or warehouse holds, and
their types) is shared here so both backends see exactly the same typed inputs.
"""

from __future__ import annotations

import abc
import contextlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from earlyhelp.errors import DataError, UsageError
from earlyhelp.spec.files import sql_literal
from earlyhelp.spec.model import TABLES, TABLES_IN_ORDER

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

# What ``register_ehld`` takes when no tables are named: everything but the identity zone
# (``person_identifiers``), whose identifiers enter an engine only when a caller names it
# (linkage), never as a side effect of reading a folder or warehouse.
DEFAULT_EHLD_TABLES = tuple(t.name for t in TABLES_IN_ORDER if t.zone != "identity")


class Engine(abc.ABC):
    """Named tables plus SQL (DuckDB dialect) answered as pyarrow Tables."""

    name: str = "engine"

    @abc.abstractmethod
    def register(self, name: str, source: Any) -> None:
        """Make ``source`` (pyarrow Table, pandas DataFrame or Parquet path) queryable as ``name``."""

    @abc.abstractmethod
    def sql(self, query: str) -> pa.Table:
        """Run one query written in DuckDB's dialect and return every row."""

    @abc.abstractmethod
    def materialize(self, name: str, query: str) -> None:
        """Compute ``query`` once and keep the result as the table ``name``."""

    @abc.abstractmethod
    def _register_typed_ehld(self, con: duckdb.DuckDBPyConnection, selects: dict[str, tuple[list[str], str]]) -> None:
        """Take the typed EHLD views on ``con`` (a DuckDB connection) into this engine;
        ``selects`` maps each table name to its wanted columns and the SELECT (over its view)
        that gives them (see :func:`column_selects`)."""

    def close(self) -> None:
        """Release the backend's resources."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def register_ehld(
        self, data: Path | str, tables: Iterable[str] | None = None, columns: dict[str, Iterable[str]] | None = None
    ) -> None:
        """Register EHLD tables (typed as the spec says) from a folder or a DuckDB warehouse file.

        ``tables`` defaults to :data:`DEFAULT_EHLD_TABLES`: every table but the identity zone's,
        which is registered only when named. Tables missing from the data become empty tables
        with the spec's columns, so a query over a return without, say, looked-after episodes
        still runs and counts zero. ``columns`` may name, per table, the only columns a
        computation needs: at national scale that halves the memory the engine holds.
        """
        names = ehld_table_names(tables)
        with self._ehld_connection() as con:
            typed_ehld_views(con, Path(data), names)
            self._register_typed_ehld(con, column_selects(names, columns))

    @contextlib.contextmanager
    def _ehld_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The DuckDB connection that reads EHLD data for :meth:`register_ehld`: by default a
        fresh one, closed afterwards; a backend that is DuckDB itself reads on its own."""
        import duckdb

        con = duckdb.connect()
        try:
            yield con
        finally:
            con.close()


def ehld_table_names(tables: Iterable[str] | None) -> list[str]:
    """The tables to register: those named, or by default every table outside the identity zone."""
    names = list(DEFAULT_EHLD_TABLES if tables is None else tables)
    unknown = [name for name in names if name not in TABLES]
    if unknown:
        raise ValueError(f"not EHLD tables: {unknown}")
    return names


# DuckDB names the column a failed cast read from; its message also quotes the value, which may
# be an identifier, so only this part is ever taken from it.
_SOURCE_COLUMN = re.compile(r"when casting from source column \"?([A-Za-z_][A-Za-z0-9_]{0,63})\"?")


def conversion_column(error: Exception) -> str | None:
    """The column a DuckDB conversion error names, if any; never any other part of its text."""
    found = _SOURCE_COLUMN.search(str(error))
    return found.group(1) if found else None


def unreadable_table_error(con: duckdb.DuckDBPyConnection, name: str, columns: Iterable[str]) -> DataError:
    """The error for a table whose values do not have the spec's types: the table, the first of
    ``columns`` (those the failing SELECT read) that fails and the kind of error; never the
    database's text, which quotes the value."""
    import duckdb

    failing = None
    for column in columns:
        try:
            # count() must read (and so cast) every value of the column.
            con.execute(f'SELECT count("{column}") FROM "{name}"').fetchall()
        except duckdb.Error:
            failing = column
            break
    where = f"the column {failing!r} of the table {name!r}" if failing else f"the table {name!r}"
    expected = f" as {TABLES[name].column(failing).type}" if failing else " with the spec's types"
    return DataError(
        f"A value in {where} could not be read{expected}.",
        hint="Run `earlyhelp validate` on the data first; it names the row and column.",
    )


def column_selects(names: list[str], columns: dict[str, Iterable[str]] | None) -> dict[str, tuple[list[str], str]]:
    """Per table, the wanted columns (default: all) and the SELECT over its typed view that keeps
    them; the columns let a failure be traced to the first of them that does not read."""
    selects = {}
    for name in names:
        wanted = list((columns or {}).get(name) or TABLES[name].column_names)
        unknown = set(wanted) - set(TABLES[name].column_names)
        if unknown:
            raise ValueError(f"{name} has no columns {sorted(unknown)}")
        selects[name] = (wanted, f'SELECT {", ".join(chr(34) + c + chr(34) for c in wanted)} FROM "{name}"')
    return selects


def typed_ehld_views(con: duckdb.DuckDBPyConnection, data: Path, names: list[str]) -> None:
    """Create one typed view per EHLD table on ``con`` from a folder or a warehouse file."""
    if not data.exists():
        raise UsageError(f"{data} does not exist.", hint="Give an EHLD folder or a warehouse file.")
    if data.is_file():
        # Any single file is taken for a warehouse; a non-DuckDB file fails to attach, clearly.
        _warehouse_views(con, data, names)
        return
    from earlyhelp.validate.folder import EHLDFolder

    EHLDFolder(data).register(con, names)


def _warehouse_views(con: duckdb.DuckDBPyConnection, path: Path, names: list[str]) -> None:
    import duckdb

    quoted = sql_literal(path)
    try:
        con.execute(f"ATTACH {quoted} AS warehouse (READ_ONLY)")
    except duckdb.Error as error:
        reason = (
            "another program has it open"
            if "lock" in str(error).lower()
            else "it is not a DuckDB database written by earlyhelp load, or it is damaged"
        )
        raise DataError(
            f"{path} could not be opened as a DuckDB warehouse: {reason}.",
            hint="Give an EHLD folder, or a warehouse written by `earlyhelp load` that no other program is writing to.",
        ) from None
    rows = con.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE table_catalog = 'warehouse' ORDER BY table_schema = 'main' DESC, table_schema"
    ).fetchall()
    located: dict[str, tuple[str, set[str]]] = {}
    for schema, table_name, column_name in rows:
        if table_name not in TABLES:
            continue
        found_schema, columns = located.setdefault(table_name, (schema, set()))
        if found_schema == schema:
            columns.add(column_name)
    for name in names:
        table = TABLES[name]
        if name not in located:
            columns = ", ".join(f'CAST(NULL AS {c.duckdb_type}) AS "{c.name}"' for c in table.columns)
            con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT {columns} WHERE false')
            continue
        schema, present = located[name]
        exprs = [
            f'CAST("{c.name}" AS {c.duckdb_type}) AS "{c.name}"'
            if c.name in present
            else f'CAST(NULL AS {c.duckdb_type}) AS "{c.name}"'
            for c in table.columns
        ]
        con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT {", ".join(exprs)} FROM warehouse."{schema}"."{name}"')
