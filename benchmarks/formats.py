"""Benchmark `earlyhelp.formats`: write and read CIN census XML at national scale, and compare
reading a 4,000-child file with the DfE validator package csc-validator-be-cin.

Steps (each timed; reads run in a fresh subprocess so its peak memory is its own):

1. build an EHLD folder of N children (the seven hand-checked journeys of
   tests/formats/ehld_builder.py, repeated with new ids), and export it as CIN census XML;
2. read that file back (``ingest``: streaming parse, XSD check of every <Child>, EHLD CSVs);
3. the same for a 4,000-child file, and csc-validator-be-cin (in .venv-dfe) reading it:
   its XML-to-tables step alone and its whole run with every 2025-26 rule.

    .venv/bin/python benchmarks/formats.py                     # 100,000 children
    .venv/bin/python benchmarks/formats.py --children 500000   # national-sized file
    .venv/bin/python benchmarks/formats.py --children 20000 --skip-dfe
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # for tests.formats.ehld_builder, the hand-checked journeys

from tests.formats import ehld_builder  # noqa: E402

from earlyhelp.formats import export  # noqa: E402


def build_folder(folder: Path, children: int) -> Path:
    """``children`` children: journey k of the builder for child n, where k = n mod 7."""
    template = ehld_builder.census_tables()
    journeys: dict[str, dict[str, list[dict]]] = {}
    for name, rows in template.items():
        for row in rows:
            if "child_id" in row or "source_record_id" in row:
                key = row.get("child_id") or row["source_record_id"]
                journeys.setdefault(key, {}).setdefault(name, []).append(row)
    patterns = [journeys[k] for k in sorted(journeys) if "referrals" in journeys[k]]
    tables: dict[str, list[dict]] = {name: [] for name in template}
    tables["returns"] = template["returns"]
    for n in range(children):
        pattern = patterns[n % len(patterns)]
        old = pattern["children"][0]["child_id"]
        new = f"{ehld_builder.LA_CODE}-N{n:07d}"
        for name, rows in pattern.items():
            for row in rows:
                copy = dict(row)
                for column in ("child_id", "source_record_id", "referral_id", "assessment_id"):
                    if copy.get(column):
                        copy[column] = copy[column].replace(old, new)
                if name == "person_identifiers":
                    copy["upn"] = ehld_builder.upn(ehld_builder.LEA, 10_000_000 + n)
                tables[name].append(copy)
    return ehld_builder.write_folder(folder, tables)


READ_SNIPPET = """
import resource, sys, time
from pathlib import Path
from earlyhelp.formats import ingest_report
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu_before = usage.ru_utime + usage.ru_stime
started = time.perf_counter()
report = ingest_report([Path(sys.argv[1])], Path(sys.argv[2]))
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu = usage.ru_utime + usage.ru_stime - cpu_before
# ru_maxrss survives fork+exec (it would show the parent's peak); VmHWM is this program's own.
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(f"{seconds:.3f} {cpu:.3f} {peak / 1024:.0f} {report.rows['children']} {report.issue_count}")
"""


def read_in_subprocess(path: Path, out: Path) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak MiB, children) of an ingest in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", READ_SNIPPET, str(path), str(out)], capture_output=True, text=True, check=True
    )
    seconds, cpu, peak, children, issues = done.stdout.split()
    assert int(issues) == 0, "the benchmark file should read without problems"
    return float(seconds), float(cpu), float(peak), int(children)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def dfe_validator(kind: str, path: Path, workdir: Path) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak MiB) of the DfE validator run in .venv-dfe."""
    python = Path(os.environ.get("EARLYHELP_DFE_PYTHON", REPO / ".venv-dfe" / "bin" / "python"))
    if not python.exists():
        raise SystemExit(f"{python} is missing: run `make dfe-validators`, or pass --skip-dfe.")
    result = workdir / f"{kind}.json"
    arguments = [str(path), "cin2025_26"] if kind == "cin" else [str(path)]
    cpu_before = _children_cpu()
    started = time.perf_counter()
    subprocess.run(
        [str(python), str(REPO / "tests" / "formats" / "dfe_driver.py"), kind, *arguments, str(result)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    return seconds, _children_cpu() - cpu_before, json.loads(result.read_text())["peak_mib"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=100_000, help="children in the big file")
    parser.add_argument(
        "--dfe-children", type=int, default=4_000, help="children in the file compared with csc-validator-be-cin"
    )
    parser.add_argument("--skip-dfe", action="store_true", help="do not run the DfE validator")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="earlyhelp-bench-formats-") as tmp:
        work = Path(tmp)
        print(f"== CIN census XML, {args.children:,} children")
        started = time.perf_counter()
        folder = build_folder(work / "ehld", args.children)
        print(f"   EHLD folder built            {time.perf_counter() - started:8.1f} s")
        started = time.perf_counter()
        (xml,) = export(folder, "cin-xml", work / "xml")
        written = time.perf_counter() - started
        size = xml.stat().st_size / 1e6
        print(
            f"   export to CIN XML            {written:8.1f} s  ({size:.0f} MB, "
            f"{args.children / written:,.0f} children/s)"
        )
        seconds, cpu, peak, children = read_in_subprocess(xml, work / "read")
        print(
            f"   ingest (read + XSD + EHLD)   {seconds:8.1f} s  (CPU {cpu:.1f} s; "
            f"{children / seconds:,.0f} children/s; peak memory {peak:.0f} MiB)"
        )
        per_100k = 100_000 / children
        print(
            f"   target: under 30 s at 100,000 children -> wall {seconds * per_100k:.1f} s "
            f"({'met' if seconds * per_100k < 30 else 'NOT met'}), CPU {cpu * per_100k:.1f} s "
            f"({'met' if cpu * per_100k < 30 else 'NOT met'}; wall time waits for other jobs)"
        )

        if not args.skip_dfe:
            print(f"\n== {args.dfe_children:,} children: earlyhelp against csc-validator-be-cin 0.1.13")
            small_folder = build_folder(work / "ehld-small", args.dfe_children)
            (small,) = export(small_folder, "cin-xml", work / "xml-small")
            ours, our_cpu, our_peak, _ = read_in_subprocess(small, work / "read-small")
            print(f"   earlyhelp ingest             {ours:8.2f} s  (CPU {our_cpu:.2f} s, peak {our_peak:.0f} MiB)")
            for kind, label in (("cin-read", "reading only"), ("cin", "all rules   ")):
                wall, cpu, peak = dfe_validator(kind, small, work)
                print(
                    f"   DfE validator, {label}  {wall:8.2f} s  (CPU {cpu:.2f} s, peak {peak:.0f} MiB)"
                    f" -> {wall / ours:,.0f}x slower by wall time, {cpu / our_cpu:,.0f}x by CPU time"
                )
        print(f"\npeak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
