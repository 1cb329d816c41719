"""The journeys of the hand-built casebook (casebook.py): transitions, timelines and Kaplan-Meier
figures worked out by hand from its records."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from earlyhelp.journeys import run, survival, transitions

from .casebook import LA, build

# What casebook.py's comments say, closure by closure, for 2019-20.
EXPECTED_2019_20 = {
    "step_down": 2,  # C1 (early help 19 days later), C3 (open on the closure day)
    "no_step_down": 2,  # C2 (29 days), C4 (none)
    "re_referral_after_stepped_down": 1,  # C1 (153 days)
    "no_re_referral_after_stepped_down": 1,  # C3 (366 days)
    "re_referral_after_closed_no_early_help": 1,  # C4 (an NFA referral is still a referral)
    "no_re_referral_after_closed_no_early_help": 1,  # C2
    "step_up": 1,  # C2's first episode
    "other_early_help_closure": 3,  # C1, C3, C6
    "escalation_after_stepped_up": 0,
    "re_entry_after_stepped_up": 1,  # C2 back in early help 61 days later
    "no_further_service_after_stepped_up": 0,
    "escalation_after_early_help_ended": 1,  # C1: CIN referral 32 days after
    "re_entry_after_early_help_ended": 0,
    "no_further_service_after_early_help_ended": 2,  # C3 (366 days), C6 (same day, 366 days)
}


@pytest.fixture(scope="module")
def computed(tmp_path_factory) -> run.Computed:
    return run.compute(build(tmp_path_factory.mktemp("journeys") / "return"))


def test_transitions_counted_by_hand(computed):
    counts = transitions.transition_counts(computed.counts)
    assert counts[(LA, "201920")] == EXPECTED_2019_20


def test_transitions_internal_table_has_every_level_and_marks_years_without_follow_up(computed):
    internal = transitions.internal_transitions(transitions.transition_counts(computed.counts), computed.returns)
    rows = internal.to_pylist()
    # One year (2019-20) x 14 transitions x (LA, region, England).
    assert len(rows) == 14 * 3
    national = {r["indicator"]: r["numerator"] for r in rows if r["geographic_level"] == "National"}
    assert national == EXPECTED_2019_20


def test_a_year_whose_follow_up_is_not_over_is_not_available():
    import datetime as dt

    cover = transitions.ReturnCover("E12000001", dt.date(2019, 4, 1), dt.date(2020, 3, 31), dt.date(2021, 3, 30))
    counts = {("E06000001", "201920"): {t.name: 1 for t in transitions.TRANSITIONS}}
    rows = transitions.internal_transitions(counts, {"E06000001": cover}).to_pylist()
    status = {r["indicator"]: r["status"] for r in rows if r["geographic_level"] == "Local authority"}
    # The extract (30 March 2021) is 364 days after the year: the 28-day step-down is over,
    # the 12-month follow-up is not.
    assert status["step_down"] is None and status["step_up"] is None
    assert status["re_referral_after_stepped_down"] == "x"
    assert status["escalation_after_early_help_ended"] == "x"


def _by_type(computed, child: str) -> list[tuple[str, str]]:
    rows = [r for r in computed.timeline.to_pylist() if r["child_id"] == child]
    rows.sort(key=lambda r: r["child_event_order"])
    assert [r["child_event_order"] for r in rows] == list(range(1, len(rows) + 1))
    return [(r["event_date"].isoformat(), r["event_type"]) for r in rows]


def test_child_timeline_in_order_with_a_linked_partner_event(computed):
    assert _by_type(computed, "C1") == [
        ("2019-05-01", "referral"),
        ("2019-05-03", "assessment"),
        ("2019-06-01", "referral_closure"),
        ("2019-06-20", "early_help_start"),
        ("2019-09-30", "early_help_end"),
        ("2019-11-01", "referral"),
        ("2019-12-15", "police_notification"),  # through person_id P1
    ]


def test_same_day_events_put_the_closure_first(computed):
    # C3's referral closes on the day its early help ends.
    assert _by_type(computed, "C3") == [
        ("2019-03-01", "early_help_start"),
        ("2019-07-01", "referral"),
        ("2019-08-01", "referral_closure"),
        ("2019-08-01", "early_help_end"),
        ("2020-08-01", "referral"),
    ]


def test_family_timeline_interleaves_the_siblings(computed):
    rows = [r for r in computed.timeline.to_pylist() if r["family_id"] == "F1"]
    rows.sort(key=lambda r: r["family_event_order"])
    assert [(r["event_date"].isoformat(), r["child_id"]) for r in rows] == [
        ("2019-04-10", "C2"),
        ("2019-05-01", "C1"),
        ("2019-05-03", "C1"),
        ("2019-05-10", "C2"),
        ("2019-06-01", "C1"),
        ("2019-06-08", "C2"),
        ("2019-06-20", "C1"),
        ("2019-08-01", "C2"),
        ("2019-09-30", "C1"),
        ("2019-10-01", "C2"),
        ("2019-11-01", "C1"),
        ("2019-12-15", "C1"),
    ]
    # Without a family_id in children, the family its early help records; without either, none.
    families = {r["child_id"]: r["family_id"] for r in computed.timeline.to_pylist()}
    assert families["C3"] == "F3" and families["C4"] is None


def _km(computed) -> dict[tuple[str, str, str, int], dict]:
    internal, _ = survival.km_table(survival.curves(computed.closures), threshold=5)
    return {(r["analysis"], r["outcome"], r["group"], r["day"]): r for r in internal.to_dict("records")}


def _log_log_interval(s: float, variance: float) -> tuple[float, float]:
    """The 95% interval of 1 - S from S and Greenwood's variance, on the log(-log) scale."""
    spread = 1.959963984540054 * math.sqrt(variance) / (s * abs(math.log(s)))
    low, high = sorted((s ** math.exp(spread), s ** math.exp(-spread)))
    return 1 - high, 1 - low


