"""`earlyhelp thresholds` end to end on a tiny synthetic England with planted thresholds, and the planting."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from earlyhelp.engine import create_engine
from earlyhelp.errors import UsageError
from earlyhelp.synth import generate
from earlyhelp.synth.generate import settings_for
from earlyhelp.synth.settings import ThresholdEffect
from earlyhelp.synth.simulate import planted_thresholds
from earlyhelp.thresholds import dataset
from earlyhelp.thresholds.cli import thresholds


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("planted")
    settings = settings_for("tiny", "201718:201920", 3).with_changes(threshold=ThresholdEffect(la_sigma=0.6))
    return generate(folder / "data", settings=settings)


def test_window_is_three_financial_years_ending_a_quarter_before_the_data():
    assert dataset.analysis_window(date(2021, 6, 30)) == dataset.Window(date(2018, 4, 1), date(2021, 3, 31))
    assert dataset.analysis_window(date(2021, 3, 31)) == dataset.Window(date(2017, 4, 1), date(2020, 3, 31))


def test_truth_is_written_only_when_planted_and_does_not_depend_on_the_scale(planted, tmp_path):
    truth = pd.read_csv(planted / "truth" / "thresholds.csv")
    assert list(truth.columns) == ["la_code", "planted_effect"]
    assert list(truth["la_code"]) == ["E06000001", "E06000017", "E08000029"]
    effects = json.loads((planted / "truth" / "effects.json").read_text())
    assert effects["threshold"] == {"la_sigma": 0.6, "planted": {}}
    region = settings_for("region", "201718:201920", 3).with_changes(threshold=ThresholdEffect(la_sigma=0.6))
    hartlepool_in_region = planted_thresholds(region, ["E06000001"])[0]
    assert truth.loc[0, "planted_effect"] == pytest.approx(hartlepool_in_region, abs=1e-6)
    unplanted = settings_for("tiny", "201718:201920", 3)
    assert not np.any(planted_thresholds(unplanted, ["E06000001", "E06000017"]))
    assert "threshold" not in unplanted.effects_document()


def test_records_flag_each_decision_only_where_it_can_happen(planted):
    with create_engine("duckdb") as engine:
        engine.register_ehld(planted, tables=dataset.TABLES)
        window = dataset.window_of(engine)
        records = dataset.referral_records(engine, window)
    (referrals,) = duckdb.sql(
        f"SELECT count(*), count(*) FILTER (WHERE referral_nfa) FROM read_parquet('{planted / 'referrals.parquet'}') "
        f"WHERE referral_date BETWEEN DATE '{window.first_day}' AND DATE '{window.last_day}'"
    ).fetchall()
    assert (len(records), int(records["nfa"].sum())) == referrals
    nfa = records["nfa"].astype(bool)
    assert records.loc[nfa, ["not_in_need", "cin_plan", "cp_plan", "step_down"]].isna().all().all()
    not_in_need = records["not_in_need"].eq(True)
    assert records.loc[not_in_need, ["cin_plan", "cp_plan"]].isna().all().all()
    assert records.loc[records["cp_plan"].eq(True), "cin_plan"].isna().all()
    assert records["step_down"].notna().sum() <= not_in_need.sum()


def test_cli_writes_the_index_and_protects_the_folder(planted, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(thresholds, ["--data", str(planted), "--out", str(out)])
    assert result.exit_code == 0, result.output
    index = pd.read_csv(out / "threshold_index.csv")
    assert list(index.columns) == ["la_code", "decision", "index", "ci_lower", "ci_upper"]
    assert set(index["decision"]) <= {"nfa", "not_in_need", "step_down", "cin_plan", "cp_plan", "eh_reach", "threshold"}
    assert (index["ci_lower"] <= index["index"]).all() and (index["index"] <= index["ci_upper"]).all()
    for name in ("thresholds.md", "la_r_squared.csv", "la_variation.csv", "threshold_neighbours.csv"):
        assert (out / name).is_file()
    for svg in out.glob("*.svg"):
        text = svg.read_text()
        assert 'role="img"' in text and "<title" in text and "<desc" in text
    r_squared = pd.read_csv(out / "la_r_squared.csv")
    real = r_squared[r_squared["source"].str.startswith("real panel")]
    assert set(real["measure"]) == {"cin_rate", "cp_rate"} and real["r_squared"].between(0, 1).all()
    again = CliRunner().invoke(thresholds, ["--data", str(planted), "--out", str(out)])
    assert isinstance(again.exception, UsageError) and "--force" in (again.exception.hint or "")
    forced = CliRunner().invoke(thresholds, ["--data", str(planted), "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert pd.read_csv(out / "threshold_index.csv").equals(index)


def test_cli_wants_exactly_one_source(planted, tmp_path):
    both = CliRunner().invoke(
        thresholds, ["--data", str(planted), "--warehouse", str(planted / "x.duckdb"), "--out", str(tmp_path / "o")]
    )
    assert isinstance(both.exception, UsageError) and "exactly one" in both.exception.message
    neither = CliRunner().invoke(thresholds, ["--out", str(tmp_path / "o")])
    assert isinstance(neither.exception, UsageError)
