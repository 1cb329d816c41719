"""`earlyhelp synth` on the command line: clear messages and exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from earlyhelp.errors import DataError, UsageError
from earlyhelp.synth import settings
from earlyhelp.synth.check import CheckReport, CheckRow
from earlyhelp.synth.cli import synth


def test_parse_years():
    assert settings.parse_years("201516:201920") == (2015, 2019)
    assert settings.parse_years("201819") == (2018, 2018)
    assert settings.parse_years((201516, 201920)) == (2015, 2019)
    for bad in ("2015:2019", "201517:201920", "201920:201516", "200910:201011", "x"):
        with pytest.raises(UsageError):
            settings.parse_years(bad)


def test_unknown_scale_or_negative_seed_is_a_usage_error():
    from earlyhelp.synth import settings_for

    with pytest.raises(UsageError):
        settings.scale("galaxy")
    with pytest.raises(UsageError):
        settings_for("tiny", seed=-1)


def _report(ok: bool) -> CheckReport:
    return CheckReport(
        rows=[
            CheckRow("referrals", 201920, 100.0, 101.0, 1.01, True, 0.05),
            CheckRow("cla_started", 201920, 100.0, 120.0 if not ok else 99.0, 1.2 if not ok else 0.99, ok, 0.05),
        ]
    )


def test_check_exit_codes(monkeypatch, tmp_path):
    check_module = sys.modules["earlyhelp.synth.check"]
    monkeypatch.setattr(check_module, "check", lambda path: _report(True))
    result = CliRunner().invoke(synth, ["--check", str(tmp_path)], standalone_mode=False)
    assert result.exception is None
    assert "All figures within tolerance" in result.output
    monkeypatch.setattr(check_module, "check", lambda path: _report(False))
    result = CliRunner().invoke(synth, ["--check", str(tmp_path)], standalone_mode=False)
    assert isinstance(result.exception, DataError)
    assert result.exception.exit_code == 1
    assert "cla_started 201920" in result.exception.message


def test_out_and_check_together_or_neither_are_usage_errors(tmp_path):
    for args in (["--out", str(tmp_path), "--check", str(tmp_path)], []):
        result = CliRunner().invoke(synth, args, standalone_mode=False)
        assert isinstance(result.exception, UsageError)


def test_command_line_writes_and_checks_without_a_traceback(tmp_path):
    out = tmp_path / "s"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "earlyhelp.cli",
            "synth",
            "--out",
            str(out),
            "--scale",
            "tiny",
            "--years",
            "201718:201819",
            "--seed",
            "5",
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert (out / "returns.parquet").exists()
    bad = subprocess.run(
        [sys.executable, "-m", "earlyhelp.cli", "synth", "--out", str(out), "--years", "2017"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr and "financial year" in bad.stderr
    # tiny is three small LAs, not England: its check runs, prints the table and exits 1.
    check = subprocess.run(
        [sys.executable, "-m", "earlyhelp.cli", "synth", "--check", str(out)], capture_output=True, text=True
    )
    assert check.returncode == 1
    assert "referrals" in check.stdout and "Traceback" not in check.stderr


def _earlyhelp(*args: str) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("earlyhelp")), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_a_folder_with_other_files_is_refused_and_left_alone(tmp_path):
    real_return = tmp_path / "real-return"
    real_return.mkdir()
    (real_return / "referrals.csv").write_text("la_code,child_id\nE06000001,E06000001-1\n")
    (real_return / "notes.txt").write_text("mine\n")
    result = _earlyhelp("synth", "--out", str(real_return))
    assert result.returncode == 2 and "--force" in result.stderr
    assert sorted(p.name for p in real_return.iterdir()) == ["notes.txt", "referrals.csv"]
    assert (real_return / "referrals.csv").read_text().endswith("E06000001-1\n")
    # An earlier synthetic England is replaced without asking; --force replaces tables anywhere.
    assert _earlyhelp("synth", "--out", str(tmp_path / "syn")).returncode == 0
    assert _earlyhelp("synth", "--out", str(tmp_path / "syn")).returncode == 0
    forced = _earlyhelp("synth", "--out", str(real_return), "--force")
    assert forced.returncode == 0 and (real_return / "notes.txt").exists()
    assert not (real_return / "referrals.csv").exists()  # replaced by synthetic tables
    assert (real_return / "referrals.parquet").exists()
