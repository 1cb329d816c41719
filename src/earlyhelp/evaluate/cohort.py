"""The analysis cohort: one row per assessment closed below the threshold (RC8/RC9), in SQL.

Built on the engine layer (DuckDB, or Spark through the same queries) from the journeys
definitions: a closure is stepped down when early help is open on the closure day or starts
within 28 days (:func:`earlyhelp.journeys.is_stepped_down`); a re-referral is a new referral
1..365 (or 1..730) days after the closure day. Escalation is a CIN plan, a child protection plan
or a period of care starting 1..365 days after closure. Covariates are all known by the
referral date (or, for the assessment, by closure), never after.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from earlyhelp.engine import Engine
from earlyhelp.journeys import (
    days_after,
    is_closed_after_assessment,
    is_stepped_down,
    step_downs_sql,
    within_follow_up,
)
from earlyhelp.spec import codes

TWO_YEARS_DAYS = 730
# A closure is in the cohort only when its whole 12-month window is inside the data.
COHORT_FOLLOW_UP_DAYS = 365
TABLES = (
    "children",
    "referrals",
    "assessments",
    "early_help_episodes",
    "early_help_services",
    "cin_plans",
    "cp_plans",
    "looked_after_episodes",
    "returns",
    # for the LA panel (earlyhelp.evaluate.panel)
    "spend",
    "population",
    "deflators",
)

_KEEP = (
    "c.la_code",
    "c.child_id",
    "c.referral_id",
    "c.referral_date",
    "c.closure_date",
    "c.referral_source",
    "c.primary_need",
    "c.extract_date",
)


def _closures_sql() -> str:
    """Closures after assessment within the LA's return period, with 12 months of follow-up."""
    return f"""SELECT r.la_code, r.child_id, r.referral_id, r.referral_date, r.closure_date,
           r.referral_source, r.primary_need, t.extract_date
    FROM referrals r JOIN returns t ON t.la_code = r.la_code
    WHERE {is_closed_after_assessment("r")}
      AND r.closure_date BETWEEN t.period_start AND t.period_end
      AND {days_after("r.closure_date", "t.extract_date")} >= {COHORT_FOLLOW_UP_DAYS}"""


