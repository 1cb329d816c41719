"""The demo writes only into a new or empty folder, or one a previous demo wrote (#16: it used to
delete whatever folder --out named)."""

from __future__ import annotations

import pytest

from earlyhelp.demo import DEMO_MARKER, main, prepare_output_folder
from earlyhelp.errors import UsageError


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
