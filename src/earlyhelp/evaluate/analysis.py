"""Step-down vs closure with no early help: covariates, the three estimators per outcome, survival."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from earlyhelp.evaluate.cohort import is_linked
from earlyhelp.evaluate.estimators import (
    Z95,
    AIPWTerms,
    Design,
    Effect,
    aipw_att,
    aipw_from_terms,
    aipw_terms,
    cluster_codes,
    common_support,
    design_matrix,
    expit,
    ipw_att,
    logistic_fit,
    naive,
    standardised_differences,
)
from earlyhelp.evaluate.truth import true_effects, true_probabilities

ANALYSIS = "step_down_vs_no_early_help"
# outcome column -> (label, rows it is defined on)
OUTCOMES: dict[str, tuple[str, str | None]] = {
    "re_referral_12m": ("re-referral within 12 months", None),
    "re_referral_24m": ("re-referral within 24 months", "followed_24m"),
    "escalation_12m": ("CIN plan, CP plan or care within 12 months", None),
}
NUMERIC = [
    "age",
    "age_squared",
    "prior_referrals",
    "prior_cin_episodes",
    "sibling_prior_referrals",
    "prior_cp_plan",
    "prior_care",
    "prior_early_help",
    "family_size",
    "disabled",
    "factor_count",
]
# Linked partner outcomes (issue #13), estimated when the cohort's children are linked:
# column -> label. Counts and shares, so the ATT is a difference and a ratio of means.
PARTNER_ANALYSIS = "step_down_partner_outcomes"
PARTNER_OUTCOMES: dict[str, str] = {
    "emergency_attendances_12m": "emergency attendances within 12 months",
    "police_notifications_12m": "police notifications within 12 months",
    "school_absence_share_12m": "share of school sessions missed, the school year six months on",
}
PARTNER_ESTIMANDS = ("ATT_mean_difference", "ATT_rate_ratio")
# Added to an absence share before its logarithm (a child who missed no session).
ABSENCE_FLOOR = 0.005
# Model columns the partner covariates add (see _partner_covariates).
PARTNER_COVARIATE_COLUMNS = 7
# Children in the smaller group per model column before the partner covariates are added: the
# events-per-variable rule for logistic models (Vittinghoff and McCulloch 2007 find 5 to 9 enough).
EVENTS_PER_COLUMN = 5
CATEGORICAL = ["primary_need", "referral_source", "sex", "idaci_decile", "closure_year", "la_code"]
# An assessment factor gets its own indicator when at least this share of closures records it.
FACTOR_SHARE = 0.02
SURVIVAL_DAYS = 730
# statsmodels' Cox Hessian (per stratum, einsum over risk sets) takes many minutes on England's
# 750,000 closures; above this many the hazard ratio is fitted on a random sample of families.
COX_MAX_ROWS = 100_000


@dataclass
class Result:
    """Everything the outputs are written from."""

    estimates: list[dict] = field(default_factory=list)
    balance: pd.DataFrame = field(default_factory=pd.DataFrame)
    overlap: list[dict] = field(default_factory=list)
    survival: pd.DataFrame = field(default_factory=pd.DataFrame)
    risks: list[dict] = field(default_factory=list)
    # Whether the cohort's children are linked, and whether the models took the partner covariates.
    partner_linked: bool = False
    partner_covariates: bool = False


def covariates(frame: pd.DataFrame, extra: tuple[str, ...] = ()) -> tuple[pd.DataFrame, list[str]]:
    """The cohort with model-ready covariates added, and the numeric covariate names."""
    out = frame.copy()
    out["age"] = out["age"].astype(float).fillna(out["age"].median())
    out["age_squared"] = out["age"] ** 2 / 10
    for name, cap in (
        ("prior_referrals", 5),
        ("prior_cin_episodes", 5),
        ("sibling_prior_referrals", 5),
        ("family_size", 6),
    ):
        out[name] = out[name].astype(float).fillna(0).clip(upper=cap)
    for name in ("prior_cp_plan", "prior_care", "prior_early_help", "disabled"):
        out[name] = out[name].astype("boolean").fillna(False).astype(float)
    factors = out["factors"].fillna("").str.split("|").map(lambda codes: [code for code in codes if code])
    out["factor_count"] = factors.map(len).astype(float)
    counts = pd.Series([code for codes in factors for code in codes], dtype="string").value_counts()
    common = sorted(counts[counts >= FACTOR_SHARE * len(out)].index)
    numeric = list(NUMERIC)
    if uses_partner_covariates(frame):
        numeric += _partner_covariates(out)
    for code in common:
        out[f"factor_{code}"] = factors.map(lambda codes, c=code: float(c in codes))
        numeric.append(f"factor_{code}")
    return out, numeric + list(extra)


def uses_partner_covariates(frame: pd.DataFrame) -> bool:
    """Whether the models take the linked partner covariates: when the cohort is linked and the
    smaller of its two groups has at least ``EVENTS_PER_COLUMN`` children for each model column
    with them (a logistic model with fewer separates the groups and the propensity says nothing)."""
    if not is_linked(frame) or frame.empty:
        return False
    stepped = int(frame["stepped_down"].sum())
    columns = len(NUMERIC) + PARTNER_COVARIATE_COLUMNS + sum(frame[c].nunique() for c in CATEGORICAL)
    return min(stepped, len(frame) - stepped) >= EVENTS_PER_COLUMN * columns


def _partner_covariates(out: pd.DataFrame) -> list[str]:
    """Model-ready linked partner covariates (see ``cohort.partner_sql``), added to ``out`` in place:
    absence shares on the log scale (family risk multiplies the chance of missing a session), with
    an indicator for no school record before the referral (under-fives, children not yet linked);
    event counts capped."""
    names = []
    for name in ("prior_absence_share", "family_prior_absence_share"):
        share = out[name].astype(float)
        out[f"log_{name}"] = np.log(share.fillna(0.0) + ABSENCE_FLOOR)
        out[f"no_{name}"] = share.isna().astype(float)
        names += [f"log_{name}", f"no_{name}"]
    for name in ("prior_health_events", "prior_police_notifications", "family_prior_police_notifications"):
        out[name] = out[name].astype(float).fillna(0).clip(upper=5)
        names.append(name)
    return names


def _rows(
    method: str,
    outcome: str,
    effect: Effect,
    n_treated: int,
    n_comparison: int,
    analysis: str = ANALYSIS,
    estimands: tuple[str, str] = ("ATT_risk_difference", "ATT_risk_ratio"),
) -> list[dict]:
    common = {"analysis": analysis, "outcome": outcome, "subgroup": "all", "method": method}
    counts = {"n_treated": n_treated, "n_comparison": n_comparison}
    return [
        {
            **common,
            "estimand": estimands[0],
            "estimate": effect.risk_difference,
            "ci_lower": effect.rd_lower,
            "ci_upper": effect.rd_upper,
            **counts,
        },
        {
            **common,
            "estimand": estimands[1],
            "estimate": effect.risk_ratio,
            "ci_lower": effect.rr_lower,
            "ci_upper": effect.rr_upper,
            **counts,
        },
    ]


def step_down_effects(
    frame: pd.DataFrame,
    extra_covariates: tuple[str, ...] = (),
    truth: pd.DataFrame | None = None,
    advance: Callable[[str], None] | None = None,
    survival: bool = True,
) -> Result:
    """Naive, IPW and AIPW ATTs of step-down on each outcome; balance, overlap and (unless
    ``survival`` is false, as in the benchmark) Kaplan-Meier curves and the Cox model.
    With synthetic England's ``truth`` (see :mod:`.truth`), each ATT row gets its ``true_value``."""
    data, numeric = covariates(frame, extra_covariates)
    result = Result(partner_linked=is_linked(frame), partner_covariates=uses_partner_covariates(frame))
    for outcome, (label, defined_on) in OUTCOMES.items():
        rows = data if defined_on is None else data[data[defined_on]]
        t_all = rows["stepped_down"].to_numpy(dtype=float)
        fitted = _on_common_support(rows, numeric)
        if fitted is None:
            if advance is not None:
                advance(label)
            continue
        kept, t, design, beta = fitted.kept, fitted.t, fitted.design, fitted.beta
        keep, e = fitted.keep, fitted.propensity
        y = kept[outcome].to_numpy(dtype=float)
        cluster = kept["family"].to_numpy()
        n_treated, n_comparison = int(t.sum()), int(len(t) - t.sum())
        crude = naive(y, t, cluster)
        weighted, weights = ipw_att(y, t, design.matrix, cluster, beta)
        pieces = aipw_terms(y, t, design.matrix, beta)
        robust = aipw_from_terms(pieces, cluster)
        if outcome == SUBGROUP_OUTCOME:
            result.estimates += _by_la(kept, pieces, cluster, truth)
        true = {} if truth is None else true_effects(kept[kept["stepped_down"]], truth, outcome)
        for effect in (crude, weighted, robust):
            for row in _rows(effect.method, outcome, effect, n_treated, n_comparison):
                result.estimates.append(row if truth is None else {**row, "true_value": true.get(row["estimand"])})
            result.risks.append(
                {
                    "outcome": outcome,
                    "label": label,
                    "method": effect.method,
                    "risk_treated": effect.risk_treated,
                    "risk_comparison": effect.risk_comparison,
                }
            )
        result.overlap.append(
            {
                "outcome": outcome,
                "rows": len(rows),
                "trimmed_treated": int(((t_all == 1) & ~keep).sum()),
                "trimmed_comparison": int(((t_all == 0) & ~keep).sum()),
                "treated_range": (float(e[t_all == 1].min()), float(e[t_all == 1].max())),
                "comparison_range": (float(e[t_all == 0].min()), float(e[t_all == 0].max())),
                "max_weight_share": float(weights[t == 0].max() / weights[t == 0].sum()),
            }
        )
        if outcome == "re_referral_12m" and survival:
            result.balance = standardised_differences(design.matrix, design.columns, t, weights)
            result.survival = _km_curves(kept, weights)
            cox = _cox(kept, numeric, n_treated, n_comparison)
            result.estimates.append(cox if truth is None else {**cox, "true_value": None})
        if advance is not None:
            advance(label)
    return result


