"""Black-box review findings on `earlyhelp ingest`: Excel saves (';', UTF-16, Windows-1252,
lower-case headers) are recognised or refused clearly, --skip-invalid leaves out whole
children and still writes returns, SSD dates have one format per column, and --extract-date
is checked against the events read.

Expectations are worked out from the small files written in each test.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from earlyhelp.errors import DataError, UsageError
from earlyhelp.formats import FormatError, ingest, ingest_report

from .ehld_builder import read_table
from .test_ssd import _extract, _table

LA = "E06000001"
HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
# Two children: 101 with two episodes (2024-06-10 to 2024-09-02, then open), 102 with one
# (2023-11-01 to 2024-08-30). The latest event date is 2024-09-02.
HEADER_ROWS = "101,1,14/02/2013,WBRI,,,\n102,F,29/02/2012,BCRB,,,\n"
EPISODE_ROWS = (
    "101,10/06/2024,S,C2,N1,U4,PR1,02/09/2024,X1,,TS24 8AA,,\n"
    "101,02/09/2024,P,C2,N1,U6,PR1,,,CARPL,TS24 9ZZ,,\n"
    "102,01/11/2023,S,V2,N4,U1,PR1,30/08/2024,E13,,TS25 1AA,,\n"
)


def _ssda903(
    folder: Path,
    header: str = HEADER + HEADER_ROWS,
    episodes: str = EPISODES + EPISODE_ROWS,
    *,
    encoding: str = "utf-8",
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "head.csv").write_bytes(header.encode(encoding))
    (folder / "eps.csv").write_bytes(episodes.encode(encoding))
    return folder


def _child_ids(out: Path, table: str, column: str = "child_id") -> list[str]:
    return sorted({row[column] for row in read_table(out, table)})


# ------------------------------------------------------------------ finding 13 (and 5): Excel saves


@pytest.mark.parametrize("variant", ["semicolons", "utf16_tabs", "lower_case_header", "bom_crlf"])
def test_excel_saves_of_ssda903_are_read(tmp_path: Path, variant: str) -> None:
    header, episodes, encoding = HEADER + HEADER_ROWS, EPISODES + EPISODE_ROWS, "utf-8"
    if variant == "semicolons":  # Excel under European region settings
        header, episodes = header.replace(",", ";"), episodes.replace(",", ";")
    elif variant == "utf16_tabs":  # Excel's "Unicode Text"
        header, episodes, encoding = header.replace(",", "\t"), episodes.replace(",", "\t"), "utf-16"
    elif variant == "lower_case_header":
        episodes = EPISODES.lower() + EPISODE_ROWS
    else:
        header = "\ufeff" + header.replace("\n", "\r\n")
        episodes = "\ufeff" + episodes.replace("\n", "\r\n")
    out = ingest([_ssda903(tmp_path / "in", header, episodes, encoding=encoding)], tmp_path / "ehld", la_code=LA)
    assert _child_ids(out, "children") == [f"{LA}-101", f"{LA}-102"]
    episodes_read = read_table(out, "looked_after_episodes")
    assert [(e["child_id"], e["start_date"], e["end_date"]) for e in episodes_read] == [
        (f"{LA}-101", "2024-06-10", "2024-09-02"),
        (f"{LA}-101", "2024-09-02", ""),
        (f"{LA}-102", "2023-11-01", "2024-08-30"),
    ]


def test_windows_1252_ssda903_is_a_data_error_with_line_and_hint(tmp_path: Path) -> None:
    # Line 3 holds the only non-ASCII byte: an é in the UPN column (0xE9 in Windows-1252).
    header = HEADER + "101,1,14/02/2013,WBRI,,,\n102,F,29/02/2012,BCRB,\u00e9,,\n"
    folder = _ssda903(tmp_path / "in", header, encoding="cp1252")
    with pytest.raises(DataError) as caught:
        ingest([folder], tmp_path / "ehld", la_code=LA)
    assert caught.value.message.startswith("head.csv, line 3: the file is not UTF-8")
    assert "CSV UTF-8" in caught.value.hint and "Windows-1252" in caught.value.hint
    assert not (tmp_path / "ehld").exists()


def test_windows_1252_and_utf16_ssd_extracts(tmp_path: Path) -> None:
    folder = _extract(tmp_path / "ssd")
    person = folder / "ssd_person.csv"
    text = person.read_text()
    person.write_bytes(text.replace("Amy", "Zo\u00eb").encode("cp1252"))
    with pytest.raises(DataError) as caught:
        ingest([folder], tmp_path / "a", la_code=LA)
    # Zoë is on line 2 (P1, the first person); her name is never shown.
    assert caught.value.message.startswith("ssd_person.csv, line 2: the file is not UTF-8")
    assert "Zo" not in caught.value.message
    person.write_bytes(text.replace("Amy", "Zo\u00eb").encode("utf-16"))
    episodes = folder / "ssd_cin_episodes.csv"
    episodes.write_text(episodes.read_text().replace(",", ";"))
    out = ingest([folder], tmp_path / "b", la_code=LA)
    assert [r["referral_id"] for r in read_table(out, "referrals")] == ["R1", "R2"]
    identity = {p["source_record_id"]: p for p in read_table(out, "person_identifiers")}
    assert identity[f"{LA}-P1"]["forename"] == "Zo\u00eb"


def test_spreadsheets_get_a_save_as_csv_hint(tmp_path: Path) -> None:
    folder = _ssda903(tmp_path / "in")
    (folder / "children.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(UsageError) as caught:
        ingest([folder], tmp_path / "ehld", la_code=LA)
    assert "children.xlsx" in caught.value.message and "CSV UTF-8" in caught.value.hint
    (folder / "children.xlsx").rename(folder / "sheet.csv")
    with pytest.raises(DataError, match="sheet.csv is not a CSV text file: it is an Excel workbook"):
        ingest([folder], tmp_path / "ehld", la_code=LA)


# ------------------------------------------------------------------ finding 11: --skip-invalid


def test_skip_invalid_leaves_out_the_whole_ssda903_child_and_writes_returns(tmp_path: Path) -> None:
    # 101's second episode has an ISO date: child 101 goes entirely (header row, identity, both
    # episodes, episode_postcodes); 102 stays. returns is written, spanning the events read: 2023-11-01
    # (102's start) to 2024-09-02 (the end of 101's first episode, read before 101 was left out).
    episodes = EPISODES + EPISODE_ROWS.replace("101,02/09/2024,P", "101,2024-09-02,P")
    report = ingest_report(
        [_ssda903(tmp_path / "in", episodes=episodes)], tmp_path / "ehld", la_code=LA, skip_invalid=True
    )
    out = report.out
    assert _child_ids(out, "children") == [f"{LA}-102"]
    assert _child_ids(out, "looked_after_episodes") == [f"{LA}-102"]
    assert _child_ids(out, "person_identifiers", "source_record_id") == [f"{LA}-102"]
    assert _child_ids(out, "episode_postcodes") == [f"{LA}-102"]
    (returns,) = read_table(out, "returns")
    assert (returns["la_code"], returns["period_start"], returns["period_end"]) == (LA, "2023-11-01", "2024-09-02")
    assert report.skipped_children == 1
    assert "1 children left out" in report.summary()
    issues = (out / "ingest_issues.tsv").read_text().splitlines()
    assert len(issues) == 2 and "eps.csv\trow 3\tDECOM" in issues[1]
    assert f"{LA}-101" not in issues[1]


def test_skip_invalid_leaves_out_the_whole_ssd_child(tmp_path: Path) -> None:
    # P1's referral R1 has an unknown source code: P1's child row, identity, assessment, S47,
    # CP plan and early help episode EH1 all go; P2 (R2, the CLA episode, EH2) stays.
    folder = _extract(tmp_path / "ssd")
    episodes = folder / "ssd_cin_episodes.csv"
    episodes.write_text(episodes.read_text().replace(",2A,", ",ZZ,"))
    out = ingest([folder], tmp_path / "ehld", la_code=LA, skip_invalid=True)
    for table in ("children", "referrals", "looked_after_episodes", "early_help_episodes"):
        assert _child_ids(out, table) == [f"{LA}-P2"], table
    for table in ("assessments", "s47_enquiries", "cp_plans"):
        assert read_table(out, table) == [], table
    assert [r["la_code"] for r in read_table(out, "returns")] == [LA]


def test_skip_invalid_with_no_child_left_stops(tmp_path: Path) -> None:
    episodes = EPISODES + EPISODE_ROWS.replace("/", "-")  # every episode date unreadable
    with pytest.raises(FormatError, match="No child could be ingested") as caught:
        ingest([_ssda903(tmp_path / "in", episodes=episodes)], tmp_path / "ehld", la_code=LA, skip_invalid=True)
    assert caught.value.exit_code == 1
    assert not (tmp_path / "ehld").exists()


# ------------------------------------------------------------------ finding 12: US dates in SSD


def test_ssd_file_with_month_first_dates_is_refused_row_by_row(tmp_path: Path) -> None:
    folder = _extract(tmp_path / "ssd")
    rows = list(csv.DictReader((folder / "ssd_cin_episodes.csv").open()))
    # R1: 6/3/2024 and 7/15/2024 (month-first: there is no month 15); R2: 9/10/2024 twice, which
    # day-first would read as 9 October: in a file with month-first dates that is unsafe.
    rows[0] |= {"cine_referral_date": "6/3/2024", "cine_close_date": "7/15/2024"}
    rows[1] |= {"cine_referral_date": "9/10/2024", "cine_close_date": "9/10/2024"}
    _table(folder, "ssd_cin_episodes", rows)
    with pytest.raises(FormatError) as caught:
        ingest([folder], tmp_path / "ehld", la_code=LA)
    month_first = {(i.location, i.field) for i in caught.value.issues if i.rule == "one date format per file"}
    assert month_first == {
        ("row 2", "cine_referral_date"),
        ("row 2", "cine_close_date"),
        ("row 3", "cine_referral_date"),
        ("row 3", "cine_close_date"),
    }
    message = str(caught.value)
    assert "7/15/2024 (in cine_close_date)" in message and "YYYY-MM-DD" in message


def test_ssd_day_first_dates_are_still_read(tmp_path: Path) -> None:
    folder = _extract(tmp_path / "ssd")
    rows = list(csv.DictReader((folder / "ssd_cin_episodes.csv").open()))
    rows[1] |= {"cine_referral_date": "10/09/2024", "cine_close_date": "25/09/2024"}
    _table(folder, "ssd_cin_episodes", rows)
    out = ingest([folder], tmp_path / "ehld", la_code=LA)
    r2 = next(r for r in read_table(out, "referrals") if r["referral_id"] == "R2")
    assert (r2["referral_date"], r2["closure_date"]) == ("2024-09-10", "2024-09-25")


# ------------------------------------------------------------------ finding 27: --extract-date


def test_extract_date_before_the_latest_event_is_refused(tmp_path: Path) -> None:
    folder = _ssda903(tmp_path / "in")
    with pytest.raises(UsageError, match=r"--extract-date 2024-09-01 is before .* \(2024-09-02\)"):
        ingest([folder], tmp_path / "a", la_code=LA, extract_date=dt.date(2024, 9, 1))
    assert not (tmp_path / "a").exists()
    out = ingest([folder], tmp_path / "b", la_code=LA, extract_date=dt.date(2024, 9, 2))
    (returns,) = read_table(out, "returns")
    assert returns["extract_date"] == "2024-09-02"


def test_cli_exit_codes_and_no_traceback(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    earlyhelp = Path(sys.executable).with_name("earlyhelp")
    env = {k: v for k, v in os.environ.items() if k != "EARLYHELP_DEBUG"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(earlyhelp), "ingest", *args], capture_output=True, text=True, env=env)

    cp1252 = _ssda903(tmp_path / "cp", HEADER + "101,1,14/02/2013,WBRI,\u00e9,,\n", encoding="cp1252")
    done = run(str(cp1252), "--la-code", LA, "--out", str(tmp_path / "a"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "head.csv, line 2" in done.stderr and "Hint:" in done.stderr
    done = run(
        str(_ssda903(tmp_path / "ok")), "--la-code", LA, "--out", str(tmp_path / "b"), "--extract-date", "2015-01-01"
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--extract-date 2015-01-01 is before the latest event date" in done.stderr
