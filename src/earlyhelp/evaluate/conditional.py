"""A conditional-effect model for "for whom" (issue #13): econml's linear doubly robust learner.

The subgroup estimates of :mod:`.analysis` take one dimension at a time. This model takes the four
pre-stated effect modifiers together (primary need, deprivation quintile, age group, family type):
econml's ``LinearDRLearner`` forms doubly robust pseudo-outcomes from a propensity and an outcome
model (logistic, on every covariate, cross-fitted in two folds that keep families whole) and
regresses them on the modifiers, so the conditional average effect (CATE) of step-down on
re-referral within 12 months is linear in them. Each group's row is the average CATE over its
closures, with a heteroskedasticity-robust interval (econml's final stage; families are kept whole
in the folds, but the interval is not clustered on them), Bonferroni-adjusted over the groups of
its dimension. The estimand differs from the subgroup rows': the average effect over all the
group's closures, not only the stepped-down ones.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from earlyhelp.evaluate.analysis import (
    CATEGORICAL,
    SUBGROUP_OUTCOME,
    _sample_of_families,
    covariates,
    subgroup_columns,
)
from earlyhelp.evaluate.estimators import design_matrix
from earlyhelp.evaluate.truth import PROBABILITY_COLUMNS

CONDITIONAL_ANALYSIS = "step_down_conditional_effects"
# Above this many closures the model is fitted on a seeded sample of whole families: econml's
# nuisance models are dense scikit-learn fits.
CONDITIONAL_MAX_ROWS = 30_000
# Fewer stepped-down or comparison closures than this: the model is not fitted.
MIN_ARM = 200
MIN_GROUP = 50


def _method(groups: int, rows: int, sampled: bool) -> str:
    return (
        "econml LinearDRLearner (doubly robust pseudo-outcomes from logistic propensity and outcome models, "
        "2-fold cross-fitting keeping families whole; CATE linear in primary need, deprivation quintile, age "
        "group and family type); average CATE over the group's closures; heteroskedasticity-robust 95% CI "
        f"Bonferroni-adjusted over {groups} groups"
        + (f"; fitted on a random sample of whole families, {rows:,} closures, seed 0" if sampled else "")
    )


def conditional_effects(frame: pd.DataFrame, truth: pd.DataFrame | None = None) -> list[dict]:
    """One row per group of each pre-stated dimension (see the module's doc); none when econml is
    not installed or either arm has fewer than ``MIN_ARM`` closures."""
    try:
        from econml.dr import LinearDRLearner
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
    except ImportError:
        return []
    stepped = int(frame["stepped_down"].sum())
    if min(stepped, len(frame) - stepped) < MIN_ARM:
        return []
    data, numeric = covariates(frame)
    sampled = len(data) > CONDITIONAL_MAX_ROWS
    if sampled:
        data = _sample_of_families(data, CONDITIONAL_MAX_ROWS).reset_index(drop=True)
    dimensions = subgroup_columns(data)
    modifiers = design_matrix(pd.DataFrame(dimensions), [], list(dimensions))
    x = modifiers.matrix[:, 1:].toarray()  # the final stage has its own intercept
    controls = design_matrix(data, numeric, CATEGORICAL).matrix[:, 1:].toarray()
    t = data["stepped_down"].to_numpy(dtype=int)
    y = data[SUBGROUP_OUTCOME].to_numpy(dtype=int)

    def model():
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))

    learner = LinearDRLearner(
        model_propensity=model(), model_regression=model(), discrete_outcome=True, cv=2, random_state=0
    )
    with warnings.catch_warnings():
        # scikit-learn's convergence chatter on near-separated dummies; the fit stands.
        warnings.simplefilter("ignore")
        learner.fit(y, t, X=x, W=controls, groups=data["family"].to_numpy())
    rows: list[dict] = []
    for dimension, labels in dimensions.items():
        found = []
        for label in sorted(labels.unique()):
            members = (labels == label).to_numpy()
            n_treated = int(t[members].sum())
            if n_treated >= MIN_GROUP and int(members.sum()) - n_treated >= MIN_GROUP:
                found.append((label, members, n_treated))
        for label, members, n_treated in found:
            inference = learner.ate_inference(X=x[members])
            lower, upper = inference.conf_int_mean(alpha=0.05 / len(found))
            row = {
                "analysis": CONDITIONAL_ANALYSIS,
                "outcome": SUBGROUP_OUTCOME,
                "subgroup": f"{dimension}={label}",
                "estimand": "CATE_risk_difference",
                "estimate": float(np.ravel(inference.mean_point)[0]),
                "ci_lower": float(np.ravel(lower)[0]),
                "ci_upper": float(np.ravel(upper)[0]),
                "n_treated": n_treated,
                "n_comparison": int(members.sum()) - n_treated,
                "method": _method(len(found), len(data), sampled),
            }
            if truth is not None:
                row["true_value"] = _true_average_effect(data[members], truth)
            rows.append(row)
    return rows


def _true_average_effect(rows: pd.DataFrame, truth: pd.DataFrame) -> float | None:
    """Mean over ``rows`` (all closures, stepped down or not) of the planted chance of
    re-referral within 12 months with step-down minus without."""
    with_step_down, without = PROBABILITY_COLUMNS[SUBGROUP_OUTCOME]
    merged = rows[["la_code", "referral_id"]].merge(truth, on=["la_code", "referral_id"], how="left")
    difference = merged[with_step_down].to_numpy(dtype=float) - merged[without].to_numpy(dtype=float)
    return None if np.isnan(difference).any() else float(difference.mean())
