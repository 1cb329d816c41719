"""Every indicator of ``docs/spec/indicators.md``, defined once, next to the spec's wording.

Three layers, all plain data:

* ``SOURCES``: the record sets the spec talks about ("referrals closed after assessment in Y",
  "early help episodes closed in Y", ...), one SQL query each (DuckDB dialect; the Spark engine
  transpiles it). Each gives one row per record with ``la_code`` and ``time_period``, restricted to
  the years the LA's return covers (table ``_la_years``, built from ``returns``).
* ``MEASURES``: integer counts (or sums) over a source, per LA and year (and breakdown).
* ``INDICATORS``: the published measures: which measure is the numerator and which the
  denominator, the unit, and the follow-up window that decides when the figure is not yet
  available.

The engine only ever counts; rates, ratios, regional and national sums and disclosure control are
computed afterwards in Python from those integers, so the two engines cannot differ by rounding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from earlyhelp.journeys import (
    FOLLOW_UP_DAYS,
    MISSED_STEP_DOWN,
    STEP_DOWN_DAYS,
    days_after,
    early_help_closures_sql,
    is_cin_episode,
    is_closed_after_assessment,
    open_during,
    re_referrals_sql,
    step_downs_sql,
)
from earlyhelp.publish.conventions import DECIMAL_PLACES, Unit
from earlyhelp.spec import codes
from earlyhelp.spec.model import TABLES
from earlyhelp.spec.periods import time_period_sql


def in_covered_year(table_sql: str, date_column: str, alias: str = "t") -> str:
    """Rows of ``table_sql`` with ``time_period`` = the financial year of ``date_column``,
    kept only when the LA's return covers that year."""
    return (
        f"SELECT {alias}.* FROM (SELECT s.*, {time_period_sql('s.' + date_column)} AS time_period "
        f"FROM ({table_sql}) s WHERE s.{date_column} IS NOT NULL) {alias} "
        f"JOIN _la_years y ON y.la_code = {alias}.la_code AND y.time_period = {alias}.time_period"
    )


@dataclass(frozen=True)
class Source:
    name: str
    spec: str
    sql: str
    # The record tables whose rows the source is made of: without them it cannot be counted.
    records_from: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measure:
    name: str
    source: str
    expression: str  # an aggregate over the source's rows
    # Breakdown dimensions: a column of the source, published as "<column>:<value>".
    breakdowns: tuple[str, ...] = ()
    # Record tables a flag this measure counts looks in (beyond the source's own records): a
    # step-down needs the early help episodes even though the records are referrals.
    also_reads: tuple[str, ...] = ()


@dataclass(frozen=True)
class Indicator:
    """One published indicator: how it is counted (the spec's wording and the measures) and how it
    is shown to a reader (label, definition in plain English, whether a rise is good news)."""

    name: str
    numerator_spec: str
    denominator_spec: str
    numerator: str  # a measure name, or "population"
    denominator: str | None
    unit: Unit
    label: str
    definition: str
    # Days after the end of the year that the data must cover (extract_date), else `x`.
    follow_up_days: int = 0
    # Days before the start of the year the return must cover, else `x` (see docs).
    look_back_days: int = 0
    # For medians: the source and its column, pooled over the area's records.
    median_of: tuple[str, str] | None = None
    breakdowns: tuple[str, ...] = ()
    # Which figures are counts of children or records, subject to suppression and rounding.
    numerator_is_count: bool = True
    denominator_is_count: bool = True
    breakdown_values: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    # Is a rise good news, bad news, or neither (the report's wording only, never colour alone).
    higher_is: Literal["better", "worse", "neutral"] = "neutral"

    @property
    def decimal_places(self) -> int:
        return DECIMAL_PLACES[self.unit]


_closed_after_assessment_sql = step_downs_sql(
    in_covered_year(
        "SELECT la_code, child_id, referral_id, closure_date, closure_reason FROM referrals "
        f"WHERE {is_closed_after_assessment()}",
        "closure_date",
    ),
    keep=("c.la_code", "c.time_period", "c.closure_reason"),
)

_eh_closed_sql = early_help_closures_sql(
    in_covered_year(
        "SELECT la_code, child_id, episode_id, start_date, end_date, end_reason FROM early_help_episodes", "end_date"
    ),
    keep=(
        "c.la_code",
        "c.time_period",
        "c.episode_id",
        "c.end_reason",
        f"{days_after('c.start_date', 'c.end_date')} AS days_open",
    ),
)

