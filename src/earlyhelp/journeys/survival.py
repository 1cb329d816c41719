"""Time to re-referral and to escalation, by what happened at closure: Kaplan-Meier estimates.

Two starting points, each with the closures inside the LA's return period:

* ``after_assessment_closure``: an assessment closed below the threshold (RC8/RC9), grouped by
  ``stepped_down`` or ``closed_no_early_help`` (:func:`earlyhelp.journeys.step_downs_sql`);
  outcomes ``re_referral`` (the next CSC referral) and ``escalation`` (the next CIN referral, CP
  plan or period of care, :func:`earlyhelp.journeys.escalation_events_sql`).
* ``after_early_help_closure``: an early help episode closed, grouped by its ``end_reason``
  (``not_recorded`` when empty); outcomes ``escalation`` and ``early_help_re_entry`` (the next
  early help episode).

Time is days from the closure date to the first event 1 or more days after it (an event on the
closure day itself belongs to the closure, as in the journey definitions); a child without one is
censored at the LA's extract date. Kaplan-Meier by statsmodels (``SurvfuncRight``), Greenwood
standard errors, 95% pointwise confidence intervals on the log(-log) scale.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from earlyhelp.journeys.definitions import (
    FOLLOW_UP_DAYS,
    STEP_DOWN_DAYS,
    days_after,
    escalation_events_sql,
    is_closed_after_assessment,
    step_downs_sql,
)
from earlyhelp.publish import CONFIDENTIAL, NOT_AVAILABLE

# The days the table reports: the step-down window, 3 and 6 months, 12 and 24 months.
REPORT_DAYS = (STEP_DOWN_DAYS, 91, 182, FOLLOW_UP_DAYS, 2 * FOLLOW_UP_DAYS)
# The chart's curves are drawn from estimates on this grid (days), each passing the same rule.
CURVE_STEP_DAYS = 14
# An estimate is published only from a risk set of at least this many children: below it, one
# child's event moves the curve by a tenth or more, and can be told apart.
MIN_RISK_SET = 10
Z_95 = 1.959963984540054
DECIMALS = 4
METHOD = "Kaplan-Meier (statsmodels SurvfuncRight), Greenwood SE, 95% pointwise CI on the log(-log) scale"

KM_COLUMNS = (
    "analysis",
    "outcome",
    "group",
    "day",
    "children",
    "at_risk",
    "cumulative_incidence",
    "ci_lower",
    "ci_upper",
    "method",
)

TABLES = ("referrals", "early_help_episodes", "cp_plans", "looked_after_episodes", "returns")

ANALYSES = {
    "after_assessment_closure": ("re_referral", "escalation"),
    "after_early_help_closure": ("escalation", "early_help_re_entry"),
}
LABELS = {
    "after_assessment_closure": "after an assessment closed below the threshold",
    "after_early_help_closure": "after early help closed",
    "re_referral": "Re-referral",
    "escalation": "Escalation to social care",
    "early_help_re_entry": "Back in early help",
}


def _first_after(anchor_table: str, key: str, anchor_date: str, events: str) -> str:
    return f"""SELECT a.la_code, a.{key}, min({days_after(f"a.{anchor_date}", "v.event_date")}) AS days
    FROM {anchor_table} a JOIN ({events}) v ON v.la_code = a.la_code AND v.child_id = a.child_id
    WHERE v.event_date > a.{anchor_date}
    GROUP BY a.la_code, a.{key}"""


def closures_sql() -> str:
    """One row per closure: analysis, group, days followed, and days to each outcome (or null)."""
    closures = f"""SELECT r.la_code, r.child_id, r.referral_id, r.closure_date, t.extract_date
    FROM referrals r JOIN returns t ON t.la_code = r.la_code
    WHERE {is_closed_after_assessment("r")} AND r.closure_date BETWEEN t.period_start AND t.period_end"""
    csc = step_downs_sql(
        closures, keep=("c.la_code", "c.child_id", "c.referral_id", "c.closure_date", "c.extract_date")
    )
    referral_events = "SELECT la_code, child_id, referral_date AS event_date FROM referrals"
    early_help_starts = "SELECT la_code, child_id, start_date AS event_date FROM early_help_episodes"
    return f"""
