"""The threshold index: case-mix-adjusted LA effects on each threshold decision, shrunk by empirical Bayes.

For each decision, a logistic regression of the decision on the child's covariates with one fixed
effect per LA, fitted by maximum likelihood on the records collapsed to cells (every combination
of LA and covariates with its events and trials: the binomial likelihood is exactly that of the
child-level records, and England's millions of referrals become a few hundred thousand rows).
Each LA's effect is taken relative to the referral-weighted average LA ("England"), then shrunk
towards 0 by empirical Bayes: the between-LA variance tau^2 is estimated by the method of moments
(DerSimonian-Laird) and each LA's estimate d with standard error s becomes the posterior mean
B d with posterior SD sqrt(B) s, B = tau^2 / (tau^2 + s^2). This is the normal approximation to a
multilevel logistic model with LA random intercepts, with intervals that cover at their nominal
rate on average over LAs (tests/thresholds), where variational Bayes (statsmodels'
BinomialBayesMixedGLM) is known to understate posterior SDs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.stats import norm

# The decisions that express a threshold, and the sign that makes a higher index a higher
# threshold: more no-further-action and not-in-need decisions; fewer step-downs, plans.
SIGNS: dict[str, int] = {"nfa": 1, "not_in_need": 1, "step_down": -1, "cin_plan": -1, "cp_plan": -1}
DESCRIPTIONS: dict[str, str] = {
    "nfa": "referral closed as no further action (of referrals)",
    "not_in_need": "assessed as not in need (of referrals assessed)",
    "step_down": "stepped down to early help (of closures after assessment); fewer = higher",
    "cin_plan": "child in need plan (of episodes of need without a CP plan); fewer = higher",
    "cp_plan": "child protection plan (of episodes of need); fewer = higher",
    "eh_reach": "children in early help (of children 0-17, not case-mix adjusted); fewer = higher",
    "threshold": "the social care threshold: mean of nfa, not_in_need, cin_plan and cp_plan",
}
# The composite: the decisions at the social care front door and after assessment.
THRESHOLD_DECISIONS = ("nfa", "not_in_need", "cin_plan", "cp_plan")
Z95 = float(norm.ppf(0.975))


@dataclass(frozen=True)
class DecisionFit:
    decision: str
    # la_code, events, trials, observed, expected, estimate, se, index, sd, ci_lower, ci_upper
    table: pd.DataFrame
    tau: float
    england_rate: float


def collapse(records: pd.DataFrame, decision: str, covariates: tuple[str, ...]) -> pd.DataFrame:
    """Cells of (la_code, covariates) with the decision's events and trials."""
    at_risk = records[records[decision].notna()]
    flags = at_risk[decision].astype(bool).astype(int)
    grouped = flags.groupby([at_risk["la_code"], *[at_risk[c] for c in covariates]])
    cells = grouped.agg(events="sum", trials="count").reset_index()
    return cells


def _pooled_levels(cells: pd.DataFrame, covariates: tuple[str, ...], minimum: int = 5) -> pd.DataFrame:
    """Levels with too few events or non-events to estimate (separation) join an 'other' level."""
    cells = cells.copy()
    for column in covariates:
        totals = cells.groupby(column)[["events", "trials"]].sum()
        thin = totals.index[(totals["events"] < minimum) | (totals["trials"] - totals["events"] < minimum)]
        if len(thin):
            cells[column] = cells[column].where(~cells[column].isin(thin), "other")
    return cells


def _design(cells: pd.DataFrame, covariates: tuple[str, ...], las: list[str] | None) -> pd.DataFrame:
    parts = [pd.Series(1.0, index=cells.index, name="const")]
    for column in covariates:
        dummies = pd.get_dummies(cells[column].astype(str), prefix=column, drop_first=True, dtype=float)
        dummies = dummies.loc[:, dummies.std() > 0]
        parts.append(dummies)
    if las is not None:
        for code in las[1:]:
            parts.append(pd.Series((cells["la_code"] == code).astype(float), name=f"la_{code}"))
    return pd.concat(parts, axis=1)


def _fit(cells: pd.DataFrame, design: pd.DataFrame):
    endog = np.column_stack([cells["events"], cells["trials"] - cells["events"]])
    with warnings.catch_warnings():
        # Cells with no events are routine; statsmodels warns about them as possible separation.
        warnings.simplefilter("ignore")
        return sm.GLM(endog, design, family=sm.families.Binomial()).fit()


