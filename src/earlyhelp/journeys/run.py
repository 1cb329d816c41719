"""`journeys(data, out)`: timelines (confidential), transitions and Kaplan-Meier tables (published,
disclosure-controlled), a flow chart and Kaplan-Meier curves.

The files (``README.md``, written into ``--out``, says the same for readers):

``transitions.csv``  publishable. One row per financial year, area and transition, with
  :data:`TRANSITION_COLUMNS`; counts of 1 to the threshold are ``c``, with secondary suppression
  (LA -> region -> England, and each state's outgoing flows adding up to the flow into it);
  regional and national counts rounded to the nearest 10; ``x`` = not available.
``km.csv``  publishable. Kaplan-Meier estimates at fixed days, :data:`earlyhelp.journeys.survival.KM_COLUMNS`.
``flow.svg``, ``km_<analysis>_<outcome>.svg``  publishable charts of the same figures.
``journeys.md``  publishable: the charts' figures as tables, and the method.
``internal/``  NOT publishable: ``journey_timelines.parquet`` (record level), the unsuppressed tables.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from earlyhelp.errors import DataError
from earlyhelp.journeys import survival, timeline, transitions
from earlyhelp.publish import (
    DEFAULT_THRESHOLD,
    NATIONAL,
    TOTAL,
    areas_from_rows,
    disclosure_control,
    internal_table,
    internal_text,
    reference_areas,
)

TRANSITION_COLUMNS = (
    "time_period",
    "geographic_level",
    "region_code",
    "region_name",
    "la_code",
    "la_name",
    "transition",
    "from_state",
    "to_state",
    "count",
)
# Every table and column the journeys' queries read (timeline, transitions, survival).
COLUMNS: dict[str, tuple[str, ...]] = {
    "children": ("la_code", "child_id", "person_id", "family_id"),
    "referrals": (
        "la_code",
        "child_id",
        "referral_id",
        "referral_date",
        "referral_nfa",
        "primary_need",
        "closure_date",
        "closure_reason",
    ),
    "assessments": ("la_code", "child_id", "assessment_id", "start_date"),
    "s47_enquiries": ("la_code", "child_id", "referral_id", "start_date", "icpc_not_required"),
    "cin_plans": ("la_code", "child_id", "referral_id", "start_date", "end_date"),
    "cp_plans": ("la_code", "child_id", "referral_id", "start_date", "end_date", "initial_category"),
    "looked_after_episodes": ("la_code", "child_id", "start_date", "end_date", "reason_new_episode", "reason_ceased"),
    "early_help_episodes": (
        "la_code",
        "child_id",
        "family_id",
        "episode_id",
        "request_date",
        "start_date",
        "end_date",
        "request_source",
        "service_level",
        "end_reason",
    ),
    "early_help_services": ("la_code", "episode_id", "service_type", "start_date", "end_date"),
    "school_attendance": ("person_id", "academic_year", "sessions_possible", "sessions_missed"),
    "health_events": ("person_id", "event_date", "event_type"),
    "police_notifications": ("person_id", "event_date", "event_type"),
    "returns": ("la_code", "period_start", "period_end", "extract_date"),
    "local_authorities": ("la_code", "la_name", "region_code", "region_name"),
}
INTERNAL = "internal"
TIMELINE_FILE = f"{INTERNAL}/journey_timelines.parquet"
PUBLISHED_FILES = ("transitions.csv", "km.csv", "flow.svg", "journeys.md", "README.md")


@dataclass(frozen=True)
class Journeys:
    transitions: pd.DataFrame  # published (text, disclosure-controlled)
    km: pd.DataFrame  # published
    files: list[Path]
    engine: str
    seconds: float
    timeline_rows: int


@dataclass(frozen=True)
class Computed:
    """Everything the engine computes, before anything is written (compared across engines in tests)."""

    timeline: pa.Table | None  # None when it was written straight to a file
    timeline_rows: int
    counts: list[dict[str, Any]]
    closures: pd.DataFrame
    returns: dict[str, transitions.ReturnCover]
    areas: list[dict[str, Any]]


def compute(data: Path | str, engine: str = "duckdb", spark: Any = None, timeline_file: Path | None = None) -> Computed:
    """Register ``data`` (EHLD folder or warehouse) on the engine and run the journeys' queries.

    With ``timeline_file``, the timelines are written there one LA at a time (so memory holds one
    LA's events, not England's) and not returned."""
    from earlyhelp.engine import create_engine

    with create_engine(engine, spark=spark) as database:
        # Only the columns the queries read: at scale that is most of the engine's memory.
        database.register_ehld(Path(data), list(COLUMNS), COLUMNS)
        returns = database.sql("SELECT la_code, period_start, period_end, extract_date FROM returns").to_pylist()
        areas = database.sql("SELECT la_code, la_name, region_code, region_name FROM local_authorities").to_pylist()
        counts = database.sql(transitions.counts_sql()).to_pylist()
        closures = database.sql(survival.closures_sql()).to_pandas()
        timeline_table: pa.Table | None = None
        if timeline_file is None:
            timeline_table = database.sql(timeline.timeline_sql()).cast(timeline.TIMELINE_SCHEMA)
            rows = timeline_table.num_rows
        else:
            rows = _write_timeline(database, timeline_file)
    if not returns:
        raise DataError(
            "This data has no returns rows, so the years it covers are not known.",
            hint="Each LA's return needs a row in returns.csv (period_start, period_end, extract_date).",
        )
    regions = {row["la_code"]: row["region_code"] or "" for row in areas}
    covers = {}
    for row in returns:
        if None in (row["la_code"], row["period_start"], row["period_end"], row["extract_date"]):
            raise DataError("A returns row lacks la_code, period_start, period_end or extract_date.")
        covers[row["la_code"]] = transitions.ReturnCover(
            regions.get(row["la_code"], ""), row["period_start"], row["period_end"], row["extract_date"]
        )
    return Computed(timeline_table, rows, counts, closures, covers, areas)


def _write_timeline(database: Any, path: Path) -> int:
    """The timelines into one Parquet file, an LA at a time; the number of events written."""
    database.materialize("_journey_timeline", timeline.timeline_sql(ordered=False))
    las = [
        row["la_code"]
        for row in database.sql("SELECT DISTINCT la_code FROM _journey_timeline ORDER BY la_code").to_pylist()
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    writer = None
    try:
        for la in las:
            quoted = la.replace("'", "''")
            part = database.sql(
                f"SELECT * FROM _journey_timeline WHERE la_code = '{quoted}' ORDER BY child_id, child_event_order"
            )
            if writer is None:
                writer = pq.ParquetWriter(path, timeline.TIMELINE_SCHEMA)
            writer.write_table(part.cast(timeline.TIMELINE_SCHEMA))
            written += part.num_rows
    finally:
        if writer is not None:
            writer.close()
    if writer is None:  # no events at all: an empty file with the columns
        pq.write_table(timeline.TIMELINE_SCHEMA.empty_table(), path)
    return written


def publish_transitions(computed: Computed, threshold: int) -> tuple[pa.Table, pd.DataFrame]:
    """The internal transitions table and the published tidy table (``transitions.csv``)."""
    internal = transitions.internal_transitions(transitions.transition_counts(computed.counts), computed.returns)
    names = {**reference_areas(), **areas_from_rows(computed.areas)}
    published = _disclosure_controlled(internal, threshold, names)
    frame = published.to_pandas()
    frame["transition"] = frame["indicator"]
    frame["from_state"] = frame["indicator"].map(lambda name: transitions.BY_NAME[name].from_state)
    frame["to_state"] = frame["indicator"].map(lambda name: transitions.BY_NAME[name].to_state)
    frame["la_code"] = frame["new_la_code"]
    frame["count"] = frame["numerator"]
    return internal, frame[list(TRANSITION_COLUMNS)]


def _disclosure_controlled(internal: pa.Table, threshold: int, names: dict[str, dict[str, str]]) -> pa.Table:
    """The publication layer's disclosure control, checked by its audit before anything is written."""
    from earlyhelp.publish.audit import audit

    published = disclosure_control(internal, threshold, names, transitions.BY_NAME, transitions.RELATIONS)
    result = audit(published, transitions.BY_NAME, threshold, transitions.RELATIONS)
    if result.recoverable:
        raise DataError(
            f"Disclosure audit failed: {len(result.recoverable)} suppressed transition count(s) can be worked "
            "out from the published figures; nothing was written.",
            hint="This is a bug in disclosure control (earlyhelp.publish.disclosure); please report it.",
        )
    return published