@dataclass
class _Fitted:
    """The propensity model refitted on the rows of common support (see :func:`_on_common_support`)."""

    kept: pd.DataFrame
    t: np.ndarray
    design: Design
    beta: np.ndarray
    keep: np.ndarray  # over the rows given: kept or trimmed
    propensity: np.ndarray  # over the rows given, from the first fit


def _on_common_support(
    rows: pd.DataFrame, numeric: list[str], t_all: np.ndarray | None = None, least: int = 2
) -> _Fitted | None:
    """Fit the propensity of ``t_all`` (default: step-down), trim to common support and refit on the
    rows kept (so the propensity and its variance correction describe them); when nothing was
    trimmed the first fit stands (same rows, same design). None when either side has fewer than
    ``least`` rows, before or after trimming (tiny data: the propensity separates the groups)."""
    t_all = rows["stepped_down"].to_numpy(dtype=float) if t_all is None else t_all.astype(float)
    if t_all.sum() < least or (1 - t_all).sum() < least:
        return None
    design = design_matrix(rows, numeric, CATEGORICAL)
    beta = logistic_fit(t_all, design.matrix)
    linear = design.matrix @ beta
    e = expit(linear)
    keep = common_support(t_all, e)
    if keep.all():
        return _Fitted(rows, t_all, design, beta, keep, e)
    t = t_all[keep]
    if t.sum() < least or (1 - t).sum() < least:
        return None
    kept = rows[keep]
    design = design_matrix(kept, numeric, CATEGORICAL)
    # One propensity model for both weighted estimators.
    return _Fitted(kept, t, design, logistic_fit(t, design.matrix, guess=linear[keep]), keep, e)


