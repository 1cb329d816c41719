"""Fuzz tests: whatever the files, ingest reads them or refuses them with a user error.

Each reader (CIN census XML, SSDA903, SSD) gets mutations of small valid inputs (see
inputs.py: byte flips, truncation, deleted and repeated elements, rows and columns, odd dates,
huge fields, wrong encodings, BOMs, empty files) and fully random bytes. A crash is any
exception that is not an ``EarlyhelpError``: the CLI would print "stopped unexpectedly" and
exit 3. Examples are derandomized so `make test` is repeatable; benchmarks/fuzz.py explores.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from earlyhelp.errors import DataError, UsageError
from earlyhelp.formats import ingest_report

from .inputs import LA_CODE_NEEDED, READERS, Case, Seed, ingest_case, make_case, write_case
from .test_known_crashes import known_crash

# A generous bound for 2 shared cores: a read of these inputs takes tens of milliseconds.
FUZZ = settings(
    max_examples=100,
    deadline=timedelta(seconds=5),
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
# A name each reader's format detection takes the file for.
FILE_NAME = {"cin-xml": "census.xml", "ssda903": "903_eps.csv", "ssd": "ssd_person.csv"}


def _read_or_refuse(case: Case) -> None:
    # Exceptions other than EarlyhelpError propagate out of ingest_case: the test fails on them.
    outcome = ingest_case(case)
    if outcome is not None:
        assert isinstance(outcome, (DataError, UsageError)), type(outcome)
        assert outcome.message.strip() and outcome.exit_code in (1, 2)


def not_a_known_crash(case: Case) -> bool:
    """Inputs tests/fuzz/test_known_crashes.py reproduces as strict xfails are left out here."""
    return known_crash(case) is None


@pytest.mark.parametrize("reader", READERS)
@FUZZ
@given(rng=st.randoms(use_true_random=False))
def test_mutated_inputs_are_read_or_refused(seeds: dict[str, list[Seed]], reader: str, rng: random.Random) -> None:
    case = make_case(rng, seeds[reader])
    assume(not_a_known_crash(case))
    _read_or_refuse(case)


@pytest.mark.parametrize("reader", READERS)
@settings(FUZZ, max_examples=30)
@given(content=st.binary(max_size=2_000), skip_invalid=st.booleans())
def test_random_bytes_are_read_or_refused(reader: str, content: bytes, skip_invalid: bool) -> None:
    case = Case(reader, "random bytes", {FILE_NAME[reader]: content}, skip_invalid)
    assume(not_a_known_crash(case))
    _read_or_refuse(case)


def test_the_ssda903_xml_form_has_a_seed_of_its_own(seeds: dict[str, list[Seed]], tmp_path: Path) -> None:
    (xml_seed,) = [seed for seed in seeds["ssda903"] if any(name.endswith(".xml") for name in seed.files)]
    case = Case("ssda903", xml_seed.name, dict(xml_seed.files), skip_invalid=False)
    report = ingest_report([write_case(case, tmp_path / "in")], tmp_path / "out", la_code=LA_CODE_NEEDED["ssda903"])
    # Written by hand: two <CHILD>, three <EPISODE>, and blocks of four other tables in the
    # first child's <HEADER>, which only the XML form's reader counts as read but not kept.
    assert report.rows["children"] == 2 and report.rows["looked_after_episodes"] == 3
    assert {item.part for item in report.not_placed} == {"uasc", "reviews", "missing", "previous_permanence", "oc2"}


def test_every_seed_is_read(seeds: dict[str, list[Seed]]) -> None:
    # The mutations start from valid inputs (bar bad_order.xml, which is wrong on purpose).
    for reader, reader_seeds in seeds.items():
        for seed in reader_seeds:
            outcome = ingest_case(Case(reader, seed.name, dict(seed.files), skip_invalid=False))
            assert (outcome is None) == (seed.name != "bad_order.xml"), (reader, seed.name)


@pytest.mark.parametrize("reader", READERS)
def test_cli_on_a_fuzzed_file_exits_0_1_or_2_without_traceback(
    seeds: dict[str, list[Seed]], reader: str, tmp_path: Path
) -> None:
    rng = random.Random(f"cli {reader}")
    case = make_case(rng, seeds[reader])
    while not not_a_known_crash(case):
        case = make_case(rng, seeds[reader])
    folder = write_case(case, tmp_path / "in")
    arguments = ["ingest", str(folder), "--out", str(tmp_path / "out")]
    la_code = LA_CODE_NEEDED[reader]
    if la_code:
        arguments += ["--la-code", la_code]
    if case.skip_invalid:
        arguments.append("--skip-invalid")
    environment = {key: value for key, value in os.environ.items() if key != "EARLYHELP_DEBUG"}
    done = subprocess.run(
        [sys.executable, "-c", "from earlyhelp.cli import run; run()", *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    assert done.returncode in (0, 1, 2), done.stderr[-300:]
    assert "Traceback" not in done.stdout + done.stderr
    assert (done.returncode == 0) == (ingest_case(case) is None)


def test_a_crash_is_not_taken_for_a_refusal(seeds: dict[str, list[Seed]], monkeypatch: pytest.MonkeyPatch) -> None:
    # The property above must be able to fail: a reader's own exception escapes ingest_case.
    def crash(*args: object, **kwargs: object) -> bool:
        raise ValueError("a reader bug")

    monkeypatch.setattr("earlyhelp.formats.cin_xml._read_child", crash)
    with pytest.raises(ValueError, match="a reader bug"):
        ingest_case(Case("cin-xml", "seed", dict(seeds["cin-xml"][0].files), skip_invalid=False))