def national_flows(internal: pa.Table, threshold: int) -> tuple[pd.DataFrame, str]:
    """The flows the chart shows: England's counts over every year in which all of them are
    available (so the steps add up), pooled and then put through the same disclosure control.
    Suppressed flows are left out of the picture and shown as c in journeys.md."""
    rows = [row for row in internal.to_pylist() if row["geographic_level"] == NATIONAL]
    years = sorted(
        {row["time_period"] for row in rows} - {row["time_period"] for row in rows if row["status"] is not None}
    )
    pooled: dict[str, int] = {t.name: 0 for t in transitions.TRANSITIONS}
    for row in rows:
        if row["time_period"] in years:
            pooled[row["indicator"]] += row["numerator"]
    table = internal_table(
        {
            "time_period": "pooled",
            "geographic_level": NATIONAL,
            "region_code": "",
            "la_code": "",
            "indicator": name,
            "breakdown": TOTAL,
            "numerator": count,
            "denominator": None,
            "numerator_pounds": None,
            "value": float(count),
            "status": None,
        }
        for name, count in pooled.items()
    )
    published = _disclosure_controlled(table, threshold, {}).to_pylist()
    flows = pd.DataFrame(
        {
            "from_state": [transitions.BY_NAME[r["indicator"]].from_state for r in published],
            "to_state": [transitions.BY_NAME[r["indicator"]].to_state for r in published],
            "count": [r["numerator"] for r in published],
        }
    )
    if years:
        from earlyhelp.spec.periods import label

        where = f"National (every LA in this data), {label(years[0])} to {label(years[-1])}: the years with 12 months of follow-up"
    else:
        where = "National (every LA in this data): no year has 12 months of follow-up"
    return flows, where


