"""Reading EHLD data, typed as the spec says, for any engine.

:class:`EHLDReader` genuinely needs DuckDB, whatever engine then runs the queries: it reads EHLD
CSV files with the validator's own CSV rules and attaches DuckDB warehouse files, neither of which
another engine can do the same way. Engines take the typed tables from it through the neutral
:class:`~earlyhelp.engine.base.TypedTables` interface (as Parquet files or Arrow tables); the
DuckDB engine lets it read straight into its own connection, so nothing is copied.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from earlyhelp.engine.config import EngineConfig
from earlyhelp.engine.connect import duckdb_connection
from earlyhelp.errors import DataError, UsageError
from earlyhelp.spec.files import is_workbook, sql_literal
from earlyhelp.spec.model import TABLES

if TYPE_CHECKING:  # pragma: no cover
    import duckdb


class EHLDReader:
    """Typed views of EHLD tables from a folder or a warehouse file, on a DuckDB connection.

    ``names`` are the tables to read (missing ones become empty tables with the spec's columns);
    ``columns`` may name, per table, the only columns wanted. With ``connection`` the views are
    made on that connection (the DuckDB engine's own); otherwise on a private one, closed by
    :meth:`close`.
    """

    def __init__(
        self,
        data: Path,
        names: list[str],
        columns: Mapping[str, Iterable[str]] | None = None,
        *,
        connection: duckdb.DuckDBPyConnection | None = None,
    ):
        self._selects = column_selects(names, columns)
        self._spill: tempfile.TemporaryDirectory[str] | None = None
        if connection is None:
            # Converting a national return to Parquet may spill; the folder goes with the reader.
            config = EngineConfig.from_env()
            self._spill = config.spill_folder("earlyhelp-read-")
            connection = duckdb_connection(config=config, spill=self._spill.name)
        self.connection = connection
        try:
            typed_ehld_views(self.connection, Path(data), names)
        except BaseException:
            self.close()
            raise

    @property
    def names(self) -> list[str]:
        return list(self._selects)

    def write_parquet(self, name: str, path: Path) -> None:
        """Write the typed table ``name`` to the Parquet file ``path``."""
        import duckdb

        wanted, select = self._selects[name]
        try:
            self.connection.execute(f"COPY ({select}) TO {sql_literal(path)} (FORMAT parquet)")
        except duckdb.Error:
            raise unreadable_table_error(self.connection, name, wanted) from None

    def to_arrow(self, name: str) -> pa.Table:
        """The typed table ``name`` as Arrow."""
        import duckdb

        wanted, select = self._selects[name]
        try:
            return self.connection.sql(select).to_arrow_table()
        except duckdb.Error:
            raise unreadable_table_error(self.connection, name, wanted) from None

    def keep_as_tables(self) -> None:
        """Replace each view by a table on the reader's connection: every file is read once into
        DuckDB's own storage, so later queries never re-parse CSV."""
        import duckdb

        con = self.connection
        for name, (wanted, select) in self._selects.items():
            try:
                con.execute(f'CREATE OR REPLACE TABLE "_typed_{name}" AS {select}')
            except duckdb.Error:
                raise unreadable_table_error(con, name, wanted) from None
            con.execute(f'DROP VIEW "{name}"')
            con.execute(f'ALTER TABLE "_typed_{name}" RENAME TO "{name}"')

    def close(self) -> None:
        """Close a private connection; on a borrowed one, let go of an attached warehouse."""
        if self._spill is not None:
            self.connection.close()
            self._spill.cleanup()
        else:
            self.connection.execute("DETACH DATABASE IF EXISTS warehouse")

    def __enter__(self) -> EHLDReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def column_selects(names: list[str], columns: Mapping[str, Iterable[str]] | None) -> dict[str, tuple[list[str], str]]:
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


def typed_ehld_views(con: duckdb.DuckDBPyConnection, data: Path, names: list[str]) -> None:
    """Create one typed view per EHLD table on ``con`` from a folder, a workbook (one sheet per
    table) or a warehouse file."""
    if not data.exists():
        raise UsageError(f"{data} does not exist.", hint="Give an EHLD folder or a warehouse file.")
    if data.is_file() and not is_workbook(data):
        # Any other single file is taken for a warehouse; a non-DuckDB file fails to attach, clearly.
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
        found_schema, found_columns = located.setdefault(table_name, (schema, set()))
        if found_schema == schema:
            found_columns.add(column_name)
    for name in names:
        table = TABLES[name]
        if name not in located:
            nulls = ", ".join(f'CAST(NULL AS {c.duckdb_type}) AS "{c.name}"' for c in table.columns)
            con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT {nulls} WHERE false')
            continue
        schema, present = located[name]
        exprs = [
            f'CAST("{c.name}" AS {c.duckdb_type}) AS "{c.name}"'
            if c.name in present
            else f'CAST(NULL AS {c.duckdb_type}) AS "{c.name}"'
            for c in table.columns
        ]
        con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT {", ".join(exprs)} FROM warehouse."{schema}"."{name}"')
