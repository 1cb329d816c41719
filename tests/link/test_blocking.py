"""Blocking: the pairs a child's split records need are generated, without a postcode-only block."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa

from earlyhelp.link.deterministic import link_by_nhs_number
from earlyhelp.link.model import blocking_rules
from earlyhelp.link.prepare import prepare_records
from earlyhelp.synth.identities import person_identifiers_schema


def _blocked_pairs(rows) -> set[tuple[str, str]]:
    """Record-id pairs that any earlyhelp blocking rule generates (l < r, as Splink compares)."""
    con = duckdb.connect()
    schema = person_identifiers_schema()
    con.register("rows", pa.table({n: [r.get(n) for r in rows] for n in schema.names}, schema=schema))
    con.execute("CREATE TABLE person_identifiers AS SELECT * FROM rows")
    prepare_records(con)
    link_by_nhs_number(con)
    pairs = set()
    for rule in blocking_rules("earlyhelp"):
        pairs |= set(
            con.execute(f"""
            SELECT l.source_record_id, r.source_record_id FROM link_records l JOIN link_records r
            ON l.unique_id < r.unique_id AND {rule}""").fetchall()
        )
    return pairs


def _record(rid, source, forename, surname, dob, postcode, la="E06000001"):
    return {
        "source": source,
        "source_record_id": rid,
        "la_code": la,
        "forename": forename,
        "surname": surname,
        "date_of_birth": dob,
        "postcode": postcode,
        "sex": "M",
    }


def test_a_record_without_a_date_of_birth_meets_its_namesakes_at_other_postcodes():
    # "a" (health) has a birth date; "b" (early help) has none and another postcode: before,
    # only postcode + forename could pair them. Either can be the left record.
    pairs = _blocked_pairs(
        [
            _record("a", "health", "Dylan", "Johnson", dt.date(2005, 5, 4), "QC43 2PA"),
            _record("b", "la_early_help", "Dylan", "Johnson", None, "QC3 4AN"),
            _record("0", "police", "Dylan", "Johnson", None, "QC9 9ZZ"),
        ]
    )
    assert ("a", "b") in pairs or ("b", "a") in pairs
    assert ("0", "a") in pairs or ("a", "0") in pairs


def test_a_surname_change_with_a_missing_forename_is_compared_on_birth_date_and_postcode():
    pairs = _blocked_pairs(
        [
            _record("a", "health", "Ryan", "Cox", dt.date(2008, 1, 19), "QB6 3GP"),
            _record("b", "education", None, "O'Brien", dt.date(2008, 1, 19), "QB6 3GP"),
        ]
    )
    assert ("a", "b") in pairs or ("b", "a") in pairs


def test_two_children_sharing_only_a_postcode_are_never_compared():
    # Different forename, surname, birth date: nothing in common but the postcode (a hostel).
    pairs = _blocked_pairs(
        [
            _record("a", "health", "Ryan", "Cox", dt.date(2008, 1, 19), "QB6 3GP"),
            _record("b", "education", "Amira", "Khan", dt.date(2012, 6, 2), "QB6 3GP"),
        ]
    )
    assert pairs == set()
