"""Black-box review findings on `earlyhelp export`: bad input is a clear DataError/UsageError
(file, line, column, hint; never a traceback nor a value), --year and --lea are checked, and a
failed export leaves nothing behind.

The folder is ehld_builder's: one LA (E06000001, DfE 805), returns 2024-04-01 to 2025-03-31,
extracted 2025-03-31; seven children with CIN episodes in 2024-25.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from earlyhelp.errors import DataError, UsageError
from earlyhelp.formats import FormatError, export, export_report

from . import ehld_builder

EARLYHELP = Path(sys.executable).with_name("earlyhelp")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(EARLYHELP), *args],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "EARLYHELP_DEBUG"},
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return ehld_builder.census_folder(tmp_path / "ehld")


def test_semicolon_separated_table_is_a_data_error_naming_the_file(folder: Path, tmp_path: Path) -> None:
    returns = folder / "returns.csv"
    returns.write_text(returns.read_text().replace(",", ";"))
    with pytest.raises(DataError) as caught:
        export(folder, "cin-xml", tmp_path / "out")
    assert "returns.csv line 1" in caught.value.message
    assert "semicolons" in caught.value.message and "CSV UTF-8" in caught.value.hint
    assert not (tmp_path / "out").exists()


def test_day_month_dates_are_located_without_showing_the_value(folder: Path, tmp_path: Path) -> None:
    identifiers = folder / "person_identifiers.csv"
    lines = identifiers.read_text().splitlines()
    # Line 3 of the file is child C0002, born 2012-01-20 in the builder: written dd/mm/YYYY here.
    assert "2012-01-20" in lines[2]
    lines[2] = lines[2].replace("2012-01-20", "20/01/2012")
    identifiers.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as caught:
        export(folder, "cin-xml", tmp_path / "out")
    message = caught.value.message
    assert message.startswith("person_identifiers.csv, line 3, column date_of_birth")
    assert "20/01/2012" not in message and "2012" not in message and "YYYY-MM-DD" in message
    assert "earlyhelp validate" in (caught.value.hint or "")
    assert not (tmp_path / "out").exists()


def test_a_year_after_the_extract_date_is_refused(folder: Path, tmp_path: Path) -> None:
    # Extracted 2025-03-31: the 2025 census (ending that day) is fine, 2026 is not.
    with pytest.raises(UsageError, match=r"--year 2026 .* extract date is 2025-03-31") as caught:
        export(folder, "cin-xml", tmp_path / "out", year=2026)
    assert "--year 2025" in caught.value.hint
    with pytest.raises(UsageError, match="--year 2026"):
        export(folder, "ssda903", tmp_path / "out903", year=2026)
    assert [p.name for p in export(folder, "cin-xml", tmp_path / "ok", year=2025)] == ["CIN_census_E06000001_2025.xml"]


@pytest.mark.parametrize("lea", ["abc", "12", "8050"])
def test_lea_must_be_three_digits(folder: Path, tmp_path: Path, lea: str) -> None:
    with pytest.raises(UsageError, match="three digits"):
        export(folder, "cin-xml", tmp_path / "out", lea=lea)
    assert not (tmp_path / "out").exists()


def test_lea_differing_from_the_table_is_written_with_a_warning(folder: Path, tmp_path: Path) -> None:
    done = export_report(folder, "cin-xml", tmp_path / "out", lea="806")
    assert "<LEA>806</LEA>" in done.files[0].read_text()
    assert any("--lea 806 replaces 805" in note for note in done.notes)
    same = export_report(folder, "cin-xml", tmp_path / "same", lea="805")
    assert same.notes == []


def test_failed_export_leaves_out_untouched(folder: Path, tmp_path: Path) -> None:
    # Child C0001's date of birth removed: the CIN export stops on it (no --approximate-birth-dates).
    identifiers = folder / "person_identifiers.csv"
    lines = identifiers.read_text().splitlines()
    lines[1] = lines[1].replace("2015-06-10", "")
    identifiers.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    with pytest.raises(FormatError):
        export(folder, "cin-xml", out)
    assert not out.exists()
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(FormatError):
        export(folder, "cin-xml", out)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    # No staging folder is left beside it either.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ehld", "out"]


def test_out_that_is_a_file_is_a_usage_error(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "out").write_text("")
    with pytest.raises(UsageError, match="is a file"):
        export(folder, "cin-xml", tmp_path / "out")


def test_cli_messages_and_help(folder: Path, tmp_path: Path) -> None:
    done = _run("export", "--data", str(folder), "--to", "cin-xml", "--out", str(tmp_path / "o"), "--lea", "abc")
    assert done.returncode == 2 and "Traceback" not in done.stderr and "three digits" in done.stderr
    done = _run("export", "--data", str(folder), "--to", "cin-xml", "--out", str(tmp_path / "o"), "--year", "2030")
    assert done.returncode == 2 and "Hint: Choose --year 2025" in done.stderr
    shown = " ".join(_run("export", "--help").stdout.split())  # help text is wrapped
    assert "[default: 2026]" in shown
    assert "returns.period_end reaches" in shown and "latest complete year" not in shown


def test_excel_month_with_approximate_birth_dates_is_a_data_error(folder: Path, tmp_path: Path) -> None:
    # C0001 (CIN only, born 2015-06-10, line 2) and C0008 (looked after only, born 2013-02-14,
    # line 9): dates of birth removed and birth months as Excel rewrites them.
    for name, line, old, new in (
        ("person_identifiers", 1, "2015-06-10", ""),
        ("children", 1, "2015-06", "01/06/2015"),
        ("person_identifiers", 8, "2013-02-14", ""),
        ("children", 8, "2013-02", "01/02/2013"),
    ):
        path = folder / f"{name}.csv"
        lines = path.read_text().splitlines()
        assert old in lines[line]
        lines[line] = lines[line].replace(old, new)
        path.write_text("\n".join(lines) + "\n")
    for target, child in (("cin-xml", "C0001"), ("ssda903", "C0008")):
        with pytest.raises(FormatError) as caught:
            export(folder, target, tmp_path / target, approximate_birth_dates=True)
        (issue,) = caught.value.issues
        assert (issue.field, issue.location) == ("birth_month", f"child_id E06000001-{child}")
        assert "YYYY-MM" in issue.message
        assert "01/06/2015" not in str(caught.value) and "01/02/2013" not in str(caught.value)
        assert not (tmp_path / target).exists()


def test_a_line_duckdb_cannot_parse_is_reported_by_the_validator(folder: Path, tmp_path: Path) -> None:
    referrals = folder / "referrals.csv"
    lines = referrals.read_text().splitlines()
    lines[2] = lines[2] + ',"unclosed'  # line 3: an extra field whose quote never closes
    referrals.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as caught:
        export(folder, "cin-xml", tmp_path / "out")
    assert "referrals.csv line 3" in caught.value.message
    assert "earlyhelp validate" in caught.value.hint
    assert not (tmp_path / "out").exists()
