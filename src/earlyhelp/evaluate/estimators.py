"""Average effect on the treated (ATT) of a binary treatment on a binary outcome: naive, IPW, AIPW.

Everything here works on arrays, so the tests can plant an effect in a simulated cohort and check
the estimators against it. Propensity and outcome models are logistic regressions (statsmodels GLM).

Uncertainty: each estimator is written as an average of per-child influence values; the variance
is the cluster-robust (sandwich) variance of that average, summing influence values within each
family first, so children of one family (and one child's repeated closures) are not counted as
independent. LAs enter every model as fixed effects (dummies) rather than as clusters: with one
to a dozen LAs there are far too few LA clusters for a sandwich to be trusted, and families are
nested within LAs. The IPW variance includes the correction for the estimated propensity
(stacked estimating equations); AIPW's influence function needs none when either model is right.
Risk ratios get their interval on the log scale (delta method).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from scipy import sparse

Z95 = 1.959963984540054
# Propensities above this are outside common support for the ATT: a comparison child there would
# stand for more than 19 treated children, and a treated child there has almost no comparison.
PROPENSITY_CAP = 0.95
# Levels of a categorical covariate with fewer rows than this are pooled into "other", so that
# no dummy is (nearly) all treated or all comparison.
MIN_LEVEL_ROWS = 20


@dataclass(frozen=True)
class Effect:
    """One ATT, as a risk difference and a risk ratio, with 95% confidence intervals."""

    method: str
    risk_treated: float
    risk_comparison: float
    risk_difference: float
    rd_lower: float
    rd_upper: float
    risk_ratio: float
    rr_lower: float
    rr_upper: float


@dataclass(frozen=True)
class Design:
    """A model matrix (intercept first, sparse: most columns are dummies) and each column's name."""

    matrix: sparse.csr_matrix
    columns: list[str]


# A model matrix: dense, or any scipy sparse matrix (the design matrices are sparse).
Matrix: TypeAlias = Any


def _csr(x: Matrix) -> sparse.csr_matrix:
    return x.tocsr() if sparse.issparse(x) else sparse.csr_matrix(np.asarray(x, dtype=float))


def design_matrix(
    frame: pd.DataFrame, numeric: list[str], categorical: list[str], min_level_rows: int = MIN_LEVEL_ROWS
) -> Design:
    """Intercept, numeric columns as they are, and one dummy per level of each categorical column
    (the most common level is the reference; rare levels pooled). Constant columns are dropped.

    Sparse, because at England scale (about 900,000 closures and 220 columns, most of them LA and
    code dummies) a dense matrix costs 1.6 GB and every model fit a dense n x p x p product."""
    rows = len(frame)
    names = ["intercept"]
    columns: list[sparse.csc_matrix] = [sparse.csc_matrix(np.ones((rows, 1)))]
    for name in numeric:
        values = frame[name].to_numpy(dtype=float)
        if np.ptp(values) > 0:
            names.append(name)
            columns.append(sparse.csc_matrix(values.reshape(-1, 1)))
    for name in categorical:
        # pandas' hash-based factorize, not np.unique on Python strings: several seconds a column at
        # England scale. Levels sorted, so the reference level on a tie is the first in order.
        codes, uniques = pd.factorize(frame[name].astype("string").fillna("missing"), sort=True)
        labels = np.asarray(uniques, dtype=object)
        rare = np.bincount(codes, minlength=len(labels)) < min_level_rows
        if rare.any():
            labels, remap = np.unique(np.where(rare, "other", labels), return_inverse=True)
            codes = remap[codes]
        levels, counts = labels, np.bincount(codes, minlength=len(labels))
        reference = int(np.argmax(counts))
        others = [j for j in range(len(levels)) if j != reference]
        if not others:
            continue
        position = np.full(len(levels), -1)
        position[others] = np.arange(len(others))
        column = position[codes]
        present = column >= 0
        dummies = sparse.csc_matrix(
            (np.ones(int(present.sum())), (np.flatnonzero(present), column[present])), shape=(rows, len(others))
        )
        names += [f"{name}={levels[j]}" for j in others]
        columns.append(dummies)
    matrix = sparse.hstack(columns, format="csc")
    independent = _independent_columns(matrix)
    return Design(matrix[:, independent].tocsr(), [names[j] for j in independent])


