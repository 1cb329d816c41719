"""Reading SSDA903 CSVs: recognised by columns, dd/mm/YYYY dates, both sex generations."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from earlyhelp.errors import UsageError
from earlyhelp.formats import FormatError, ingest, ingest_report
from .ehld_builder import read_table

HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
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
        ("2024-06-10", "2024-09-02", "X1"), ("2024-09-02", "", ""), ("2023-11-01", "2024-08-30", "E13")]
    identity = {p["source_record_id"]: p for p in read_table(out, "person_identifiers")}
    # The home postcode of the latest episode; placement postcodes are not kept.
    assert identity["E06000001-101"]["postcode"] == "TS24 9ZZ"
    assert identity["E06000001-101"]["date_of_birth"] == "2013-02-14"
    for file in out.glob("*.csv"):
        if file.stem != "person_identifiers":
            assert "TS1 1AA" not in file.read_text() and "TS24" not in file.read_text()


def test_errors_name_file_row_and_column_and_mask_dates_of_birth(tmp_path: Path) -> None:
    files = _write(tmp_path / "in", "101,1,31/02/2013,WBRI,,,\n102,7,01/01/2012,WBRI,,,\n",
                   "102,2024-06-10,S,C2,N1,U4,,,,,,,\n102,10/06/2024,Q,C2,N1,U4,,,,,,,\n")
    with pytest.raises(FormatError) as caught:
        ingest([files], tmp_path / "ehld", la_code="E06000001")
    found = {(i.file, i.location, i.field) for i in caught.value.issues}
    assert found == {
        ("903_head_2025.csv", "row 2", "DOB"), ("903_head_2025.csv", "row 3", "SEX"),
        ("903_eps_2025.csv", "row 2", "DECOM"), ("903_eps_2025.csv", "row 3", "RNE"),
    }
    assert "31/02/2013" not in caught.value.message


def test_la_code_is_required(tmp_path: Path) -> None:
    files = _write(tmp_path / "in", "101,1,14/02/2013,WBRI,,,\n", "")
    with pytest.raises(UsageError, match="which LA"):
        ingest([files], tmp_path / "ehld")


def test_peer_sample_set(shared_reference: Path, tmp_path: Path) -> None:
    folder = shared_reference / "peer-samples" / "ssda903"
    report = ingest_report([folder], tmp_path / "ehld", la_code="E06000001", skip_invalid=True)
    with open(folder / "header.csv", newline="") as handle:
        header_rows = list(csv.DictReader(handle))
    with open(folder / "episodes.csv", newline="") as handle:
        episode_rows = list(csv.DictReader(handle))
    assert report.rows["children"] == len(header_rows) == 2675
    assert report.issue_count == 0
    assert report.rows["looked_after_episodes"] == len(episode_rows) == 5050
    started = [e for e in read_table(tmp_path / "ehld", "looked_after_episodes") if e["reason_new_episode"] == "S"]
    assert len(started) == sum(1 for row in episode_rows if row["RNE"] == "S")
    ignored = sorted(p.name for p in report.ignored_files)
    assert "reviews.csv" in ignored and "fake_903.xml" in ignored and "header.csv" not in ignored
