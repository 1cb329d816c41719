"""`earlyhelp validate`: exit codes, summary then detail, JSON, and no traceback on garbage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from validate_helpers import BASE, make_return

from earlyhelp.cli import main

EARLYHELP = Path(sys.executable).with_name("earlyhelp")


def run_process(*args: str) -> subprocess.CompletedProcess:
    """The installed console script, exactly as an analyst runs it."""
    env = {k: v for k, v in os.environ.items() if k != "EARLYHELP_DEBUG"}
    return subprocess.run([str(EARLYHELP), "validate", *args], capture_output=True, text=True, env=env, timeout=120)


class Run:
    def __init__(self, exit_code: int, stdout: str):
        self.returncode, self.stdout = exit_code, stdout


def run(*args: str) -> Run:
    """In-process (fast); exceptions other than SystemExit fail the test."""
    result = CliRunner().invoke(main, ["validate", *args], catch_exceptions=False)
    return Run(result.exit_code, result.stdout)


def test_exit_status_0_1_2_from_the_console_script(tmp_path):
    bad = make_return(
        tmp_path / "bad", {"children.csv": BASE["children.csv"] + "E06000001,C3,,2012-05,X,WBRI,false,3,F2\n"}
    )
    result = run_process(str(bad))
    assert result.returncode == 1
    assert "There is a problem: 1 error" in result.stdout
    assert "children.csv line 4, column sex: 'X' is not one of the codes for sex." in result.stdout
    missing = run_process(str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert "Traceback" not in result.stderr + missing.stderr
    good = make_return(tmp_path / "good")
    assert run(str(good)).returncode == 0
    assert run(str(good)).stdout.startswith("No errors found (7 files read, 9 records checked).")


def test_json_and_detail_cap(tmp_path):
    header = BASE["referrals.csv"].splitlines()[0]
    rows = [f"E06000001,C1,R{i},2019-05-01,ZZ,N1,false,," for i in range(10, 40)]
    folder = make_return(tmp_path, {"referrals.csv": "\n".join([header, *rows]) + "\n"})
    text = run(str(folder)).stdout
    assert text.count("is not one of the codes for referral_source") == 20
    assert "... and 10 more (use --all to show every one)." in text
    assert run(str(folder), "--all").stdout.count("is not one of the codes") == 30
    data = json.loads(run(str(folder), "--json").stdout)
    assert data["summary"][0]["count"] == 30 and data["summary"][0]["shown"] == 20


@pytest.mark.parametrize(
    "content",
    [
        os.urandom(5000),
        b"\xff\xfe\x00\x00garbage",
        b'"' * 1000,
        b"la_code,la_code,la_code\n,,,,,,\n\n\n",
        "é,ü\n\u2028,\n".encode("utf-8"),
    ],
)
def test_garbage_is_reported_not_raised(tmp_path, content):
    folder = make_return(tmp_path, {"referrals.csv": content})
    result = run(str(folder))  # any exception would fail here
    assert result.returncode == 1
    assert "referrals.csv" in result.stdout
