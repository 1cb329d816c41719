"""The `earlyhelp indicators` command, warehouse input, and the two engines agreeing."""

from __future__ import annotations

import csv
import subprocess
import sys

import duckdb
import pytest
from click.testing import CliRunner

from earlyhelp.indicators import OUTPUT_COLUMNS, compute, compute_internal
from earlyhelp.indicators.cli import indicators
from earlyhelp.validate.folder import EHLDFolder

EARLYHELP = [sys.executable, "-c", "from earlyhelp.cli import run; run()"]


def _read(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_cli_writes_publishable_files_and_keeps_the_internal_table_apart(casebook_folder, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        indicators,
        ["--data", str(casebook_folder), "--out", str(out), "--base-year", "201920", "--suppression-threshold", "9"],
    )
    assert result.exit_code == 0, result.output
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        ".earlyhelp-indicators.json",  # the files it wrote, for a later --force (no figures)
        "README.md",
        "indicators.csv",
        "indicators.xlsx",
        "indicators_notes.csv",  # why figures are x (no figures)
        "indicators_published.csv",
        "indicators_published.meta.csv",
        "internal/README.txt",
        "internal/indicators_unsuppressed.csv",
    ]
    publishable, internal_part = result.output.split("Internal, NOT for publication")
    assert str(out / "indicators.csv") in publishable and "internal" not in publishable
    assert str(out / "indicators.xlsx") in publishable
    assert str(out / "internal" / "indicators_unsuppressed.csv") in internal_part

    internal = _read(out / "internal" / "indicators_unsuppressed.csv")
    assert list(internal[0]) == [*OUTPUT_COLUMNS, "source"]
    spend = {
        r["time_period"]: r["value"]
        for r in internal
        if r["indicator"] == "ei_spend_per_child_real" and r["la_code"] == "E06000006"
    }
    # Base 201920 (index 80): 3000.75 / 100 children; 202021: 3000 x 80/100 / 120.
    assert spend["201920"] == "30.0075" and spend["202021"] == "20.0"
    # LA3 has 9 CIN children in 201920 (threshold 9): exact inside, c outside.
    assert (
        next(
            r
            for r in internal
            if r["indicator"] == "cin_children" and r["la_code"] == "E06000003" and r["time_period"] == "201920"
        )["numerator"]
        == "9"
    )

    published = _read(out / "indicators_published.csv")
    referrals = next(
        r
        for r in published
        if r["indicator"] == "referrals" and r["new_la_code"] == "E06000003" and r["time_period"] == "201920"
    )
    assert referrals["numerator"] == "10" and referrals["la_name"] == "LA E06000003"
    cin = next(
        r
        for r in published
        if r["indicator"] == "cin_children" and r["new_la_code"] == "E06000003" and r["time_period"] == "201920"
    )
    assert cin["numerator"] == "c"  # 9 children, threshold 9

    # indicators.csv: the spec's columns and exactly the published figures, row for row.
    spec = _read(out / "indicators.csv")
    assert list(spec[0]) == list(OUTPUT_COLUMNS)
    ees_columns = (
        "time_period",
        "geographic_level",
        "region_code",
        "new_la_code",
        "indicator",
        "breakdown",
        "numerator",
        "denominator",
        "value",
    )
    assert [list(r.values()) for r in spec] == [[p[c] for c in ees_columns] for p in published]
    lookup = {(r["time_period"], r["la_code"], r["indicator"], r["breakdown"]): r for r in spec}
    assert lookup["201920", "E06000003", "cin_children", "Total"]["numerator"] == "c"
    assert lookup["201920", "E06000006", "ei_spend_per_child_real", "Total"]["value"] == "30"
    # Spend 201920 at 2019-20 prices, whole pounds: 3000.75 -> 3001; population 100.
    assert lookup["201920", "E06000006", "ei_spend_per_child_real", "Total"]["numerator"] == "3001"

    readme = (out / "README.md").read_text()
    for name in (
        "indicators.csv",
        "indicators_published.csv",
        "indicators_published.meta.csv",
        "indicators.xlsx",
        "internal/indicators_unsuppressed.csv",
    ):
        assert f"`{name}`" in readme
    assert "| `internal/indicators_unsuppressed.csv` | **NO** |" in readme
    assert "| `indicators.csv` | **yes** |" in readme and "from 1 to 9" in readme
    assert "NOT disclosure-controlled" in (out / "internal" / "README.txt").read_text()


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "exactly one of --data"),
        (["--data", "{data}", "--warehouse", "{data}"], "exactly one of --data"),
        (["--data", "{data}", "--base-year", "2019"], "not a financial year"),
        (["--data", "{data}", "--base-year", "201415"], "not a time_period of the deflators"),
        (["--data", "{missing}"], "does not exist"),
        (["--data", "{data}", "--suppression-threshold", "0"], "at least 1"),
    ],
)
def test_cli_usage_errors_are_one_clear_message(casebook_folder, tmp_path, args, message):
    args = [a.format(data=casebook_folder, missing=tmp_path / "nope") for a in args]
    result = subprocess.run(
        [*EARLYHELP, "indicators", *args, "--out", str(tmp_path / "o")], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_folder_without_returns_is_a_data_error(tmp_path):
    (tmp_path / "referrals.csv").write_text("la_code,child_id,referral_id,referral_date,referral_source,referral_nfa\n")
    result = subprocess.run(
        [*EARLYHELP, "indicators", "--data", str(tmp_path), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "returns" in result.stderr and "Traceback" not in result.stderr


def test_a_warehouse_gives_the_same_table_as_the_folder(casebook_folder, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    folder = EHLDFolder(casebook_folder)
    for name in folder.tables:
        con.execute(f'CREATE TABLE "{name}" AS {folder.select_sql(name)}')
    con.close()
    assert compute_internal(warehouse).equals(compute_internal(casebook_folder))


@pytest.mark.spark
def test_spark_and_duckdb_write_identical_files(casebook_folder, tmp_path, spark_result):
    on_duckdb = compute(casebook_folder, tmp_path / "duckdb", engine="duckdb")
    assert spark_result.engine == "spark" and on_duckdb.engine == "duckdb"
    for name in (
        "indicators.csv",
        "indicators_published.csv",
        "indicators_published.meta.csv",
        "indicators.xlsx",
        "README.md",
        "internal/indicators_unsuppressed.csv",
        "internal/README.txt",
    ):
        assert (spark_result.out / name).read_bytes() == (tmp_path / "duckdb" / name).read_bytes()


def test_a_returns_row_without_extract_date_is_a_data_error(tmp_path):
    (tmp_path / "returns.csv").write_text(
        "la_code,period_start,period_end,extract_date\nE06000001,2019-04-01,2020-03-31,\n"
    )
    result = subprocess.run(
        [*EARLYHELP, "indicators", "--data", str(tmp_path), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "extract_date" in result.stderr and "Traceback" not in result.stderr
