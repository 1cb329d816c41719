"""The engine interface: the same DuckDB-dialect SQL answered identically by both backends."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest

from earlyhelp.engine import create_engine
from earlyhelp.engine.base import transpile
from earlyhelp.errors import DataError, UsageError
from earlyhelp.spec.model import TABLES

EVENTS = pa.table(
    {
        "child": ["a", "a", "b", "c"],
        "day": [dt.date(2019, 3, 31), dt.date(2020, 2, 29), dt.date(2019, 4, 1), None],
    }
)
# Date arithmetic, window functions, integer division and string concatenation: the constructs
# the indicator definitions rely on.
QUERY = """
SELECT child,
       'child:' || child AS label,
       date_diff('day', lag(day) OVER (PARTITION BY child ORDER BY day), day) AS gap,
       CASE WHEN month(day) >= 4 THEN year(day) * 100 + (year(day) + 1) % 100
            ELSE (year(day) - 1) * 100 + year(day) % 100 END AS time_period,
       (row_number() OVER (ORDER BY child, day) + 1) // 2 AS pair
FROM events ORDER BY child, day
"""
EXPECTED = [
    # 2019-03-31 -> 2020-02-29 is 335 days.
    {"child": "a", "label": "child:a", "gap": None, "time_period": 201819, "pair": 1},
    {"child": "a", "label": "child:a", "gap": 335, "time_period": 201920, "pair": 1},
    {"child": "b", "label": "child:b", "gap": None, "time_period": 201920, "pair": 2},
    {"child": "c", "label": "child:c", "gap": None, "time_period": None, "pair": 2},
]


def _engine(name, request):
    if name == "spark":
        from earlyhelp.engine.spark_backend import SparkEngine

        return SparkEngine(spark=request.getfixturevalue("spark"))
    return create_engine(name)


@pytest.mark.parametrize("name", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_one_query_two_engines(name, request):
    with _engine(name, request) as engine:
        engine.register("events", EVENTS)
        assert engine.sql(QUERY).to_pylist() == EXPECTED
        engine.materialize("pairs", "SELECT child, COUNT(*) AS n FROM events GROUP BY child")
        assert sorted(engine.sql("SELECT child, n FROM pairs").to_pylist(), key=lambda r: r["child"]) == [
            {"child": "a", "n": 2},
            {"child": "b", "n": 1},
            {"child": "c", "n": 1},
        ]


def test_spark_sql_is_transpiled_from_duckdb_dialect():
    spark_sql = transpile("SELECT date_diff('day', a, b), x // 2 FROM t", "spark")
    assert "DATEDIFF" in spark_sql.upper() and " DIV " in spark_sql.upper()
    with create_engine("duckdb") as engine:
        assert engine.dialect == "duckdb"
        assert engine.transpile("SELECT x // 2 FROM t") == "SELECT x // 2 FROM t"


def test_missing_tables_and_columns_are_empty_and_typed(tmp_path):
    (tmp_path / "returns.csv").write_text(
        "la_code,period_start,period_end,extract_date\nE06000001,2019-04-01,2020-03-31,2020-06-30\n"
    )
    with create_engine("duckdb") as engine:
        engine.register_ehld(tmp_path, ["returns", "referrals"])
        returns = engine.sql("SELECT * FROM returns")
        assert returns.column_names == list(TABLES["returns"].column_names)
        assert returns.schema.field("period_start").type == pa.date32()
        referrals = engine.sql("SELECT * FROM referrals")
        assert referrals.num_rows == 0
        assert referrals.column_names == list(TABLES["referrals"].column_names)


def test_warehouse_tables_are_read_with_the_spec_types(tmp_path):
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    # Stored as text by some loader: the engine still gives DATE columns.
    con.execute(
        "CREATE TABLE returns AS SELECT 'E06000001' AS la_code, '2019-04-01' AS period_start, "
        "'2020-03-31' AS period_end, '2020-06-30' AS extract_date"
    )
    con.close()
    with create_engine("duckdb") as engine:
        engine.register_ehld(path, ["returns", "spend"])
        row = engine.sql("SELECT * FROM returns").to_pylist()[0]
        assert row["extract_date"] == dt.date(2020, 6, 30)
        assert engine.sql("SELECT COUNT(*) AS n FROM spend").to_pylist() == [{"n": 0}]


def test_unknown_engine_and_bad_paths_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="Unknown engine"):
        create_engine("pandas")
    with create_engine("duckdb") as engine:
        with pytest.raises(UsageError, match="does not exist"):
            engine.register_ehld(tmp_path / "missing")
        (tmp_path / "notes.txt").write_text("not a database")
        with pytest.raises(DataError, match="could not be opened as a DuckDB warehouse"):
            engine.register_ehld(tmp_path / "notes.txt")


IDENTITY_CSV = (
    "source,source_record_id,la_code,nhs_number,upn,forename,surname,date_of_birth,sex,postcode\n"
    "la_csc,C1,E06000001,9990000018,,Testa,Fakename,2012-05-14,F,ZZ99 3AB\n"
)
RETURNS_CSV = "la_code,period_start,period_end,extract_date\nE06000001,2019-04-01,2020-03-31,2020-06-30\n"


@pytest.mark.parametrize("name", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_identity_tables_are_registered_only_when_named(name, request, tmp_path):
    (tmp_path / "person_identifiers.csv").write_text(IDENTITY_CSV)
    (tmp_path / "returns.csv").write_text(RETURNS_CSV)
    with _engine(name, request) as engine:
        engine.register_ehld(tmp_path)
        assert engine.sql("SELECT la_code FROM returns").to_pylist() == [{"la_code": "E06000001"}]
        with pytest.raises(Exception, match="(?i)person_identifiers"):
            engine.sql("SELECT * FROM person_identifiers")
        if name == "spark":
            # Nothing of the identity zone was staged to Parquet either.
            assert [p.name for p in engine._staging.iterdir() if "person_identifiers" in p.name] == []
        # A caller that needs identifiers (linkage) names the table.
        engine.register_ehld(tmp_path, ["person_identifiers"])
        assert engine.sql("SELECT source_record_id FROM person_identifiers").to_pylist() == [{"source_record_id": "C1"}]


@pytest.mark.parametrize("name", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_a_value_of_the_wrong_type_is_reported_by_table_and_column_never_quoted(name, request, tmp_path):
    (tmp_path / "returns.csv").write_text(RETURNS_CSV)
    (tmp_path / "referrals.csv").write_text(
        "la_code,child_id,referral_id,referral_date,referral_source,referral_nfa\n"
        "E06000001,C1,R1,2019-05-01,1A,false\n"
        "E06000001,C2,R2,Fakename,1A,false\n"
    )
    with _engine(name, request) as engine, pytest.raises(DataError) as raised:
        engine.register_ehld(tmp_path, ["returns", "referrals"])
    message = raised.value.message + (raised.value.hint or "")
    assert message == (
        "A value in the column 'referral_date' of the table 'referrals' could not be read as "
        "date.Run `earlyhelp validate` on the data first; it names the "
        "row and column."
    )


def test_a_failed_conversion_in_a_query_names_the_column_not_the_value():
    with create_engine("duckdb") as engine:
        engine.register("people", pa.table({"birth": ["2012-05-14", "Fakename"]}))
        with pytest.raises(DataError) as raised:
            engine.sql("SELECT CAST(birth AS DATE) AS d FROM people")
    assert raised.value.message == ("A value in the column 'birth' could not be converted to the type a query needs.")


@pytest.mark.parametrize("name", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_both_engines_give_the_same_error_for_a_name_the_data_does_not_have(name, request):
    with _engine(name, request) as engine:
        engine.register("people", pa.table({"birth": ["2012-05-14"]}))
        with pytest.raises(DataError) as missing_table:
            engine.sql("SELECT * FROM person_identifiers")
        with pytest.raises(DataError) as missing_column:
            engine.materialize("ages", "SELECT nhs_number FROM people")
    assert missing_table.value.message == (
        "A query names a table or column 'person_identifiers' that the data registered on the engine does not have."
    )
    assert missing_column.value.message == (
        "A query names a table or column 'nhs_number' that the data registered on the engine does not have."
    )


@pytest.mark.spark
def test_spark_conversion_errors_are_the_same_data_error_without_the_value(spark):
    # With ANSI casts on (Spark 4's own default, and a cluster's), a bad value fails the query.
    from earlyhelp.engine.spark_backend import SparkEngine

    before = spark.conf.get("spark.sql.ansi.enabled")
    spark.conf.set("spark.sql.ansi.enabled", "true")
    try:
        with SparkEngine(spark=spark) as engine:
            engine.register("people", pa.table({"birth": ["2012-05-14", "Fakename"], "n": ["1", "Fakename"]}))
            for query in ("SELECT CAST(birth AS DATE) AS d FROM people", "SELECT CAST(n AS INTEGER) AS i FROM people"):
                with pytest.raises(DataError) as raised:
                    engine.sql(query)
                assert raised.value.message == "A value could not be converted to the type a query needs."
                assert "Fakename" not in str(raised.value) + (raised.value.hint or "")
                assert raised.value.__cause__ is None and raised.value.__suppress_context__
    finally:
        spark.conf.set("spark.sql.ansi.enabled", before)


def test_the_ehld_reader_hands_any_engine_the_same_typed_tables(tmp_path):
    import pyarrow.parquet as pq

    from earlyhelp.engine.ehld import EHLDReader

    (tmp_path / "returns.csv").write_text(RETURNS_CSV)
    with EHLDReader(tmp_path, ["returns", "referrals"], {"returns": ["la_code", "extract_date"]}) as reader:
        assert reader.names == ["returns", "referrals"]
        returns = reader.to_arrow("returns")
        reader.write_parquet("returns", tmp_path / "returns.parquet")
        assert reader.to_arrow("referrals").column_names == list(TABLES["referrals"].column_names)
    assert returns.to_pylist() == [{"la_code": "E06000001", "extract_date": dt.date(2020, 6, 30)}]
    assert pq.read_table(tmp_path / "returns.parquet").equals(returns)
