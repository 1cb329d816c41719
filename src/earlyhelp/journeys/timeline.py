"""One ordered timeline per child (and per family): every dated event of the analytic zone.

Record-level and confidential: the timeline is written only under ``internal/`` of the output
folder (never published, never logged). One row per event with the child (``la_code``,
``child_id``, ``person_id``, ``family_id``), the ``event_date``, the ``event_type`` (see
:data:`EVENT_TYPES`), the record it comes from (``record_id``), a code saying what kind of event
it was (``detail``: a closure reason, an end reason, a service type, ...), and its position in the
child's and in the family's timeline (``child_event_order``, ``family_event_order``, from 1).

Partner events (school attendance, health, police) are keyed by ``person_id``, so they appear on
a child's timeline only once the records are linked.
"""

from __future__ import annotations

import pyarrow as pa

from earlyhelp.spec import codes

TABLES = (
    "children",
    "referrals",
    "assessments",
    "s47_enquiries",
    "cin_plans",
    "cp_plans",
    "looked_after_episodes",
    "early_help_episodes",
    "early_help_services",
    "school_attendance",
    "health_events",
    "police_notifications",
)

# Event types in the order they are told on one day: endings first (a closure and a new referral on
# the same day read as "closed, then referred again"), then requests, referrals and starts.
EVENT_TYPES = (
    "referral_closure",
    "cin_plan_end",
    "cp_plan_end",
    "care_end",
    "early_help_service_end",
    "early_help_end",
    "early_help_request",
    "referral",
    "assessment",
    "s47_enquiry",
    "cin_plan_start",
    "cp_plan_start",
    "care_start",
    "early_help_start",
    "early_help_service_start",
    "school_year",
    "health_event",
    "police_notification",
)

TIMELINE_COLUMNS = (
    "la_code",
    "child_id",
    "person_id",
    "family_id",
    "event_date",
    "event_type",
    "record_id",
    "detail",
    "child_event_order",
    "family_event_order",
)

# The timeline's columns and types, the same from every engine (Spark numbers rows as int32).
TIMELINE_SCHEMA = pa.schema(
    [
        ("la_code", pa.string()),
        ("child_id", pa.string()),
        ("person_id", pa.string()),
        ("family_id", pa.string()),
        ("event_date", pa.date32()),
        ("event_type", pa.string()),
        ("record_id", pa.string()),
        ("detail", pa.string()),
        ("child_event_order", pa.int64()),
        ("family_event_order", pa.int64()),
    ]
)
assert tuple(TIMELINE_SCHEMA.names) == TIMELINE_COLUMNS

# Partner school years are dated from the start of the academic year (1 September).
ACADEMIC_YEAR_START_MONTH = 9


