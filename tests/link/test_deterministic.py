"""The NHS-number step: valid numbers link, a number on a flatly different child does not."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest

from earlyhelp.link.deterministic import link_by_nhs_number
from earlyhelp.link.prepare import prepare_records
from earlyhelp.synth.identities import person_identifiers_schema

VALID = "9434765919"  # 9*10+4*9+3*8+4*7+7*6+6*5+5*4+9*3+1*2 = 299, 11 - 299 % 11 = 9
INVALID = "9434765918"


def _run(rows):
    con = duckdb.connect()
    schema = person_identifiers_schema()
    columns = {name: [r.get(name) for r in rows] for name in schema.names}
    con.register("rows", pa.table(columns, schema=schema))
    con.execute("CREATE TABLE person_identifiers AS SELECT * FROM rows")
    prepare_records(con)
    summary = link_by_nhs_number(con)
    det = dict(con.execute("SELECT source_record_id, nhs_det FROM link_records").fetchall())
    return summary, det


def _record(rid, forename, dob, nhs=VALID, source="health"):
    return {
        "source": source,
        "source_record_id": rid,
        "la_code": "E06000001",
        "nhs_number": nhs,
        "forename": forename,
        "surname": "Khan",
        "date_of_birth": dob,
        "sex": "F",
    }


def test_same_valid_number_links_through_nickname_and_swapped_date():
    summary, det = _run(
        [
            _record("1", "Elizabeth", dt.date(2010, 3, 7)),
            _record("2", "Lizzie", dt.date(2010, 7, 3), source="la_csc"),  # nickname, day/month swapped
            _record("3", None, None, source="police"),  # nothing to disagree with
        ]
    )
    assert det == {"1": VALID, "2": VALID, "3": VALID}
    assert summary.records_linked == 3 and summary.records_vetoed == 0


def test_a_sibling_number_on_a_flatly_different_child_is_vetoed():
    summary, det = _run(
        [
            _record("1", "Amira", dt.date(2012, 5, 20)),
            _record("2", "Amira", dt.date(2012, 5, 20), source="education"),
            _record("3", "Yusuf", dt.date(2009, 11, 2), source="la_csc"),  # a brother's record
        ]
    )
    assert det["1"] == det["2"] == VALID
    assert det["3"] is None
    assert summary.records_vetoed == 1


def test_twins_differ_by_forename_only_and_are_still_kept_apart():
    # Same birth date and surname; forenames flatly disagree: the pair cannot be trusted.
    summary, det = _run(
        [
            _record("1", "Oliver", dt.date(2015, 1, 9)),
            _record("2", "Harry", dt.date(2015, 1, 9), source="la_csc"),
        ]
    )
    assert det == {"1": None, "2": None}
    assert summary.records_vetoed == 2


def test_invalid_check_digit_is_never_used():
    summary, det = _run(
        [
            _record("1", "Ava", dt.date(2011, 2, 2), nhs=INVALID),
            _record("2", "Ava", dt.date(2011, 2, 2), nhs=INVALID, source="la_csc"),
        ]
    )
    assert det == {"1": None, "2": None}
    assert summary.records_with_valid_nhs == 0


@pytest.mark.parametrize("placeholder", ["0000000000", "1111111111"])
def test_placeholder_numbers_that_pass_mod_11_are_not_links(placeholder):
    summary, det = _run(
        [
            _record("1", "Ava", dt.date(2011, 2, 2), nhs=placeholder),
            _record("2", "Ava", dt.date(2011, 2, 2), nhs=placeholder, source="la_csc"),
        ]
    )
    assert det == {"1": None, "2": None}
    assert summary.placeholder_numbers == 1


def test_an_unknown_nickname_with_the_same_initial_and_birth_date_still_links():
    # "Haz" is in no variant group and far from "Harry" by Jaro-Winkler, but the initial and
    # the date agree: not a flat disagreement.
    summary, det = _run(
        [
            _record("1", "Harry", dt.date(2009, 4, 16)),
            _record("2", "Haz", dt.date(2009, 4, 16), source="education"),
        ]
    )
    assert det == {"1": VALID, "2": VALID}
    assert summary.records_vetoed == 0


def test_a_different_surname_and_birth_date_is_flat_disagreement():
    _summary, det = _run(
        [
            _record("1", "Ava", dt.date(2011, 2, 2)),
            {**_record("2", "Ava", dt.date(2014, 9, 30), source="la_csc"), "surname": "Okafor"},
        ]
    )
    assert det == {"1": None, "2": None}


def test_two_records_of_a_duplicate_free_source_under_one_number_are_both_distrusted():
    # A sibling's number on a health record with no forename: no flat disagreement, but two
    # health records cannot be one child. Neither is trusted; the LA record is left alone.
    summary, det = _run(
        [
            _record("1", "Amira", dt.date(2012, 5, 20)),
            _record("2", None, dt.date(2012, 5, 21)),
            _record("3", "Amira", dt.date(2012, 5, 20), source="la_csc"),
        ]
    )
    assert det == {"1": None, "2": None, "3": None}
    assert summary.records_vetoed == 2 and summary.records_linked == 0
    assert summary.records_with_valid_nhs == 3