def journeys(
    data: Path | str,
    out: Path,
    engine: str = "duckdb",
    threshold: int = DEFAULT_THRESHOLD,
) -> Journeys:
    """Compute the journeys of ``data`` and write the files (see the module docstring) into ``out``."""
    from earlyhelp.console import steps
    from earlyhelp.journeys import charts

    started = time.perf_counter()
    with steps("Journeys", 4) as advance:
        computed = compute(data, engine, timeline_file=out / TIMELINE_FILE)
        advance("queries")
        internal, published = publish_transitions(computed, threshold)
        all_curves = survival.curves(computed.closures)
        km_internal, km_published = survival.km_table(all_curves, threshold)
        advance("disclosure control")
        (out / INTERNAL).mkdir(parents=True, exist_ok=True)
        internal_text(internal).to_pandas().to_csv(out / INTERNAL / "transitions_unsuppressed.csv", index=False)
        km_internal.to_csv(out / INTERNAL / "km_unsuppressed.csv", index=False)
        (out / INTERNAL / "README.txt").write_text(INTERNAL_README, encoding="utf-8")
        published.to_csv(out / "transitions.csv", index=False)
        km_published.to_csv(out / "km.csv", index=False)
        advance("tables")
        flows, where = national_flows(internal, threshold)
        flow_title = "Where children went after a closure"
        flow_summary = f"{where}. " + "; ".join(
            f"{transitions.STATE_LABELS[r.from_state]} to {transitions.STATE_LABELS[r.to_state]}: {r.count}"
            for r in flows.itertuples()
        )
        shown = flows[flows["count"].str.fullmatch(r"[0-9]+")].astype({"count": int})
        (out / "flow.svg").write_text(
            charts.sankey_svg(shown, transitions.STATE_LABELS, flow_title, flow_summary), encoding="utf-8"
        )
        points = survival.curve_points(all_curves, threshold)
        km_files = []
        for analysis, outcomes in survival.ANALYSES.items():
            for outcome in outcomes:
                name = f"km_{analysis}_{outcome}.svg"
                title = f"{survival.LABELS[outcome]} {survival.LABELS[analysis]}"
                (out / name).write_text(
                    charts.km_svg(
                        points, analysis, outcome, title, _km_summary(km_published, analysis, outcome), name[:-4]
                    ),
                    encoding="utf-8",
                )
                km_files.append(out / name)
        (out / "journeys.md").write_text(journeys_text(flows, where, km_published, threshold), encoding="utf-8")
        (out / "README.md").write_text(readme_text(threshold), encoding="utf-8")
        advance("charts")
    files = (
        [out / name for name in PUBLISHED_FILES]
        + km_files
        + [
            out / TIMELINE_FILE,
            out / INTERNAL / "transitions_unsuppressed.csv",
            out / INTERNAL / "km_unsuppressed.csv",
        ]
    )
    return Journeys(published, km_published, files, engine, time.perf_counter() - started, computed.timeline_rows)


def _km_summary(km: pd.DataFrame, analysis: str, outcome: str) -> str:
    rows = km[(km["analysis"] == analysis) & (km["outcome"] == outcome) & (km["day"] == survival.FOLLOW_UP_DAYS)]
    parts = []
    for row in rows.itertuples():
        if row.cumulative_incidence in ("c", "x"):
            parts.append(f"{row.group}: {row.cumulative_incidence} at 365 days")
        else:
            parts.append(
                f"{row.group}: {float(row.cumulative_incidence) * 100:.1f}% by 365 days "
                f"(95% CI {float(row.ci_lower) * 100:.1f} to {float(row.ci_upper) * 100:.1f})"
            )
    return "Share of children with the event, by what happened at closure. " + "; ".join(parts)


