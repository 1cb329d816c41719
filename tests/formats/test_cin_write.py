"""Writing CIN census XML from EHLD: schema-valid, mapped as documented, and round-tripping."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from lxml import etree

from earlyhelp.errors import UsageError
from earlyhelp.formats import FormatError, export, ingest

from . import ehld_builder
from .ehld_builder import read_table


def _published_schema(shared_reference: Path, year: int) -> etree.XMLSchema:
    # The untouched published XSD, not the package's copy, validates whole documents here.
    return etree.XMLSchema(etree.parse(str(shared_reference / "dfe-schemas" / f"CIN_schema_{year}.xsd")))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return ehld_builder.census_folder(tmp_path / "ehld")


def test_export_is_valid_against_the_published_schema(folder: Path, tmp_path: Path, shared_reference: Path) -> None:
    (path,) = export(folder, "cin-xml", tmp_path / "out")
    assert path.name == "CIN_census_E06000001_2025.xml"
    document = etree.parse(str(path))
    schema = _published_schema(shared_reference, 2026)
    assert schema.validate(document), schema.error_log
    root = document.getroot()
    assert root.findtext("Header/Source/LEA") == "805"
    assert root.findtext("Header/CollectionDetails/ReferenceDate") == "2025-03-31"
    # Seven children have CIN episodes; the two looked-after-only children are not in the census.
    children = root.findall("Children/Child")
    assert [c.findtext("ChildIdentifiers/LAchildID") for c in children] == [f"C{n:04d}" for n in range(1, 8)]
    first = children[0]
    assert first.findtext("ChildIdentifiers/UPN") == ehld_builder.upn("805", 1001)
    assert first.findtext("ChildIdentifiers/Sex") == "F"
    assert first.findtext("CINdetails/ReferralNFA") == "1"
    assert first.findtext("ChildCharacteristics/Disabilities/Disability") == "NONE"
    third = children[2]
    assert third.findtext("ChildCharacteristics/Disabilities/Disability") == "DDA"
    assert [
        f.text for f in third.iterfind("CINdetails/Assessments/FactorsIdentifiedAtAssessment/AssessmentFactors")
    ] == ["3A", "4B"]
    sixth_plan = children[5].find("CINdetails/ChildProtectionPlans")
    assert sixth_plan.findtext("LatestCategoryOfAbuse") == sixth_plan.findtext("InitialCategoryOfAbuse") == "NEG"
    assert sixth_plan.findtext("NumberOfPreviousCPP") == "1"
    # Child 7: no disability recorded -> no Disabilities block; two episodes in date order.
    seventh = children[6]
    assert seventh.find("ChildCharacteristics/Disabilities") is None
    assert [d.findtext("CINreferralDate") for d in seventh.iterfind("CINdetails")] == ["2024-04-15", "2025-03-03"]


def test_2024_schema_writes_gender_current(folder: Path, tmp_path: Path, shared_reference: Path) -> None:
    # The 2024 schema types NumberOfPreviousCPP as xs:positiveInteger (1 or more), so a first
    # plan cannot be written in it: the writer's own schema check says so.
    with pytest.raises(FormatError) as caught:
        export(folder, "cin-xml", tmp_path / "out", schema_year=2024)
    (issue,) = caught.value.issues
    assert (issue.field, issue.location.split()[1]) == ("NumberOfPreviousCPP", "E06000001-C0005")
    tables = ehld_builder.census_tables()
    for row in tables["cp_plans"]:
        row["previous_plans"] = max(1, row["previous_plans"])
    folder = ehld_builder.write_folder(tmp_path / "ehld2024", tables)
    (path,) = export(folder, "cin-xml", tmp_path / "out", schema_year=2024)
    document = etree.parse(str(path))
    assert _published_schema(shared_reference, 2024).validate(document)
    genders = [c.findtext("ChildIdentifiers/GenderCurrent") for c in document.getroot().iterfind("Children/Child")]
    assert genders == ["2", "1", "2", "1", "2", "1", "2"]  # F M F M F M F


def test_census_window_trims_to_the_year(tmp_path: Path) -> None:
    tables = ehld_builder.census_tables()
    # Child 6's episode now closes after the census year: it is reported open, plan too.
    for row in tables["referrals"]:
        if row["child_id"].endswith("C0006"):
            row["closure_date"] = "2025-04-30"
    for row in tables["cp_plans"]:
        if row["child_id"].endswith("C0006"):
            row["end_date"] = "2025-04-30"
    # A referral closed before the year is left out.
    tables["referrals"].append(
        {
            "la_code": ehld_builder.LA_CODE,
            "child_id": f"{ehld_builder.LA_CODE}-C0001",
            "referral_id": "old",
            "referral_date": "2023-01-09",
            "referral_source": "2A",
            "referral_nfa": True,
            "closure_date": "2023-01-09",
            "closure_reason": "RC8",
        }
    )
    folder = ehld_builder.write_folder(tmp_path / "ehld", tables)
    (path,) = export(folder, "cin-xml", tmp_path / "out", year=2025)
    children = etree.parse(str(path)).getroot().findall("Children/Child")
    sixth = children[5].find("CINdetails")
    assert sixth.find("CINclosureDate") is None and sixth.find("ReasonForClosure") is None
    assert sixth.find("ChildProtectionPlans/CPPendDate") is None
    assert len(children[0].findall("CINdetails")) == 1


def test_missing_dates_of_birth(folder: Path, tmp_path: Path) -> None:
    identity = folder / "person_identifiers.csv"
    rows = list(csv.DictReader(identity.open()))
    for row in rows:
        row["date_of_birth"] = ""
    with identity.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(FormatError, match="7 problem"):
        export(folder, "cin-xml", tmp_path / "out")
    assert not list((tmp_path / "out").glob("*.xml"))
    (path,) = export(folder, "cin-xml", tmp_path / "out", approximate_birth_dates=True)
    first = etree.parse(str(path)).getroot().find("Children/Child/ChildIdentifiers")
    assert first.findtext("PersonBirthDate") == "2015-06-01"  # born 2015-06: first of the month


def test_unknown_la_needs_lea(tmp_path: Path) -> None:
    tables = ehld_builder.census_tables()
    for rows in tables.values():
        for row in rows:
            if "la_code" in row:
                row["la_code"] = "E99999999"
    folder = ehld_builder.write_folder(tmp_path / "ehld", tables)
    with pytest.raises(UsageError) as caught:
        export(folder, "cin-xml", tmp_path / "out")
    assert "--lea" in caught.value.hint
    (path,) = export(folder, "cin-xml", tmp_path / "out", lea="999")
    assert etree.parse(str(path)).getroot().findtext("Header/Source/LEA") == "999"


def test_round_trip_gives_the_same_rows_and_indicators(folder: Path, tmp_path: Path) -> None:
    cin = export(folder, "cin-xml", tmp_path / "cin")
    lac = export(folder, "ssda903", tmp_path / "903")
    back = ingest([*cin, lac[0].parent], tmp_path / "back", la_code=ehld_builder.LA_CODE)

    def facts(rows: list[dict], drop: tuple[str, ...]) -> list[tuple]:
        return sorted(tuple(v for k, v in row.items() if k not in drop) for row in rows)

    ids = ("referral_id", "assessment_id")
    for table in (
        "children",
        "referrals",
        "assessments",
        "cin_plans",
        "s47_enquiries",
        "cp_plans",
        "looked_after_episodes",
        "returns",
    ):
        assert facts(read_table(back, table), ids) == facts(read_table(folder, table), ids), table
    before = {r["source_record_id"]: r for r in read_table(folder, "person_identifiers")}
    after = read_table(back, "person_identifiers")
    assert len(after) == len(before) == 9
    for row in after:
        expected = before[row["source_record_id"]]
        assert (row["upn"], row["date_of_birth"], row["sex"]) == (
            expected["upn"],
            expected["date_of_birth"],
            expected["sex"],
        )

    indicators = pytest.importorskip("earlyhelp.indicators")
    # Ingest adds the package's reference tables the files lack; the folder exported had none.
    for added in ("local_authorities", "population", "deprivation", "spend", "deflators"):
        (back / f"{added}.csv").unlink(missing_ok=True)
    original = indicators.compute_internal(folder).to_pylist()
    again = indicators.compute_internal(back).to_pylist()
    assert original == again
    cin_children = [
        r for r in original if r["indicator"] == "cin_children" and r["geographic_level"] == "Local authority"
    ]
    assert [r["numerator"] for r in cin_children] == [6]  # all but the NFA-only child


def test_a_year_with_no_episodes_writes_nothing(folder: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="No CIN episode is open in the census year 2020"):
        export(folder, "cin-xml", tmp_path / "out", year=2020)
    assert not list((tmp_path / "out").glob("*.xml"))
