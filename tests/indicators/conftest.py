"""Fixtures: the hand-built casebook computed once per engine (Spark once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import casebook

ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]


# Module scope: a session-scoped patch would stay in force for every later test in the same
# worker (the report's browser tests then saw tiny synthetic England as a country of its own).
@pytest.fixture(scope="module", autouse=True)
def returns_are_a_country_of_their_own():
    """These hand-built returns test the summing of LAs into regions and England, with made-up
    regions of a few LAs each. So that their England and regions are computed from them, the
    package's own list of England's LAs is set aside here: every LA is one it does not know, and
    such a return is a country of its own (:mod:`earlyhelp.indicators.comparators`). The real
    geography, with DfE's published figures, is tested in ``tests/report/test_comparators.py``."""
    import importlib

    from earlyhelp.indicators import comparators

    # The module, not the function `compute` that earlyhelp.indicators exports under the same name.
    assembly = importlib.import_module("earlyhelp.indicators.compute")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(assembly, "reference_geography", lambda: comparators.Geography({}, {}))
        yield


class Figures:
    """Look-up of internal rows as the internal file writes them:
    figures[LA, 201920, "referrals"] -> (numerator, denominator, value), all text."""

    def __init__(self, table):
        from earlyhelp.publish import internal_text

        self.table = table
        self.rows = {}
        for row in internal_text(table).to_pylist():
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


@pytest.fixture(scope="session")
def spark_result(spark, casebook_folder, tmp_path_factory):
    """The casebook computed once on Spark, files written (the slow part of this folder)."""
    from earlyhelp.engine.spark_backend import SparkEngine
    from earlyhelp.indicators import compute

    engine = SparkEngine(spark=spark)
    try:
        return compute(casebook_folder, tmp_path_factory.mktemp("spark-out"), engine=engine)
    finally:
        engine.close()


_duckdb_figures: list[Figures] = []


@pytest.fixture(params=ENGINES)
def figures(request, casebook_folder) -> Figures:
    from earlyhelp.indicators import compute_internal

    if request.param == "spark":
        return Figures(request.getfixturevalue("spark_result").internal)
    if not _duckdb_figures:
        _duckdb_figures.append(Figures(compute_internal(casebook_folder, "duckdb")))
    return _duckdb_figures[0]
