"""Fixtures: the hand-built casebook computed once per engine (Spark once per session)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import casebook  # noqa: E402

ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]


class Figures:
    """Look-up of internal rows: figures[LA, 201920, "referrals"] -> (numerator, denominator, value)."""

    def __init__(self, table):
        self.table = table
        self.rows = {}
        for row in table.to_pylist():
            area = row["la_code"] or row["region_code"] or "England"
            key = (area, int(row["time_period"]), row["indicator"], row["breakdown"])
            assert key not in self.rows, f"duplicate row {key}"
            self.rows[key] = (row["numerator"], row["denominator"], row["value"])

    def __getitem__(self, key):
        area, period, indicator, *breakdown = key
        return self.rows[(area, period, indicator, breakdown[0] if breakdown else "Total")]

    def __contains__(self, key):
        area, period, indicator, *breakdown = key
        return (area, period, indicator, breakdown[0] if breakdown else "Total") in self.rows


@pytest.fixture(scope="session")
def casebook_folder(tmp_path_factory) -> Path:
    return casebook.build().write(tmp_path_factory.mktemp("casebook"))


_computed: dict[str, Figures] = {}


@pytest.fixture(params=ENGINES)
def figures(request, casebook_folder) -> Figures:
    from earlyhelp.indicators import compute_internal

    name = request.param
    if name not in _computed:
        if name == "spark":
            from earlyhelp.engine.spark_backend import SparkEngine

            engine = SparkEngine(spark=request.getfixturevalue("spark"))
            try:
                _computed[name] = Figures(compute_internal(casebook_folder, engine))
            finally:
                engine.close()
        else:
            _computed[name] = Figures(compute_internal(casebook_folder, name))
    return _computed[name]
