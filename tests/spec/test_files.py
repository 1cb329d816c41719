"""Reading EHLD folders: a file that cannot be what its name says is refused, never read as NULLs.

Each bad file is hand-made in the test; the expected message parts are what an analyst needs:
which file, which line or column, and what to do.
"""

from __future__ import annotations

import codecs

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from earlyhelp.errors import DataError, UsageError
from earlyhelp.spec import misnamed_files
from earlyhelp.validate.folder import EHLDFolder, check_ehld_folder

REFERRALS_HEADER = "la_code,child_id,referral_id,referral_date,referral_source,referral_nfa"
REFERRAL_ROW = "E06000001,C1,R1,2019-05-01,1A,false"
RETURNS = "la_code,period_start,period_end,extract_date\nE06000001,2019-04-01,2020-03-31,2021-06-30\n"


def _folder(tmp_path, files: dict[str, str | bytes]):
    for name, content in files.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return tmp_path


def _register(folder, names=("referrals", "returns")):
    con = duckdb.connect()
    try:
        EHLDFolder(folder).register(con, list(names))
        return con.execute("SELECT count(*), count(referral_date) FROM referrals").fetchall()[0]
    finally:
        con.close()


def test_a_valid_folder_reads_as_before(tmp_path):
    folder = _folder(tmp_path, {"referrals.csv": f"{REFERRALS_HEADER}\n{REFERRAL_ROW}\n", "returns.csv": RETURNS})
    assert _register(folder) == (1, 1)


def test_semicolon_separated_file_is_refused_not_read_as_empty_columns(tmp_path):
    text = f"{REFERRALS_HEADER}\n{REFERRAL_ROW}\n".replace(",", ";")
    folder = _folder(tmp_path, {"referrals.csv": text, "returns.csv": RETURNS})
    with pytest.raises(DataError) as raised:
        _register(folder)
    assert raised.value.exit_code == 1
    assert raised.value.message.startswith("referrals.csv line 1:")
    assert "semicolons (;)" in raised.value.message
    assert "CSV UTF-8 (comma delimited)" in raised.value.hint


def test_a_renamed_required_column_is_refused_and_the_header_name_is_shown(tmp_path):
    header = REFERRALS_HEADER.replace("referral_date", "Referral Date")
    folder = _folder(tmp_path, {"referrals.csv": f"{header}\n{REFERRAL_ROW}\n", "returns.csv": RETURNS})
    with pytest.raises(DataError) as raised:
        _register(folder)
    message = raised.value.message
    assert message.startswith("referrals.csv line 1, column referral_date:")
    assert "required column referral_date is missing" in message
    assert "'Referral Date'" in message
    assert "earlyhelp validate" in raised.value.hint


def test_a_column_the_spec_does_not_name_and_nothing_resembles_is_allowed(tmp_path):
    folder = _folder(
        tmp_path, {"referrals.csv": f"{REFERRALS_HEADER},notes\n{REFERRAL_ROW},called mum\n", "returns.csv": RETURNS}
    )
    assert _register(folder) == (1, 1)


def test_a_header_only_file_is_a_table_with_no_records(tmp_path):
    folder = _folder(tmp_path, {"referrals.csv": REFERRALS_HEADER + "\n", "returns.csv": RETURNS})
    assert _register(folder) == (0, 0)


def test_an_empty_file_is_a_data_error_not_a_database_crash(tmp_path):
    folder = _folder(tmp_path, {"referrals.csv": "", "returns.csv": RETURNS})
    with pytest.raises(DataError) as raised:
        _register(folder)
    assert raised.value.message == "referrals.csv: referrals.csv is empty: it has no header row."


def test_a_utf16_file_is_a_data_error_not_a_decoding_crash(tmp_path):
    text = f"{REFERRALS_HEADER}\r\n{REFERRAL_ROW}\r\n".replace(",", "\t")
    folder = _folder(
        tmp_path, {"referrals.csv": codecs.BOM_UTF16_LE + text.encode("utf-16-le"), "returns.csv": RETURNS}
    )
    with pytest.raises(DataError) as raised:
        _register(folder)
    assert raised.value.message.startswith("referrals.csv line 1:")
    assert "UTF-16" in raised.value.message


def test_a_windows_1252_body_under_a_utf8_header_does_not_crash_the_header_read(tmp_path):
    # 0xEB is e-diaeresis in Windows-1252 and not UTF-8; the header itself is plain ASCII.
    body = f"{REFERRALS_HEADER}\n{REFERRAL_ROW}\n".encode() + b"E06000001,C2,R2,2019-05-02,1A,false\xeb\n"
    folder = _folder(tmp_path, {"referrals.csv": body, "returns.csv": RETURNS})
    con = duckdb.connect()
    EHLDFolder(folder).register(con, ["referrals", "returns"])  # views only: no value read yet
    con.close()


