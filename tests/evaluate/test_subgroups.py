""" "For whom" and "which help": pre-stated subgroups with Bonferroni-adjusted intervals."""

from __future__ import annotations

from statistics import NormalDist

import pandas as pd
import pytest

from earlyhelp.engine import create_engine
from earlyhelp.evaluate.analysis import (
    FOR_WHOM_ANALYSIS,
    WHICH_HELP_ANALYSIS,
    _adjusted_row,
    for_whom_and_which_help,
    subgroup_columns,
)
from earlyhelp.evaluate.cohort import build_cohort
from earlyhelp.evaluate.estimators import Z95, Effect
from earlyhelp.evaluate.truth import read_truth
from earlyhelp.synth.effects_file import apply_effects
from earlyhelp.synth.generate import generate, settings_for


def test_bonferroni_widens_the_interval_for_the_number_of_groups():
    # A risk difference of -0.10 with standard error 0.01 (95% CI +-1.96 x 0.01); over 4 groups
    # the family-wise interval uses z at 1 - 0.05 / 8 = 0.99375, 2.4977.
    effect = Effect("AIPW", 0.2, 0.3, -0.10, -0.10 - Z95 * 0.01, -0.10 + Z95 * 0.01, 0.67, 0.6, 0.7)
    row = _adjusted_row(FOR_WHOM_ANALYSIS, "age_group=0-4", effect, 4, 100, 400, None)
    assert NormalDist().inv_cdf(0.99375) == pytest.approx(2.4977, abs=1e-4)
    assert row["ci_lower"] == pytest.approx(-0.10 - 0.024977, abs=1e-6)
    assert row["ci_upper"] == pytest.approx(-0.10 + 0.024977, abs=1e-6)
    assert "Bonferroni" in row["method"] and "4 groups" in row["method"]
    assert "true_value" not in row


def test_groups_are_the_stated_ones():
    frame = pd.DataFrame(
        {
            "age": [0.5, 4.99, 5.0, 15.9, 16.0, 17.5],
            "idaci_decile": [1, 2, 3, 10, None, 6],
            "family_size": [1, 2, 1, 3, 1, 1],
            "primary_need": ["N1", "N2", "N1", None, "N4", "N5"],
        }
    )
    groups = subgroup_columns(frame)
    assert groups["age_group"].tolist() == ["0-4", "0-4", "5-9", "10-15", "16-17", "16-17"]
    assert groups["deprivation_quintile"].str[:1].tolist() == ["1", "1", "2", "5", "u", "3"]
    assert groups["family_type"].tolist()[:2] == ["only child known", "with siblings known"]
    assert groups["primary_need"].tolist()[3] == "unknown"


@pytest.mark.slow
def test_subgroup_intervals_cover_the_planted_truth_without_hidden_confounding(tmp_path):
    # One full-size LA with stronger, reversed heterogeneity and service effects, and step-down
    # chosen without the unrecorded latent risk, so the adjusted estimates have nothing hidden
    # to miss: the family-wise intervals should cover each group's exact true effect.
    settings = apply_effects(
        settings_for("la", seed=3),
        {
            "step_down": {"re_referral_rr_12m": 0.5},
            "step_down_selection": {"latent_risk": 0.0},
            "service_types": {"re_referral_rr": {"parenting_programme": 0.6, "substance_use": 1.2}},
        },
    )
    data = generate(tmp_path / "la", settings=settings)
    with create_engine("duckdb") as engine:
        cohort = build_cohort(engine, data)
    rows = pd.DataFrame(for_whom_and_which_help(cohort, truth=read_truth(data)))
    for_whom = rows[rows["analysis"] == FOR_WHOM_ANALYSIS]
    which = rows[rows["analysis"] == WHICH_HELP_ANALYSIS]
    assert {s.split("=")[0] for s in for_whom["subgroup"]} == {
        "primary_need",
        "deprivation_quintile",
        "age_group",
        "family_type",
    }
    assert len(which) == 5 and which["true_value"].notna().all()
    covered = (rows["ci_lower"] <= rows["true_value"]) & (rows["true_value"] <= rows["ci_upper"])
    assert covered.mean() >= 0.9, rows[~covered][["subgroup", "estimate", "true_value"]].to_string()
    # Parenting programmes were planted to help more than substance use services.
    truth = which.set_index("subgroup")["true_value"]
    assert truth["service_type=parenting_programme"] < truth["service_type=substance_use"]
