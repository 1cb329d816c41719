"""The Kaplan-Meier estimates against planted truth: exponential times to re-referral with
censoring, a real difference between two groups, and a placebo (two groups drawn alike)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from earlyhelp.journeys import survival

DAY = 365
REPLICATES = 120
CHILDREN = 300


def _closures(rng: np.random.Generator, means: dict[str, float]) -> pd.DataFrame:
    frames = []
    for group, mean in means.items():
        event = rng.exponential(mean, CHILDREN).round() + 1  # the first day after closure is day 1
        followed = rng.integers(200, 1500, CHILDREN)  # closure to the extract date
        frames.append(
            pd.DataFrame(
                {
                    "analysis": "after_assessment_closure",
                    "closure_group": group,
                    "days_followed": followed,
                    "re_referral": event,  # the first re-referral, whether or not before the extract
                    "escalation": np.nan,
                    "early_help_re_entry": np.nan,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _estimates(closures: pd.DataFrame) -> dict[str, dict]:
    internal, _ = survival.km_table(survival.curves(closures), threshold=5)
    rows = internal[(internal["outcome"] == "re_referral") & (internal["day"] == DAY)]
    return {row["group"]: row for row in rows.to_dict("records")}


@pytest.mark.slow
def test_intervals_cover_the_planted_share_and_a_placebo_shows_no_difference():
    rng = np.random.default_rng(20261203)
    # Planted: a mean time to re-referral of 600 days (stepped down) against 300 (not), so by
    # day 365 the true shares are 1 - exp(-365/600) and 1 - exp(-365/300). The placebo draws
    # both groups at 600 days.
    truth = {"stepped_down": 1 - math.exp(-DAY / 600), "closed_no_early_help": 1 - math.exp(-DAY / 300)}
    covered = {group: 0 for group in truth}
    placebo_apart = 0
    errors = {group: [] for group in truth}
    for _ in range(REPLICATES):
        planted = _estimates(_closures(rng, {"stepped_down": 600, "closed_no_early_help": 300}))
        for group, true_share in truth.items():
            row = planted[group]
            covered[group] += row["ci_lower"] <= true_share <= row["ci_upper"]
            errors[group].append(row["cumulative_incidence"] - true_share)
        placebo = _estimates(_closures(rng, {"stepped_down": 600, "closed_no_early_help": 600}))
        a, b = placebo["stepped_down"], placebo["closed_no_early_help"]
        placebo_apart += a["ci_upper"] < b["ci_lower"] or b["ci_upper"] < a["ci_lower"]
    # Day rounding (+1 day) moves the truth by well under a point; 95% intervals cover about
    # 95 times in 100: at least 88% of 120 is 4 standard errors of a binomial away from 95%.
    for group in truth:
        assert covered[group] >= 0.88 * REPLICATES, (group, covered[group])
        assert abs(np.mean(errors[group])) < 0.01, (group, np.mean(errors[group]))
    # Two 95% intervals of alike groups are disjoint far less often than 5% of the time.
    assert placebo_apart <= 0.05 * REPLICATES
    # And the planted difference (about 25 points) is seen every time.
    last = _estimates(_closures(rng, {"stepped_down": 600, "closed_no_early_help": 300}))
    assert last["stepped_down"]["ci_upper"] < last["closed_no_early_help"]["ci_lower"]
