"""Statistical neighbours: shape of the shipped table, a distance worked by hand, plausibility."""

from __future__ import annotations

import csv
import math
import subprocess
import sys

import pytest

from earlyhelp import reference
from earlyhelp.compare import CHARACTERISTICS, neighbour_characteristics, neighbour_table, statistical_neighbours

HARTLEPOOL = "E06000001"
SOUTH_TYNESIDE = "E08000023"


def test_every_la_has_ten_distinct_other_neighbours_nearest_first():
    table = neighbour_table()
    las = set(reference.local_authorities()["la_code"])
    assert set(table["la_code"]) == las
    assert set(table["neighbour_la_code"]) <= las
    for la_code, rows in table.groupby("la_code"):
        assert list(rows["rank"]) == list(range(1, 11)), la_code
        assert rows["neighbour_la_code"].is_unique, la_code
        assert la_code not in set(rows["neighbour_la_code"]), la_code
        assert list(rows["distance"]) == sorted(rows["distance"]), la_code
        assert (rows["distance"] > 0).all(), la_code


def test_nearest_neighbours_are_mostly_mutual():
    # Not symmetric by construction (a hub can be near many), but alike LAs find each other.
    table = neighbour_table()
    pairs = set(zip(table["la_code"], table["neighbour_la_code"], strict=True))
    mutual = sum((b, a) in pairs for a, b in pairs) / len(pairs)
    assert mutual > 0.5
    # The distance itself is symmetric: wherever each lists the other, both give the same figure.
    distance = {
        (a, b): d for a, b, d in zip(table["la_code"], table["neighbour_la_code"], table["distance"], strict=True)
    }
    assert all(distance[a, b] == distance[b, a] for a, b in pairs if (b, a) in pairs)


def test_characteristics_are_standardised():
    characteristics = neighbour_characteristics()
    for name in CHARACTERISTICS:
        z = characteristics[f"z_{name}"]
        assert z.mean() == pytest.approx(0, abs=1e-5), name
        assert z.std(ddof=0) == pytest.approx(1, abs=1e-4), name


def test_a_characteristic_worked_from_the_panel(shared_reference):
    # Hartlepool's CIN rate: the mean of any_cin_ep_rate_10000 over panel years 2015-2017.
    with open(shared_reference / "ipse-webb-2024" / "la_panel_2010_2022.csv", newline="") as f:
        rates = [
            float(row["any_cin_ep_rate_10000"])
            for row in csv.DictReader(f)
            if row["new_la_code"] == HARTLEPOOL and row["time_period"] in {"2015", "2016", "2017"}
        ]
    assert len(rates) == 3
    characteristics = neighbour_characteristics().set_index("la_code")
    assert characteristics.loc[HARTLEPOOL, "cin_rate_per_10k"] == pytest.approx(sum(rates) / 3, abs=1e-6)


def test_hartlepool_to_south_tyneside_by_hand():
    # z-scores as shipped, in CHARACTERISTICS order; every weight is 1.
    hartlepool = [1.733018, 0.740919, -1.321673, 1.003657, 1.336302, -1.051688]
    south_tyneside = [1.468789, 0.768557, -0.865245, 1.439874, 1.1207, -0.893092]
    characteristics = neighbour_characteristics().set_index("la_code")
    columns = [f"z_{name}" for name in CHARACTERISTICS]
    assert list(characteristics.loc[HARTLEPOOL, columns]) == hartlepool
    assert list(characteristics.loc[SOUTH_TYNESIDE, columns]) == south_tyneside
    by_hand = math.sqrt(sum((a - b) ** 2 for a, b in zip(hartlepool, south_tyneside, strict=True)))
    assert by_hand == pytest.approx(0.7354, abs=5e-5)
    first = statistical_neighbours(HARTLEPOOL).iloc[0]
    assert (first["la_code"], first["distance"]) == (SOUTH_TYNESIDE, pytest.approx(by_hand, abs=5e-5))


def test_hartlepools_neighbours_are_deprived_northern_authorities():
    neighbours = statistical_neighbours("Hartlepool")
    assert len(neighbours) == 10
    assert neighbours["region_name"].isin(["North East", "North West", "Yorkshire and The Humber"]).sum() >= 8
    # Six of DfE's own (NFER) ten for Hartlepool, as its council lists them.
    dfe = {"Redcar and Cleveland", "Halton", "North East Lincolnshire", "South Tyneside", "Sunderland", "St. Helens"}
    assert dfe <= set(neighbours["la_name"])
    deprivation = reference.deprivation().set_index("la_code")["idaci_score"]
    assert (deprivation[list(neighbours["la_code"])] > deprivation.median()).all()


def test_k_and_names():
    assert list(statistical_neighbours("805", k=3)["rank"]) == [1, 2, 3]
    with pytest.raises(ValueError):
        statistical_neighbours(HARTLEPOOL, k=11)


def _earlyhelp(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from earlyhelp.cli import run; run()", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_command_prints_names_and_distances():
    result = _earlyhelp("neighbours", "--la", "hartlepool")
    assert result.returncode == 0, result.stderr
    assert "Hartlepool (E06000001, DfE 805, North East)" in result.stdout
    assert "South Tyneside" in result.stdout and "0.7354" in result.stdout


def test_command_writes_csv():
    result = _earlyhelp("neighbours", "--la", "805", "--csv", "-k", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "rank,la_code,la_name,region_name,distance"
    assert lines[1] == "1,E08000023,South Tyneside,North East,0.7354"
    assert len(lines) == 3


def test_command_unknown_la_is_a_usage_error_with_close_matches():
    result = _earlyhelp("neighbours", "--la", "Hartlepol")
    assert result.returncode == 2
    assert "Did you mean Hartlepool (E06000001, 805)?" in result.stderr
    assert "Traceback" not in result.stderr