def partner_outcome_effects(
    frame: pd.DataFrame, truth: Callable[[pd.DataFrame, str], dict] | None = None
) -> list[dict]:
    """Naive, IPW and AIPW (linear outcome model) ATTs of step-down on the linked partner
    outcomes, as mean differences and rate ratios; none when the cohort is not linked. ``truth``
    gives, for the treated rows and an outcome, the true values (synthetic England)."""
    if not is_linked(frame):
        return []
    data, numeric = covariates(frame)
    rows_out: list[dict] = []
    for outcome in PARTNER_OUTCOMES:
        fitted = _on_common_support(data[data[outcome].notna()], numeric)
        if fitted is None:
            continue
        kept, t, design, beta = fitted.kept, fitted.t, fitted.design, fitted.beta
        y = kept[outcome].to_numpy(dtype=float)
        cluster = kept["family"].to_numpy()
        effects = (
            naive(y, t, cluster),
            ipw_att(y, t, design.matrix, cluster, beta)[0],
            aipw_att(y, t, design.matrix, cluster, beta, outcome_model="linear"),
        )
        true = {} if truth is None else truth(kept[kept["stepped_down"]], outcome)
        n_treated = int(t.sum())
        for effect in effects:
            for row in _rows(
                effect.method, outcome, effect, n_treated, len(t) - n_treated, PARTNER_ANALYSIS, PARTNER_ESTIMANDS
            ):
                rows_out.append(row if truth is None else {**row, "true_value": true.get(row["estimand"])})
    return rows_out


