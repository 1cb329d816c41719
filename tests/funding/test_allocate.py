"""The grant allocation: a hand-worked three-LA example, the pieces of the method, and sum-to-pot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from earlyhelp.errors import DataError
from earlyhelp.funding.allocate import allocate, largest_remainder, need_components, sensitivity, solve_limits
from earlyhelp.funding.formula import Formula


def _inputs(**columns) -> pd.DataFrame:
    n = len(columns["children"])
    table = {"la_code": [f"E0600000{i + 1}" for i in range(n)], "cin": [10] * n, "cp": [10] * n, "cla": [10] * n}
    table.update(columns)
    return pd.DataFrame(table)


def test_hand_worked_three_la_allocation_with_a_floor_and_a_cap():
    """Pot £1,200; weights children 0.5, deprivation 0.5, interventions 0; floor -10%, cap +15%.

    children 100 / 300 / 600 -> shares 0.1 / 0.3 / 0.6
    income-deprived children = children x IDACI: 100 x 0.4 = 40, 300 x 0.1 = 30, 600 x 0.05 = 30
        -> shares 0.4 / 0.3 / 0.3
    need = 0.5 x children + 0.5 x deprivation = 0.25 / 0.30 / 0.45 -> formula amounts 300 / 360 / 540
    Current spend 400 each (total 1,200 = the pot, so the baseline is 400 each):
        floor 400 x 0.90 = 360, cap 400 x 1.15 = 460.
    A (300) is below its floor -> 360; C (540) above its cap -> 460; B takes what is left:
        1,200 - 360 - 460 = 380, which is inside [360, 460] (lambda = 380 / 360).
    Shares 0.3 / 0.31667 / 0.38333; changes against current spend -40 / -20 / +60.
    """
    inputs = _inputs(children=[100, 300, 600], idaci=[0.4, 0.1, 0.05], current_spend=[400, 400, 400])
    formula = Formula(
        pot=1200,
        data_year=202122,
        weights={"children": 0.5, "deprivation": 0.5, "interventions": 0.0},
        floor_change_pct=-10,
        cap_gain_pct=15,
    )
    result = allocate(inputs, formula)
    assert result["formula_amount"].tolist() == pytest.approx([300, 360, 540])
    assert result["amount"].tolist() == [360, 380, 460]
    assert result["share"].tolist() == pytest.approx([0.3, 380 / 1200, 460 / 1200])
    assert result["change"].tolist() == [-40, -20, 60]
    assert result["limited"].tolist() == ["floor", "", "cap"]


def test_floors_and_caps_compare_with_current_spend_scaled_to_the_pot():
    """Pot 2,400 against current spend 1,200: the baseline is 800 each, floor 720, cap 920; the formula
    amounts double (600 / 720 / 1,080), so the answer doubles: 720 / 760 / 920."""
    inputs = _inputs(children=[100, 300, 600], idaci=[0.4, 0.1, 0.05], current_spend=[400, 400, 400])
    weights = {"children": 1.0, "deprivation": 1.0, "interventions": 0.0}
    formula = Formula(pot=2400, data_year=202122, weights=weights, floor_change_pct=-10, cap_gain_pct=15)
    assert allocate(inputs, formula)["amount"].tolist() == [720, 760, 920]


def test_interventions_mix_the_shares_of_cin_cp_and_cla_with_their_weights():
    """cin 30/10 -> 0.75/0.25, cp 0/10 -> 0/1, cla 5/5 -> 0.5/0.5; weights 1, 1, 2 (sum 4):
    LA 1 = (0.75 + 0 + 2 x 0.5) / 4 = 0.4375, LA 2 = (0.25 + 1 + 2 x 0.5) / 4 = 0.5625."""
    inputs = _inputs(children=[1, 1], idaci=[0.1, 0.1], current_spend=[1, 1], cin=[30, 10], cp=[0, 10], cla=[5, 5])
    formula = Formula(
        pot=100, data_year=202122, weights={"interventions": 1.0}, interventions={"cin": 1.0, "cp": 1.0, "cla": 2.0}
    )
    assert need_components(inputs, formula)["interventions"].tolist() == pytest.approx([0.4375, 0.5625])


def test_child_poverty_counts_replace_children_x_idaci_when_the_formula_says_so():
    """Low-income children 30 and 10 -> deprivation shares 0.75 / 0.25 of £100, whatever IDACI says."""
    inputs = _inputs(children=[50, 50], idaci=[0.1, 0.9], children_low_income=[30, 10], current_spend=[1, 1])
    formula = Formula(pot=100, data_year=202122, weights={"deprivation": 1.0}, deprivation_measure="child_poverty")
    assert allocate(inputs, formula)["amount"].tolist() == [75, 25]
    assert allocate(inputs, Formula(pot=100, data_year=202122, weights={"deprivation": 1.0}))["amount"].tolist() == [
        10,
        90,
    ]


def test_area_cost_adjustment_multiplies_need_before_shares_are_taken():
    """Equal need, ACA 1.0 and 1.5: shares 1/2.5 and 1.5/2.5 of £100 = 40 and 60."""
    inputs = _inputs(children=[50, 50], idaci=[0.2, 0.2], current_spend=[10, 90])
    formula = Formula(pot=100, data_year=202122, weights={"children": 1.0}, aca={"E06000002": 1.5})
    assert allocate(inputs, formula)["amount"].tolist() == [40, 60]


def test_largest_remainder_gives_the_left_pounds_to_the_largest_fractions_then_the_earlier_la():
    # floors 3+3+3 = 9: the one pound left goes to 3.4.
    assert largest_remainder(np.array([3.4, 3.3, 3.3]), 10).tolist() == [4, 3, 3]
    # floors 2+2+5 = 9: two equal remainders of 0.5, the earlier one wins.
    assert largest_remainder(np.array([2.5, 2.5, 5.0]), 10).tolist() == [3, 2, 5]


def test_solve_limits_finds_the_scale_between_floors_and_caps():
    """Targets 1, 2, 7 (pot 10); floors 2 each, caps 5 each. LA 1 floors at 2 and LA 3 caps at 5,
    leaving 3 for LA 2 (lambda 1.5, so LA 1's 1.5 is still below its floor)."""
    result = solve_limits(np.array([1.0, 2.0, 7.0]), np.full(3, 2.0), np.full(3, 5.0), 10.0)
    assert result.tolist() == pytest.approx([2.0, 3.0, 5.0])


def test_sensitivity_counts_the_las_that_move_by_more_than_five_percent():
    """Two LAs, children 1 and 3, income-deprived 0.9 and 0.3 (shares 0.75 / 0.25); weights 1 : 1
    give needs 0.5 / 0.5. Children x 0.5 (weights 0.5 : 1): LA 1 = (0.5 x 0.25 + 0.75) / 1.5 = 0.5833,
    +16.7%; LA 2 = 0.4167, -16.7%: both move. Children x 1.5: (1.5 x 0.25 + 0.75) / 2.5 = 0.45, -10%
    and +10%: both move."""
    inputs = _inputs(children=[1, 3], idaci=[0.9, 0.1], current_spend=[1, 1])
    formula = Formula(
        pot=1_000_000, data_year=202122, weights={"children": 1.0, "deprivation": 1.0, "interventions": 0.0}
    )
    table = sensitivity(inputs, formula).set_index(["weight", "change_pct"])
    assert table.loc[("children", -50), "las_moving_over_5pct"] == 2
    assert table.loc[("children", -50), "largest_move_pct"] == pytest.approx(16.6667, abs=1e-3)
    assert table.loc[("children", 50), "largest_move_pct"] == pytest.approx(10.0, abs=1e-3)
    # A weight of 0 stays 0 at +-50%: nobody moves.
    assert table.loc[("interventions", 50), "las_moving_over_5pct"] == 0


def test_a_weighted_measure_that_every_la_lacks_is_an_error_not_a_division_by_zero():
    inputs = _inputs(children=[1, 2], idaci=[0.0, 0.0], current_spend=[1, 1])
    with pytest.raises(DataError, match="deprivation"):
        allocate(inputs, Formula(pot=10, data_year=202122, weights={"children": 1.0, "deprivation": 1.0}))
    # Unweighted, it does not matter.
    assert allocate(inputs, Formula(pot=10, data_year=202122, weights={"children": 1.0}))["amount"].sum() == 10


@st.composite
def _case(draw):
    n = draw(st.integers(1, 30))
    positive = st.floats(1, 1e6, allow_nan=False)
    inputs = pd.DataFrame(
        {
            "la_code": [f"E{i:08d}" for i in range(n)],
            "children": draw(st.lists(st.integers(1, 500_000), min_size=n, max_size=n)),
            "idaci": draw(st.lists(st.floats(0.001, 1), min_size=n, max_size=n)),
            "cin": draw(st.lists(st.integers(1, 10_000), min_size=n, max_size=n)),
            "cp": draw(st.lists(st.integers(1, 5_000), min_size=n, max_size=n)),
            "cla": draw(st.lists(st.integers(1, 5_000), min_size=n, max_size=n)),
            "current_spend": draw(st.lists(positive, min_size=n, max_size=n)),
        }
    )
    weights = {
        "children": draw(st.floats(0.01, 10)),
        "deprivation": draw(st.floats(0, 10)),
        "interventions": draw(st.floats(0, 10)),
    }
    formula = Formula(
        pot=draw(st.integers(0, 10**10)),
        data_year=202122,
        weights=weights,
        interventions={"cin": draw(st.floats(0, 5)), "cp": draw(st.floats(0, 5)), "cla": draw(st.floats(0.01, 5))},
        floor_change_pct=draw(st.none() | st.floats(-100, 0)),
        cap_gain_pct=draw(st.none() | st.floats(0, 300)),
        aca={code: draw(st.floats(0.5, 2)) for code in inputs["la_code"] if draw(st.booleans())},
    )
    return inputs, formula


@settings(max_examples=200, deadline=None)
@given(_case())
def test_the_allocation_sums_exactly_to_the_pot_and_keeps_every_la_within_its_limits(case):
    inputs, formula = case
    result = allocate(inputs, formula)
    assert int(result["amount"].sum()) == formula.pot
    assert (result["amount"] >= 0).all()
    # Whole-pound rounding moves an LA by less than £1 from its exact amount within the limits.
    assert (result["amount"] >= result["floor_amount"] - 1 - 1e-6 * result["baseline"]).all()
    assert (result["amount"] <= result["cap_amount"] + 1 + 1e-6 * result["baseline"]).all()
