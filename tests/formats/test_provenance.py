"""Problems found after ingest name the analyst's own file, line and child, not the EHLD CSV's.

The CIN census below is valid against the XSD, but two of its dates are in the wrong order, which
only the EHLD rules catch (date-order). Its lines are numbered in the comments; the expected lines
are read from them.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from earlyhelp.formats import ingest, ingest_report
from earlyhelp.validate import validate_paths
from earlyhelp.validate.provenance import PROVENANCE_FILE, TABLES_FILE, package_tables

CENSUS = """<?xml version="1.0" encoding="utf-8"?>
<Message>
  <Header>
    <CollectionDetails>
      <Collection>CIN</Collection>
      <Year>2025</Year>
      <ReferenceDate>2025-03-31</ReferenceDate>
    </CollectionDetails>
    <Source>
      <SourceLevel>L</SourceLevel>
      <LEA>805</LEA>
      <SoftwareCode>hand-written test file</SoftwareCode>
      <Release>1</Release>
      <SerialNo>001</SerialNo>
      <DateTime>2025-04-20T10:00:00</DateTime>
    </Source>
  </Header>
  <Children>
    <Child>
      <ChildIdentifiers>
        <LAchildID>GOOD1</LAchildID>
        <UPNunknown>UN1</UPNunknown>
        <PersonBirthDate>2016-02-29</PersonBirthDate>
        <Sex>F</Sex>
      </ChildIdentifiers>
      <ChildCharacteristics>
        <Ethnicity>WBRI</Ethnicity>
      </ChildCharacteristics>
      <CINdetails>
        <CINreferralDate>2024-05-07</CINreferralDate>
        <ReferralSource>2A</ReferralSource>
        <CINclosureDate>2024-05-07</CINclosureDate>
        <ReasonForClosure>RC8</ReasonForClosure>
        <ReferralNFA>1</ReferralNFA>
      </CINdetails>
    </Child>
    <Child>
      <ChildIdentifiers>
        <LAchildID>BAD2</LAchildID>
        <UPNunknown>UN1</UPNunknown>
        <PersonBirthDate>2014-01-01</PersonBirthDate>
        <Sex>Q</Sex>
      </ChildIdentifiers>
      <ChildCharacteristics>
        <Ethnicity>WBRI</Ethnicity>
      </ChildCharacteristics>
      <CINdetails>
        <CINreferralDate>2024-06-03</CINreferralDate>
        <ReferralSource>4</ReferralSource>
        <ReferralNFA>0</ReferralNFA>
      </CINdetails>
    </Child>
    <Child>
      <ChildIdentifiers>
        <LAchildID>LATE7</LAchildID>
        <UPNunknown>UN1</UPNunknown>
        <PersonBirthDate>2015-06-01</PersonBirthDate>
        <Sex>M</Sex>
      </ChildIdentifiers>
      <ChildCharacteristics>
        <Ethnicity>WBRI</Ethnicity>
      </ChildCharacteristics>
      <CINdetails>
        <CINreferralDate>2024-09-02</CINreferralDate>
        <ReferralSource>4</ReferralSource>
        <PrimaryNeedCode>N1</PrimaryNeedCode>
        <CINclosureDate>2025-02-03</CINclosureDate>
        <ReasonForClosure>RC8</ReasonForClosure>
        <ReferralNFA>0</ReferralNFA>
      </CINdetails>
      <CINdetails>
        <CINreferralDate>2025-03-10</CINreferralDate>
        <ReferralSource>4</ReferralSource>
        <PrimaryNeedCode>N1</PrimaryNeedCode>
        <CINclosureDate>2025-03-03</CINclosureDate>
        <ReasonForClosure>RC8</ReasonForClosure>
        <Assessments>
          <AssessmentActualStartDate>2025-03-11</AssessmentActualStartDate>
          <AssessmentAuthorisationDate>2025-03-04</AssessmentAuthorisationDate>
        </Assessments>
        <ReferralNFA>0</ReferralNFA>
      </CINdetails>
    </Child>
  </Children>