def test_a_parquet_file_without_a_required_column_is_refused(tmp_path):
    pq.write_table(
        pa.table(
            {
                "la_code": ["E06000001"],
                "child_id": ["C1"],
                "referral_id": ["R1"],
                "referral_source": ["1A"],
                "referral_nfa": [False],
            }
        ),
        tmp_path / "referrals.parquet",
    )
    (tmp_path / "returns.csv").write_text(RETURNS)
    with pytest.raises(DataError) as raised:
        _register(tmp_path)
    assert raised.value.message.startswith("referrals.parquet, column referral_date:")


@pytest.mark.parametrize(
    "name, table",
    [
        ("Referrals.csv", "referrals"),
        ("cin_plans (1).csv", "cin_plans"),
        ("Copy of children.csv", "children"),
        ("cp-plans.csv", "cp_plans"),
        ("referals.csv", "referrals"),
        ("children.xlsx", "children"),
    ],
)
def test_files_meant_for_a_table_but_not_named_after_it_are_recognised(tmp_path, name, table):
    (tmp_path / name).write_text("x\n")
    (tmp_path / "README.md").write_text("notes\n")
    (tmp_path / "budget.xlsx").write_bytes(b"PK\x03\x04")
    (tmp_path / "referrals.csv").write_text(REFERRALS_HEADER + "\n") if name != "Referrals.csv" else None
    assert misnamed_files(tmp_path) == {tmp_path / name: table}


def test_a_misnamed_file_is_refused_with_the_name_to_give_it(tmp_path):
    folder = _folder(tmp_path, {"Referrals.csv": f"{REFERRALS_HEADER}\n{REFERRAL_ROW}\n", "returns.csv": RETURNS})
    with pytest.raises(DataError) as raised:
        _register(folder)
    assert raised.value.message == (
        "Referrals.csv is not named after a table, so the referrals table would be read as having no records."
    )
    assert raised.value.hint == "Rename Referrals.csv to referrals.csv (file names are lower case)."


def test_a_windows_copy_beside_the_real_file_is_refused(tmp_path):
    folder = _folder(
        tmp_path,
        {
            "referrals.csv": f"{REFERRALS_HEADER}\n",
            "returns.csv": RETURNS,
            "referrals (1).csv": f"{REFERRALS_HEADER}\n{REFERRAL_ROW}\n",
        },
    )
    with pytest.raises(DataError) as raised:
        _register(folder)
    assert raised.value.message.startswith("referrals (1).csv looks like a second file for the referrals table")


def test_an_empty_folder_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError) as raised:
        check_ehld_folder(tmp_path)
    assert raised.value.exit_code == 2
    assert raised.value.message == f"{tmp_path} is empty."
    assert "referrals.csv" in raised.value.hint


def test_a_folder_of_other_files_is_a_usage_error(tmp_path):
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n")
    with pytest.raises(UsageError) as raised:
        check_ehld_folder(tmp_path)
    assert raised.value.message == (f"{tmp_path} holds no EHLD table: no CSV or Parquet file is named after a table.")


def test_a_folder_whose_only_table_is_misnamed_says_which_name_to_give(tmp_path):
    (tmp_path / "Referrals.csv").write_text(REFERRALS_HEADER + "\n")
    with pytest.raises(UsageError) as raised:
        check_ehld_folder(tmp_path)
    assert "Referrals.csv looks meant for the referrals table" in raised.value.message
    assert raised.value.hint == "Rename Referrals.csv to referrals.csv (file names are lower case)."


def test_a_missing_folder_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        check_ehld_folder(tmp_path / "nope")


def test_diagnose_names_the_line_and_column_of_a_value_that_does_not_convert(tmp_path):
    folder = _folder(
        tmp_path,
        {
            "referrals.csv": f"{REFERRALS_HEADER}\n{REFERRAL_ROW}\nE06000001,C2,R2,31/05/2019,1A,false\n",
            "returns.csv": RETURNS,
        },
    )
    problem = EHLDFolder(folder).diagnose(["referrals", "returns"])
    assert isinstance(problem, DataError)
    # One dd/mm/yyyy date among YYYY-MM-DD ones: the validator's one finding for the column.
    assert problem.message == (
        "referrals.csv line 3, column referral_date: Dates written day/month/year (1 value, the first one "
        "here) cannot be read for certain: the column mixes them with 1 value written another way."
    )
    assert "earlyhelp validate" in problem.hint


def test_diagnose_finds_nothing_in_a_valid_folder(tmp_path):
    folder = _folder(tmp_path, {"referrals.csv": f"{REFERRALS_HEADER}\n{REFERRAL_ROW}\n", "returns.csv": RETURNS})
    assert EHLDFolder(folder).diagnose(["referrals", "returns"]) is None
