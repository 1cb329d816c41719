"""The demo writes only into a new or empty folder, or one a previous demo wrote (#16: it used to
delete whatever folder --out named); its analysis steps run whatif only when installed and name a
step that fails rather than stopping before the report."""

from __future__ import annotations

import click
import pytest

from earlyhelp import cli
from earlyhelp.demo import DEMO_MARKER, _analysis_step, main, prepare_output_folder, run_whatif
from earlyhelp.errors import DataError, UsageError


def test_a_folder_of_someone_elses_files_is_refused_and_kept(tmp_path, capsys):
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "board-paper.docx").write_bytes(b"precious")
    assert main(["--out", str(documents)]) == 2
    assert (documents / "board-paper.docx").read_bytes() == b"precious"
    assert "will not delete" in capsys.readouterr().err


def test_a_file_is_refused(tmp_path):
    target = tmp_path / "a-file"
    target.write_text("x")
    with pytest.raises(UsageError):
        prepare_output_folder(target)
    assert target.read_text() == "x"


def test_a_new_folder_is_made_and_marked(tmp_path):
    out = tmp_path / "new" / "demo"
    prepare_output_folder(out)
    assert (out / DEMO_MARKER).is_file()


def test_a_previous_demo_is_replaced_and_the_user_told(tmp_path, capsys):
    out = tmp_path / "demo"
    prepare_output_folder(out)
    (out / "old-report.html").write_text("old")
    prepare_output_folder(out)
    assert not (out / "old-report.html").exists()
    assert (out / DEMO_MARKER).is_file()
    assert "Replacing the previous demo" in capsys.readouterr().out


# --- the analysis steps (issue #13/#14 report sections) ---------------------------------------------
received: list[tuple[str, ...]] = []  # what the stand-in whatif command was given


@click.command("whatif")
@click.option("--out", type=click.Path())
@click.option("--warehouse", type=click.Path())
@click.option("--evaluation", type=click.Path())
def fake_whatif(out: str, warehouse: str, evaluation: str) -> None:
    received.append((out, warehouse, evaluation))


def test_whatif_runs_only_when_the_installation_has_the_command(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "COMMANDS", {k: v for k, v in cli.COMMANDS.items() if k != "whatif"})
    assert run_whatif(tmp_path / "whatif", tmp_path / "w.duckdb", tmp_path / "evaluation") is False
    monkeypatch.setitem(cli.COMMANDS, "whatif", ("test_demo_folder:fake_whatif", "What if."))
    received.clear()
    assert run_whatif(tmp_path / "whatif", tmp_path / "w.duckdb", tmp_path / "evaluation") is True
    # The options the command has are given: its output folder, the warehouse, the evaluation's estimates.
    assert received == [(str(tmp_path / "whatif"), str(tmp_path / "w.duckdb"), str(tmp_path / "evaluation"))]


def test_a_failed_analysis_step_is_named_and_its_section_left_out(tmp_path, capsys):
    failed: list[str] = []

    def crash(folder):
        raise ValueError("a value from the data")

    def refuse(folder):
        raise DataError("No closed assessments in this data.")

    assert _analysis_step("Evaluating", "estimates", crash, tmp_path / "a", failed) is None
    assert _analysis_step("Thresholds", "index", refuse, tmp_path / "b", failed) is None
    assert _analysis_step("Funding", "figures", lambda folder: None, tmp_path / "c", failed) == tmp_path / "c"
    # Unexpected errors are named by type only: their text could quote the data.
    assert failed == ["Evaluating (ValueError)", "Thresholds (No closed assessments in this data.)"]
    assert "a value from the data" not in capsys.readouterr().out
