"""Journeys: what happens to children over time (step-down, re-referral, escalation), defined once.

See :mod:`earlyhelp.journeys.definitions`.
"""

from earlyhelp.journeys.definitions import (
    FOLLOW_UP_DAYS,
    MISSED_STEP_DOWN,
    STEP_DOWN_DAYS,
    days_after,
    early_help_closures_sql,
    escalation_events_sql,
    is_cin_episode,
    is_closed_after_assessment,
    is_stepped_down,
    open_during,
    re_referrals_sql,
    step_downs_sql,
    still_open_after,
    within_follow_up,
)

__all__ = [
    "FOLLOW_UP_DAYS",
    "MISSED_STEP_DOWN",
    "STEP_DOWN_DAYS",
    "days_after",
    "early_help_closures_sql",
    "escalation_events_sql",
    "is_cin_episode",
    "is_closed_after_assessment",
    "is_stepped_down",
    "open_during",
    "re_referrals_sql",
    "step_downs_sql",
    "still_open_after",
    "within_follow_up",
]
