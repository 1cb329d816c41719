"""Report test fixtures: the hand-made published file and the sites rendered from it (once)."""

from __future__ import annotations

import csv
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
