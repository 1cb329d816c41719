"""`earlyhelp link` on the command line: clear messages, exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

EARLYHELP = [str(Path(sys.executable).with_name("earlyhelp"))]


def _run(*args, env_secret: str | None = "tests-only-secret-7f3a9c2e"):
    import os

    env = {k: v for k, v in os.environ.items() if k != "EARLYHELP_LINK_SECRET"}
    if env_secret:
        env["EARLYHELP_LINK_SECRET"] = env_secret
    return subprocess.run(EARLYHELP + ["link", *args], capture_output=True, text=True, env=env)


def test_help_lists_every_option():
    done = _run("--help")
    assert done.returncode == 0
    for option in ("--identities", "--out", "--engine", "--threshold", "--model", "--analytic", "--previous"):
        assert option in done.stdout


def test_a_missing_folder_is_a_usage_error(tmp_path):
    done = _run("--identities", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "is not a folder" in done.stderr and "Traceback" not in done.stderr


def test_a_threshold_outside_zero_to_one_is_refused(tmp_path):
    done = _run("--identities", str(tmp_path), "--out", str(tmp_path / "out"), "--threshold", "1.5")
    assert done.returncode == 2 and "--threshold" in done.stderr


def test_no_secret_is_a_usage_error_naming_the_variable(tmp_path):
    done = _run("--identities", str(tmp_path), "--out", str(tmp_path / "out"), env_secret=None)
    assert done.returncode == 2 and "EARLYHELP_LINK_SECRET" in done.stderr


def test_duplicate_record_ids_are_a_data_error_without_identifiers(tmp_path):
    from earlyhelp.synth.identities import person_identifiers_schema

    rows = {name: [None, None] for name in person_identifiers_schema().names}
    rows.update(
        source=["health", "health"],
        source_record_id=["H1", "H1"],
        la_code=["E06000001"] * 2,
        sex=["F", "F"],
        forename=["Zuzanna", "Zuzanna"],
        nhs_number=["9434765919"] * 2,
    )
    pq.write_table(pa.table(rows, schema=person_identifiers_schema()), tmp_path / "person_identifiers.parquet")
    done = _run("--identities", str(tmp_path), "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    assert "unique within its source" in done.stderr
    assert "Zuzanna" not in done.stderr and "9434765919" not in done.stderr


def test_a_model_file_from_elsewhere_is_refused(tmp_path, identity_zone):
    model = tmp_path / "model.json"
    model.write_text(json.dumps({"link_type": "dedupe_only", "comparisons": []}))
    done = _run(
        "--identities", str(identity_zone["root"] / "identities"), "--out", str(tmp_path / "out"), "--model", str(model)
    )
    assert done.returncode == 2
    assert "not a model saved by earlyhelp link" in done.stderr


def test_options_naming_paths_are_checked_before_any_work(tmp_path):
    identities = tmp_path / "identities"
    identities.mkdir()  # no person_identifiers: the run would fail later, the options first
    (tmp_path / "empty").mkdir()
    (tmp_path / "not_a_link.txt").write_text("this is not a table\x00\x01\n")
    cases = {
        ("--analytic", str(tmp_path / "nowhere")): "--analytic",
        ("--analytic", str(tmp_path / "empty")): "holds no children or partner outcome table",
        ("--truth", str(tmp_path / "empty")): "true_person_id",
        ("--previous", str(tmp_path / "not_a_link.txt")): "--previous",
    }
    for option, expected in cases.items():
        done = _run("--identities", str(identities), "--out", str(tmp_path / "out"), *option)
        assert done.returncode == 2, (option, done.stderr)
        assert expected in done.stderr and "Traceback" not in done.stderr, (option, done.stderr)


def test_splink_training_notes_stay_out_of_a_default_run(tmp_path, identity_zone):
    done = _run("--identities", str(identity_zone["root"] / "identities"), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr and "predict()" not in done.stderr
