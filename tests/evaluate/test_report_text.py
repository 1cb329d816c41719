"""evaluation.md's whole-cohort tables read only the whole-cohort rows: a subgroup row with a risk
difference but no risk ratio (as "which help" gives at England scale) must not stop the command."""

from __future__ import annotations

import pandas as pd

from earlyhelp.evaluate.analysis import Result
from earlyhelp.evaluate.run import report_text


def _row(analysis, subgroup, estimand, estimate, method="AIPW"):
    return {
        "analysis": analysis,
        "outcome": "re_referral_12m",
        "subgroup": subgroup,
        "estimand": estimand,
        "estimate": estimate,
        "ci_lower": estimate,
        "ci_upper": estimate,
        "n_treated": "100",
        "n_comparison": "400",
        "method": method,
    }


def test_subgroup_rows_without_a_risk_ratio_do_not_break_the_whole_cohort_table():
    published = pd.DataFrame(
        [
            _row("step_down_vs_no_early_help", "all", "ATT_risk_difference", "-0.0500"),
            _row("step_down_vs_no_early_help", "all", "ATT_risk_ratio", "0.8000"),
            _row("which_help", "service=parenting", "ATT_risk_difference", "-0.0300"),
        ]
    )
    text = report_text(published, Result(), 500, synthetic=False)
    # Worked by hand: -0.05 is -5.0 points and the ratio 0.80, in one whole-cohort row.
    assert text.count("| AIPW | -5.0 points (95% CI -5.0 to -5.0) | 0.80 (95% CI 0.80 to 0.80) |") == 1


def test_e_values_worked_by_hand():
    from earlyhelp.evaluate.run import e_value

    # RR 0.6: RR* = 1/0.6 = 5/3; E = 5/3 + sqrt(5/3 x 2/3) = 1.6667 + 1.0541 = 2.7208.
    assert abs(e_value(0.6) - 2.7208) < 1e-4
    # RR 2: 2 + sqrt(2) = 3.4142; RR 1 needs no confounder at all.
    assert abs(e_value(2.0) - 3.4142) < 1e-4
    assert e_value(1.0) == 1.0


def test_the_sensitivity_sentence_gives_the_estimate_and_the_interval_end_nearer_one():
    ratio = _row("step_down_vs_no_early_help", "all", "ATT_risk_ratio", "0.6000")
    ratio.update(ci_lower="0.5000", ci_upper="0.8000")
    published = pd.DataFrame([ratio])
    text = report_text(published, Result(), 500, synthetic=False)
    # 0.8: RR* 1.25, E = 1.25 + sqrt(1.25 x 0.25) = 1.8090.
    assert "risk ratio of 2.72 with both step-down and re-referral" in text
    assert "and 1.81 to move its 95% interval to include 1" in text


def test_without_linked_children_the_text_says_partner_records_are_not_used():
    text = report_text(
        pd.DataFrame([_row("step_down_vs_no_early_help", "all", "ATT_risk_difference", "-0.05")]),
        Result(),
        500,
        synthetic=False,
    )
    assert "these data carry no linked person_id" in text
    assert "## Partner outcomes" not in text
