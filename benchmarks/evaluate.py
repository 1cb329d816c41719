"""Benchmark `earlyhelp evaluate` against synthetic England's planted step-down effect.

    .venv/bin/python benchmarks/evaluate.py --scale region --seeds 20
    .venv/bin/python benchmarks/evaluate.py --scale region --seeds 20 \\
        --effects default benchmarks/effects/stronger_reversed.json benchmarks/effects/placebo.json

For each effects file (``default``: synth's own) and seed: generate synthetic England, build the
cohort, estimate with the observable covariates, and again adding the planted latent family risk
(truth/children.latent_risk) as an "oracle" covariate: the simulation selects into step-down on
that risk, so only the oracle run can be unbiased. The true ATT of each run is exact (mean over
the stepped-down of the planted p1 - p0, truth/step_down). Prints, per outcome, estimand and
method: the mean estimate, the mean true value, the mean bias (and as a share of the true effect)
and how many 95% CIs cover the truth; for a placebo (no effect planted, true value 0), how many
cover 0. The target (issue #13): at least 18 of 20 covered, mean bias under 10% of the effect.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from earlyhelp.engine import create_engine
from earlyhelp.evaluate.analysis import partner_outcome_effects, step_down_effects, uses_partner_covariates
from earlyhelp.evaluate.cohort import PARTNER_COLUMNS, build_cohort
from earlyhelp.evaluate.truth import link_persons_from_truth, partner_truth, read_truth
from earlyhelp.synth.effects_file import apply_effects, read_effects
from earlyhelp.synth.generate import generate, settings_for


def one_seed(scale: str, seed: int, effects: str, folder: Path) -> pd.DataFrame:
    settings = settings_for(scale, seed=seed)
    if effects != "default":
        settings = apply_effects(settings, read_effects(Path(effects)), source=effects)
    data = generate(folder / f"{scale}-{seed}", settings=settings, replace_existing=True)
    link_persons_from_truth(data)
    with create_engine("duckdb") as engine:
        linked = build_cohort(engine, data)
    truth = read_truth(data)
    cohort = linked.drop(columns=[c for c in PARTNER_COLUMNS if c in linked.columns])
    latent = pd.read_parquet(data / "truth" / "children.parquet", columns=["la_code", "child_id", "latent_risk"])
    with_risk = cohort.merge(latent, on=["la_code", "child_id"])
    frames = []
    for covariates, frame, extra in (
        ("observed", cohort, ()),
        ("linked partner records", linked, ()),
        ("oracle", with_risk, ("latent_risk",)),
    ):
        estimates = step_down_effects(frame, extra_covariates=extra, truth=truth, survival=False).estimates
        if covariates == "linked partner records":
            if not uses_partner_covariates(frame):
                raise SystemExit(f"seed {seed}: too few children for the partner covariates")
            estimates += partner_outcome_effects(frame, truth=partner_truth(data))
        result = pd.DataFrame(estimates)
        result["covariates"] = covariates
        result["seed"] = seed
        result["effects"] = Path(effects).stem
        frames.append(result)
    return pd.concat(frames, ignore_index=True)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    # Whole-cohort rows only: the per-LA rows ("for whom") have truths of their own.
    whole = results["subgroup"] == "all" if "subgroup" in results else True
    known = results[
        whole & results["true_value"].notna() & results["estimand"].isin(["ATT_risk_difference", "ATT_mean_difference"])
    ].copy()
    known["method"] = known["method"].str.split(" ").str[0]
    known["bias"] = known["estimate"] - known["true_value"]
    known["covered"] = (known["ci_lower"] <= known["true_value"]) & (known["true_value"] <= known["ci_upper"])
    known["covers_zero"] = (known["ci_lower"] <= 0) & (known["ci_upper"] >= 0)
    summary = known.groupby(["effects", "covariates", "outcome", "method"], sort=False).agg(
        mean_estimate=("estimate", "mean"),
        mean_truth=("true_value", "mean"),
        mean_bias=("bias", "mean"),
        covered=("covered", "sum"),
        covers_zero=("covers_zero", "sum"),
        seeds=("covered", "size"),
    )
    truth = summary["mean_truth"].abs()
    summary["bias_share"] = (summary["mean_bias"].abs() / truth).where(truth > 1e-3)
    needed = (0.9 * summary["seeds"]).round()
    summary["target_met"] = (summary["covered"] >= needed) & (summary["bias_share"] < 0.10)
    placebo = truth <= 1e-3
    summary.loc[placebo, "target_met"] = summary.loc[placebo, "covered"] >= needed[placebo]
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="region", choices=["tiny", "la", "region", "england"])
    parser.add_argument("--seeds", type=int, default=20, help="how many seeds (1..N)")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument(
        "--effects", nargs="+", default=["default"], help="effects files for synth --effects ('default': none)"
    )
    parser.add_argument("--csv", type=Path, help="also write every estimate here, seed by seed as they come")
    parser.add_argument("--summarise", type=Path, nargs="+", help="only summarise these earlier --csv files")
    args = parser.parse_args()
    started = time.perf_counter()
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    if args.summarise:
        results = pd.concat([pd.read_csv(path) for path in args.summarise], ignore_index=True)
        print(f"from {', '.join(map(str, args.summarise))}: seeds per run below")
        print(summarise(results).round(4).to_string())
        return
    frames = []
    with tempfile.TemporaryDirectory() as folder:
        for effects in args.effects:
            for seed in seeds:
                frames.append(one_seed(args.scale, seed, effects, Path(folder)))
                if args.csv:
                    # Written after every seed, so a long run that is stopped keeps what it did.
                    pd.concat(frames, ignore_index=True).to_csv(args.csv, index=False)
    results = pd.concat(frames, ignore_index=True)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_rows", 500)
    print(
        f"scale {args.scale}, seeds {seeds[0]}..{seeds[-1]}, effects {args.effects}, {time.perf_counter() - started:.0f} s"
    )
    print(summarise(results).round(4).to_string())


if __name__ == "__main__":
    main()
