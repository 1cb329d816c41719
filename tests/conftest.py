"""Shared fixtures. Spark tests share one local session and run in one xdist worker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def pytest_collection_modifyitems(config, items):
    # One JVM for the whole run: every Spark test goes to the same xdist worker.
    for item in items:
        if item.get_closest_marker("spark"):
            item.add_marker(pytest.mark.xdist_group("spark"))


@pytest.fixture(scope="session")
def shared_reference() -> Path:
    path = SHARED / "reference"
    if not path.is_dir():
        pytest.fail(f"{path} is missing: tests read ../shared/reference beside the repository.")
    return path


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("earlyhelp-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.ansi.enabled", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture
def recorded_progress(monkeypatch):
    """Replace a module's ``steps`` progress bar with a recorder: call it with the module, then
    read the list of (description, total, [steps advanced]) it fills."""
    from contextlib import contextmanager

    bars: list[tuple[str, int, list[str | None]]] = []

    @contextmanager
    def recording_steps(description, total):
        done: list[str | None] = []
        bars.append((description, total, done))
        yield done.append

    def record(module) -> list[tuple[str, int, list[str | None]]]:
        monkeypatch.setattr(module, "steps", recording_steps)
        return bars

    return record


@pytest.fixture
def earlyhelp(monkeypatch, capsys):
    """Run ``earlyhelp ARGS`` through the console entry point: (exit code, stdout, stderr)."""
    import sys

    from earlyhelp.cli import run

    def invoke(*args: object) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["earlyhelp", *map(str, args)])
        with pytest.raises(SystemExit) as done:
            run()
        captured = capsys.readouterr()
        return done.value.code, captured.out, captured.err

    return invoke
