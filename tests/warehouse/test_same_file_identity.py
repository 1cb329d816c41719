"""An identity warehouse that is the analytic warehouse under another name (issue #16, item 8):
a hard link or a symlink used to load 'successfully' while the identity rows were lost."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb
import pytest

from earlyhelp import sample
from earlyhelp.cli import run
from earlyhelp.errors import UsageError
from earlyhelp.warehouse import load_return


def person_identifier_rows(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
        return (
            con.execute("SELECT count(*) FROM person_identifiers").fetchall()[0][0]
            if "person_identifiers" in tables
            else 0
        )
    finally:
        con.close()


def file_bytes(path: Path) -> bytes:
    return path.read_bytes()


@pytest.mark.parametrize("link", ["hard", "symbolic"])
def test_an_identity_warehouse_that_is_the_analytic_file_is_refused_before_anything_is_written(
    tmp_path, monkeypatch, capsys, link
):
    warehouse = tmp_path / "w.duckdb"
    load_return([sample.path()], warehouse, skip_identity=True)
    alias = tmp_path / "identity.duckdb"
    if link == "hard":
        os.link(warehouse, alias)
    else:
        alias.symlink_to(warehouse)
    assert os.path.samefile(alias, warehouse)
    before = file_bytes(warehouse)

    with pytest.raises(UsageError, match="same file"):
        load_return([sample.path()], warehouse, identity_warehouse=alias)
    assert file_bytes(warehouse) == before
    assert person_identifier_rows(warehouse) == 0

    monkeypatch.setattr(
        sys,
        "argv",
        ["earlyhelp", "load", str(sample.path()), "--warehouse", str(warehouse), "--identity-warehouse", str(alias)],
    )
    with pytest.raises(SystemExit) as exited:
        run()
    assert exited.value.code == 2
    assert "same file" in capsys.readouterr().err
    assert file_bytes(warehouse) == before


def test_the_same_path_spelled_twice_is_refused(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with pytest.raises(UsageError, match="same file"):
        load_return([sample.path()], warehouse, identity_warehouse=tmp_path / "." / "w.duckdb")
    assert not warehouse.exists()
