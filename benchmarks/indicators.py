"""Benchmark: every indicator for synthetic England (or a smaller scale) on DuckDB or Spark.

    .venv/bin/python benchmarks/indicators.py --scale england            # DuckDB, five years
    .venv/bin/python benchmarks/indicators.py --scale la --engine spark  # Spark local mode

The synthetic data comes from ``earlyhelp.synth.generate`` (generated once into --cache and reused).
The computation runs in a fresh child process, so its wall time, CPU time and peak memory
(``ru_maxrss`` of that process; for Spark also the JVM's own peak, VmHWM) are the indicators' alone. The
machine is shared, so CPU seconds are printed beside wall seconds. At the end the national figures
are compared with the published ones the synthetic data was calibrated to.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from harness import add_input_arguments, input_folder, measured_in_child

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from earlyhelp.indicators import compute
data, out, engine_name = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
wall, cpu = time.perf_counter(), time.process_time()
jvm_peak_kib = 0
if engine_name == "spark":
    from earlyhelp.engine.spark_backend import SparkEngine
    engine = SparkEngine()
    try:
        result = compute(data, out, engine=engine)
        # Spark's JVM is not waited for by Python, so read its peak resident set directly.
        try:
            pid = engine.spark.sparkContext._gateway.proc.pid
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("VmHWM:"):
                    jvm_peak_kib = int(line.split()[1])
        except (AttributeError, OSError):
            pass  # a session not launched by this process: no JVM figure
    finally:
        engine.close()
else:
    result = compute(data, out, engine=engine_name)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
self_ = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall": wall, "cpu": cpu, "rows": result.internal.num_rows,
                  "peak_self_kib": self_.ru_maxrss, "peak_jvm_kib": jvm_peak_kib}))
"""

# National figures with a published series (shared/reference/README.md) and the calibration
# tolerance the synthetic data is built to (relative, as in `earlyhelp synth --check`).
COMPARED = {
    "referrals": ("referrals", 0.05),
    "re_referral_pct": ("re_referral_pct", 0.05),
    "cin_children": ("cin_children", 0.05),
    "cla_started": ("cla_started", 0.05),
    "eh_children": ("eh_children", 0.05),
}


def _row_counts(folder: Path) -> dict[str, int]:
    import pyarrow.parquet as pq

    return {
        name: pq.ParquetFile(folder / f"{name}.parquet").metadata.num_rows
        for name in ("referrals", "early_help_episodes", "family_goals", "cp_plans", "looked_after_episodes")
        if (folder / f"{name}.parquet").exists()
    }


def _compare_national(out: Path, counts: bool) -> None:
    import csv

    from earlyhelp.reference import published_national

    published = published_national()
    # The internal (unsuppressed, unrounded) table: the comparison is of exact figures.
    with open(out / "internal" / "indicators_unsuppressed.csv", newline="") as handle:
        national = {
            (r["indicator"], int(r["time_period"])): r
            for r in csv.DictReader(handle)
            if r["geographic_level"] == "National" and r["breakdown"] == "Total"
        }
    print(f"\n{'figure':<18} {'year':>6} {'published':>11} {'computed':>11} {'ratio':>6}  within tolerance")
    if not counts:
        print("(only percentages and ratios are compared below England scale)")
    for figure, (indicator, tolerance) in COMPARED.items():
        if not counts and not indicator.endswith("_pct"):
            continue
        rows = published[published["figure"] == figure]
        for _, pub in rows.iterrows():
            period = int(pub["time_period"])
            ours = national.get((indicator, period))
            if ours is None:
                continue
            value = ours["value"]
            if value in ("x", "z", "c"):
                print(f"{figure:<18} {period:>6} {pub['value']:>11,.1f} {value:>11} {'-':>6}  (not available)")
                continue
            ratio = float(value) / float(pub["value"])
            print(
                f"{figure:<18} {period:>6} {pub['value']:>11,.1f} {float(value):>11,.1f} {ratio:>6.3f}  "
                f"{'yes' if abs(ratio - 1) <= tolerance else 'NO'} (±{tolerance:.0%})"
            )
    for period in sorted({p for (i, p) in national if i == "prevention_ratio"}):
        value = national[("prevention_ratio", period)]["value"]
        reach = national[("eh_reach_pct", period)]["value"]
        print(
            f"prevention_ratio {period}: {float(value):.2f} (published about 0.67 in 201920); "
            f"eh_reach_pct {float(reach):.1f}% (3.1% in 201516, 4.3% in 201920)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--scale",
        default="la",
        choices=["tiny", "la", "region", "england"],
        help="synthetic scale (default la; the issue's target is england)",
    )
    parser.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
    add_input_arguments(parser)
    parser.add_argument("--no-compare", action="store_true", help="skip the national comparison")
    args = parser.parse_args(argv)

    data = input_folder(args)
    print(f"Input: {data}")
    for name, count in _row_counts(data).items():
        print(f"  {name:<24} {count:>12,} rows")
    out = Path(tempfile.mkdtemp(prefix="earlyhelp-bench-indicators-"))
    figures = measured_in_child(CHILD, str(data), str(out), args.engine)
    print(f"\nEngine {args.engine}: {figures['rows']:,} indicator rows")
    print(f"  wall time        {figures['wall']:8.1f} s")
    print(f"  CPU time         {figures['cpu']:8.1f} s (this process: Python and DuckDB's threads)")
    print(f"  peak memory      {figures['peak_self_kib'] / 1024**2:8.2f} GiB (Python process with DuckDB)")
    if figures["peak_jvm_kib"]:
        print(f"  peak memory      {figures['peak_jvm_kib'] / 1024**2:8.2f} GiB (Spark's JVM, local mode)")
    print(f"  output: {out}")
    if not args.no_compare:
        _compare_national(out, counts=args.scale == "england" or args.data is not None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
