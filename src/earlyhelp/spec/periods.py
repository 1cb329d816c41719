"""Financial years, the reporting year of every figure: 1 April to 31 March.

The spec writes a financial year as ``time_period``, six digits: 201920 is 1 April 2019 to
31 March 2020, labelled "2019-20" as DfE writes it. This module is the one place that knows
that, in Python and in SQL (DuckDB dialect; the Spark engine transpiles it).
"""

from __future__ import annotations

import datetime as dt

FIRST_MONTH = 4  # a financial year starts on 1 April and ends on 31 March


def time_period(start_year: int) -> int:
    """The financial year starting 1 April ``start_year``: 2019 -> 201920."""
    return start_year * 100 + (start_year + 1) % 100


def start_year(period: int) -> int:
    """The calendar year a financial year starts in: 201920 -> 2019."""
    return period // 100


def period_of(day: dt.date) -> int:
    """The financial year ``day`` falls in: 31 March 2020 -> 201920, 1 April 2020 -> 202021."""
    return time_period(day.year if day.month >= FIRST_MONTH else day.year - 1)


def period_start(period: int) -> dt.date:
    """1 April of the financial year."""
    return dt.date(start_year(period), FIRST_MONTH, 1)


def period_end(period: int) -> dt.date:
    """31 March, the last day of the financial year (the DfE collections' reference date)."""
    return dt.date(start_year(period) + 1, FIRST_MONTH - 1, 31)


def bounds(period: int) -> tuple[dt.date, dt.date]:
    """The first and last day of the financial year."""
    return period_start(period), period_end(period)


def next_period(period: int) -> int:
    """The financial year after ``period``: 201920 -> 202021."""
    return time_period(start_year(period) + 1)


def periods_between(first: int, last: int) -> list[int]:
    """Every financial year from ``first`` to ``last``, both included."""
    return [time_period(year) for year in range(start_year(first), start_year(last) + 1)]


def label(period: int | str) -> str:
    """``201920`` -> ``2019-20``; anything that is not six digits is returned as it is."""
    text = str(period)
    return f"{text[:4]}-{text[4:]}" if len(text) == 6 and text.isdigit() else text


def is_time_period(text: str) -> bool:
    """Whether ``text`` is a financial year in six digits whose two halves follow on (201920)."""
    return len(text) == 6 and text.isdigit() and (int(text[:4]) + 1) % 100 == int(text[4:])


def last_year_end_reached(day: dt.date) -> int:
    """The calendar year of the latest 31 March on or before ``day`` (a collection's year)."""
    return day.year if (day.month, day.day) >= (FIRST_MONTH - 1, 31) else day.year - 1


def time_period_sql(date_sql: str) -> str:
    """SQL for the financial year of the date ``date_sql``, as ``time_period`` (201920)."""
    return (
        f"CASE WHEN month({date_sql}) >= {FIRST_MONTH} "
        f"THEN year({date_sql}) * 100 + (year({date_sql}) + 1) % 100 "
        f"ELSE (year({date_sql}) - 1) * 100 + year({date_sql}) % 100 END"
    )


def start_year_sql(period_sql: str) -> str:
    """SQL for the calendar year the financial year ``period_sql`` (201920) starts in (2019)."""
    return f"{period_sql} // 100"


def date_literal(day: dt.date) -> str:
    """SQL for a date: ``DATE '2019-04-01'``."""
    return f"DATE '{day.isoformat()}'"


def in_period_sql(date_sql: str, period: int) -> str:
    """SQL: the date ``date_sql`` falls in the financial year ``period`` (both ends included)."""
    first_day, last_day = bounds(period)
    return f"{date_sql} BETWEEN {date_literal(first_day)} AND {date_literal(last_day)}"


__all__ = [
    "FIRST_MONTH",
    "bounds",
    "date_literal",
    "in_period_sql",
    "is_time_period",
    "label",
    "last_year_end_reached",
    "next_period",
    "period_end",
    "period_of",
    "period_start",
    "periods_between",
    "start_year",
    "start_year_sql",
    "time_period",
    "time_period_sql",
]
