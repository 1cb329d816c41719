"""The ATT estimators on small simulated cohorts with a planted effect and planted confounding.

Each cohort is built here, not by the code under test: a covariate ``severity`` raises both the
chance of treatment and the untreated risk (confounding), families share a random effect on the
outcome (clustering), and every treated child's risk is moved by exactly ``effect`` points. So the
true ATT risk difference is ``effect`` by construction and the true risk ratio is worked out from
the planted probabilities, never from the estimators' output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from earlyhelp.evaluate.estimators import (
    WeightedGram,
    aipw_att,
    common_support,
    design_matrix,
    ipw_att,
    logistic_fit,
    naive,
    propensity,
    standardised_differences,
)


def cohort(effect: float, seed: int, families: int = 2500) -> tuple[pd.DataFrame, float]:
    """A simulated cohort and its true ATT risk ratio (the mean planted treated risk over the mean
    untreated risk of the same treated children)."""
    rng = np.random.default_rng(seed)
    size = rng.integers(1, 4, families)
    family = np.repeat(np.arange(families), size)
    n = len(family)
    family_effect = rng.normal(0, 0.6, families)[family]
    severity = rng.normal(0, 1, n)
    deprived = rng.random(n) < 0.4
    la = rng.choice(["A", "B", "C"], n, p=[0.5, 0.3, 0.2])
    la_shift = pd.Series(la).map({"A": 0.0, "B": 0.5, "C": -0.4}).to_numpy()
    p_treat = 1 / (1 + np.exp(-(-1.0 + 0.9 * severity + 0.5 * deprived + la_shift)))
    treated = rng.random(n) < p_treat
    # Untreated risk between 10% and 80% (not a logistic model: the outcome model is misspecified
    # on purpose, so the doubly robust estimator has to lean on the propensity).
    p0 = 0.1 + 0.7 / (1 + np.exp(-(-0.8 + 0.8 * severity + 0.4 * deprived + 0.3 * la_shift + family_effect)))
    p = np.where(treated, p0 + effect, p0)
    y = (rng.random(n) < p).astype(float)
    frame = pd.DataFrame(
        {
            "y": y,
            "t": treated.astype(float),
            "severity": severity,
            "deprived": deprived.astype(float),
            "la": la,
            "family": family,
        }
    )
    true_rr = float(p[treated].mean() / p0[treated].mean())
    return frame, true_rr


def estimates(frame: pd.DataFrame):
    design = design_matrix(frame, ["severity", "deprived"], ["la"])
    y, t, c = frame["y"].to_numpy(), frame["t"].to_numpy(), frame["family"].to_numpy()
    return naive(y, t, c), ipw_att(y, t, design.matrix, c)[0], aipw_att(y, t, design.matrix, c)


@pytest.mark.parametrize("effect", [-0.08, 0.05])
def test_adjusted_estimates_find_a_planted_effect_the_naive_comparison_misses(effect):
    frame, true_rr = cohort(effect, seed=11)
    crude, ipw, aipw = estimates(frame)
    for adjusted in (ipw, aipw):
        assert adjusted.rd_lower < effect < adjusted.rd_upper
        assert adjusted.rr_lower < true_rr < adjusted.rr_upper
        assert abs(adjusted.risk_difference - effect) < 0.03
    # Confounding by severity makes treated children look worse off by about 0.1 on top of the effect.
    assert crude.risk_difference - effect > 0.06
    assert not crude.rd_lower < effect < crude.rd_upper


def test_placebo_interval_covers_zero():
    frame, true_rr = cohort(0.0, seed=5)
    assert true_rr == pytest.approx(1.0)
    _, ipw, aipw = estimates(frame)
    for adjusted in (ipw, aipw):
        assert adjusted.rd_lower < 0 < adjusted.rd_upper
        assert adjusted.rr_lower < 1 < adjusted.rr_upper


@pytest.mark.slow
def test_placebo_false_positive_rate_is_near_five_percent():
    replications = 50
    false_positives = {"ipw": 0, "aipw": 0}
    for seed in range(replications):
        _, ipw, aipw = estimates(cohort(0.0, seed=1000 + seed)[0])
        false_positives["ipw"] += not ipw.rd_lower < 0 < ipw.rd_upper
        false_positives["aipw"] += not aipw.rd_lower < 0 < aipw.rd_upper
    # 5% of 50 is 2.5; 7 or more would happen by chance less than 1% of the time.
    assert false_positives["ipw"] <= 6
    assert false_positives["aipw"] <= 6


def test_weighting_balances_the_confounder():
    frame, _ = cohort(0.0, seed=3)
    design = design_matrix(frame, ["severity", "deprived"], ["la"])
    t = frame["t"].to_numpy()
    _, weights = ipw_att(frame["y"].to_numpy(), t, design.matrix, frame["family"].to_numpy())
    table = standardised_differences(design.matrix, design.columns, t, weights).set_index("covariate")
    # severity shifts treatment by 0.9 on the logit scale: a large imbalance before weighting.
    assert table.loc["severity", "smd_before"] > 0.5
    assert abs(table.loc["severity", "smd_after"]) < 0.05
    assert set(table.index) == {"severity", "deprived", "la=B", "la=C"}


def test_design_matrix_pools_rare_levels_and_drops_constant_columns():
    frame = pd.DataFrame({"need": ["N1"] * 30 + ["N2"] * 25 + ["N3"] * 3 + ["N4"] * 2, "constant": 1.0})
    design = design_matrix(frame, ["constant"], ["need"])
    assert design.columns == ["intercept", "need=N2", "need=other"]
    assert design.matrix[:, 2].sum() == 5


def test_common_support_trims_outside_the_overlap():
    t = np.array([1, 1, 1, 0, 0, 0])
    e = np.array([0.3, 0.9, 0.97, 0.1, 0.4, 0.8])
    # treated at 0.9 is above every comparison (0.8); 0.97 is above the cap; comparison at 0.1 is
    # below every treated child (0.3).
    assert common_support(t, e).tolist() == [True, False, False, False, True, True]


def test_propensity_recovers_a_known_logistic_model():
    rng = np.random.default_rng(2)
    x = np.column_stack([np.ones(20000), rng.normal(size=20000)])
    t = (rng.random(20000) < 1 / (1 + np.exp(-(-0.5 + 1.0 * x[:, 1])))).astype(float)
    e = propensity(t, x)
    true_e = 1 / (1 + np.exp(-(-0.5 + 1.0 * x[:, 1])))
    assert np.abs(e - true_e).max() < 0.03


def test_weighted_gram_matches_the_hand_formula_on_dense_and_dummy_columns() -> None:
    from scipy import sparse

    # Intercept and a numeric column (dense), two dummies each set on 2 of 8 rows (sparse block).
    x = np.array(
        [
            [1, 2.0, 1, 0],
            [1, 3.0, 0, 1],
            [1, 4.0, 0, 0],
            [1, 5.0, 1, 0],
            [1, 6.0, 0, 0],
            [1, 7.0, 0, 1],
            [1, 8.0, 0, 0],
            [1, 9.0, 0, 0],
        ]
    )
    w = np.array([0.5, 1.0, 2.0, 0.25, 1.5, 3.0, 1.0, 0.75])
    gram = WeightedGram(sparse.csr_matrix(x))
    assert list(gram.dense) == [0, 1] and list(gram.sparse) == [2, 3]
    # Worked by hand: sum w = 10; dummy 1 rows 0 and 3 (w 0.5 + 0.25), dummy 2 rows 1 and 5 (w 1 + 3).
    result = gram(w)
    assert result[0, 0] == pytest.approx(10.0)
    assert result[2, 2] == pytest.approx(0.75) and result[3, 3] == pytest.approx(4.0)
    assert result[2, 3] == 0.0 and result[3, 2] == 0.0
    assert result[1, 2] == pytest.approx(0.5 * 2 + 0.25 * 5) and result[2, 1] == result[1, 2]
    assert result[0, 3] == pytest.approx(4.0)
    np.testing.assert_allclose(result, x.T @ (w[:, None] * x))


def test_a_guessed_start_reaches_the_same_maximum_likelihood_fit() -> None:
    rng = np.random.default_rng(7)
    n = 4000
    region = rng.integers(0, 4, n)
    age = rng.normal(size=n)
    x = np.column_stack([np.ones(n), age, *(region == k for k in (1, 2, 3))]).astype(float)
    truth = np.array([-0.5, 0.8, 0.3, -0.4, 0.6])
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-x @ truth))).astype(float)
    cold = logistic_fit(y, x)
    warm = logistic_fit(y, x, guess=x @ truth)
    np.testing.assert_allclose(warm, cold, atol=1e-6)
    # The fit recovers the planted coefficients to sampling error.
    np.testing.assert_allclose(cold, truth, atol=0.25)


def test_per_la_aipw_from_shared_models_adds_up_to_the_whole_cohort_and_covers_each_las_effect():
    # Two LAs with planted ATTs of -8 and +5 points; one pair of models (LA fixed effects) for both.
    from earlyhelp.evaluate.estimators import aipw_from_terms, aipw_terms

    # cohort() plants p = p0 + effect for every treated child: the true ATT is the effect itself.
    true_first, true_second = -0.08, 0.05
    first, _ = cohort(true_first, seed=21)
    second, _ = cohort(true_second, seed=22)
    second = second.assign(la_code="LA-B", family=second["family"].astype(str) + "-B")
    first = first.assign(la_code="LA-A", family=first["family"].astype(str) + "-A")
    both = pd.concat([first, second], ignore_index=True)
    design = design_matrix(both, ["severity", "deprived"], ["la", "la_code"])
    t = both["t"].to_numpy(dtype=float)
    y = both["y"].to_numpy(dtype=float)
    cluster = both["family"].to_numpy()
    pieces = aipw_terms(y, t, design.matrix)
    whole = aipw_from_terms(pieces, cluster)
    in_a = (both["la_code"] == "LA-A").to_numpy()
    a, b = aipw_from_terms(pieces, cluster, in_a), aipw_from_terms(pieces, cluster, ~in_a)
    # By construction the whole-cohort comparison risk is the LAs' risks weighted by their
    # stepped-down children; so is the treated risk.
    share_a = t[in_a].sum() / t.sum()
    assert abs(whole.risk_comparison - (share_a * a.risk_comparison + (1 - share_a) * b.risk_comparison)) < 1e-12
    assert abs(whole.risk_treated - (share_a * a.risk_treated + (1 - share_a) * b.risk_treated)) < 1e-12
    assert a.rd_lower <= true_first <= a.rd_upper
    assert b.rd_lower <= true_second <= b.rd_upper
