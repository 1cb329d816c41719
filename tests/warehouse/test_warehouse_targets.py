"""Where the warehouse goes: a folder, a read-only place, a path through a file (review findings
6 and 20), each a usage error naming the option, before any validation; and Excel's TRUE/FALSE
read as booleans exactly as the validator accepts them (finding 16)."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from earlyhelp import sample
from earlyhelp.cli import run
from earlyhelp.errors import UsageError
from earlyhelp.warehouse import load_return


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def load(monkeypatch, capsys):
    """`earlyhelp load ...` through the console script's entry point, in this process."""

    def invoke(*args: str) -> Outcome:
        monkeypatch.setattr(sys, "argv", ["earlyhelp", "load", *args])
        with pytest.raises(SystemExit) as exited:
            run()
        captured = capsys.readouterr()
        return Outcome(exited.value.code, captured.out, captured.err)

    return invoke


def test_a_folder_given_as_the_identity_warehouse_is_named_as_such(tmp_path, load):
    folder = tmp_path / "identity"
    folder.mkdir()
    result = load(str(sample.path()), "--warehouse", str(tmp_path / "w.duckdb"), "--identity-warehouse", str(folder))
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"Error: {folder} is a folder; --identity-warehouse needs a file name such as identity.duckdb.\nHint: "
    )
    assert not (tmp_path / "w.duckdb").exists()
    analytic = tmp_path / "w2"
    analytic.mkdir()
    with pytest.raises(UsageError, match=r"; --warehouse needs a file name such as warehouse.duckdb"):
        load_return([sample.path()], analytic, skip_identity=True)


def test_a_warehouse_under_a_file_is_a_usage_error_not_a_crash(tmp_path, load):
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("x")
    result = load(str(sample.path()), "--warehouse", str(not_a_folder / "sub" / "w.duckdb"), "--skip-identity")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"Error: Cannot create the warehouse {not_a_folder / 'sub' / 'w.duckdb'}: "
        f"{not_a_folder} is a file, not a folder.\nHint: "
    )


def _make_read_only(folder: Path, monkeypatch) -> None:
    """A folder nobody may write to. Root ignores permission bits, so as root the operating
    system's answer for a read-only place (os.access says no, as on a read-only mount) is given
    for this folder."""
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):
        real_access = os.access

        def access(path, mode, *args, **kwargs):
            if Path(path) == folder and mode & os.W_OK:
                return False
            return real_access(path, mode, *args, **kwargs)

        monkeypatch.setattr(os, "access", access)


def test_a_read_only_place_says_so_before_validating(tmp_path, monkeypatch, load):
    read_only = tmp_path / "romnt"
    read_only.mkdir()
    _make_read_only(read_only, monkeypatch)
    try:
        # A return with an error: the unusable warehouse is reported first, without validating.
        bad = tmp_path / "bad"
        shutil.copytree(sample.path(), bad)
        (bad / "returns.csv").write_text("la_code,period_start\nE06000001,not a date\n")
        for return_folder in (sample.path(), bad):
            result = load(str(return_folder), "--warehouse", str(read_only / "w.duckdb"), "--skip-identity")
            assert result.exit_code == 2, result.stderr
            assert result.stderr.startswith(
                f"Error: Cannot write the warehouse {read_only / 'w.duckdb'}: "
                f"the folder {read_only} is read-only or you may not write there.\nHint: "
            )
            assert "not a DuckDB database file" not in result.stderr
            assert "There is a problem" not in result.stdout
        assert list(read_only.iterdir()) == []
    finally:
        read_only.chmod(0o755)


def test_excel_true_false_load_as_booleans(tmp_path):
    folder = tmp_path / "r"
    shutil.copytree(sample.path(), folder)
    children = folder / "children.csv"
    text = children.read_text(encoding="utf-8")
    header, *rows = text.splitlines()
    column = header.split(",").index("disabled")
    # Hand-worked: the first row says TRUE, the second False; every other row keeps its value.
    edited = []
    for position, row in enumerate(rows):
        cells = row.split(",")
        if position < 2:
            cells[column] = ("TRUE", "False")[position]
        edited.append(",".join(cells))
    children.write_text("\n".join([header, *edited]) + "\n", encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"
    load_return([folder], warehouse, skip_identity=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        disabled = dict(con.execute("SELECT child_id, disabled FROM children").fetchall())
    finally:
        con.close()
    ids = [row.split(",")[header.split(",").index("child_id")] for row in rows[:2]]
    assert (disabled[ids[0]], disabled[ids[1]]) == (True, False)
