"""Format detection and the `earlyhelp ingest` / `earlyhelp export` commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from earlyhelp.errors import UsageError
from earlyhelp.formats import Format, detect, ingest

from . import ehld_builder
from .ehld_builder import read_table

EARLYHELP = Path(sys.executable).with_name("earlyhelp")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(EARLYHELP), *args],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "EARLYHELP_DEBUG"},
    )


def test_detect_by_content(data_dir: Path, tmp_path: Path, shared_reference: Path) -> None:
    renamed = tmp_path / "return.dat.xml"
    shutil.copy(data_dir / "two_generations.xml", renamed)
    (tmp_path / "children.csv").write_text("la_code,child_id,birth_month,sex\n")
    groups = {
        g.format: g for g in detect([renamed, tmp_path / "children.csv", shared_reference / "peer-samples" / "ssda903"])
    }
    assert set(groups) == {Format.CIN_XML, Format.EHLD, Format.SSDA903}
    # The peer folder holds the return in both forms: detected together, refused when read (test_peer_samples_903).
    assert set(groups[Format.SSDA903].roles) == {"header", "episodes", "xml"}


def test_unknown_files_are_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(UsageError, match="notes.txt"):
        detect([tmp_path])


def test_ehld_folder_is_copied(tmp_path: Path) -> None:
    folder = ehld_builder.census_folder(tmp_path / "ehld")
    out = ingest([folder], tmp_path / "copy")
    assert read_table(out, "referrals") == read_table(folder, "referrals")


def test_out_must_be_new(data_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    with pytest.raises(UsageError, match="already exists"):
        ingest([data_dir / "two_generations.xml"], tmp_path / "full")


def test_cli_round_trip_and_clean_errors(data_dir: Path, tmp_path: Path) -> None:
    done = _run("ingest", str(data_dir / "two_generations.xml"), "--out", str(tmp_path / "ehld"))
    assert done.returncode == 0, done.stderr
    assert "referrals: 2 rows" in done.stdout
    done = _run(
        "export",
        "--data",
        str(tmp_path / "ehld"),
        "--to",
        "cin-xml",
        "--out",
        str(tmp_path / "x"),
        "--year",
        "2025",
        "--approximate-birth-dates",
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "x" / "CIN_census_E06000001_2025.xml").exists()

    bad = _run("ingest", str(data_dir / "bad_order.xml"), "--out", str(tmp_path / "bad"))
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr
    assert "bad_order.xml, line 34" in bad.stderr and "A80500000100" not in bad.stderr

    usage = _run("ingest", str(tmp_path / "missing.xml"), "--out", str(tmp_path / "m"))
    assert usage.returncode == 2 and "does not exist" in usage.stderr
    date = _run(
        "ingest", str(data_dir / "two_generations.xml"), "--out", str(tmp_path / "d"), "--extract-date", "31/03/2025"
    )
    assert date.returncode == 2 and "YYYY-MM-DD" in date.stderr


def test_two_census_files_of_one_la_and_year_are_refused(data_dir: Path, tmp_path: Path) -> None:
    shutil.copy(data_dir / "two_generations.xml", tmp_path / "a.xml")
    shutil.copy(data_dir / "two_generations.xml", tmp_path / "b.xml")
    with pytest.raises(UsageError, match="both the CIN census of E06000001 for 2025-03-31"):
        ingest([tmp_path / "a.xml", tmp_path / "b.xml"], tmp_path / "ehld")
    assert not (tmp_path / "ehld").exists()


def test_la_code_must_look_like_an_ons_code(data_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not an ONS LA code"):
        ingest([data_dir / "two_generations.xml"], tmp_path / "ehld", la_code="805")
