"""The LA panel's two-way fixed effects on a simulated panel with a planted spend effect."""

from __future__ import annotations

import numpy as np
import pandas as pd

from earlyhelp.evaluate.panel import fixed_effects, real_panel


def simulated_panel(per_10_pounds_cut: float, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    las, years = 60, 10
    la = np.repeat([f"L{i:02d}" for i in range(las)], years)
    year = np.tile(np.arange(2011, 2011 + years), las)
    year_shock = np.tile(rng.normal(0, 30, years), las)
    # Spend per child differs by LA and drifts down at an LA's own pace (so it is not collinear
    # with the LA or year effects). LAs that spend more have more children in care (confounding
    # in levels, which only the LA effects remove).
    la_spend = rng.normal(350, 80, las)
    la_level = np.repeat(200 + 2.0 * la_spend + rng.normal(0, 50, las), years)
    spend = np.repeat(la_spend, years) - np.repeat(rng.uniform(0, 15, las), years) * (year - 2011)
    spend += rng.normal(0, 10, las * years)
    rate = la_level + year_shock - per_10_pounds_cut * spend / 10 + rng.normal(0, 5, las * years)
    return pd.DataFrame({"la_code": la, "time_period": year * 100 + (year + 1) % 100, "rate": rate, "spend": spend})


def test_fixed_effects_recover_a_planted_spend_effect():
    value, se, n, las, years = fixed_effects(simulated_panel(1.9), "rate", "spend", [], lag=0)
    assert (n, las, years) == (600, 60, "201112-202021")
    assert abs(value - 1.9) < 2 * se
    assert se < 0.5


def test_lag_drops_each_las_first_year():
    _, _, n, _, years = fixed_effects(simulated_panel(3.0), "rate", "spend", [], lag=1)
    assert (n, years) == (540, "201213-202021")


def test_real_panel_gives_both_age_groups_with_intervals():
    estimates = {e.age_group: e for e in real_panel()}
    assert set(estimates) == {"16-17", "1-4"}
    for e in estimates.values():
        assert e.ci_lower < e.per_10_pounds_cut < e.ci_upper
        assert e.las > 140 and e.observations > 1000
