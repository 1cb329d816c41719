"""What Excel does to a return, and what the validator says about it (black-box review findings).

Booleans saved as TRUE/FALSE, NHS numbers turned into scientific notation, files saved in
Windows-1252 or as "Unicode Text" (UTF-16): each gets one clear finding and a hint naming Excel.
"""

from __future__ import annotations

import codecs

from validate_helpers import BASE, make_return, where

from earlyhelp.validate import validate_paths

IDENTITY_HEADER = BASE["person_identifiers.csv"].splitlines()[0]
REFERRALS_HEADER = BASE["referrals.csv"].splitlines()[0]


def _findings_of(report, file_name: str) -> list:
    return [f for f in report.findings if f.file == file_name]


# --------------------------------------------------------------- booleans (finding 16)
def test_excel_true_and_false_in_any_case_are_booleans(tmp_path):
    children = BASE["children.csv"].replace(",false,3,F1", ",FALSE,3,F1").replace(",true,,F1", ",True,,F1")
    referrals = (
        BASE["referrals.csv"].replace("N1,false,", "N1,False,").replace(",true,2019-06-01,RC8", ",TRUE,2019-06-01,RC8")
    )
    assert "FALSE" in children and "True" in children and "TRUE" in referrals  # the edits happened
    report = validate_paths([make_return(tmp_path, {"children.csv": children, "referrals.csv": referrals})])
    assert report.ok, [f.message for f in report.findings]


def test_words_that_are_not_true_or_false_are_still_refused_with_an_excel_hint(tmp_path):
    children = BASE["children.csv"].replace(",false,3,F1", ",yes,3,F1").replace(",true,,F1", ",1,,F1")
    report = validate_paths([make_return(tmp_path, {"children.csv": children})])
    assert where(report) == {
        ("value-bool", "children.csv", 2, "disabled"),
        ("value-bool", "children.csv", 3, "disabled"),
    }
    assert "TRUE and FALSE" in report.findings[0].hint


def test_a_no_further_action_flag_written_TRUE_is_held_to_the_no_further_action_rules(tmp_path):
    # R2 is NFA; written TRUE it must still close on its referral date with RC8 and have no
    # assessment. Line 3 closes with RC9 (nfa-closure), and an assessment of R2 is added on
    # line 3 of assessments.csv (nfa-follow-up).
    referrals = BASE["referrals.csv"].replace(",true,2019-06-01,RC8", ",TRUE,2019-06-01,RC9")
    assessments = BASE["assessments.csv"] + "E06000001,C2,R2,A2,2019-06-01,,\n"
    report = validate_paths([make_return(tmp_path, {"referrals.csv": referrals, "assessments.csv": assessments})])
    assert where(report) == {
        ("nfa-closure", "referrals.csv", 3, "closure_reason"),
        ("nfa-follow-up", "assessments.csv", 3, "referral_id"),
    }


# --------------------------------------------------------------- NHS number and UPN (finding 7)
def _identities(*rows: str) -> str:
    return IDENTITY_HEADER + "\n" + "".join(row + "\n" for row in rows)


def test_nhs_numbers_and_upns_must_have_their_shape_and_check_digits_are_warnings(tmp_path):
    rows = [
        # line 2: Excel's scientific notation; line 3: 9 digits; line 4: a decimal as Excel saves
        "la_csc,C1,E06000001,9.43E+09,,Ann,Test,2012-05-14,F,ZZ99 3AB",
        "la_csc,C2,E06000001,943476591,,Bob,Test,2014-01-02,M,",
        "la_csc,C3,E06000001,9434765919.0,,Cat,Test,2014-01-02,F,",
        # lines 5-7 have the shape: spaces between groups, a wrong check digit (a warning), and
        # no NHS number at all
        "la_csc,C4,E06000001,943 476 5919,A123456789012,Dan,Test,2014-01-02,M,",
        "la_csc,C5,E06000001,9434765918,A12345678901B,Eve,Test,2014-01-02,F,",
        "la_csc,C6,E06000001,,,Fay,Test,2014-01-02,F,",
        # line 8: a UPN of 12 characters; line 9: a UPN without its letter
        "la_csc,C7,E06000001,,A12345678901,Gus,Test,2014-01-02,M,",
        "la_csc,C8,E06000001,,1234567890123,Hal,Test,2014-01-02,M,",
    ]
    report = validate_paths([make_return(tmp_path, {"person_identifiers.csv": _identities(*rows)})])
    assert where(report) == {
        ("value-nhs-number", "person_identifiers.csv", 2, "nhs_number"),
        ("value-nhs-number", "person_identifiers.csv", 3, "nhs_number"),
        ("value-nhs-number", "person_identifiers.csv", 4, "nhs_number"),
        ("value-upn", "person_identifiers.csv", 8, "upn"),
        ("value-upn", "person_identifiers.csv", 9, "upn"),
        ("value-nhs-number-check-digit", "person_identifiers.csv", 6, "nhs_number"),
    }
    assert report.warning_count == 1 and report.error_count == 5
    by_line = {f.line: f for f in report.findings}
    # Never the value, only its shape; the scientific-notation case is named as Excel's doing.
    assert by_line[2].message.startswith("'<8 characters, masked>' is not an NHS number")
    assert "scientific notation" in by_line[2].message and "scientific notation" not in by_line[3].message
    assert "Text" in by_line[2].hint
    for finding in report.findings:
        assert not any(
            value in finding.message + finding.hint
            for value in ("9.43E+09", "943476591", "9434765919", "A12345678901", "1234567890123")
        )


# --------------------------------------------------------------- encodings (findings 14 and 15)
def test_a_windows_1252_file_is_one_encoding_finding_not_also_an_empty_file(tmp_path):
    identities = _identities("la_csc,C1,E06000001,,,Zo\u00eb,Test,2012-05-14,F,")
    report = validate_paths([make_return(tmp_path, {"person_identifiers.csv": identities.encode("cp1252")})])
    assert [(f.rule_id, f.line) for f in _findings_of(report, "person_identifiers.csv")] == [("file-encoding", 2)]
    assert "Windows-1252" in report.findings[0].hint


def test_utf16_unicode_text_gets_its_own_hint(tmp_path):
    # Excel's "Unicode Text": UTF-16 little-endian with a byte-order mark, tabs between columns.
    unicode_text = codecs.BOM_UTF16_LE + (REFERRALS_HEADER.replace(",", "\t") + "\r\n").encode("utf-16-le")
    # The same text without the byte-order mark, as some tools write it.
    no_bom = (REFERRALS_HEADER + "\n" + BASE["referrals.csv"].splitlines()[1] + "\n").encode("utf-16-le")
    for name, content in (("with-bom", unicode_text), ("no-bom", no_bom)):
        report = validate_paths([make_return(tmp_path / name, {"referrals.csv": content})])
        [finding] = _findings_of(report, "referrals.csv")
        assert (finding.rule_id, finding.line) == ("file-utf16", 1), name
        assert "Unicode Text" in finding.hint and "CSV UTF-8" in finding.hint
        assert "Windows-1252" not in finding.hint
