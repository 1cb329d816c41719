"""Three years of one LA's CIN census, loaded one by one, give the synthetic tables' indicators.

Synthetic England (tiny, seed 2026) is exported as the CIN censuses of 2018, 2019 and 2020 for
Hartlepool, each ingested into its own EHLD folder and loaded into one warehouse. The middle
census year (2018-19) has what every CIN indicator needs: the 2018 census holds the referrals of
the twelve months before (re-referrals) and the 2020 census the closures of the episodes open at
31 March 2019. Rates legitimately differ: synthetic England has its own (tiny) population, the
census carries none, so the package's real ONS estimate is used.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from earlyhelp import reference
from earlyhelp.errors import DataError
from earlyhelp.formats.api import ingest_report
from earlyhelp.indicators import compute_internal
from earlyhelp.warehouse import load_return

LA = "E06000001"
YEARS = (2018, 2019, 2020)
MIDDLE = "201819"
# What a CIN census carries whole for its year, given the censuses on either side.
CIN_INDICATORS = ("referrals", "re_referral_pct", "cin_children", "cp_plans_started", "closed_after_assessment")
EARLYHELP = [sys.executable, "-c", "from earlyhelp.cli import run; run()"]


@pytest.fixture(scope="module")
def years(tmp_path_factory) -> Path:
    """synthetic England, its three censuses of LA, and each ingested into its own folder."""
    root = tmp_path_factory.mktemp("years")
    commands = [["synth", "--out", "syn", "--scale", "tiny", "--seed", "2026"]]
    commands += [
        [
            "export",
            "--data",
            "syn",
            "--to",
            "cin-xml",
            "--year",
            str(y),
            "--approximate-birth-dates",
            "--out",
            f"cin{y}",
        ]
        for y in YEARS
    ]
    for command in commands:
        result = subprocess.run([*EARLYHELP, *command], cwd=root, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
    for year in YEARS:
        ingest_report([census(root, year)], root / f"ehld{year}")
    return root


def census(root: Path, year: int) -> Path:
    return root / f"cin{year}" / f"CIN_census_{LA}_{year}.xml"


def loaded(root: Path, name: str, folders: list[Path]) -> Path:
    warehouse = root / name
    for folder in folders:
        load_return([folder], warehouse, skip_identity=True)
    return warehouse


def figures(data: Path, period: str = MIDDLE) -> dict[str, tuple]:
    return {
        row["indicator"]: (row["numerator"], row["denominator"], row["value"], row["status"])
        for row in compute_internal(data).to_pylist()
        if row["la_code"] == LA and row["time_period"] == period and row["breakdown"] == "Total"
    }


def query(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_three_censuses_loaded_one_by_one_give_the_synthetic_tables_cin_indicators(years):
    warehouse = loaded(years, "w.duckdb", [years / f"ehld{y}" for y in YEARS])
    # One returns row spanning the three census years, extracted on the last reference date.
    assert query(warehouse, "SELECT * FROM returns") == [
        (LA, dt.date(2017, 4, 1), dt.date(2020, 3, 31), dt.date(2020, 3, 31))
    ]
    direct, from_returns = figures(years / "syn"), figures(warehouse)
    for name in CIN_INDICATORS:
        assert from_returns[name] == direct[name], name
        assert from_returns[name][3] is None, name  # a figure, not "x"
    assert direct["referrals"][0] > 0 and direct["re_referral_pct"][0] > 0
    # Every year the returns cover is computed. The first year's re-referrals would need the
    # referrals of the year before, which no loaded census holds: not computed, not guessed.
    first, first_direct = figures(warehouse, "201718"), figures(years / "syn", "201718")
    assert first["re_referral_pct"][3] == "x" and first_direct["re_referral_pct"][3] is None
    for name in ("referrals", "cin_children", "cp_plans_started", "closed_after_assessment"):
        assert first[name] == first_direct[name], name
    assert figures(warehouse, "201920")["referrals"] == figures(years / "syn", "201920")["referrals"]
    # The rate's denominator is the package's ONS estimate (synthetic England has its own).
    population = reference.population()
    expected = population[(population.la_code == LA) & (population.year == 2018)].children_0_17.item()
    assert from_returns["cin_rate_per_10k"][1] == expected != direct["cin_rate_per_10k"][1]
    # A census has no early help and no looked-after episodes: those are not computed.
    assert from_returns["eh_children"][3] == from_returns["cla_started"][3] == "x"


def test_an_episode_open_at_31_march_is_one_referral_closed_by_the_later_census(years):
    warehouse = loaded(years, "stitched.duckdb", [years / f"ehld{y}" for y in YEARS])
    con = duckdb.connect()
    crossing = con.execute(
        f"SELECT child_id, referral_date, closure_date FROM '{years}/syn/referrals.parquet' "
        f"WHERE la_code = '{LA}' AND referral_date <= DATE '2019-03-31' "
        "AND closure_date BETWEEN DATE '2019-04-01' AND DATE '2020-03-31' ORDER BY ALL"
    ).fetchall()
    con.close()
    assert len(crossing) > 5
    stored = query(warehouse, "SELECT child_id, referral_date, closure_date FROM referrals")
    # Each is one referral, with the closure only the 2020 census knows.
    for child_id, referral_date, closure_date in crossing:
        assert [r for r in stored if r[:2] == (child_id, referral_date)] == [(child_id, referral_date, closure_date)]
    # Loaded the other way round, the later census still supplies the closure.
    backwards = loaded(years, "backwards.duckdb", [years / f"ehld{y}" for y in reversed(YEARS)])
    assert query(backwards, "SELECT * EXCLUDE (source_period) FROM referrals ORDER BY ALL") == query(
        warehouse, "SELECT * EXCLUDE (source_period) FROM referrals ORDER BY ALL"
    )


def test_one_folder_of_three_censuses_is_the_same_as_three_loads(years):
    together = years / "together"
    report = ingest_report([census(years, y) for y in YEARS], together)
    assert "population: from the package (ONS mid-year estimates" in report.summary()
    one = loaded(years, "one.duckdb", [together])
    three = loaded(years, "three.duckdb", [years / f"ehld{y}" for y in YEARS])
    for table in ("children", "referrals", "assessments", "cin_plans", "s47_enquiries", "cp_plans", "returns"):
        columns = "* EXCLUDE (source_period)" if table != "returns" else "*"
        sql = f"SELECT {columns} FROM {table} ORDER BY ALL"
        assert query(one, sql) == query(three, sql), table


def rows_of(folder: Path, table: str) -> list[dict]:
    with open(folder / f"{table}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_loading_2019_again_replaces_only_2019(years, tmp_path):
    warehouse = loaded(years, "again.duckdb", [years / f"ehld{y}" for y in YEARS])
    every = ("children", "referrals", "assessments", "cin_plans", "s47_enquiries", "cp_plans", "returns")

    def contents() -> dict[str, list[tuple]]:
        return {t: query(warehouse, f"SELECT * FROM {t} ORDER BY ALL") for t in every}

    before = contents()
    load_return([years / "ehld2019"], warehouse, skip_identity=True)
    assert contents() == before
    # A corrected 2019 census without one referral that began and ended in 2018-19.
    corrected = shutil.copytree(years / "ehld2019", tmp_path / "corrected")
    gone = next(
        r
        for r in rows_of(corrected, "referrals")
        if r["referral_date"] >= "2018-04-01" and r["closure_date"] and r["closure_date"] <= "2019-03-31"
    )["referral_id"]
    for file in corrected.glob("*.csv"):
        rows = list(csv.reader(file.open(newline="", encoding="utf-8")))
        if "referral_id" in rows[0]:
            column = rows[0].index("referral_id")
            with file.open("w", newline="", encoding="utf-8") as handle:
                csv.writer(handle, lineterminator="\n").writerows(r for r in rows if r[column] != gone)
    load_return([corrected], warehouse, skip_identity=True)
    after = contents()
    for table in every:
        removed = [row for row in before[table] if gone in row]
        assert after[table] == [row for row in before[table] if row not in removed], table
    assert len([row for row in before["referrals"] if gone in row]) == 1


def test_a_gap_between_years_is_refused_and_changes_nothing(years):
    warehouse = loaded(years, "gap.duckdb", [years / "ehld2018"])
    before = query(warehouse, "SELECT count(*) FROM referrals")
    with pytest.raises(DataError, match="gap from 2018-04-01 to 2019-03-31"):
        load_return([years / "ehld2020"], warehouse, skip_identity=True)
    assert query(warehouse, "SELECT count(*) FROM referrals") == before
    assert query(warehouse, "SELECT period_start, period_end FROM returns") == [
        (dt.date(2017, 4, 1), dt.date(2018, 3, 31))
    ]


def test_a_warehouse_written_before_periods_gets_them_from_its_returns_rows(years):
    warehouse = loaded(years, "old.duckdb", [years / "ehld2018"])
    con = duckdb.connect(str(warehouse))
    for table in ("children", "referrals", "assessments", "cin_plans", "s47_enquiries", "cp_plans"):
        con.execute(f"ALTER TABLE {table} DROP COLUMN source_period")
    con.execute("DROP TABLE return_periods")
    con.close()
    referrals_2018 = query(warehouse, "SELECT count(*) FROM referrals")[0][0]
    load_return([years / "ehld2019"], warehouse, skip_identity=True)
    # The 2018 rows were tagged with the LA's one period, so the 2019 census kept them.
    assert query(warehouse, "SELECT DISTINCT source_period FROM referrals ORDER BY 1") == [
        ("2017-04-01/2018-03-31",),
        ("2018-04-01/2019-03-31",),
    ]
    assert query(warehouse, "SELECT count(*) FROM referrals")[0][0] > referrals_2018
    assert query(warehouse, "SELECT period_start, period_end FROM return_periods ORDER BY 1") == [
        (dt.date(2017, 4, 1), dt.date(2018, 3, 31)),
        (dt.date(2018, 4, 1), dt.date(2019, 3, 31)),
    ]
