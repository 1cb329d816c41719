"""A return as Excel saves it, and as a workbook: accepted with warnings, read the same everywhere.

The package's sample return (one LA, 40 children) is the clean folder. From it the tests write
what an analyst's Excel gives: a CSV folder with a byte-order mark, CRLF line ends, every date
dd/mm/yyyy, a blank last column and a totals row; and an .xlsx workbook with one sheet per table
(dates as Excel dates, whole numbers as numbers, booleans as booleans). Each validates with
warnings and no error, loads, and gives the same indicators as the clean folder.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from click.testing import CliRunner
from validate_helpers import BASE, csv_rows, make_return, workbook_bytes

from earlyhelp import sample
from earlyhelp.cli import main
from earlyhelp.errors import DataError
from earlyhelp.indicators import compute_internal
from earlyhelp.spec import TABLES
from earlyhelp.validate import validate_paths
from earlyhelp.validate.folder import EHLDFolder
from earlyhelp.warehouse import load_return


def _tables(folder: Path) -> dict[str, list[dict[str, str]]]:
    tables = {}
    for path in sorted(folder.glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            tables[path.stem] = list(csv.DictReader(handle))
    return tables


def _day_first(value: str) -> str:
    year, month, day = value.split("-")
    return f"{day}/{month}/{year}"


def _is_date(table: str, column: str) -> bool:
    return TABLES[table].has_column(column) and TABLES[table].column(column).type == "date"


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clean")
    for path in sample.path().glob("*.csv"):
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="module")
def excel_saved(clean, tmp_path_factory) -> Path:
    """The clean folder saved by Excel's 'CSV UTF-8': BOM, CRLF, dd/mm/yyyy, a blank last
    column, and a totals row at the end of referrals.csv."""
    folder = tmp_path_factory.mktemp("excel_saved")
    for name, rows in _tables(clean).items():
        header = list(rows[0]) if rows else (clean / f"{name}.csv").read_text().splitlines()[0].split(",")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([*header, ""])
        for row in rows:
            cells = [_day_first(row[c]) if _is_date(name, c) and row[c] else row[c] for c in header]
            writer.writerow([*cells, ""])
        if name == "referrals":
            writer.writerow(
                ["Total" if c == "la_code" else str(len(rows)) if c == "referral_source" else "" for c in header] + [""]
            )
        (folder / f"{name}.csv").write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode())
    return folder


def _cell(table: str, column: str, value: str) -> object:
    if not value or not TABLES[table].has_column(column):
        return value or None
    kind = TABLES[table].column(column).type
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "int":
        return int(value)
    if kind == "bool":
        return value.lower() == "true"
    return value


@pytest.fixture(scope="module")
def workbook(clean, tmp_path_factory) -> Path:
    """The clean folder as one workbook: sheets named in title case with spaces, Excel's cell
    types, and a notes sheet that holds no table."""
    sheets: dict[str, list[list[object]]] = {"Notes": [["Return for E06000001"]]}
    for name, rows in _tables(clean).items():
        header = list(rows[0])
        sheets[name.replace("_", " ").title()] = [header] + [[_cell(name, c, row[c]) for c in header] for row in rows]
    path = tmp_path_factory.mktemp("workbook") / "EHLD return 2023.xlsx"
    path.write_bytes(workbook_bytes(sheets))
    return path


def _sorted(table: pa.Table) -> list[dict]:
    return sorted(table.to_pylist(), key=repr)


def test_an_excel_saved_return_validates_with_warnings_only(excel_saved):
    report = validate_paths([excel_saved])
    assert report.ok, [f.message for f in report.errors]
    warned = {(f.rule_id, f.file) for f in report.findings}
    assert ("value-date-day-first", "referrals.csv") in warned and ("file-bom", "referrals.csv") in warned
    assert ("column-blank", "referrals.csv") in warned
    [totals] = [f for f in report.findings if f.rule_id == "row-totals"]
    assert (totals.file, totals.line) == ("referrals.csv", report.files["referrals.csv"] + 2)
    # One warning per date column, not per date: referrals has referral_date and closure_date.
    assert sorted(
        f.column for f in report.findings if f.rule_id == "value-date-day-first" and f.file == "referrals.csv"
    ) == [
        "closure_date",
        "referral_date",
    ]


def test_a_workbook_validates_with_warnings_only_and_names_its_sheets(clean, workbook):
    report = validate_paths([workbook])
    assert report.ok, [f.message for f in report.errors]
    assert [(f.rule_id, f.message) for f in report.findings] == [
        (
            "sheet-unknown-table",
            "The sheet Notes of EHLD return 2023.xlsx is not named after an EHLD table, so it was not read.",
        )
    ]
    assert report.files["EHLD return 2023.xlsx, sheet Referrals"] == len(_tables(clean)["referrals"])


def test_excel_saved_csv_and_workbook_give_the_clean_folders_indicators(clean, excel_saved, workbook):
    expected = _sorted(compute_internal(clean))
    assert expected, "the sample gives indicators"
    assert _sorted(compute_internal(excel_saved)) == expected
    # The folder that holds the workbook (indicators takes a folder or a warehouse file).
    assert _sorted(compute_internal(workbook.parent)) == expected


def test_excel_saved_csv_and_workbook_load_the_clean_rows(clean, excel_saved, workbook, tmp_path):
    def loaded(source: Path, name: str) -> dict[str, list]:
        warehouse = tmp_path / f"{name}.duckdb"
        load_return([source], warehouse, skip_identity=True)
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            return {
                table: sorted(con.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
                for table in ("returns", "children", "referrals", "assessments", "early_help_episodes", "family_goals")
            }
        finally:
            con.close()

    expected = loaded(clean, "clean")
    assert isinstance(expected["referrals"][0][3], dt.date)  # dates stored as DATE
    assert loaded(excel_saved, "excel") == expected
    assert loaded(workbook, "workbook") == expected


@pytest.mark.parametrize("command", ["indicators", "report"])
def test_commands_read_a_csv_with_a_blank_last_column(clean, tmp_path, command):
    # Excel's blank last column once crashed indicators and report (BinderException, exit 3).
    folder = tmp_path / "data"
    shutil.copytree(clean, folder)
    referrals = folder / "referrals.csv"
    referrals.write_text("".join(line + ",\r\n" for line in referrals.read_text().splitlines()))
    result = CliRunner().invoke(main, [command, "--data", str(folder), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output


def test_dates_that_cannot_be_read_day_first_are_one_error_per_column(tmp_path):
    # No day above 12 anywhere in the file: day and month cannot be told apart.
    referrals = BASE["referrals.csv"]
    for iso in ("2019-05-01", "2019-06-01", "2019-07-01"):
        referrals = referrals.replace(iso, "/".join(reversed(iso.split("-"))))
    report = validate_paths([make_return(tmp_path / "a", {"referrals.csv": referrals})])
    found = [(f.rule_id, f.line, f.column) for f in report.errors]
    assert found == [("value-date-ambiguous", 2, "referral_date"), ("value-date-ambiguous", 2, "closure_date")]
    assert (
        "(2 values, the first one here)" in report.errors[0].message
        and "cannot be told apart" in report.errors[0].message
    )
    # A second number above 12 says month first: not read day first either.
    mixed = BASE["referrals.csv"].replace("2019-05-01", "05/13/2019")
    report = validate_paths([make_return(tmp_path / "b", {"referrals.csv": mixed})])
    assert [(f.rule_id, f.line, f.column) for f in report.errors] == [("value-date-ambiguous", 2, "referral_date")]


def test_a_number_at_the_end_of_a_table_that_has_its_keys_is_not_a_total(tmp_path):
    children = BASE["children.csv"] + "E06000001,C3,,2014-01,M,APKN,false,,F1\n"
    report = validate_paths([make_return(tmp_path, {"children.csv": children})])
    assert report.ok and not [f for f in report.findings if f.rule_id == "row-totals"]
    assert report.files["children.csv"] == 3


def test_a_sheet_whose_header_cannot_be_read_is_named_with_its_row(tmp_path):
    rows = csv_rows(BASE["referrals.csv"])
    rows[0][3] = "Referral Date"  # renamed: the table would read without its dates
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "return.xlsx").write_bytes(workbook_bytes({"Referrals": rows, "Returns": csv_rows(BASE["returns.csv"])}))
    with pytest.raises(DataError) as raised:
        EHLDFolder(folder).check()
    assert raised.value.message.startswith(
        "return.xlsx, sheet Referrals, row 1, column referral_date: The required column referral_date is missing"
    )
    assert "'Referral Date': is that it?" in raised.value.message
