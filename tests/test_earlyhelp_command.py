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
    assert listed == [
        "validate",
        "load",
        "synth",
        "ingest",
        "export",
        "link",
        "indicators",
        "report",
        "neighbours",
        "fund",
        "thresholds",
        "evaluate",
        "journeys",
        "whatif",
        "serve",
        "users",
    ]


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
    (tmp_path / "returns.csv").write_text(
        "la_code,period_start,period_end,extract_date\nE06000001,2019-04-01,2020-03-31,2021-02-30\n"
    )
    result = run("validate", str(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr


def test_an_output_folder_that_is_a_file_is_a_usage_error_naming_it(tmp_path):
    data = tmp_path / "returns.csv"
    data.write_text("la_code,period_start,period_end,extract_date\n")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the output folder should go\n")
    result = run("synth", "--out", str(blocker))
    assert result.returncode == 2, result.stderr
    assert "not-a-folder" in result.stderr and "Traceback" not in result.stderr
    assert "stopped unexpectedly" not in result.stderr


def test_a_stage_that_fails_to_import_is_a_fault_not_an_absent_stage(tmp_path, monkeypatch):
    import click
    import pytest

    from earlyhelp import cli

    (tmp_path / "stage_with_broken_dependency.py").write_text("import dependency_that_is_not_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(cli.COMMANDS, "broken", ("stage_with_broken_dependency:command", "A stage."))
    monkeypatch.setitem(cli.COMMANDS, "absent", ("earlyhelp.stage_not_built_yet.cli:command", "Later."))
    context = click.Context(cli.main)
    with pytest.raises(ModuleNotFoundError, match="dependency_that_is_not_installed"):
        cli.main.get_command(context, "broken")
    assert cli.main.get_command(context, "absent").name == "absent"  # listed, says unavailable


def test_the_engine_option_offers_exactly_the_engines_there_are():
    from earlyhelp.cli_options import ENGINE_CHOICES
    from earlyhelp.engine import ENGINES

    assert ENGINE_CHOICES == ENGINES
