"""The `earlyhelp` command: every stage listed, user errors without tracebacks, exit codes."""

import subprocess
import sys

EARLYHELP = [sys.executable, "-c", "from earlyhelp.cli import run; run()"]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*EARLYHELP, *args], capture_output=True, text=True, timeout=120)


def test_help_lists_every_stage_in_pipeline_order():
    result = run("--help")
    assert result.returncode == 0
    listed = [line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line.strip()]
    assert listed == ["validate", "load", "synth", "ingest", "export", "link", "indicators", "report"]


def test_unknown_command_is_a_usage_error_without_traceback():
    result = run("no-such-stage")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "no-such-stage" in result.stderr


def test_missing_path_is_a_clear_error(tmp_path):
    result = run("validate", str(tmp_path / "does-not-exist"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert "does-not-exist" in result.stderr + result.stdout


def test_a_subcommand_exit_status_reaches_the_shell(tmp_path):
    # A return with a data error: validate exits 1 through ctx.exit, and run() must pass it on.
    (tmp_path / "returns.csv").write_text("la_code,period_start,period_end,extract_date\nE06000001,2019-04-01,2020-03-31,31/03/2021\n")
    result = run("validate", str(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
