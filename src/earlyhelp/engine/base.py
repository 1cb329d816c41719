"""The one interface every stage uses to run SQL over EHLD data.

Queries are written once, in DuckDB's SQL dialect; :meth:`Engine.transpile` turns one into the
backend's ``dialect`` (SQLGlot), so a backend never hard-codes its own translation. A backend
only has to hold named tables (``register``), keep an intermediate result (``materialize``),
answer a query as a ``pyarrow.Table`` (``sql``) and take typed EHLD tables (``_take_typed_tables``);
which tables an EHLD folder or warehouse holds, and their types, is shared
(:mod:`earlyhelp.engine.ehld`), so both backends see exactly the same typed inputs. Errors from
either backend reach the user as the same :class:`DataError` messages (below), never quoting a
value.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from earlyhelp.engine.config import EngineName
from earlyhelp.errors import DataError
from earlyhelp.spec.model import TABLES, TABLES_IN_ORDER

# What ``register_ehld`` takes when no tables are named: everything but the identity zone
# (``person_identifiers``), whose identifiers enter an engine only when a caller names it
# (linkage), never as a side effect of reading a folder or warehouse.
DEFAULT_EHLD_TABLES = tuple(t.name for t in TABLES_IN_ORDER if t.zone != "identity")

VALIDATE_HINT = "Run `earlyhelp validate` on the data first; it names the row and column."


class TypedTables(Protocol):
    """EHLD tables typed as the spec says, as a backend takes them."""

    @property
    def names(self) -> list[str]: ...

    def write_parquet(self, name: str, path: Path) -> None:
        """Write the table ``name`` to the Parquet file ``path``."""

    def to_arrow(self, name: str) -> pa.Table:
        """The table ``name`` as Arrow."""


class Engine(abc.ABC):
    """Named tables plus SQL (DuckDB dialect) answered as pyarrow Tables."""

    name: EngineName
    dialect: str  # SQLGlot's name for the SQL this backend runs

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
    def _take_typed_tables(self, tables: TypedTables) -> None:
        """Make every table of ``tables`` queryable under its name."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the backend's resources."""

    def transpile(self, query: str) -> str:
        """``query`` (DuckDB's dialect) in this backend's dialect."""
        return transpile(query, self.dialect)

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def register_ehld(
        self, data: Path | str, tables: Iterable[str] | None = None, columns: Mapping[str, Iterable[str]] | None = None
    ) -> None:
        """Register EHLD tables (typed as the spec says) from a folder or a DuckDB warehouse file.

        ``tables`` defaults to :data:`DEFAULT_EHLD_TABLES`: every table but the identity zone's,
        which is registered only when named. Tables missing from the data become empty tables
        with the spec's columns, so a query over a return without, say, looked-after episodes
        still runs and counts zero. ``columns`` may name, per table, the only columns a
        computation needs: at national scale that halves the memory the engine holds.
        """
        with self._read_ehld(Path(data), ehld_table_names(tables), columns) as typed:
            self._take_typed_tables(typed)

    def _read_ehld(
        self, data: Path, names: list[str], columns: Mapping[str, Iterable[str]] | None
    ) -> AbstractContextManager[TypedTables]:
        """The reader of EHLD data for :meth:`register_ehld` (a context manager giving
        :class:`TypedTables`); a backend that can read EHLD files itself hands it its own store."""
        from earlyhelp.engine.ehld import EHLDReader

        return EHLDReader(data, names, columns)


def transpile(query: str, dialect: str) -> str:
    """One query written in DuckDB's dialect, in SQLGlot's ``dialect`` (as it is for DuckDB)."""
    if dialect == "duckdb":
        return query
    import sqlglot

    return sqlglot.transpile(query, read="duckdb", write=dialect)[0]


def ehld_table_names(tables: Iterable[str] | None) -> list[str]:
    """The tables to register: those named, or by default every table outside the identity zone."""
    names = list(DEFAULT_EHLD_TABLES if tables is None else tables)
    unknown = [name for name in names if name not in TABLES]
    if unknown:
        raise ValueError(f"not EHLD tables: {unknown}")
    return names


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def conversion_error(column: str | None) -> DataError:
    """A value a query cast could not be converted: named by its column when the backend says
    which (a column name, never the value, which may be an identifier)."""
    where = f" in the column {column!r}" if column and _NAME.fullmatch(column) else ""
    return DataError(f"A value{where} could not be converted to the type a query needs.", hint=VALIDATE_HINT)


def missing_name_error(name: str | None) -> DataError:
    """A query names a table or column the engine does not hold."""
    what = f" {name!r}" if name and _NAME.fullmatch(name) else ""
    return DataError(
        f"A query names a table or column{what} that the data registered on the engine does not have.",
        hint="Register every table the query reads (register_ehld names the tables), with the spec's columns.",
    )