_referrals_in_year_sql = re_referrals_sql(
    in_covered_year("SELECT la_code, child_id, referral_id, referral_date FROM referrals", "referral_date"),
    keep=("r.la_code", "r.time_period"),
)

SOURCES: tuple[Source, ...] = (
    Source(
        "eh_open",
        "early help episodes open during year Y (start <= year end, end empty or >= year start)",
        f"""SELECT y.la_code, y.time_period, e.child_id
           FROM _la_years y JOIN early_help_episodes e ON e.la_code = y.la_code
           WHERE {open_during("e.start_date", "e.end_date", "y.year_start", "y.year_end")}""",
        records_from=("early_help_episodes",),
    ),
    Source(
        "cin_open",
        "CIN episodes (referrals with referral_nfa false) open during year Y",
        f"""SELECT y.la_code, y.time_period, r.child_id
           FROM _la_years y JOIN referrals r ON r.la_code = y.la_code
           WHERE {is_cin_episode("r")}
             AND {open_during("r.referral_date", "r.closure_date", "y.year_start", "y.year_end")}""",
        records_from=("referrals",),
    ),
    Source(
        "referrals_in_year",
        "CSC referrals with referral_date in Y, flagged when made 1..365 days after the child's "
        "previous referral in the LA",
        _referrals_in_year_sql,
        records_from=("referrals",),
    ),
    Source(
        "closed_after_assessment",
        "referrals with referral_nfa false, closure_date in Y and closure_reason RC8 or RC9, "
        "flagged stepped down (EH open on closure date or starting 0..28 days after) and "
        "re-referred (new referral 1..365 days after closure)",
        _closed_after_assessment_sql,
        records_from=("referrals",),
    ),
    Source(
        "eh_closed",
        "early help episodes with end_date in Y, flagged escalated and re-entered within 1..365 days",
        _eh_closed_sql,
        records_from=("early_help_episodes",),
    ),
    Source(
        "eh_goals_closed",
        "family goals on early help episodes closed in Y",
        """SELECT c.la_code, c.time_period, g.outcome_heading, g.status, g.start_score, g.end_score
           FROM eh_closed c JOIN family_goals g
             ON g.la_code = c.la_code AND g.episode_id = c.episode_id""",
        records_from=("early_help_episodes", "family_goals"),
    ),
    Source(
        "eh_started_with_request",
        "early help episodes starting in Y with a request_date",
        f"""SELECT la_code, time_period, date_diff('day', request_date, start_date) AS days_waited
            FROM ({
            in_covered_year(
                "SELECT la_code, request_date, start_date FROM early_help_episodes WHERE request_date IS NOT NULL",
                "start_date",
            )
        })""",
        records_from=("early_help_episodes",),
    ),
    Source(
        "cp_started",
        "child protection plans with start_date in Y",
        in_covered_year("SELECT la_code, previous_plans, start_date FROM cp_plans", "start_date"),
        records_from=("cp_plans",),
    ),
    Source(
        "cla_started",
        "looked-after episodes starting a period of care (RNE S) with start_date in Y",
        in_covered_year(
            "SELECT la_code, start_date FROM looked_after_episodes "
            f"WHERE reason_new_episode = '{codes.STARTED_PERIOD_OF_CARE}'",
            "start_date",
        ),
        records_from=("looked_after_episodes",),
    ),
)

_count = "COUNT(*)"


