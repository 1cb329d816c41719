"""`earlyhelp whatif` end to end on tiny synthetic England: the files, the baseline against the
data counted independently here, a placebo effect, the evaluation's effects, and user errors."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from earlyhelp.cli import main
from earlyhelp.synth.generate import generate
from earlyhelp.whatif import COLUMNS, run_whatif

REPLICATES = 30


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("whatif") / "tiny", scale="tiny", seed=3)


@pytest.fixture(scope="module")
def result(tiny, tmp_path_factory):
    return run_whatif(tiny, tmp_path_factory.mktemp("out"), replicates=REPLICATES)


def financial_year(dates: pd.Series) -> pd.Series:
    dates = pd.to_datetime(dates)
    start = dates.dt.year - (dates.dt.month < 4)
    return start * 100 + (start + 1) % 100


def observed_counts(data: Path) -> pd.DataFrame:
    """Referrals, CIN plan, CP plan and care (RNE S) starts per financial year, counted straight from
    the files, for children aged 17 or under on 1 April (the model's children)."""
    children = pd.read_parquet(data / "children.parquet", columns=["la_code", "child_id", "birth_month"])
    birth = pd.to_datetime(children["birth_month"] + "-01")
    children["birth_year"], children["birth_month_number"] = birth.dt.year, birth.dt.month
    counted = {}
    for measure, table, column, where in (
        ("referrals", "referrals", "referral_date", None),
        ("cin_starts", "cin_plans", "start_date", None),
        ("cp_starts", "cp_plans", "start_date", None),
        ("care_starts", "looked_after_episodes", "start_date", ("reason_new_episode", "S")),
    ):
        frame = pd.read_parquet(data / f"{table}.parquet")
        if where:
            frame = frame[frame[where[0]] == where[1]]
        frame = frame.merge(children, on=["la_code", "child_id"])
        frame["year"] = financial_year(frame[column])
        age = frame["year"] // 100 - frame["birth_year"] - (frame["birth_month_number"] >= 4)
        counted[measure] = frame[age <= 17].groupby("year").size()
    return pd.DataFrame(counted)


def test_whatif_csv_has_exactly_the_columns_measures_and_years(result):
    path = next(p for p in result.files if p.name == "whatif.csv")
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == COLUMNS
    assert {r["measure"] for r in rows} == {"referrals", "cin_starts", "cp_starts", "care_starts", "cost_pounds"}
    assert {r["scenario"] for r in rows} == {"baseline", "step_down_40", "reach_6pct"}
    # tiny synthetic England's returns end in 2019-20: five years 2020-21 .. 2024-25
    assert sorted({r["year"] for r in rows}) == ["202021", "202122", "202223", "202324", "202425"]
    counts = [int(r[c]) for r in rows if r["measure"] != "cost_pounds" for c in ("baseline", "projected", "change")]
    assert all(value % 10 == 0 for value in counts)  # disclosure control: counts to the nearest 10


def test_baseline_scenario_reproduces_the_baseline(result):
    baseline = result.projections[result.projections["scenario"] == "baseline"]
    assert ((baseline["ci_lower"] <= 0) & (baseline["ci_upper"] >= 0)).all()
    assert np.allclose(baseline["projected"], baseline["baseline"])


def test_baseline_back_test_matches_the_counts_in_the_data(tiny, result):
    observed = observed_counts(tiny)
    checked = result.backtest
    assert len(checked) == 16  # four measures, four years after the first (2016-17 .. 2019-20)
    for row in checked.itertuples():
        count = observed.loc[row.year, row.measure]
        assert row.observed_exact == count, (row.measure, row.year)
        assert row.lower_exact <= count <= row.upper_exact, (row.measure, row.year)


def test_scenarios_add_early_help_and_its_cost(result):
    last = result.projections[result.projections["year"] == result.projections["year"].max()]
    for scenario in ("step_down_40", "reach_6pct"):
        rows = last[last["scenario"] == scenario].set_index("measure")
        assert rows.loc["cost_pounds", "extra_early_help"] > 0
        assert (
            rows.loc["cost_pounds", "ci_lower"]
            <= rows.loc["cost_pounds", "change"]
            <= rows.loc["cost_pounds", "ci_upper"]
        )
    # the defaults were used, and said so
    assert result.effects.re_referral.source.startswith("default")
    assert "default" in (result.files[-1]).read_text(encoding="utf-8")


def estimates_file(folder: Path, re_referral: tuple[str, str, str], escalation: tuple[str, str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    header = "analysis,outcome,subgroup,estimand,estimate,ci_lower,ci_upper,n_treated,n_comparison,method\n"
    lines = [header]
    for outcome, (estimate, low, high) in (("re_referral_12m", re_referral), ("escalation_12m", escalation)):
        lines.append(
            f"step_down_vs_no_early_help,{outcome},all,ATT_risk_difference,-0.1,-0.2,0.0,50,500,AIPW (doubly robust)\n"
        )
        lines.append(
            f"step_down_vs_no_early_help,{outcome},all,ATT_risk_ratio,{estimate},{low},{high},50,500,AIPW (doubly robust)\n"
        )
        lines.append(f"step_down_vs_no_early_help,{outcome},all,ATT_risk_ratio,0.2,0.1,0.3,50,500,naive (unadjusted)\n")
    (folder / "estimates.csv").write_text("".join(lines), encoding="utf-8")
    return folder


def test_placebo_effect_of_one_changes_no_count(tiny, tmp_path):
    evaluation = estimates_file(tmp_path / "evaluation", ("1", "1", "1"), ("1", "1", "1"))
    placebo = run_whatif(tiny, tmp_path / "out", evaluation=evaluation, scenarios=["step_down_40"], replicates=5)
    assert placebo.effects.re_referral.estimate == 1.0  # AIPW preferred over naive
    rows = placebo.projections[placebo.projections["scenario"] == "step_down_40"]
    counts = rows[rows["measure"] != "cost_pounds"]
    assert (counts[["change", "ci_lower", "ci_upper"]] == 0).all().all()
    assert (rows[rows["measure"] == "cost_pounds"]["change"] > 0).all()


def test_a_strong_effect_from_the_evaluation_lowers_referrals(tiny, tmp_path):
    evaluation = estimates_file(tmp_path / "evaluation", ("0.3", "0.25", "0.35"), ("0.3", "0.25", "0.35"))
    strong = run_whatif(tiny, tmp_path / "out", evaluation=evaluation, scenarios=["reach_6pct"], replicates=10)
    rows = strong.projections[
        (strong.projections["scenario"] == "reach_6pct") & (strong.projections["measure"] == "referrals")
    ]
    assert (rows["change"].iloc[1:] < 0).all()  # from the second year, when the first year's help has acted
    assert "AIPW ATT risk ratio" in strong.effects.re_referral.source


def test_suppressed_estimates_fall_back_to_the_default(tiny, tmp_path):
    evaluation = estimates_file(tmp_path / "evaluation", ("c", "c", "c"), ("0.8", "0.7", "0.9"))
    evaluation.joinpath("estimates.csv").write_text(
        evaluation.joinpath("estimates.csv").read_text(encoding="utf-8").replace(",0.2,0.1,0.3,", ",c,c,c,"),
        encoding="utf-8",
    )
    from earlyhelp.whatif.effects import read_effects

    effects = read_effects(evaluation)
    assert effects.re_referral.source.startswith("default")
    assert effects.escalation.estimate == 0.8
    assert any("re_referral_12m" in note for note in effects.notes)


def test_workbook_holds_the_projections(result):
    book = openpyxl.load_workbook(next(p for p in result.files if p.suffix == ".xlsx"))
    assert book.sheetnames == ["About", "Projections", "Back-test", "Unit costs"]
    sheet = book["Projections"]
    assert [c.value for c in sheet[1]][:3] == ["Scenario", "Measure", "Year"]
    assert sheet.max_row == 1 + len(result.published)


def test_command_line(tiny, tmp_path):
    runner = CliRunner()
    out = tmp_path / "cli"
    done = runner.invoke(
        main, ["whatif", "--data", str(tiny), "--out", str(out), "--replicates", "3", "--scenario", "step_down_40"]
    )
    assert done.exit_code == 0, done.output
    assert {p.name for p in out.iterdir()} >= {"whatif.csv", "whatif.xlsx", "whatif.md", "whatif_backtest.csv"}
    scenarios = {row["scenario"] for row in csv.DictReader((out / "whatif.csv").open(encoding="utf-8"))}
    assert scenarios == {"baseline", "step_down_40"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--scenario", "no_such_thing"], "neither a built-in scenario nor a file"),
        (["--evaluation", "nowhere"], "--evaluation"),
    ],
)
def test_user_errors_are_clear(tiny, tmp_path, arguments, message):
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from earlyhelp.cli import run; run()",
            "whatif",
            "--data",
            str(tiny),
            "--out",
            str(tmp_path / "o"),
            *arguments,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_scenario_file(tiny, tmp_path):
    from earlyhelp.whatif.scenarios import resolve

    path = tmp_path / "half.toml"
    path.write_text('name = "half"\nstep_down_share = 0.5\n', encoding="utf-8")
    chosen = resolve([str(path)])
    assert [s.name for s in chosen] == ["baseline", "half"]
    assert chosen[1].step_down_share == 0.5
    path.write_text("step_down_share = 40\n", encoding="utf-8")
    with pytest.raises(Exception, match="between 0 and 1"):
        resolve([str(path)])
