"""Querying a synthetic England in tests: the EHLD tables and chosen truth tables as DuckDB views."""

from __future__ import annotations

from pathlib import Path

import duckdb

from earlyhelp.spec.files import sql_literal
from earlyhelp.validate.folder import EHLDFolder


def connect(folder: Path, truth: tuple[str, ...] = ()) -> duckdb.DuckDBPyConnection:
    """A connection with one view per EHLD table of ``folder`` and ``truth_<name>`` per truth table."""
    connection = duckdb.connect()
    EHLDFolder(folder).register(connection)
    for name in truth:
        connection.execute(
            f"CREATE VIEW truth_{name} AS SELECT * FROM "
            f"read_parquet({sql_literal(folder / 'truth' / (name + '.parquet'))})"
        )
    return connection


def one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    return con.execute(sql).fetchall()[0]