def cohort_sql() -> str:
    """The cohort query over the registered table ``_step_downs`` (see :func:`build_cohort`)."""
    escalations = f"""SELECT la_code, child_id, start_date AS event_date FROM cin_plans
        UNION ALL SELECT la_code, child_id, start_date FROM cp_plans
        UNION ALL SELECT la_code, child_id, start_date FROM looked_after_episodes
            WHERE reason_new_episode = '{codes.STARTED_PERIOD_OF_CARE}'"""
    return f"""
WITH base AS (SELECT * FROM _step_downs),
next_referral AS (
    SELECT b.la_code, b.referral_id, min({days_after("b.closure_date", "n.referral_date")}) AS days
    FROM base b JOIN referrals n ON n.la_code = b.la_code AND n.child_id = b.child_id
    WHERE n.referral_date > b.closure_date
    GROUP BY b.la_code, b.referral_id
),
escalated AS (
    SELECT DISTINCT b.la_code, b.referral_id
    FROM base b JOIN ({escalations}) v ON v.la_code = b.la_code AND v.child_id = b.child_id
    WHERE {within_follow_up("b.closure_date", "v.event_date")}
),
history AS (
    SELECT b.la_code, b.referral_id,
           count(p.referral_id) AS prior_referrals,
           count(CASE WHEN NOT p.referral_nfa THEN 1 END) AS prior_cin_episodes
    FROM base b LEFT JOIN referrals p ON p.la_code = b.la_code AND p.child_id = b.child_id
        AND p.referral_date < b.referral_date
    GROUP BY b.la_code, b.referral_id
),
family_history AS (
    -- earlier referrals of the child's brothers and sisters (same family_id, another child)
    SELECT b.la_code, b.referral_id, count(*) AS sibling_prior_referrals
    FROM base b
    JOIN children me ON me.la_code = b.la_code AND me.child_id = b.child_id
    JOIN children sib ON sib.la_code = me.la_code AND sib.family_id = me.family_id AND sib.child_id <> me.child_id
    JOIN referrals p ON p.la_code = sib.la_code AND p.child_id = sib.child_id AND p.referral_date < b.referral_date
    GROUP BY b.la_code, b.referral_id
),
prior_cp AS (
    SELECT DISTINCT b.la_code, b.referral_id FROM base b
    JOIN cp_plans p ON p.la_code = b.la_code AND p.child_id = b.child_id AND p.start_date < b.referral_date
),
prior_care AS (
    SELECT DISTINCT b.la_code, b.referral_id FROM base b
    JOIN looked_after_episodes p ON p.la_code = b.la_code AND p.child_id = b.child_id
        AND p.start_date < b.referral_date
),
prior_early_help AS (
    SELECT DISTINCT b.la_code, b.referral_id FROM base b
    JOIN early_help_episodes e ON e.la_code = b.la_code AND e.child_id = b.child_id
        AND e.end_date < b.referral_date
),
assessed AS (
    SELECT a.la_code, a.referral_id, max(a.factors) AS factors
    FROM assessments a JOIN base b ON b.la_code = a.la_code AND b.referral_id = a.referral_id
    GROUP BY a.la_code, a.referral_id
),
family_sizes AS (
    SELECT la_code, family_id, count(*) AS family_size FROM children
    WHERE family_id IS NOT NULL GROUP BY la_code, family_id
)
SELECT b.la_code, b.referral_id, b.child_id, b.closure_date, b.stepped_down, b.re_referred AS re_referral_12m,
       COALESCE(nr.days <= {TWO_YEARS_DAYS}, false) AS re_referral_24m,
       x.referral_id IS NOT NULL AS escalation_12m,
       nr.days AS days_to_re_referral,
       {days_after("b.closure_date", "b.extract_date")} AS days_followed,
       {days_after("b.closure_date", "b.extract_date")} >= {TWO_YEARS_DAYS} AS followed_24m,
       year(b.closure_date) + CASE WHEN month(b.closure_date) >= 4 THEN 0 ELSE -1 END AS closure_year,
       {days_after("CAST(ch.birth_month || '-15' AS DATE)", "b.referral_date")} / 365.25 AS age,
       b.primary_need, b.referral_source, ch.sex, ch.disabled, ch.idaci_decile,
       COALESCE(f.family_size, 1) AS family_size,
       b.la_code || '/' || COALESCE(ch.family_id, 'child:' || b.child_id) AS family,
       h.prior_referrals, h.prior_cin_episodes, COALESCE(fh.sibling_prior_referrals, 0) AS sibling_prior_referrals,
       cp.referral_id IS NOT NULL AS prior_cp_plan,
       care.referral_id IS NOT NULL AS prior_care,
       eh.referral_id IS NOT NULL AS prior_early_help,
       a.factors
FROM base b
LEFT JOIN children ch ON ch.la_code = b.la_code AND ch.child_id = b.child_id
LEFT JOIN family_sizes f ON f.la_code = b.la_code AND f.family_id = ch.family_id
LEFT JOIN next_referral nr ON nr.la_code = b.la_code AND nr.referral_id = b.referral_id
LEFT JOIN escalated x ON x.la_code = b.la_code AND x.referral_id = b.referral_id
LEFT JOIN history h ON h.la_code = b.la_code AND h.referral_id = b.referral_id
LEFT JOIN family_history fh ON fh.la_code = b.la_code AND fh.referral_id = b.referral_id
LEFT JOIN prior_cp cp ON cp.la_code = b.la_code AND cp.referral_id = b.referral_id
LEFT JOIN prior_care care ON care.la_code = b.la_code AND care.referral_id = b.referral_id
LEFT JOIN prior_early_help eh ON eh.la_code = b.la_code AND eh.referral_id = b.referral_id
LEFT JOIN assessed a ON a.la_code = b.la_code AND a.referral_id = b.referral_id
ORDER BY b.la_code, b.referral_id
"""


def step_down_services_sql() -> str:
    """One row per step-down and service type of the early help it went to ("which help"),
    over the registered table ``_step_downs``. Joined in Python, so no engine-specific
    string aggregation is needed."""
    return f"""SELECT DISTINCT b.la_code, b.referral_id, s.service_type
    FROM _step_downs b
    JOIN early_help_episodes e ON e.la_code = b.la_code AND e.child_id = b.child_id
    JOIN early_help_services s ON s.la_code = e.la_code AND s.episode_id = e.episode_id
    WHERE b.stepped_down AND {is_stepped_down("b.closure_date", "e")}"""


