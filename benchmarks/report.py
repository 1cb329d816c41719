"""Benchmark `earlyhelp report`: render a published file the size of England (152 LAs, 9 regions).

Writes an invented indicators_published.csv (every indicator of the definitions, every area
and year, family goals by outcome heading, a few suppressed cells), then times
render_report in this process and prints the figures and peak memory.

    .venv/bin/python benchmarks/report.py            # England size: 152 LAs, 12 years
    .venv/bin/python benchmarks/report.py --las 20 --years 5 --la E06000003
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import tempfile
import time
from pathlib import Path

from earlyhelp.indicators.definitions import INDICATOR_BY_NAME
from earlyhelp.report import PUBLISHED_COLUMNS, render_report
from earlyhelp.report.catalogue import OUTCOME_HEADINGS


def write_published(path: Path, las: int, years: int, seed: int = 1) -> int:
    rng = random.Random(seed)
    periods = [f"{y}{(y + 1) % 100:02d}" for y in range(2020 - years, 2020)]
    regions = [(f"E1200000{i}", f"Region {i}") for i in range(1, 10)]
    areas = [("National", "E92000001", "England", "", "")]
    areas += [("Regional", code, name, code, name) for code, name in regions]
    for i in range(las):
        code, name = regions[i % len(regions)]
        areas.append(("Local authority", f"E06{i + 1:06d}", f"Local authority {i + 1}", code, name))
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=PUBLISHED_COLUMNS)
        writer.writeheader()
        for name, meta in INDICATOR_BY_NAME.items():
            breakdowns = ["Total"] + (
                [f"outcome_heading:{h}" for h in OUTCOME_HEADINGS] if name == "family_goals_met_pct" else []
            )
            for level, code, area_name, region_code, region_name in areas:
                for period in periods:
                    for breakdown in breakdowns:
                        denominator = rng.randint(2_000, 90_000)
                        value = {
                            "pct": f"{rng.uniform(1, 40):.1f}",
                            "ratio": f"{rng.uniform(0.3, 1.2):.2f}",
                            "per_10k": f"{rng.uniform(200, 500):.1f}",
                            "pounds": str(rng.randint(150, 600)),
                            "median_days": str(rng.randint(30, 300)),
                            "mean_points": f"{rng.uniform(0, 4):.1f}",
                        }.get(meta.unit, str(rng.randint(0, 9000)))
                        numerator = str(rng.randint(0, denominator))
                        if rng.random() < 0.02:
                            numerator = value = "c"
                        writer.writerow(
                            {
                                "time_period": period,
                                "time_identifier": "Financial year",
                                "geographic_level": level,
                                "country_code": "E92000001",
                                "country_name": "England",
                                "region_code": region_code,
                                "region_name": region_name,
                                "new_la_code": code if level == "Local authority" else "",
                                "old_la_code": "",
                                "la_name": area_name if level == "Local authority" else "",
                                "indicator": name,
                                "breakdown": breakdown,
                                "numerator": numerator,
                                "denominator": str(denominator),
                                "value": value,
                            }
                        )
                        count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--las", type=int, default=152, help="number of local authorities (default 152)")
    parser.add_argument("--years", type=int, default=12, help="number of financial years (default 12)")
    parser.add_argument("--la", default=None, help="render the LA report for this code (e.g. E06000001)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        started = time.perf_counter()
        rows = write_published(root / "indicators_published.csv", args.las, args.years)
        written = time.perf_counter() - started
        started = time.perf_counter()
        index = render_report(root / "indicators_published.csv", root / "site", la=args.la)
        first = time.perf_counter() - started
        started = time.perf_counter()
        render_report(root / "indicators_published.csv", root / "site2", la=args.la)
        second = time.perf_counter() - started
        size = index.stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"published rows: {rows:,} ({args.las} LAs, {args.years} years); written in {written:.1f} s")
    print(f"render_report: {first:.2f} s first run (includes vl-convert start-up), {second:.2f} s second run")
    print(f"index.html: {size / 1024:.0f} KiB; peak memory (RSS): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
