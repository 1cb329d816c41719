"""One SQL engine layer for every stage: DuckDB (default) and Spark backends, one config, one factory.

>>> from earlyhelp.engine import create_engine
>>> with create_engine("duckdb") as engine:
...     engine.register_ehld("my-return/")  # every table but person_identifiers
...     table = engine.sql("SELECT la_code, COUNT(*) AS n FROM referrals GROUP BY la_code")

Write queries in DuckDB's dialect; each backend's ``transpile`` turns them into its own
(``Engine.dialect``). Resources (memory limit, threads, spill folder, Spark master and driver
memory) come from one :class:`EngineConfig` (``EARLYHELP_*`` environment variables), and every
DuckDB connection and Spark session is made by :mod:`earlyhelp.engine.connect`, nowhere else.
Errors from either backend reach the user as the same :class:`~earlyhelp.errors.DataError`.

Stages that genuinely need DuckDB, whichever engine is chosen, and why:

* **Reading EHLD files and warehouses** (:mod:`earlyhelp.engine.ehld`): the validator's CSV
  rules and the warehouse are DuckDB's; other engines take the typed tables as Parquet or Arrow.
* **The warehouse** (:mod:`earlyhelp.warehouse`): a DuckDB database file, written in one
  transaction per load.
* **validate's key checks** (:mod:`earlyhelp.validate.keys`): group-bys and anti-joins over the
  key columns streamed to Parquet, under a share of the memory limit.
* **Export to source formats** (:mod:`earlyhelp.formats.export_source`): reads an EHLD folder
  and locates an unreadable value by file line.
* **Linkage** (:mod:`earlyhelp.link`): standardising, the NHS-number step, clustering and the
  report run on DuckDB; only Splink's scoring runs on the chosen engine (DuckDBAPI or SparkAPI).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from earlyhelp.engine.base import DEFAULT_EHLD_TABLES, Engine, TypedTables
from earlyhelp.engine.config import ENGINES, EngineConfig, EngineName
from earlyhelp.errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession


def create_engine(
    name: str = "duckdb", *, config: EngineConfig | None = None, spark: SparkSession | None = None
) -> Engine:
    """An engine by name, ``duckdb`` or ``spark``, sized by ``config`` (default: from the
    environment); ``spark`` runs the Spark engine on an existing session (a cluster's)."""
    if name == "duckdb":
        from earlyhelp.engine.duckdb_backend import DuckDBEngine

        return DuckDBEngine(config)
    if name == "spark":
        from earlyhelp.engine.spark_backend import SparkEngine

        return SparkEngine(spark, config)
    raise UsageError(f"Unknown engine {name!r}; choose one of: {', '.join(ENGINES)}.")


__all__ = ["DEFAULT_EHLD_TABLES", "ENGINES", "Engine", "EngineConfig", "EngineName", "TypedTables", "create_engine"]
