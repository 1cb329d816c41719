"""Fuzz every reader for a while: CIN census XML, SSDA903 (CSVs and XML form) and SSD files through ``ingest``.

The cases are those of tests/fuzz (small valid inputs with byte flips, truncation, deleted and
repeated elements, rows and columns, odd dates, huge fields, wrong encodings, BOMs, empty
files, random bytes), with bigger fields and many more of them. Each run ends in one of:

- read: ingest wrote an EHLD folder;
- refused: an ``EarlyhelpError`` (a clear message; the CLI exits 1 or 2);
- crash: any other exception (the CLI would exit 3), counted by type and place;
- hang: longer than --hang-seconds (interrupted, or measured when the time is spent in C).

Printed per reader: runs, outcomes, crashes and hangs, and for each kind of crash its exception
type, where it was raised, and the folder holding a reproducer (the input files, and case.txt
with the traceback). Only types, counts and sizes are printed, never a value from an input.
Exits 1 when a run hung or crashed in a way tests/fuzz/test_known_crashes.py does not already
hold as a strict xfail, so `make bench` stops on anything new.

    .venv/bin/python benchmarks/fuzz.py                  # 10 minutes
    .venv/bin/python benchmarks/fuzz.py --minutes 3 --out fuzz-findings
"""

from __future__ import annotations

import argparse
import resource
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from random import Random

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # tests/fuzz: the cases, and the crashes already known

from fuzz.inputs import READERS, Case, build_seeds, ingest_case, make_case, write_case  # noqa: E402
from fuzz.test_known_crashes import known_crash  # noqa: E402

REPRODUCERS_PER_KIND = 3


class Hang(BaseException):
    """Raised by the alarm; a BaseException so that no ``except Exception`` in the readers keeps it."""


@dataclass
class Tally:
    runs: int = 0
    read: int = 0
    refused: int = 0
    hangs: int = 0
    crashes: int = 0
    slowest: float = 0.0
    largest: int = 0


def _on_alarm(signum: int, frame: object) -> None:
    raise Hang


def _raised_at(error: BaseException) -> str:
    """file:line of the innermost earlyhelp frame (else the innermost frame)."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/earlyhelp/" in f.filename] or frames
    return f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"


def _save(case: Case, folder: Path, error: BaseException | None, seconds: float) -> Path:
    write_case(case, folder / "files")
    lines = [
        f"reader: {case.reader}",
        f"seed input: {case.seed}",
        f"mutations: {', '.join(case.mutations)}",
        f"skip_invalid: {case.skip_invalid}",
        f"seconds: {seconds:.2f}",
        f"known (tests/fuzz/test_known_crashes.py): {known_crash(case) or 'no'}",
        "",
        "".join(traceback.format_exception(error)) if error else "hang: no exception",
    ]
    (folder / "case.txt").write_text("\n".join(lines))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to fuzz (default 10)")
    parser.add_argument("--hang-seconds", type=float, default=10.0, help="a run longer than this is a hang")
    parser.add_argument("--max-field", type=int, default=1_000_000, help="largest huge field, in characters")
    parser.add_argument("--seed", default="0", help="start of the case generator (a run is repeatable)")
    parser.add_argument("--out", type=Path, default=None, help="folder for reproducers (default: a new temp folder)")
    args = parser.parse_args()

    out = args.out or Path(tempfile.mkdtemp(prefix="earlyhelp-fuzz-findings-"))
    out.mkdir(parents=True, exist_ok=True)
    seeds = build_seeds(Path(tempfile.mkdtemp(prefix="earlyhelp-fuzz-seeds-")))
    tallies = {reader: Tally() for reader in READERS}
    # (reader, exception type or "hang", where, the known-crash test or "NEW") -> reproducers
    reproducers: dict[tuple[str, str, str, str], list[Path]] = {}
    kinds: Counter[tuple[str, str, str, str]] = Counter()
    signal.signal(signal.SIGALRM, _on_alarm)

    print(f"== fuzzing {', '.join(READERS)} for {args.minutes:g} minutes (reproducers under {out})")
    started = time.perf_counter()
    deadline = started + args.minutes * 60
    n = 0
    while time.perf_counter() < deadline:
        reader = READERS[n % len(READERS)]
        case = make_case(Random(f"{args.seed}-{n}"), seeds[reader], max_field=args.max_field)
        n += 1
        tally = tallies[reader]
        tally.runs += 1
        tally.largest = max(tally.largest, case.size)
        error: BaseException | None = None
        run_started = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, args.hang_seconds)
        try:
            refused = ingest_case(case)
        except Hang:
            refused, error = None, None
        except Exception as crash:
            refused, error = None, crash
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        seconds = time.perf_counter() - run_started
        tally.slowest = max(tally.slowest, seconds)
        if seconds >= args.hang_seconds:
            tally.hangs += 1
            what, where = "hang", f"over {args.hang_seconds:g} s"
        elif error is not None:
            tally.crashes += 1
            what, where = type(error).__name__, _raised_at(error)
        else:
            tally.read += refused is None
            tally.refused += refused is not None
            continue
        # A hang is always new: the known crashes are exceptions, raised fast.
        kind = (reader, what, where, "NEW" if what == "hang" else known_crash(case) or "NEW")
        kinds[kind] += 1
        saved = reproducers.setdefault(kind, [])
        if len(saved) < REPRODUCERS_PER_KIND:
            saved.append(_save(case, out / f"{reader}-{n:06d}", error, seconds))

    elapsed = time.perf_counter() - started
    print(f"   {n:,} runs in {elapsed:.0f} s ({n / elapsed:.1f} runs/s)\n")
    print(f"   {'reader':<9} {'runs':>7} {'read':>7} {'refused':>8} {'crashes':>8} {'hangs':>6}  slowest  largest")
    for reader, t in tallies.items():
        print(
            f"   {reader:<9} {t.runs:>7,} {t.read:>7,} {t.refused:>8,} {t.crashes:>8,} {t.hangs:>6,}"
            f"  {t.slowest:5.1f} s  {t.largest / 1e6:5.1f} MB"
        )
    if reproducers:
        print("\n   crashes and hangs: reader, exception type at where raised: runs [xfail test, or NEW]; reproducer")
        for kind, saved in sorted(reproducers.items()):
            reader, what, where, known = kind
            print(f"   {reader:<9} {what} at {where}: {kinds[kind]:,} [{known}]; {saved[0]}")
    new = sum(runs for (_, _, _, known), runs in kinds.items() if known == "NEW")
    known_runs = kinds.total() - new
    print(f"   {new:,} new crash(es) or hang(s); {known_runs:,} run(s) hit crashes tests/fuzz already holds as xfails")
    print(f"   peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    sys.exit(1 if new else 0)


if __name__ == "__main__":
    main()
