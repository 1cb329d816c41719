"""What happens to a child over time, defined once (``docs/spec/indicators.md``, "Conventions").

The windows a journey is judged in, and the SQL (DuckDB dialect; the Spark engine transpiles it)
that decides whether an episode was open during a period, whether a referral is a re-referral,
whether a closure after assessment was stepped down to early help (or missed), and whether early
help was followed by escalation to social care. Indicators, ``synth --check`` and the journeys
stage all build their queries from these, so they cannot drift apart.

The query builders take the SQL of the records to flag (a subquery) and return one row per
record: the expressions ``keep`` names over it (alias ``r`` for referrals, ``c`` for closures)
and the flags. The caller decides which records (which year, which LAs).
"""

from __future__ import annotations

from earlyhelp.spec import codes

# "Within 12 months": day 365 after the anchor date is still inside, day 366 is not.
FOLLOW_UP_DAYS = 365
# A closure after assessment is stepped down when early help starts within 28 days of it.
STEP_DOWN_DAYS = 28


def days_after(anchor: str, event: str) -> str:
    """SQL for the number of days from the date ``anchor`` to the date ``event``."""
    return f"date_diff('day', {anchor}, {event})"


def within_follow_up(anchor: str, event: str, days: int = FOLLOW_UP_DAYS) -> str:
    """SQL: ``event`` falls 1..``days`` days after ``anchor`` (not on the anchor day itself)."""
    return f"{days_after(anchor, event)} BETWEEN 1 AND {days}"


def open_during(start: str, end: str, first_day: str, last_day: str) -> str:
    """SQL: an episode from ``start`` to ``end`` (empty while open) is open at some point
    between ``first_day`` and ``last_day``: it started by the last day and had not ended
    before the first (an episode ending on the first day counts)."""
    return f"{start} <= {last_day} AND ({end} IS NULL OR {end} >= {first_day})"


def still_open_after(start: str, end: str, day: str) -> str:
    """SQL: an episode is open at the end of ``day`` (the stock on 31 March): it started on or
    before that day and had not ended on it."""
    return f"{start} <= {day} AND ({end} IS NULL OR {end} > {day})"


def _qualified(alias: str, column: str) -> str:
    return f"{alias}.{column}" if alias else column


def is_cin_episode(referral: str = "") -> str:
    """SQL: the referral (table alias, if any) is a CIN episode: not closed as no further action."""
    return f"NOT {_qualified(referral, 'referral_nfa')}"


def is_closed_after_assessment(referral: str = "") -> str:
    """SQL: the referral (table alias, if any) is a CIN episode closed after assessment (RC8,
    or RC9 with a step-down to early help)."""
    reasons = f"'{codes.CLOSED_AFTER_ASSESSMENT_NFA}', '{codes.CLOSED_AFTER_ASSESSMENT_TO_EARLY_HELP}'"
    return f"{is_cin_episode(referral)} AND {_qualified(referral, 'closure_reason')} IN ({reasons})"


def is_stepped_down(closure_date: str, early_help: str) -> str:
    """SQL: the early help episode (table alias) is open on ``closure_date`` or starts within
    0..28 days after it (an episode starting on day 28 counts, day 29 does not)."""
    return (
        f"{days_after(closure_date, early_help + '.start_date')} <= {STEP_DOWN_DAYS}\n"
        f"      AND ({early_help}.end_date IS NULL OR {early_help}.end_date >= {closure_date})"
    )


def escalation_events_sql() -> str:
    """One row per event that is an escalation to social care after early help: a CIN
    referral, a child protection plan start, or the start of a period of care (RNE S)."""
    return f"""SELECT la_code, child_id, referral_date AS event_date FROM referrals WHERE {is_cin_episode()}
    UNION ALL SELECT la_code, child_id, start_date FROM cp_plans
    UNION ALL SELECT la_code, child_id, start_date FROM looked_after_episodes
        WHERE reason_new_episode = '{codes.STARTED_PERIOD_OF_CARE}'"""


def _select(keep: tuple[str, ...]) -> str:
    return "".join(f"{expression}, " for expression in keep)