def _independent_columns(matrix: sparse.csc_matrix) -> list[int]:
    """Indices of a largest set of linearly independent columns (pivoted QR of the small X'X), in
    order: a dummy that another set of dummies determines (an LA's only years) is dropped."""
    from scipy.linalg import qr

    gram = WeightedGram(matrix)(np.ones(matrix.shape[0]))
    scale = np.sqrt(np.diag(gram))
    scale = np.where(scale > 0, scale, 1.0)
    _, r, pivot = qr(gram / np.outer(scale, scale), pivoting=True)
    diagonal = np.abs(np.diag(r))
    rank = int((diagonal > 1e-10 * diagonal[0]).sum())
    return sorted(pivot[:rank].tolist())


class WeightedGram:
    """X'WX for one design and many weight vectors, fast: the dense columns (intercept, numeric
    covariates) as a small dense block multiplied by BLAS, the sparse dummy columns as a sparse
    product whose rows hold a handful of non-zeros. At England scale about three times faster than
    one sparse product over the whole design, the bulk of every Newton step."""

    def __init__(self, x: Matrix) -> None:
        design = _csr(x)
        rows, self.size = design.shape
        filled = np.bincount(design.indices, minlength=self.size)
        self.dense = np.flatnonzero(filled > rows // 4)
        self.sparse = np.flatnonzero(filled <= rows // 4)
        self.dense_block = design[:, self.dense].toarray()
        self.sparse_block = design[:, self.sparse].tocsr()
        self.sparse_transposed = self.sparse_block.T.tocsr()
        self.row_of_entry = np.repeat(np.arange(rows), np.diff(self.sparse_block.indptr))

    def __call__(self, weights: np.ndarray) -> np.ndarray:
        weighted_dense = self.dense_block * weights[:, None]
        weighted_sparse = self.sparse_block.copy()
        weighted_sparse.data = weighted_sparse.data * weights[self.row_of_entry]
        sparse_dense = self.sparse_transposed @ weighted_dense
        gram = np.empty((self.size, self.size))
        gram[np.ix_(self.dense, self.dense)] = self.dense_block.T @ weighted_dense
        gram[np.ix_(self.sparse, self.dense)] = sparse_dense
        gram[np.ix_(self.dense, self.sparse)] = sparse_dense.T
        gram[np.ix_(self.sparse, self.sparse)] = (self.sparse_transposed @ weighted_sparse).toarray()
        return gram


def logistic_fit(y: np.ndarray, x: Matrix, guess: np.ndarray | None = None) -> np.ndarray:
    """Coefficients of a logistic regression of ``y`` on ``x`` (``guess``: a guess of the linear
    predictor per row, e.g. a fit's on more rows; the start is its least-squares projection on ``x``'s
    columns, saving Newton steps, not changing the optimum): maximum likelihood by scipy's exact
    trust-region Newton method on the sparse design (gradient X'(p - y), Hessian X'WX). statsmodels'
    Logit forms the dense X'WX, which at England scale took minutes a fit; the estimates are the same
    maximum-likelihood ones. Near-separation on a rare dummy moves that coefficient far out but leaves
    the fitted probabilities, all that is used, well defined; the overlap rule trims the extremes."""
    from scipy.optimize import minimize

    design = _csr(x)
    transposed = design.T.tocsr()
    y = np.asarray(y, dtype=float)

    def negative_log_likelihood(beta: np.ndarray) -> tuple[float, np.ndarray]:
        z = design @ beta
        p = expit(z)
        return float(np.sum(np.logaddexp(0.0, z) - y * z)), transposed @ (p - y)

    gram = WeightedGram(design)
    start = np.zeros(design.shape[1])
    if guess is not None:
        try:
            start = np.linalg.solve(gram(np.ones(len(y))), transposed @ np.asarray(guess, dtype=float))
        except np.linalg.LinAlgError:
            pass

    def hessian(beta: np.ndarray) -> np.ndarray:
        p = expit(design @ beta)
        return gram(p * (1 - p))

    fitted = minimize(
        negative_log_likelihood,
        start,
        jac=True,
        hess=hessian,
        method="trust-exact",
        options={"gtol": 1e-8 * max(len(y), 1), "maxiter": 200},
    )
    return np.asarray(fitted.x)


def expit(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


def propensity(t: np.ndarray, x: Matrix) -> np.ndarray:
    """P(treated | covariates) by logistic regression."""
    return expit(_csr(x) @ logistic_fit(t, x))


def common_support(t: np.ndarray, e: np.ndarray, cap: float = PROPENSITY_CAP) -> np.ndarray:
    """Rows kept for the ATT: propensity at most ``cap``, treated children no higher than the highest
    comparison child, comparison children no lower than the lowest treated child."""
    treated, comparison = t == 1, t == 0
    if not treated.any() or not comparison.any():
        return np.zeros(len(t), dtype=bool)
    highest_comparison = e[comparison].max()
    lowest_treated = e[treated].min()
    return (e <= cap) & ~(treated & (e > highest_comparison)) & ~(comparison & (e < lowest_treated))


def cluster_codes(cluster: np.ndarray) -> np.ndarray:
    """0..k-1 for the k clusters (families) of each row. pandas' hash-based factorize: np.unique
    sorts the family labels (Python strings), over a second a call at England scale."""
    return pd.factorize(np.asarray(cluster))[0]


def _cluster_variance(influence: np.ndarray, cluster: np.ndarray) -> np.ndarray:
    """Sandwich variance of the means whose influence values are the columns of ``influence``."""
    n = influence.shape[0]
    index = cluster_codes(cluster)
    groups = int(index.max()) + 1 if len(index) else 0
    sums = np.zeros((groups, influence.shape[1]))
    np.add.at(sums, index, influence)
    correction = groups / (groups - 1) if groups > 1 else 1.0
    return correction * (sums.T @ sums) / n**2


def _effect(method: str, mu1: float, mu0: float, influence: np.ndarray, cluster: np.ndarray) -> Effect:
    """RD and RR with 95% CIs from the influence values of (mu1, mu0)."""
    v = _cluster_variance(influence, cluster)
    rd = mu1 - mu0
    rd_se = math.sqrt(max(v[0, 0] + v[1, 1] - 2 * v[0, 1], 0.0))
    if mu1 > 0 and mu0 > 0:
        gradient = np.array([1 / mu1, -1 / mu0])
        log_se = math.sqrt(max(float(gradient @ v @ gradient), 0.0))
        rr = mu1 / mu0
        rr_lower, rr_upper = rr * math.exp(-Z95 * log_se), rr * math.exp(Z95 * log_se)
    else:
        rr = rr_lower = rr_upper = math.nan
    return Effect(method, mu1, mu0, rd, rd - Z95 * rd_se, rd + Z95 * rd_se, rr, rr_lower, rr_upper)


def naive(y: np.ndarray, t: np.ndarray, cluster: np.ndarray) -> Effect:
    """Treated risk minus comparison risk, unadjusted."""
    treated = t == 1
    p1, p0 = treated.mean(), 1 - treated.mean()
    mu1, mu0 = y[treated].mean(), y[~treated].mean()
    influence = np.column_stack([treated * (y - mu1) / p1, ~treated * (y - mu0) / p0])
    return _effect("naive (unadjusted difference)", mu1, mu0, influence, cluster)


def ipw_att(
    y: np.ndarray, t: np.ndarray, x: Matrix, cluster: np.ndarray, beta: np.ndarray | None = None
) -> tuple[Effect, np.ndarray]:
    """Inverse-probability-weighted ATT: comparison children weighted by e/(1-e) (normalised).
    ``beta``: the propensity model's coefficients when already fitted on these rows.

    Returns the effect and the weights (1 for treated children) for balance checks."""
    design = _csr(x)
    beta = logistic_fit(t, design) if beta is None else beta
    e = expit(design @ beta)
    odds = np.exp(np.clip(design @ beta, -35, 35))
    comparison = (t == 0).astype(float)
    treated = t == 1
    p1 = treated.mean()
    mu1 = y[treated].mean()
    weight_mean = float(np.mean(comparison * odds))
    mu0 = float(np.sum(comparison * odds * y) / np.sum(comparison * odds))
    psi = comparison * odds * (y - mu0)
    # Correction for the estimated propensity: d psi / d beta = psi * x (odds = exp(x beta)),
    # times the influence of beta, (X'WX/n)^-1 (t - e) x; formed as a vector, never an n x p array.
    n = len(t)
    gradient = design.T @ psi / n
    information = WeightedGram(design)(e * (1 - e)) / n
    correction = (t - e) * (design @ (np.linalg.pinv(information) @ gradient))
    influence0 = (psi + correction) / weight_mean
    influence1 = treated * (y - mu1) / p1
    weights = np.where(treated, 1.0, odds)
    effect = _effect(
        "IPW (ATT weights, logistic propensity)", mu1, mu0, np.column_stack([influence1, influence0]), cluster
    )
    return effect, weights


def least_squares_fit(y: np.ndarray, x: Matrix) -> np.ndarray:
    """Coefficients of the linear regression of ``y`` on ``x`` (normal equations on the sparse
    design; a pseudo-inverse, so a column another determines costs nothing)."""
    design = _csr(x)
    return np.linalg.pinv(WeightedGram(design)(np.ones(design.shape[0]))) @ (design.T @ np.asarray(y, dtype=float))


@dataclass(frozen=True)
class AIPWTerms:
    """Per-closure pieces of the AIPW ATT: each treated child's predicted untreated risk, and each
    comparison child's weighted residual, summed in ``terms``; an average over any set of rows
    (the whole cohort, or one LA) is that set's AIPW estimate from the same two models."""

    y: np.ndarray
    treated: np.ndarray
    terms: np.ndarray
    method: str


def aipw_terms(
    y: np.ndarray, t: np.ndarray, x: Matrix, beta: np.ndarray | None = None, outcome_model: str = "logistic"
) -> AIPWTerms:
    """Fit the outcome model on the comparison children and form the AIPW terms (see
    :func:`aipw_att`)."""
    design = _csr(x)
    treated = t == 1
    e = expit(design @ (logistic_fit(t, design) if beta is None else beta))
    comparison_rows = design[np.flatnonzero(~treated)]
    if outcome_model == "linear":
        m0 = design @ least_squares_fit(y[~treated], comparison_rows)
    else:
        m0 = expit(design @ logistic_fit(y[~treated], comparison_rows))
    odds = e / (1 - e)
    method = (
        "AIPW (doubly robust; logistic propensity and outcome)"
        if outcome_model == "logistic"
        else f"AIPW (doubly robust; logistic propensity, {outcome_model} outcome)"
    )
    return AIPWTerms(y, treated, treated * m0 + ~treated * odds * (y - m0), method)


def aipw_from_terms(pieces: AIPWTerms, cluster: np.ndarray, rows: np.ndarray | None = None) -> Effect:
    """The AIPW ATT over ``rows`` (a boolean mask; all rows when None), clustered on ``cluster``."""
    y, treated, terms = pieces.y, pieces.treated, pieces.terms
    if rows is not None:
        y, treated, terms, cluster = y[rows], treated[rows], terms[rows], cluster[rows]
    p1 = treated.mean()
    mu1 = y[treated].mean()
    mu0 = float(terms.sum() / treated.sum())
    influence0 = (terms - treated * mu0) / p1
    influence1 = treated * (y - mu1) / p1
    return _effect(pieces.method, mu1, mu0, np.column_stack([influence1, influence0]), cluster)


def aipw_att(
    y: np.ndarray,
    t: np.ndarray,
    x: Matrix,
    cluster: np.ndarray,
    beta: np.ndarray | None = None,
    outcome_model: str = "logistic",
) -> Effect:
    """Doubly robust (augmented IPW) ATT: the comparison children's outcome model predicts each
    treated child's untreated risk; weighted comparison residuals correct it. ``beta``: the
    propensity model's coefficients when already fitted on these rows. ``outcome_model``:
    ``logistic`` for a yes/no outcome, ``linear`` for a count or a share."""
    return aipw_from_terms(aipw_terms(y, t, x, beta, outcome_model), cluster)


def standardised_differences(x: Matrix, columns: list[str], t: np.ndarray, weights: np.ndarray) -> pd.DataFrame:
    """Standardised mean difference of each covariate, treated vs comparison, before and after
    weighting the comparison children (denominator: the unweighted pooled standard deviation)."""
    treated = t == 1
    by_column: Any = x.tocsc() if sparse.issparse(x) else np.asarray(x)
    rows = []
    for j, name in enumerate(columns):
        if name == "intercept":
            continue
        column = by_column[:, [j]].toarray().ravel() if sparse.issparse(by_column) else by_column[:, j]
        mean_t, mean_c = column[treated].mean(), column[~treated].mean()
        mean_cw = float(np.average(column[~treated], weights=weights[~treated]))
        sd = math.sqrt((column[treated].var() + column[~treated].var()) / 2) or 1.0
        rows.append(
            {
                "covariate": name,
                "mean_treated": mean_t,
                "mean_comparison": mean_c,
                "mean_comparison_weighted": mean_cw,
                "smd_before": (mean_t - mean_c) / sd,
                "smd_after": (mean_t - mean_cw) / sd,
            }
        )
    return pd.DataFrame(rows)
