"""Linked partner records in the evaluation cohort, on a hand-built return (expectations by hand).

One LA, return 2019-20 (1 April 2019 to 31 March 2020), extracted 30 June 2021. C1 (person P1) and
C2 (person P2) are one family (F1); C3 has no linked person.

C1: referred 1 May 2019, closed after assessment (RC9) on 1 June 2019, early help from 20 June
(stepped down).
  - School (academic years run 1 September to 31 August): 2016 missed 10 of 300 sessions, 2017
    20 of 300, both ended before the referral; 2018 (holding the referral) 40 of 300 is not
    before it. Prior share (10 + 20) / 600 = 0.05. Closure + 182 days = 30 November 2019, school
    year 2019: 33 of 330 = 0.10 is the outcome.
  - Health: an emergency attendance 1 June 2018 (334 days before the referral: prior), one on
    1 January 2017 (850 days before: outside the two years), one on 2 June 2019 (1 day after the
    closure: outcome), an injury admission on 1 July 2019 (not an emergency attendance: no
    outcome), an emergency attendance on 1 June 2020 (366 days after the closure: outside).
  - Police: 15 December 2019 (197 days after the closure: outcome).
C2 (P2, C1's sibling): no referral of its own. School 2017: 50 of 300; a police notification on
1 January 2019 (before C1's referral).
  - So C1's family: prior absence (30 + 50) / (600 + 300); one family police notification, none
    of C1's own.
C3: closed (RC8) 1 August 2019 with no early help; not linked, so no partner columns.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from tests.indicators.builder import Return

from earlyhelp.engine import create_engine
from earlyhelp.evaluate.cohort import PARTNER_COLUMNS, build_cohort

LA = "E06000001"


def _build(folder):
    r = Return()
    r.la(LA, extract_date="2021-06-30")
    for child, family, person in (("C1", "F1", "P1"), ("C2", "F1", "P2"), ("C3", "F3", "")):
        r.add("children", la_code=LA, child_id=child, family_id=family, person_id=person)
    first = r.referral(LA, "C1", "2019-05-01", closed="2019-06-01", reason="RC9")
    r.add("assessments", la_code=LA, child_id="C1", referral_id=first, assessment_id="A1", start_date="2019-05-03")
    r.early_help(LA, "C1", "2019-06-20", "2019-09-30", end_reason="outcomes_achieved")
    for year, missed, possible in ((2016, 10, 300), (2017, 20, 300), (2018, 40, 300), (2019, 33, 330)):
        r.add(
            "school_attendance", person_id="P1", academic_year=year, sessions_possible=possible, sessions_missed=missed
        )
    for day, kind in (
        ("2018-06-01", "emergency_attendance"),
        ("2017-01-01", "emergency_attendance"),
        ("2019-06-02", "emergency_attendance"),
        ("2019-07-01", "injury_admission"),
        ("2020-06-01", "emergency_attendance"),
    ):
        r.add("health_events", person_id="P1", event_date=day, event_type=kind)
    r.add("police_notifications", person_id="P1", event_date="2019-12-15", event_type="domestic_abuse")
    r.add("school_attendance", person_id="P2", academic_year=2017, sessions_possible=300, sessions_missed=50)
    r.add("police_notifications", person_id="P2", event_date="2019-01-01", event_type="arrest")
    third = r.referral(LA, "C3", "2019-07-01", closed="2019-08-01", reason="RC8")
    r.add("assessments", la_code=LA, child_id="C3", referral_id=third, assessment_id="A3", start_date="2019-07-02")
    return r.write(folder)


EXPECTED_C1 = {
    "prior_absence_share": 30 / 600,
    "family_prior_absence_share": 80 / 900,
    "prior_health_events": 1,
    "prior_police_notifications": 0,
    "family_prior_police_notifications": 1,
    "emergency_attendances_12m": 1,
    "police_notifications_12m": 1,
    "school_absence_share_12m": 33 / 330,
}


@pytest.mark.parametrize("engine_name", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_partner_covariates_and_outcomes_by_hand(tmp_path, engine_name, request):
    data = _build(tmp_path / "return")
    options = {"spark": request.getfixturevalue("spark")} if engine_name == "spark" else {}
    with create_engine(engine_name, **options) as engine:
        cohort = build_cohort(engine, data).set_index("child_id")
    assert set(cohort.index) == {"C1", "C3"}
    assert bool(cohort.loc["C1", "stepped_down"]) and not bool(cohort.loc["C3", "stepped_down"])
    for column, expected in EXPECTED_C1.items():
        assert math.isclose(float(cohort.loc["C1", column]), expected), column
    # C3 has no person_id: nothing is known of it at the partners, not even a zero.
    assert all(math.isnan(float(cohort.loc["C3", column])) for column in PARTNER_COLUMNS)


def test_an_unlinked_cohort_has_no_partner_columns(tmp_path):
    data = _build(tmp_path / "return")
    children = (data / "children.csv").read_text().replace("P1", "").replace("P2", "")
    (data / "children.csv").write_text(children)
    with create_engine("duckdb") as engine:
        cohort = build_cohort(engine, data)
    assert not set(PARTNER_COLUMNS) & set(cohort.columns)


@pytest.mark.slow
def test_planted_partner_effects_are_recovered_when_step_down_is_chosen_on_recorded_data(tmp_path):
    # One LA-sized synthetic England whose step-downs are chosen on what the returns record
    # (benchmarks/effects/observed_selection.json), with strong planted effects on the partner
    # outcomes and none on the placebo's: AIPW's interval should hold each exact true value.
    from tests.synth.test_effects_file import BENCHMARK_EFFECTS

    from earlyhelp.evaluate.analysis import PARTNER_ANALYSIS, partner_outcome_effects
    from earlyhelp.evaluate.truth import link_persons_from_truth, partner_truth
    from earlyhelp.synth.effects_file import apply_effects, read_effects
    from earlyhelp.synth.generate import generate, settings_for

    selection = read_effects(BENCHMARK_EFFECTS / "observed_selection.json")
    planted = {"school_absence_rr": 0.6, "emergency_attendance_rr": 0.5, "police_notification_rr": 0.5}
    covered = []
    for name, effects in (("planted", {**selection, "partner_outcomes": planted}), ("placebo", selection)):
        data = generate(tmp_path / name, settings=apply_effects(settings_for("la", seed=7), effects))
        link_persons_from_truth(data)
        with create_engine("duckdb") as engine:
            cohort = build_cohort(engine, data)
        rows = pd.DataFrame(partner_outcome_effects(cohort, truth=partner_truth(data)))
        assert set(rows["analysis"]) == {PARTNER_ANALYSIS}
        aipw = rows[rows["method"].str.startswith("AIPW") & (rows["estimand"] == "ATT_rate_ratio")].set_index("outcome")
        assert len(aipw) == 3
        covered += ((aipw["ci_lower"] <= aipw["true_value"]) & (aipw["true_value"] <= aipw["ci_upper"])).tolist()
        if name == "placebo":
            assert (aipw["true_value"] == 1.0).all()
        else:
            # Repeat step-downs (no planted effect) dilute the planted ratio a little, never more.
            assert (aipw["true_value"] < 0.75).all() and (aipw["true_value"] >= 0.5).all()
    # Six 95% intervals: a miss is expected about once in three such runs, two would be rare
    # (under 4%). Coverage over many seeds is benchmarks/evaluate.py's.
    assert sum(covered) >= 5, covered


def test_evaluate_on_linked_tiny_england_estimates_partner_outcomes(tmp_path):
    # Tiny England (seed 2026, as the demo) linked: the partner covariates are too many for its
    # few step-downs and one outcome loses its common support; the command still finishes, says
    # so, and estimates what it can.
    from click.testing import CliRunner

    from earlyhelp.cli import main
    from earlyhelp.evaluate.analysis import PARTNER_ANALYSIS
    from earlyhelp.evaluate.truth import link_persons_from_truth
    from earlyhelp.synth.generate import generate

    data = generate(tmp_path / "tiny", scale="tiny", seed=2026)
    link_persons_from_truth(data)
    out = tmp_path / "evaluation"
    result = CliRunner().invoke(main, ["evaluate", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    estimates = pd.read_csv(out / "estimates.csv")
    partner = estimates[estimates["analysis"] == PARTNER_ANALYSIS]
    assert {"emergency_attendances_12m", "police_notifications_12m"} <= set(partner["outcome"])
    text = (out / "evaluation.md").read_text()
    assert "## Partner outcomes" in text and "not covariates (too few children for them)" in text