def _time_and_status(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Days to the first new referral, censored at the end of the data or at two years."""
    horizon = np.minimum(rows["days_followed"].to_numpy(dtype=float), SURVIVAL_DAYS)
    days = rows["days_to_re_referral"].to_numpy(dtype=float)
    event = ~np.isnan(days) & (days <= horizon)
    return np.where(event, days, horizon), event.astype(float)


def _km_curves(rows: pd.DataFrame, weights: np.ndarray) -> pd.DataFrame:
    """Kaplan-Meier share not re-referred: stepped down, not stepped down, and not stepped down
    weighted to the stepped-down children's covariates (ATT weights)."""
    from statsmodels.duration.survfunc import SurvfuncRight

    time, status = _time_and_status(rows)
    treated = rows["stepped_down"].to_numpy()
    curves = []
    for group, mask, w in (
        ("stepped down to early help", treated, None),
        ("closed, no early help", ~treated, None),
        ("closed, no early help (weighted to the stepped down)", ~treated, weights[~treated]),
    ):
        fit = SurvfuncRight(time[mask], status[mask], freq_weights=w)
        # The curve runs on, flat, to the last child followed (not only to the last re-referral).
        last = fit.surv_prob[-1:] if len(fit.surv_prob) else np.array([1.0])
        days = np.concatenate([[0.0], fit.surv_times, [time[mask].max()]])
        curves.append(
            pd.DataFrame({"group": group, "day": days, "share": np.concatenate([[1.0], fit.surv_prob, last])})
        )
    return pd.concat(curves, ignore_index=True)


def _family_clustered_covariance(model, params: np.ndarray, rows: pd.DataFrame) -> np.ndarray:
    """The Lin-Wei sandwich H^-1 (sum over families of the score residuals' outer product) H^-1,
    as statsmodels' PHReg.robust_covariance computes it, but summed through a p x p product: its
    own (p, families, p) intermediate needs about 29 GB at England scale."""
    # A child censored before the stratum's first event has no score; statsmodels gives NaN (0/0).
    scores = np.nan_to_num(model.score_residuals(params))
    family = cluster_codes(rows["family"].to_numpy())
    sums = np.zeros((int(family.max()) + 1, scores.shape[1]))
    np.add.at(sums, family, scores)
    inverse_hessian = np.linalg.inv(model.hessian(params))
    return inverse_hessian @ (sums.T @ sums) @ inverse_hessian


def _cox(rows: pd.DataFrame, numeric: list[str], n_treated: int, n_comparison: int) -> dict:
    """Hazard ratio of re-referral for step-down: Cox model adjusted for the covariates, baseline
    hazard stratified by LA, robust errors clustered on family."""
    from statsmodels.duration.hazard_regression import PHReg
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    sampled = len(rows) > COX_MAX_ROWS
    if sampled:
        rows = _sample_of_families(rows, COX_MAX_ROWS)
    time, status = _time_and_status(rows)
    design = design_matrix(rows, ["stepped_down", *numeric], [c for c in CATEGORICAL if c != "la_code"])
    x = design.matrix[:, 1:].toarray()  # the baseline hazard takes the place of the intercept
    model = PHReg(time, x, status=status, strata=rows["la_code"].to_numpy(), ties="breslow")
    with warnings.catch_warnings(record=True) as raised:
        # Said in the method column, not printed: small data can leave the partial likelihood flat.
        warnings.simplefilter("always", ConvergenceWarning)
        params = model.fit().params
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in raised)
    coefficient, se = float(params[0]), math.sqrt(_family_clustered_covariance(model, params, rows)[0, 0])
    return {
        "analysis": ANALYSIS,
        "outcome": "re_referral_24m",
        "subgroup": "all",
        "estimand": "hazard_ratio",
        "estimate": math.exp(coefficient),
        "ci_lower": math.exp(coefficient - Z95 * se),
        "ci_upper": math.exp(coefficient + Z95 * se),
        "n_treated": n_treated,
        "n_comparison": n_comparison,
        "method": "Cox (covariate-adjusted, LA strata, family-clustered errors; time to re-referral up to 2 years"
        + (f"; fitted on a random sample of whole families, {len(rows):,} closures, seed 0" if sampled else "")
        + ("" if converged else "; the fit did not converge, so read this estimate with care")
        + ")",
    }


