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
SELECT b.la_code, b.referral_id, b.stepped_down, b.re_referred AS re_referral_12m,
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
    return frame
