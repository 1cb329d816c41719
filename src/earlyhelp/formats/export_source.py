"""What every DfE exporter starts from: the EHLD folders as DuckDB views and the LAs to write."""

from __future__ import annotations

from pathlib import Path

import duckdb

from earlyhelp.errors import UsageError
from earlyhelp.spec.files import EHLDFolder


def open_export_source(data: list[Path], *, driving_table: str, required: tuple[str, ...],
                       missing: str, no_records: str,
                       la_code: str | None) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    """Register ``data`` on a new connection and list the LAs with rows in ``driving_table``
    (only ``la_code`` when given). ``missing`` names the tables for the error when ``required``
    ones are absent; ``no_records`` names the records for the error when ``la_code`` has none."""
    folder = EHLDFolder(*data)
    if any(name not in folder for name in required):
        raise UsageError(f"{', '.join(map(str, data))} holds no {missing} to export.")
    con = duckdb.connect()
    folder.register(con)
    las = [row[0] for row in con.execute(
        f'SELECT DISTINCT la_code FROM "{driving_table}" ORDER BY la_code').fetchall()]
    if la_code:
        if la_code not in las:
            raise UsageError(f"{la_code} has no {no_records} in the data.")
        las = [la_code]
    return con, las
