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