def test_kaplan_meier_after_step_down_by_hand(computed):
    km = _km(computed)
    # Stepped down: C1 re-referred on day 153, C3 on day 366. S = 1/2 after day 153, 0 after 366.
    key = ("after_assessment_closure", "re_referral", "stepped_down")
    assert km[(*key, 28)]["cumulative_incidence"] == 0.0 and km[(*key, 28)]["at_risk"] == 2
    day_182 = km[(*key, 182)]
    assert day_182["children"] == 2 and day_182["at_risk"] == 1
    assert day_182["cumulative_incidence"] == pytest.approx(0.5)
    # Greenwood: S^2 * d / (n (n - d)) = 0.25 * 1 / (2 * 1).
    low, high = _log_log_interval(0.5, 0.25 * 1 / 2)
    assert (day_182["ci_lower"], day_182["ci_upper"]) == (pytest.approx(low), pytest.approx(high))
    # By hand: spread = 1.96 * 0.35355 / (0.5 * 0.69315) = 1.9995; 0.5 ** exp(-1.9995) = 0.9104 and
    # 0.5 ** exp(1.9995) = 0.0060, so 1 - S lies in 0.0896 to 0.9940.
    assert (round(low, 4), round(high, 4)) == (0.0896, 0.994)
    assert km[(*key, 365)]["cumulative_incidence"] == pytest.approx(0.5)
    # Everyone has been re-referred by day 366: known to be 1 even with nobody left at risk.
    assert km[(*key, 730)]["cumulative_incidence"] == pytest.approx(1.0) and km[(*key, 730)]["at_risk"] == 0


def test_kaplan_meier_closed_with_no_early_help_by_hand(computed):
    km = _km(computed)
    # C4 re-referred on day 106 (an NFA referral); C2 censored at the extract date, 782 days on.
    key = ("after_assessment_closure", "re_referral", "closed_no_early_help")
    assert km[(*key, 91)]["cumulative_incidence"] == 0.0
    assert km[(*key, 182)]["cumulative_incidence"] == pytest.approx(0.5)
    assert km[(*key, 730)]["at_risk"] == 1
    # Escalation: C4's CP plan on day 61; its NFA referral is no escalation.
    escalation = ("after_assessment_closure", "escalation", "closed_no_early_help")
    assert km[(*escalation, 28)]["cumulative_incidence"] == 0.0
    assert km[(*escalation, 91)]["cumulative_incidence"] == pytest.approx(0.5)


