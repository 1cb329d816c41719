"""File-level problems: each is one finding with a plain message, never a traceback."""

from __future__ import annotations

import codecs

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from validate_helpers import BASE, make_return, where

from earlyhelp.errors import UsageError
from earlyhelp.validate import validate_paths

REFERRALS_HEADER = BASE["referrals.csv"].splitlines()[0]


@pytest.mark.parametrize(
    ("content", "rule_id", "line"),
    [
        (b"", "file-empty", None),
        (b"\n\n  \n", "file-empty", None),
        (b"PK\x03\x04\x14\x00\x06\x00rest of a workbook", "file-binary", None),
        (b"PAR1\x00\x00", "file-binary", None),
        (b"la_code\x00child_id\n", "file-binary", None),
        # NUL bytes on both sides of every pair: binary, not UTF-16 text without a byte-order mark
        (b"PK\x03\x04" + b"\x00" * 200, "file-binary", None),
        (b"\x00" * 64, "file-binary", None),
        (codecs.BOM_UTF16_LE + REFERRALS_HEADER.encode("utf-16-le"), "file-utf16", 1),
        (REFERRALS_HEADER.replace(",", ";").encode() + b"\nE06000001;C1;R9\n", "file-delimiter", 1),
        (REFERRALS_HEADER.replace(",", "\t").encode() + b"\n", "file-delimiter", 1),
    ],
    ids=[
        "zero-bytes",
        "whitespace",
        "xlsx",
        "parquet-named-csv",
        "nul",
        "zip-padded",
        "all-nul",
        "utf16",
        "semicolon",
        "tab",
    ],
)
def test_unreadable_files_are_one_finding(tmp_path, content, rule_id, line):
    folder = make_return(tmp_path, {"referrals.csv": content})
    report = validate_paths([folder])
    file_findings = [f for f in report.findings if f.file == "referrals.csv"]
    assert [(f.rule_id, f.line) for f in file_findings] == [(rule_id, line)]
    assert not report.ok


def test_windows_1252_text_is_reported_at_its_line(tmp_path):
    rows = BASE["referrals.csv"] + "E06000001,C1,R3,2019-05-01,1A,N1,false,,\n"
    content = rows.encode() + "E06000001,C1,R4,2019-05-01,1A,N1,false,,RC1 caf\u00e9\n".encode("cp1252")
    report = validate_paths([make_return(tmp_path, {"referrals.csv": content})])
    [finding] = [f for f in report.findings if f.rule_id == "file-encoding"]
    assert finding.line == 5
    assert "0xE9" in finding.message


def test_header_only_is_a_warning_not_an_error(tmp_path):
    report = validate_paths([make_return(tmp_path, {"assessments.csv": BASE["assessments.csv"].splitlines()[0]})])
    assert report.ok
    assert where(report) == {("file-no-rows", "assessments.csv", None, None)}


def test_bom_crlf_and_quoted_line_breaks_keep_line_numbers_true(tmp_path):
    header, first, second = BASE["referrals.csv"].splitlines()
    text = (
        "\r\n".join(
            [
                header,
                first,
                'E06000001,"C\r\n2",R7,2019-06-01,5C,,false,,',  # lines 3-4: a value with a line break
                "",  # line 5: blank
                "E06000001,C2,R8,2019-06-01,5C,,false,,XX",  # line 6: bad closure reason
                "E06000001,C2,R9,2019-06-01",  # line 7: too few fields
                second,  # line 8
                "E06000001,C2,R2,2019-06-01,5C,,false,,",  # line 9: R2 again
            ]
        )
        + "\r\n"
    )
    report = validate_paths([make_return(tmp_path, {"referrals.csv": codecs.BOM_UTF8 + text.encode()})])
    assert where(report) == {
        ("file-bom", "referrals.csv", 1, None),
        ("key-foreign", "referrals.csv", 3, "child_id"),  # child "C\r\n2" does not exist
        ("row-blank", "referrals.csv", 5, None),
        ("value-code", "referrals.csv", 6, "closure_reason"),
        ("row-field-count", "referrals.csv", 7, None),
        ("key-duplicate", "referrals.csv", 9, "referral_id"),
    }
    duplicate = next(f for f in report.findings if f.rule_id == "key-duplicate")
    assert "first on line 8" in duplicate.message


