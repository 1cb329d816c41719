"""Benchmark `earlyhelp validate` on a large generated referrals.csv (with children and returns).

    .venv/bin/python benchmarks/validate.py                 # 2 million referrals
    .venv/bin/python benchmarks/validate.py --rows 10000000 # the 10-million-row case

The return is generated with numpy (one LA; a child has three referrals on average; a few
planted errors whose count is checked, so the benchmark cannot pass by skipping work). The
validation runs in a child process, pinned to one thread by default, and the figures are that
process's: wall time, CPU time (user + system, all threads), rows per CPU-second (= per core) and
peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLANTED_BAD_CODES = 25
PLANTED_DUPLICATES = 5


def generate(folder: Path, rows: int, seed: int = 1, planted: bool = True) -> dict[str, int]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    la = "E06000001"
    children = max(1, rows // 3)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "returns.csv").write_text(
        f"la_code,period_start,period_end,extract_date\n{la},2015-04-01,2020-03-31,2020-06-30\n"
    )
    child_ids = np.char.add(f"{la}-C", np.arange(children).astype(str))
    pacsv.write_csv(
        pa.table(
            {
                "la_code": np.full(children, la),
                "child_id": child_ids,
                "person_id": np.full(children, ""),
                "birth_month": np.char.add("2010-", np.char.zfill(rng.integers(1, 13, children).astype(str), 2)),
                "sex": np.array(["M", "F", "U"])[rng.integers(0, 3, children)],
                "ethnicity": np.array(["WBRI", "APKN", "BAFR", "MWBC"])[rng.integers(0, 4, children)],
                "disabled": np.array(["true", "false"])[rng.integers(0, 2, children)],
            }
        ),
        folder / "children.csv",
        pacsv.WriteOptions(quoting_style="none"),
    )

    referral_date = np.datetime64("2015-04-01") + rng.integers(0, 1700, rows)
    nfa = rng.random(rows) < 0.06
    closed = rng.random(rows) < 0.8
    closure_date = np.where(nfa, referral_date, referral_date + rng.integers(0, 120, rows))
    reason = np.where(nfa, "RC8", np.array(["RC1", "RC2", "RC8", "RC9"])[rng.integers(0, 4, rows)])
    referral_ids = np.char.add(f"{la}-R", np.arange(rows).astype(str))
    source = np.array(["1A", "1B", "2A", "3A", "5C", "10"])[rng.integers(0, 6, rows)]
    # Planted errors, spread through the file: unknown codes, and repeated referral ids.
    if planted:
        bad = rng.choice(rows, PLANTED_BAD_CODES, replace=False)
        source[bad] = "11"
        duplicates = rng.choice(np.arange(1, rows), PLANTED_DUPLICATES, replace=False)
        referral_ids[duplicates] = referral_ids[duplicates - 1]
    pacsv.write_csv(
        pa.table(
            {
                "la_code": np.full(rows, la),
                "child_id": child_ids[rng.integers(0, children, rows)],
                "referral_id": referral_ids,
                "referral_date": referral_date.astype(str),
                "referral_source": source,
                "primary_need": np.array(["N1", "N2", "N3", "N4", "N5"])[rng.integers(0, 5, rows)],
                "referral_nfa": np.where(nfa, "true", "false"),
                "closure_date": np.where(closed | nfa, closure_date.astype(str), ""),
                "closure_reason": np.where(closed | nfa, reason, ""),
            }
        ),
        folder / "referrals.csv",
        pacsv.WriteOptions(quoting_style="none"),
    )
    return {"referrals": rows, "children": children, "returns": 1}


def _child(folder: str, threads: int, load: bool) -> None:
    """Run in the child process: validate (and load) and print the figures as JSON."""
    import pyarrow as pa

    pa.set_cpu_count(threads)
    pa.set_io_thread_count(threads)
    from earlyhelp.validate import validate_paths

    start_wall, start_cpu = time.perf_counter(), time.process_time()
    report = validate_paths([Path(folder)], threads=threads)
    wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    figures = {"wall": wall, "cpu": cpu, "peak_bytes": peak, "summary": report.summary(), "files": report.files}
    if load:
        from earlyhelp.warehouse import load_return

        start_wall, start_cpu = time.perf_counter(), time.process_time()
        load_return([Path(folder)], Path(folder).parent / "warehouse.duckdb", report=report)
        figures.update(
            load_wall=time.perf_counter() - start_wall,
            load_cpu=time.process_time() - start_cpu,
            load_peak=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        )
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000, help="referrals rows (default 2,000,000)")
    parser.add_argument("--threads", type=int, default=1, help="threads for the validator (default 1)")
    parser.add_argument("--dir", type=Path, default=None, help="where to write the files (default: a temp dir)")
    parser.add_argument(
        "--load", action="store_true", help="generate a clean return and also time loading it into a DuckDB warehouse"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.threads, args.load)
        return
    if args.generate:
        print(json.dumps(generate(Path(args.generate), args.rows, planted=not args.load)))
        return

    with tempfile.TemporaryDirectory(prefix="earlyhelp-bench-") as scratch:
        folder = (args.dir or Path(scratch)) / "return"
        started = time.perf_counter()
        # Generation runs in its own process: Linux carries a process's peak memory across
        # fork+exec, so generating here would inflate the validator's figure.
        load = ["--load"] if args.load else []
        made = subprocess.run(
            [sys.executable, __file__, "--generate", str(folder), "--rows", str(args.rows), *load],
            capture_output=True,
            text=True,
            check=True,
        )
        tables = json.loads(made.stdout.strip().splitlines()[-1])
        size = sum(f.stat().st_size for f in folder.iterdir())
        print(f"generated {tables} ({size / 1e6:,.0f} MB) in {time.perf_counter() - started:.1f} s")
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(folder), "--threads", str(args.threads), *load],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(done.stdout.strip().splitlines()[-1])
    rows = sum(tables.values())
    summary = figures["summary"]
    expected = {} if args.load else {"value-code": PLANTED_BAD_CODES, "key-duplicate": PLANTED_DUPLICATES}
    assert summary == expected, f"planted errors not found as expected: {summary} != {expected}"
    print(f"validated {rows:,} rows ({args.rows:,} referrals) with {args.threads} thread(s)")
    print(f"  wall time          {figures['wall']:8.2f} s   ({rows / figures['wall']:,.0f} rows/s)")
    print(
        f"  CPU time           {figures['cpu']:8.2f} s   ({rows / figures['cpu']:,.0f} rows per CPU-second = per core)"
    )
    print(f"  peak memory (RSS)  {figures['peak_bytes'] / 2**20:8.0f} MiB")
    print(f"  planted errors found: {summary}")
    if args.load:
        print(
            f"loaded into DuckDB: wall {figures['load_wall']:.2f} s, CPU {figures['load_cpu']:.2f} s "
            f"(this process; DuckDB threads included), peak memory so far "
            f"{figures['load_peak'] / 2**20:.0f} MiB"
        )


if __name__ == "__main__":
    main()
