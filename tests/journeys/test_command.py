"""`earlyhelp journeys` on tiny synthetic England, DuckDB against Spark, disclosure control of the
transitions, and the identifier scan of everything it writes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from earlyhelp.cli import main
from earlyhelp.journeys import run, survival, transitions
from earlyhelp.synth import generate


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("journeys") / "tiny", scale="tiny", seed=7)


@pytest.fixture(scope="module")
def journeys_out(tiny, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("journeys-out") / "out"
    result = CliRunner().invoke(main, ["journeys", "--data", str(tiny), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _cover(la: str, region: str) -> transitions.ReturnCover:
    return transitions.ReturnCover(region, dt.date(2019, 4, 1), dt.date(2020, 3, 31), dt.date(2021, 6, 30))


def _csc(la: str, closed: int, stepped_down: int, re_referred_after_step_down: int, re_referred_otherwise: int):
    return {
        "la_code": la,
        "time_period": 201920,
        "flow": "csc",
        "closed": closed,
        "first_step": stepped_down,
        "first_step_outcome": re_referred_after_step_down,
        "other_outcome": re_referred_otherwise,
        "first_step_second_outcome": 0,
        "other_second_outcome": 0,
    }


def test_transitions_pass_through_disclosure_control_and_its_audit():
    computed = run.Computed(
        timeline=None,
        timeline_rows=0,
        counts=[_csc("E06000001", 30, 20, 2, 4), _csc("E06000002", 40, 25, 10, 7)],
        closures=pd.DataFrame(),
        returns={"E06000001": _cover("E06000001", "R1"), "E06000002": _cover("E06000002", "R1")},
        areas=[
            {"la_code": la, "la_name": f"LA {la}", "region_code": "R1", "region_name": "Region One"}
            for la in ("E06000001", "E06000002")
        ],
    )
    _, published = run.publish_transitions(computed, threshold=5)
    assert tuple(published.columns) == run.TRANSITION_COLUMNS
    first = published[published["la_code"] == "E06000001"].set_index("transition")["count"]
    # 2 re-referred after step-down is c; 20 stepped down = 2 + 18, so the 18 is c too.
    assert first["re_referral_after_stepped_down"] == "c"
    assert first["no_re_referral_after_stepped_down"] == "c"
    # 4 re-referred with no early help is c; 10 = 4 + 6, so the 6 is c too.
    assert first["re_referral_after_closed_no_early_help"] == "c"
    assert first["no_re_referral_after_closed_no_early_help"] == "c"
    assert first["step_down"] == "20" and first["no_step_down"] == "10"
    # No early help closed anywhere: zeros are published as 0.
    assert first["step_up"] == "0"
    region = published[published["geographic_level"] == "Regional"].set_index("transition")["count"]
    # 20 + 25 = 45 stepped down, rounded half away from zero to 50; 10 + 15 = 25 to 30.
    assert region["step_down"] == "50" and region["no_step_down"] == "30"
    assert set(published["from_state"]) >= {"closed_after_assessment", "stepped_down", "early_help_closed"}


def test_a_suppressed_count_left_recoverable_is_caught_by_the_audit(monkeypatch):
    import pyarrow as pa

    from earlyhelp.errors import DataError

    real = run.disclosure_control

    def without_secondary_suppression(*args, **kwargs):
        # Show the 18 again: with 20 stepped down published, the suppressed 2 is 20 - 18.
        rows = real(*args, **kwargs).to_pylist()
        for row in rows:
            if row["indicator"] == "no_re_referral_after_stepped_down" and row["new_la_code"] == "E06000001":
                row["numerator"] = row["value"] = "18"
        return pa.Table.from_pylist(rows)

    computed = run.Computed(
        timeline=None,
        timeline_rows=0,
        counts=[_csc("E06000001", 30, 20, 2, 4)],
        closures=pd.DataFrame(),
        returns={"E06000001": _cover("E06000001", "R1")},
        areas=[],
    )
    run.publish_transitions(computed, threshold=5)  # as published: the audit passes
    monkeypatch.setattr(run, "disclosure_control", without_secondary_suppression)
    with pytest.raises(DataError, match="Disclosure audit failed"):
        run.publish_transitions(computed, threshold=5)


def test_every_state_adds_up():
    # The second step's from_states are the first step's to_states, and the relations say so.
    first_step = {
        t.to_state for t in transitions.TRANSITIONS if t.from_state in ("closed_after_assessment", "early_help_closed")
    }
    second_step = {t.from_state for t in transitions.TRANSITIONS} - {"closed_after_assessment", "early_help_closed"}
    assert first_step == second_step
    for (total, _), parts in transitions.RELATIONS:
        state = transitions.BY_NAME[total].to_state
        assert {transitions.BY_NAME[name].from_state for name, _ in parts} == {state}
        assert len(parts) == sum(1 for t in transitions.TRANSITIONS if t.from_state == state)


@pytest.mark.slow
def test_command_on_tiny_synthetic_england(journeys_out):
    published = pd.read_csv(journeys_out / "transitions.csv", dtype=str, keep_default_na=False)
    assert tuple(published.columns) == run.TRANSITION_COLUMNS
    assert set(published["geographic_level"]) == {"National", "Regional", "Local authority"}
    wider = published[published["geographic_level"] != "Local authority"]["count"]
    # Regional and national counts are rounded to 10 (or suppressed, or not available).
    assert all(value in ("c", "x") or int(value) % 10 == 0 for value in wider)
    assert (published["count"] == "c").any()
    km = pd.read_csv(journeys_out / "km.csv", dtype=str, keep_default_na=False)
    assert tuple(km.columns) == survival.KM_COLUMNS
    shown = km[~km["cumulative_incidence"].isin(["c", "x"])]
    assert not shown.empty
    for row in shown.itertuples():
        assert float(row.ci_lower) <= float(row.cumulative_incidence) <= float(row.ci_upper)
        assert row.at_risk == "c" or int(row.at_risk) >= survival.MIN_RISK_SET
    for name in ("flow.svg", "km_after_assessment_closure_re_referral.svg"):
        svg = (journeys_out / name).read_text()
        assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "| from | to | closures |" in (journeys_out / "journeys.md").read_text()


@pytest.mark.slow
def test_transitions_agree_with_the_indicators(tiny, journeys_out, tmp_path):
    """The same journey definitions, counted by another stage: the indicators' step-down,
    missed step-down and step-up numerators are transitions of this table."""
    result = CliRunner().invoke(main, ["indicators", "--data", str(tiny), "--out", str(tmp_path / "ind")])
    assert result.exit_code == 0, result.output
    indicators = pd.read_csv(tmp_path / "ind" / "internal" / "indicators_unsuppressed.csv", dtype=str)
    indicators = indicators[
        (indicators["geographic_level"] == "Local authority") & (indicators["breakdown"] == "Total")
    ]
    ours = pd.read_csv(journeys_out / "internal" / "transitions_unsuppressed.csv", dtype=str)
    ours = ours[ours["geographic_level"] == "Local authority"]
    pairs = {
        ("step_down_pct", "numerator"): ["step_down"],
        ("step_down_pct", "denominator"): ["step_down", "no_step_down"],
        ("missed_step_down", "numerator"): ["re_referral_after_closed_no_early_help"],
        ("eh_step_up_pct", "numerator"): ["step_up"],
        ("eh_escalation_pct", "numerator"): ["escalation_after_stepped_up", "escalation_after_early_help_ended"],
    }
    compared = 0
    for (indicator, field), names in pairs.items():
        theirs = indicators[indicators["indicator"] == indicator].set_index(["time_period", "la_code"])[field]
        mine = ours[ours["indicator"].isin(names)]
        mine = mine[mine["numerator"] != "x"].astype({"numerator": int})
        mine = mine.groupby(["time_period", "la_code"])["numerator"].sum()
        for key, value in mine.items():
            if key in theirs.index and theirs[key] not in ("x", "z"):
                assert int(theirs[key]) == value, (indicator, field, key)
                compared += 1
    assert compared >= 20


@pytest.mark.slow
def test_no_identifier_in_anything_it_writes_or_logs_on_linked_data(tiny, tmp_path):
    import os
    import secrets
    import shutil
    import subprocess
    import sys

    from tests.privacy.identifier_scan import IdentityRecords, Scanner, in_identity_zone

    # Linked, so that partner events (school, health, police) reach the timelines through person_id.
    env = {**os.environ, "EARLYHELP_LINK_SECRET": secrets.token_hex(32)}
    earlyhelp = [sys.executable, "-c", "from earlyhelp.cli import run; run()", "-v"]
    analytic = tmp_path / "analytic"
    shutil.copytree(
        tiny, analytic, ignore=shutil.ignore_patterns("truth", "person_identifiers.*", "episode_postcodes.*")
    )
    linking = [
        *earlyhelp,
        "link",
        "--identities",
        str(tiny),
        "--out",
        str(tmp_path / "linkage"),
        "--analytic",
        str(analytic),
    ]
    linked = subprocess.run(linking, env=env, capture_output=True, text=True, timeout=600)
    assert linked.returncode == 0, linked.stderr[-2000:]
    out = tmp_path / "out"
    ran = subprocess.run(
        [*earlyhelp, "journeys", "--data", str(analytic), "--out", str(out)], env=env, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "journeys.stdout.log").write_text(ran.stdout)
    (logs / "journeys.stderr.log").write_text(ran.stderr)

    timelines = pd.read_parquet(out / "internal" / "journey_timelines.parquet")
    assert {"school_year", "health_event", "police_notification"} <= set(timelines["event_type"])
    records = IdentityRecords()
    records.add_folder(tiny)
    assert all(size > 10 for size in records.sizes().values()), records.sizes()
    for folder in (out, logs):
        result = Scanner(records).scan(folder, identity_zone=in_identity_zone())
        assert result.unreadable == []
        assert result.total == 0, result.summary()
    assert Scanner(records).scan(out, identity_zone=in_identity_zone()).scanned["parquet"] >= 1
    # Neither the published files nor the logs name a child or a person: no child_id or person_id
    # of the data appears in them.
    children = pd.read_parquet(analytic / "children.parquet")
    ids = set(children["child_id"]) | set(children["person_id"].dropna())
    for name in ("transitions.csv", "km.csv"):
        cells = set(pd.read_csv(out / name, dtype=str, keep_default_na=False).to_numpy().ravel())
        assert not cells & ids, name
    for text in (ran.stdout, ran.stderr, (out / "journeys.md").read_text(), (out / "flow.svg").read_text()):
        assert not any(identifier in text for identifier in ids)


@pytest.mark.spark
def test_spark_and_duckdb_agree(tiny, spark, tmp_path):
    import pyarrow.parquet as pq

    on_duckdb = run.compute(tiny, "duckdb")
    # On Spark through the command's route: the timelines written an LA at a time.
    on_spark = run.compute(tiny, "spark", spark=spark, timeline_file=tmp_path / "timelines.parquet")
    spark_timeline = pq.read_table(tmp_path / "timelines.parquet")

    def rows(table) -> list[tuple]:
        return sorted(tuple(str(v) for v in row.values()) for row in table)

    assert on_duckdb.timeline is not None and on_duckdb.timeline.num_rows > 1000
    assert spark_timeline.schema == on_duckdb.timeline.schema
    # Each engine numbers the events itself: the same rows, with the same numbers.
    assert rows(spark_timeline.to_pylist()) == rows(on_duckdb.timeline.to_pylist())
    assert rows(on_spark.counts) == rows(on_duckdb.counts)
    assert rows(on_spark.closures.to_dict("records")) == rows(on_duckdb.closures.to_dict("records"))
    assert on_spark.returns == on_duckdb.returns
    # And so every published figure is the same.
    _, duck = run.publish_transitions(on_duckdb, 5)
    _, spark_published = run.publish_transitions(on_spark, 5)
    pd.testing.assert_frame_equal(duck, spark_published)
    km_duck = survival.km_table(survival.curves(on_duckdb.closures), 5)[1]
    km_spark = survival.km_table(survival.curves(on_spark.closures), 5)[1]
    pd.testing.assert_frame_equal(km_duck, km_spark)


@pytest.mark.slow
def test_from_a_warehouse_the_same_as_from_the_folder(tiny, journeys_out, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    loaded = CliRunner().invoke(main, ["load", str(tiny), "--warehouse", str(warehouse), "--skip-identity"])
    assert loaded.exit_code == 0, loaded.output
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["journeys", "--warehouse", str(warehouse), "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("transitions.csv", "km.csv", "journeys.md"):
        assert (out / name).read_text() == (journeys_out / name).read_text(), name