def test_line_numbers_hold_across_many_batches(tmp_path, monkeypatch):
    from earlyhelp.validate import reader

    monkeypatch.setattr(reader, "BLOCK_BYTES", 256)  # many small batches
    header = BASE["referrals.csv"].splitlines()[0]
    lines = [header]
    for i in range(1, 200):
        if i % 37 == 0:
            lines.append(f'E06000001,C1,"R\n{i}",2019-05-01,1A,N1,false,,')  # two physical lines
        elif i % 50 == 0:
            lines.append("E06000001,C1")  # too few fields
        else:
            lines.append(f"E06000001,C1,R{i},2019-05-01,{'1A' if i != 120 else 'ZZ'},N1,false,,")
    report = validate_paths([make_return(tmp_path, {"referrals.csv": "\n".join(lines) + "\n"})])

    # Records 1..199; record i starts on line i + 1 + (records with a break before it).
    def line_of(i: int) -> int:
        return i + 1 + sum(1 for j in range(1, i) if j % 37 == 0)

    assert sorted(f.line for f in report.findings if f.rule_id == "row-field-count") == [
        line_of(50),
        line_of(100),
        line_of(150),
    ]
    [code] = [f for f in report.findings if f.rule_id == "value-code"]
    assert code.line == line_of(120) == 124


def test_unknown_and_duplicate_files(tmp_path):
    folder = make_return(tmp_path, {"Referrals_2024.csv": "x\n"})
    pq.write_table(pa.table({"la_code": ["E06000001"], "child_id": ["C1"]}), folder / "children.parquet")
    report = validate_paths([folder])
    assert ("file-unknown-table", "Referrals_2024.csv", None, None) in where(report)
    assert ("file-duplicate-table", "children.parquet", None, None) in where(report)


def test_missing_path_and_empty_folder_are_usage_errors(tmp_path):
    with pytest.raises(UsageError):
        validate_paths([tmp_path / "nope"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError):
        validate_paths([tmp_path / "empty"])


def test_a_referenced_table_that_is_absent_is_one_finding(tmp_path):
    report = validate_paths([make_return(tmp_path, {"children.csv": None})])
    assert where(report) == {
        ("key-table-missing", "referrals.csv", None, None),
        ("key-table-missing", "early_help_episodes.csv", None, None),
    }
    # returns.csv absent: every table refers to it, once each.
    report = validate_paths([make_return(tmp_path / "b", {"returns.csv": None, "person_identifiers.csv": None})])
    assert {f.rule_id for f in report.findings} == {"key-table-missing"}
    assert len(report.findings) == 5


def test_parquet_files_are_checked_by_row(tmp_path):
    folder = make_return(tmp_path, {"children.csv": None})
    pq.write_table(
        pa.table(
            {
                "la_code": ["E06000001", "E06000001", "E06000001"],
                "child_id": ["C1", "C2", "C3"],
                "birth_month": ["2012-05", "2014-01", "2015-02"],
                "sex": ["F", "M", "Q"],
                "disabled": [True, None, False],
                "idaci_decile": pa.array([3, None, 12], pa.int64()),
            }
        ),
        folder / "children.parquet",
    )
    report = validate_paths([folder])
    assert where(report) == {
        ("value-code", "children.parquet", 3, "sex"),
        ("value-range", "children.parquet", 3, "idaci_decile"),
    }
    assert report.findings[0].location().startswith("children.parquet row 3")


def test_parquet_with_dates_and_a_corrupt_file(tmp_path):
    import datetime as dt

    folder = make_return(tmp_path, {"returns.csv": None})
    pq.write_table(
        pa.table(
            {
                "la_code": ["E06000001"],
                "period_start": [dt.date(2019, 4, 1)],
                "period_end": [dt.date(2020, 3, 31)],
                "extract_date": [dt.date(2019, 12, 31)],
            }
        ),
        folder / "returns.parquet",
    )
    report = validate_paths([folder])
    # Extract date 2019-12-31 now precedes the goal's episode end (2020-01-31).
    assert ("after-extract-date", "early_help_episodes.csv", 2, "end_date") in where(report)
    (folder / "returns.parquet").write_bytes(b"PAR1 not really")
    report = validate_paths([folder])
    assert ("file-parquet", "returns.parquet", None, None) in where(report)


def test_parquet_column_of_the_wrong_type(tmp_path):
    folder = make_return(tmp_path, {"children.csv": None})
    pq.write_table(
        pa.table(
            {
                "la_code": ["E06000001", "E06000001"],
                "child_id": ["C1", "C2"],
                "birth_month": ["2012-05", "2014-01"],
                "sex": pa.array([["F"], ["M"]]),
            }
        ),
        folder / "children.parquet",
    )
    report = validate_paths([folder])
    assert where(report) == {("column-type", "children.parquet", None, "sex")}
    assert "has the type list<element: string>" in report.findings[0].message