def _sample_of_families(rows: pd.DataFrame, most: int) -> pd.DataFrame:
    """Whole families drawn at random (seed 0) until about ``most`` closures: a Cox model on a random
    sample of the clusters is unbiased, only less precise, and its interval says so."""
    families = rows["family"].unique()
    order = np.random.default_rng(0).permutation(len(families))
    sizes = rows.groupby("family").size().reindex(families[order]).to_numpy()
    chosen = set(families[order][: int(np.searchsorted(np.cumsum(sizes), most)) + 1])
    return rows[rows["family"].isin(chosen)]


# "For whom": the subgroups stated before looking at any estimate (issue #13), each on the
# primary outcome, re-referral within 12 months. The intervals of each dimension are
# Bonferroni-adjusted for the number of its groups estimated (family-wise 95%).
FOR_WHOM_ANALYSIS = "step_down_for_whom"
WHICH_HELP_ANALYSIS = "which_help"
SUBGROUP_OUTCOME = "re_referral_12m"
# Fewer stepped-down or comparison children than this in a group: not estimated.
MIN_GROUP = 50
AGE_GROUPS = ((0, 5, "0-4"), (5, 10, "5-9"), (10, 16, "10-15"), (16, 19, "16-17"))


def subgroup_columns(data: pd.DataFrame) -> dict[str, pd.Series]:
    """Each pre-stated dimension: the group label of every cohort row."""
    age = data["age"].astype(float)
    age_group = pd.Series("unknown", index=data.index)
    for low, high, label in AGE_GROUPS:
        age_group[(age >= low) & (age < high)] = label
    decile = pd.to_numeric(data["idaci_decile"], errors="coerce")
    quintile = ((decile + 1) // 2).map(
        lambda q: (
            "unknown" if pd.isna(q) else f"{int(q)} ({'most' if q == 1 else 'least' if q == 5 else 'middle'} deprived)"
        )
    )
    family = (
        data["family_size"].astype(float).map(lambda size: "only child known" if size <= 1 else "with siblings known")
    )
    return {
        "primary_need": data["primary_need"].astype("string").fillna("unknown"),
        "deprivation_quintile": quintile,
        "age_group": age_group,
        "family_type": family,
    }


