"""Financial years: 1 April to 31 March, written 201920, in Python and in SQL."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from earlyhelp.engine import create_engine
from earlyhelp.spec import periods

# (day, the financial year it falls in), worked out by hand.
DAYS = [
    (dt.date(2020, 3, 31), 201920),  # the last day of 2019-20
    (dt.date(2020, 4, 1), 202021),  # the first day of 2020-21
    (dt.date(2019, 4, 1), 201920),
    (dt.date(2019, 12, 31), 201920),
    (dt.date(2020, 1, 1), 201920),
    (dt.date(1999, 6, 1), 199900),  # the century turns inside 1999-00
    (dt.date(2000, 2, 29), 199900),
]


@pytest.mark.parametrize(("day", "expected"), DAYS)
def test_period_of_a_day(day, expected):
    assert periods.period_of(day) == expected


def test_sql_gives_the_same_periods():
    days = pa.table({"day": [day for day, _ in DAYS] + [None]})
    with create_engine("duckdb") as engine:
        engine.register("days", days)
        got = engine.sql(f"SELECT {periods.time_period_sql('day')} AS p FROM days").column("p").to_pylist()
    assert got == [expected for _, expected in DAYS] + [None]


def test_bounds_labels_and_ranges():
    assert periods.bounds(201920) == (dt.date(2019, 4, 1), dt.date(2020, 3, 31))
    assert periods.bounds(199900) == (dt.date(1999, 4, 1), dt.date(2000, 3, 31))
    assert periods.time_period(2009) == 200910
    assert periods.start_year(201920) == 2019
    assert periods.next_period(199899) == 199900
    assert periods.next_period(199900) == 200001
    assert periods.periods_between(201819, 202021) == [201819, 201920, 202021]
    assert periods.periods_between(201920, 201920) == [201920]
    assert periods.label(201920) == "2019-20"
    assert periods.label("201011") == "2010-11"
    assert periods.label("Total") == "Total"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("201920", True), ("199900", True), ("201921", False), ("2019-20", False), ("20192", False), ("abcdef", False)],
)
def test_is_time_period(text, expected):
    assert periods.is_time_period(text) is expected


def test_latest_31_march_reached():
    assert periods.last_year_end_reached(dt.date(2020, 3, 31)) == 2020
    assert periods.last_year_end_reached(dt.date(2020, 3, 30)) == 2019
    assert periods.last_year_end_reached(dt.date(2020, 12, 31)) == 2020


def test_in_period_sql_includes_both_ends():
    days = pa.table({"day": [dt.date(2019, 3, 31), dt.date(2019, 4, 1), dt.date(2020, 3, 31), dt.date(2020, 4, 1)]})
    with create_engine("duckdb") as engine:
        engine.register("days", days)
        got = engine.sql(f"SELECT day FROM days WHERE {periods.in_period_sql('day', 201920)} ORDER BY day")
    assert got.column("day").to_pylist() == [dt.date(2019, 4, 1), dt.date(2020, 3, 31)]


def test_start_year_sql_gives_the_calendar_year_a_period_starts_in():
    table = pa.table({"p": pa.array([199900, 201920, 202021], pa.int64())})
    with create_engine("duckdb") as engine:
        engine.register("spans", table)
        got = engine.sql(f"SELECT {periods.start_year_sql('p')} AS y FROM spans ORDER BY p").column("y").to_pylist()
    assert got == [1999, 2019, 2020]
