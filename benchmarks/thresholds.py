"""Benchmark `earlyhelp thresholds` against planted thresholds in synthetic England.

For each seed: write synthetic England with planted LA thresholds (``--threshold-sigma``, truth in
truth/thresholds.csv), run the threshold index, and print the Spearman correlation of each
decision's index with the planted effects (target for the social care threshold: at least 0.8),
the share of 95% intervals covering the planted effect centred as the index is (relative to
England: the mean over the LAs in the data weighted by the number at risk) and the timings. Step-down
and early help reach carry no planted threshold, so their correlations are expected near 0.

    .venv/bin/python benchmarks/thresholds.py                      # region scale, seeds 1 and 2
    .venv/bin/python benchmarks/thresholds.py --scale tiny --seeds 3 --sigma 0.8
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd
from scipy.stats import spearmanr

from earlyhelp.synth import generate
from earlyhelp.synth.generate import settings_for
from earlyhelp.synth.settings import ThresholdEffect
from earlyhelp.thresholds import run
from earlyhelp.thresholds.model import THRESHOLD_DECISIONS


def one_seed(scale: str, seed: int, sigma: float, folder: Path) -> list[dict]:
    settings = settings_for(scale, "201718:201920", seed).with_changes(threshold=ThresholdEffect(la_sigma=sigma))
    clock = time.perf_counter()
    generate(folder / "data", settings=settings)
    synth_seconds = time.perf_counter() - clock
    clock = time.perf_counter()
    result = run(folder / "data", folder / "out")
    index_seconds = time.perf_counter() - clock
    truth = pd.read_csv(folder / "data" / "truth" / "thresholds.csv", dtype={"la_code": str})
    planted = truth.set_index("la_code")["planted_effect"]
    # England's planted effect per decision: the mean over its LAs weighted by the number at risk.
    england = {}
    for decision, fit in result.fits.items():
        at_risk = fit.table.set_index("la_code")["trials"]
        england[decision] = float((planted[at_risk.index] * at_risk).sum() / at_risk.sum())
    england["threshold"] = sum(england.get(d, 0.0) for d in THRESHOLD_DECISIONS) / len(THRESHOLD_DECISIONS)
    rows = []
    for decision, part in result.index.groupby("decision", sort=False):
        merged = part.merge(truth, on="la_code")
        centred = merged["planted_effect"] - england.get(decision, merged["planted_effect"].mean())
        covered = (merged["ci_lower"] <= centred) & (centred <= merged["ci_upper"])
        rho = spearmanr(merged["index"], merged["planted_effect"])[0] if len(merged) > 2 else float("nan")
        rows.append(
            {
                "seed": seed,
                "decision": decision,
                "las": len(merged),
                "spearman": round(float(rho), 3),
                "coverage_95": round(float(covered.mean()), 2),
                "synth_s": round(synth_seconds, 1),
                "index_s": round(index_seconds, 1),
                "referrals": result.referrals,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="region")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--sigma", type=float, default=0.5, help="SD of the planted log-odds shifts.")
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory(prefix="thresholds-benchmark-") as folder:
            rows += one_seed(args.scale, seed, args.sigma, Path(folder))
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    overall = table[table["decision"] == "threshold"]
    print(
        f"Social care threshold index vs planted ({args.scale}, sigma {args.sigma}): "
        f"Spearman {', '.join(f'{r:.3f}' for r in overall['spearman'])} (target >= 0.8)"
    )


if __name__ == "__main__":
    main()
