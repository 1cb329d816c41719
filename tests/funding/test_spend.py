"""Real-terms early intervention spend, fifths, restore cost, and the headline figures from the shipped data."""

from __future__ import annotations

import pandas as pd
import pytest

from earlyhelp import reference
from earlyhelp.funding import spend
from earlyhelp.funding.spend import (
    deprivation_quintiles,
    ei_by_la,
    headlines,
    national_restore_cost,
    real_change_pct,
    restore_cost_by_la,
    shipped_ei_by_la,
)


@pytest.fixture
def two_las() -> pd.DataFrame:
    """Cash spend; safeguarding is not early intervention and must be left out."""
    rows = [
        ("E06000001", 201011, "sure_start_under_5s", 100.0),
        ("E06000001", 201011, "family_support_services", 50.0),
        ("E06000001", 201011, "services_for_young_people", 50.0),
        ("E06000001", 201011, "safeguarding", 999.0),
        ("E06000001", 201920, "family_support_services", 150.0),
        ("E06000001", 201920, "safeguarding", 999.0),
        ("E06000002", 201011, "sure_start_under_5s", 100.0),
        ("E06000002", 201920, "sure_start_under_5s", 90.0),
    ]
    spend_rows = pd.DataFrame(rows, columns=["la_code", "time_period", "line", "gross_spend"])
    deflators = pd.DataFrame({"time_period": [201011, 201920], "index": [80.0, 100.0]})
    population = pd.DataFrame(
        {"la_code": ["E06000001", "E06000002"] * 2, "year": [2010, 2010, 2019, 2019], "children_0_17": [10, 5, 10, 10]}
    )
    return ei_by_la(spend_rows, deflators, population, base_year=201920)


def test_real_terms_change_on_a_hand_made_two_year_two_la_table(two_las):
    """201011 at 201920 prices: LA 1 = 200 x 100/80 = 250, LA 2 = 100 x 100/80 = 125, England 375.
    201920: 150 + 90 = 240. England: 240/375 - 1 = -36%. LA 1: 150/250 - 1 = -40%; LA 2: 90/125 - 1 = -28%.
    Per child: 375/15 = 25 -> 240/20 = 12, -52%."""
    real = two_las.set_index(["la_code", "time_period"])["ei_spend_real"]
    assert real.to_dict() == pytest.approx(
        {("E06000001", 201011): 250, ("E06000001", 201920): 150, ("E06000002", 201011): 125, ("E06000002", 201920): 90}
    )
    assert real_change_pct(two_las, 201011, 201920) == pytest.approx(-36.0)
    assert real_change_pct(two_las[two_las["la_code"] == "E06000001"], 201011, 201920) == pytest.approx(-40.0)
    assert real_change_pct(two_las[two_las["la_code"] == "E06000002"], 201011, 201920) == pytest.approx(-28.0)
    assert real_change_pct(two_las, 201011, 201920, per_child=True) == pytest.approx(-52.0)


def test_restore_cost_nationally_and_per_la(two_las):
    """England: 25 per child x 20 children - 240 = 260. LA 1: 25 x 10 - 150 = 100; LA 2: 25 x 10 - 90 = 160."""
    assert national_restore_cost(two_las, 201011, 201920) == pytest.approx(260.0)
    per_la = restore_cost_by_la(two_las, 201011, 201920).set_index("la_code")["restore_cost"]
    assert per_la.to_dict() == pytest.approx({"E06000001": 100.0, "E06000002": 160.0})


def test_fifths_are_equal_numbers_of_las_by_idaci_ties_broken_by_code():
    deprivation = pd.DataFrame(
        {"la_code": [f"E0600000{i}" for i in range(10)], "idaci": [0.5, 0.1, 0.1, 0.3, 0.2, 0.9, 0.4, 0.6, 0.7, 0.8]}
    ).rename(columns={"idaci": "idaci_score"})
    fifths = deprivation_quintiles(deprivation)
    assert fifths.to_dict() == {
        "E06000001": 1, "E06000002": 1,  # 0.1, 0.1 (tie by code)
        "E06000004": 2, "E06000003": 2,  # 0.2, 0.3
        "E06000006": 3, "E06000000": 3,  # 0.4, 0.5
        "E06000007": 4, "E06000008": 4,  # 0.6, 0.7
        "E06000009": 5, "E06000005": 5,  # 0.8, 0.9
    }  # fmt: skip


@pytest.fixture(scope="module")
def shipped_headlines():
    by_la = shipped_ei_by_la()
    return {row.measure: row for row in headlines(by_la, deprivation_quintiles(reference.deprivation()))}


def test_headline_figures_are_within_10pct_of_the_published_ones_or_say_why(shipped_headlines):
    required = [
        "ei_real_change_pct_201011_201920",
        "ei_real_change_pct_201011_201920_most_deprived_fifth",
        "ei_real_change_pct_201011_201920_least_deprived_fifth",
        "restore_201011_per_child_cost_pounds",
    ]
    assert set(required) <= set(shipped_headlines)
    for row in shipped_headlines.values():
        if row.published_value is None:
            continue
        if abs(row.value - row.published_value) > 0.10 * abs(row.published_value):
            assert "Differs from the published figure by" in row.method, row.measure
        else:
            assert "Differs" not in row.method, row.measure
    # The England fall and the restore cost are within 10% outright.
    assert abs(shipped_headlines[required[0]].difference_pct) <= 10
    assert abs(shipped_headlines[required[3]].difference_pct) <= 10


def test_regression_guard_pins_the_headline_values_computed_from_the_shipped_data(shipped_headlines):
    """A regression guard, not an independent check: the values of the shipped data at the time of writing."""
    values = {measure: row.value for measure, row in shipped_headlines.items()}
    assert round(values["ei_real_change_pct_201011_201920"], 1) == -44.1
    assert round(values["ei_real_change_pct_201011_201920_most_deprived_fifth"], 1) == -50.1
    assert round(values["ei_real_change_pct_201011_201920_least_deprived_fifth"], 1) == -33.4
    assert round(values["ei_real_per_child_change_pct_201011_201920"], 1) == -47.8
    assert round(values["restore_201011_per_child_cost_pounds"] / 1e9, 2) == 1.97


def test_early_intervention_is_the_three_section_251_lines():
    assert spend.EARLY_INTERVENTION_LINES == (
        "sure_start_under_5s",
        "family_support_services",
        "services_for_young_people",
    )
    shipped = set(reference.spend().query("early_intervention")["line"])
    assert shipped == set(spend.EARLY_INTERVENTION_LINES)
