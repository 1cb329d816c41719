"""The exact true effect of step-down on synthetic England (truth/step_down's probabilities)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from earlyhelp.engine import create_engine
from earlyhelp.evaluate.cohort import build_cohort
from earlyhelp.evaluate.truth import read_truth, true_effects
from earlyhelp.synth.generate import generate


def _truth() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "la_code": ["A", "A", "B"],
            "referral_id": ["r1", "r2", "r3"],
            # r3 was stepped down in the data only (early help for another reason): no effect.
            "stepped_down": [True, True, False],
            "p_re_referral_12m_stepped_down": [0.10, 0.30, 0.20],
            "p_re_referral_12m_not_stepped_down": [0.20, 0.40, 0.50],
            "p_re_referral_24m_stepped_down": [0.2, 0.4, 0.6],
            "p_re_referral_24m_not_stepped_down": [0.3, 0.6, 0.6],
        }
    )


def test_true_att_is_the_mean_difference_of_the_planted_probabilities():
    treated = pd.DataFrame({"la_code": ["A", "A", "B"], "referral_id": ["r1", "r2", "r3"]})
    truth = true_effects(treated, _truth(), "re_referral_12m")
    # p1 = (0.10, 0.30, 0.50) (r3 keeps its untreated 0.50), p0 = (0.20, 0.40, 0.50):
    # RD = (-0.1 - 0.1 + 0) / 3; RR = 0.9 / 1.1.
    assert truth["ATT_risk_difference"] == pytest.approx(-0.2 / 3)
    assert truth["ATT_risk_ratio"] == pytest.approx(0.9 / 1.1)
    assert true_effects(treated[:2], _truth(), "re_referral_24m")["ATT_risk_difference"] == pytest.approx(-0.15)
    assert true_effects(treated, _truth(), "escalation_12m") == {}


def test_a_folder_without_planted_probabilities_has_no_truth(tmp_path):
    (tmp_path / "truth").mkdir()
    _truth().drop(columns=["p_re_referral_24m_stepped_down"]).to_parquet(tmp_path / "truth" / "step_down.parquet")
    assert read_truth(tmp_path) is None
    assert read_truth(tmp_path / "elsewhere") is None


@pytest.mark.slow
def test_recorded_probabilities_match_the_simulated_outcomes(tmp_path):
    # One full-size LA: each group's share re-referred (what the data shows) must agree with the
    # mean of its recorded probabilities (what synth says it drew from) within 4 standard errors.
    data = generate(tmp_path / "la", scale="la", seed=11)
    with create_engine("duckdb") as engine:
        cohort = build_cohort(engine, data)
    truth = read_truth(data)
    assert truth is not None
    rows = cohort.merge(truth, on=["la_code", "referral_id"], suffixes=("", "_truth"))
    assert len(rows) == len(cohort) > 2000
    planted = rows["stepped_down_truth"].astype(bool)
    for outcome, months in (("re_referral_12m", "12m"), ("re_referral_24m", "24m")):
        followed = rows if months == "12m" else rows[rows["followed_24m"]]
        stepped = planted.loc[followed.index]
        p = np.where(
            stepped,
            followed[f"p_re_referral_{months}_stepped_down"],
            followed[f"p_re_referral_{months}_not_stepped_down"],
        )
        for group in (stepped, ~stepped):
            observed = followed.loc[group, outcome].astype(float).to_numpy()
            expected = p[group.to_numpy()]
            se = np.sqrt((expected * (1 - expected)).sum()) / len(expected)
            assert abs(observed.mean() - expected.mean()) < 4 * se, (outcome, len(expected))
