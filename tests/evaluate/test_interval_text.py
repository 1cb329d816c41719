"""How evaluation.md words one estimate with its interval, including one that cannot be estimated."""

from __future__ import annotations

import pandas as pd

from earlyhelp.evaluate.run import _interval


def test_a_risk_difference_is_shown_in_points_with_its_interval():
    row = pd.Series({"estimate": "-0.0412", "ci_lower": "-0.0630", "ci_upper": "-0.0194"})
    assert _interval(row, "ATT_risk_difference") == "-4.1 points (95% CI -6.3 to -1.9)"


def test_a_ratio_with_no_children_with_the_outcome_is_not_estimable_not_a_crash():
    # On tiny synthetic England no stepped-down child escalates: the risk ratio is blank.
    for blank in ("", float("nan")):
        row = pd.Series({"estimate": blank, "ci_lower": blank, "ci_upper": blank})
        assert _interval(row, "ATT_risk_ratio").startswith("not estimable")
