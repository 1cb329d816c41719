"""Benchmark `earlyhelp synth`: wall time and peak memory of generating one scale.

    .venv/bin/python benchmarks/synth.py --scale england            # the issue's target
    .venv/bin/python benchmarks/synth.py --scale tiny --check        # also time --check

The generation runs in a child process so that its peak resident memory (RUSAGE_CHILDREN) is
measured on its own. Prints seconds, peak memory and row counts; never asserts a time.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq

CHILD = """
import json, logging, sys, time
from pathlib import Path
from earlyhelp.synth import generate
started = time.perf_counter()
generate(Path(sys.argv[1]), scale=sys.argv[2], years=sys.argv[3], seed=int(sys.argv[4]),
         fmt=sys.argv[5])
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


class TreeMemory(threading.Thread):
    """Samples the summed resident memory of a process and all its descendants (/proc)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self._done = threading.Event()

    def stop(self) -> None:
        self._done.set()
        self.join()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, sum(_rss(p) for p in _tree(self.pid)))
            time.sleep(0.2)


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo.extend(int(c) for c in task.read_text().split())
            except OSError:
                pass
    return pids


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale",
        default="england",
        choices=["tiny", "la", "region", "england"],
        help="size of the synthetic population (default: england)",
    )
    parser.add_argument("--years", default="201516:201920")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", default="parquet", choices=["parquet", "csv"])
    parser.add_argument("--out", type=Path, help="keep the output here (default: a temp folder)")
    parser.add_argument("--check", action="store_true", help="also time `synth --check`")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
        out = args.out or Path(tmp) / "out"
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(out), args.scale, args.years, str(args.seed), args.format],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        sampler = TreeMemory(process.pid)
        sampler.start()
        stdout, stderr = process.communicate()
        sampler.stop()
        result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        wall = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(f"generation failed:\n{result.stderr[-3000:]}")
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_gib = usage.ru_maxrss / 1024**2
        cpu = usage.ru_utime + usage.ru_stime
        inner = json.loads(result.stdout.strip().splitlines()[-1])["seconds"]
        print(f"scale={args.scale} years={args.years} seed={args.seed} format={args.format}")
        print(f"generate: {inner:.1f} s inside the process, {wall:.1f} s wall with start-up")
        print(
            f"CPU time (user + system) of the generating process: {cpu:.1f} s "
            "(less sensitive than wall time to other work on a shared machine)"
        )
        print(f"peak resident memory of the generating process: {peak_gib:.2f} GiB (largest single process)")
        print(
            f"peak resident memory of the process tree (parent + identity workers, sampled "
            f"every 0.2 s): {sampler.peak / 1024**3:.2f} GiB"
        )
        if args.format == "parquet":
            for name in ("children", "referrals", "early_help_episodes", "person_identifiers", "school_attendance"):
                rows = pq.read_metadata(out / f"{name}.parquet").num_rows
                print(f"  {name:<22} {rows:>12,} rows")
        size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
        print(f"  output size            {size / 1024**2:>12,.1f} MiB")
        if args.check:
            started = time.perf_counter()
            check = subprocess.run(
                [sys.executable, "-m", "earlyhelp.cli", "synth", "--check", str(out)], capture_output=True, text=True
            )
            print(f"check: {time.perf_counter() - started:.1f} s, exit {check.returncode}")
            print(check.stdout)


if __name__ == "__main__":
    main()
