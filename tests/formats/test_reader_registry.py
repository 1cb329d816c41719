"""Format readers sit behind one protocol, listed once in ``detect.READERS``."""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path

from earlyhelp.formats.api import ingest_report
from earlyhelp.formats.ehld_out import EHLDWriter
from earlyhelp.formats.readers import CandidateFile, Detected, Format, ReadResult

# The module, not the function earlyhelp.formats exports under the same name.
detect_module = importlib.import_module("earlyhelp.formats.detect")


def test_every_format_has_one_reader_in_the_order_files_are_claimed():
    assert [reader.name for reader in detect_module.READERS] == ["ehld", "cin-xml", "ssd", "ssda903"]
    assert {reader.name for reader in detect_module.READERS} == {f.value for f in Format}


class TallyReader:
    """A made-up format: one child per line of a .tally file."""

    name = "tally"

    def claim(self, file: CandidateFile, group: Detected) -> bool:
        if file.suffix != ".tally":
            return False
        group.files.append(file.path)
        return True

    def read(self, group: Detected, writer: EHLDWriter, *, la_code: str | None) -> ReadResult:
        for file in group.files:
            for line in file.read_text().split():
                writer.add("children", {"la_code": la_code, "child_id": line, "birth_month": "2015-01", "sex": "U"})
        return ReadResult()


def test_a_new_format_is_one_reader_added_to_the_registry(tmp_path: Path, monkeypatch):
    source = tmp_path / "in"
    source.mkdir()
    (source / "week.tally").write_text("T1\nT2\n")
    monkeypatch.setattr(detect_module, "READERS", (*detect_module.READERS, TallyReader()))
    report = ingest_report([source], tmp_path / "out", la_code="E06000001", extract_date=dt.date(2020, 3, 31))
    assert report.formats == ["tally"]
    # Ingest adds the package's reference tables the files lack (tested in tests/test_returns_over_years.py).
    assert {t: n for t, n in report.rows.items() if t not in report.reference_added} == {"children": 2, "returns": 1}
    lines = (tmp_path / "out" / "children.csv").read_text().splitlines()
    assert [line.split(",")[:2] for line in lines[1:]] == [["E06000001", "T1"], ["E06000001", "T2"]]
