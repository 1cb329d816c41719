"""Finding EHLD tables on disk and reading them with the spec's types.

A folder holds one file per table, named after it: ``referrals.csv`` or ``referrals.parquet``.
This module only reads files that are already valid (``earlyhelp validate`` is the gate that says
whether they are); it gives every stage the same typed view of a folder.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from earlyhelp.errors import UsageError
from earlyhelp.spec.model import TABLES, Table

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

SUFFIXES = (".csv", ".parquet")


def find_tables(paths: list[Path] | tuple[Path, ...] | Path) -> dict[str, Path]:
    """Map table name -> file for the EHLD files among ``paths`` (folders or files).

    Files whose name is not an EHLD table are ignored here; the validator reports them.
    """
    if isinstance(paths, (str, Path)):
        paths = [Path(paths)]
    found: dict[str, Path] = {}
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise UsageError(f"{path} does not exist.")
        candidates = sorted(path.iterdir()) if path.is_dir() else [path]
        for file in candidates:
            if file.is_file() and file.suffix.lower() in SUFFIXES and file.stem in TABLES:
                if file.stem in found and found[file.stem] != file:
                    raise UsageError(
                        f"Two files hold the table {file.stem!r}: {found[file.stem]} and {file}.",
                        hint="Keep one file per table (CSV or Parquet, not both).",
                    )
                found[file.stem] = file
    return found


def sql_literal(text: str | Path) -> str:
    """A SQL string literal (DuckDB and Spark SQL): single quotes doubled."""
    return "'" + str(text).replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    """A quoted SQL identifier: double quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def columns_in_file(path: Path) -> list[str]:
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    with open(path, newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), [])
    return [name.strip() for name in header]


def select_sql(table: Table, path: Path | None) -> str:
    """A DuckDB SELECT giving the table with every spec column, typed; absent columns are NULL."""
    if path is None:
        columns = ", ".join(f'CAST(NULL AS {c.duckdb_type}) AS "{c.name}"' for c in table.columns)
        return f"SELECT {columns} WHERE false"
    present = set(columns_in_file(path))
    is_csv = path.suffix.lower() == ".csv"
    exprs = []
    for column in table.columns:
        if column.name not in present:
            exprs.append(f'CAST(NULL AS {column.duckdb_type}) AS "{column.name}"')
        elif is_csv:
            exprs.append(
                f'CAST(NULLIF(TRIM("{column.name}"), \'\') AS {column.duckdb_type}) AS "{column.name}"'
            )
        else:
            exprs.append(f'CAST("{column.name}" AS {column.duckdb_type}) AS "{column.name}"')
    if is_csv:
        source = (
            f"read_csv({sql_literal(path)}, header=true, all_varchar=true, delim=',', "
            "quote='\"', escape='\"', auto_detect=false, "
            f"columns={{{', '.join(sql_literal(c) + ': ' + sql_literal('VARCHAR') for c in columns_in_file(path))}}})"
        )
    else:
        source = f"read_parquet({sql_literal(path)})"
    return f"SELECT {', '.join(exprs)} FROM {source}"


@dataclass
class EHLDFolder:
    """The EHLD tables found in one or more folders or files."""

    paths: tuple[Path, ...]
    tables: dict[str, Path] = field(init=False)

    def __init__(self, *paths: Path | str):
        self.paths = tuple(Path(p) for p in paths)
        self.tables = find_tables(list(self.paths))

    def __contains__(self, name: str) -> bool:
        return name in self.tables

    def select_sql(self, name: str) -> str:
        return select_sql(TABLES[name], self.tables.get(name))

    def register(self, con: "duckdb.DuckDBPyConnection", names: list[str] | None = None) -> None:
        """Create a typed view per table on ``con``; a table with no file is an empty view."""
        for name in names or list(TABLES):
            con.execute(f'CREATE OR REPLACE VIEW "{name}" AS {self.select_sql(name)}')
