"""Transitions between services: counted per LA and financial year, published through disclosure control.

Two flows, each a partition at every step so that the published table adds up (and the
publication layer's secondary suppression protects every sum):

* **After an assessment closed below the threshold** (RC8/RC9, counted in the year of the closure
  date): stepped down to early help, or closed with no early help (``step_down`` /
  ``no_step_down``, :func:`earlyhelp.journeys.step_downs_sql`); then, from each, re-referred to
  children's social care within 12 months or not.
* **After an early help episode closed** (counted in the year of its end date): stepped up to
  social care (``end_reason`` = ``step_up_to_social_care``) or ended otherwise; then, from each,
  escalated within 12 months (a CIN referral, a CP plan or a period of care,
  :func:`earlyhelp.journeys.early_help_closures_sql`), else re-entered early help within 12
  months, else neither.

The engine only counts; the partitions' complements are subtracted here, in integers, so DuckDB
and Spark cannot differ.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from earlyhelp.journeys.definitions import (
    FOLLOW_UP_DAYS,
    STEP_DOWN_DAYS,
    early_help_closures_sql,
    is_closed_after_assessment,
    step_downs_sql,
)
from earlyhelp.publish import LOCAL, NATIONAL, NOT_AVAILABLE, REGIONAL, TOTAL, Unit, internal_table
from earlyhelp.spec import periods

STEP_UP_REASON = "step_up_to_social_care"


@dataclass(frozen=True)
class Transition:
    """One published flow: ``count`` children's records went from ``from_state`` to ``to_state``.

    It is also a definition for :func:`earlyhelp.publish.disclosure_control` (a count, no
    denominator); ``follow_up_days`` is how long after the year the data must run before the
    count is complete.
    """

    name: str
    from_state: str
    to_state: str
    label: str
    follow_up_days: int

    unit: Unit = "count"
    breakdowns: tuple[str, ...] = ()
    denominator: str | None = None
    numerator_is_count: bool = True
    denominator_is_count: bool = False

    @property
    def numerator(self) -> str:
        return self.name


_RE_REFERRAL = (
    ("re_referral", "re_referred_12m", "re-referred within 12 months"),
    ("no_re_referral", "not_re_referred_12m", "not re-referred within 12 months"),
)
_AFTER_EARLY_HELP = (
    ("escalation", "escalated_12m", "escalated to social care within 12 months"),
    ("re_entry", "re_entered_early_help_12m", "back in early help within 12 months, not escalated"),
    ("no_further_service", "no_further_service_12m", "neither within 12 months"),
)

TRANSITIONS: tuple[Transition, ...] = (
    Transition("step_down", "closed_after_assessment", "stepped_down", "stepped down to early help", STEP_DOWN_DAYS),
    Transition(
        "no_step_down",
        "closed_after_assessment",
        "closed_no_early_help",
        "closed with no early help",
        STEP_DOWN_DAYS,
    ),
    *[
        Transition(f"{prefix}_after_{state}", state, to_state, label, FOLLOW_UP_DAYS)
        for state in ("stepped_down", "closed_no_early_help")
        for prefix, to_state, label in _RE_REFERRAL
    ],
    Transition("step_up", "early_help_closed", "stepped_up", "stepped up to social care (recorded end reason)", 0),
    Transition("other_early_help_closure", "early_help_closed", "early_help_ended", "early help ended otherwise", 0),
    *[
        Transition(f"{prefix}_after_{state}", state, to_state, label, FOLLOW_UP_DAYS)
        for state in ("stepped_up", "early_help_ended")
        for prefix, to_state, label in _AFTER_EARLY_HELP
    ],
)
BY_NAME = {t.name: t for t in TRANSITIONS}

# Each state's outgoing flows add up to the flow into it (or to its total, for the first states).
RELATIONS = (
    (("step_down", "numerator"), tuple((f"{p}_after_stepped_down", "numerator") for p, _, _ in _RE_REFERRAL)),
    (
        ("no_step_down", "numerator"),
        tuple((f"{p}_after_closed_no_early_help", "numerator") for p, _, _ in _RE_REFERRAL),
    ),
    (("step_up", "numerator"), tuple((f"{p}_after_stepped_up", "numerator") for p, _, _ in _AFTER_EARLY_HELP)),
    (
        ("other_early_help_closure", "numerator"),
        tuple((f"{p}_after_early_help_ended", "numerator") for p, _, _ in _AFTER_EARLY_HELP),
    ),
)

STATE_LABELS = {
    "closed_after_assessment": "Assessment closed below the threshold",
    "stepped_down": "Stepped down to early help",
    "closed_no_early_help": "Closed with no early help",
    "re_referred_12m": "Re-referred within 12 months",
    "not_re_referred_12m": "Not re-referred within 12 months",
    "early_help_closed": "Early help episode closed",
    "stepped_up": "Stepped up to social care",
    "early_help_ended": "Early help ended otherwise",
    "escalated_12m": "Escalated within 12 months",
    "re_entered_early_help_12m": "Back in early help within 12 months, not escalated",
    "no_further_service_12m": "Neither within 12 months",
}

COUNT_TABLES = ("referrals", "early_help_episodes", "cp_plans", "looked_after_episodes", "returns", "local_authorities")


def counts_sql() -> str:
    """Per LA and financial year, the counts every transition is worked out from."""
    closures = f"""SELECT r.la_code, r.child_id, r.referral_id, r.closure_date FROM referrals r
    WHERE {is_closed_after_assessment("r")} AND r.closure_date IS NOT NULL"""
    early_help = """SELECT e.la_code, e.child_id, e.episode_id, e.end_date, e.end_reason FROM early_help_episodes e
    WHERE e.end_date IS NOT NULL"""
    csc = step_downs_sql(closures, keep=("c.la_code", "c.closure_date"))
    eh = early_help_closures_sql(early_help, keep=("c.la_code", "c.end_date", "c.end_reason"))
    step_up = f"COALESCE(end_reason = '{STEP_UP_REASON}', false)"
    return f"""
