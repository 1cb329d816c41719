"""Benchmark `earlyhelp evaluate` against synthetic England's planted step-down effect.

    .venv/bin/python benchmarks/evaluate.py --scale la --seeds 1 2 3 4 5
    .venv/bin/python benchmarks/evaluate.py --scale region --seeds $(seq 1 20)

For each seed: generate synthetic England, build the cohort, estimate with the observable
covariates, and again adding the planted latent family risk (truth/children.latent_risk) as an
"oracle" covariate: the simulation selects into step-down on that risk, so only the oracle run
can be unbiased. Prints, per outcome, estimand and method, the mean estimate, the mean true value,
the mean bias and how many 95% CIs cover the truth.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from earlyhelp.engine import create_engine
from earlyhelp.evaluate.analysis import step_down_effects
from earlyhelp.evaluate.cohort import build_cohort
from earlyhelp.evaluate.truth import read_truth
from earlyhelp.synth.generate import generate


def one_seed(scale: str, seed: int, folder: Path) -> pd.DataFrame:
    data = generate(folder / f"{scale}-{seed}", scale=scale, seed=seed)
    with create_engine("duckdb") as engine:
        cohort = build_cohort(engine, data)
        children = engine.sql("SELECT la_code, referral_id, child_id FROM referrals").to_pandas()
    truth = read_truth(data)
    latent = pd.read_parquet(data / "truth" / "children.parquet", columns=["la_code", "child_id", "latent_risk"])
    with_risk = cohort.merge(children, on=["la_code", "referral_id"]).merge(latent, on=["la_code", "child_id"])
    frames = []
    for covariates, frame, extra in (("observed", cohort, ()), ("oracle", with_risk, ("latent_risk",))):
        result = pd.DataFrame(step_down_effects(frame, extra_covariates=extra, truth=truth).estimates)
        result["covariates"] = covariates
        result["seed"] = seed
        frames.append(result)
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="la", choices=["tiny", "la", "region", "england"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        results = pd.concat([one_seed(args.scale, seed, Path(folder)) for seed in args.seeds], ignore_index=True)
    known = results[results["true_value"].notna()].copy()
    known["method"] = known["method"].str.split(" ").str[0]
    known["bias"] = known["estimate"] - known["true_value"]
    known["covered"] = (known["ci_lower"] <= known["true_value"]) & (known["true_value"] <= known["ci_upper"])
    summary = known.groupby(["covariates", "outcome", "estimand", "method"], sort=False).agg(
        mean_estimate=("estimate", "mean"),
        mean_truth=("true_value", "mean"),
        mean_bias=("bias", "mean"),
        covered=("covered", "sum"),
        seeds=("covered", "size"),
    )
    pd.set_option("display.width", 200)
    print(f"scale {args.scale}, seeds {args.seeds}, {time.perf_counter() - started:.0f} s")
    print(summary.round(4).to_string())


if __name__ == "__main__":
    main()