def _events_sql() -> str:
    """Every event as (la_code, child_id, event_date, event_type, record_id, detail)."""
    care_start = (
        f"CASE WHEN reason_new_episode = '{codes.STARTED_PERIOD_OF_CARE}' THEN 'period_of_care' ELSE 'change' END"
    )
    local = [
        "SELECT la_code, child_id, referral_date AS event_date, 'referral' AS event_type, referral_id AS record_id, "
        "CASE WHEN referral_nfa THEN 'nfa' ELSE primary_need END AS detail FROM referrals",
        "SELECT la_code, child_id, closure_date, 'referral_closure', referral_id, closure_reason FROM referrals "
        "WHERE closure_date IS NOT NULL",
        "SELECT la_code, child_id, start_date, 'assessment', assessment_id, CAST(NULL AS VARCHAR) FROM assessments",
        "SELECT la_code, child_id, start_date, 's47_enquiry', referral_id, "
        "CASE WHEN icpc_not_required THEN 'icpc_not_required' ELSE CAST(NULL AS VARCHAR) END FROM s47_enquiries",
        "SELECT la_code, child_id, start_date, 'cin_plan_start', referral_id, CAST(NULL AS VARCHAR) FROM cin_plans",
        "SELECT la_code, child_id, end_date, 'cin_plan_end', referral_id, CAST(NULL AS VARCHAR) FROM cin_plans "
        "WHERE end_date IS NOT NULL",
        "SELECT la_code, child_id, start_date, 'cp_plan_start', referral_id, initial_category FROM cp_plans",
        "SELECT la_code, child_id, end_date, 'cp_plan_end', referral_id, CAST(NULL AS VARCHAR) FROM cp_plans "
        "WHERE end_date IS NOT NULL",
        f"SELECT la_code, child_id, start_date, 'care_start', CAST(NULL AS VARCHAR), {care_start} "
        "FROM looked_after_episodes",
        "SELECT la_code, child_id, end_date, 'care_end', CAST(NULL AS VARCHAR), reason_ceased "
        "FROM looked_after_episodes WHERE end_date IS NOT NULL",
        "SELECT la_code, child_id, request_date, 'early_help_request', episode_id, request_source "
        "FROM early_help_episodes WHERE request_date IS NOT NULL",
        "SELECT la_code, child_id, start_date, 'early_help_start', episode_id, service_level FROM early_help_episodes",
        "SELECT la_code, child_id, end_date, 'early_help_end', episode_id, end_reason FROM early_help_episodes "
        "WHERE end_date IS NOT NULL",
        "SELECT e.la_code, e.child_id, s.start_date, 'early_help_service_start', s.episode_id, s.service_type "
        "FROM early_help_services s JOIN early_help_episodes e ON e.la_code = s.la_code AND e.episode_id = s.episode_id",
        "SELECT e.la_code, e.child_id, s.end_date, 'early_help_service_end', s.episode_id, s.service_type "
        "FROM early_help_services s JOIN early_help_episodes e ON e.la_code = s.la_code AND e.episode_id = s.episode_id "
        "WHERE s.end_date IS NOT NULL",
    ]
    # Partner events reach a child through the pseudonymous person_id that linkage writes.
    partner = [
        f"SELECT c.la_code, c.child_id, make_date(CAST(a.academic_year AS INTEGER), {ACADEMIC_YEAR_START_MONTH}, 1), "
        "'school_year', CAST(NULL AS VARCHAR), "
        "CAST(a.sessions_missed AS VARCHAR) || '/' || CAST(a.sessions_possible AS VARCHAR) "
        "FROM school_attendance a JOIN children c ON c.person_id = a.person_id",
        "SELECT c.la_code, c.child_id, h.event_date, 'health_event', CAST(NULL AS VARCHAR), h.event_type "
        "FROM health_events h JOIN children c ON c.person_id = h.person_id",
        "SELECT c.la_code, c.child_id, p.event_date, 'police_notification', CAST(NULL AS VARCHAR), p.event_type "
        "FROM police_notifications p JOIN children c ON c.person_id = p.person_id",
    ]
    return "\n    UNION ALL ".join(local + partner)


def timeline_sql(ordered: bool = True) -> str:
    """The timeline query (see the module docstring), ordered by child and event unless
    ``ordered`` is false (a caller that sorts it later saves a sort of every event)."""
    rank = "CASE e.event_type " + " ".join(f"WHEN '{name}' THEN {i}" for i, name in enumerate(EVENT_TYPES)) + " END"
    return f"""
WITH events AS (
    {_events_sql()}
),
families AS (
    -- a child's family: the children table's family_id, else the one its early help episodes record
    SELECT c.la_code, c.child_id, c.person_id,
           COALESCE(c.family_id, f.family_id) AS family_id
    FROM children c
    LEFT JOIN (SELECT la_code, child_id, min(family_id) AS family_id FROM early_help_episodes
               GROUP BY la_code, child_id) f ON f.la_code = c.la_code AND f.child_id = c.child_id
),
ranked AS (
    SELECT e.la_code, e.child_id, f.person_id, COALESCE(f.family_id, 'child:' || e.child_id) AS family_id,
           e.event_date, e.event_type, e.record_id, e.detail, {rank} AS type_rank
    FROM events e
    LEFT JOIN families f ON f.la_code = e.la_code AND f.child_id = e.child_id
    WHERE e.event_date IS NOT NULL
),
child_ordered AS (
    SELECT *, row_number() OVER (PARTITION BY la_code, child_id
                                 ORDER BY event_date, type_rank, record_id NULLS FIRST, detail NULLS FIRST)
                  AS child_event_order
    FROM ranked
)
SELECT la_code, child_id, person_id,
       CASE WHEN family_id LIKE 'child:%' THEN CAST(NULL AS VARCHAR) ELSE family_id END AS family_id,
       event_date, event_type, record_id, detail, child_event_order,
       -- ordered through child_event_order, so that events alike in every column are numbered
       -- in the same order in both timelines, on every engine
       row_number() OVER (PARTITION BY la_code, family_id
                          ORDER BY event_date, type_rank, child_id, child_event_order) AS family_event_order
FROM child_ordered
{"ORDER BY la_code, child_id, child_event_order" if ordered else ""}
"""
