"""`earlyhelp evaluate` end to end on tiny synthetic England, and its errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from earlyhelp.cli import main
from earlyhelp.engine import create_engine
from earlyhelp.evaluate.cohort import build_cohort
from earlyhelp.evaluate.run import ESTIMATE_COLUMNS, SMALL_GROUP, disclosure_controlled
from earlyhelp.synth.generate import generate


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("evaluate") / "tiny", scale="tiny", seed=4)


def test_cohort_treatment_agrees_with_the_simulation(tiny):
    with create_engine("duckdb") as engine:
        cohort = build_cohort(engine, tiny)
    truth = pd.read_parquet(tiny / "truth" / "step_down.parquet")
    joined = cohort.merge(truth, on=["la_code", "referral_id"], suffixes=("", "_truth"))
    # Every cohort closure is a simulated closure below the threshold ...
    assert len(joined) == len(cohort) > 100
    # ... and the journeys definition of step-down finds the simulated step-downs (a few more:
    # community early help that happened to start within 28 days).
    assert (joined["stepped_down"] | ~joined["stepped_down_truth"]).all()
    assert (joined["stepped_down"] & ~joined["stepped_down_truth"]).mean() < 0.02
    # The 24-month window contains the 12-month one.
    assert (cohort["re_referral_24m"] | ~cohort["re_referral_12m"]).all()


def test_evaluate_writes_estimates_with_true_values(tiny, tmp_path):
    out = tmp_path / "evaluation"
    result = CliRunner().invoke(main, ["evaluate", "--data", str(tiny), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with (out / "estimates.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [*ESTIMATE_COLUMNS, "true_value"]
    methods = {row["method"].split(" ")[0] for row in rows if row["analysis"] == "step_down_vs_no_early_help"}
    assert methods == {"naive", "IPW", "AIPW", "Cox"}
    # The real LA panel is always estimated; tiny synthetic England has too few LAs for its own.
    panel = {(row["analysis"], row["outcome"]) for row in rows if row["estimand"] == "panel_coefficient"}
    assert panel == {("la_panel_real", "care_16_17"), ("la_panel_real", "care_1_4")}
    re_referral = [r for r in rows if r["outcome"] == "re_referral_12m" and r["estimand"] == "ATT_risk_ratio"]
    # The planted risk ratio is below 1 (0.7 before the need and deprivation modifiers).
    assert all(0.5 < float(r["true_value"]) < 1 for r in re_referral)
    text = (out / "evaluation.md").read_text()
    assert "naive (unadjusted difference)" in text and "AIPW" in text
    for chart in ("forest.svg", "km.svg"):
        svg = (out / chart).read_text()
        assert svg.startswith("<svg") and 'role="img"' in svg and "<title" in svg
    again = CliRunner().invoke(main, ["evaluate", "--data", str(tiny), "--out", str(out)])
    assert again.exit_code != 0 and "earlier `earlyhelp evaluate`" in str(again.exception)


def test_no_closed_assessments_is_a_clear_error(tiny, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for path in tiny.glob("*.parquet"):
        table = pd.read_parquet(path)
        if path.stem == "referrals":
            table = table[~table["closure_reason"].isin(["RC8", "RC9"])]
        table.to_parquet(data / path.name)
    result = CliRunner().invoke(main, ["evaluate", "--data", str(data), "--out", str(tmp_path / "out")])
    assert result.exit_code != 0
    assert "No closed assessments in this data" in str(result.exception)


def test_small_groups_are_suppressed():
    estimates = pd.DataFrame(
        [
            {
                "analysis": "a",
                "outcome": "o",
                "subgroup": "all",
                "estimand": "ATT_risk_difference",
                "estimate": -0.05,
                "ci_lower": -0.1,
                "ci_upper": 0.0,
                "n_treated": n,
                "n_comparison": 500,
                "method": "m",
            }
            for n in (SMALL_GROUP - 1, SMALL_GROUP)
        ]
    )
    published = disclosure_controlled(estimates)
    assert published.iloc[0][["estimate", "ci_lower", "ci_upper", "n_treated"]].tolist() == ["c"] * 4
    assert published.iloc[1][["estimate", "n_treated"]].tolist() == ["-0.0500", "10"]


@pytest.mark.spark
def test_spark_builds_the_same_cohort(tiny, spark):
    with create_engine("duckdb") as engine:
        expected = build_cohort(engine, tiny)
    with create_engine("spark", spark=spark) as engine:
        got = build_cohort(engine, tiny)
    columns = ["referral_id", "stepped_down", "re_referral_12m", "re_referral_24m", "escalation_12m", "prior_referrals"]
    pd.testing.assert_frame_equal(
        got[columns].reset_index(drop=True), expected[columns].reset_index(drop=True), check_dtype=False
    )
