"""Report test fixtures: the hand-made published file and the sites rendered from it (once)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from . import fixture


@pytest.fixture(scope="session")
def published_csv(tmp_path_factory) -> Path:
    return fixture.write(tmp_path_factory.mktemp("published"))


@pytest.fixture(scope="session")
def england_site(published_csv, tmp_path_factory) -> Path:
    from earlyhelp.report import render_report

    return render_report(published_csv, tmp_path_factory.mktemp("site-england"))


@pytest.fixture(scope="session")
def la_site(published_csv, tmp_path_factory) -> Path:
    from earlyhelp.report import render_report

    return render_report(published_csv, tmp_path_factory.mktemp("site-la"), la="E06000001")


def published_rows(path: Path) -> dict[tuple[str, str, str, str, str], dict[str, str]]:
    """(indicator, time_period, level, area code, breakdown) -> the published row."""
    rows = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = {"National": row["country_code"], "Regional": row["region_code"]}.get(
                row["geographic_level"], row["new_la_code"]
            )
            rows[(row["indicator"], row["time_period"], row["geographic_level"], code, row["breakdown"])] = row
    return rows


# --- one LA's CIN census alone (tests/report/test_comparators.py and the browser test) ------------
EARLYHELP = [sys.executable, "-c", "from earlyhelp.cli import run; run()"]


def earlyhelp(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*EARLYHELP, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def census(tmp_path_factory) -> Path:
    """An EHLD folder ingested from Hartlepool's 2018-19 CIN census, nothing else."""
    root = tmp_path_factory.mktemp("census")
    for args in (
        ("synth", "--out", "syn", "--scale", "tiny", "--seed", "2026"),
        ("export", "--data", "syn", "--to", "cin-xml", "--year", "2019", "--approximate-birth-dates", "--out", "xml"),
        ("ingest", "xml/CIN_census_E06000001_2019.xml", "--out", "ehld"),
    ):
        result = earlyhelp(*args, cwd=root)
        assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="module")
def indicators(census) -> tuple[subprocess.CompletedProcess, list[dict[str, str]]]:
    result = earlyhelp("indicators", "--data", "ehld", "--out", "ind", cwd=census)
    assert result.returncode == 0, result.stderr
    with open(census / "ind" / "indicators_published.csv", newline="", encoding="utf-8") as handle:
        return result, list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def la_report(census, indicators) -> tuple[subprocess.CompletedProcess, Path]:
    # --la takes the DfE number as well as the ONS code.
    result = earlyhelp("report", "--indicators", "ind", "--out", "site", "--la", "805", cwd=census)
    return result, census / "site" / "index.html"
