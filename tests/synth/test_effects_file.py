"""`earlyhelp synth --effects FILE`: reading, checking and planting the effects it names, and the
exact per-closure truth of step-down."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from earlyhelp.errors import UsageError
from earlyhelp.synth.cli import synth
from earlyhelp.synth.effects_file import apply_effects, read_effects
from earlyhelp.synth.generate import generate, settings_for
from earlyhelp.synth.settings import StepDownEffect
from earlyhelp.synth.simulate import planted_thresholds

BENCHMARK_EFFECTS = Path(__file__).parents[2] / "benchmarks" / "effects"


def _settings(document: dict):
    return apply_effects(settings_for("tiny", seed=1), document)


def test_json_and_toml_give_the_same_settings(tmp_path):
    (tmp_path / "e.json").write_text(
        json.dumps({"step_down": {"re_referral_rr_12m": 0.5}, "thresholds": {"sigma": 0.4}})
    )
    (tmp_path / "e.toml").write_text("[step_down]\nre_referral_rr_12m = 0.5\n[thresholds]\nsigma = 0.4\n")
    from_json = _settings(read_effects(tmp_path / "e.json"))
    from_toml = _settings(read_effects(tmp_path / "e.toml"))
    assert from_json == from_toml
    assert from_json.step_down.re_referral_rr_12m == 0.5
    # What the file leaves out stays the default.
    assert from_json.step_down.re_referral_rr_24m == StepDownEffect().re_referral_rr_24m
    assert from_json.threshold.la_sigma == 0.4


def test_an_earlier_effects_json_can_be_given_back(tmp_path):
    folder = generate(tmp_path / "syn", scale="tiny", seed=1)
    document = read_effects(folder / "truth" / "effects.json")
    assert _settings(document).effects_document() == settings_for("tiny", seed=1).effects_document()


@pytest.mark.parametrize(
    "document",
    [
        {"stepdown": {}},
        {"step_down": {"rr": 0.5}},
        {"step_down": {"re_referral_rr_12m": 0}},
        {"step_down": {"re_referral_rr_12m": "low"}},
        {"step_down": {"benefit_by_need": {"N1": 1.0}}},
        {"service_types": {"re_referral_rr": {"yoga": 0.5}}},
        {"partner_outcomes": {"police_notification_rr": -1}},
        {"thresholds": {"sigma": -0.1}},
        {"thresholds": {"planted": {"E06000001": "high"}}},
        {"spend": 3},
    ],
)
def test_a_wrong_effects_file_is_a_usage_error(document):
    with pytest.raises(UsageError):
        _settings(document)


def test_unreadable_files_are_usage_errors(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "list.json").write_text("[1, 2]")
    for name in ("bad.json", "list.json", "missing.toml"):
        with pytest.raises(UsageError):
            read_effects(tmp_path / name)


def test_thresholds_from_the_file_or_the_option_not_both(tmp_path):
    path = tmp_path / "e.json"
    path.write_text(json.dumps({"thresholds": {"sigma": 0.3}}))
    result = CliRunner().invoke(
        synth,
        ["--out", str(tmp_path / "o"), "--effects", str(path), "--threshold-sigma", "0.2"],
        standalone_mode=False,
    )
    assert isinstance(result.exception, UsageError)


def test_per_la_thresholds_are_planted_as_given():
    settings = _settings({"thresholds": {"planted": {"E06000001": 0.25, "E08000029": -0.5}}})
    shifts = planted_thresholds(settings, ["E06000001", "E06000017", "E08000029"])
    assert shifts.tolist() == [0.25, 0.0, -0.5]
    assert settings.effects_document()["threshold"]["planted"] == {"E06000001": 0.25, "E08000029": -0.5}


def test_new_sections_enter_effects_json_only_when_planted():
    default = settings_for("tiny", seed=1).effects_document()
    assert set(default) == {"step_down", "spend", "behaviour", "identity_faults"}
    planted = _settings(
        {
            "service_types": {"re_referral_rr": {"parenting_programme": 0.8}},
            "partner_outcomes": {"police_notification_rr": 0.5},
            "step_down_selection": {"latent_risk": 0.0},
        }
    ).effects_document()
    assert planted["service_types"]["re_referral_rr"] == {"parenting_programme": 0.8}
    assert planted["partner_outcomes"]["police_notification_rr"] == 0.5
    assert planted["step_down_selection"]["latent_risk"] == 0.0


def test_benchmark_effects_files_are_valid():
    for path in sorted(BENCHMARK_EFFECTS.glob("*.json")):
        apply_effects(settings_for("tiny"), read_effects(path), source=path.name)


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> dict[str, Path]:
    """Tiny synthetic England, seed 5, with no effect (placebo) and with the stronger file."""
    root = tmp_path_factory.mktemp("effects")
    folders = {}
    for name in ("placebo", "stronger_reversed"):
        settings = apply_effects(settings_for("tiny", seed=5), read_effects(BENCHMARK_EFFECTS / f"{name}.json"))
        folders[name] = generate(root / name, settings=settings)
    return folders


def test_placebo_truth_has_the_same_chance_with_and_without_step_down(planted):
    truth = pd.read_parquet(planted["placebo"] / "truth" / "step_down.parquet")
    assert len(truth) > 100
    for months in ("12m", "24m"):
        assert (
            truth[f"p_re_referral_{months}_stepped_down"] == truth[f"p_re_referral_{months}_not_stepped_down"]
        ).all()


def test_truth_probabilities_follow_the_planted_ratio(planted):
    truth = pd.read_parquet(planted["stronger_reversed"] / "truth" / "step_down.parquet")
    p1, p0 = truth["p_re_referral_12m_stepped_down"], truth["p_re_referral_12m_not_stepped_down"]
    assert ((p0 >= 0) & (p0 <= 1) & (p1 >= 0) & (p1 <= 1)).all()
    # p1 = p0 x the planted ratio (step-down's ratio, with need and deprivation, times the main
    # service's), except for the few very high-risk children whose chances the simulation caps
    # (0.97 over all windows); every ratio here is below 1, so p1 <= p0 for all.
    # A 12-month chance is at most the 24-month one.
    ratio = truth["re_referral_rr_12m"]
    assert (ratio < 1).all() and (p1 <= p0 + 1e-12).all()
    assert np.isclose(p1, p0 * ratio).mean() > 0.9
    assert (truth["p_re_referral_24m_not_stepped_down"] >= p0 - 1e-12).all()
    # The reversed heterogeneity: N1 in deciles 1-3 benefits most, 1 - 0.45 x 1.4 x 1.3 = 0.181,
    # times its service's ratio (parenting programme 0.8).
    rows = truth[(truth["primary_need"] == "N1") & (truth["idaci_decile"] <= 3)]
    parenting = rows[rows["main_service"] == "parenting_programme"]
    assert len(parenting) and np.allclose(parenting["re_referral_rr_12m"], 0.181 * 0.8)


def test_a_step_down_episode_has_its_planted_main_service_only(planted):
    folder = planted["stronger_reversed"]
    truth = pd.read_parquet(folder / "truth" / "step_down.parquet")
    referrals = pd.read_parquet(
        folder / "referrals.parquet", columns=["la_code", "referral_id", "child_id", "closure_date"]
    )
    episodes = pd.read_parquet(folder / "early_help_episodes.parquet")
    services = pd.read_parquet(folder / "early_help_services.parquet")
    stepped = truth[truth["stepped_down"]].merge(referrals, on=["la_code", "referral_id"])
    step_down_episodes = episodes[episodes["request_source"] == "csc_step_down"].merge(
        stepped, left_on=["la_code", "child_id", "request_date"], right_on=["la_code", "child_id", "closure_date"]
    )
    assert len(step_down_episodes) > 20
    rows = step_down_episodes.merge(services, on=["la_code", "episode_id"])
    assert rows.groupby(["la_code", "episode_id"]).size().eq(1).all()
    assert (rows["service_type"] == rows["main_service"]).all()


def _window_events(folder: Path) -> pd.DataFrame:
    """Police notifications, each flagged if it falls 1..365 days after its person's first
    step-down (found through the truth: partner record -> true person -> child -> closure)."""
    events = pd.read_parquet(folder / "police_notifications.parquet")
    records = pd.read_parquet(
        folder / "truth" / "person_records.parquet", columns=["source_record_id", "true_person_id"]
    )
    children = pd.read_parquet(folder / "truth" / "children.parquet", columns=["la_code", "child_id", "true_person_id"])
    truth = pd.read_parquet(folder / "truth" / "step_down.parquet", columns=["la_code", "referral_id", "stepped_down"])
    referrals = pd.read_parquet(
        folder / "referrals.parquet", columns=["la_code", "referral_id", "child_id", "closure_date"]
    )
    stepped = truth[truth["stepped_down"]].merge(referrals).merge(children)
    first = stepped.groupby("true_person_id")["closure_date"].min().rename("stepped_down_on").reset_index()
    events = events.merge(records, left_on="person_id", right_on="source_record_id").merge(first, how="left")
    gap = (pd.to_datetime(events["event_date"]) - pd.to_datetime(events["stepped_down_on"])).dt.days
    events["in_window"] = (gap >= 1) & (gap <= 365)
    return events[["person_id", "event_date", "event_type", "in_window"]]


@pytest.mark.slow
def test_partner_effects_change_only_the_year_after_step_down(tmp_path):
    # The same seed without and with police notifications halved after step-down: events outside
    # the year after step-down are the same events; inside it, about half are left.
    folders = {}
    for ratio in (1.0, 0.5):
        settings = apply_effects(settings_for("la", seed=6), {"partner_outcomes": {"police_notification_rr": ratio}})
        folders[ratio] = generate(tmp_path / f"p{ratio}", settings=settings)
    before, after = _window_events(folders[1.0]), _window_events(folders[0.5])
    outside = ["person_id", "event_date", "event_type"]

    def sorted_outside(events: pd.DataFrame) -> pd.DataFrame:
        return events[~events["in_window"]][outside].sort_values(outside).reset_index(drop=True)

    assert sorted_outside(before).equals(sorted_outside(after))
    window_before, window_after = int(before["in_window"].sum()), int(after["in_window"].sum())
    assert window_before > 30
    # Binomial(window_before, 0.5): within 4 standard deviations of half.
    assert abs(window_after - window_before / 2) < 4 * (window_before * 0.25) ** 0.5
