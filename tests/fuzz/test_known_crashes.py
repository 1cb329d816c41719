"""Crashes the fuzzing found, one small explicit input each (issue #16).

Each ends today in an exception that is not an ``EarlyhelpError`` (the CLI's exit 3). They are
strict xfails: when a fix lands the test passes, pytest reports XPASS as a failure, and the
marker must then come off, together with the matching exclusion in ``known_crash`` below,
which keeps these inputs out of the hypothesis tests until then.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from earlyhelp.errors import EarlyhelpError

from .inputs import FORMATS_DATA, SSD_FILES, Case, Seed, ingest_case

CIN_FILE = (FORMATS_DATA / "two_generations.xml").read_bytes()
NO_REFERENCE_DATE = re.sub(rb"\s*<ReferenceDate>[^<]*</ReferenceDate>", b"", CIN_FILE)
ISO_DATE = rb"-?\d{4,}-\d{2}-\d{2}"


def _cin(content: bytes, *, skip_invalid: bool = False) -> Case:
    return Case("cin-xml", "two_generations.xml", {"census.xml": content}, skip_invalid)


def _ssd(**replaced: str) -> Case:
    files = {name: text.encode() for name, text in (SSD_FILES | replaced).items()}
    return Case("ssd", "hand-written", files, skip_invalid=False)


def _refused_or_read(case: Case) -> None:
    """The property every input must have: read, or refused with a user error (never a crash)."""
    outcome = ingest_case(case)
    assert outcome is None or isinstance(outcome, EarlyhelpError)


@pytest.mark.xfail(
    strict=True, raises=ValueError, reason="#16: a negative year with no ReferenceDate: ValueError, not a user error"
)
def test_negative_year_without_reference_date() -> None:
    _refused_or_read(_cin(NO_REFERENCE_DATE.replace(b"2024-05-07", b"-2019-05-11", 1)))


@pytest.mark.xfail(
    strict=True,
    raises=ValueError,
    reason="#16: a negative year in a CIN file cut short, with --skip-invalid: ValueError despite the ReferenceDate",
)
def test_negative_year_in_a_file_cut_short_when_skipping_invalid() -> None:
    negative = CIN_FILE.replace(b"2024-05-07", b"-2019-05-11")
    _refused_or_read(_cin(negative[: negative.index(b"</Children>")], skip_invalid=True))


@pytest.mark.xfail(
    strict=True, raises=ValueError, reason="#16: a date with a time zone with no ReferenceDate: ValueError"
)
def test_date_with_time_zone_without_reference_date() -> None:
    # xs:date allows a time zone, so the XSD passes it; the census period is then worked out
    # with date.fromisoformat, which does not.
    _refused_or_read(_cin(NO_REFERENCE_DATE.replace(b"2024-05-07", b"2024-05-07+01:00")))


@pytest.mark.xfail(strict=True, raises=ValueError, reason="#16: a five-digit year with no ReferenceDate: ValueError")
def test_five_digit_year_without_reference_date() -> None:
    # xs:date allows years after 9999; date.fromisoformat does not.
    _refused_or_read(_cin(NO_REFERENCE_DATE.replace(b"2024-05-07", b"10000-01-01")))


@pytest.mark.xfail(
    strict=True, raises=ValueError, reason="#16: a ReferenceDate in year 1: ValueError (year 0) working out the period"
)
def test_reference_date_in_year_one() -> None:
    _refused_or_read(_cin(CIN_FILE.replace(b"<ReferenceDate>2025-03-31", b"<ReferenceDate>0001-03-31")))


@pytest.mark.xfail(
    strict=True, raises=KeyError, reason="#16: ssd_disability without its disa_person_id column: KeyError"
)
def test_ssd_table_missing_its_person_column() -> None:
    _refused_or_read(_ssd(**{"ssd_disability.csv": "disa_table_id,disa_disability_code\n1,AUT\n"}))


@pytest.mark.xfail(
    strict=True, raises=ValueError, reason="#16: a 5,000-digit number in SSD assessment factors JSON: ValueError"
)
def test_ssd_assessment_factors_with_a_huge_number() -> None:
    factors = "cinf_table_id,cinf_assessment_id,cinf_assessment_factors_json\n1,AS1," + "9" * 5_000 + "\n"
    _refused_or_read(_ssd(**{"ssd_assessment_factors.csv": factors}))


def known_crash(case: Case) -> str | None:
    """The xfail test above that already covers ``case``, if any: the hypothesis tests leave
    these inputs out so they pass until the fixes land (then delete the matching branch)."""
    for name, content in case.files.items():
        if case.reader == "cin-xml":
            content = content.replace(b"\x00", b"")  # UTF-16 and UTF-32 text read as ASCII
            reference = re.search(rb"<ReferenceDate>\s*(" + ISO_DATE + rb")", content)
            # Without a usable header (no ReferenceDate, or a corrupted LEA) the period comes from
            # the event dates; any such date may be the one it reads, so all are left out.
            if re.search(rb">\s*(-\d{4,}-\d{2}-\d{2}|\d{5,}-\d{2}-\d{2}|\d{4,}-\d{2}-\d{2}[Z+-])", content):
                return (
                    "test_negative_year_without_reference_date, "
                    "test_negative_year_in_a_file_cut_short_when_skipping_invalid, "
                    "test_date_with_time_zone_without_reference_date, "
                    "test_five_digit_year_without_reference_date"
                )
            if reference is not None and re.fullmatch(rb"-?0*1-\d{2}-\d{2}", reference.group(1)):
                return "test_reference_date_in_year_one"
        if case.reader == "ssd" and _lacks_indexed_column(name, content):
            return "test_ssd_table_missing_its_person_column"
        if case.reader == "ssd" and re.search(rb"\d{4300}", content):
            return "test_ssd_assessment_factors_with_a_huge_number"
    return None


# The SSD columns the reader looks up with row[column] (a KeyError when the header lacks them).
SSD_INDEXED_COLUMNS = {
    "ssd_disability": ("disa_person_id",),
    "ssd_family": ("fami_person_id", "fami_family_id"),
    "ssd_cla_episodes": ("clae_person_id",),
    "ssd_early_help_episodes": ("earl_person_id",),
}


def _lacks_indexed_column(name: str, content: bytes) -> bool:
    # Exact names: a BOM or a space inside the header makes another column of the same letters.
    first_line = content.decode("utf-8", errors="replace").removeprefix("\ufeff").split("\n", 1)[0]
    header = {column.lower() for column in first_line.rstrip("\r").split(",")}
    return any(column not in header for column in SSD_INDEXED_COLUMNS.get(Path(name).stem, ()))


def test_known_crash_leaves_the_valid_seeds_in(seeds: dict[str, list[Seed]]) -> None:
    # Otherwise the hypothesis tests would skip every case and prove nothing.
    for reader, reader_seeds in seeds.items():
        for seed in reader_seeds:
            assert known_crash(Case(reader, seed.name, dict(seed.files), skip_invalid=True)) is None, seed.name


def test_known_crash_names_the_reproducers() -> None:
    negative = NO_REFERENCE_DATE.replace(b"2024-05-07", b"-2019-05-11", 1)
    assert "test_negative_year_without_reference_date" in (known_crash(_cin(negative)) or "")
    year_one = CIN_FILE.replace(b"2025-03-31", b"0001-03-31")
    assert known_crash(_cin(year_one)) == "test_reference_date_in_year_one"
    no_person = _ssd(**{"ssd_disability.csv": "disa_table_id,disa_disability_code\n1,AUT\n"})
    assert known_crash(no_person) == "test_ssd_table_missing_its_person_column"