WITH csc AS ({csc}),
eh AS (
    SELECT e.la_code, e.child_id, e.episode_id, e.end_date, e.end_reason, t.extract_date
    FROM early_help_episodes e JOIN returns t ON t.la_code = e.la_code
    WHERE e.end_date BETWEEN t.period_start AND t.period_end
),
csc_re_referral AS ({_first_after("csc", "referral_id", "closure_date", referral_events)}),
csc_escalation AS ({_first_after("csc", "referral_id", "closure_date", escalation_events_sql())}),
eh_escalation AS ({_first_after("eh", "episode_id", "end_date", escalation_events_sql())}),
eh_re_entry AS ({_first_after("eh", "episode_id", "end_date", early_help_starts)})
SELECT 'after_assessment_closure' AS analysis,
       CASE WHEN c.stepped_down THEN 'stepped_down' ELSE 'closed_no_early_help' END AS closure_group,
       {days_after("c.closure_date", "c.extract_date")} AS days_followed,
       r.days AS re_referral, x.days AS escalation, CAST(NULL AS BIGINT) AS early_help_re_entry
FROM csc c
LEFT JOIN csc_re_referral r ON r.la_code = c.la_code AND r.referral_id = c.referral_id
LEFT JOIN csc_escalation x ON x.la_code = c.la_code AND x.referral_id = c.referral_id
UNION ALL
SELECT 'after_early_help_closure', COALESCE(e.end_reason, 'not_recorded'),
       {days_after("e.end_date", "e.extract_date")},
       CAST(NULL AS BIGINT), x.days, n.days
