"""Every file of the SSDA903 peer samples (``../shared/reference/peer-samples/ssda903/``, the
DfE validator's test files) either ingests or fails with a plain-English error at the right place.

The counts were worked out by hand from the files: rows are ``awk 'END{print NR}' FILE`` less the
header (DoLo.csv has no newline after its one row, so ``wc -l`` says 1 line), non-empty values per
column with ``awk -F, 'NR>1{n+=($3!="")}END{print n}'``, and the XML form's with
``grep -o '<REVIEW>' fake_903.xml | wc -l`` (253 ``<CHILD>``, 459 ``<EPISODE>``, 1206 ``<REVIEW>``,
12 ``<UASC>1</UASC>``, 122 ``<SDQ_SCORE>``). The header and episodes are read into EHLD; the other
files have no EHLD table (docs/formats.md) and are listed, per column, as read but not kept.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from earlyhelp.errors import DataError, UsageError
from earlyhelp.formats import FormatError, export_report, ingest_report
from earlyhelp.formats.api import NOT_PLACED_FILE
from earlyhelp.formats.cli import ingest as ingest_command
from earlyhelp.formats.readers import NotPlaced
from earlyhelp.validate import validate_paths
from earlyhelp.validate.rules import RULES

from .ehld_builder import read_table

LA = "E06000001"
# The header alone holds no dated record, so the return's period needs the extract date.
EXTRACTED = dt.date(2018, 4, 1)
HEADER_CHILDREN = 2675  # header.csv: 2676 lines


@pytest.fixture
def peer(shared_reference: Path) -> Path:
    folder = shared_reference / "peer-samples" / "ssda903"
    if not folder.is_dir():
        pytest.skip("the peer samples are not beside the clone")
    return folder


def _not_placed(report) -> dict[tuple[str, str], tuple[int, int]]:
    return {(item.part, item.column): (item.present, item.values) for item in report.not_placed}


# The other files of the CSV form: (file, the table it is, rows, {column: non-empty values}).
# CHILD, and the DOB and SEX they repeat from the header, are not listed (the header's are kept).
OTHER_FILES = [
    ("reviews.csv", "reviews", 12582, {"REVIEW": 12582, "REVIEW_CODE": 12582}),
    ("missing.csv", "missing", 43, {"MISSING": 43, "MIS_START": 43, "MIS_END": 43}),
    ("uasc.csv", "uasc", 132, {"DUC": 132}),
    (
        "oc2.csv",
        "oc2",
        2675,
        {
            "SDQ_SCORE": 1321,
            "SDQ_REASON": 1354,
            "CONVICTED": 2675,
            "HEALTH_CHECK": 2675,
            "IMMUNISATIONS": 2675,
            "TEETH_CHECK": 2675,
            "HEALTH_ASSESSMENT": 2675,
            "SUBSTANCE_MISUSE": 2675,
            "INTERVENTION_RECEIVED": 2675,
            "INTERVENTION_OFFERED": 2675,
        },
    ),
    ("oc3.csv", "oc3", 53, {"IN_TOUCH": 53, "ACTIV": 53, "ACCOM": 53}),
    (
        "placed_for_adoption.csv",
        "placed_for_adoption",
        29,
        {"DATE_PLACED": 29, "DATE_PLACED_CEASED": 29, "REASON_PLACED_CEASED": 29},
    ),
    # The DfE's sample of rule errors (a child placed twice): nothing of it is checked, as nothing is kept.
    (
        "placed_for_adoption_errors.csv",
        "placed_for_adoption",
        30,
        {"DATE_PLACED": 30, "DATE_PLACED_CEASED": 30, "REASON_PLACED_CEASED": 30},
    ),
    ("previous_permanence.csv", "previous_permanence", 2675, {"PREV_PERM": 2675, "LA_PERM": 0, "DATE_PERM": 0}),
    (
        "ad1.csv",
        "ad1",
        29,
        {"DATE_INT": 29, "DATE_MATCH": 29, "FOSTER_CARE": 29, "NB_ADOPTR": 29, "SEX_ADOPTR": 29, "LS_ADOPTR": 29},
    ),
    # A byte-order mark before CHILD, and a child (CHILD10) not in the header: counted all the same.
    ("sw_episodes.csv", "sw_episodes", 1, {"SW_ID": 1, "SW_DECOM": 1, "SW_DEC": 1, "SW_REASON": 1}),
    ("DoLo.csv", "dolo", 1, {"DOLO_START": 1, "DOLO_END": 1}),
]


@pytest.mark.parametrize(("name", "part", "rows", "values"), OTHER_FILES, ids=[f[0] for f in OTHER_FILES])
def test_each_other_file_is_read_with_the_header_and_listed_as_not_kept(
    peer: Path, tmp_path: Path, name: str, part: str, rows: int, values: dict[str, int]
) -> None:
    report = ingest_report([peer / "header.csv", peer / name], tmp_path / "ehld", la_code=LA, extract_date=EXTRACTED)
    assert report.issue_count == 0
    assert report.rows["children"] == report.rows["person_identifiers"] == HEADER_CHILDREN
    assert "looked_after_episodes" not in report.rows  # nothing of the other file is written
    assert _not_placed(report) == {(part, column): (rows, count) for column, count in values.items()}
    assert all(item.file == name for item in report.not_placed)
    # The file beside the tables: the same counts, and no value of the file.
    with open(tmp_path / "ehld" / NOT_PLACED_FILE, newline="") as handle:
        listed = list(csv.DictReader(handle, delimiter="\t"))
    assert [(r["file"], r["part"], r["column"], int(r["rows"]), int(r["values"])) for r in listed] == [
        (name, part, column, rows, count) for column, count in values.items()
    ]
    summary = report.summary()
    assert f"{name}, {part} ({rows} rows): " in summary
    assert "Read but not kept (the data model has no place for them" in summary


@pytest.mark.parametrize("name", [f[0] for f in OTHER_FILES] + ["episodes.csv"])
def test_each_file_without_the_header_says_the_header_is_missing(peer: Path, tmp_path: Path, name: str) -> None:
    with pytest.raises(UsageError) as caught:
        ingest_report([peer / name], tmp_path / "ehld", la_code=LA)
    assert caught.value.message == "The SSDA903 header file (CHILD, SEX, DOB, ETHNIC, UPN, ...) is missing."
    assert caught.value.hint == "The header gives each child's date of birth and sex; pass it too."


def test_the_header_alone_needs_the_extract_date(peer: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"hold no dated record \(referral, episode, plan \.\.\.\) for E06000001"):
        ingest_report([peer / "header.csv"], tmp_path / "ehld", la_code=LA)


def test_header_and_episodes_are_read_whole(peer: Path, tmp_path: Path) -> None:
    report = ingest_report([peer / "header.csv", peer / "episodes.csv"], tmp_path / "ehld", la_code=LA)
    assert report.issue_count == 0
    assert report.rows["children"] == HEADER_CHILDREN
    assert report.rows["looked_after_episodes"] == 5050  # episodes.csv: 5051 lines
    # Episodes with HOME_POST or PL_POST (awk -F, 'NR>1 && ($11!="" || $12!="")': 5049); the one
    # header row with an MC_DOB is a child whose episodes have postcodes.
    assert report.rows["episode_postcodes"] == 5049
    assert report.not_placed == []  # every column of both files has its place
    assert not (tmp_path / "ehld" / NOT_PLACED_FILE).exists()


def test_the_csv_form_whole(peer: Path, tmp_path: Path) -> None:
    report = ingest_report(sorted(peer.glob("*.csv")), tmp_path / "ehld", la_code=LA)
    assert report.issue_count == 0
    assert report.rows["looked_after_episodes"] == 5050
    assert {item.file for item in report.not_placed} == {f[0] for f in OTHER_FILES}
    assert len(report.not_placed) == sum(len(f[3]) for f in OTHER_FILES)
    # The peer samples' UPNs are made up (2568 check letters are wrong, a warning): no error.
    validation = validate_paths([tmp_path / "ehld"])
    assert validation.error_count == 0
    assert {rule for rule in validation.counts if RULES[rule].severity == "error"} == set()


def test_both_forms_at_once_are_refused(peer: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        ingest_report([peer], tmp_path / "ehld", la_code=LA)
    assert caught.value.message == (
        "The SSDA903 return was given in both its forms: fake_903.xml is its XML form, "
        "DoLo.csv, ad1.csv, episodes.csv, header.csv, ... its CSV files."
    )
    assert "one form of the return at a time" in (caught.value.hint or "")
    assert not (tmp_path / "ehld").exists()


# ------------------------------------------------------------------------ the XML form

XML_NOT_KEPT = {
    ("uasc", "UASC"): (253, 12),  # an empty <UASC /> in every header but 12
    ("uasc", "DUC"): (12, 12),
    ("reviews", "REVIEW"): (1206, 1206),
    ("reviews", "REVIEW_CODE"): (1206, 1206),
    ("previous_permanence", "PREV_PERM"): (253, 253),
    ("oc2", "SDQ_SCORE"): (122, 122),
    ("oc2", "SDQ_REASON"): (131, 131),
    **{
        ("oc2", column): (253, 253)
        for column in (
            "CONVICTED",
            "HEALTH_CHECK",
            "IMMUNISATIONS",
            "TEETH_CHECK",
            "HEALTH_ASSESSMENT",
            "SUBSTANCE_MISUSE",
            "INTERVENTION_RECEIVED",
            "INTERVENTION_OFFERED",
        )
    },
    ("missing", "MISSING"): (6, 6),
    ("missing", "MIS_START"): (6, 6),
    ("missing", "MIS_END"): (6, 6),
    ("oc3", "IN_TOUCH"): (6, 6),
    ("oc3", "ACTIV"): (6, 6),
    ("oc3", "ACCOM"): (6, 6),
    **{
        ("ad1", column): (3, 3)
        for column in ("DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR")
    },
    ("placed_for_adoption", "DATE_PLACED"): (3, 3),
    ("placed_for_adoption", "DATE_PLACED_CEASED"): (3, 3),
    ("placed_for_adoption", "REASON_PLACED_CEASED"): (3, 3),
}


def test_the_xml_form_is_read_into_the_same_tables(peer: Path, tmp_path: Path) -> None:
    report = ingest_report([peer / "fake_903.xml"], tmp_path / "ehld", la_code=LA)
    assert report.formats == ["ssda903"] and report.issue_count == 0
    assert report.rows["children"] == report.rows["person_identifiers"] == 253
    assert report.rows["looked_after_episodes"] == 459
    assert report.rows["episode_postcodes"] == 459  # every <HOME_POST> holds a postcode
    assert _not_placed(report) == XML_NOT_KEPT
    # The first child, by hand from the file: CHILDID 907440, SEX 2, DOB 28/07/2010, BAFR, two episodes.
    children = {row["child_id"]: row for row in read_table(tmp_path / "ehld", "children")}
    first = children[f"{LA}-907440"]
    assert (first["birth_month"], first["sex"], first["ethnicity"], first["mother"]) == ("2010-07", "F", "BAFR", "")
    episodes = [e for e in read_table(tmp_path / "ehld", "looked_after_episodes") if e["child_id"] == f"{LA}-907440"]
    assert [
        (e["start_date"], e["placement"], e["end_date"], e["reason_ceased"], e["placement_provider"], e["urn"])
        for e in episodes
    ] == [
        ("2017-01-06", "R5", "2017-10-06", "X1", "PR2", "1465167"),
        ("2017-10-06", "P2", "2018-03-07", "E11", "PR3", "8809927"),
    ]
    assert [e["reason_place_change"] for e in episodes] == ["CUSTOD", ""]


def test_the_xml_form_writes_no_identifier_outside_the_identity_zone(peer: Path, tmp_path: Path) -> None:
    from privacy.identifier_scan import IdentityRecords, Scanner, in_identity_zone

    out = ingest_report([peer / "fake_903.xml"], tmp_path / "ehld", la_code=LA).out
    records = IdentityRecords()
    records.add_folder(out)  # every DOB, UPN, HOME_POST and PL_POST of the file is kept there
    assert records.sizes()["postcode"] > 400 and records.sizes()["date_of_birth"] > 200
    result = Scanner(records).scan(out, identity_zone=in_identity_zone())
    assert sorted(result.skipped_identity_zone) == ["episode_postcodes.csv", "person_identifiers.csv"]
    # the analytic and reference tables, ingest_not_placed.tsv and the two provenance sidecars
    assert result.scanned["csv"] == 11
    assert result.total == 0, result.summary()


def test_the_xml_form_needs_the_la_code(peer: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="SSDA903 files do not say which LA they belong to"):
        ingest_report([peer / "fake_903.xml"], tmp_path / "ehld")


def test_an_error_in_the_xml_form_on_one_line_is_placed_by_path_and_child(peer: Path, tmp_path: Path) -> None:
    broken = tmp_path / "fake_903.xml"
    text = (peer / "fake_903.xml").read_text(encoding="ascii")
    # The whole return is on line 2 (after the XML declaration): the path says where. The first
    # child's second episode starts 06/10/2017; written ISO instead.
    assert text.count("<DECOM>06/10/2017</DECOM>") >= 1
    broken.write_text(text.replace("<DECOM>06/10/2017</DECOM>", "<DECOM>2017-10-06</DECOM>", 1), encoding="ascii")
    with pytest.raises(FormatError) as caught:
        ingest_report([broken], tmp_path / "ehld", la_code=LA)
    assert [str(issue) for issue in caught.value.issues] == [
        "fake_903.xml, line 2 /EXPSSDA903/CHILD[1]/EPISODE[2]/DECOM [DECOM]: '2017-10-06' is not a date "
        "written dd/mm/YYYY (child CHILDID 907440) (rule: date dd/mm/YYYY)"
    ]
    # --skip-invalid leaves that child out, whole, and reads the other 252.
    report = ingest_report([broken], tmp_path / "skipped", la_code=LA, skip_invalid=True)
    assert report.rows["children"] == 252 and report.skipped_children == 1
    assert report.rows["looked_after_episodes"] == 459 - 2


def test_a_header_error_in_the_csv_form_is_at_its_row(peer: Path, tmp_path: Path) -> None:
    lines = (peer / "header.csv").read_text().splitlines(keepends=True)
    fields = lines[99].split(",")  # row 100 of the file (the header is row 1)
    fields[1] = "7"  # SEX
    lines[99] = ",".join(fields)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "header.csv").write_text("".join(lines))
    shutil.copy(peer / "episodes.csv", tmp_path / "in" / "episodes.csv")
    with pytest.raises(FormatError) as caught:
        ingest_report([tmp_path / "in"], tmp_path / "ehld", la_code=LA)
    # The child's two episodes (episodes.csv lines 192 and 193, by grep) cannot be kept without it.
    assert [str(issue) for issue in caught.value.issues] == [
        "header.csv, row 100 [SEX]: '7' is not a sex code (1, 2 or M, F, U) (rule: SSDA903 code list)",
        "episodes.csv, row 192 [CHILD]: an episode's CHILD has no valid row in the header file "
        "(rule: episode's child in the header)",
        "episodes.csv, row 193 [CHILD]: an episode's CHILD has no valid row in the header file "
        "(rule: episode's child in the header)",
    ]


def test_an_other_file_that_is_not_utf8_is_refused_at_its_line(peer: Path, tmp_path: Path) -> None:
    lines = (peer / "reviews.csv").read_bytes().splitlines(keepends=True)
    lines[4] = lines[4].replace(b"\n", b"\xe9\n")  # line 5: a Windows-1252 e-acute
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "reviews.csv").write_bytes(b"".join(lines))
    shutil.copy(peer / "header.csv", tmp_path / "in" / "header.csv")
    with pytest.raises(DataError) as caught:
        ingest_report([tmp_path / "in"], tmp_path / "ehld", la_code=LA, extract_date=EXTRACTED)
    assert caught.value.message.startswith("reviews.csv, line 5: the file is not UTF-8 text from this line on")


# A small XML form written over many lines, so that each problem's line can be checked by hand.
SMALL_XML = """<?xml version="1.0" encoding="utf-8"?>
<EXPSSDA903>
  <CHILD>
    <HEADER>
      <CHILDID>101</CHILDID>
      <UPN>A805000001001</UPN>
      <SEX>F</SEX>
      <DOB>14/02/2005</DOB>
      <ETHNIC>WBRI</ETHNIC>
      <UASC>1</UASC>
      <DUC>13/02/2023</DUC>
      <AREVIEW><REVIEW>01/09/2019</REVIEW><REVIEW_CODE>PN1</REVIEW_CODE></AREVIEW>
      <MOTHER>1</MOTHER>
      <MC_DOB>03/05/2019</MC_DOB>
      <FAVOURITE_COLOUR>blue</FAVOURITE_COLOUR>
    </HEADER>
    <EPISODE>
      <DECOM>10/06/2019</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN><PL>U4</PL>
      <PL_POST>TS1 1AA</PL_POST><HOME_POST>TS24 8AA</HOME_POST><URN>SC123456</URN>
      <PLACE_PROVIDER>PR1</PLACE_PROVIDER><DEC>02/09/2019</DEC><REC>X1</REC>
      <REASON_PLACE_CHANGE>CARPL</REASON_PLACE_CHANGE>
    </EPISODE>
    <EPISODE>
      <DECOM>02/09/2019</DECOM><RNE>P</RNE><LS>C2</LS><CIN>N1</CIN><PL>U6</PL>
      <PL_POST /><HOME_POST>TS24 9ZZ</HOME_POST><URN /><PLACE_PROVIDER>PR2</PLACE_PROVIDER>
      <DEC /><REC /><REASON_PLACE_CHANGE />
    </EPISODE>
  </CHILD>
  <CHILD>
    <HEADER>
      <CHILDID>102</CHILDID>
      <UPN />
      <SEX>7</SEX>
      <DOB>01/01/2012</DOB>
      <ETHNIC>WBRI</ETHNIC>
    </HEADER>
    <EPISODE>
      <RNE>S</RNE><LS>V2</LS><CIN>N4</CIN><PL>ZZ</PL>
    </EPISODE>
  </CHILD>
