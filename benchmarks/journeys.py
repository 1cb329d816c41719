"""Benchmark `earlyhelp journeys` on synthetic England at region scale (or another).

    .venv/bin/python benchmarks/journeys.py                      # region scale, DuckDB
    .venv/bin/python benchmarks/journeys.py --scale la --engine spark

The synthetic data is generated once into --cache and reused. The journeys run in a fresh child
process, so its wall time, CPU time and peak memory (``ru_maxrss``) are the journeys' alone; the
machine is shared, so CPU seconds are printed beside wall seconds. With Spark, the JVM's own
memory is not in the Python process's peak.
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
from earlyhelp.journeys.run import journeys
data, out, engine = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
wall, cpu = time.perf_counter(), time.process_time()
result = journeys(data, out, engine=engine)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"wall": wall, "cpu": cpu, "events": result.timeline_rows, "peak_kib": peak,
                  "transition_rows": len(result.transitions), "km_rows": len(result.km)}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="region", choices=["tiny", "la", "region", "england"])
    parser.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
    add_input_arguments(parser)
    args = parser.parse_args(argv)
    data = input_folder(args)
    out = Path(tempfile.mkdtemp(prefix="earlyhelp-bench-journeys-"))
    figures = measured_in_child(CHILD, str(data), str(out), args.engine)
    timeline = out / "internal" / "journey_timelines.parquet"
    print(f"Input: {data}")
    print(
        f"Engine {args.engine}: {figures['events']:,} timeline events, {figures['transition_rows']:,} transition rows"
    )
    print(f"  wall time        {figures['wall']:8.1f} s")
    print(f"  CPU time         {figures['cpu']:8.1f} s (this process: Python and DuckDB's threads)")
    print(f"  peak memory      {figures['peak_kib'] / 1024**2:8.2f} GiB (Python process)")
    print(f"  timelines file   {timeline.stat().st_size / 1024**2:8.1f} MiB (internal, confidential)")
    print(f"  output: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
