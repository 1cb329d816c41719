"""The journey definitions against hand-worked dates, on both engines.

Each case is one child, so the flags can be read off per child; the dates are chosen on either
side of each window's edge (worked out by hand in the comments).
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from earlyhelp import journeys
from earlyhelp.engine import create_engine
from earlyhelp.spec import periods

LA = "E06000001"
D = dt.date


def _referrals(rows: list[tuple[str, str, D, bool, D | None, str | None]]) -> pa.Table:
    columns = ["child_id", "referral_id", "referral_date", "referral_nfa", "closure_date", "closure_reason"]
    table = {name: [row[i] for row in rows] for i, name in enumerate(columns)}
    return pa.table({"la_code": [LA] * len(rows), **table})


def _episodes(rows: list[tuple[str, str, D, D | None]]) -> pa.Table:
    columns = ["child_id", "episode_id", "start_date", "end_date"]
    table = {
        name: pa.array([row[i] for row in rows], type=pa.date32() if "date" in name else pa.string())
        for i, name in enumerate(columns)
    }
    return pa.table({"la_code": pa.array([LA] * len(rows), type=pa.string()), **table})


def _starts(rows: list[tuple[str, D, str]]) -> tuple[pa.Table, pa.Table]:
    """CP plans (reason "CP") and looked-after episodes (reason = reason_new_episode)."""
    plans = [row for row in rows if row[2] == "CP"]
    care = [row for row in rows if row[2] != "CP"]
    return (
        pa.table(
            {
                "la_code": [LA] * len(plans),
                "child_id": [r[0] for r in plans],
                "start_date": pa.array([r[1] for r in plans], type=pa.date32()),
            }
        ),
        pa.table(
            {
                "la_code": [LA] * len(care),
                "child_id": [r[0] for r in care],
                "start_date": pa.array([r[1] for r in care], type=pa.date32()),
                "reason_new_episode": pa.array([r[2] for r in care], type=pa.string()),
            }
        ),
    )


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request):
    if request.param == "spark":
        from earlyhelp.engine.spark_backend import SparkEngine

        engine = SparkEngine(spark=request.getfixturevalue("spark"))
    else:
        engine = create_engine("duckdb")
    with engine:
        yield engine


def _by_child(engine, query: str, flag: str) -> dict[str, bool]:
    return {row["child_id"]: row[flag] for row in engine.sql(query).to_pylist()}


CLOSED = D(2019, 6, 1)  # day 28 after it is 2019-06-29, day 365 is 2020-05-31


def test_step_down_window_ends_on_day_28(engine):
    engine.register(
        "referrals",
        _referrals(
            [(child, f"R{child}", D(2019, 5, 1), False, CLOSED, "RC9") for child in ("d28", "d29", "open", "ended")]
            + [("late", "Rlate", D(2019, 5, 1), False, CLOSED, "RC8")]
        ),
    )
    engine.register(
        "early_help_episodes",
        _episodes(
            [
                ("d28", "E1", D(2019, 6, 29), None),  # starts on day 28: stepped down
                ("d29", "E2", D(2019, 6, 30), None),  # starts on day 29: not
                ("open", "E3", D(2019, 1, 1), CLOSED),  # open on the closure date: stepped down
                ("ended", "E4", D(2019, 1, 1), D(2019, 5, 31)),  # ended the day before: not
                ("late", "E5", D(2019, 5, 2), D(2019, 7, 1)),  # open across it: stepped down
            ]
        ),
    )
    query = journeys.step_downs_sql(
        "SELECT la_code, child_id, referral_id, closure_date FROM referrals", keep=("c.child_id",)
    )
    assert _by_child(engine, query, "stepped_down") == {
        "d28": True,
        "d29": False,
        "open": True,
        "ended": False,
        "late": True,
    }


def test_missed_step_down_needs_a_referral_by_day_365(engine):
    engine.register(
        "referrals",
        _referrals(
            [
                ("d365", "R1", D(2019, 5, 1), False, CLOSED, "RC8"),
                ("d365", "R2", D(2020, 5, 31), True, D(2020, 5, 31), "RC8"),  # day 365 after closure
                ("d366", "R3", D(2019, 5, 1), False, CLOSED, "RC8"),
                ("d366", "R4", D(2020, 6, 1), False, None, None),  # day 366
                ("same", "R5", D(2019, 5, 1), False, CLOSED, "RC8"),
                ("same", "R6", CLOSED, False, None, None),  # the closure day itself is day 0
            ]
        ),
    )
    engine.register("early_help_episodes", _episodes([]))
    closures = (
        "SELECT la_code, child_id, referral_id, closure_date FROM referrals "
        f"WHERE {journeys.is_closed_after_assessment()}"
    )
    query = f"""SELECT child_id, {journeys.MISSED_STEP_DOWN} AS missed
        FROM ({journeys.step_downs_sql(closures, keep=("c.child_id",))})"""
    assert _by_child(engine, query, "missed") == {"d365": True, "d366": False, "same": False}


def test_re_referral_is_1_to_365_days_after_the_previous_referral(engine):
    engine.register(
        "referrals",
        _referrals(
            [
                ("d365", "R1", D(2019, 4, 1), True, D(2019, 4, 1), "RC8"),
                ("d365", "R2", D(2020, 3, 31), True, D(2020, 3, 31), "RC8"),  # day 365 (2020 is a leap year)
                ("d366", "R3", D(2019, 4, 1), True, D(2019, 4, 1), "RC8"),
                ("d366", "R4", D(2020, 4, 1), True, D(2020, 4, 1), "RC8"),  # day 366
                # Two referrals on one day, 10 days after an earlier one: both are re-referrals.
                ("twice", "R5", D(2019, 4, 1), True, D(2019, 4, 1), "RC8"),
                ("twice", "R6", D(2019, 4, 11), True, D(2019, 4, 11), "RC8"),
                ("twice", "R7", D(2019, 4, 11), True, D(2019, 4, 11), "RC8"),
            ]
        ),
    )
    query = journeys.re_referrals_sql(
        "SELECT la_code, child_id, referral_id, referral_date FROM referrals",
        keep=("r.referral_id",),
    )
    flags = {row["referral_id"]: row["re_referral"] for row in engine.sql(query).to_pylist()}
    assert flags == {
        "R1": False,
        "R2": True,
        "R3": False,
        "R4": False,
        "R5": False,
        "R6": True,
        "R7": True,
    }


def test_open_during_a_year(engine):
    engine.register(
        "early_help_episodes",
        _episodes(
            [
                ("ends_on_first_day", "E1", D(2018, 6, 1), D(2019, 4, 1)),  # open during 2019-20
                ("ends_the_day_before", "E2", D(2018, 6, 1), D(2019, 3, 31)),  # not
                ("no_end", "E3", D(2015, 1, 1), None),  # still open: open during
                ("starts_on_last_day", "E4", D(2020, 3, 31), None),  # open during
                ("starts_after", "E5", D(2020, 4, 1), D(2020, 5, 1)),  # not
            ]
        ),
    )
    first, last = (periods.date_literal(day) for day in periods.bounds(201920))
    query = f"""SELECT child_id, {journeys.open_during("start_date", "end_date", first, last)} AS open
        FROM early_help_episodes"""
    assert _by_child(engine, query, "open") == {
        "ends_on_first_day": True,
        "ends_the_day_before": False,
        "no_end": True,
        "starts_on_last_day": True,
        "starts_after": False,
    }
    # The stock on 31 March: an episode ending on that day is no longer open at its end.
    march = periods.date_literal(D(2019, 3, 31))
    query = f"""SELECT child_id, {journeys.still_open_after("start_date", "end_date", march)} AS open
        FROM early_help_episodes WHERE start_date <= {march}"""
    assert _by_child(engine, query, "open") == {
        "ends_on_first_day": True,
        "ends_the_day_before": False,
        "no_end": True,
    }


def test_escalation_after_early_help(engine):
    ended = D(2019, 9, 30)  # day 365 after it is 2020-09-29
    engine.register(
        "early_help_episodes",
        _episodes([(child, f"E{child}", D(2019, 1, 1), ended) for child in ("cp365", "cp366", "nfa", "care_p", "cin")]),
    )
    engine.register(
        "referrals",
        _referrals(
            [
                ("nfa", "R1", D(2019, 11, 1), True, D(2019, 11, 1), "RC8"),  # NFA: not an escalation
                ("cin", "R2", D(2019, 11, 1), False, None, None),  # a CIN referral: escalation
            ]
        ),
    )
    plans, care = _starts(
        [
            ("cp365", D(2020, 9, 29), "CP"),  # a CP plan on day 365: escalation
            ("cp366", D(2020, 9, 30), "CP"),  # day 366: not
            ("care_p", D(2019, 11, 1), "P"),  # a placement change, not a period of care starting
        ]
    )
    engine.register("cp_plans", plans)
    engine.register("looked_after_episodes", care)
    closures = "SELECT la_code, child_id, episode_id, end_date FROM early_help_episodes"
    query = journeys.early_help_closures_sql(closures, keep=("c.child_id",))
    assert _by_child(engine, query, "escalated") == {
        "cp365": True,
        "cp366": False,
        "nfa": False,
        "care_p": False,
        "cin": True,
    }
