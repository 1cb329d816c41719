"""The child-level records the threshold models are fitted on, built with SQL through the engine layer.

One row per referral made in the analysis window (the last three complete financial years before
the data ends, leaving time for the decisions to be made), with the covariates that describe the
child and the referral, and a flag per decision that expresses a threshold. A decision's flag is
NULL where the referral is not at risk of it (e.g. a CIN plan for a referral closed as no further
action). Definitions come from :mod:`earlyhelp.journeys`, so they agree with the indicators.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from earlyhelp.engine import Engine
from earlyhelp.journeys import is_closed_after_assessment, step_downs_sql

# Years of referrals modelled, and the days after the window a decision may take to be recorded.
WINDOW_YEARS = 3
DECISION_DAYS = 90

COVARIATES = ("financial_year", "age_band", "primary_need", "source_group", "deprivation", "prior_referrals")
# Assessment factors are the evidence of the assessment decision itself (a child "not in need"
# has none recorded), so they adjust only the decisions made after it: the plans.
PLAN_COVARIATES = (*COVARIATES, "factor_count")

TABLES = ("referrals", "assessments", "children", "cin_plans", "cp_plans", "early_help_episodes", "population")


@dataclass(frozen=True)
class Window:
    first_day: date
    last_day: date

    @property
    def label(self) -> str:
        return f"{self.first_day.isoformat()} to {self.last_day.isoformat()}"


def analysis_window(latest_referral: date, years: int = WINDOW_YEARS) -> Window:
    """The ``years`` financial years ending on the last 31 March at least DECISION_DAYS before the
    latest referral in the data."""
    cutoff = latest_referral - timedelta(days=DECISION_DAYS)
    end_year = cutoff.year if cutoff >= date(cutoff.year, 3, 31) else cutoff.year - 1
    return Window(date(end_year - years, 4, 1), date(end_year, 3, 31))


def window_of(engine: Engine) -> Window:
    latest = engine.sql("SELECT max(referral_date) AS latest FROM referrals").column("latest")[0].as_py()
    if latest is None:
        raise ValueError("no referrals")
    return analysis_window(latest)


def referral_records_sql(window: Window) -> str:
    first, last = f"DATE '{window.first_day}'", f"DATE '{window.last_day}'"
    closures = f"""SELECT r.la_code, r.child_id, r.referral_id, r.closure_date FROM referrals r
        WHERE r.referral_date BETWEEN {first} AND {last} AND {is_closed_after_assessment("r")}
          AND r.closure_date IS NOT NULL"""
    return f"""
