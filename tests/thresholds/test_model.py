"""The threshold index on child-level records simulated here with known LA shifts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from earlyhelp.thresholds.model import composite, eb_shrink, fit_decision, reach_index

COVARIATES = ("age_band", "primary_need")
# Log-odds of each covariate level (the case mix the model must adjust for).
AGE_EFFECT = {"under 1": 0.8, "1-4": 0.0, "10-15": -0.6}
NEED_EFFECT = {"N1": -0.5, "N2": 0.0, "N3": 0.7}


def simulate(
    shifts: dict[str, float], per_la: int, rng: np.random.Generator, riskier: str | None = None
) -> pd.DataFrame:
    """Referrals with an ``nfa`` flag: log-odds -1 + age + need + the LA's shift. The LA named
    ``riskier`` gets mostly babies (more NFA by case mix alone)."""
    frames = []
    for code, shift in shifts.items():
        p_age = [0.7, 0.2, 0.1] if code == riskier else [0.2, 0.4, 0.4]
        age = rng.choice(list(AGE_EFFECT), size=per_la, p=p_age)
        need = rng.choice(list(NEED_EFFECT), size=per_la)
        logit = -1 + pd.Series(age).map(AGE_EFFECT).to_numpy() + pd.Series(need).map(NEED_EFFECT).to_numpy() + shift
        nfa = rng.random(per_la) < 1 / (1 + np.exp(-logit))
        frames.append(pd.DataFrame({"la_code": code, "age_band": age, "primary_need": need, "nfa": nfa}))
    return pd.concat(frames, ignore_index=True)


def _codes(n: int) -> list[str]:
    return [f"E0600{i:04d}" for i in range(n)]


def test_empirical_bayes_by_hand():
    # Weights 1 and 1, centre 0, Q = 2, denominator 2 - 2/2 = 1: tau^2 = (2 - 1) / 1 = 1, B = 1/2.
    mean, sd, tau = eb_shrink(np.array([1.0, -1.0]), np.array([1.0, 1.0]))
    assert mean == pytest.approx([0.5, -0.5])
    assert sd == pytest.approx([np.sqrt(0.5)] * 2)
    assert tau == pytest.approx(1.0)
    # No more spread than chance: everything shrinks to 0.
    mean, sd, tau = eb_shrink(np.array([0.1, -0.1, 0.0]), np.array([1.0, 1.0, 1.0]))
    assert tau == 0 and np.allclose(mean, 0) and np.allclose(sd, 0)


def test_index_ranks_planted_shifts_and_is_relative_to_england():
    shifts = dict(zip(_codes(8), [-1.2, -0.8, -0.4, -0.1, 0.1, 0.4, 0.8, 1.2], strict=True))
    records = simulate(shifts, 3000, np.random.default_rng(1))
    fit = fit_decision(records, "nfa", COVARIATES, minimum_events=5)
    assert fit is not None
    table = fit.table.set_index("la_code")
    assert spearmanr(table["index"], pd.Series(shifts))[0] == pytest.approx(1.0)
    # Equal-sized LAs with shifts symmetric about 0: England is 0 and each index is near its shift.
    assert np.allclose(table["index"], pd.Series(shifts)[table.index], atol=0.15)
    assert (table["ci_lower"] < table["index"]).all() and (table["index"] < table["ci_upper"]).all()


def test_case_mix_is_adjusted_for():
    shifts = dict.fromkeys(_codes(6), 0.0)
    records = simulate(shifts, 3000, np.random.default_rng(2), riskier=_codes(6)[0])
    crude = records.groupby("la_code")["nfa"].mean()
    assert crude.iloc[0] > crude.iloc[1:].max() + 0.05  # babies: more NFA by case mix alone
    fit = fit_decision(records, "nfa", COVARIATES, minimum_events=5)
    assert fit is not None
    assert abs(fit.table.set_index("la_code").loc[_codes(6)[0], "estimate"]) < 0.15


def test_placebo_no_la_differences():
    shifts = dict.fromkeys(_codes(20), 0.0)
    records = simulate(shifts, 1500, np.random.default_rng(3))
    fit = fit_decision(records, "nfa", COVARIATES, minimum_events=5)
    assert fit is not None
    assert np.abs(fit.table["index"]).max() < 0.1
    excluding_zero = ((fit.table["ci_lower"] > 0) | (fit.table["ci_upper"] < 0)).sum()
    assert excluding_zero <= 2


def test_signs_make_higher_mean_higher_threshold():
    # More CIN plans is a lower threshold: the LA with the positive shift gets the negative index.
    shifts = {"E06000001": -1.0, "E06000002": 0.0, "E06000003": 1.0}
    records = simulate(shifts, 3000, np.random.default_rng(4)).rename(columns={"nfa": "cin_plan"})
    fit = fit_decision(records, "cin_plan", COVARIATES, minimum_events=5)
    assert fit is not None
    table = fit.table.set_index("la_code")
    assert table.loc["E06000003", "index"] < 0 < table.loc["E06000001", "index"]


def test_las_with_too_few_events_are_not_published():
    shifts = dict.fromkeys(_codes(5), 0.0)
    records = simulate(shifts, 800, np.random.default_rng(5))
    small = records["la_code"] == _codes(5)[0]
    records.loc[small, "nfa"] = False
    records.loc[small[small].index[:4], "nfa"] = True  # 4 events, under a threshold of 5
    fit = fit_decision(records, "nfa", COVARIATES, minimum_events=5)
    assert fit is not None
    assert _codes(5)[0] not in set(fit.table["la_code"])
    assert len(fit.table) == 4


def test_composite_is_the_mean_of_the_four_decisions():
    shifts = dict(zip(_codes(4), [-0.5, 0.0, 0.2, 0.5], strict=True))
    fits = {}
    for seed, decision in enumerate(("nfa", "not_in_need", "cin_plan", "cp_plan")):
        records = simulate(shifts, 2000, np.random.default_rng(10 + seed)).rename(columns={"nfa": decision})
        fit = fit_decision(records, decision, COVARIATES, minimum_events=5)
        assert fit is not None
        fits[decision] = fit
    table = composite(fits).set_index("la_code")
    by_hand = sum(fits[d].table.set_index("la_code")["index"] for d in fits) / 4
    assert table["index"].to_numpy() == pytest.approx(by_hand[table.index].to_numpy())
    sd_by_hand = np.sqrt(sum(fits[d].table.set_index("la_code")["sd"] ** 2 for d in fits)) / 4
    assert table["sd"].to_numpy() == pytest.approx(sd_by_hand[table.index].to_numpy())


def test_reach_index_by_hand():
    activity = pd.DataFrame(
        {
            "la_code": ["A", "B", "C"],
            "children_0_17": [1000, 1000, 1000],
            "children_in_early_help": [100, 50, 3],
        }
    )
    table = reach_index(activity, minimum_events=5).set_index("la_code")
    assert "C" not in table.index  # 3 children: not published
    england = 150 / 2000
    logit_a = np.log(0.1 / 0.9)
    assert table.loc["A", "index"] == pytest.approx(-(logit_a - np.log(england / (1 - england))))
    assert table.loc["A", "index"] < 0 < table.loc["B", "index"]  # more reach, lower threshold
    assert table.loc["A", "sd"] == pytest.approx(np.sqrt(1 / 100 + 1 / 900))


@pytest.mark.slow
def test_intervals_cover_truth_at_about_the_nominal_rate():
    rng = np.random.default_rng(6)
    covered, total = 0, 0
    for _ in range(25):
        truth = rng.normal(0, 0.4, 20)
        truth -= truth.mean()
        shifts = dict(zip(_codes(20), truth, strict=True))
        records = simulate(shifts, 1000, rng)
        fit = fit_decision(records, "nfa", COVARIATES, minimum_events=5)
        assert fit is not None
        table = fit.table.set_index("la_code")
        planted = pd.Series(shifts)[table.index]
        covered += int(((table["ci_lower"] <= planted) & (planted <= table["ci_upper"])).sum())
        total += len(table)
    assert 0.88 <= covered / total <= 0.99