def eb_shrink(estimate: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Posterior means and SDs of LA effects ``estimate`` (standard errors ``se``) under a normal
    prior N(0, tau^2) with tau^2 by DerSimonian-Laird; returns (mean, sd, tau)."""
    weight = 1 / se**2
    centre = np.sum(weight * estimate) / np.sum(weight)
    q = np.sum(weight * (estimate - centre) ** 2)
    denominator = np.sum(weight) - np.sum(weight**2) / np.sum(weight)
    tau2 = max(0.0, (q - (len(estimate) - 1)) / denominator) if denominator > 0 else 0.0
    factor = tau2 / (tau2 + se**2)
    return factor * estimate, np.sqrt(factor) * se, float(np.sqrt(tau2))


def fit_decision(
    records: pd.DataFrame, decision: str, covariates: tuple[str, ...], minimum_events: int
) -> DecisionFit | None:
    """The index of every LA with at least ``minimum_events`` events and non-events of the decision
    (an LA with fewer is neither modelled nor published); None when fewer than two LAs qualify."""
    cells = collapse(records, decision, covariates)
    by_la = cells.groupby("la_code")[["events", "trials"]].sum()
    enough = by_la.index[(by_la["events"] >= minimum_events) & (by_la["trials"] - by_la["events"] >= minimum_events)]
    cells = cells[cells["la_code"].isin(enough)].reset_index(drop=True)
    las = sorted(enough)
    if len(las) < 2:
        return None
    cells = _pooled_levels(cells, covariates)
    fitted = _fit(cells, _design(cells, covariates, las))
    names = [f"la_{code}" for code in las[1:]]
    beta = np.concatenate([[0.0], fitted.params[names].to_numpy()])
    covariance = np.zeros((len(las), len(las)))
    covariance[1:, 1:] = fitted.cov_params().loc[names, names].to_numpy()
    trials = by_la.loc[las, "trials"].to_numpy(float)
    weights = trials / trials.sum()
    # Relative to the referral-weighted average LA: contrast C = I - 1 w'.
    contrast = np.eye(len(las)) - np.outer(np.ones(len(las)), weights)
    estimate = contrast @ beta
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", contrast, covariance, contrast), 1e-12))
    sign = SIGNS[decision]
    shrunk, sd, tau = eb_shrink(sign * estimate, se)
    # Expected events with no LA effect (covariates only), for the funnel plot.
    pooled = _fit(cells, _design(cells, covariates, None))
    cells["expected"] = pooled.predict() * cells["trials"]
    expected = cells.groupby("la_code")["expected"].sum().loc[las].to_numpy()
    events = by_la.loc[las, "events"].to_numpy(float)
    table = pd.DataFrame(
        {
            "la_code": las,
            "events": events.astype(int),
            "trials": trials.astype(int),
            "observed": events / trials,
            "expected": expected / trials,
            "estimate": sign * estimate,
            "se": se,
            "index": shrunk,
            "sd": sd,
            "ci_lower": shrunk - Z95 * sd,
            "ci_upper": shrunk + Z95 * sd,
        }
    )
    return DecisionFit(decision, table, tau, float(events.sum() / trials.sum()))


def composite(fits: dict[str, DecisionFit]) -> pd.DataFrame:
    """The social care threshold: the mean of the signed indices of THRESHOLD_DECISIONS, for LAs
    that have all of them; its SD treats the decisions' errors as independent (different records)."""
    parts = [fits[d].table.set_index("la_code")[["index", "sd"]] for d in THRESHOLD_DECISIONS if d in fits]
    if len(parts) < len(THRESHOLD_DECISIONS):
        return pd.DataFrame(columns=["la_code", "index", "sd", "ci_lower", "ci_upper"])
    joined = pd.concat(parts, axis=1, join="inner", keys=THRESHOLD_DECISIONS)
    index = sum(joined[(d, "index")] for d in THRESHOLD_DECISIONS) / len(THRESHOLD_DECISIONS)
    sd = np.sqrt(sum(joined[(d, "sd")] ** 2 for d in THRESHOLD_DECISIONS)) / len(THRESHOLD_DECISIONS)
    table = pd.DataFrame({"index": index, "sd": sd})
    table["ci_lower"] = table["index"] - Z95 * table["sd"]
    table["ci_upper"] = table["index"] + Z95 * table["sd"]
    return table.rename_axis("la_code").reset_index()


def reach_index(activity: pd.DataFrame, minimum_events: int) -> pd.DataFrame:
    """Early help reach as a threshold index: minus the log-odds of a child being in early help,
    relative to all LAs together, with a Wald interval (not case-mix adjusted: children in the
    population, not referrals, are at risk)."""
    table = activity[
        (activity["children_in_early_help"] >= minimum_events)
        & (activity["children_0_17"] > activity["children_in_early_help"])
    ].copy()
    if table.empty:
        return pd.DataFrame(columns=["la_code", "index", "sd", "ci_lower", "ci_upper"])
    events = table["children_in_early_help"].to_numpy(float)
    trials = table["children_0_17"].to_numpy(float)
    rate = events / trials
    england = events.sum() / trials.sum()
    logit = np.log(rate / (1 - rate))
    table["index"] = -(logit - np.log(england / (1 - england)))
    table["sd"] = np.sqrt(1 / events + 1 / (trials - events))
    table["ci_lower"] = table["index"] - Z95 * table["sd"]
    table["ci_upper"] = table["index"] + Z95 * table["sd"]
    return table[["la_code", "index", "sd", "ci_lower", "ci_upper"]].reset_index(drop=True)