</Message>
"""
# Counted by hand in CENSUS (line 1 is the XML declaration): LATE7's second CINdetails opens on
# line 71, its CINclosureDate (2025-03-03, before the referral of 2025-03-10) is line 75, and its
# AssessmentAuthorisationDate (2025-03-04, before the assessment started 2025-03-11) is line 79.
# BAD2 (lines 37-52) has Sex "Q", which the XSD refuses: --skip-invalid leaves it out, so LATE7's
# rows move up in the EHLD files but must still point at these lines.
CLOSURE_LINE = 75
AUTHORISATION_LINE = 79


@pytest.fixture
def census(tmp_path: Path) -> Path:
    path = tmp_path / "census_2025.xml"
    path.write_text(CENSUS, encoding="utf-8")
    lines = CENSUS.splitlines()
    # The planted values are where the comment says (a check on the hand count, not on the code).
    assert lines[CLOSURE_LINE - 1].strip() == "<CINclosureDate>2025-03-03</CINclosureDate>"
    assert (
        lines[AUTHORISATION_LINE - 1].strip() == "<AssessmentAuthorisationDate>2025-03-04</AssessmentAuthorisationDate>"
    )
    return path


@pytest.fixture
def ingested(census: Path, tmp_path: Path) -> Path:
    report = ingest_report([census], tmp_path / "ehld", skip_invalid=True)
    assert report.skipped_children == 1
    return report.out


def _date_order(folder: Path) -> dict[str, str]:
    report = validate_paths([folder])
    return {f.file: f.location() for f in report.findings if f.rule_id == "date-order"}


def test_validate_names_the_census_line_and_child_of_a_problem_found_after_ingest(ingested):
    found = _date_order(ingested)
    # LATE7's second referral is referrals.csv line 4: GOOD1's referral is line 2, LATE7's first
    # line 3, and BAD2's was left out.
    assert found["referrals.csv"] == (
        f"census_2025.xml line {CLOSURE_LINE}, child LATE7 (ingested as referrals.csv line 4, column closure_date)"
    )
    assert found["assessments.csv"] == (
        f"census_2025.xml line {AUTHORISATION_LINE}, child LATE7 "
        "(ingested as assessments.csv line 2, column authorisation_date)"
    )


def _run(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    from earlyhelp.cli import run

    monkeypatch.setattr(sys, "argv", ["earlyhelp", *map(str, args)])
    with pytest.raises(SystemExit) as done:
        run()
    captured = capsys.readouterr()
    return done.value.code, captured.out + captured.err


def test_the_validate_and_load_commands_say_the_same(ingested, tmp_path, monkeypatch, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    for args in (
        ("validate", ingested),
        ("load", ingested, "--warehouse", tmp_path / "w.duckdb", "--skip-identity"),
    ):
        code, out = _run(monkeypatch, capsys, *args)
        assert code == 1
        assert f"census_2025.xml line {CLOSURE_LINE}, child LATE7" in out
        assert f"census_2025.xml line {AUTHORISATION_LINE}, child LATE7" in out
    # The child id is for the analyst's eyes in a report, never for a log.
    assert not [r for r in caplog.records if "LATE7" in r.getMessage() or "GOOD1" in r.getMessage()]


def test_a_table_edited_after_ingest_is_not_mapped_back(ingested):
    referrals = ingested / "referrals.csv"
    referrals.write_text(referrals.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    found = _date_order(ingested)
    assert found["referrals.csv"] == "referrals.csv line 4, column closure_date"
    assert found["assessments.csv"].startswith(f"census_2025.xml line {AUTHORISATION_LINE}")


def test_an_ssda903_episode_names_its_row_and_child(tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    (source / "header.csv").write_text("CHILD,SEX,DOB,ETHNIC,UPN\n101,1,14/02/2013,WBRI,\n102,2,01/03/2012,WBRI,\n")
    # Line 3 is child 102's episode that ends (DEC) before it starts (DECOM).
    (source / "episodes.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,DEC,REC\n"
        "101,10/06/2024,S,C2,N1,U4,02/09/2024,X1\n"
        "102,01/11/2024,S,V2,N4,U1,30/08/2024,E13\n"
    )
    out = ingest([source], tmp_path / "ehld", la_code="E06000001")
    found = _date_order(out)
    assert found["looked_after_episodes.csv"] == (
        "episodes.csv line 3, child 102 (ingested as looked_after_episodes.csv line 3, column end_date)"
    )


def test_the_sidecars_are_not_read_as_tables_and_name_the_package_tables(ingested):
    assert (ingested / PROVENANCE_FILE).is_file() and (ingested / TABLES_FILE).is_file()
    report = validate_paths([ingested])
    assert not [f for f in report.findings if f.rule_id.startswith("file-")]
    # A CIN census has no population, LA names, deprivation or deflators; spend covers 2024-25,
    # which the package does not hold (its spend ends in 2021-22), so none is added.
    assert package_tables(ingested) == ["deflators", "deprivation", "local_authorities", "population"]


SSDA903_XML = """<?xml version="1.0" encoding="utf-8"?>
<EXPSSDA903>
  <CHILD>
    <HEADER>
      <CHILDID>101</CHILDID>
      <SEX>F</SEX>
      <DOB>14/02/2013</DOB>
      <ETHNIC>WBRI</ETHNIC>
    </HEADER>
    <EPISODE>
      <DECOM>10/06/2024</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN><PL>U4</PL>
      <DEC>02/09/2024</DEC><REC>X1</REC>
    </EPISODE>
    <EPISODE>
      <DECOM>01/11/2024</DECOM><RNE>P</RNE><LS>C2</LS><CIN>N1</CIN><PL>U4</PL>
      <DEC>30/10/2024</DEC>
      <REC>E13</REC>
    </EPISODE>
  </CHILD>
