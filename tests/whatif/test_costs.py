"""The shipped unit costs: recomputed from the reference data they cite, deflated as documented."""

from __future__ import annotations

import pytest

from earlyhelp.errors import UsageError
from earlyhelp.reference import activity, deflators, published_national, spend
from earlyhelp.whatif.costs import read_unit_costs
from earlyhelp.whatif.panel import STATES


def england_2019_20() -> tuple[dict[str, float], dict[str, float]]:
    lines = spend()
    lines = lines[lines["time_period"] == 201920].groupby("line")["gross_spend"].sum()
    counts = activity()
    counts = counts[counts["time_period"] == 201920].sum(numeric_only=True)
    return lines.to_dict(), counts.to_dict()


def test_each_cost_is_the_published_spend_over_the_children_it_names():
    lines, counts = england_2019_20()
    national = published_national()
    eh_children = national[(national["figure"] == "eh_children") & (national["time_period"] == 201920)]["value"].item()
    costs = read_unit_costs().costs
    # family support services / children with early help (Action for Children's estimate, 517,000)
    assert costs["early_help_child_year"].value == pytest.approx(
        lines["family_support_services"] / eh_children, rel=0.01
    )
    # safeguarding / episodes of need open at any point
    assert costs["social_care_child_year"].value == pytest.approx(
        lines["safeguarding"] / counts["cin_episodes_anypoint"], rel=0.01
    )
    # children looked after / (looked after at 31 March + started in the year)
    assert costs["looked_after_child_year"].value == pytest.approx(
        lines["children_looked_after"] / (counts["cla_at_31_march"] + counts["cla_started"]), rel=0.01
    )
    for cost in costs.values():
        assert cost.source and cost.price_year == 201920 and cost.approximate


def test_costs_are_deflated_to_the_latest_year_of_the_deflator():
    table = read_unit_costs()
    index = deflators().set_index("time_period")["index"]
    assert table.base_year == 202122
    cost = table.costs["looked_after_child_year"]
    # real = cash x index[2021-22] / index[2019-20] = 47,840 x 100 / 92.7524
    assert cost.real_value == pytest.approx(47840 * 100 / 92.7524, rel=1e-6)
    assert index[202122] == 100.0
    simulation = table.for_simulation()
    looked_after = STATES.index("looked_after")
    assert simulation.state_year[looked_after] == pytest.approx(cost.real_value)
    both = STATES.index("closed_stepped_down")
    assert simulation.state_year[both] == pytest.approx(
        table.costs["social_care_child_year"].real_value + table.costs["early_help_child_year"].real_value
    )


def test_a_users_cost_file_is_checked(tmp_path):
    path = tmp_path / "costs.toml"
    path.write_text("[costs.a]\nvalue = 10\nprice_year = 199900\n[state_costs]\n", encoding="utf-8")
    with pytest.raises(UsageError, match="price year 199900"):
        read_unit_costs(path)
    path.write_text('[costs.a]\nvalue = 10\nprice_year = 201920\n[state_costs]\nnone = ["a"]\n', encoding="utf-8")
    with pytest.raises(UsageError, match="every state"):
        read_unit_costs(path)
