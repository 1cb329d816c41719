"""Misnamed files get a suggestion, spreadsheets a hint; key messages are never cut mid-identifier.

(Black-box review findings 17 and 18.)
"""

from __future__ import annotations

from validate_helpers import BASE, make_return, where, write_files

from earlyhelp.validate import validate_paths


def _by_file(report) -> dict[str, object]:
    return {f.file: f for f in report.findings if f.rule_id in ("file-unknown-table", "file-spreadsheet")}


# --------------------------------------------------------------- file names (finding 18)
def test_a_misnamed_file_gets_the_table_it_was_probably_meant_for(tmp_path):
    folder = make_return(tmp_path, {"referrals.csv": None, "cin_plans.csv": None})
    write_files(
        folder,
        {
            "Referrals.csv": BASE["referrals.csv"],  # Excel or Windows capitalised it
            "cin_plans (1).csv": "la_code\n",  # a second download of the same file
            "Early Help Episodes.parquet": b"PAR1",  # spaces for underscores
            "notes about this return.csv": "x\n",  # nothing like a table: no suggestion
        },
    )
    (folder / "early_help_episodes.csv").unlink()
    report = validate_paths([folder])
    found = _by_file(report)
    assert set(found) == {
        "Referrals.csv",
        "cin_plans (1).csv",
        "Early Help Episodes.parquet",
        "notes about this return.csv",
    }
    assert found["Referrals.csv"].message == (
        "Referrals.csv is not named after an EHLD table, so it was not checked (did you mean referrals.csv?)."
    )
    assert "(did you mean cin_plans.csv?)" in found["cin_plans (1).csv"].message
    assert "(did you mean early_help_episodes.parquet?)" in found["Early Help Episodes.parquet"].message
    assert "did you mean" not in found["notes about this return.csv"].message
    assert not report.ok


def test_spreadsheets_that_are_not_workbooks_are_reported_with_a_save_as_csv_hint(tmp_path):
    folder = make_return(tmp_path, {"children.csv": None})
    write_files(folder, {"Children.xlsx": b"PK\x03\x04 a workbook", "budget.xls": b"\xd0\xcf\x11\xe0 old"})
    report = validate_paths([folder])
    found = _by_file(report)
    assert set(found) == {"Children.xlsx", "budget.xls"}
    assert found["Children.xlsx"].rule_id == "file-spreadsheet"
    assert found["Children.xlsx"].message == (
        "Children.xlsx is a spreadsheet, so it was not read: it cannot be opened as a workbook "
        "(did you mean children.csv?)."
    )
    assert found["budget.xls"].message == (
        "budget.xls is a spreadsheet, so it was not read: it cannot be opened as a workbook."
    )
    assert "CSV UTF-8" in found["budget.xls"].hint
    # The tables it held are missing, and the findings that follow from that are still made.
    assert ("key-table-missing", "referrals.csv", None, None) in where(report)


def test_a_spreadsheet_given_by_name_is_reported_too(tmp_path):
    workbook = write_files(tmp_path, {"referrals.xlsx": b"PK\x03\x04"}) / "referrals.xlsx"
    report = validate_paths([workbook])
    assert where(report) == {("file-spreadsheet", "referrals.xlsx", None, None)}
    assert "(did you mean referrals.csv?)" in report.findings[0].message


# --------------------------------------------------------------- key messages (finding 17)
def test_composite_key_messages_are_whole(tmp_path):
    long_child = "C" * 100
    assessments = (
        BASE["assessments.csv"]
        + "E06000001,E06000001-C000000001,E06000001-R000000099,A2,2019-05-03,,\n"
        + f"E06000001,{long_child},R1,A3,2019-05-03,,\n"
    )
    report = validate_paths([make_return(tmp_path, {"assessments.csv": assessments})])
    messages = {f.line: f.message for f in report.findings if f.rule_id == "key-foreign"}
    assert messages[3] == (
        "referral_id E06000001-R000000099 (la_code E06000001, child_id "
        "E06000001-C000000001) is not found in referrals.csv."
    )
    # A runaway value is shortened on its own; the rest of the sentence stays.
    assert messages[4] == f"referral_id R1 (la_code E06000001, child_id {'C' * 77}...) is not found in referrals.csv."
