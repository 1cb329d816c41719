"""The shipped reference data: real geography, population, spend and published figures."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from earlyhelp import reference

REPO = Path(__file__).resolve().parents[2]


def test_151_upper_tier_las_in_nine_real_regions():
    las = reference.local_authorities()
    assert len(las) == 151
    assert las["la_code"].is_unique
    counts = las["region_code"].value_counts().to_dict()
    # ONS regions of England (Northamptonshire still one county in the panel).
    assert counts == {
        "E12000001": 12,
        "E12000002": 23,
        "E12000003": 15,
        "E12000004": 9,
        "E12000005": 14,
        "E12000006": 11,
        "E12000007": 33,
        "E12000008": 19,
        "E12000009": 15,
    }
    by_code = las.set_index("la_code")
    assert by_code.loc["E09000012", "region_name"] == "London"  # Hackney: Inner London -> London
    assert by_code.loc["E06000058", "region_code"] == "E12000009"  # BCP, South West
    assert by_code.loc["E06000059", "la_name"] == "Dorset"
    assert by_code.loc["E10000021", "la_name"] == "Northamptonshire"
    assert by_code.loc["E06000001", "old_la_code"] == "805"


def test_population_is_0_to_17_for_every_la_and_year(shared_reference):
    pop = reference.population()
    assert set(pop["year"]) == set(range(2010, 2023))
    assert len(pop) == 151 * 13
    # Where the ONS 0-17 estimate exists it is used as is: England mid-2019 (hand-read from the
    # national row of the CIN release's ons_mid-year_population_estimates.csv).
    total_2019 = pop[pop["year"] == 2019]["children_0_17"].sum()
    assert total_2019 == pytest.approx(12_023_570, abs=10)
    hartlepool = pop[(pop["la_code"] == "E06000001")].set_index("year")["children_0_17"]
    assert all(hartlepool > 15_000) and all(hartlepool < 25_000)


def test_spend_is_cash_and_deflators_give_2022_prices_back(shared_reference):
    with open(shared_reference / "ipse-webb-2024" / "la_panel_2010_2022.csv", newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["new_la_code"] == "E06000001" and r["time_period"] == "2016")
    real_2022 = float(row["gspend_fss"])
    sppi = float(row["sppi"])
    spend = reference.spend()
    line = spend[
        (spend["la_code"] == "E06000001")
        & (spend["time_period"] == 201516)
        & (spend["line"] == "family_support_services")
    ]
    cash = float(line["gross_spend"].iloc[0])
    assert cash == pytest.approx(real_2022 / sppi, rel=1e-6)
    assert bool(line["early_intervention"].iloc[0])
    defl = reference.deflators().set_index("time_period")["index"]
    assert defl[202122] == pytest.approx(100.0)
    assert cash * defl[202122] / defl[201516] == pytest.approx(real_2022, rel=1e-3)
    early = set(spend[spend["early_intervention"]]["line"])
    assert early == {"sure_start_under_5s", "family_support_services", "services_for_young_people"}


def test_published_national_matches_the_readme_table():
    pub = reference.published_national().set_index(["figure", "time_period"])["value"]
    assert pub[("referrals", 201920)] == 642_980
    assert pub[("re_referral_pct", 201516)] == 22.5
    assert pub[("cla_started", 201617)] == 32_940
    assert pub[("eh_children", 201920)] == 517_000
    assert ("eh_children", 201718) not in pub.index


def test_deprivation_is_an_idaci_share():
    dep = reference.deprivation()
    assert len(dep) == 151
    assert dep["idaci_score"].between(0, 1).all()


def test_derive_script_reproduces_the_shipped_files(tmp_path, shared_reference):
    subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "derive_reference.py"),
            "--shared",
            str(shared_reference),
            "--out",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    shipped = REPO / "src" / "earlyhelp" / "reference" / "data"
    for file in [*shipped.glob("*.csv"), shipped / "published_figures.parquet"]:
        assert (tmp_path / file.name).read_bytes() == file.read_bytes(), file.name