def journeys_text(flows: pd.DataFrame, where: str, km: pd.DataFrame, threshold: int) -> str:
    """journeys.md: the charts' figures as tables (their text alternative), and the method."""
    lines = [
        "# Children's journeys after a closure",
        "",
        f"## Where children went (flow.svg): {where}",
        "",
        "| from | to | closures |",
        "|---|---|---|",
    ]
    for row in flows.itertuples():
        lines.append(
            f"| {transitions.STATE_LABELS[row.from_state]} | {transitions.STATE_LABELS[row.to_state]} | {row.count} |"
        )
    lines += [
        "",
        "Stepped down: early help open on the closure day or starting within 28 days. Re-referred, escalated, "
        "back in early help: 1 to 365 days after the closure (escalation: a CIN referral, a child protection plan "
        "or a period of care). Counts rounded to the nearest 10; c = 1 to the threshold, or suppressed so that one "
        "cannot be worked out (suppressed flows are left out of the chart). Every LA, region and year is in "
        "transitions.csv.",
        "",
        "## Time to re-referral and escalation (km_*.svg)",
        "",
        f"Method: {survival.METHOD}. Children without the event are censored at their LA's extract date. "
        f"Estimates from a risk set under {survival.MIN_RISK_SET} children, or where the children with or without "
        f"the event so far number 1 to {threshold}, are c.",
        "",
        "| analysis | outcome | group | day | children | at risk | with the event | 95% CI |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in km.itertuples():
        if row.cumulative_incidence in ("c", "x"):
            share, interval = row.cumulative_incidence, ""
        else:
            share = f"{float(row.cumulative_incidence) * 100:.1f}%"
            interval = f"{float(row.ci_lower) * 100:.1f} to {float(row.ci_upper) * 100:.1f}"
        lines.append(
            f"| {row.analysis} | {row.outcome} | {row.group} | {row.day} | {row.children} | {row.at_risk} | "
            f"{share} | {interval} |"
        )
    return "\n".join(lines) + "\n"


INTERNAL_README = """NOT FOR PUBLICATION.

journey_timelines.parquet is record level: one row per event of every child (la_code, child_id,
person_id, family_id, event_date, event_type, record_id, detail, child_event_order,
family_event_order). Sort by (la_code, child_id, child_event_order) for a child's timeline and by
(la_code, family_id, family_event_order) for a family's. It is confidential: keep it with the
record-level data it was computed from, under the same access controls, and never copy it into
a report or a log.

transitions_unsuppressed.csv and km_unsuppressed.csv hold the published figures before
disclosure control (small counts shown, nothing rounded): not publishable either.
"""


def readme_text(threshold: int) -> str:
    return f"""# earlyhelp journeys

Written by `earlyhelp journeys`. The column names below are stable: other stages and reports read them.

## Publishable (disclosure-controlled)

- `transitions.csv`: one row per financial year (`time_period`, e.g. 201920), area and transition.
  Columns: {", ".join(f"`{c}`" for c in TRANSITION_COLUMNS)}.
  `geographic_level` is National, Regional or Local authority. `transition` names the flow and
  `from_state` -> `to_state` says where it goes; the states of each step add up: every
  `from_state` of the second step is the `to_state` of the first. Counts of 1 to {threshold} are `c`, with
  secondary suppression (across LAs, regions and England, and across the steps) checked by the disclosure
  audit; regional and national counts are rounded to the nearest 10; `x` = not available (the return does
  not cover the whole year or the follow-up window after it). After early help closed, each episode is
  counted once: escalated within 12 months, else back in early help within 12 months, else neither.
  Transitions: {"; ".join(f"`{t.name}` ({t.from_state} -> {t.to_state})" for t in transitions.TRANSITIONS)}.
- `km.csv`: Kaplan-Meier estimates of the share of children with the event by `day` after a closure.
  Columns: {", ".join(f"`{c}`" for c in survival.KM_COLUMNS)}. `analysis` is `after_assessment_closure`
  (groups `stepped_down`, `closed_no_early_help`) or `after_early_help_closure` (groups: the episode's
  `end_reason`); `outcome` is `re_referral`, `escalation` or `early_help_re_entry`; `cumulative_incidence`,
  `ci_lower`, `ci_upper` are shares (0 to 1, {survival.DECIMALS} decimal places), 95% pointwise CI. Counts of
  1 to {threshold} are `c`; an estimate is `c` when its risk set is under {survival.MIN_RISK_SET} children or
  the children with (or without) the event so far number 1 to {threshold}; `x` = nobody followed that long.
- `flow.svg`: the transitions as a flow chart; `km_<analysis>_<outcome>.svg`: the curves, drawn only
  where an estimate may be published. `journeys.md` gives their figures as tables.

## Not publishable

`internal/`: the record-level timelines and the tables before disclosure control (see its README.txt).
"""
