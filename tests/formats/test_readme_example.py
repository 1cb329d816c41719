"""The README's `earlyhelp export` example runs, as written, on what `earlyhelp synth` writes."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
EARLYHELP = Path(sys.executable).with_name("earlyhelp")


def test_readme_export_example_works_on_synthetic_england(tmp_path: Path) -> None:
    synth = pytest.importorskip("earlyhelp.synth")
    (line,) = [
        raw.split("#")[0].strip() for raw in README.read_text().splitlines() if raw.startswith("earlyhelp export ")
    ]
    args = shlex.split(line)
    data = args[args.index("--data") + 1].rstrip("/")
    # The README's synth example: `earlyhelp synth --out synthetic --scale tiny` (default years).
    synth.generate(tmp_path / data, scale="tiny", seed=1, fmt="csv")
    done = subprocess.run(
        [str(EARLYHELP), *args[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "EARLYHELP_DEBUG"},
    )
    assert done.returncode == 0, done.stderr
    out = tmp_path / args[args.index("--out") + 1]
    # Synthetic England tiny is three LAs; each has CIN episodes open in the year asked for.
    written = sorted(p.name for p in out.glob("CIN_census_*.xml"))
    year = args[args.index("--year") + 1]
    assert len(written) == 3 and all(name.endswith(f"_{year}.xml") for name in written)