def _count_if(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


MEASURES: tuple[Measure, ...] = (
    Measure("eh_children", "eh_open", "COUNT(DISTINCT child_id)"),
    Measure("cin_children", "cin_open", "COUNT(DISTINCT child_id)"),
    Measure("referrals", "referrals_in_year", _count),
    Measure("re_referrals", "referrals_in_year", _count_if("re_referral")),
    Measure("closed_after_assessment", "closed_after_assessment", _count),
    Measure("stepped_down", "closed_after_assessment", _count_if("stepped_down"), also_reads=("early_help_episodes",)),
    Measure(
        "not_stepped_down",
        "closed_after_assessment",
        _count_if("NOT stepped_down"),
        also_reads=("early_help_episodes",),
    ),
    Measure(
        "closed_rc9",
        "closed_after_assessment",
        _count_if(f"closure_reason = '{codes.CLOSED_AFTER_ASSESSMENT_TO_EARLY_HELP}'"),
    ),
    Measure(
        "missed_step_down",
        "closed_after_assessment",
        _count_if(MISSED_STEP_DOWN),
        also_reads=("early_help_episodes",),
    ),
    Measure("eh_closed", "eh_closed", _count),
    Measure("eh_outcomes_achieved", "eh_closed", _count_if("end_reason = 'outcomes_achieved'")),
    Measure(
        "eh_escalated",
        "eh_closed",
        _count_if("escalated"),
        also_reads=("referrals", "cp_plans", "looked_after_episodes"),
    ),
    Measure("eh_stepped_up", "eh_closed", _count_if("end_reason = 'step_up_to_social_care'")),
    Measure("eh_re_entered", "eh_closed", _count_if("re_entered")),
    Measure("goals_met", "eh_goals_closed", _count_if("status = 'met'"), ("outcome_heading",)),
    Measure("goals_with_status", "eh_goals_closed", _count_if("status IS NOT NULL"), ("outcome_heading",)),
    Measure("goals_scored", "eh_goals_closed", _count_if("start_score IS NOT NULL AND end_score IS NOT NULL")),
    Measure(
        "goals_score_change",
        "eh_goals_closed",
        "SUM(CASE WHEN start_score IS NOT NULL AND end_score IS NOT NULL THEN end_score - start_score ELSE 0 END)",
    ),
    Measure("cp_plans_started", "cp_started", _count),
    Measure("cp_second_plans", "cp_started", _count_if("previous_plans >= 1")),
    Measure("cla_started", "cla_started", _count),
    Measure("eh_started_with_request", "eh_started_with_request", _count),
)

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "eh_children",
        "distinct children with an early help episode open during year Y",
        "–",
        "eh_children",
        None,
        "count",
        label="Children in early help",
        definition="Distinct children with an early help episode open at any point in the year.",
    ),
    Indicator(
        "eh_reach_pct",
        "eh_children",
        "population 0-17",
        "eh_children",
        "population",
        "pct",
        denominator_is_count=False,
        label="Early help reach",
        definition=(
            "Children in early help during the year as a percentage of all children aged 0 to 17 (ONS "
            "mid-year estimate)."
        ),
    ),
    Indicator(
        "cin_children",
        "distinct children in need during year Y: a CIN episode (a referral whose referral_nfa is false) open during Y",
        "–",
        "cin_children",
        None,
        "count",
        label="Children in need",
        definition="Distinct children with a children-in-need episode open at any point in the year.",
    ),
    Indicator(
        "prevention_ratio",
        "eh_children",
        "cin_children",
        "eh_children",
        "cin_children",
        "ratio",
        label="Prevention ratio",
        definition=(
            "Children in early help for every one child in need during the year (0.67 means two in early help "
            "for every three in need)."
        ),
    ),
    Indicator(
        "cin_rate_per_10k",
        "cin_children",
        "population 0-17",
        "cin_children",
        "population",
        "per_10k",
        denominator_is_count=False,
        label="Children in need rate",
        definition="Children in need during the year per 10,000 children aged 0 to 17.",
    ),
    Indicator(
        "referrals",
        "CSC referrals with referral_date in Y",
        "–",
        "referrals",
        None,
        "count",
        label="Referrals to social care",
        definition="Referrals to children's social care received in the year.",
    ),
    Indicator(
        "re_referral_pct",
        "referrals in Y made within 365 days after a previous referral of the same child "
        "in the same LA (previous referral_date strictly earlier, gap 1..365 days)",
        "referrals",
        "re_referrals",
        "referrals",
        "pct",
        look_back_days=FOLLOW_UP_DAYS,
        label="Re-referrals within 12 months",
        definition="Referrals made within 12 months of a previous referral of the same child.",
        higher_is="worse",
    ),
    Indicator(
        "closed_after_assessment",
        "referrals with referral_nfa false, closure_date in Y and closure_reason RC8 or RC9",
        "–",
        "closed_after_assessment",
        None,
        "count",
        label="Closed after assessment",
        definition=(
            "Referrals closed in the year after an assessment found no further social care action was needed "
            "(closure reasons RC8 and RC9)."
        ),
    ),
    Indicator(
        "step_down_pct",
        "closed_after_assessment that are stepped down: an early help episode open on the "
        "closure date, or starting within 0..28 days after it",
        "closed_after_assessment",
        "stepped_down",
        "closed_after_assessment",
        "pct",
        follow_up_days=STEP_DOWN_DAYS,
        label="Stepped down to early help",
        definition=(
            "Of cases closed after assessment, the percentage whose child was in early help on the closure "
            "date or started it within 28 days."
        ),
        higher_is="better",
    ),
    Indicator(
        "step_down_recorded_pct",
        "closed_after_assessment with closure_reason RC9",
        "closed_after_assessment",
        "closed_rc9",
        "closed_after_assessment",
        "pct",
        label="Step-down recorded at closure",
        definition=(
            "Of cases closed after assessment, the percentage recorded as referred to early help (closure reason RC9)."
        ),
    ),
    Indicator(
        "missed_step_down",
        "closed_after_assessment in Y not stepped down whose child has a new CSC referral "
        "1..365 days after the closure date",
        "–",
        "missed_step_down",
        None,
        "count",
        follow_up_days=FOLLOW_UP_DAYS,
        label="Missed step-down opportunities",
        definition=(
            "Cases closed after assessment with no early help within 28 days whose child was referred to "
            "social care again within 12 months."
        ),
        higher_is="worse",
    ),
    Indicator(
        "missed_step_down_pct",
        "missed_step_down",
        "closed_after_assessment not stepped down",
        "missed_step_down",
        "not_stepped_down",
        "pct",
        follow_up_days=FOLLOW_UP_DAYS,
        label="Missed step-down rate",
        definition=(
            "Missed step-down opportunities as a percentage of cases closed after assessment without early help."
        ),
        higher_is="worse",
    ),
    Indicator(
        "eh_closed",
        "early help episodes with end_date in Y",
        "–",
        "eh_closed",
        None,
        "count",
        label="Early help episodes closed",
        definition="Early help episodes that ended in the year.",
    ),
    Indicator(
        "eh_outcomes_achieved_pct",
        "eh_closed with end_reason outcomes_achieved",
        "eh_closed",
        "eh_outcomes_achieved",
        "eh_closed",
        "pct",
        label="Outcomes achieved",
        definition="Closed early help episodes that ended because the family's outcomes were achieved.",
        higher_is="better",
    ),
    Indicator(
        "eh_escalation_pct",
        "eh_closed whose child, 1..365 days after end_date, has a referral with "
        "referral_nfa false, a CP plan start, or a looked-after episode with "
        "reason_new_episode S",
        "eh_closed",
        "eh_escalated",
        "eh_closed",
        "pct",
        follow_up_days=FOLLOW_UP_DAYS,
        label="Escalation to social care",
        definition=(
            "Closed early help episodes whose child, within 12 months, was assessed by social care, started a "
            "child protection plan or became looked after."
        ),
        higher_is="worse",
    ),
    Indicator(
        "eh_step_up_pct",
        "eh_closed with end_reason step_up_to_social_care",
        "eh_closed",
        "eh_stepped_up",
        "eh_closed",
        "pct",
        label="Stepped up to social care",
        definition="Closed early help episodes that ended with a step-up to children's social care.",
    ),
    Indicator(
        "eh_re_entry_pct",
        "eh_closed whose child starts another early help episode 1..365 days after end_date",
        "eh_closed",
        "eh_re_entered",
        "eh_closed",
        "pct",
        follow_up_days=FOLLOW_UP_DAYS,
        label="Re-entry to early help",
        definition="Closed early help episodes whose child started early help again within 12 months.",
        higher_is="worse",
    ),
    Indicator(
        "eh_median_days",
        "median of (end_date - start_date) in days over eh_closed (lower median); the "
        "numerator column holds the number of episodes",
        "–",
        "eh_closed",
        None,
        "median_days",
        median_of=("eh_closed", "days_open"),
        label="Median length of early help",
        definition="Median days from start to end of early help episodes closed in the year.",
    ),
    Indicator(
        "eh_wait_median_days",
        "median of (start_date - request_date) over early help episodes starting in Y with "
        "a request_date (lower median); the numerator column holds the number of episodes",
        "–",
        "eh_started_with_request",
        None,
        "median_days",
        median_of=("eh_started_with_request", "days_waited"),
        label="Median wait for early help",
        definition="Median days from the request for help to the start of early help.",
        higher_is="worse",
    ),
    Indicator(
        "family_goals_met_pct",
        "family goals on eh_closed episodes with status met; also by outcome_heading",
        "family goals on eh_closed episodes with a status",
        "goals_met",
        "goals_with_status",
        "pct",
        breakdowns=("outcome_heading",),
        breakdown_values={"outcome_heading": codes.OUTCOME_HEADING},
        label="Family goals met",
        definition=(
            "Goals agreed with the family, on early help episodes closed in the year, that the family met (of "
            "goals with a recorded status)."
        ),
        higher_is="better",
    ),
    Indicator(
        "family_rated_progress",
        "mean of (end_score - start_score) over family goals on eh_closed with both scores; "
        "the numerator column holds the number of goals",
        "–",
        "goals_scored",
        None,
        "mean_points",
        label="Family-rated progress",
        definition="Average change in the family's own 0-10 rating from the start to the end of early help.",
        higher_is="better",
    ),
    Indicator(
        "cp_plans_started",
        "child protection plans with start_date in Y",
        "–",
        "cp_plans_started",
        None,
        "count",
        label="Child protection plans started",
        definition="Child protection plans that started in the year.",
    ),
    Indicator(
        "cp_second_plan_pct",
        "cp_plans_started with previous_plans >= 1",
        "cp_plans_started",
        "cp_second_plans",
        "cp_plans_started",
        "pct",
        label="Second or later child protection plans",
        definition="Child protection plans started in the year for a child who had had a plan before.",
        higher_is="worse",
    ),
    Indicator(
        "cla_started",
        "looked-after episodes that begin a period of care (reason_new_episode S) with start_date in Y",
        "–",
        "cla_started",
        None,
        "count",
        label="Children starting to be looked after",
        definition="Periods of care that began in the year.",
    ),
    Indicator(
        "cla_start_rate_per_10k",
        "cla_started",
        "population 0-17",
        "cla_started",
        "population",
        "per_10k",
        denominator_is_count=False,
        label="Rate starting to be looked after",
        definition="Children starting a period of care per 10,000 children aged 0 to 17.",
    ),
    Indicator(
        "ei_spend_per_child_real",
        "early intervention spend in Y (spend lines marked early_intervention) times "
        "index[base] / index[Y] from deflators; the numerator column holds that real-terms "
        "spend in pounds",
        "population 0-17",
        "ei_spend_real",
        "population",
        "pounds",
        numerator_is_count=False,
        denominator_is_count=False,
        label="Early intervention spend per child",
        definition=(
            "Early intervention spend (Sure Start and under-5s, family support and services for young people) "
            "per child aged 0 to 17, in real terms at the latest year's prices."
        ),
    ),
)