WITH prior AS (
    SELECT la_code, referral_id,
           count(*) OVER (PARTITION BY la_code, child_id ORDER BY referral_date, referral_id
                          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prior_count
    FROM referrals
),
assessed AS (
    SELECT la_code, referral_id, min(authorisation_date) AS authorised,
           max(CASE WHEN factors IS NULL OR factors IN ('', '21') THEN 0
                    ELSE length(factors) - length(replace(factors, '|', '')) + 1 END) AS factor_count
    FROM assessments GROUP BY la_code, referral_id
),
cin AS (SELECT DISTINCT la_code, referral_id FROM cin_plans),
cp AS (SELECT DISTINCT la_code, referral_id FROM cp_plans),
steps AS ({step_downs_sql(closures, keep=("c.la_code", "c.referral_id"))})
SELECT r.la_code,
       CAST(year(r.referral_date - INTERVAL 3 MONTH) AS VARCHAR) AS financial_year,
       CASE WHEN age < 1 THEN 'under 1' WHEN age < 5 THEN '1-4' WHEN age < 10 THEN '5-9'
            WHEN age < 16 THEN '10-15' WHEN age IS NULL THEN 'unknown' ELSE '16+' END AS age_band,
       COALESCE(NULLIF(r.primary_need, ''), 'unknown') AS primary_need,
       COALESCE(NULLIF(regexp_extract(r.referral_source, '^[0-9]+'), ''), 'unknown') AS source_group,
       CASE WHEN ch.idaci_decile IS NULL THEN 'unknown' WHEN ch.idaci_decile <= 3 THEN 'deciles 1-3'
            WHEN ch.idaci_decile <= 7 THEN 'deciles 4-7' ELSE 'deciles 8-10' END AS deprivation,
       CASE WHEN p.prior_count = 0 THEN 'none' WHEN p.prior_count = 1 THEN 'one' ELSE 'two or more'
            END AS prior_referrals,
       CASE WHEN a.factor_count IS NULL OR a.factor_count = 0 THEN 'none'
            WHEN a.factor_count = 1 THEN 'one' WHEN a.factor_count = 2 THEN 'two' ELSE 'three or more'
            END AS factor_count,
       r.referral_nfa AS nfa,
       CASE WHEN NOT r.referral_nfa AND a.authorised IS NOT NULL
            THEN {is_closed_after_assessment("r")} AND r.closure_date IS NOT NULL END AS not_in_need,
       s.stepped_down AS step_down,
       CASE WHEN NOT r.referral_nfa AND a.authorised IS NOT NULL
                 AND NOT COALESCE({is_closed_after_assessment("r")}, false)
            THEN cp.referral_id IS NOT NULL END AS cp_plan,
       CASE WHEN NOT r.referral_nfa AND a.authorised IS NOT NULL
                 AND NOT COALESCE({is_closed_after_assessment("r")}, false) AND cp.referral_id IS NULL
            THEN cin.referral_id IS NOT NULL END AS cin_plan
FROM (
    SELECT *, date_diff('month', CAST(birth_month || '-01' AS DATE), referral_date) / 12.0 AS age
    FROM referrals r0
    LEFT JOIN (SELECT la_code AS c_la, child_id AS c_child, birth_month FROM children) b
           ON b.c_la = r0.la_code AND b.c_child = r0.child_id
    WHERE r0.referral_date BETWEEN {first} AND {last}
) r
LEFT JOIN children ch ON ch.la_code = r.la_code AND ch.child_id = r.child_id
LEFT JOIN prior p ON p.la_code = r.la_code AND p.referral_id = r.referral_id
LEFT JOIN assessed a ON a.la_code = r.la_code AND a.referral_id = r.referral_id
LEFT JOIN cin ON cin.la_code = r.la_code AND cin.referral_id = r.referral_id
LEFT JOIN cp ON cp.la_code = r.la_code AND cp.referral_id = r.referral_id
LEFT JOIN steps s ON s.la_code = r.la_code AND s.referral_id = r.referral_id
"""


def referral_records(engine: Engine, window: Window) -> pd.DataFrame:
    """One row per referral in ``window``: la_code, the covariates and a nullable flag per decision."""
    return engine.sql(referral_records_sql(window)).to_pandas()


def la_activity_sql(window: Window) -> str:
    """Per LA in the window's last financial year: children 0-17, referrals, children in need (an
    episode open in the year), child protection plans started and children in early help (an
    episode open in the year)."""
    first = date(window.last_day.year - 1, 4, 1)
    first_sql, last_sql = f"DATE '{first}'", f"DATE '{window.last_day}'"
    return f"""
WITH pop AS (SELECT la_code, children_0_17 FROM population WHERE year = {first.year}),
refs AS (SELECT la_code, count(*) AS referrals FROM referrals
         WHERE referral_date BETWEEN {first_sql} AND {last_sql} GROUP BY la_code),
cin AS (SELECT la_code, count(DISTINCT child_id) AS children_in_need FROM referrals
        WHERE NOT referral_nfa AND referral_date <= {last_sql}
          AND (closure_date IS NULL OR closure_date >= {first_sql}) GROUP BY la_code),
cp AS (SELECT la_code, count(*) AS cp_plans_started FROM cp_plans
       WHERE start_date BETWEEN {first_sql} AND {last_sql} GROUP BY la_code),
eh AS (SELECT la_code, count(DISTINCT child_id) AS children_in_early_help FROM early_help_episodes
       WHERE start_date <= {last_sql} AND (end_date IS NULL OR end_date >= {first_sql}) GROUP BY la_code)
SELECT pop.la_code, pop.children_0_17, COALESCE(refs.referrals, 0) AS referrals,
       COALESCE(cin.children_in_need, 0) AS children_in_need,
       COALESCE(cp.cp_plans_started, 0) AS cp_plans_started,
       COALESCE(eh.children_in_early_help, 0) AS children_in_early_help
FROM pop
JOIN refs ON refs.la_code = pop.la_code
LEFT JOIN cin ON cin.la_code = pop.la_code
LEFT JOIN cp ON cp.la_code = pop.la_code
LEFT JOIN eh ON eh.la_code = pop.la_code
ORDER BY pop.la_code
"""


def la_activity(engine: Engine, window: Window) -> pd.DataFrame:
    return engine.sql(la_activity_sql(window)).to_pandas()
