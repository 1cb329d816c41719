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
from collections.abc import Callable
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


# Linked partner outcomes (issue #13). Synthetic England plants a rate ratio on a person's
# emergency attendances and police notifications in the 365 days after the closure of their
# first step-down, and on their chance of missing a school session in the school year holding the
# day six months after it (``earlyhelp.synth.generate._partner_outcomes``). A stepped-down closure
# that is not the child's first step-down has no planted effect. Each child's untreated mean
# follows from its latent risk, so the true ATT is exact too: events, base x share x 365/365.25 x
# exp(EVENT_RISK x risk + EVENT_OFFSET); absence, min(ABSENCE_BASE x exp(ABSENCE_RISK x risk), cap).
PARTNER_RATIO_KEYS = {
    "emergency_attendances_12m": "emergency_attendance_rr",
    "police_notifications_12m": "police_notification_rr",
    "school_absence_share_12m": "school_absence_rr",
}


def partner_truth(data: Path) -> Callable[[pd.DataFrame, str], dict[str, float]] | None:
    """For synthetic England: a function giving the true ATT mean difference and rate ratio of a
    partner outcome over treated cohort rows (with ``child_id`` and ``closure_date``); else None."""
    import json

    from earlyhelp.synth.generate import (
        ABSENCE_BASE,
        ABSENCE_CAP,
        ABSENCE_RISK,
        EVENT_OFFSET,
        EVENT_RISK,
        PARTNER_EVENTS,
    )

    folder = data / "truth" if data.is_dir() else None
    needed = ("step_down.parquet", "children.parquet", "effects.json")
    if folder is None or not all((folder / name).is_file() for name in needed):
        return None
    if not (data / "referrals.parquet").is_file():
        return None
    planted = json.loads((folder / "effects.json").read_text()).get("partner_outcomes") or {}
    ratios = {outcome: float(planted.get(key, 1.0)) for outcome, key in PARTNER_RATIO_KEYS.items()}
    children = pd.read_parquet(
        folder / "children.parquet", columns=["la_code", "child_id", "true_person_id", "latent_risk"]
    )
    steps = pd.read_parquet(folder / "step_down.parquet", columns=["la_code", "referral_id", "stepped_down"])
    referrals = pd.read_parquet(
        data / "referrals.parquet", columns=["la_code", "referral_id", "child_id", "closure_date"]
    )
    stepped = steps[steps["stepped_down"].astype(bool)].merge(referrals, on=["la_code", "referral_id"])
    stepped = stepped.merge(children, on=["la_code", "child_id"])
    first = stepped.groupby("true_person_id")["closure_date"].min().rename("first_step_down").reset_index()
    # Each record a partner holds for a person has its own events (police hold a second record for
    # a few people): a person's untreated mean is the per-record mean times their records there.
    records = pd.read_parquet(folder / "person_records.parquet", columns=["source", "true_person_id"])
    for source in ("health", "police"):
        held = records.loc[records["source"] == source, "true_person_id"].value_counts()
        children[f"has_{source}"] = children["true_person_id"].map(held).fillna(0).astype(float)
    people = children.merge(first, on="true_person_id", how="left")[
        ["la_code", "child_id", "latent_risk", "first_step_down", "has_health", "has_police"]
    ]
    planted_steps = stepped[["la_code", "referral_id"]].assign(simulated=True)
    per_year = {
        "emergency_attendances_12m": PARTNER_EVENTS["health_events"],
        "police_notifications_12m": PARTNER_EVENTS["police_notifications"],
    }

    def true_values(treated: pd.DataFrame, outcome: str) -> dict[str, float]:
        if outcome not in ratios or treated.empty:
            return {}
        rows = (
            treated[["la_code", "referral_id", "child_id", "closure_date"]]
            .merge(people, on=["la_code", "child_id"], how="left")
            .merge(planted_steps, on=["la_code", "referral_id"], how="left")
        )
        if rows["latent_risk"].isna().any():
            return {}
        risk = rows["latent_risk"].to_numpy(dtype=float)
        first = (pd.to_datetime(rows["closure_date"]) == pd.to_datetime(rows["first_step_down"])).to_numpy()
        simulated = rows["simulated"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        ratio = np.where(first & simulated, ratios[outcome], 1.0)
        if outcome == "school_absence_share_12m":
            untreated = ABSENCE_BASE * np.exp(ABSENCE_RISK * risk)
            m0, m1 = np.minimum(untreated, ABSENCE_CAP), np.minimum(untreated * ratio, ABSENCE_CAP)
        else:
            source, base, shares, kind = per_year[outcome]
            share = 1.0 if kind is None else shares[kind]
            present = rows[f"has_{source}"].to_numpy(dtype=float)
            m0 = present * base * share * 365 / 365.25 * np.exp(EVENT_RISK * risk + EVENT_OFFSET)
            m1 = m0 * ratio
        ratio_of_means = float(m1.sum() / m0.sum()) if m0.sum() > 0 else math.nan
        return {"ATT_mean_difference": float((m1 - m0).mean()), "ATT_rate_ratio": ratio_of_means}

    return true_values


def link_persons_from_truth(data: Path) -> None:
    """Synthetic England only (benchmarks and tests): give the children and the partner records
    their true person as ``person_id``, as a perfect ``earlyhelp link --analytic`` would. Splink
    takes minutes a seed at region scale, and its accuracy is measured on its own (docs/link.md)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from earlyhelp.link.analytic import PARTNER_TABLE_SOURCE

    people = pd.read_parquet(
        data / "truth" / "person_records.parquet", columns=["source", "source_record_id", "true_person_id"]
    )
    person = dict(
        zip(zip(people["source"], people["source_record_id"], strict=True), people["true_person_id"], strict=True)
    )
    children = pd.read_parquet(data / "children.parquet")
    children["person_id"] = [person.get(("la_csc", child)) for child in children["child_id"]]
    pq.write_table(pa.Table.from_pandas(children, preserve_index=False), data / "children.parquet")
    for table, source in PARTNER_TABLE_SOURCE.items():
        frame = pd.read_parquet(data / f"{table}.parquet")
        frame["person_id"] = [person.get((source, record)) for record in frame["person_id"]]
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), data / f"{table}.parquet")
