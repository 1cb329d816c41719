"""Linkage benchmark: earlyhelp link vs a plain Splink 5 baseline, side by side, one run.

Generates synthetic identity records with the faults of issue 3 (``earlyhelp.synth.identities``),
then links them twice, each in its own subprocess so peak memory is measured per method:

* ``earlyhelp``: deterministic NHS step with veto, nickname/variant and day/month-swap levels,
  source constraints, constrained clustering (what ``earlyhelp link`` runs);
* ``baseline``: the same Splink comparisons without the deterministic step, nicknames, date
  swaps or source constraints, clustered with connected components.

Prints records, wall and CPU seconds, peak RSS and accuracy against the known truth:
cluster precision (share of clusters holding one true person) and recall (share of true
persons found whole), pairwise precision/recall/F1 over the record pairs the clusters imply,
and exact-cluster precision/recall (clusters identical to a true person). With ``--rerun`` it also links again with 10% new
records and counts person_ids that changed without their link changing (target: 0).

    .venv/bin/python benchmarks/link.py                    # 1,000,000 records
    .venv/bin/python benchmarks/link.py --records 100000 --methods earlyhelp
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

RECORDS_PER_PERSON = 2.9  # what synthetic_people + make_identity_records give on average


def _generate(folder: Path, records: int, seed: int) -> dict[str, float]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from earlyhelp.synth.identities import make_identity_records, synthetic_people

    started = time.perf_counter()
    people, la_records = synthetic_people(int(records / RECORDS_PER_PERSON), seed=seed)
    identifiers, truth = make_identity_records(people, la_records, seed=seed + 1)
    seconds = time.perf_counter() - started
    for name in ("full", "first", "truth"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    pq.write_table(identifiers, folder / "full" / "person_identifiers.parquet")
    pq.write_table(truth, folder / "truth" / "truth.parquet")
    new = np.random.default_rng(seed).random(identifiers.num_rows) < 0.10
    pq.write_table(identifiers.filter(pa.array(~new)), folder / "first" / "person_identifiers.parquet")
    return {"records": identifiers.num_rows, "persons": people.num_rows, "generate_seconds": round(seconds, 1)}


def _worker(
    kind: str, identities: Path, out: Path, truth: Path, previous: str | None, threshold: float | None = None
) -> None:
    """Run one linkage in this process and print its figures as JSON (last line of stdout)."""
    os.environ.setdefault("EARLYHELP_LINK_SECRET", "benchmark-only-secret-not-for-real-use")
    from earlyhelp.link import link

    wall, cpu = time.perf_counter(), time.process_time()
    options = {"threshold": threshold} if threshold is not None else {}
    result = link(identities, out, kind=kind, truth=truth, previous=Path(previous) if previous else None, **options)
    figures = {
        "method": kind,
        "records": result.records,
        "persons": result.persons,
        "wall_seconds": round(time.perf_counter() - wall, 1),
        "cpu_seconds": round(time.process_time() - cpu, 1),
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
        "pairs_scored": result.pairs_scored,
        "steps": result.seconds,
        "accuracy": result.accuracy,
        "ids": result.ids,
    }
    print(json.dumps(figures))


def _run_worker(
    kind: str, identities: Path, out: Path, truth: Path, previous: Path | None = None, threshold: float | None = None
) -> dict:
    command = [
        sys.executable,
        __file__,
        "--worker",
        kind,
        str(identities),
        str(out),
        str(truth),
        str(previous or "-"),
        str(threshold if threshold is not None else "-"),
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"{kind} run failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ids_changed_without_link_change(first_link: Path, second_link: Path) -> dict[str, int]:
    import duckdb

    con = duckdb.connect()
    row = con.execute(f"""
        WITH a AS (SELECT source || '|' || source_record_id AS k, person_id FROM '{first_link}'),
             b AS (SELECT source || '|' || source_record_id AS k, person_id FROM '{second_link}'),
             both_runs AS (SELECT a.k, a.person_id AS id1, b.person_id AS id2 FROM a JOIN b USING (k)),
             -- a record's link is unchanged when the old records sharing its person are the same
             members1 AS (SELECT id1, list(k ORDER BY k) AS m FROM both_runs GROUP BY id1),
             members2 AS (SELECT id2, list(k ORDER BY k) AS m FROM both_runs GROUP BY id2),
             judged AS (
                SELECT t.k, t.id1 <> t.id2 AS id_changed, m1.m <> m2.m AS link_changed
                FROM both_runs t JOIN members1 m1 USING (id1) JOIN members2 m2 USING (id2))
        SELECT count(*), count(*) FILTER (WHERE id_changed),
               count(*) FILTER (WHERE link_changed),
               count(*) FILTER (WHERE id_changed AND NOT link_changed)
        FROM judged
    """).fetchall()[0]
    return {
        "existing_records": row[0],
        "person_id_changed": row[1],
        "link_changed": row[2],
        "id_changed_without_link_change": row[3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="identity records (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--methods", default="earlyhelp,baseline", help="comma-separated: earlyhelp, baseline (default both)"
    )
    parser.add_argument(
        "--rerun", action="store_true", help="also link 90%% of records, then all, and count person_ids that changed"
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="match probability threshold of the earlyhelp method (default: link()'s own)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="with --keep: reuse the identities already generated there"
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep data and outputs in this folder")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, identities, out, truth, previous, threshold = args.worker
        _worker(
            kind,
            Path(identities),
            Path(out),
            Path(truth),
            None if previous == "-" else previous,
            None if threshold == "-" else float(threshold),
        )
        return

    folder = args.keep or Path(tempfile.mkdtemp(prefix="earlyhelp-link-bench-"))
    if args.reuse and args.keep and (folder / "generated.json").exists():
        generated = json.loads((folder / "generated.json").read_text())
    else:
        generated = _generate(folder, args.records, args.seed)
        (folder / "generated.json").write_text(json.dumps(generated))
    print(
        f"Synthetic identities: {generated['records']:,} records of {generated['persons']:,} children "
        f"(generated in {generated['generate_seconds']} s)"
    )
    rows = []
    for kind in [m.strip() for m in args.methods.split(",") if m.strip()]:
        figures = _run_worker(
            kind,
            folder / "full",
            folder / f"out-{kind}",
            folder / "truth",
            threshold=args.threshold if kind == "earlyhelp" else None,
        )
        rows.append(figures)
    header = (
        "method",
        "records",
        "wall s",
        "CPU s",
        "peak GiB",
        "pairs scored",
        "cluster P",
        "cluster R",
        "pairwise P",
        "pairwise R",
        "pairwise F1",
        "exact-cluster P",
        "exact-cluster R",
    )
    print("\n| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for r in rows:
        a = r["accuracy"] or {}
        print(
            f"| {r['method']} | {r['records']:,} | {r['wall_seconds']} | {r['cpu_seconds']} | "
            f"{r['peak_rss_gib']} | {r['pairs_scored']:,} | {a.get('cluster_precision')} | "
            f"{a.get('cluster_recall')} | {a.get('pairwise_precision')} | "
            f"{a.get('pairwise_recall')} | {a.get('pairwise_f1')} | {a.get('exact_cluster_precision')} | "
            f"{a.get('exact_cluster_recall')} |"
        )
    for r in rows:
        print(f"\n{r['method']} steps (s): {r['steps']}")
    if args.rerun:
        first = _run_worker("earlyhelp", folder / "first", folder / "rerun", folder / "truth", threshold=args.threshold)
        first_link = folder / "rerun" / "person_link.parquet"
        saved = folder / "rerun-first-person_link.parquet"
        saved.write_bytes(first_link.read_bytes())
        second = _run_worker(
            "earlyhelp", folder / "full", folder / "rerun", folder / "truth", previous=saved, threshold=args.threshold
        )
        stability = _ids_changed_without_link_change(saved, first_link)
        print(f"\nRe-run with 10% new records ({first['records']:,} then {second['records']:,}): {stability}")
    print(f"\nData and outputs in {folder}" if args.keep else "")


if __name__ == "__main__":
    main()
