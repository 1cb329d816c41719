"""Apache Spark (PySpark): the same queries, transpiled from DuckDB's dialect by SQLGlot.

Why SQLGlot rather than Ibis or a second hand-written query set: the definitions stay plain SQL
that an analyst can read next to the spec; SQLGlot 30.30 (pinned) translates DuckDB's date
functions, integer division and window syntax to Spark SQL; and there is no Ibis/SQLGlot version
conflict to manage (ibis-framework 12 breaks with SQLGlot >= 30.18).

EHLD tables reach Spark as Parquet written by the shared reader (:mod:`earlyhelp.engine.ehld`)
from the same typed views the DuckDB engine uses, so both engines read byte-identical typed inputs.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from earlyhelp.engine.base import Engine, TypedTables, conversion_error, missing_name_error
from earlyhelp.engine.config import EngineConfig
from earlyhelp.engine.connect import spark_session
from earlyhelp.errors import DataError

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

# Spark's error classes for a name a query uses that no table or column has, with the message
# parameter that holds the name.
_MISSING_NAME_PARAMETERS = {"TABLE_OR_VIEW_NOT_FOUND": "relationName", "UNRESOLVED_COLUMN": "objectName"}
# JVM exceptions for a value that does not convert (raised as Py4JJavaError when Spark does not
# wrap them in one of its own classes).
_JVM_CONVERSION_ERRORS = (
    "java.lang.NumberFormatException",
    "java.lang.ArithmeticException",
    "java.time.DateTimeException",
    "java.time.format.DateTimeParseException",
)


def spark_data_error(error: Exception) -> DataError | None:
    """The engine's :class:`DataError` for a Spark error a query met in the data, else None.

    Only the error's class and the name of a missing table or column are read: Spark's messages
    quote values (a cast's input), which may be identifiers.
    """
    from pyspark.errors import (
        AnalysisException,
        ArithmeticException,
        DateTimeException,
        NumberFormatException,
        PySparkException,
    )

    if isinstance(error, (NumberFormatException, ArithmeticException, DateTimeException)):
        return conversion_error(None)
    if isinstance(error, AnalysisException):
        condition = (error.getCondition() or "").split(".")[0]
        parameter = _MISSING_NAME_PARAMETERS.get(condition)
        if parameter is None:
            return None  # a fault in the query itself, told as Spark tells it
        name = (error.getMessageParameters() or {}).get(parameter, "")
        return missing_name_error(name.replace("`", "").split(".")[-1])
    if isinstance(error, PySparkException) and (error.getCondition() or "").startswith("CAST_"):
        return conversion_error(None)
    java_class = _java_class(error)
    if java_class in _JVM_CONVERSION_ERRORS:
        return conversion_error(None)
    return None


def _java_class(error: Exception) -> str | None:
    """The JVM exception's class name behind a Py4JJavaError (its cause's, when Spark wrapped it)."""
    java = getattr(error, "java_exception", None)
    if java is None:
        return None
    try:
        while java.getCause() is not None and "SparkException" in java.getClass().getName():
            java = java.getCause()
        return str(java.getClass().getName())
    except Exception:  # the JVM is gone: nothing more to learn
        return None


class SparkEngine(Engine):
    name = "spark"
    dialect = "spark"

    def __init__(self, spark: SparkSession | None = None, config: EngineConfig | None = None):
        self._owns_session = spark is None
        self.spark = spark or spark_session(config)
        self._staging = Path(
            tempfile.mkdtemp(prefix="earlyhelp-spark-", dir=(config or EngineConfig.from_env()).temp_dir)
        )
        self._cached: list[DataFrame] = []
        self._views: set[str] = set()
        self._files = 0

    def _staging_file(self, name: str) -> Path:
        # Spark skips files whose names start with "_" or "."; a counter keeps re-registrations
        # of one name from overwriting a file a lazy DataFrame still reads.
        self._files += 1
        return self._staging / f"t{self._files:04d}-{name.strip('_.')}.parquet"

    def _view(self, name: str, frame: DataFrame) -> None:
        frame.createOrReplaceTempView(name)
        self._views.add(name)

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
        try:
            return self.spark.sql(self.transpile(query)).toArrow()
        except Exception as error:
            translated = spark_data_error(error)
            if translated is None:
                raise
            raise translated from None

    def materialize(self, name: str, query: str) -> None:
        try:
            frame = self.spark.sql(self.transpile(query)).cache()
        except Exception as error:
            translated = spark_data_error(error)
            if translated is None:
                raise
            raise translated from None
        self._cached.append(frame)
        self._view(name, frame)

    def _take_typed_tables(self, tables: TypedTables) -> None:
        for name in tables.names:
            path = self._staging_file(name)
            tables.write_parquet(name, path)
            self._view(name, self.spark.read.parquet(str(path)))

    def close(self) -> None:
        for frame in self._cached:
            frame.unpersist()
        self._cached.clear()
        # A shared session outlives the engine: its views would read staging files deleted below.
        for name in self._views:
            self.spark.catalog.dropTempView(name)
        self._views.clear()
        if self._owns_session:
            self.spark.stop()
        shutil.rmtree(self._staging, ignore_errors=True)
