"""`evaluate(data, out)`: build the cohort, estimate, and write estimates.csv, balance.csv,
evaluation.md and two accessible SVG charts (forest plot, Kaplan-Meier curves)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from earlyhelp.errors import DataError, UsageError
from earlyhelp.publish import CONFIDENTIAL
from earlyhelp.spec.periods import time_period

ESTIMATE_COLUMNS = [
    "analysis",
    "outcome",
    "subgroup",
    "estimand",
    "estimate",
    "ci_lower",
    "ci_upper",
    "n_treated",
    "n_comparison",
    "method",
]
# Estimates from a group of fewer children than this are not published.
SMALL_GROUP = 10
DECIMALS = 4
FILES = ("estimates.csv", "balance.csv", "evaluation.md", "forest.svg", "km.svg")


@dataclass(frozen=True)
class Evaluation:
    estimates: pd.DataFrame
    files: list[Path]
    engine: str
    seconds: float


def _require_stats() -> None:
    try:
        import linearmodels  # noqa: F401  (only checking the stats extra is installed)
    except ModuleNotFoundError:
        raise UsageError(
            "`earlyhelp evaluate` needs linearmodels (the `stats` extra), which is not installed.",
            hint="Install them with: pip install 'earlyhelp[stats]' (or `make install`, which includes them).",
        ) from None


def evaluate(data: Path | str, out: Path, engine: str = "duckdb") -> Evaluation:
    """Estimate the effect of step-down to early help in ``data`` (EHLD folder or warehouse)
    and write the outputs into ``out``."""
    _require_stats()
    from earlyhelp.console import steps
    from earlyhelp.engine import create_engine
    from earlyhelp.evaluate.analysis import (
        OUTCOMES,
        for_whom_and_which_help,
        partner_outcome_effects,
        step_down_effects,
    )
    from earlyhelp.evaluate.cohort import build_cohort, is_linked
    from earlyhelp.evaluate.conditional import conditional_effects
    from earlyhelp.evaluate.truth import partner_truth, read_truth

    started = time.perf_counter()
    data = Path(data)
    from earlyhelp.evaluate import panel

    with steps("Evaluating step-down", 3 + len(OUTCOMES) + 6) as advance:
        with create_engine(engine) as database:
            cohort = build_cohort(database, data)
            panel_frame = panel.synthetic_panel_frame(database)
            period = database.sql(
                "SELECT min(period_start) AS first, max(period_end) AS last FROM returns"
            ).to_pylist()[0]
        advance("cohort")
        if cohort.empty:
            raise DataError(
                "No closed assessments in this data: no referral closed after assessment (RC8 or RC9) "
                "with 12 months of follow-up inside the return."
            )
        if not cohort["stepped_down"].any() or cohort["stepped_down"].all():
            raise DataError(
                "Every closed assessment in this data is on one side (all stepped down to early help, "
                "or none): there is nothing to compare."
            )
        truth = read_truth(data)
        result = step_down_effects(cohort, truth=truth, advance=advance)
        result.estimates += for_whom_and_which_help(cohort, truth=truth, advance=advance)
        result.estimates += conditional_effects(cohort, truth=truth)
        advance("conditional-effect model")
        if is_linked(cohort):
            partner_true = partner_truth(data) if truth is not None else None
            result.estimates += partner_outcome_effects(cohort, truth=partner_true)
        panel_estimates = panel.real_panel()
        if period["first"] is not None:
            first, last = (time_period(day.year - (day.month < 4)) for day in (period["first"], period["last"]))
            panel_estimates += panel.synthetic_panel(panel_frame, first, last)
        advance("LA panel")
        true_spend = panel.synthetic_true_values(data)
        estimates = pd.DataFrame(
            result.estimates + panel.panel_rows(panel_estimates, true_spend if truth is not None else None)
        )
        published = disclosure_controlled(estimates)
        out.mkdir(parents=True, exist_ok=True)
        published.to_csv(out / "estimates.csv", index=False)
        result.balance.round(DECIMALS).to_csv(out / "balance.csv", index=False)
        from earlyhelp.evaluate.charts import forest_svg, km_svg

        # The forest plot shows the whole-cohort estimates; subgroups are in estimates.csv and evaluation.md.
        overall = estimates[estimates["subgroup"] == "all"]
        (out / "forest.svg").write_text(forest_svg(overall), encoding="utf-8")
        (out / "km.svg").write_text(km_svg(result.survival), encoding="utf-8")
        (out / "evaluation.md").write_text(
            report_text(published, result, len(cohort), truth is not None)
            + "\n"
            + "\n".join(panel.bennett_text(panel_estimates)),
            encoding="utf-8",
        )
        advance("written")
    return Evaluation(estimates, [out / name for name in FILES], engine, time.perf_counter() - started)


def disclosure_controlled(estimates: pd.DataFrame) -> pd.DataFrame:
    """Rounded; estimates from fewer than SMALL_GROUP treated or comparison children suppressed."""
    table = estimates.copy()
    small = (table["n_treated"] < SMALL_GROUP) | (table["n_comparison"] < SMALL_GROUP)
    columns = ["estimate", "ci_lower", "ci_upper"] + (["true_value"] if "true_value" in table else [])
    for column in columns:
        table[column] = table[column].map(lambda v: "" if v is None or pd.isna(v) else f"{v:.{DECIMALS}f}")
        table.loc[small, column] = CONFIDENTIAL
    for column in ("n_treated", "n_comparison"):
        table[column] = table[column].astype(int).astype(str)
        table.loc[small, column] = CONFIDENTIAL
    return table[ESTIMATE_COLUMNS + (["true_value"] if "true_value" in table else [])]


def _interval(row: pd.Series, estimand: str) -> str:
    if row["estimate"] == CONFIDENTIAL:
        return f"{CONFIDENTIAL} (fewer than {SMALL_GROUP} children)"
    if any(str(row[c]).strip() in ("", "nan") for c in ("estimate", "ci_lower", "ci_upper")):
        # e.g. a risk ratio when no stepped-down child has the outcome: there is nothing to divide.
        return "not estimable (no child with the outcome in one group)"
    percent = estimand == "ATT_risk_difference"
    scale = 100 if percent else 1
    unit = " points" if percent else ""
    value, low, high = (float(row[c]) * scale for c in ("estimate", "ci_lower", "ci_upper"))
    digits = 1 if percent else 3 if estimand == "ATT_mean_difference" else 2
    return f"{value:.{digits}f}{unit} (95% CI {low:.{digits}f} to {high:.{digits}f})"


def report_text(published: pd.DataFrame, result, cohort_rows: int, synthetic: bool) -> str:
    """evaluation.md: every estimate with its interval and method, naive beside adjusted."""
    from earlyhelp.evaluate.analysis import ANALYSIS as STEP_DOWN_ANALYSIS
    from earlyhelp.evaluate.analysis import EVENTS_PER_COLUMN, OUTCOMES

    lines = [
        "# Step-down to early help vs closure with no early help",
        "",
        f"Cohort: {cohort_rows:,} assessments closed below the threshold (RC8/RC9) with 12 months of follow-up. "
        "Treated: early help open on the closure day or starting within 28 days (step-down). "
        "Comparison: closed with no early help. Estimand: the average effect on the stepped-down children (ATT).",
        "",
        "Covariates, all known before closure: age, sex, disability, primary need, referral source, assessment "
        "factors, prior referrals and episodes of need, siblings' prior referrals, prior child protection plan, care or early help, "
        "deprivation decile, family size, financial year, and LA (fixed effects)"
        + (
            "; and, from the linked partner records, the child's and the family's school absence in the school "
            "years before the referral, and health events and police notifications (the child's, and the "
            "family's police notifications) in the two years before it."
            if result.partner_covariates
            else ". Linked partner records (school, health, police) are not among them: "
            + (
                "these data carry no linked person_id (earlyhelp link --analytic)."
                if not result.partner_linked
                else f"too few children for their columns (fewer than {EVENTS_PER_COLUMN} in the smaller group "
                "per model column)."
            )
        ),
        "",
        "Methods: *naive* is the unadjusted difference; *IPW* weights comparison children by the odds of "
        "step-down from a logistic propensity model; *AIPW* adds a logistic outcome model (doubly robust). "
        "95% confidence intervals are cluster-robust (sandwich) on family, with LAs as fixed effects; "
        "risk ratios on the log scale. See docs/evaluate.md.",
        "",
    ]
    for outcome, (label, _) in OUTCOMES.items():
        # The whole-cohort table; "for whom" and "which help" rows have their own section.
        rows = published[
            (published["outcome"] == outcome)
            & (published["estimand"] != "hazard_ratio")
            & (published["subgroup"] == "all")
            & (published["analysis"] == STEP_DOWN_ANALYSIS)
        ]
        if rows.empty:
            continue
        lines += [f"## {label[0].upper()}{label[1:]}", ""]
        first = rows.iloc[0]
        lines.append(f"Stepped down: {first['n_treated']}; comparison: {first['n_comparison']}.")
        lines.append("")
        header = "| method | risk difference | risk ratio |" + (" true RD | true RR |" if synthetic else "")
        lines += [header, "|---|---|---|" + ("---|---|" if synthetic else "")]
        for method in rows["method"].unique():
            by = rows[(rows["method"] == method)].set_index("estimand")
            if "ATT_risk_difference" not in by.index or "ATT_risk_ratio" not in by.index:
                continue
            rd, rr = by.loc["ATT_risk_difference"], by.loc["ATT_risk_ratio"]
            line = f"| {method} | {_interval(rd, 'ATT_risk_difference')} | {_interval(rr, 'ATT_risk_ratio')} |"
            if synthetic:
                true_rd = rd.get("true_value", "")
                true_rd = f"{float(true_rd) * 100:.1f} points" if true_rd not in ("", CONFIDENTIAL) else "not known"
                true_rr = rr.get("true_value", "")
                true_rr = f"{float(true_rr):.2f}" if true_rr not in ("", CONFIDENTIAL) else "not known"
                line += f" {true_rd} | {true_rr} |"
            lines.append(line)
        lines.append("")
    cox = published[published["estimand"] == "hazard_ratio"]
    if not cox.empty:
        row = cox.iloc[0]
        lines += [
            "## Time to re-referral",
            "",
            f"Hazard ratio of step-down: {_interval(row, 'hazard_ratio')}; {row['method']}.",
            "Kaplan-Meier curves: km.svg (the comparison group also shown weighted to the stepped-down children).",
            "",
        ]
    lines += [
        "## Overlap and balance",
        "",
        "Trimming rule: children with a propensity above 0.95, treated children above the highest comparison "
        "propensity and comparison children below the lowest treated propensity are left out.",
        "",
        "| outcome | rows | trimmed (treated / comparison) | propensity, treated | propensity, comparison | largest comparison weight share |",
        "|---|---|---|---|---|---|",
    ]
    for o in result.overlap:
        lines.append(
            f"| {o['outcome']} | {o['rows']:,} | {o['trimmed_treated']} / {o['trimmed_comparison']} | "
            f"{o['treated_range'][0]:.3f} to {o['treated_range'][1]:.3f} | "
            f"{o['comparison_range'][0]:.3f} to {o['comparison_range'][1]:.3f} | {o['max_weight_share']:.4f} |"
        )
    balance = result.balance
    if not balance.empty:
        worst_before = balance["smd_before"].abs().max()
        worst_after = balance["smd_after"].abs().max()
        lines += [
            "",
            f"Standardised mean differences (balance.csv, {len(balance)} covariates): largest "
            f"{worst_before:.3f} before weighting, {worst_after:.3f} after (0.1 is the usual limit).",
        ]
    lines += _subgroup_text(published, synthetic)
    lines += [
        "",
        "## Limits",
        "",
        "The adjusted estimates are causal only if no unmeasured difference between the groups affects both "
        "step-down and the outcome. Families' underlying risk is only partly recorded, and it is likely such a "
        "difference: riskier families may be both more often stepped down and more often re-referred. The "
        "covariates above (the child's and siblings' earlier referrals, plans and care, and any linked partner "
        "records) carry only part of it; the E-value below says how strong what is left would have to be.",
        "",
        *(
            [
                "**On synthetic England this bias is planted** (unless an effects file says otherwise): "
                "children are selected into step-down partly on a latent family risk that no table records "
                "(truth/children.latent_risk), which also raises re-referral. So the adjusted estimates here "
                "are pulled towards no effect. benchmarks/evaluate.py measures by how much, how far linked "
                "partner records close the gap, and that the estimators recover the truth when selection is "
                "on recorded data only (docs/evaluate.md, Benchmark).",
                "",
            ]
            if synthetic
            else []
        ),
        *_sensitivity_text(published),
        *_partner_text(published, synthetic, result.partner_covariates),
        f"Estimates from fewer than {SMALL_GROUP} children in either group are not published ({CONFIDENTIAL}).",
    ]
    if synthetic:
        lines += [
            "",
            "True values come from synthetic England's truth/ folder and are exact for re-referral: the mean, over "
            "the stepped-down children, of the simulated chance with step-down minus the chance without "
            "(truth/step_down.parquet). Escalation has none (its chance is calibrated on referrals that have "
            "not happened at closure).",
        ]
    return "\n".join(lines) + "\n"


def e_value(ratio: float) -> float:
    """VanderWeele and Ding's E-value of a risk ratio: the smallest risk ratio an unmeasured
    confounder would need with both the treatment and the outcome to move ``ratio`` to 1."""
    if not math.isfinite(ratio) or ratio <= 0:
        return math.nan
    ratio = ratio if ratio >= 1 else 1 / ratio
    return ratio + math.sqrt(ratio * (ratio - 1))


def _sensitivity_text(published: pd.DataFrame) -> list[str]:
    """The E-value of the AIPW risk ratio of the primary outcome and of its interval's end nearer 1."""
    from earlyhelp.evaluate.analysis import ANALYSIS as STEP_DOWN_ANALYSIS

    rows = published[
        (published["analysis"] == STEP_DOWN_ANALYSIS)
        & (published["outcome"] == "re_referral_12m")
        & (published["subgroup"] == "all")
        & (published["estimand"] == "ATT_risk_ratio")
        & published["method"].astype(str).str.startswith("AIPW")
    ]
    if rows.empty or str(rows.iloc[0]["estimate"]) == CONFIDENTIAL:
        return []
    row = rows.iloc[0]
    estimate, low, high = (float(row[c]) for c in ("estimate", "ci_lower", "ci_upper"))
    nearer = 1.0 if low <= 1 <= high else (low if low > 1 else high)
    return [
        "",
        f"Sensitivity (E-value, VanderWeele and Ding 2017): an unmeasured confounder would need a risk ratio of "
        f"{e_value(estimate):.2f} with both step-down and re-referral within 12 months, beyond the covariates, to "
        f"move the AIPW risk ratio ({estimate:.2f}) to 1"
        + (
            "; its 95% interval already includes 1."
            if nearer == 1.0
            else f", and {e_value(nearer):.2f} to move its 95% interval to include 1."
        ),
        "",
    ]


