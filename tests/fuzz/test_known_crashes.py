"""Crashes the fuzzing found, one small explicit input each (issue #16), now refused clearly.

Each ended in an exception that was not an ``EarlyhelpError`` (the CLI's exit 3). They are
regression tests now: the input is refused with a message that names the field and the child.
When fuzzing finds a new crash, add it here as a strict xfail and leave its inputs out of the
hypothesis tests with a branch in ``known_crash`` below, until the fix lands (then delete both).
"""

from __future__ import annotations

import re
from pathlib import Path

from earlyhelp.errors import EarlyhelpError
from earlyhelp.formats import ingest_report

from .inputs import FORMATS_DATA, SSD_FILES, Case, Seed, ingest_case, write_case

CIN_FILE = (FORMATS_DATA / "two_generations.xml").read_bytes()
NO_REFERENCE_DATE = re.sub(rb"\s*<ReferenceDate>[^<]*</ReferenceDate>", b"", CIN_FILE)
# The first child's referral date; the child is LAchildID A100.
REFERRAL_DATE = b"<CINreferralDate>2024-05-07</CINreferralDate>"


def _cin(content: bytes, *, skip_invalid: bool = False) -> Case:
    return Case("cin-xml", "two_generations.xml", {"census.xml": content}, skip_invalid)


def _ssd(**replaced: str) -> Case:
    files = {name: text.encode() for name, text in (SSD_FILES | replaced).items()}
    return Case("ssd", "hand-written", files, skip_invalid=False)


def _refusal(case: Case) -> str:
    """The message of the user error ``case`` is refused with (a crash fails the test)."""
    outcome = ingest_case(case)
    assert isinstance(outcome, EarlyhelpError), outcome
    return outcome.message


def _referral_date(value: bytes, content: bytes = NO_REFERENCE_DATE) -> bytes:
    return content.replace(REFERRAL_DATE, b"<CINreferralDate>" + value + b"</CINreferralDate>")


def test_negative_year_without_reference_date() -> None:
    message = _refusal(_cin(_referral_date(b"-2019-05-11")))
    assert "CINreferralDate '-2019-05-11' is not a plain YYYY-MM-DD date" in message
    assert "Child[1]/CINdetails/CINreferralDate" in message and "(child LAchildID A100)" in message


def test_negative_year_in_a_file_cut_short_when_skipping_invalid(tmp_path: Path) -> None:
    # Cut short, the file's ReferenceDate is not used: the period comes from the events read.
    negative = CIN_FILE.replace(b"2024-05-07", b"-2019-05-11")
    case = _cin(negative[: negative.index(b"</Children>")], skip_invalid=True)
    report = ingest_report([write_case(case, tmp_path / "in")], tmp_path / "out", skip_invalid=True)
    assert report.skipped_children == 1 and report.rows["children"] == 1
    assert b"-2019" not in b"".join(path.read_bytes() for path in (tmp_path / "out").rglob("*.csv"))
    issues = (tmp_path / "out" / "ingest_issues.tsv").read_text()
    assert "(child LAchildID A100)" in issues and "well-formed XML" in issues


def test_negative_year_with_a_reference_date_is_not_written_out(tmp_path: Path) -> None:
    # Before, the date went into referrals.csv for validate to reject.
    case = _cin(_referral_date(b"-2019-05-11", CIN_FILE), skip_invalid=True)
    report = ingest_report([write_case(case, tmp_path / "in")], tmp_path / "out", skip_invalid=True)
    assert report.skipped_children == 1 and report.rows["children"] == 1
    written = b"".join(path.read_bytes() for path in (tmp_path / "out").rglob("*.csv"))
    assert b"-2019" not in written and b"A100" not in written
    assert "(child LAchildID A100)" in (tmp_path / "out" / "ingest_issues.tsv").read_text()


def test_date_with_time_zone_without_reference_date() -> None:
    # xs:date allows a time zone, so the XSD passes it; an EHLD date has none.
    message = _refusal(_cin(_referral_date(b"2024-05-07+01:00")))
    assert "CINreferralDate '2024-05-07+01:00' has a time zone" in message


def test_five_digit_year_without_reference_date() -> None:
    # xs:date allows years after 9999.
    message = _refusal(_cin(_referral_date(b"10000-01-01")))
    assert "CINreferralDate '10000-01-01' is not a plain YYYY-MM-DD date" in message


def test_birth_date_out_of_range_is_named_without_its_value() -> None:
    message = _refusal(_cin(CIN_FILE.replace(b"2016-02-29", b"1016-02-28")))
    assert "PersonBirthDate is outside the years 1900 to 2099 (child LAchildID A100)" in message
    assert "1016" not in message  # a date of birth is an identifier


def test_reference_date_in_year_one() -> None:
    message = _refusal(_cin(CIN_FILE.replace(b"<ReferenceDate>2025-03-31", b"<ReferenceDate>0001-03-31")))
    assert "/Message/Header/CollectionDetails/ReferenceDate" in message
    assert "ReferenceDate '0001-03-31' is outside the years 1900 to 2099" in message


def test_reference_date_in_year_one_when_skipping_invalid_uses_the_events(tmp_path: Path) -> None:
    case = _cin(CIN_FILE.replace(b"<ReferenceDate>2025-03-31", b"<ReferenceDate>0001-03-31"), skip_invalid=True)
    ingest_report([write_case(case, tmp_path / "in")], tmp_path / "out", skip_invalid=True)
    returns = (tmp_path / "out" / "returns.csv").read_text().splitlines()
    # No census year: the period is the span of the events read (2024-05-07 .. 2025-03-01).
    assert returns[1].split(",")[1] == "2024-05-07", returns


def test_ssd_table_missing_its_person_column() -> None:
    message = _refusal(_ssd(**{"ssd_disability.csv": "disa_table_id,disa_disability_code\n1,AUT\n"}))
    assert "ssd_disability.csv, row 2 [disa_person_id]: disa_person_id is empty" in message


def test_ssd_episode_tables_missing_their_person_column() -> None:
    for table, column in (("ssd_cla_episodes", "clae_person_id"), ("ssd_early_help_episodes", "earl_person_id")):
        header, row = SSD_FILES[f"{table}.csv"].splitlines()[:2]
        at = header.split(",").index(column)
        cut = "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != at) for line in (header, row))
        message = _refusal(_ssd(**{f"{table}.csv": cut + "\n"}))
        assert f"{table}.csv, row 2 [{column}]: this person has no valid row in ssd_person" in message


def test_ssd_assessment_factors_with_a_huge_number(tmp_path: Path) -> None:
    # json.loads refuses integers of more than 4,300 digits with a ValueError; deep nesting
    # with a RecursionError. Neither is a list of factor codes: the assessment has none.
    for factors in ("9" * 5_000, '"' + "[" * 5_000 + '"'):
        table = "cinf_table_id,cinf_assessment_id,cinf_assessment_factors_json\n1,AS1," + factors + "\n"
        assert ingest_case(_ssd(**{"ssd_assessment_factors.csv": table})) is None


def known_crash(case: Case) -> str | None:
    """The strict xfail above that already covers ``case``, if any: the hypothesis tests leave
    these inputs out so that they pass until the fix lands. None are open."""
    return None


def test_known_crash_leaves_the_valid_seeds_in(seeds: dict[str, list[Seed]]) -> None:
    # Otherwise the hypothesis tests would skip every case and prove nothing.
    for reader, reader_seeds in seeds.items():
        for seed in reader_seeds:
            assert known_crash(Case(reader, seed.name, dict(seed.files), skip_invalid=True)) is None, seed.name
