"""The effect of early help the scenarios carry: risk ratios from `earlyhelp evaluate`, or defaults.

Read from the evaluation's ``estimates.csv``: the ATT risk ratios of step-down to early help on
re-referral within 12 months (``re_referral_12m``) and on a CIN plan, CP plan or care within 12
months (``escalation_12m``), doubly robust (AIPW) where published, else IPW, else naive. Each
replicate draws log(RR) from a normal distribution whose 95% interval is the published CI (its
standard error is (log upper - log lower) / (2 x 1.96)); the two are drawn independently, since
estimates.csv does not give their correlation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from earlyhelp.errors import UsageError

Z95 = 1.959963984540054
ANALYSIS = "step_down_vs_no_early_help"
OUTCOMES = {"re_referral": "re_referral_12m", "escalation": "escalation_12m"}
METHOD_PREFERENCE = ("AIPW", "IPW", "naive")


@dataclass(frozen=True)
class RiskRatio:
    estimate: float
    ci_lower: float
    ci_upper: float
    source: str  # where it came from, in words

    @property
    def log_se(self) -> float:
        return (math.log(self.ci_upper) - math.log(self.ci_lower)) / (2 * Z95)


# Used when no evaluation is given or it publishes no usable estimate. Assumptions, not estimates:
# a modest benefit with an interval wide enough to include no effect.
DEFAULTS = {
    "re_referral": RiskRatio(0.85, 0.70, 1.03, "default assumption (no evaluation estimate)"),
    "escalation": RiskRatio(0.90, 0.70, 1.15, "default assumption (no evaluation estimate)"),
}


@dataclass(frozen=True)
class Effects:
    re_referral: RiskRatio
    escalation: RiskRatio
    notes: tuple[str, ...]

    def sampler(self, uncertain: bool = True) -> Callable[[np.random.Generator], tuple[float, float]]:
        """Per replicate: (re-referral RR, escalation RR), drawn on the log scale (or the estimates)."""
        ratios = (self.re_referral, self.escalation)

        def draw(rng: np.random.Generator) -> tuple[float, float]:
            normals = rng.standard_normal(2)
            if not uncertain:
                return ratios[0].estimate, ratios[1].estimate
            first, second = (
                float(math.exp(math.log(r.estimate) + r.log_se * z)) for r, z in zip(ratios, normals, strict=True)
            )
            return first, second

        return draw


def read_effects(evaluation: Path | None) -> Effects:
    """The risk ratios from ``evaluation``/estimates.csv, each falling back to its default (with a note)."""
    notes: list[str] = []
    found: dict[str, RiskRatio] = {}
    if evaluation is not None:
        path = Path(evaluation) / "estimates.csv" if Path(evaluation).is_dir() else Path(evaluation)
        if not path.is_file():
            raise UsageError(
                f"--evaluation takes the folder `earlyhelp evaluate` wrote (with estimates.csv); {path} is not there."
            )
        try:
            table = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (OSError, ValueError, pd.errors.ParserError) as error:
            raise UsageError(f"Cannot read {path} as estimates.csv: {error}.") from None
        wanted = {"analysis", "outcome", "subgroup", "estimand", "estimate", "ci_lower", "ci_upper", "method"}
        if not wanted <= set(table.columns):
            raise UsageError(f"{path} is not an `earlyhelp evaluate` estimates.csv (columns missing).")
        for name, outcome in OUTCOMES.items():
            ratio = _pick(table, outcome, path)
            if ratio is None:
                notes.append(
                    f"{outcome}: no usable risk ratio in {path} (absent, suppressed or not positive); "
                    "the default assumption is used."
                )
            else:
                found[name] = ratio
    else:
        notes.append("No --evaluation given: the default risk ratios (assumptions, not estimates) are used.")
    return Effects(
        found.get("re_referral", DEFAULTS["re_referral"]), found.get("escalation", DEFAULTS["escalation"]), tuple(notes)
    )


def _pick(table: pd.DataFrame, outcome: str, path: Path) -> RiskRatio | None:
    rows = table[
        (table["analysis"] == ANALYSIS)
        & (table["outcome"] == outcome)
        & (table["subgroup"] == "all")
        & (table["estimand"] == "ATT_risk_ratio")
    ]
    for method in METHOD_PREFERENCE:
        for row in rows[rows["method"].str.split(" ").str[0] == method].itertuples():
            try:
                estimate, lower, upper = float(row.estimate), float(row.ci_lower), float(row.ci_upper)
            except ValueError:
                continue
            if 0 < lower <= estimate <= upper:
                return RiskRatio(estimate, lower, upper, f"{method} ATT risk ratio, {outcome}, from {path.name}")
    return None
