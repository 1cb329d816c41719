"""Property tests: whatever the bytes, the validator returns a report and never raises."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from validate_helpers import BASE, write_files

from earlyhelp.validate import validate_paths

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
VALID = BASE["referrals.csv"].encode() + b"E06000001,C1,R3,2019-05-01,1A,N1,false,2019-07-01,RC1\n"
ALPHABET = b',"\n\r;|\t 0123456789-/aRCEtruefals\xef\xbb\xbf\x00\xe9'


def _check(files: dict[str, bytes]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="eh-prop-"))
    try:
        report = validate_paths([write_files(folder / "r", files)])
        # The report is always coherent: every finding's rule is counted.
        assert all(report.counts[f.rule_id] >= 1 for f in report.findings)
        for finding in report.findings:
            assert finding.line is None or finding.line >= 1
        report.to_json()
    finally:
        shutil.rmtree(folder)


@SETTINGS
@given(st.binary(max_size=600))
def test_random_bytes_never_crash(content):
    _check({"referrals.csv": content})


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(VALID)),
            st.integers(0, 3),
            st.binary(max_size=3) | st.sampled_from([bytes([b]) for b in ALPHABET]),
        ),
        max_size=6,
    )
)
def test_random_edits_of_a_valid_file_never_crash(edits):
    content = bytearray(VALID)
    for position, deleted, inserted in edits:
        position = min(position, len(content))
        content[position : position + deleted] = inserted
    _check({"referrals.csv": bytes(content), "returns.csv": BASE["returns.csv"].encode()})


@SETTINGS
@given(st.binary(max_size=300))
def test_random_parquet_named_bytes_never_crash(content):
    _check({"referrals.parquet": content})
