"""The true effect of step-down in synthetic England, from its ``truth/`` folder.

Synthetic England multiplies a stepped-down child's chance of a new referral within 12 months by
``re_referral_rr_12m`` and within 12-24 months by ``re_referral_rr_24m`` (per closure, in
``truth/step_down.parquet``). It does not record the probabilities themselves, so the untreated
risk of the treated children is recovered from their outcomes: a treated child re-referred in the
first year counts 1/rr12 untreated re-referrals in expectation (and in the second year 1/rr24).
The "true" ATT is then the treated children's observed risk minus that, an unbiased but noisy
(sampling error of the treated group only) and approximate value: referrals by other routes and
the simulator's caps on probabilities are ignored. Escalation has no true value: its planted
effect acts on a calibrated share, not on a risk ratio of this outcome.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

TRUTH_FILE = Path("truth") / "step_down.parquet"


def read_truth(data: Path) -> pd.DataFrame | None:
    """Per closure risk ratios planted by synthetic England, or None for other data."""
    path = data / TRUTH_FILE if data.is_dir() else None
    if path is None or not path.is_file():
        return None
    return pd.read_parquet(path)[["la_code", "referral_id", "stepped_down", "re_referral_rr_12m", "re_referral_rr_24m"]]


def true_effects(treated: pd.DataFrame, truth: pd.DataFrame, outcome: str) -> dict[str, float]:
    """True ATT risk difference and risk ratio for ``treated`` (cohort rows, all stepped down)."""
    if outcome not in ("re_referral_12m", "re_referral_24m"):
        return {}
    rows = treated.merge(truth, on=["la_code", "referral_id"], how="left", suffixes=("", "_truth"))
    # A closure the data counts as stepped down but the simulation did not (early help started
    # for another reason) had no planted effect.
    planted = rows["stepped_down_truth"].fillna(False).astype(bool).to_numpy()
    rr12 = np.where(planted, rows["re_referral_rr_12m"].fillna(1.0), 1.0)
    rr24 = np.where(planted, rows["re_referral_rr_24m"].fillna(1.0), 1.0)
    first_year = rows["re_referral_12m"].to_numpy(dtype=float)
    untreated = first_year / rr12
    observed = first_year
    if outcome == "re_referral_24m":
        second_year = rows["re_referral_24m"].to_numpy(dtype=float) - first_year
        untreated = untreated + second_year / rr24
        observed = rows["re_referral_24m"].to_numpy(dtype=float)
    mu1, mu0 = float(observed.mean()), float(untreated.mean())
    return {
        "ATT_risk_difference": mu1 - mu0,
        "ATT_risk_ratio": mu1 / mu0 if mu0 > 0 else math.nan,
    }
