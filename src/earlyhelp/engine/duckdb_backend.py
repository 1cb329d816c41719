"""Embedded DuckDB: the default engine, fast on one machine up to national scale."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from earlyhelp.engine.base import Engine, TypedTables, conversion_error, missing_name_error
from earlyhelp.engine.config import EngineConfig
from earlyhelp.engine.connect import duckdb_connection
from earlyhelp.engine.ehld import EHLDReader
from earlyhelp.errors import DataError
from earlyhelp.spec.files import sql_literal

# DuckDB names the column a failed cast read from, and the table or column a query names that
# does not exist; its message also quotes values, so only these parts are ever taken from it.
_SOURCE_COLUMN = re.compile(r"when casting from source column \"?([A-Za-z_][A-Za-z0-9_]{0,63})\"?")
_MISSING_NAME = re.compile(
    r"(?:Table with name|Referenced column) \"?([A-Za-z_][A-Za-z0-9_]{0,63})\"? (?:does not exist|not found)"
)


def duckdb_data_error(error: duckdb.Error) -> DataError | None:
    """The engine's :class:`DataError` for a DuckDB error a query met in the data, else None."""
    if isinstance(error, duckdb.ConversionException):
        found = _SOURCE_COLUMN.search(str(error))
        return conversion_error(found.group(1) if found else None)
    if isinstance(error, (duckdb.CatalogException, duckdb.BinderException)):
        found = _MISSING_NAME.search(str(error))
        if found:
            return missing_name_error(found.group(1))
    return None  # a fault in the query itself (its own text, not the data's), told as DuckDB tells it


class DuckDBEngine(Engine):
    name = "duckdb"
    dialect = "duckdb"

    def __init__(self, config: EngineConfig | None = None):
        config = config or EngineConfig.from_env()
        # Spill to disk instead of failing when a national run meets a small machine.
        self._spill = config.spill_folder("earlyhelp-duckdb-")
        self.con = duckdb_connection(config=config, spill=self._spill.name, keep_insertion_order=False)

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
            return self.con.sql(self.transpile(query)).to_arrow_table()
        except duckdb.Error as error:
            translated = duckdb_data_error(error)
            if translated is None:
                raise
            raise translated from None

    def materialize(self, name: str, query: str) -> None:
        try:
            self.con.execute(f'CREATE OR REPLACE TABLE "{name}" AS {self.transpile(query)}')
        except duckdb.Error as error:
            translated = duckdb_data_error(error)
            if translated is None:
                raise
            raise translated from None

    def _read_ehld(self, data: Path, names: list[str], columns: Mapping[str, Iterable[str]] | None) -> EHLDReader:
        # EHLD data is read straight into this engine's own connection (no copy through Arrow).
        return EHLDReader(data, names, columns, connection=self.con)

    def _take_typed_tables(self, tables: TypedTables) -> None:
        if isinstance(tables, EHLDReader) and tables.connection is self.con:
            tables.keep_as_tables()
            return
        for name in tables.names:
            self.register(name, tables.to_arrow(name))

    def close(self) -> None:
        self.con.close()
        self._spill.cleanup()
