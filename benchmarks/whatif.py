"""Benchmark `earlyhelp whatif` on synthetic England: the projected change of two scenarios, with intervals.

Writes synthetic England (``--scale region`` by default), optionally runs `earlyhelp evaluate` on it
so the what-if carries estimated effects (``--evaluate``; otherwise the documented defaults), then
simulates the baseline, ``step_down_40`` and ``reach_6pct`` and prints, per scenario and measure, the
projected change in the last projected year and over the five years, each with its 95% interval,
and how many of the back-test's observed counts fall inside the baseline's interval.

    .venv/bin/python benchmarks/whatif.py                          # region, seed 1, 200 replicates
    .venv/bin/python benchmarks/whatif.py --evaluate --replicates 100
    .venv/bin/python benchmarks/whatif.py --scale tiny --seed 3
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from earlyhelp.synth.generate import generate
from earlyhelp.whatif import run_whatif


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="region", choices=["tiny", "la", "region", "england"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--evaluate", action="store_true", help="estimate the effects with `earlyhelp evaluate` first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        data = generate(Path(folder) / "synthetic", scale=args.scale, seed=args.seed)
        print(f"synthetic England, {args.scale} scale, seed {args.seed}: {time.perf_counter() - started:.0f} s")
        evaluation = None
        if args.evaluate:
            from earlyhelp.evaluate import evaluate

            started = time.perf_counter()
            evaluation = Path(folder) / "evaluation"
            evaluate(data, evaluation)
            print(f"evaluate: {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        result = run_whatif(data, Path(folder) / "whatif", evaluation=evaluation, replicates=args.replicates)
        seconds = time.perf_counter() - started
    effects = result.effects
    print(
        f"whatif: {args.replicates} replicates x {len(result.scenarios)} scenarios in {seconds:.0f} s; "
        f"re-referral RR {effects.re_referral.estimate:.2f} ({effects.re_referral.ci_lower:.2f}-"
        f"{effects.re_referral.ci_upper:.2f}, {effects.re_referral.source}); escalation RR "
        f"{effects.escalation.estimate:.2f} ({effects.escalation.ci_lower:.2f}-{effects.escalation.ci_upper:.2f})"
    )
    model = result.model
    print(
        f"observed step-down share per LA {np.round(model.step_down_share, 2).tolist()}; "
        f"early help reach per LA {np.round(model.early_help_reach * 100, 1).tolist()}%"
    )
    table = result.projections
    last = table["year"].max()
    print(f"\nchange in {last} (last projected year) and summed over the projection, 95% intervals:")
    print(f"{'scenario':<14}{'measure':<13}{'baseline':>14}{'change':>12}{'interval':>28}{'5-year change (mean)':>22}")
    for scenario in ("step_down_40", "reach_6pct"):
        for measure in ("referrals", "cin_starts", "cp_starts", "care_starts", "cost_pounds"):
            rows = table[(table["scenario"] == scenario) & (table["measure"] == measure)]
            row = rows[rows["year"] == last].iloc[0]
            print(
                f"{scenario:<14}{measure:<13}{row['baseline']:>14,.0f}{row['change']:>12,.0f}"
                f"{f'{row.ci_lower:,.0f} to {row.ci_upper:,.0f}':>28}{rows['change'].sum():>22,.0f}"
            )
    base = table[table["scenario"] == "baseline"]
    assert ((base["ci_lower"] <= 0) & (base["ci_upper"] >= 0)).all()
    checked = result.backtest
    print(
        f"\nbaseline scenario: change interval covers 0 everywhere; back-test: "
        f"{int(checked['within_interval'].sum())} of {len(checked)} observed yearly counts inside the baseline's 95% interval"
    )


if __name__ == "__main__":
    main()
