"""Reading SSDA903 CSVs: recognised by columns, dd/mm/YYYY dates, both sex generations."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from earlyhelp.errors import UsageError
from earlyhelp.formats import FormatError, export, export_report, ingest, ingest_report
from earlyhelp.formats.cli import export as export_command
from earlyhelp.validate import validate_paths

from .ehld_builder import read_table, upn

HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
# Returns exported for 2024-25 below were extracted after that year ended: export refuses a
# year whose 31 March is after the extract date (by default, the latest event read).
EXTRACTED = dt.date(2025, 3, 31)
EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"


def _write(folder: Path, header: str, episodes: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    # Names an LA might choose: the reader goes by columns, not names.
    (folder / "903_head_2025.csv").write_text(HEADER + header)
    (folder / "903_eps_2025.csv").write_text(EPISODES + episodes)
    return folder


def test_both_sex_generations_and_dates(tmp_path: Path) -> None:
    files = _write(
        tmp_path / "in",
        "101,1,14/02/2013,WBRI,A805000001001,,\n102,F,29/02/2012,BCRB,,,\n",
        "101,10/06/2024,S,C2,N1,U4,PR1,02/09/2024,X1,,TS24 8AA,TS1 1AA,SC123456\n"
        "101,02/09/2024,P,C2,N1,U6,PR1,,,CARPL,TS24 9ZZ,TS1 1AA,SC123456\n"
        "102,01/11/2023,S,V2,N4,U1,PR1,30/08/2024,E13,,TS25 1AA,,\n",
    )
    out = ingest([files], tmp_path / "ehld", la_code="E06000001")
    children = {c["child_id"]: c for c in read_table(out, "children")}
    assert children["E06000001-101"]["sex"] == "M"  # "1" (to 2023-24)
    assert children["E06000001-102"]["sex"] == "F"  # "F" (2024-25 onwards)
    assert children["E06000001-102"]["birth_month"] == "2012-02"
    episodes = read_table(out, "looked_after_episodes")
    assert [(e["start_date"], e["end_date"], e["reason_ceased"]) for e in episodes] == [
        ("2024-06-10", "2024-09-02", "X1"),
        ("2024-09-02", "", ""),
        ("2023-11-01", "2024-08-30", "E13"),
    ]
    identity = {p["source_record_id"]: p for p in read_table(out, "person_identifiers")}
    # The home postcode of the latest episode; every postcode in episode_postcodes.
    assert identity["E06000001-101"]["postcode"] == "TS24 9ZZ"
    assert identity["E06000001-101"]["date_of_birth"] == "2013-02-14"
    assert [
        (p["start_date"], p["home_postcode"], p["placement_postcode"]) for p in read_table(out, "episode_postcodes")
    ] == [
        ("2024-06-10", "TS24 8AA", "TS1 1AA"),
        ("2024-09-02", "TS24 9ZZ", "TS1 1AA"),
        ("2023-11-01", "TS25 1AA", ""),
    ]
    for file in out.glob("*.csv"):
        if file.stem not in ("person_identifiers", "episode_postcodes"):
            assert "TS1 1AA" not in file.read_text() and "TS2" not in file.read_text()


def test_errors_name_file_row_and_column_and_mask_dates_of_birth(tmp_path: Path) -> None:
    files = _write(
        tmp_path / "in",
        "101,1,31/02/2013,WBRI,,,\n102,7,01/01/2012,WBRI,,,\n",
        "102,2024-06-10,S,C2,N1,U4,,,,,,,\n102,10/06/2024,Q,C2,N1,U4,,,,,,,\n",
    )
    with pytest.raises(FormatError) as caught:
        ingest([files], tmp_path / "ehld", la_code="E06000001")
    found = {(i.file, i.location, i.field) for i in caught.value.issues}
    assert found == {
        ("903_head_2025.csv", "row 2", "DOB"),
        ("903_head_2025.csv", "row 3", "SEX"),
        ("903_eps_2025.csv", "row 2", "DECOM"),
        ("903_eps_2025.csv", "row 3", "RNE"),
    }
    assert "31/02/2013" not in caught.value.message


def test_la_code_is_required(tmp_path: Path) -> None:
    files = _write(tmp_path / "in", "101,1,14/02/2013,WBRI,,,\n", "")
    with pytest.raises(UsageError, match="which LA"):
        ingest([files], tmp_path / "ehld")


def test_peer_sample_set(shared_reference: Path, tmp_path: Path) -> None:
    folder = shared_reference / "peer-samples" / "ssda903"
    # The CSV form of the return (the folder also holds its XML form: one form at a time).
    report = ingest_report(sorted(folder.glob("*.csv")), tmp_path / "ehld", la_code="E06000001", skip_invalid=True)
    with open(folder / "header.csv", newline="") as handle:
        header_rows = list(csv.DictReader(handle))
    with open(folder / "episodes.csv", newline="") as handle:
        episode_rows = list(csv.DictReader(handle))
    assert report.rows["children"] == len(header_rows) == 2675
    assert report.issue_count == 0
    assert report.rows["looked_after_episodes"] == len(episode_rows) == 5050
    started = [e for e in read_table(tmp_path / "ehld", "looked_after_episodes") if e["reason_new_episode"] == "S"]
    assert len(started) == sum(1 for row in episode_rows if row["RNE"] == "S")
    # The other files are read and listed as not kept (tests/formats/test_peer_samples_903.py has the counts).
    not_kept = {item.file for item in report.not_placed}
    assert "reviews.csv" in not_kept and "header.csv" not in not_kept and report.ignored_files == []


# A 2024-25 return (letter sex codes) using every SSDA903 field earlyhelp reads. Child 101 moves
# placement (REASON_PLACE_CHANGE on the episode that ends), 102 is a mother, 103 a girl who is
# not, 104 a boy on short breaks (no postcodes, no URN, no MOTHER).
FULL_HEADER = (
    f"101,M,14/02/2013,WBRI,{upn('805', 1)},,\n"
    f"102,F,29/02/2008,BCRB,{upn('805', 2)},1,03/05/2024\n"
    f"103,F,01/09/2010,WBRI,{upn('805', 3)},0,\n"
    f"104,M,05/05/2015,WBRI,{upn('805', 4)},,\n"
)
FULL_EPISODES = (
    "101,10/06/2024,S,C2,N1,U4,PR1,02/09/2024,X1,CARPL,TS24 8AA,TS25 1AA,SC123456\n"
    "101,02/09/2024,P,C2,N1,R1,PR2,,,,TS24 8AA,DL1 1AA,\n"
    "102,01/11/2023,T,C2,N4,K2,PR4,,,,TS26 9AA,B91 3QB,SC654321\n"
    "103,15/04/2024,S,V2,N2,P1,PR0,30/08/2024,E13,,TS24 7BB,TS24 7BB,\n"
    "104,03/05/2024,S,V4,N1,H5,PR1,,,,,,\n"
)


def _rows_of(path: Path) -> list[list[str]]:
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


def test_every_field_round_trips_through_ehld_and_the_identity_zone(tmp_path: Path) -> None:
    files = _write(tmp_path / "in", FULL_HEADER, FULL_EPISODES)
    ehld = ingest([files], tmp_path / "ehld", la_code="E06000001", extract_date=EXTRACTED)
    episodes = {row["start_date"]: row for row in read_table(ehld, "looked_after_episodes")}
    assert {k: episodes["2024-06-10"][k] for k in ("placement_provider", "reason_place_change", "urn")} == {
        "placement_provider": "PR1",
        "reason_place_change": "CARPL",
        "urn": "SC123456",
    }
    assert episodes["2024-05-03"]["placement_provider"] == "PR1"  # 104: nothing else held
    mothers = {row["child_id"]: row["mother"] for row in read_table(ehld, "children")}
    assert mothers == {"E06000001-101": "", "E06000001-102": "true", "E06000001-103": "false", "E06000001-104": ""}
    postcodes = {(row["child_id"], row["start_date"]): row for row in read_table(ehld, "episode_postcodes")}
    assert postcodes[("E06000001-101", "2024-06-10")] == {
        "la_code": "E06000001",
        "child_id": "E06000001-101",
        "start_date": "2024-06-10",
        "home_postcode": "TS24 8AA",
        "placement_postcode": "TS25 1AA",
        "mother_child_dob": "",
    }
    assert postcodes[("E06000001-102", "2023-11-01")]["mother_child_dob"] == "2024-05-03"
    assert ("E06000001-104", "2024-05-03") not in postcodes  # short breaks: no postcode held
    # Identity zone only: no postcode or baby's birth date reaches an analytic table, and the
    # folder is still valid EHLD.
    for file in ehld.glob("*.csv"):
        if file.stem in ("person_identifiers", "episode_postcodes"):
            continue
        text = file.read_text()
        assert "TS2" not in text and "DL1 1AA" not in text and "B91 3QB" not in text
        assert "2024-05-03" not in text or file.stem == "looked_after_episodes"  # 104's DECOM
    assert validate_paths([ehld]).ok

    report = export_report(ehld, "ssda903", tmp_path / "out", year=2025)
    assert report.notes == []  # episode_postcodes is there: nothing is left empty
    folder = tmp_path / "out" / "E06000001"
    assert _rows_of(folder / "header.csv") == _rows_of(files / "903_head_2025.csv")
    assert _rows_of(folder / "episodes.csv") == _rows_of(files / "903_eps_2025.csv")


def test_a_mother_after_the_collection_year_is_not_one_yet(tmp_path: Path) -> None:
    ehld = ingest([_write(tmp_path / "in", FULL_HEADER, FULL_EPISODES)], tmp_path / "ehld", la_code="E06000001")
    export(ehld, "ssda903", tmp_path / "out", year=2024)  # 2023-24: only 102 is looked after
    header = _rows_of(tmp_path / "out" / "E06000001" / "header.csv")
    # Her child is born 3 May 2024, after 31 March 2024; the 2023-24 return has sex 1/2.
    assert header[1:] == [["102", "2", "29/02/2008", "BCRB", upn("805", 2), "0", ""]]
    episodes = _rows_of(tmp_path / "out" / "E06000001" / "episodes.csv")
    assert episodes[1] == [
        "102",
        "01/11/2023",
        "T",
        "C2",
        "N4",
        "K2",
        "PR4",
        "",
        "",
        "",
        "TS26 9AA",
        "B91 3QB",
        "SC654321",
    ]


def test_a_reason_for_a_change_after_31_march_is_not_written(tmp_path: Path) -> None:
    episodes = (
        "101,10/06/2024,S,C2,N1,U4,PR1,02/04/2025,X1,CARPL,TS24 8AA,TS25 1AA,SC123456\n"
        "101,02/04/2025,P,C2,N1,R1,PR2,,,,TS24 8AA,DL1 1AA,\n"
    )
    ehld = ingest(
        [_write(tmp_path / "in", FULL_HEADER.splitlines()[0] + "\n", episodes)], tmp_path / "ehld", la_code="E06000001"
    )
    export(ehld, "ssda903", tmp_path / "out", year=2025)
    written = _rows_of(tmp_path / "out" / "E06000001" / "episodes.csv")
    # The episode is open on 31 March 2025: its end, reason ceased and reason for the
    # placement change are not known yet.
    assert written[1:] == [
        ["101", "10/06/2024", "S", "C2", "N1", "U4", "PR1", "", "", "", "TS24 8AA", "TS25 1AA", "SC123456"]
    ]


def test_bad_ssda903_codes_name_the_field_and_mask_the_babys_birth_date(tmp_path: Path) -> None:
    files = _write(
        tmp_path / "in",
        "101,1,14/02/2013,WBRI,,,\n102,2,01/01/2008,WBRI,,2,\n103,2,01/01/2008,WBRI,,1,31/02/2024\n",
        "101,10/06/2024,S,C2,N1,U4,PR9,02/09/2024,X1,MOVED,,,\n101,02/09/2024,P,C2,N1,U6,PR1,,,,,,SC12\n",
    )
    with pytest.raises(FormatError) as caught:
        ingest([files], tmp_path / "ehld", la_code="E06000001")
    found = {(i.file, i.location, i.field) for i in caught.value.issues}
    assert found == {
        ("903_eps_2025.csv", "row 2", "PLACE_PROVIDER"),
        ("903_eps_2025.csv", "row 2", "REASON_PLACE_CHANGE"),
        ("903_eps_2025.csv", "row 3", "URN"),
        ("903_head_2025.csv", "row 3", "MOTHER"),
        ("903_head_2025.csv", "row 4", "MC_DOB"),
    }
    assert "'PR9' is not a PLACE_PROVIDER code" in caught.value.message
    assert "31/02/2024" not in caught.value.message


def test_without_episode_postcodes_the_export_says_once_what_it_leaves_empty(tmp_path: Path) -> None:
    files = _write(tmp_path / "in", FULL_HEADER, FULL_EPISODES)
    ehld = ingest([files], tmp_path / "ehld", la_code="E06000001", extract_date=EXTRACTED)
    (ehld / "episode_postcodes.csv").unlink()
    result = CliRunner().invoke(
        export_command, ["--data", str(ehld), "--to", "ssda903", "--year", "2025", "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("No episode_postcodes table") == 1
    for field in ("PL_POST", "MC_DOB"):
        assert field in result.output
    with open(tmp_path / "out" / "E06000001" / "episodes.csv", newline="") as handle:
        episodes = list(csv.DictReader(handle))
    assert {e["PL_POST"] for e in episodes} == {""}
    assert [e["PLACE_PROVIDER"] for e in episodes] == ["PR1", "PR2", "PR4", "PR0", "PR1"]  # analytic: still there
    # HOME_POST falls back to the child's postcode in person_identifiers (the latest HOME_POST).
    assert [e["HOME_POST"] for e in episodes if e["CHILD"] == "101"] == ["TS24 8AA", "TS24 8AA"]


def test_the_identity_zone_can_live_in_its_own_folder(tmp_path: Path) -> None:
    """Export joins the identifiers back from an identity folder given beside the analytic one."""
    files = _write(tmp_path / "in", FULL_HEADER, FULL_EPISODES)
    ehld = ingest([files], tmp_path / "ehld", la_code="E06000001", extract_date=EXTRACTED)
    identity = tmp_path / "identity"
    identity.mkdir()
    for name in ("person_identifiers", "episode_postcodes"):
        (ehld / f"{name}.csv").rename(identity / f"{name}.csv")
    export([ehld, identity], "ssda903", tmp_path / "out", year=2025)
    folder = tmp_path / "out" / "E06000001"
    assert _rows_of(folder / "header.csv") == _rows_of(files / "903_head_2025.csv")
    assert _rows_of(folder / "episodes.csv") == _rows_of(files / "903_eps_2025.csv")


def test_ingesting_an_ehld_folder_keeps_its_episode_postcodes(tmp_path: Path) -> None:
    ehld = ingest([_write(tmp_path / "in", FULL_HEADER, FULL_EPISODES)], tmp_path / "ehld", la_code="E06000001")
    copied = ingest([ehld], tmp_path / "copy")
    for name in ("episode_postcodes", "looked_after_episodes", "children"):
        assert (copied / f"{name}.csv").read_text() == (ehld / f"{name}.csv").read_text()
