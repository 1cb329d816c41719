"""NHS number check digits and UPN check letters: warnings, with hand-worked values (issue #16).

NHS number (NHS Data Dictionary): the first nine digits weighted 10 down to 2, summed; the check
digit is 11 minus the sum's remainder mod 11 (11 -> 0, 10 -> no valid number). UPN (DfE UPN
guide, CIN census rule 1510): characters 2-13 weighted 2-13, summed; the remainder mod 23 picks
the letter from ABCDEFGHJKLMNPQRTUVWXYZ.
"""

from __future__ import annotations

import numpy as np
from validate_helpers import BASE, make_return, where

from earlyhelp.validate import validate_paths
from earlyhelp.validate.checks import nhs_check_fails, upn_check_fails

IDENTIFIERS_HEADER = BASE["person_identifiers.csv"].splitlines()[0]


def _identities(*rows: str) -> str:
    return IDENTIFIERS_HEADER + "\n" + "\n".join(rows) + "\n"


def test_nhs_check_digit_by_hand() -> None:
    numbers = np.array(
        [
            "9434765919",  # the NHS's own example: 9*10+4*9+3*8+4*7+7*6+6*5+5*4+9*3+1*2 = 299; 299 % 11 = 2 -> 9
            "9434765918",  # the same with the last digit changed
            "9434765991",  # the last two digits swapped
            "9990000018",  # 9*10+9*9+9*8+1*2 = 245; 245 % 11 = 3 -> 8
            "0000000000",  # sum 0: 11 - 0 = 11 counts as 0
            "0000000060",  # 6*2 = 12; 12 % 11 = 1 -> 10: no NHS number starts 000000006
        ],
        dtype=object,
    )
    assert nhs_check_fails(numbers).tolist() == [False, True, True, False, False, True]


def test_upn_check_letter_by_hand() -> None:
    upns = np.array(
        [
            "A950000178301",  # 9*2+5*3+1*8+7*9+8*10+3*11+1*13 = 230; 230 % 23 = 0 -> A
            "P805000001001",  # 8*2+5*4+1*10+1*13 = 59; 59 % 23 = 13 -> P
            "A805000001001",  # the same digits: A is wrong
            "p805000001001",  # lower case is the same letter
            "A123456789012",  # 2+6+12+20+30+42+56+72+90+0+12+26 = 368 = 16*23 -> A
            "B123456789012",
            "A12345678901B",  # a temporary UPN (a letter last): not checked, as DfE's validator does
        ],
        dtype=object,
    )
    assert upn_check_fails(upns).tolist() == [False, False, True, False, False, True, False]


def test_failed_checks_are_masked_warnings_and_the_return_still_passes(tmp_path) -> None:
    identities = _identities(
        "la_csc,C1,E06000001,943 476 5919,P805000001001,Ann,Test,2012-05-14,F,",  # line 2: both fine
        "la_csc,C2,E06000001,943-476-5918,A805000001001,Bob,Test,2014-01-02,M,",  # line 3: both fail
        "la_csc,C3,E06000001,9.43E+09,A8050000010,Cat,Test,2014-01-02,F,",  # line 4: shapes wrong: errors only
    )
    report = validate_paths([make_return(tmp_path, {"person_identifiers.csv": identities})])
    assert where(report) == {
        ("value-nhs-number-check-digit", "person_identifiers.csv", 3, "nhs_number"),
        ("value-upn-check-letter", "person_identifiers.csv", 3, "upn"),
        ("value-nhs-number", "person_identifiers.csv", 4, "nhs_number"),
        ("value-upn", "person_identifiers.csv", 4, "upn"),
    }
    warnings = [f for f in report.findings if f.rule_id.endswith(("check-digit", "check-letter"))]
    assert all(f.severity == "warning" for f in warnings) and report.warning_count == 2
    for finding in warnings:
        assert "943" not in finding.message + finding.hint and "805" not in finding.message + finding.hint
        assert "masked" in finding.message
    only_warnings = _identities("la_csc,C2,E06000001,9434765918,A805000001001,Bob,Test,2014-01-02,M,")
    assert validate_paths([make_return(tmp_path / "warned", {"person_identifiers.csv": only_warnings})]).ok