SELECT la_code, {periods.time_period_sql("closure_date")} AS time_period, 'csc' AS flow,
       count(*) AS closed,
       sum(CASE WHEN stepped_down THEN 1 ELSE 0 END) AS first_step,
       sum(CASE WHEN stepped_down AND re_referred THEN 1 ELSE 0 END) AS first_step_outcome,
       sum(CASE WHEN NOT stepped_down AND re_referred THEN 1 ELSE 0 END) AS other_outcome,
       0 AS first_step_second_outcome, 0 AS other_second_outcome
FROM ({csc}) csc
GROUP BY la_code, {periods.time_period_sql("closure_date")}
UNION ALL
SELECT la_code, {periods.time_period_sql("end_date")}, 'early_help',
       count(*),
       sum(CASE WHEN {step_up} THEN 1 ELSE 0 END),
       sum(CASE WHEN {step_up} AND escalated THEN 1 ELSE 0 END),
       sum(CASE WHEN NOT {step_up} AND escalated THEN 1 ELSE 0 END),
       sum(CASE WHEN {step_up} AND NOT escalated AND re_entered THEN 1 ELSE 0 END),
       sum(CASE WHEN NOT {step_up} AND NOT escalated AND re_entered THEN 1 ELSE 0 END)
FROM ({eh}) eh
GROUP BY la_code, {periods.time_period_sql("end_date")}
"""


def transition_counts(rows: Iterable[dict[str, Any]]) -> dict[tuple[str, str], dict[str, int]]:
    """(la_code, time_period) -> transition -> count, from the rows of :func:`counts_sql`."""
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {t.name: 0 for t in TRANSITIONS})
    for row in rows:
        figures = counts[(row["la_code"], str(row["time_period"]))]
        closed, first, first_out, other_out = (
            int(row[c]) for c in ("closed", "first_step", "first_step_outcome", "other_outcome")
        )
        if row["flow"] == "csc":
            figures["step_down"] = first
            figures["no_step_down"] = closed - first
            figures["re_referral_after_stepped_down"] = first_out
            figures["no_re_referral_after_stepped_down"] = first - first_out
            figures["re_referral_after_closed_no_early_help"] = other_out
            figures["no_re_referral_after_closed_no_early_help"] = closed - first - other_out
        else:
            first_second, other_second = int(row["first_step_second_outcome"]), int(row["other_second_outcome"])
            figures["step_up"] = first
            figures["other_early_help_closure"] = closed - first
            figures["escalation_after_stepped_up"] = first_out
            figures["re_entry_after_stepped_up"] = first_second
            figures["no_further_service_after_stepped_up"] = first - first_out - first_second
            figures["escalation_after_early_help_ended"] = other_out
            figures["re_entry_after_early_help_ended"] = other_second
            figures["no_further_service_after_early_help_ended"] = closed - first - other_out - other_second
    return dict(counts)


@dataclass(frozen=True)
class ReturnCover:
    """What one LA's return covers: its period and the date its data were extracted."""

    region_code: str
    period_start: dt.date
    period_end: dt.date
    extract_date: dt.date

    def covers(self, period: int) -> bool:
        """The whole financial year is inside the return."""
        first, last = periods.bounds(period)
        return self.period_start <= first and self.period_end >= last

    def available(self, period: int, transition: Transition) -> bool:
        """The whole year is inside the return, and so is the transition's follow-up after it."""
        last = periods.bounds(period)[1]
        return self.covers(period) and self.extract_date >= last + dt.timedelta(days=transition.follow_up_days)


def internal_transitions(counts: dict[tuple[str, str], dict[str, int]], returns: dict[str, ReturnCover]) -> pa.Table:
    """The typed internal table (:mod:`earlyhelp.publish.internal`): one row per transition, year
    and LA, region and England. A year is counted for an LA only when the return covers it and
    the transition's follow-up; a region or England only when every one of its LAs can be."""
    rows: list[dict[str, Any]] = []
    years = sorted(
        {
            periods.time_period(year)
            for cover in returns.values()
            for year in range(cover.period_start.year - 1, cover.period_end.year + 1)
        }
    )
    years = [y for y in years if any(cover.covers(y) for cover in returns.values())]
    for period in years:
        for transition in TRANSITIONS:
            areas: dict[tuple[str, str, str], list[int | None]] = defaultdict(list)
            for la, cover in sorted(returns.items()):
                value = None
                if cover.available(period, transition):
                    value = counts.get((la, str(period)), {}).get(transition.name, 0)
                areas[(LOCAL, cover.region_code, la)].append(value)
                if cover.region_code:
                    areas[(REGIONAL, cover.region_code, "")].append(value)
                areas[(NATIONAL, "", "")].append(value)
            for (level, region, la), values in areas.items():
                known = None if any(v is None for v in values) else sum(v for v in values if v is not None)
                rows.append(
                    {
                        "time_period": str(period),
                        "geographic_level": level,
                        "region_code": region,
                        "la_code": la,
                        "indicator": transition.name,
                        "breakdown": TOTAL,
                        "numerator": known,
                        "denominator": None,
                        "numerator_pounds": None,
                        "value": None if known is None else float(known),
                        "status": NOT_AVAILABLE if known is None else None,
                    }
                )
    return internal_table(rows)