def _by_la(kept: pd.DataFrame, pieces: AIPWTerms, cluster: np.ndarray, truth: pd.DataFrame | None) -> list[dict]:
    """Step-down's effect on re-referral within 12 months in each LA: the whole-cohort AIPW terms
    (models with LA fixed effects) averaged within the LA, Bonferroni-adjusted over the LAs
    estimated. One fit for every LA: refitting both models in each of 150 LAs would cost minutes."""
    # Row numbers per LA from one stable sort of integer codes: a comparison of 900,000 strings
    # for each of 150 LAs costs seconds.
    codes, labels = pd.factorize(kept["la_code"], sort=True)
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(len(labels) + 1))
    found = []
    for number, code in enumerate(labels):
        rows = np.zeros(len(codes), dtype=bool)
        rows[order[starts[number] : starts[number + 1]]] = True
        n_treated = int(pieces.treated[rows].sum())
        n_comparison = int(rows.sum()) - n_treated
        if n_treated >= MIN_GROUP and n_comparison >= MIN_GROUP:
            found.append((code, rows, n_treated, n_comparison))
    # The planted chances of every kept closure, looked up once (one merge per LA against
    # England's 900,000 truth rows took over a minute).
    planted = None if truth is None or not found else true_probabilities(kept, truth, SUBGROUP_OUTCOME)
    out = []
    for code, rows, n_treated, n_comparison in found:
        effect = aipw_from_terms(pieces, cluster, rows)
        true = None
        if planted is not None:
            p1, p0 = (p[rows & pieces.treated] for p in planted)
            true = {} if np.isnan(p1).any() or np.isnan(p0).any() else _true_difference(p1, p0)
        method = (
            "AIPW from the whole-cohort models (LA fixed effects), averaged within the LA; "
            f"95% CI Bonferroni-adjusted over {len(found)} LAs"
        )
        out.append(
            _adjusted_row(
                FOR_WHOM_ANALYSIS, f"la={code}", effect, len(found), n_treated, n_comparison, true, method=method
            )
        )
    return out


def _true_difference(p1: np.ndarray, p0: np.ndarray) -> dict[str, float]:
    return {"ATT_risk_difference": float(p1.mean() - p0.mean())}


def _adjusted_row(
    analysis: str,
    subgroup: str,
    effect: Effect,
    groups: int,
    n_treated: int,
    n_comparison: int,
    true: dict | None,
    method: str | None = None,
) -> dict:
    """The risk difference with a Bonferroni-adjusted interval over ``groups`` groups."""
    from statistics import NormalDist

    z = NormalDist().inv_cdf(1 - 0.05 / (2 * max(groups, 1)))
    se = (effect.rd_upper - effect.rd_lower) / (2 * Z95)
    row = {
        "analysis": analysis,
        "outcome": SUBGROUP_OUTCOME,
        "subgroup": subgroup,
        "estimand": "ATT_risk_difference",
        "estimate": effect.risk_difference,
        "ci_lower": effect.risk_difference - z * se,
        "ci_upper": effect.risk_difference + z * se,
        "n_treated": n_treated,
        "n_comparison": n_comparison,
        "method": method or f"AIPW within the group; 95% CI Bonferroni-adjusted over {groups} groups",
    }
    return {**row, "true_value": true.get("ATT_risk_difference")} if true is not None else row