# Linked partner records (school, health, police), read only when ``earlyhelp link --analytic``
# has given the children a person_id. Before the referral they are covariates: the same family
# risk that brings a child back to children's social care shows in missed school, emergency
# attendances and police notifications, and the recorded social care history does not carry it
# all. After the closure they are outcomes (issue #13).
PARTNER_TABLES = ("school_attendance", "health_events", "police_notifications")
PRIOR_EVENT_DAYS = 730
# The columns a linked cohort gains: covariates, then outcomes.
PARTNER_COLUMNS = (
    "prior_absence_share",
    "family_prior_absence_share",
    "prior_health_events",
    "prior_police_notifications",
    "family_prior_police_notifications",
    "emergency_attendances_12m",
    "police_notifications_12m",
    "school_absence_share_12m",
)


def _school_year(day: str) -> str:
    """SQL: the academic year (1 September to 31 August, named by its first calendar year) of ``day``."""
    return f"(year({day}) - CASE WHEN month({day}) < 9 THEN 1 ELSE 0 END)"


def _school_year_of(days: pd.Series) -> pd.Series:
    """:func:`_school_year` of a column of dates, in pandas."""
    return days.dt.year - (days.dt.month < 9)


def partner_sql() -> str:
    """Per closure of ``_step_downs`` whose child has a linked ``person_id``: school absence in the
    school years before the referral (the child's, and the family's children's together), health
    events and police notifications in the two years before the referral, and the outcomes after
    the closure (emergency attendances and police notifications 1..365 days on; sessions missed in
    the school year of the closure and the next, of which :func:`build_cohort` keeps the one
    holding the day six months after the closure)."""
    events = """SELECT person_id, event_date, 'health' AS source, event_type FROM health_events
        UNION ALL SELECT person_id, event_date, 'police', event_type FROM police_notifications"""
    before = f"{days_after('e.event_date', 'r.referral_date')} BETWEEN 1 AND {PRIOR_EVENT_DAYS}"
    return f"""
WITH base AS (
    SELECT b.la_code, b.referral_id, b.referral_date, b.closure_date, ch.person_id, ch.family_id
    FROM _step_downs b JOIN children ch ON ch.la_code = b.la_code AND ch.child_id = b.child_id
    WHERE ch.person_id IS NOT NULL AND ch.person_id <> ''
),
relatives AS (
    -- the child and the other linked children of its family
    SELECT DISTINCT b.la_code, b.referral_id, b.referral_date, COALESCE(s.person_id, b.person_id) AS person_id
    FROM base b LEFT JOIN children s ON s.la_code = b.la_code AND s.family_id = b.family_id
        AND s.person_id IS NOT NULL AND s.person_id <> ''
),
own_school AS (
    SELECT b.la_code, b.referral_id,
           sum(CASE WHEN a.academic_year < {_school_year("b.referral_date")} THEN a.sessions_missed END) AS missed,
           sum(CASE WHEN a.academic_year < {_school_year("b.referral_date")} THEN a.sessions_possible END) AS possible,
           sum(CASE WHEN a.academic_year = {_school_year("b.closure_date")} THEN a.sessions_missed END) AS missed_y0,
           sum(CASE WHEN a.academic_year = {_school_year("b.closure_date")} THEN a.sessions_possible END) AS possible_y0,
           sum(CASE WHEN a.academic_year = {_school_year("b.closure_date")} + 1 THEN a.sessions_missed END) AS missed_y1,
           sum(CASE WHEN a.academic_year = {_school_year("b.closure_date")} + 1
                    THEN a.sessions_possible END) AS possible_y1
    FROM base b JOIN school_attendance a ON a.person_id = b.person_id
    GROUP BY b.la_code, b.referral_id
),
family_school AS (
    SELECT r.la_code, r.referral_id, sum(a.sessions_missed) AS missed, sum(a.sessions_possible) AS possible
    FROM relatives r JOIN school_attendance a ON a.person_id = r.person_id
    WHERE a.academic_year < {_school_year("r.referral_date")}
    GROUP BY r.la_code, r.referral_id
),
own_events AS (
    SELECT r.la_code, r.referral_id,
           count(CASE WHEN e.source = 'health' AND {before} THEN 1 END) AS prior_health_events,
           count(CASE WHEN e.source = 'police' AND {before} THEN 1 END) AS prior_police_notifications,
           count(CASE WHEN e.source = 'health' AND e.event_type = 'emergency_attendance'
                       AND {within_follow_up("r.closure_date", "e.event_date")} THEN 1 END)
               AS emergency_attendances_12m,
           count(CASE WHEN e.source = 'police' AND {within_follow_up("r.closure_date", "e.event_date")} THEN 1 END)
               AS police_notifications_12m
    FROM base r JOIN ({events}) e ON e.person_id = r.person_id
    GROUP BY r.la_code, r.referral_id
),
family_police AS (
    SELECT r.la_code, r.referral_id, count(*) AS family_prior_police_notifications
    FROM relatives r JOIN police_notifications e ON e.person_id = r.person_id
    WHERE {before}
    GROUP BY r.la_code, r.referral_id
)
SELECT b.la_code, b.referral_id,
       CAST(os.missed AS DOUBLE) / NULLIF(os.possible, 0) AS prior_absence_share,
       CAST(fs.missed AS DOUBLE) / NULLIF(fs.possible, 0) AS family_prior_absence_share,
       COALESCE(oe.prior_health_events, 0) AS prior_health_events,
       COALESCE(oe.prior_police_notifications, 0) AS prior_police_notifications,
       COALESCE(fp.family_prior_police_notifications, 0) AS family_prior_police_notifications,
       COALESCE(oe.emergency_attendances_12m, 0) AS emergency_attendances_12m,
       COALESCE(oe.police_notifications_12m, 0) AS police_notifications_12m,
       os.missed_y0, os.possible_y0, os.missed_y1, os.possible_y1
FROM base b
LEFT JOIN own_school os ON os.la_code = b.la_code AND os.referral_id = b.referral_id
LEFT JOIN family_school fs ON fs.la_code = b.la_code AND fs.referral_id = b.referral_id
LEFT JOIN own_events oe ON oe.la_code = b.la_code AND oe.referral_id = b.referral_id
LEFT JOIN family_police fp ON fp.la_code = b.la_code AND fp.referral_id = b.referral_id
"""


