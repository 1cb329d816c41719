"""Refactoring guard: the commands' outputs on tiny synthetic England, byte for byte.

``data/golden_tiny_seed2026.sha256`` holds the SHA-256 of every file that ``synth``,
``indicators`` (thresholds 5 and 10) and ``report`` (from an indicators folder and from data)
write. It was recorded before the engine and publication layers were introduced (issue #11), and
the refactor left every file byte-identical but two deliberate changes, for which it was recorded
again: the report from threshold-10 indicators now says "1 to 10" where it said "1 to 5", and the
charts are measured with the package's own font, so that they no longer change with the fonts a
machine has installed. Since issue #16, ``indicators`` and ``report`` also leave a marker listing the
files they wrote (``.earlyhelp-<command>.json``) so that ``--force`` replaces only those, and
synthetic England's SSDA903 identifiers moved from its ``ssda903/`` sidecar to the identity-zone
``episode_postcodes`` (its tables changed; every indicator, chart and page stayed the same).
Since issue #12, England and regions are computed only from returns covering all their LAs: tiny
England's 3 LAs do not, so its England and regional rows are DfE's published figures (``source``
column) or ``x``, the report draws the children's social care charts only, and
``indicators_notes.csv`` says why each ``x`` is there. Since issues #13 and #14, ``truth/step_down``
records each closure's exact chances with and without step-down, and the report's pages list the
analyses (evaluation, thresholds, funding, what-if) that are not in them.
A change that alters any published figure, chart or page shows up here by
name. When an output is meant to change, regenerate the manifest with the commands below (in a
folder, then ``sha256sum`` of every file) and say why in the commit.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

MANIFEST = Path(__file__).parent / "data" / "golden_tiny_seed2026.sha256"
EARLYHELP = [sys.executable, "-c", "from earlyhelp.cli import run; run()"]

COMMANDS = [
    ["synth", "--out", "syn", "--scale", "tiny", "--seed", "2026"],
    ["indicators", "--data", "syn", "--out", "ind"],
    ["report", "--indicators", "ind", "--out", "rep"],
    ["indicators", "--data", "syn", "--out", "ind10", "--suppression-threshold", "10"],
    ["report", "--indicators", "ind10", "--out", "rep10"],
    ["report", "--data", "syn", "--out", "repdata"],
]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("golden")
    for command in COMMANDS:
        result = subprocess.run([*EARLYHELP, *command], cwd=root, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"earlyhelp {' '.join(command)} failed:\n{result.stderr}"
    return root


@pytest.mark.slow
def test_every_output_is_byte_identical_to_the_recorded_one(outputs):
    expected = dict(reversed(line.split("  ", 1)) for line in MANIFEST.read_text().splitlines())
    written = {
        str(path.relative_to(outputs)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in outputs.rglob("*")
        if path.is_file()
    }
    assert sorted(written) == sorted(expected), "the set of files written changed"
    changed = sorted(name for name in expected if written[name] != expected[name])
    assert changed == []


@pytest.mark.slow
def test_a_report_states_the_threshold_its_indicators_were_suppressed_at(outputs):
    page = (outputs / "rep10" / "index.html").read_text(encoding="utf-8")
    assert "1 to 10" in page
    assert "1 to 5" not in page