def _group_effect(
    rows: pd.DataFrame, numeric: list[str], treated: np.ndarray
) -> tuple[Effect, pd.DataFrame, int] | None:
    """AIPW ATT of ``treated`` (a boolean per row; the others are the comparison) within ``rows``."""
    fitted = _on_common_support(rows, numeric, treated, least=MIN_GROUP)
    if fitted is None:
        return None
    kept, t = fitted.kept, fitted.t
    y = kept[SUBGROUP_OUTCOME].to_numpy(dtype=float)
    effect = aipw_att(y, t, fitted.design.matrix, kept["family"].to_numpy(), fitted.beta)
    # Only the keys of the treated rows: the truth is looked up by them (a whole frame per group
    # held until every group is done costs gigabytes at England scale).
    return effect, kept.loc[t == 1, ["la_code", "referral_id"]], int((t == 0).sum())


def for_whom_and_which_help(
    frame: pd.DataFrame,
    truth: pd.DataFrame | None = None,
    advance: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> list[dict]:
    """Step-down's effect on re-referral within 12 months in each pre-stated subgroup, and of
    each early help service type (a step-down whose early help included it) against closure
    with no early help. Groups too small to estimate are left out (and so not counted).

    The groups' models are fitted ``workers`` at a time in threads (default: one per core; the
    sparse products and BLAS release the GIL), largest first; the results do not depend on it."""
    from concurrent.futures import ThreadPoolExecutor

    data, numeric = covariates(frame)
    stepped = data["stepped_down"].to_numpy(dtype=bool)
    # (analysis, dimension, subgroup label, rows, treated within the rows)
    tasks: list[tuple[str, str, str, np.ndarray, np.ndarray]] = []
    for dimension, labels in subgroup_columns(data).items():
        for label in sorted(labels.unique()):
            members = (labels == label).to_numpy()
            tasks.append((FOR_WHOM_ANALYSIS, dimension, f"{dimension}={label}", members, stepped[members]))
    services = data["services"].fillna("").str.split("|")
    for kind in sorted({kind for listed in services for kind in listed if kind}):
        received = services.map(lambda listed, k=kind: k in listed).to_numpy(dtype=bool)
        # A step-down with this service against closures with no early help.
        members = received | ~stepped
        tasks.append((WHICH_HELP_ANALYSIS, "which help", f"service_type={kind}", members, received[members]))

    # Only the columns the models read: each group's rows are copied, two groups at a time.
    model = data[[*numeric, *CATEGORICAL, SUBGROUP_OUTCOME, "family", "referral_id"]]

    def estimate(task: tuple[str, str, str, np.ndarray, np.ndarray]):
        return _group_effect(model[task[3]], numeric, task[4])

    order = sorted(range(len(tasks)), key=lambda i: -int(tasks[i][3].sum()))
    with ThreadPoolExecutor(max_workers=workers or min(os.cpu_count() or 1, 4)) as pool:
        futures = {i: pool.submit(estimate, tasks[i]) for i in order}
        rows: list[dict] = []
        dimensions = list(dict.fromkeys(task[1] for task in tasks))
        for dimension in dimensions:
            found = []
            for i, (analysis, task_dimension, subgroup, _, _) in enumerate(tasks):
                if task_dimension == dimension:
                    estimated = futures[i].result()
                    if estimated is not None:
                        found.append((analysis, subgroup, *estimated))
            for analysis, subgroup, effect, treated_rows, n_comparison in found:
                true = None if truth is None else true_effects(treated_rows, truth, SUBGROUP_OUTCOME)
                rows.append(
                    _adjusted_row(analysis, subgroup, effect, len(found), len(treated_rows), n_comparison, true)
                )
            if advance is not None:
                advance(dimension if dimension == "which help" else f"for whom: {dimension}")
    if advance is not None and "which help" not in dimensions:
        advance("which help")
    return rows