FROM eh e
LEFT JOIN eh_escalation x ON x.la_code = e.la_code AND x.episode_id = e.episode_id
LEFT JOIN eh_re_entry n ON n.la_code = e.la_code AND n.episode_id = e.episode_id
"""


@dataclass(frozen=True)
class Curve:
    """One Kaplan-Meier estimate: a group's times (days) and whether each ended in the event."""

    analysis: str
    outcome: str
    group: str
    times: np.ndarray
    events: np.ndarray

    @functools.cached_property
    def fit(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Event times, S(t) and its Greenwood standard error just after each (empty without events)."""
        if not self.events.any():
            return np.array([]), np.array([]), np.array([])
        from statsmodels.duration.survfunc import SurvfuncRight

        fitted = SurvfuncRight(self.times.astype(float), self.events.astype(float))
        return np.asarray(fitted.surv_times), np.asarray(fitted.surv_prob), np.asarray(fitted.surv_prob_se)

    def at(self, day: int) -> dict[str, Any]:
        """The unsuppressed figures at ``day``: children, risk set, events so far, incidence, CI.

        The risk set is the children still followed and without the event at the start of ``day``."""
        at_risk = int((self.times >= day).sum())
        events_so_far = int(((self.times <= day) & self.events).sum())
        incidence, lower, upper = incidence_at(*self.fit, day)
        # Past the last child followed, S(t) is known only if it has reached 0 (everyone had the event).
        _, survival, _ = self.fit
        known = at_risk > 0 or (len(survival) > 0 and survival[-1] == 0.0)
        return {
            "children": len(self.times),
            "at_risk": at_risk,
            "events": events_so_far,
            "cumulative_incidence": incidence if known else None,
            "ci_lower": lower if known else None,
            "ci_upper": upper if known else None,
        }


def incidence_at(
    event_times: np.ndarray, survival: np.ndarray, standard_error: np.ndarray, day: int
) -> tuple[float, float, float]:
    """The share with the event by ``day`` (1 - S(day)) and its 95% CI (log(-log) scale on S)."""
    step = int(np.searchsorted(event_times, day, side="right")) - 1
    if step < 0:
        return 0.0, 0.0, 0.0
    s, se = float(survival[step]), float(standard_error[step])
    if s <= 0.0:
        return 1.0, 1.0, 1.0
    if s >= 1.0 or se == 0.0:
        return 1.0 - s, 1.0 - s, 1.0 - s
    spread = Z_95 * se / (s * abs(math.log(s)))
    low, high = sorted((s ** math.exp(spread), s ** math.exp(-spread)))
    return 1.0 - s, 1.0 - high, 1.0 - low


def curves(closures: pd.DataFrame) -> list[Curve]:
    """Every (analysis, outcome, group) curve from the rows of :func:`closures_sql`."""
    closures = closures[closures["days_followed"] >= 1]
    out = []
    for analysis, outcomes in ANALYSES.items():
        rows = closures[closures["analysis"] == analysis]
        for outcome in outcomes:
            for group, members in sorted(rows.groupby("closure_group"), key=lambda item: str(item[0])):
                days = members[outcome].astype("Float64")
                followed = members["days_followed"].astype("Float64")
                event = (days.notna() & (days <= followed)).fillna(False).to_numpy(dtype=bool)
                time = np.where(event, days.fillna(0).to_numpy(dtype=float), followed.to_numpy(dtype=float))
                out.append(Curve(analysis, outcome, str(group), time.astype(float), event))
    return out


def publishable(figures: dict[str, Any], threshold: int) -> bool:
    """May an estimate with these figures be published? A risk set of at least MIN_RISK_SET, and
    neither the children with the event so far nor those without one a count of 1 to the threshold."""
    without = figures["children"] - figures["events"]
    return (
        figures["at_risk"] >= MIN_RISK_SET and not 1 <= figures["events"] <= threshold and not 1 <= without <= threshold
    )


def _count_text(count: int, threshold: int) -> str:
    return CONFIDENTIAL if 1 <= count <= threshold else str(count)


def km_table(all_curves: list[Curve], threshold: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The internal table (every figure, unsuppressed) and the published one (km.csv)."""
    internal, published = [], []
    for curve in all_curves:
        for day in REPORT_DAYS:
            figures = curve.at(day)
            key = {"analysis": curve.analysis, "outcome": curve.outcome, "group": curve.group, "day": day}
            internal.append({**key, **figures, "method": METHOD})
            row = {
                **key,
                "children": _count_text(figures["children"], threshold),
                "at_risk": _count_text(figures["at_risk"], threshold),
            }
            for column in ("cumulative_incidence", "ci_lower", "ci_upper"):
                value = figures[column]
                if value is None:
                    row[column] = NOT_AVAILABLE
                elif not publishable(figures, threshold):
                    row[column] = CONFIDENTIAL
                else:
                    row[column] = f"{value:.{DECIMALS}f}"
            row["method"] = METHOD
            published.append(row)
    return pd.DataFrame(internal), pd.DataFrame(published, columns=list(KM_COLUMNS))


def curve_points(all_curves: list[Curve], threshold: int) -> pd.DataFrame:
    """The chart's points: every CURVE_STEP_DAYS up to two years, only where publishable."""
    rows = []
    for curve in all_curves:
        segment = 0  # a suppressed point breaks the curve, so no line is drawn across it
        for day in range(0, 2 * FOLLOW_UP_DAYS + 1, CURVE_STEP_DAYS):
            figures = curve.at(day)
            if figures["at_risk"] < MIN_RISK_SET:
                break  # the curve stops where its risk set becomes too small
            if not publishable(figures, threshold):
                segment += 1
                continue
            rows.append(
                {
                    "analysis": curve.analysis,
                    "outcome": curve.outcome,
                    "group": curve.group,
                    "day": day,
                    "segment": segment,
                    "cumulative_incidence": figures["cumulative_incidence"],
                    "ci_lower": figures["ci_lower"],
                    "ci_upper": figures["ci_upper"],
                }
            )
    return pd.DataFrame(
        rows, columns=["analysis", "outcome", "group", "day", "segment", "cumulative_incidence", "ci_lower", "ci_upper"]
    )