def build_cohort(engine: Engine, data: Path | str) -> pd.DataFrame:
    """Register ``data`` on ``engine`` and return the cohort, one row per closure after assessment."""
    engine.register_ehld(data, list(TABLES))
    engine.materialize("_step_downs", step_downs_sql(_closures_sql(), keep=_KEEP))
    frame = engine.sql(cohort_sql()).to_pandas()
    services = engine.sql(step_down_services_sql()).to_pandas()
    if services.empty:
        frame["services"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    else:
        listed = (
            services.sort_values("service_type")
            .groupby(["la_code", "referral_id"])["service_type"]
            .agg("|".join)
            .rename("services")
            .reset_index()
        )
        frame = frame.merge(listed, on=["la_code", "referral_id"], how="left")
    for column in ("stepped_down", "re_referral_12m", "re_referral_24m", "escalation_12m", "followed_24m"):
        frame[column] = frame[column].astype(bool)
    return _with_partner_records(engine, data, frame)


def is_linked(cohort: pd.DataFrame) -> bool:
    """Whether a cohort frame carries the linked partner columns (see :func:`partner_sql`)."""
    return set(PARTNER_COLUMNS) <= set(cohort.columns)


def partner_records_linked(engine: Engine) -> bool:
    """Whether any child has a linked ``person_id`` (``earlyhelp link --analytic``)."""
    return bool(engine.sql("SELECT count(*) AS n FROM children WHERE person_id <> ''").to_pylist()[0]["n"])


def _with_partner_records(engine: Engine, data: Path | str, frame: pd.DataFrame) -> pd.DataFrame:
    """The cohort with the columns of :func:`partner_sql` when its children are linked (else as it is)."""
    if frame.empty or not partner_records_linked(engine):
        return frame
    # Registered only now: at England scale the partner tables hold tens of millions of rows.
    engine.register_ehld(data, list(PARTNER_TABLES))
    partner = engine.sql(partner_sql()).to_pandas()
    frame = frame.merge(partner, on=["la_code", "referral_id"], how="left")
    # The outcome year: the school year holding the day six months after the closure.
    closure = pd.to_datetime(frame["closure_date"])
    next_year = _school_year_of(closure + pd.Timedelta(days=182)) > _school_year_of(closure)
    missed = frame["missed_y1"].where(next_year, frame["missed_y0"]).astype(float)
    possible = frame["possible_y1"].where(next_year, frame["possible_y0"]).astype(float)
    frame["school_absence_share_12m"] = (missed / possible.where(possible > 0)).astype(float)
    frame = frame.drop(columns=["missed_y0", "possible_y0", "missed_y1", "possible_y1"])
    return frame
