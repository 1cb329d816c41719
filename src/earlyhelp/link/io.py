"""Reading and writing linkage tables (Parquet or CSV), atomically."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from earlyhelp.errors import UsageError
from earlyhelp.spec import table as spec_table


def write_table(data: pa.Table, folder: Path, name: str, output_format: str) -> Path:
    """Write ``data`` as ``folder/name.<format>`` via a temporary file, so readers never see half."""
    path = Path(folder) / f"{name}.{output_format}"
    partial = path.with_name(f".{path.name}.partial")
    if output_format == "parquet":
        pq.write_table(data, partial)
    else:
        pacsv.write_csv(data, partial, pacsv.WriteOptions(quoting_style="needed"))
    os.replace(partial, path)
    return path


def read_table(path: Path) -> pa.Table:
    if path.suffix.lower() == ".parquet":
        return pq.read_table(path)
    with open(path, newline="", encoding="utf-8-sig") as handle:
        names = [name.strip() for name in next(csv.reader(handle), [])]
    return pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=False,
        ),
    )


def read_person_link(path: Path) -> pa.Table:
    """A previous ``person_link`` (a file, or a folder holding person_link.parquet/.csv)."""
    path = Path(path)
    if path.is_dir():
        candidates = [path / "person_link.parquet", path / "person_link.csv"]
        found = [p for p in candidates if p.exists()]
        if not found:
            raise UsageError(f"{path} holds no person_link.parquet or person_link.csv.")
        path = found[0]
    if not path.exists():
        raise UsageError(f"--previous {path} does not exist.")
    try:
        data = read_table(path)
    except (pa.ArrowException, UnicodeDecodeError, StopIteration):
        raise UsageError(
            f"--previous {path} cannot be read as a CSV or Parquet person_link.",
            hint="Give the person_link.parquet (or .csv) an earlier `earlyhelp link` wrote.",
        ) from None
    needed = {"source", "source_record_id", "person_id"}
    if not needed <= set(data.column_names):
        raise UsageError(
            f"--previous {path} is not a person_link table: it needs the columns "
            f"{', '.join(spec_table('person_link').column_names)}."
        )
    return data.select(["source", "source_record_id", "person_id"]).cast(
        pa.schema([("source", pa.string()), ("source_record_id", pa.string()), ("person_id", pa.string())])
    )


def in_order(con: duckdb.DuckDBPyConnection, sql: str, number: str) -> pa.Table:
    """Rows of ``sql`` sorted by its row-number column ``number``, which must be 0..n-1.

    Sorted here rather than trusted to ORDER BY: with preserve_insertion_order off, DuckDB 2.0
    returned some windowed results to Arrow out of order.
    """
    table = con.sql(sql).to_arrow_table()
    table = table.take(pc.sort_indices(table.column(number)))
    if not np.array_equal(table.column(number).to_numpy(), np.arange(table.num_rows)):
        raise RuntimeError(f"{number} is not 0..n-1")
    return table
