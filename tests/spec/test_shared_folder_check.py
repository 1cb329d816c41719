"""One check for an empty or non-EHLD folder: every command that reads one says the same, exit 2."""

from __future__ import annotations

import pytest

COMMANDS = [
    ("indicators", "--data", "{folder}", "--out", "{out}"),
    ("report", "--data", "{folder}", "--out", "{out}"),
    ("synth", "--check", "{folder}"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_an_empty_folder_is_the_same_usage_error_everywhere(earlyhelp, tmp_path, command):
    folder = tmp_path / "return"
    folder.mkdir()
    code, err = earlyhelp(*(part.format(folder=folder, out=tmp_path / "out") for part in command))
    assert code == 2
    assert err.splitlines()[0] == f"Error: {folder} is empty."
    assert "Hint: Give the folder of an EHLD return" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_a_folder_of_non_ehld_files_is_the_same_usage_error_everywhere(earlyhelp, tmp_path, command):
    folder = tmp_path / "return"
    folder.mkdir()
    (folder / "Referrals.csv").write_text("la_code,child_id,referral_id,referral_date\n")
    code, err = earlyhelp(*(part.format(folder=folder, out=tmp_path / "out") for part in command))
    assert code == 2
    assert err.splitlines()[0] == (
        f"Error: {folder} holds no EHLD table: no file is named exactly after a table; "
        "Referrals.csv looks meant for the referrals table."
    )
    assert "Hint: Rename Referrals.csv to referrals.csv" in err