def _partner_text(published: pd.DataFrame, synthetic: bool, as_covariates: bool) -> list[str]:
    """The linked partner outcomes' table, or why there is none."""
    from earlyhelp.evaluate.analysis import PARTNER_ANALYSIS, PARTNER_OUTCOMES

    rows = published[published["analysis"] == PARTNER_ANALYSIS]
    if rows.empty:
        return [
            "Partner outcomes (school absence, emergency attendances, police notifications) are estimated only "
            "when the children carry a linked person_id (earlyhelp link --analytic); these data have none, so "
            "neither those outcomes nor the partner records before the referral (covariates) are used.",
            "",
        ]
    lines = [
        "## Partner outcomes (linked school, health and police records)",
        "",
        "Step-down's effect on what partners record in the year after the closure, for children with a linked "
        "person_id"
        + (
            "; the partner records before the referral are covariates of these models and of every model above."
            if as_covariates
            else "; the partner records before the referral are not covariates (too few children for them)."
        )
        + " Counts and shares, so the effect is a difference and a ratio of means; AIPW uses a linear outcome "
        "model, and the rows come from the same trimming rule as above.",
        "",
        "| outcome | method | mean difference | rate ratio |"
        + (" true difference | true ratio |" if synthetic else ""),
        "|---|---|---|---|" + ("---|---|" if synthetic else ""),
    ]
    for outcome, label in PARTNER_OUTCOMES.items():
        chosen = rows[rows["outcome"] == outcome]
        for method in chosen["method"].unique():
            by = chosen[chosen["method"] == method].set_index("estimand")
            if "ATT_mean_difference" not in by.index or "ATT_rate_ratio" not in by.index:
                continue
            difference, ratio = by.loc["ATT_mean_difference"], by.loc["ATT_rate_ratio"]
            line = (
                f"| {label} | {str(method).split(' ')[0]} | {_interval(difference, 'ATT_mean_difference')} | "
                f"{_interval(ratio, 'ATT_rate_ratio')} |"
            )
            if synthetic:
                cells = []
                for cell in (difference, ratio):
                    true = cell.get("true_value", "")
                    cells.append("not known" if true in ("", CONFIDENTIAL) or pd.isna(true) else f"{float(true):.3f}")
                line += f" {cells[0]} | {cells[1]} |"
            lines.append(line)
    return [*lines, ""]


