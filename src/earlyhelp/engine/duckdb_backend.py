"""Embedded DuckDB: the default engine, fast on one machine up to national scale."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from earlyhelp.engine.base import Engine, conversion_column, unreadable_table_error
from earlyhelp.errors import DataError
from earlyhelp.spec.files import sql_literal


class DuckDBEngine(Engine):
    name = "duckdb"

    def __init__(self, memory_limit: str | None = "3GB", threads: int | None = None):
        self.con = duckdb.connect()
        # Spill to disk instead of failing when a national run meets a small machine.
        self._spill = tempfile.TemporaryDirectory(prefix="earlyhelp-duckdb-")
        self.con.execute(f"SET temp_directory = '{self._spill.name}'")
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self.con.execute("SET preserve_insertion_order = false")

    def register(self, name: str, source: Any) -> None:
        if isinstance(source, (str, Path)):
            self.con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM read_parquet({sql_literal(source)})')
            return
        if not isinstance(source, pa.Table):
            source = pa.Table.from_pandas(source, preserve_index=False)
        # A copy held by DuckDB itself: the caller's object may go away.
        self.con.register("_incoming", source)
        try:
            self.con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM _incoming')
        finally:
            self.con.unregister("_incoming")

    def sql(self, query: str) -> pa.Table:
        try:
            return self.con.sql(query).to_arrow_table()
        except duckdb.ConversionException as error:
            # DuckDB's text quotes the value (possibly an identifier): only the column is taken.
            column = conversion_column(error)
            where = f" in the column {column!r}" if column else ""
            raise DataError(
                f"A value{where} could not be converted to the type a query needs.",
                hint="Run `earlyhelp validate` on the data first; it names the row and column.",
            ) from None

    def materialize(self, name: str, query: str) -> None:
        self.con.execute(f'CREATE OR REPLACE TABLE "{name}" AS {query}')

    @contextlib.contextmanager
    def _ehld_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        # EHLD data is read straight into this engine's own connection; a warehouse file
        # attached to read it is let go once its tables are copied in.
        yield self.con
        self.con.execute("DETACH DATABASE IF EXISTS warehouse")

    def _register_typed_ehld(self, con: duckdb.DuckDBPyConnection, selects: dict[str, tuple[list[str], str]]) -> None:
        # Read every file once into DuckDB's own storage: later queries then never re-parse CSV.
        for name, (wanted, select) in selects.items():
            try:
                con.execute(f'CREATE OR REPLACE TABLE "_typed_{name}" AS {select}')
            except duckdb.Error:
                raise unreadable_table_error(con, name, wanted) from None
            con.execute(f'DROP VIEW "{name}"')
            con.execute(f'ALTER TABLE "_typed_{name}" RENAME TO "{name}"')

    def close(self) -> None:
        self.con.close()
        self._spill.cleanup()
