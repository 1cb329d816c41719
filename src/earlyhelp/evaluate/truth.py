"""The true effect of step-down in synthetic England, from its ``truth/`` folder.

For every assessment closed below the threshold, synthetic England records the exact chance of a
new referral within 12 and within 24 months with step-down and without it
(``truth/step_down.parquet``, ``p_re_referral_*``; how they follow the simulation is in
``earlyhelp.synth.simulate``, ``_re_referral_truth``). The true ATT on a set of treated closures
is then exact: the risk difference is the mean over them of (p1 - p0), the risk ratio
mean(p1) / mean(p0). A closure the data counts as stepped down that the simulation did not step
down (early help that started for another reason) had no planted effect: p1 = p0 for it.
Escalation has no true value: its planted effect acts on the share of later referrals that are
found in need, a share calibrated month by month on referrals that have not happened at closure.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

TRUTH_FILE = Path("truth") / "step_down.parquet"
PROBABILITY_COLUMNS = {
    "re_referral_12m": ("p_re_referral_12m_stepped_down", "p_re_referral_12m_not_stepped_down"),
    "re_referral_24m": ("p_re_referral_24m_stepped_down", "p_re_referral_24m_not_stepped_down"),
}


def read_truth(data: Path) -> pd.DataFrame | None:
    """Per closure planted probabilities, or None for other data (or a synthetic England written
    before they were recorded)."""
    path = data / TRUTH_FILE if data.is_dir() else None
    if path is None or not path.is_file():
        return None
    truth = pd.read_parquet(path)
    wanted = [column for pair in PROBABILITY_COLUMNS.values() for column in pair]
    if not set(wanted) <= set(truth.columns):
        return None
    extra = [c for c in ("main_service", "primary_need", "idaci_decile") if c in truth.columns]
    return truth[["la_code", "referral_id", "stepped_down", *wanted, *extra]]


def true_probabilities(rows: pd.DataFrame, truth: pd.DataFrame, outcome: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(p1, p0) for each of ``rows`` (cohort rows), or None when the outcome has no truth."""
    if outcome not in PROBABILITY_COLUMNS:
        return None
    treated_column, untreated_column = PROBABILITY_COLUMNS[outcome]
    merged = rows[["la_code", "referral_id"]].merge(
        truth, on=["la_code", "referral_id"], how="left", suffixes=("", "_truth")
    )
    planted = merged["stepped_down"].fillna(False).astype(bool).to_numpy()
    p0 = merged[untreated_column].to_numpy(dtype=float)
    p1 = np.where(planted, merged[treated_column].to_numpy(dtype=float), p0)
    return p1, p0


def true_effects(treated: pd.DataFrame, truth: pd.DataFrame, outcome: str) -> dict[str, float]:
    """True ATT risk difference and risk ratio for ``treated`` (cohort rows, all stepped down)."""
    probabilities = true_probabilities(treated, truth, outcome)
    if probabilities is None or len(treated) == 0:
        return {}
    p1, p0 = probabilities
    if np.isnan(p1).any() or np.isnan(p0).any():
        return {}
    mu1, mu0 = float(p1.mean()), float(p0.mean())
    return {
        "ATT_risk_difference": mu1 - mu0,
        "ATT_risk_ratio": mu1 / mu0 if mu0 > 0 else math.nan,
    }
