"""On synthetic data: the national figures agree exactly with the synthetic data's own independent
check (``earlyhelp.synth.check``, written separately from the same spec)."""

from __future__ import annotations

import pytest

from earlyhelp.indicators import compute_internal
from earlyhelp.synth import check, generate

pytestmark = pytest.mark.slow


def test_national_figures_match_the_independent_synthetic_check(tmp_path):
    data = generate(tmp_path / "tiny", scale="tiny", seed=3, fmt="parquet")
    internal = compute_internal(data)
    national = {
        (r["indicator"], int(r["time_period"])): r["value"]
        for r in internal.to_pylist()
        if r["geographic_level"] == "National" and r["breakdown"] == "Total" and r["status"] is None
    }
    compared = 0
    for row in check(data).rows:
        ours = national.get((row.figure, row.year))
        if ours is None or row.synthetic is None:
            continue
        assert ours == pytest.approx(row.synthetic, rel=1e-9), (row.figure, row.year)
        compared += 1
    # referrals, re-referrals, CIN children, care starts, EH children, prevention ratio, ...
    assert compared >= 20
