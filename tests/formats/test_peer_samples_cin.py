"""The nine CIN census samples other teams wrote (shared/reference/peer-samples/cin-census-xml).

Each either ingests (child and episode counts counted by hand with ``grep -c``) or is refused
with plain-English messages whose line numbers were read off ``grep -n`` of the file. The files
carry deliberate errors; what each message must say is written out here in full.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pytest

from earlyhelp.formats import FormatError, ingest_report
from earlyhelp.formats.api import ISSUES_FILE, NOT_PLACED_FILE
from earlyhelp.formats.cin_schema import check_element, load_schema

from .ehld_builder import read_table

CHILD_1 = " (child LAchildID DfEX0000001)"
CHILD_2 = " (child LAchildID child_fails_assessments)"

# Every small sample has "<UPNunknown>UN3</UPNunknown>PersonBirthDate" on line 23 (grep -n).
STRAY_TEXT = (
    23,
    "ChildIdentifiers",
    "CIN schema: no text between elements",
    "<ChildIdentifiers> holds the word 'PersonBirthDate' (a tag missing its < and >?) between <UPNunknown> "
    "and <PersonBirthDate>; only elements may be written inside <ChildIdentifiers>" + CHILD_1,
)
# CIN_Census_2021.xml line 25: <ExpectedPersonBirthDate>1066-04-13 (the value is not quoted).
YEAR_1066 = (
    25,
    "ExpectedPersonBirthDate",
    "a calendar date YYYY-MM-DD in 1900-2099",
    "ExpectedPersonBirthDate is outside the years 1900 to 2099" + CHILD_1,
)
CODES_0_1 = "expected 0 (no) or 1 (yes) (the 2023-24 census also took true and false; from 2024-25 only 0 or 1)"
FACTORS = "one of the 44 codes of the census (1A, 1B, 1C, 2A, 2B, 2C, 3A, 3B, 3C, 4A, 4B, 4C, 5A, 5B, 5C, 6A, 6B, 6C, 7A, 8B ...)"


def _sex_and_codes(offset: int) -> list[tuple[int, str, str, str]]:
    """The deliberate errors of CIN_Census_2024.xml and CIN_Census_2026.xml (the 2026 one has the
    pre-proceedings block in child 1, so child 2's lines are ``offset`` further down)."""
    return [
        STRAY_TEXT,
        (25, "Sex", "CIN schema: code list", "<Sex> '1' is not a code the census allows here; "
         "expected M (male), F (female) or U (unknown)" + CHILD_1),
        (46, "AssessmentFactors", "CIN schema: code list",
         f"<AssessmentFactors> 'RB' is not a code the census allows here; expected {FACTORS}" + CHILD_1),
        (58, "ICPCnotRequired", "CIN schema: code list",
         f"<ICPCnotRequired> 'false' is not a code the census allows here; {CODES_0_1}" + CHILD_1),
        (95 + offset, "FactorsIdentifiedAtAssessment", "CIN schema: required element",
         "<FactorsIdentifiedAtAssessment> is empty; it must hold at least one <AssessmentFactors> "
         "(leave <FactorsIdentifiedAtAssessment> out when there is none)" + CHILD_2),
        (97 + offset, "ReferralNFA", "CIN schema: code list",
         f"<ReferralNFA> 'false' is not a code the census allows here; {CODES_0_1}" + CHILD_2),
    ]  # fmt: skip


def _year_warning(file: str) -> str:
    # <Year>2023</Year> on line 5 beside <ReferenceDate>2024-03-31</ReferenceDate> on line 6.
    return (
        f"Warning: {file}, line 5: <Year> 2023 does not match <ReferenceDate> 2024-03-31 (a census is named "
        "by the year of its 31 March); earlyhelp uses the ReferenceDate."
    )


NO_WHOLE_YEAR_2023 = (
    "Warning: CIN_header_issues_100.xml, line 6: <ReferenceDate> 2023-03-28 is not 31 March, so the census "
    "year it gives (29 March 2022 to 28 March 2023) holds no whole financial year (1 April to 31 March). "
    "Every indicator counted over a year will be 'x' (not available) for 2021-22 and 2022-23. A CIN "
    "census's reference date is 31 March: check the header."
)
NO_WHOLE_YEAR_FAKE = (
    "Warning: fake_CIN_data.xml, line 6: <ReferenceDate> 2022-07-21 is not 31 March, so the census year it "
    "gives (22 July 2021 to 21 July 2022) holds no whole financial year (1 April to 31 March). Every "
    "indicator counted over a year will be 'x' (not available) for 2021-22 and 2022-23. A CIN census's "
    "reference date is 31 March: check the header."
)

# file -> (its problems: line, element, rule, message; its warnings). Files that hold the same
# bytes (md5sum) have the same problems: CIN_la_issues_2887Q.xml is CIN_Census_2021.xml, and
# CIN_Census_2021_no_assessment_factors.xml is CIN_Census_2021_copy.xml.
REFUSED = {
    "CIN2rows.xml": ([STRAY_TEXT], [_year_warning("CIN2rows.xml")]),
    "CIN_Census_2021.xml": ([STRAY_TEXT, YEAR_1066], []),
    "CIN_Census_2021_copy.xml": ([STRAY_TEXT], [_year_warning("CIN_Census_2021_copy.xml")]),
    "CIN_Census_2021_no_assessment_factors.xml": (
        [STRAY_TEXT],
        [_year_warning("CIN_Census_2021_no_assessment_factors.xml")],
    ),
    "CIN_Census_2024.xml": (_sex_and_codes(0), [_year_warning("CIN_Census_2024.xml")]),
    "CIN_Census_2026.xml": (_sex_and_codes(12), [_year_warning("CIN_Census_2026.xml")]),
    # Only its ReferenceDate differs from CIN_Census_2021.xml.
    "CIN_header_issues_100.xml": ([STRAY_TEXT, YEAR_1066], [NO_WHOLE_YEAR_2023]),
    "CIN_la_issues_2887Q.xml": ([STRAY_TEXT, YEAR_1066], []),
}

# What libxml2 says; none of it may reach the analyst.
RAW_LIBXML_PHRASES = (
    "Element '",
    "Character content other than whitespace",
    "element-only",
    "is not an element of the set",
    "[facet",
    "This element is not expected",
    "Missing child element(s)",
    "Expected is",
    "is not a valid value of the",
    "atomic type",
    "is not accepted by the pattern",
    "content type",
    "SCHEMAV_",
    "type definition is simple",
    # the parser's, for a file that is not well-formed
    "Opening and ending tag mismatch",
    "Premature end of data",
    "StartTag",
    "EntityRef",
    "Extra content at the end",
    "Start tag expected",
    "Invalid bytes in character encoding",
    "AttValue",
    "PCDATA",
    "Double hyphen",
)


@pytest.fixture(scope="module")
def samples(shared_reference: Path) -> Path:
    return shared_reference / "peer-samples" / "cin-census-xml"


def test_every_sample_is_covered(samples: Path) -> None:
    assert sorted(p.name for p in samples.glob("*.xml")) == sorted([*REFUSED, "fake_CIN_data.xml"])


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_sample_says_what_and_where_in_plain_english(samples: Path, tmp_path: Path, name: str) -> None:
    expected_problems, expected_warnings = REFUSED[name]
    with pytest.raises(FormatError) as caught:
        ingest_report([samples / name], tmp_path / "ehld")
    found = [(int(i.location.split()[1]), i.field, i.rule, i.message) for i in caught.value.issues]
    assert found == expected_problems
    message = caught.value.message
    for warning in expected_warnings:
        assert f"\n  {warning}" in message
    assert message.count("Warning:") == len(expected_warnings)
    assert not (tmp_path / "ehld").exists()


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_skip_invalid_on_a_sample_whose_every_child_has_a_problem(samples: Path, tmp_path: Path, name: str) -> None:
    # grep -c '<Child>': two children in the 2024 and 2026 samples, one in the others; each has a problem.
    children = 2 if name in ("CIN_Census_2024.xml", "CIN_Census_2026.xml") else 1
    with pytest.raises(FormatError) as caught:
        ingest_report([samples / name], tmp_path / "ehld", skip_invalid=True)
    each = "the only child read has a problem" if children == 1 else "each of the 2 children read has a problem"
    assert caught.value.message.startswith(f"No child could be ingested from cin-xml ({each})")
    assert "Every child has a problem" not in caught.value.message


def test_fake_census_needs_its_la_and_says_where_the_lea_is(samples: Path, tmp_path: Path) -> None:
    with pytest.raises(FormatError) as caught:
        ingest_report([samples / "fake_CIN_data.xml"], tmp_path / "ehld", skip_invalid=True)
    (issue,) = caught.value.issues
    # <LEA>975</LEA> is on line 10 (grep -n), not on line 2 where <Header> opens.
    assert (issue.location, issue.field) == ("line 10", "LEA")
    assert issue.message == "LEA 975 is not a DfE LA number earlyhelp knows; give the LA code (--la-code)"
    # The children are not at fault: the message says the whole file is.
    assert "a problem of the whole file" in caught.value.message
    assert NO_WHOLE_YEAR_FAKE in caught.value.message


def test_fake_census_ingests_and_lists_what_it_could_not_keep(samples: Path, tmp_path: Path) -> None:
    report = ingest_report([samples / "fake_CIN_data.xml"], tmp_path / "ehld", la_code="E09000001")
    out = tmp_path / "ehld"
    # grep -c: 332 <Child>, 402 <CINdetails>, 0 <Section47>, 350 <DateOfInitialCPC> (all on
    # CINdetails), 21 <PersonDeathDate>, 117 <Disability>.
    assert (report.rows["children"], report.rows["referrals"]) == (332, 402)
    assert len(read_table(out, "children")) == 332
    assert not (out / "s47_enquiries.csv").exists() or not read_table(out, "s47_enquiries")
    assert report.issue_count == 0 and not (out / ISSUES_FILE).exists()
    with open(out / NOT_PLACED_FILE, newline="", encoding="utf-8") as handle:
        listed = list(csv.DictReader(handle, delimiter="\t"))
    assert {row["file"] for row in listed} == {"fake_CIN_data.xml"}
    assert all(row["rows"] == row["values"] for row in listed)
    rows = {(row["part"], row["column"]): (int(row["values"]), row["why"]) for row in listed}
    assert rows[("CINdetails", "DateOfInitialCPC")] == (
        350,
        "the episode has no Section47 enquiry without its own conference date to hold it "
        "(EHLD keeps conference dates on s47_enquiries)",
    )
    assert rows[("ChildIdentifiers", "PersonDeathDate")] == (21, "EHLD has no date of death")
    assert rows[("Disabilities", "Disability")][0] == 117
    # The seven header values other than LEA and ReferenceDate are about the file.
    header = {
        ("CollectionDetails", "Collection"),
        ("CollectionDetails", "Year"),
        ("Source", "SourceLevel"),
        ("Source", "SoftwareCode"),
        ("Source", "Release"),
        ("Source", "SerialNo"),
        ("Source", "DateTime"),
    }
    assert {key for key, (count, _) in rows.items() if count == 1} == header
    assert set(rows) == header | {
        ("CINdetails", "DateOfInitialCPC"),
        ("ChildIdentifiers", "PersonDeathDate"),
        ("Disabilities", "Disability"),
    }
    summary = report.summary()
    assert (
        "    fake_CIN_data.xml, <DateOfInitialCPC> in <CINdetails>: 350 values; the episode has no Section47 enquiry"
        in summary
    )
    assert (
        "    fake_CIN_data.xml, <PersonDeathDate> in <ChildIdentifiers>: 21 values; EHLD has no date of death"
        in summary
    )
    assert NO_WHOLE_YEAR_FAKE in summary
    # Counts only: no value of the file is in the not-placed list (one death date, one LAchildID).
    text = (out / NOT_PLACED_FILE).read_text()
    assert "RND000215205141" not in text and "2020-09-29" not in text


def test_skip_invalid_reads_every_valid_child_and_lists_the_rest(samples: Path, tmp_path: Path) -> None:
    # The fake census's 332 valid children with CIN_Census_2026.xml's two bad ones (its lines
    # 18-111) put before </Children> (line 7222 of the fake): line L of the 2026 sample becomes
    # line L + 7204 of the combined file.
    fake = (samples / "fake_CIN_data.xml").read_text().splitlines(keepends=True)
    bad = (samples / "CIN_Census_2026.xml").read_text().splitlines(keepends=True)
    assert fake[7221].strip() == "</Children>" and bad[17].strip() == "<Child>" and bad[110].strip() == "</Child>"
    combined = tmp_path / "combined.xml"
    combined.write_text("".join(fake[:7221] + bad[17:111] + fake[7221:]))

    report = ingest_report([combined], tmp_path / "ehld", la_code="E09000001", skip_invalid=True)
    assert (report.rows["children"], report.skipped_children) == (332, 2)
    with open(tmp_path / "ehld" / ISSUES_FILE, newline="", encoding="utf-8") as handle:
        listed = [
            (row["location"].split()[1], row["field"], row["message"]) for row in csv.DictReader(handle, delimiter="\t")
        ]
    expected = [(str(line + 7204), field, message) for line, field, _, message in _sex_and_codes(12)]
    assert listed == expected
    assert "2 children left out" in report.summary()


def test_libxml_phrases_never_reach_the_analyst(samples: Path, tmp_path: Path) -> None:
    said: list[str] = []
    for number, sample in enumerate(sorted(samples.glob("*.xml"))):
        try:
            ingest_report([sample], tmp_path / str(number), la_code="E09000001")
        except FormatError as error:
            said.append(error.message)
            said += [str(issue) for issue in error.issues]
    # Each class of libxml2 message the samples do not raise, planted in one small child.
    for fragment in VARIANTS.values():
        said += [p.message + p.rule for p in check_element(_child(fragment), load_schema(2026))]
    for content, _ in BROKEN.values():
        broken = tmp_path / "broken.xml"
        broken.write_bytes(content)
        with pytest.raises(FormatError) as caught:
            ingest_report([broken], tmp_path / f"broken-{len(said)}")
        said += [str(issue) for issue in caught.value.issues]
    assert len(said) > len(VARIANTS) + len(BROKEN)
    for text in said:
        for phrase in RAW_LIBXML_PHRASES:
            assert phrase not in text, phrase


def test_no_lachildid_goes_to_a_log(samples: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for number, sample in enumerate(sorted(samples.glob("*.xml"))):
        try:
            ingest_report([sample], tmp_path / str(number), la_code="E09000001")
        except FormatError:
            pass
    # An LAchildID may be in the analyst's list of problems, never in a log.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "DfEX0000001" not in logged and "child_fails_assessments" not in logged and "RND0" not in logged


CHILD_TEMPLATE = """<Child>
  <ChildIdentifiers>
    <LAchildID>V1</LAchildID>
    <UPN>{upn}</UPN>
    <PersonBirthDate>{birth}</PersonBirthDate>
    <Sex>{sex}</Sex>
  </ChildIdentifiers>
  <ChildCharacteristics>
    <Ethnicity>{ethnicity}</Ethnicity>
  </ChildCharacteristics>
  <CINdetails>
    <CINreferralDate>{referral}</CINreferralDate>
    <ReferralSource>1A</ReferralSource>
    {extra}
    <ReferralNFA>0</ReferralNFA>
    {plan}
  </CINdetails>
</Child>"""
VALID = {
    "upn": "A123456789012",
    "birth": "2015-01-01",
    "sex": "M",
    "ethnicity": "WBRI",
    "referral": "2024-01-01",
    "extra": "",
    "plan": "",
}
PLAN = "<ChildProtectionPlans><CPPstartDate>2024-01-01</CPPstartDate><InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse><LatestCategoryOfAbuse>NEG</LatestCategoryOfAbuse><NumberOfPreviousCPP>{}</NumberOfPreviousCPP></ChildProtectionPlans>"
# name -> the fields of CHILD_TEMPLATE it changes; each raises one class of libxml2 message.
VARIANTS = {
    "pattern": {"upn": "A12345"},
    "date": {"birth": "01/02/2015"},
    "empty date": {"referral": ""},
    "empty code": {"sex": ""},
    "code list": {"ethnicity": "XXXX"},
    "attribute": {"extra": '<CINclosureDate source="x">2024-02-01</CINclosureDate>'},
    "unknown element": {"extra": "<Foo>1</Foo>"},
    "order": {"extra": "<Section47><S47ActualStartDate>2024-01-01</S47ActualStartDate><ICPCnotRequired>0</ICPCnotRequired></Section47><CINclosureDate>2024-01-01</CINclosureDate>"},
    "missing": {"extra": "<Section47><S47ActualStartDate>2024-01-01</S47ActualStartDate></Section47>"},
    "nested": {"referral": "2024-01-01<b>x</b>"},
    "repeated": {"extra": "<CINclosureDate>2024-02-01</CINclosureDate><CINclosureDate>2024-02-01</CINclosureDate>"},
    "stray text": {"extra": "A123456789012"},
}  # fmt: skip
VARIANTS["negative"] = {"plan": PLAN.format("-1")}
VARIANTS["not a number"] = {"plan": PLAN.format("two")}


def _child(fields: dict[str, str]):
    from lxml import etree

    return etree.fromstring(CHILD_TEMPLATE.format(**(VALID | fields)))


# What each variant must say, and at which line of CHILD_TEMPLATE (counted by hand: UPN is on
# line 4, PersonBirthDate 5, Sex 6, Ethnicity 9, CINreferralDate 12, the extra elements 14, the plan 16).
PLAIN = {
    "pattern": (4, "<UPN> (6 characters, masked) is not a UPN (a letter, 11 digits, then a digit or a letter: 13 characters)"),
    "date": (5, "<PersonBirthDate> (10 characters, masked) is not a date written yyyy-mm-dd (e.g. 2024-03-31)"),
    "empty date": (12, "<CINreferralDate> is empty; expected a date written yyyy-mm-dd (e.g. 2024-03-31)"),
    "empty code": (6, "<Sex> is empty; expected M (male), F (female) or U (unknown)"),
    "code list": (9, "<Ethnicity> 'XXXX' is not a code the census allows here; expected one of WBRI, WIRI, WIRT, WOTH, WROM, MWBC, MWBA, MWAS, MOTH, AIND, APKN, ABAN, AOTH, BCRB, BAFR, BOTH, CHNE, OOTH, REFU or NOBT"),
    "attribute": (14, "<CINclosureDate> has an attribute source; the census's elements have no attributes (remove it)"),
    "unknown element": (14, "<Foo> is not an element of <CINdetails> in the CIN census schema for 2024-25 onwards"),
    "order": (14, "<CINclosureDate> is out of order in <CINdetails>: it must come before <Section47>"),
    "missing": (14, "<Section47> has no <ICPCnotRequired>; the census requires it in every <Section47>"),
    "nested": (12, "<CINreferralDate> holds other elements; it must hold only a date written yyyy-mm-dd (e.g. 2024-03-31)"),
    "repeated": (14, "<CINclosureDate> appears more than once in <CINdetails>; the census allows it once"),
    "stray text": (14, "<CINdetails> holds text (13 characters, not shown) between <ReferralSource> and <ReferralNFA>; only elements may be written inside <CINdetails>"),
    "negative": (16, "<NumberOfPreviousCPP> '-1' is not a whole number, 0 or more"),
    "not a number": (16, "<NumberOfPreviousCPP> 'two' is not a whole number, 0 or more"),
}  # fmt: skip


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_each_class_of_schema_message_in_plain_english(variant: str) -> None:
    problems = check_element(_child(VARIANTS[variant]), load_schema(2026))
    assert [(p.line, p.message) for p in problems] == [PLAIN[variant]]


def test_the_valid_variant_has_no_problem() -> None:
    # Without it, a template the schema always refused would make the tests above meaningless.
    assert check_element(_child({}), load_schema(2026)) == []


# Files that are not well-formed XML: (content, (line, what the analyst reads)).
BROKEN = {
    "tag not closed": (b"<Message>\n<Header>\n</Message>", ("line 3", "<Header> (opened on line 2) is not closed before </Message>: a closing tag is missing or misspelt")),
    "cut short": (b"<Message>\n<Header>\n", ("line 3", "the file ends before <Header> (opened on line 2) is closed: it may have been cut short")),
    "less-than": (b"<Message>\n<A>1 < 2</A></Message>", ("line 2", "there is a '<' that does not start a tag: inside a value, write &lt; for a less-than sign")),
    "ampersand": (b"<Message>\n<A>a & b</A></Message>", ("line 2", "there is an '&' that does not start an entity: inside a value, write &amp; for an ampersand")),
    "two roots": (b"<Message></Message>\n<Message/>", ("line 2", "there is more after the end of <Message>: a file holds one census, in one <Message>")),
    "latin-1": (b"<Message><A>caf\xe9</A></Message>", ("line 1", "there are bytes that are not UTF-8 (was the file saved as Windows-1252 or Latin-1?): save it as UTF-8")),
    "control character": (b"<Message><A>\x01</A></Message>", ("line 1", "there is a control character XML does not allow (an invisible character copied in?)")),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_file_that_is_not_well_formed_is_said_plainly(tmp_path: Path, case: str) -> None:
    content, expected = BROKEN[case]
    broken = tmp_path / "broken.xml"
    broken.write_bytes(content)
    with pytest.raises(FormatError) as caught:
        ingest_report([broken], tmp_path / "ehld")
    assert [(i.location, i.message, i.rule) for i in caught.value.issues] == [(*expected, "well-formed XML")]


def test_a_built_in_integer_type_of_the_2024_schema_is_said_plainly() -> None:
    from lxml import etree

    # The 2024 schema types NumberOfPreviousCPP as xs:positiveInteger (1 or more), not a type of its own.
    child = etree.fromstring(
        CHILD_TEMPLATE.format(**(VALID | {"plan": PLAN.format("0")})).replace(
            "<Sex>M</Sex>", "<GenderCurrent>1</GenderCurrent>"
        )
    )
    problems = check_element(child, load_schema(2024), 2024)
    assert [(p.line, p.message, p.rule) for p in problems] == [
        (16, "<NumberOfPreviousCPP> '0' is not a whole number, 1 or more", "CIN schema: whole number")
    ]


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_every_element_a_child_may_hold_is_placed_or_counted(year: int) -> None:
    from earlyhelp.formats import cin_xml
    from earlyhelp.formats.xsd_messages import model_for

    # Every element the schema lets a <Child> hold, found by walking the schema from <Child>.
    model = model_for(year)
    declared: set[str] = set()
    waiting = ["Child"]
    while waiting:
        name = waiting.pop()
        for child, _, _ in model.sequences.get(name, []):
            if child not in declared:
                declared.add(child)
                waiting.append(child)
    accounted = cin_xml.PLACED_ELEMENTS | cin_xml.MAPPED_WITH_CONDITIONS | set(cin_xml.NOT_KEPT_REASONS)
    assert declared == accounted - ({"Sex"} if year == 2024 else {"GenderCurrent"})


def test_the_command_says_it_the_same_way(samples: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    def run(*args: str) -> subprocess.CompletedProcess:
        command = [str(Path(sys.executable).with_name("earlyhelp")), "ingest", *args]
        environment = {k: v for k, v in os.environ.items() if k != "EARLYHELP_DEBUG"}
        return subprocess.run(command, capture_output=True, text=True, env=environment)

    refused = run(str(samples / "CIN_Census_2026.xml"), "--out", str(tmp_path / "refused"))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    for line, field, rule, message in _sex_and_codes(12):
        assert f"CIN_Census_2026.xml, line {line} " in refused.stderr
        assert f"[{field}]: {message} (rule: {rule})" in refused.stderr
    assert _year_warning("CIN_Census_2026.xml") in refused.stderr
    assert not any(phrase in refused.stderr for phrase in RAW_LIBXML_PHRASES)
    assert "A123456789123" not in refused.stderr and "2015-03-27" not in refused.stderr  # UPN, birth date

    read = run(str(samples / "fake_CIN_data.xml"), "--la-code", "E09000001", "--out", str(tmp_path / "read"))
    assert read.returncode == 0, read.stderr
    assert "children: 332 rows" in read.stdout and "<DateOfInitialCPC> in <CINdetails>: 350 values" in read.stdout
    assert NO_WHOLE_YEAR_FAKE in read.stdout


@pytest.mark.parametrize("used_as_id", ["A805000001001", "943 476 5919", "2015-03-27", "SW1A 1AA"])
def test_an_identifier_used_as_lachildid_is_not_shown(samples: Path, tmp_path: Path, used_as_id: str) -> None:
    # A UPN, an NHS number (valid check digit), a date, a postcode in place of the LA's own id.
    text = (samples / "CIN_Census_2021_copy.xml").read_text().replace("DfEX0000001", used_as_id)
    sample = tmp_path / "in.xml"
    sample.write_text(text)
    with pytest.raises(FormatError) as caught:
        ingest_report([sample], tmp_path / "ehld")
    (issue,) = caught.value.issues
    assert issue.message.endswith("(child LAchildID not shown: it looks like a UPN, NHS number, postcode or date)")
    assert used_as_id not in caught.value.message