</EXPSSDA903>
"""


def test_a_small_xml_form_by_hand(tmp_path: Path) -> None:
    path = tmp_path / "return.xml"
    path.write_text(SMALL_XML)
    with pytest.raises(FormatError) as caught:
        ingest_report([path], tmp_path / "ehld", la_code=LA)
    # Child 102 (counted by hand): SEX on line 33, an episode (line 37) with no DECOM, PL ZZ on line 38.
    assert [str(issue) for issue in caught.value.issues] == [
        "return.xml, line 33 /EXPSSDA903/CHILD[2]/HEADER/SEX [SEX]: '7' is not a sex code (1, 2 or M, F, U) "
        "(child CHILDID 102) (rule: SSDA903 code list)",
        "return.xml, line 37 /EXPSSDA903/CHILD[2]/EPISODE [DECOM]: DECOM is empty (child CHILDID 102) (rule: required)",
        "return.xml, line 38 /EXPSSDA903/CHILD[2]/EPISODE/PL [PL]: 'ZZ' is not a PL code (child CHILDID 102) "
        "(rule: SSDA903 code list)",
    ]
    report = ingest_report([path], tmp_path / "ehld", la_code=LA, skip_invalid=True)
    out = report.out
    assert [(c["child_id"], c["sex"], c["birth_month"], c["mother"]) for c in read_table(out, "children")] == [
        (f"{LA}-101", "F", "2005-02", "true")
    ]
    identity = read_table(out, "person_identifiers")
    assert [(p["upn"], p["date_of_birth"], p["postcode"]) for p in identity] == [
        ("A805000001001", "2005-02-14", "TS24 9ZZ")  # the latest episode's HOME_POST
    ]
    assert [
        (e["start_date"], e["placement"], e["placement_provider"], e["urn"], e["reason_place_change"])
        for e in read_table(out, "looked_after_episodes")
    ] == [("2019-06-10", "U4", "PR1", "SC123456", "CARPL"), ("2019-09-02", "U6", "PR2", "", "")]
    assert [
        (p["start_date"], p["home_postcode"], p["placement_postcode"], p["mother_child_dob"])
        for p in read_table(out, "episode_postcodes")
    ] == [("2019-06-10", "TS24 8AA", "TS1 1AA", "2019-05-03"), ("2019-09-02", "TS24 9ZZ", "", "2019-05-03")]
    # Not kept (child 102 has nothing beyond its header and episode): 101's UASC, its review and
    # the field no SSDA903 table has.
    assert report.not_placed == [
        NotPlaced("return.xml", "uasc", "UASC", 1, 1),
        NotPlaced("return.xml", "uasc", "DUC", 1, 1),
        NotPlaced("return.xml", "reviews", "REVIEW", 1, 1),
        NotPlaced("return.xml", "reviews", "REVIEW_CODE", 1, 1),
        NotPlaced("return.xml", "not an SSDA903 field", "FAVOURITE_COLOUR", 1, 1),
    ]
    for table in ("children", "looked_after_episodes", "returns"):
        text = (out / f"{table}.csv").read_text()
        assert "TS24" not in text and "14/02/2005" not in text and "2005-02-14" not in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "<EXPSSDA903><CHILD><HEADER><CHILDID>1</CHILDID></HEADER>\n<EPISODE></CHILD></EXPSSDA903>",
            "return.xml, line 2: the file is not well-formed XML: Opening and ending tag mismatch: EPISODE line 2 "
            "and CHILD, line 2, column 18 (rule: well-formed XML)",
        ),
        (
            '<?xml version="1.0"?>\n<!DOCTYPE EXPSSDA903 [<!ENTITY x "y">]>\n<EXPSSDA903><CHILD/></EXPSSDA903>',
            "return.xml, line 1 [DOCTYPE]: the file declares a DTD (<!DOCTYPE ...>), which SSDA903 files do not "
            "have; earlyhelp reads no DTD and replaces no entity (rule: no DTD in an SSDA903 file)",
        ),
        (
            "<EXPSSDA903>\n</EXPSSDA903>",
            "return.xml [CHILD]: <EXPSSDA903> holds no <CHILD> (rule: a child in the return)",
        ),
        (
            "<EXPSSDA903>\n<CHILD>\n<EPISODE/>\n</CHILD>\n</EXPSSDA903>",
            "return.xml, line 2 /EXPSSDA903/CHILD[1] [HEADER]: a <CHILD> has 0 <HEADER> elements, not one "
            "(rule: one HEADER per CHILD)",
        ),
    ],
    ids=["not well-formed", "DTD", "no child", "no header"],
)
def test_xml_form_problems_are_plain_and_placed(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "return.xml"
    path.write_text(text)
    with pytest.raises(FormatError) as caught:
        ingest_report([path], tmp_path / "ehld", la_code=LA)
    assert str(caught.value.issues[0]) == expected


def test_the_cli_summary_lists_what_is_not_kept(peer: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        ingest_command,
        [str(peer / "header.csv"), str(peer / "episodes.csv"), str(peer / "uasc.csv"), "--la-code", LA]
        + ["--out", str(tmp_path / "ehld")],
    )
    assert result.exit_code == 0, result.output
    assert (
        "  Read but not kept (the data model has no place for them; columns and counts, no values, in "
        f"{tmp_path / 'ehld' / NOT_PLACED_FILE}):\n    uasc.csv, uasc (132 rows): DUC 132\n"
    ) in result.output


# ------------------------------------------------------------------------ round trip


def test_the_xml_form_round_trips_through_ehld_to_the_csv_form(peer: Path, tmp_path: Path) -> None:
    """Ingest the XML form, export SSDA903 for 2017-18: each episode open in the year is written with
    the XML's own values, the optional ones (provider, URN, reason for change, postcodes) included."""
    ingest_report([peer / "fake_903.xml"], tmp_path / "ehld", la_code=LA)
    done = export_report(tmp_path / "ehld", "ssda903", tmp_path / "903", year=2018)
    start, end = dt.date(2017, 4, 1), dt.date(2018, 3, 31)

    def day(text: str | None) -> dt.date | None:
        return dt.datetime.strptime(text, "%d/%m/%Y").date() if text else None

    expected_episodes = {}
    expected_header = {}
    for child in etree.parse(str(peer / "fake_903.xml")).getroot():
        header = {e.tag: (e.text or "") for e in child.find("HEADER") if len(e) == 0}
        for episode in child.findall("EPISODE"):
            fields = {e.tag: (e.text or "") for e in episode}
            decom, dec = day(fields["DECOM"]), day(fields["DEC"])
            if decom <= end and (dec is None or dec >= start):
                ended = dec is not None and dec <= end  # ends after 31 March are not known yet
                expected_episodes[(header["CHILDID"], fields["DECOM"])] = [
                    fields["RNE"],
                    fields["LS"],
                    fields["CIN"],
                    fields["PL"],
                    fields["PLACE_PROVIDER"],
                    fields["DEC"] if ended else "",
                    fields["REC"] if ended else "",
                    fields["REASON_PLACE_CHANGE"] if ended else "",
                    fields["HOME_POST"],
                    fields["PL_POST"],
                    fields["URN"],
                ]
                expected_header[header["CHILDID"]] = [
                    header["SEX"],
                    header["DOB"],
                    header["ETHNIC"],
                    header["UPN"],
                    header["MOTHER"],
                    header["MC_DOB"],
                ]
    assert len(expected_episodes) > 100  # not vacuous
    folder = tmp_path / "903" / LA
    assert sorted(p.name for p in done.files) == ["episodes.csv", "header.csv"]
    with open(folder / "episodes.csv", newline="") as handle:
        written = {(row[0], row[1]): row[2:] for row in list(csv.reader(handle))[1:]}
    assert written == expected_episodes
    with open(folder / "header.csv", newline="") as handle:
        header_rows = {row[0]: row[1:] for row in list(csv.reader(handle))[1:]}
    assert header_rows == expected_header