def re_referrals_sql(referrals_sql: str, keep: tuple[str, ...] = ("r.la_code",)) -> str:
    """The referrals of ``referrals_sql`` (la_code, child_id, referral_date, and what ``keep`` reads), each
    flagged ``re_referral``: made 1..365 days after the child's previous referral in the LA.

    The previous referral is the latest one on an earlier day, so two referrals on one day are
    both judged against the same earlier referral, never against each other.
    """
    return f"""
WITH referral_days AS (
    SELECT DISTINCT la_code, child_id, referral_date FROM referrals
),
previous AS (
    -- the latest referral day of the same child in the same LA strictly before this one
    SELECT la_code, child_id, referral_date,
           lag(referral_date) OVER (PARTITION BY la_code, child_id ORDER BY referral_date)
               AS previous_date
    FROM referral_days
),
chosen AS (
    {referrals_sql}
)
SELECT {_select(keep)}COALESCE({within_follow_up("p.previous_date", "r.referral_date")}, false) AS re_referral
FROM chosen r
JOIN previous p ON p.la_code = r.la_code AND p.child_id = r.child_id
               AND p.referral_date = r.referral_date
"""


def step_downs_sql(closures_sql: str, keep: tuple[str, ...] = ("c.la_code",)) -> str:
    """The closures after assessment of ``closures_sql`` (la_code, child_id, referral_id,
    closure_date, and what ``keep`` reads), flagged ``stepped_down`` (see :func:`is_stepped_down`) and
    ``re_referred`` (a new CSC referral 1..365 days after the closure date). A closure not
    stepped down and re-referred is a missed step-down (:data:`MISSED_STEP_DOWN`)."""
    return f"""
WITH closed AS (
    {closures_sql}
),
stepped_down AS (
    -- an early help episode open on the closure date, or starting 0..{STEP_DOWN_DAYS} days after it
    SELECT DISTINCT c.la_code, c.referral_id
    FROM closed c JOIN early_help_episodes e ON e.la_code = c.la_code AND e.child_id = c.child_id
    WHERE {is_stepped_down("c.closure_date", "e")}
),
re_referred AS (
    -- a new CSC referral 1..{FOLLOW_UP_DAYS} days after the closure date
    SELECT DISTINCT c.la_code, c.referral_id
    FROM closed c JOIN referrals n ON n.la_code = c.la_code AND n.child_id = c.child_id
    WHERE {within_follow_up("c.closure_date", "n.referral_date")}
)
SELECT {_select(keep)}s.referral_id IS NOT NULL AS stepped_down,
       r.referral_id IS NOT NULL AS re_referred
FROM closed c
LEFT JOIN stepped_down s ON s.la_code = c.la_code AND s.referral_id = c.referral_id
LEFT JOIN re_referred r ON r.la_code = c.la_code AND r.referral_id = c.referral_id
"""


# Over the rows of step_downs_sql: a closure after assessment that early help did not follow and
# that came back as a new referral within 12 months.
MISSED_STEP_DOWN = "NOT stepped_down AND re_referred"


def early_help_closures_sql(closures_sql: str, keep: tuple[str, ...] = ("c.la_code",)) -> str:
    """The closed early help episodes of ``closures_sql`` (la_code, child_id, episode_id,
    end_date, and what ``keep`` reads), flagged ``escalated`` (an escalation event, see
    :func:`escalation_events_sql`, 1..365 days after end_date) and ``re_entered`` (another early
    help episode starting 1..365 days after end_date)."""
    return f"""
WITH closed AS (
    {closures_sql}
),
escalation_events AS (
    {escalation_events_sql()}
),
escalated AS (
    SELECT DISTINCT c.la_code, c.episode_id
    FROM closed c JOIN escalation_events v ON v.la_code = c.la_code AND v.child_id = c.child_id
    WHERE {within_follow_up("c.end_date", "v.event_date")}
),
re_entered AS (
    SELECT DISTINCT c.la_code, c.episode_id
    FROM closed c JOIN early_help_episodes n ON n.la_code = c.la_code AND n.child_id = c.child_id
    WHERE {within_follow_up("c.end_date", "n.start_date")}
)
SELECT {_select(keep)}x.episode_id IS NOT NULL AS escalated,
       r.episode_id IS NOT NULL AS re_entered
FROM closed c
LEFT JOIN escalated x ON x.la_code = c.la_code AND x.episode_id = c.episode_id
LEFT JOIN re_entered r ON r.la_code = c.la_code AND r.episode_id = c.episode_id
"""