def _subgroup_text(published: pd.DataFrame, synthetic: bool) -> list[str]:
    """The "for whom" and "which help" tables of evaluation.md."""
    from earlyhelp.evaluate.analysis import FOR_WHOM_ANALYSIS, WHICH_HELP_ANALYSIS
    from earlyhelp.evaluate.conditional import CONDITIONAL_ANALYSIS, MIN_ARM

    lines: list[str] = []
    for analysis, title, intro in (
        (
            FOR_WHOM_ANALYSIS,
            "For whom",
            "Step-down's effect on re-referral within 12 months (AIPW, risk difference) in each group stated "
            "before any estimate was made: primary need, IDACI deprivation quintile, age group at referral and "
            "family type, and LA (la=; from the whole-cohort models, averaged within each LA). Each interval "
            "is Bonferroni-adjusted for the number of groups of its dimension (family-wise 95%); groups with "
            "fewer than 50 children on either side are not estimated.",
        ),
        (
            CONDITIONAL_ANALYSIS,
            "For whom: the conditional-effect model",
            "econml's linear doubly robust learner takes the four modifiers together: the effect of step-down "
            "(on everyone in the group, stepped down or not: a conditional average effect, CATE) is linear in "
            "primary need, deprivation quintile, age group and family type, fitted on doubly robust "
            "pseudo-outcomes with cross-fitting. Each row is the average CATE over the group's closures; "
            "intervals are Bonferroni-adjusted within each dimension. The method column says whether a sample "
            "was used.",
        ),
        (
            WHICH_HELP_ANALYSIS,
            "Which help",
            "Step-downs whose early help included each service type, against closure with no early help "
            "(AIPW, re-referral within 12 months; Bonferroni-adjusted over the service types). A family can "
            "receive several services, so the groups overlap and do not separate one service from another.",
        ),
    ):
        rows = published[published["analysis"] == analysis]
        if rows.empty:
            if analysis == CONDITIONAL_ANALYSIS:
                lines += [
                    "",
                    f"No conditional-effect model: it needs econml (the stats extra) and at least {MIN_ARM} "
                    "stepped-down and as many comparison closures.",
                ]
            continue
        lines += ["", f"## {title}", "", intro, ""]
        lines += [
            "| group | stepped down | comparison | risk difference (adjusted CI) |" + (" true |" if synthetic else ""),
            "|---|---|---|---|" + ("---|" if synthetic else ""),
        ]
        for _, row in rows.iterrows():
            line = (
                f"| {row['subgroup']} | {row['n_treated']} | {row['n_comparison']} | "
                f"{_interval(row, 'ATT_risk_difference')} |"
            )
            if synthetic:
                true = row.get("true_value", "")
                line += f" {float(true) * 100:.1f} points |" if true not in ("", CONFIDENTIAL) else " not known |"
            lines.append(line)
    return lines