def test_kaplan_meier_after_early_help_by_end_reason(computed):
    km = _km(computed)
    # C6 (family declined): the CP plan on the closing day does not count; care 366 days on does.
    declined = ("after_early_help_closure", "escalation", "family_declined")
    assert km[(*declined, 365)]["cumulative_incidence"] == 0.0
    assert km[(*declined, 730)]["cumulative_incidence"] == pytest.approx(1.0)
    # C2 (stepped up): back in early help on day 61, never escalated (censored at the extract).
    stepped_up = ("after_early_help_closure", "early_help_re_entry", "step_up_to_social_care")
    assert km[(*stepped_up, 28)]["cumulative_incidence"] == 0.0
    assert km[(*stepped_up, 91)]["cumulative_incidence"] == pytest.approx(1.0)
    never = ("after_early_help_closure", "escalation", "step_up_to_social_care")
    assert km[(*never, 365)]["cumulative_incidence"] == 0.0
    # Followed 699 days (1 Aug 2019 to 30 Jun 2021): nothing is known at 730.
    assert km[(*never, 730)]["at_risk"] == 0 and pd.isna(km[(*never, 730)]["cumulative_incidence"])


def test_published_km_suppresses_small_groups(computed):
    _, published = survival.km_table(survival.curves(computed.closures), threshold=5)
    assert list(published.columns) == list(survival.KM_COLUMNS)
    # Every group here has 1 or 2 children: counts are c, and so is every estimate.
    assert set(published["children"]) == {"c"}
    assert set(published["cumulative_incidence"]) <= {"c", "x"}


def test_command_on_the_casebook(tmp_path):
    from click.testing import CliRunner

    from earlyhelp.cli import main

    data = build(tmp_path / "return")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["journeys", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output

    published = pd.read_csv(out / "transitions.csv", dtype=str, keep_default_na=False)
    assert tuple(published.columns) == run.TRANSITION_COLUMNS
    local = published[published["geographic_level"] == "Local authority"].set_index("transition")["count"]
    # Counts of 1 to 5 are c; zeros are published as 0.
    assert local["step_down"] == "c" and local["other_early_help_closure"] == "c"
    assert local["escalation_after_stepped_up"] == "0" and local["re_entry_after_early_help_ended"] == "0"
    assert (out / "internal" / "journey_timelines.parquet").is_file()
    assert "NOT FOR PUBLICATION" in (out / "internal" / "README.txt").read_text()
    readme = (out / "README.md").read_text()
    assert all(f"`{column}`" in readme for column in run.TRANSITION_COLUMNS + survival.KM_COLUMNS)
    # The record-level timeline is written only under internal/, and no child id is in a published file.
    for path in out.iterdir():
        if path.is_file() and path.suffix in (".csv", ".md", ".svg"):
            text = path.read_text()
            assert not any(f"C{i}," in text or f",C{i}" in text for i in range(1, 7)), path.name
    assert "child_id" not in published.columns
    assert result.output.count("internal/") >= 1


def test_an_out_folder_in_use_is_refused(tmp_path):
    from click.testing import CliRunner

    from earlyhelp.cli import main

    data = build(tmp_path / "return")
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    result = CliRunner().invoke(main, ["journeys", "--data", str(data), "--out", str(out)])
    from earlyhelp.errors import UsageError

    assert isinstance(result.exception, UsageError) and result.exception.exit_code == 2
    assert (out / "mine.txt").read_text() == "keep"
    assert not Path(out / "transitions.csv").exists()


def test_every_table_the_queries_read_is_registered():
    from earlyhelp.journeys import timeline

    assert set(timeline.TABLES) | set(transitions.COUNT_TABLES) | set(survival.TABLES) <= set(run.COLUMNS)


def test_the_timeline_file_written_an_la_at_a_time_is_the_timeline(computed, tmp_path):
    import pyarrow.parquet as pq

    path = tmp_path / "internal" / "journey_timelines.parquet"
    written = run.compute(build(tmp_path / "return"), timeline_file=path)
    assert written.timeline is None and written.timeline_rows == computed.timeline.num_rows
    from_file = pq.read_table(path).to_pylist()
    assert from_file == computed.timeline.to_pylist()  # same rows, same order (child, then event)