def test_columns_beyond_the_returns_in_header_and_episodes_are_listed(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    # A UASC flag some tools add to the header, and an LA's own column on the episodes.
    (folder / "head.csv").write_text("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB,UASC\n101,1,14/02/2013,WBRI,,,,1\n")
    (folder / "eps.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,DEC,REC,WORKER_TEAM\n"
        "101,10/06/2024,S,C2,N1,U4,02/09/2024,X1,North\n"
        "101,02/09/2024,P,C2,N1,U6,,,\n"
    )
    report = ingest_report([folder], tmp_path / "ehld", la_code=LA)
    assert report.issue_count == 0 and report.rows["looked_after_episodes"] == 2
    assert report.not_placed == [
        NotPlaced("eps.csv", "episodes", "WORKER_TEAM", 2, 1),
        NotPlaced("head.csv", "header", "UASC", 1, 1),
    ]
    assert "North" not in (tmp_path / "ehld" / NOT_PLACED_FILE).read_text()


def test_two_xml_forms_are_refused(peer: Path, tmp_path: Path) -> None:
    second = tmp_path / "second.xml"
    shutil.copy(peer / "fake_903.xml", second)
    with pytest.raises(UsageError, match=r"^Two SSDA903 XML files were given: .*fake_903\.xml and .*second\.xml\.$"):
        ingest_report([peer / "fake_903.xml", second], tmp_path / "ehld", la_code=LA)