</EXPSSDA903>
"""
# By hand: child 101's second EPISODE opens on line 14; its DEC (30/10/2024, before its DECOM of
# 01/11/2024) is on line 16.


def test_an_ssda903_xml_episode_names_the_line_of_the_field(tmp_path):
    source = tmp_path / "return_903.xml"
    source.write_text(SSDA903_XML, encoding="utf-8")
    assert SSDA903_XML.splitlines()[16 - 1].strip() == "<DEC>30/10/2024</DEC>"
    out = ingest([source], tmp_path / "ehld", la_code="E06000001")
    found = _date_order(out)
    assert found["looked_after_episodes.csv"] == (
        "return_903.xml line 16, child 101 (ingested as looked_after_episodes.csv line 3, column end_date)"
    )


def test_an_ssd_referral_names_its_episode_row_and_the_person(tmp_path):
    from .test_ssd import _extract

    source = _extract(tmp_path / "ssd")
    episodes = source / "ssd_cin_episodes.csv"
    # Row 2 is R1 (P1), referred 2024-06-03: closed 2024-05-01, before it was made.
    episodes.write_text(episodes.read_text().replace("2024-07-15", "2024-05-01"))
    out = ingest([source], tmp_path / "ehld", la_code="E06000001")
    found = _date_order(out)
    assert found["referrals.csv"] == (
        "ssd_cin_episodes.csv line 2, child P1 (ingested as referrals.csv line 2, column closure_date)"
    )


def test_a_census_cut_short_is_placed_up_to_the_cut(tmp_path):
    from earlyhelp.validate.provenance import sources

    lines = CENSUS.splitlines(keepends=True)
    assert lines[19 - 1].strip() == "<Child>" and "GOOD1" in lines[21 - 1]  # GOOD1's <Child> is line 19
    source = tmp_path / "cut.xml"
    source.write_text("".join(lines[:CLOSURE_LINE]), encoding="utf-8")  # ends inside LATE7
    report = ingest_report([source], tmp_path / "ehld", skip_invalid=True)
    assert report.rows["children"] == 1  # GOOD1; BAD2 and LATE7 left out
    placed = sources(report.out, {"children.csv": {2}})
    assert placed[("children.csv", 2)].describe() == "cut.xml line 19, child GOOD1"
