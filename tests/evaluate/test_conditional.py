"""The conditional-effect model (econml's LinearDRLearner) against planted truth."""

from __future__ import annotations

import pandas as pd
import pytest
from tests.synth.test_effects_file import BENCHMARK_EFFECTS

from earlyhelp.engine import create_engine
from earlyhelp.evaluate.cohort import build_cohort
from earlyhelp.evaluate.conditional import CONDITIONAL_ANALYSIS, conditional_effects
from earlyhelp.evaluate.truth import read_truth
from earlyhelp.synth.effects_file import apply_effects, read_effects
from earlyhelp.synth.generate import generate, settings_for


def test_too_few_children_on_either_side_fits_nothing():
    frame = pd.DataFrame({"stepped_down": [True] * 10 + [False] * 500})
    assert conditional_effects(frame) == []


@pytest.mark.slow
def test_group_effects_cover_the_planted_truth_when_selection_is_on_recorded_data(tmp_path):
    # One LA-sized world, stronger effects with the heterogeneity reversed (abuse or neglect and
    # the most deprived benefit most), step-down chosen on deprivation and need only.
    effects = read_effects(BENCHMARK_EFFECTS / "stronger_reversed_observed_selection.json")
    data = generate(tmp_path / "la", settings=apply_effects(settings_for("la", seed=3), effects))
    with create_engine("duckdb") as engine:
        cohort = build_cohort(engine, data)
    rows = pd.DataFrame(conditional_effects(cohort, truth=read_truth(data)))
    assert set(rows["analysis"]) == {CONDITIONAL_ANALYSIS}
    assert {s.split("=")[0] for s in rows["subgroup"]} == {
        "primary_need",
        "deprivation_quintile",
        "age_group",
        "family_type",
    }
    covered = (rows["ci_lower"] <= rows["true_value"]) & (rows["true_value"] <= rows["ci_upper"])
    assert covered.mean() >= 0.9, rows[~covered][["subgroup", "estimate", "true_value"]].to_string()
    # Every true effect is a benefit, and the estimates agree on the sign of the average.
    assert (rows["true_value"] < 0).all() and rows["estimate"].mean() < 0
