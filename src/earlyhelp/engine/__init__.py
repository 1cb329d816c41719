"""One SQL engine interface over EHLD data, with DuckDB (default) and Spark backends.

>>> from earlyhelp.engine import create_engine
>>> with create_engine("duckdb") as engine:
...     engine.register_ehld("my-return/")  # every table but person_identifiers
...     table = engine.sql("SELECT la_code, COUNT(*) AS n FROM referrals GROUP BY la_code")

Write queries in DuckDB's dialect; the Spark backend transpiles them with SQLGlot.
"""

from __future__ import annotations

from typing import Any

from earlyhelp.engine.base import DEFAULT_EHLD_TABLES, Engine, column_selects, typed_ehld_views
from earlyhelp.errors import UsageError

ENGINES = ("duckdb", "spark")


def create_engine(name: str = "duckdb", **options: Any) -> Engine:
    """An engine by name: ``duckdb`` (options: memory_limit, threads) or ``spark`` (option: spark)."""
    if name == "duckdb":
        from earlyhelp.engine.duckdb_backend import DuckDBEngine

        return DuckDBEngine(**options)
    if name == "spark":
        from earlyhelp.engine.spark_backend import SparkEngine

        return SparkEngine(**options)
    raise UsageError(f"Unknown engine {name!r}; choose one of: {', '.join(ENGINES)}.")


__all__ = ["DEFAULT_EHLD_TABLES", "ENGINES", "Engine", "column_selects", "create_engine", "typed_ehld_views"]
