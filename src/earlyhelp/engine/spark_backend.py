"""Apache Spark (PySpark): the same queries, transpiled from DuckDB's dialect by SQLGlot.

Why SQLGlot rather than Ibis or a second hand-written query set: the definitions stay plain SQL
that an analyst can read next to the spec; SQLGlot 30.30 (pinned) translates DuckDB's date
functions, integer division and window syntax to Spark SQL; and there is no Ibis/SQLGlot version
conflict to manage (ibis-framework 12 breaks with SQLGlot >= 30.18).

Tables reach Spark as Parquet written by DuckDB from the same typed views the DuckDB engine
uses, so both engines read byte-identical typed inputs.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot

from earlyhelp.engine.base import Engine, unreadable_table_error
from earlyhelp.errors import EarlyhelpError
from earlyhelp.spec.files import sql_literal

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    from pyspark.sql import SparkSession


def to_spark_sql(query: str) -> str:
    """Translate one DuckDB-dialect query to Spark SQL."""
    return sqlglot.transpile(query, read="duckdb", write="spark")[0]


def local_spark_session(cores: int = 2, memory: str = "4g") -> SparkSession:
    """A local-mode session like the one the tests use, for running on one machine."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EarlyhelpError(
            "The Spark engine needs PySpark: install earlyhelp[spark] (pyspark 4.3.0) and Java 17.",
        ) from None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    try:
        session = (
            SparkSession.builder.master(f"local[{cores}]")
            .appName("earlyhelp")
            .config("spark.sql.shuffle.partitions", str(max(4, 2 * cores)))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.memory", memory)
            .config("spark.sql.ansi.enabled", "false")
            .getOrCreate()
        )
    except Exception as error:
        raise EarlyhelpError(
            f"Spark could not start ({type(error).__name__}).",
            hint="The Spark engine needs Java 17 (JAVA_HOME) and pyspark 4.3.0; or use --engine duckdb.",
        ) from None
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkEngine(Engine):
    name = "spark"

    def __init__(self, spark: SparkSession | None = None):
        self._owns_session = spark is None
        self.spark = spark or local_spark_session()
        self._staging = Path(tempfile.mkdtemp(prefix="earlyhelp-spark-"))
        self._cached: list[Any] = []
        self._files = 0

    def _staging_file(self, name: str) -> Path:
        # Spark skips files whose names start with "_" or "."; a counter keeps re-registrations
        # of one name from overwriting a file a lazy DataFrame still reads.
        self._files += 1
        return self._staging / f"t{self._files:04d}-{name.strip('_.')}.parquet"

    def _view(self, name: str, frame: Any) -> None:
        frame.createOrReplaceTempView(name)

    def register(self, name: str, source: Any) -> None:
        if isinstance(source, (str, Path)):
            self._view(name, self.spark.read.parquet(str(source)))
            return
        if not isinstance(source, pa.Table):
            source = pa.Table.from_pandas(source, preserve_index=False)
        path = self._staging_file(name)
        pq.write_table(source, path)
        self._view(name, self.spark.read.parquet(str(path)))

    def sql(self, query: str) -> pa.Table:
        return self.spark.sql(to_spark_sql(query)).toArrow()

    def materialize(self, name: str, query: str) -> None:
        frame = self.spark.sql(to_spark_sql(query)).cache()
        self._cached.append(frame)
        self._view(name, frame)

    def _register_typed_ehld(self, con: duckdb.DuckDBPyConnection, selects: dict[str, tuple[list[str], str]]) -> None:
        import duckdb

        for name, (wanted, select) in selects.items():
            path = self._staging_file(name)
            quoted = sql_literal(path)
            try:
                con.execute(f"COPY ({select}) TO {quoted} (FORMAT parquet)")
            except duckdb.Error:
                raise unreadable_table_error(con, name, wanted) from None
            self._view(name, self.spark.read.parquet(str(path)))

    def close(self) -> None:
        for frame in self._cached:
            frame.unpersist()
        self._cached.clear()
        if self._owns_session:
            self.spark.stop()
        shutil.rmtree(self._staging, ignore_errors=True)