INDICATOR_BY_NAME: dict[str, Indicator] = {i.name: i for i in INDICATORS}
SOURCE_BY_NAME: dict[str, Source] = {s.name: s for s in SOURCES}
MEASURE_BY_NAME: dict[str, Measure] = {m.name: m for m in MEASURES}


def tables_needed(indicator: Indicator) -> frozenset[str]:
    """The record tables an indicator's numerator and denominator are counted from.

    When a return does not supply one of them (no file, or no rows loaded for the LA), the
    indicator is not available (x) for that LA: counting an absent table would publish a zero.
    Population, spend and deflators have their own rules (a missing population is already x).
    """
    tables: set[str] = set()
    for name in (indicator.numerator, indicator.denominator):
        measure = MEASURE_BY_NAME.get(name or "")
        if measure is not None:
            tables.update(SOURCE_BY_NAME[measure.source].records_from)
            tables.update(measure.also_reads)
    return frozenset(tables)


# The EHLD tables the indicators read: the record tables the sources use, and the reference tables.
RECORD_TABLES = ("referrals", "cp_plans", "looked_after_episodes", "early_help_episodes", "family_goals")
REFERENCE_TABLES = ("local_authorities", "population", "spend", "deflators", "returns")
INPUT_TABLES = RECORD_TABLES + REFERENCE_TABLES


def input_columns() -> dict[str, list[str]]:
    """The columns of each record table that the sources' SQL mentions (all, for reference tables).

    Worked out from the SQL itself so it can never fall out of step with the definitions; naming a
    column that is not needed only costs memory.
    """
    text = " ".join(s.sql for s in SOURCES)
    words = set(re.findall(r"[a-z_0-9]+", text))
    needed = {name: [c for c in TABLES[name].column_names if c in words] for name in RECORD_TABLES}
    needed.update({name: list(TABLES[name].column_names) for name in REFERENCE_TABLES})
    return needed


# Counts that add up: the total is published in one place and its parts in others, so when
# exactly one part is suppressed another must be (secondary suppression across indicators).
# (total indicator, total field) = sum of (part indicator, part field).
ADDITIVE_RELATIONS: tuple[tuple[tuple[str, str], tuple[tuple[str, str], ...]], ...] = (
    (
        ("closed_after_assessment", "numerator"),
        (("step_down_pct", "numerator"), ("missed_step_down_pct", "denominator")),
    ),
)
