"""No identifier outside the identity zone: in everything the demo writes, and in an SSDA903
ingest (issue #16: postcodes and a mother's child's date of birth had reached the analytic zone).

Every other command's output and logs: ``test_command_outputs``.

The scanner (``identifier_scan``) looks for the identity records' own values; see its docstring
for what counts as a match, and why a date of birth counts only where it says it is one.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from earlyhelp.formats import ingest

from .identifier_scan import IdentityRecords, Scanner, in_identity_zone

LA = "E06000001"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scan") / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "earlyhelp.demo", "--out", str(out)], capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.slow
def test_the_demo_writes_no_identifier_outside_the_identity_zone(demo: Path) -> None:
    data = demo / "synthetic-england"
    records = IdentityRecords()
    records.add_folder(data)
    # Not vacuous: there are identifiers of every kind to look for, MC_DOB among the dates.
    assert all(size > 100 for size in records.sizes().values()), records.sizes()
    mothers_children = pq.read_table(data / "episode_postcodes.parquet").column("mother_child_dob").drop_null()
    assert len(mothers_children) > 0
    # The identity zone: its tables, the identity warehouse, and synthetic England's truth about
    # each identity record (its true home postcode).
    zone = in_identity_zone([demo / "identity.duckdb", data / "truth" / "person_records.parquet"])
    result = Scanner(records).scan(demo, identity_zone=zone)
    assert sorted(result.skipped_identity_zone) == [
        "identity.duckdb",
        "synthetic-england/episode_postcodes.parquet",
        "synthetic-england/person_identifiers.parquet",
        "synthetic-england/truth/person_records.parquet",
    ]
    # Every kind of file the demo writes was read: the tables, the analytic warehouse, linkage
    # output, indicators and the report.
    assert result.scanned["parquet"] >= 20 and result.scanned["duckdb"] == 1, result.summary()
    assert result.scanned["csv"] >= 5 and result.scanned["json"] >= 2 and result.scanned["text"] >= 10
    assert result.unreadable == []
    assert result.total == 0, result.summary()


def test_an_ssda903_ingest_writes_no_identifier_outside_the_identity_zone(
    shared_reference: Path, tmp_path: Path
) -> None:
    source = shared_reference / "peer-samples" / "ssda903"
    # The return's CSV form (its XML form, in the same folder, is scanned in tests/formats/test_peer_samples_903.py)
    out = ingest(sorted(source.glob("*.csv")), tmp_path / "ehld", la_code=LA)
    records = IdentityRecords()
    records.add_folder(out)
    records.add_ssda903(source)  # the return's own HOME_POST, PL_POST, DOB, MC_DOB and UPN too
    assert records.sizes()["postcode"] > 5000 and records.sizes()["date_of_birth"] > 2000
    result = Scanner(records).scan(out, identity_zone=in_identity_zone())
    assert sorted(result.skipped_identity_zone) == ["episode_postcodes.csv", "person_identifiers.csv"]
    # children, looked_after_episodes, returns, the five reference tables ingest adds from the package,
    # ingest_not_placed.tsv (what the other 903 files hold: columns and counts) and ingest's two
    # provenance sidecars (ingest_provenance.tsv, ingest_tables.tsv)
    assert result.scanned["csv"] == 11
    assert result.total == 0, result.summary()

    # The scanner can fail: one postcode planted in an analytic file is found, and only it.
    episodes = out / "looked_after_episodes.csv"
    with open(out / "episode_postcodes.csv", newline="") as handle:
        postcode = next(row["placement_postcode"] for row in csv.DictReader(handle) if row["placement_postcode"])
    lines = episodes.read_text().splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + "," + postcode.lower().replace(" ", "")  # in the urn column
    episodes.write_text("\n".join(lines) + "\n")
    planted = Scanner(records).scan(out, identity_zone=in_identity_zone())
    assert dict(planted.found) == {"postcode": 1}
    assert list(planted.by_file) == ["looked_after_episodes.csv"]
    assert postcode not in planted.summary() and postcode.lower().replace(" ", "") not in planted.summary()


def _identity_records(folder: Path) -> IdentityRecords:
    folder.mkdir()
    (folder / "person_identifiers.csv").write_text(
        "source,source_record_id,la_code,nhs_number,upn,forename,surname,date_of_birth,sex,postcode\n"
        "la_csc,C1,E06000001,9434765919,A123456789012,Ada,York,2012-05-14,F,TS24 8AA\n"
    )
    (folder / "episode_postcodes.csv").write_text(
        "la_code,child_id,start_date,home_postcode,placement_postcode,mother_child_dob\n"
        "E06000001,C1,2019-08-01,TS24 8AA,DL1 1AA,2020-01-02\n"
    )
    records = IdentityRecords()
    records.add_folder(folder)
    return records


def test_each_kind_is_found_where_it_is_one_and_not_where_it_is_not(tmp_path: Path) -> None:
    records = _identity_records(tmp_path / "identity")
    out = tmp_path / "analytic"
    out.mkdir()
    # Found (worked out by hand): the NHS number written 3-3-4, the UPN in prose, the placement
    # postcode in lower case without its space, the full name in either order, the date of birth
    # in a column that says so (a Parquet date, and dd/mm/YYYY in a CSV cell), the mother's
    # child's date of birth next to "born" in text and under a JSON key "dob", and a postcode in
    # a warehouse table.
    (out / "notes.csv").write_text("la_code,child_id,nhs,dob,la_name\nE06000001,C1,943 476 5919,14/05/2012,York\n")
    (out / "page.html").write_text("<p>UPN A123456789012; York, Ada; ada york</p><p>born on 2020-01-02</p>")
    pq.write_table(
        pa.table(
            {
                "placement": ["dl11aa", "DL1"],  # a postcode, then a district (not one)
                "date_of_birth": pa.array([dt.date(2012, 5, 14), dt.date(2012, 5, 15)], pa.date32()),
                "start_date": pa.array([dt.date(2012, 5, 14), dt.date(2020, 1, 2)], pa.date32()),
            }
        ),
        out / "table.parquet",
    )
    (out / "meta.json").write_text(json.dumps({"child": {"dob": "2020-01-02", "referral_date": "2012-05-14"}}))
    con = duckdb.connect(str(out / "warehouse.duckdb"))
    con.execute("CREATE TABLE t AS SELECT 'TS24 8AA' AS home, DATE '2012-05-14' AS referral_date")
    con.close()
    # Not found: the same dates as event dates (start_date, referral_date), the surname York as
    # an LA's name, a date of birth in text that does not say it is one, a district.
    (out / "events.md").write_text("Referred on 2012-05-14; the TS24 area; York's figures.\n")
    result = Scanner(records).scan(out, identity_zone=in_identity_zone())
    assert dict(result.found) == {"nhs_number": 1, "upn": 1, "postcode": 2, "name": 2, "date_of_birth": 4}
    assert {name: dict(counts) for name, counts in result.by_file.items()} == {
        "notes.csv": {"nhs_number": 1, "date_of_birth": 1},
        "page.html": {"upn": 1, "name": 2, "date_of_birth": 1},
        "table.parquet": {"postcode": 1, "date_of_birth": 1},
        "meta.json": {"date_of_birth": 1},
        "warehouse.duckdb": {"postcode": 1},
    }
    assert result.scanned == {"csv": 1, "text": 2, "parquet": 1, "json": 1, "duckdb": 1}


def test_identity_zone_files_are_left_out_and_a_single_name_counts_only_in_a_name_column(tmp_path: Path) -> None:
    records = _identity_records(tmp_path / "identity")
    out = tmp_path / "data"
    shutil.copytree(tmp_path / "identity", out)
    (out / "people.csv").write_text("forename,surname,region_name\nAda,,York\n")
    result = Scanner(records).scan(out, identity_zone=in_identity_zone())
    assert sorted(result.skipped_identity_zone) == ["episode_postcodes.csv", "person_identifiers.csv"]
    assert dict(result.found) == {"name": 1}
