"""The only places earlyhelp opens a DuckDB connection or starts a Spark session.

Both take their resources from one :class:`~earlyhelp.engine.config.EngineConfig` (by default
read from the environment), so the memory limit, threads and spill folder are set in one place.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from earlyhelp.engine.config import EngineConfig, Stage
from earlyhelp.errors import EarlyhelpError

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    from pyspark.sql import SparkSession


def duckdb_connection(
    database: Path | str | None = None,
    *,
    read_only: bool = False,
    config: EngineConfig | None = None,
    stage: Stage = "engine",
    spill: Path | str | None = None,
    threads: int | None = None,
    keep_insertion_order: bool = True,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection (in memory, or to the ``database`` file) bounded by ``config``.

    ``stage`` picks the stage's share of the memory limit; ``spill`` is the folder DuckDB spills
    to beyond it (default: DuckDB's own, beside a database file); ``threads`` overrides the
    config's for one connection (validate's ``--threads``). Connection errors are DuckDB's own,
    for the caller to explain in its own terms.
    """
    import duckdb

    config = config or EngineConfig.from_env()
    settings: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": config.duckdb_memory_limit(stage),
        "threads": int(threads or config.threads),
    }
    if spill is not None:
        settings["temp_directory"] = str(spill)
    if not keep_insertion_order:
        # Large results need not keep their input order (their queries say ORDER BY when it matters).
        settings["preserve_insertion_order"] = False
    return duckdb.connect(":memory:" if database is None else str(database), read_only=read_only, config=settings)


def spark_session(config: EngineConfig | None = None) -> SparkSession:
    """The Spark session for ``config``'s master (local mode by default), with a clear error
    when PySpark or Java is missing. An existing session is reused (Spark allows one)."""
    config = config or EngineConfig.from_env()
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EarlyhelpError(
            "The Spark engine needs PySpark: install earlyhelp[spark] (pyspark 4.3.0) and Java 17.",
        ) from None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(config.spark_master)
        .appName("earlyhelp")
        .config("spark.sql.shuffle.partitions", str(max(4, 2 * config.threads)))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", config.spark_memory)
        .config("spark.sql.ansi.enabled", "false")
    )
    if config.temp_dir is not None:
        builder = builder.config("spark.local.dir", str(config.temp_dir))
    try:
        session = builder.getOrCreate()
    except Exception as error:
        raise EarlyhelpError(
            f"Spark could not start ({type(error).__name__}).",
            hint="The Spark engine needs Java 17 (JAVA_HOME) and pyspark 4.3.0; or use --engine duckdb.",
        ) from None
    session.sparkContext.setLogLevel("ERROR")
    return session


def duckdb_table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The tables of the connection's own database (schema ``main``)."""
    return {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'"
        ).fetchall()
    }
