"""The LA panel: preventative spend per child and children in care by age, two-way fixed effects.

Model, for LA i in financial year t and an age group (16-17, or 1-4):

    care_rate[i,t] = a[i] + g[t] + b * spend[i,t-lag] / 10 + c * controls[i,t] + e[i,t]

``care_rate`` per 100,000 children of the age group, ``spend`` preventative spend per child in
real terms (pounds), LA effects a[i] and year effects g[t], standard errors clustered by LA
(linearmodels PanelOLS). The figure reported is -b: the change in the care rate for each 10
pounds per child cut, the scale of Bennett et al. (2021).

On the real panel (``reference/data/care_by_age.csv``) the care rate is children looked after at
31 March (the panel has no entries by age), spend is non-CLA non-safeguarding spend per child
aged 0-16 in 2022 prices, lagged one year, and the control is median pay. On synthetic England
it is care starts in the year by age at the start, and early intervention spend per child aged
0-17 in real terms (the simulator plants its effect on starts at ages 16-17).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from earlyhelp.engine import Engine
from earlyhelp.evaluate.estimators import Z95
from earlyhelp.spec import codes
from earlyhelp.spec.periods import time_period_sql

BENNETT = {"16-17": (1.9, 0.7, 2.9), "1-4": None}
# LAs too small for a rate (City of London, Isles of Scilly) are left out of the real panel.
MIN_AGE_GROUP_POPULATION = 500
# Fewer LAs than this leave too few clusters for LA-clustered errors: no panel on that data.
MIN_LAS = 5


@dataclass(frozen=True)
class PanelEstimate:
    data: str
    age_group: str
    per_10_pounds_cut: float
    ci_lower: float
    ci_upper: float
    observations: int
    las: int
    years: str
    model: str


def fixed_effects(
    frame: pd.DataFrame, outcome: str, spend: str, controls: list[str], lag: int
) -> tuple[float, float, int, int, str]:
    """-b and its clustered standard error, observations, LAs and the years used."""
    from linearmodels.panel import PanelOLS

    data = frame.sort_values(["la_code", "time_period"]).copy()
    data["spend_per_10"] = data.groupby("la_code")[spend].shift(lag) / 10 if lag else data[spend] / 10
    columns = [outcome, "spend_per_10", *controls]
    data = data.dropna(subset=columns)
    data["year"] = data["time_period"] // 100
    indexed = data.set_index(["la_code", "year"])
    fit = PanelOLS(indexed[outcome], indexed[["spend_per_10", *controls]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True
    )
    years = f"{data['time_period'].min()}-{data['time_period'].max()}"
    return (
        -float(fit.params["spend_per_10"]),
        float(fit.std_errors["spend_per_10"]),
        len(data),
        data["la_code"].nunique(),
        years,
    )


def _estimate(
    data: str, age_group: str, frame: pd.DataFrame, outcome: str, spend: str, controls: list[str], lag: int, model: str
) -> PanelEstimate:
    value, se, n, las, years = fixed_effects(frame, outcome, spend, controls, lag)
    return PanelEstimate(data, age_group, value, value - Z95 * se, value + Z95 * se, n, las, years, model)


def real_panel() -> list[PanelEstimate]:
    """Both age groups on the real LA panel shipped with the package."""
    with resources.as_file(resources.files("earlyhelp.reference") / "data" / "care_by_age.csv") as path:
        panel = pd.read_csv(path)
    panel["median_pay_thousands"] = panel["median_pay_2022_prices"] / 1000
    model = (
        "children looked after at 31 March per 100,000 of the age group = LA + year effects + "
        "b x preventative (non-CLA, non-safeguarding) spend per child aged 0-16, 2022 prices, lagged one year, per £10 "
        "+ c x median pay (£1,000s); errors clustered by LA"
    )
    estimates = []
    for age_group, count, population in (
        ("16-17", "cla_16_plus_at_31_march", "population_16_plus"),
        ("1-4", "cla_1_4_at_31_march", "population_1_4"),
    ):
        rows = panel[panel[population] >= MIN_AGE_GROUP_POPULATION].copy()
        rows["rate"] = rows[count] / rows[population] * 100_000
        estimates.append(
            _estimate(
                "real LA panel (Webb 2024)",
                age_group,
                rows,
                "rate",
                "preventative_spend_per_child_2022_prices",
                ["median_pay_thousands"],
                1,
                model,
            )
        )
    return estimates


def synthetic_panel_frame(engine: Engine) -> pd.DataFrame:
    """Care starts by age group, population and real early intervention spend per child, per LA and
    financial year, from EHLD tables already registered on ``engine`` (spend, population,
    deflators, children, looked_after_episodes)."""
    query = f"""
WITH starts AS (
    SELECT e.la_code,
           {time_period_sql("e.start_date")} AS time_period,
           {_age("e.start_date", "c.birth_month")} AS age
    FROM looked_after_episodes e JOIN children c ON c.la_code = e.la_code AND c.child_id = e.child_id
    WHERE e.reason_new_episode = '{codes.STARTED_PERIOD_OF_CARE}'
),
counted AS (
    SELECT la_code, time_period,
           count(CASE WHEN age >= 16 THEN 1 END) AS starts_16_17,
           count(CASE WHEN age >= 1 AND age < 5 THEN 1 END) AS starts_1_4
    FROM starts GROUP BY la_code, time_period
),
ei AS (
    SELECT la_code, time_period, sum(CASE WHEN early_intervention THEN gross_spend ELSE 0 END) AS ei_spend
    FROM spend GROUP BY la_code, time_period
),
latest AS (SELECT "index" AS base FROM deflators ORDER BY time_period DESC LIMIT 1)
SELECT ei.la_code, ei.time_period, p.children_0_17,
       ei.ei_spend / p.children_0_17 * l.base / d."index" AS ei_spend_per_child_real,
       COALESCE(k.starts_16_17, 0) AS starts_16_17, COALESCE(k.starts_1_4, 0) AS starts_1_4
FROM ei
JOIN population p ON p.la_code = ei.la_code AND p.year = CAST(ei.time_period / 100 AS INTEGER)
JOIN deflators d ON d.time_period = ei.time_period
CROSS JOIN latest l
LEFT JOIN counted k ON k.la_code = ei.la_code AND k.time_period = ei.time_period
"""
    return engine.sql(query).to_pandas()


def _age(day: str, birth_month: str) -> str:
    return f"date_diff('day', CAST({birth_month} || '-15' AS DATE), {day}) / 365.25"


def synthetic_panel(frame: pd.DataFrame, first_year: int, last_year: int) -> list[PanelEstimate]:
    """Both age groups on a synthetic (or any EHLD) panel; none with fewer than MIN_LAS LAs."""
    rows = frame[(frame["time_period"] >= first_year) & (frame["time_period"] <= last_year)].copy()
    if rows["la_code"].nunique() < MIN_LAS:
        return []
    # Populations by age as the simulator sizes them: an even spread over ages 0-17.
    rows["rate_16_17"] = rows["starts_16_17"] / (rows["children_0_17"] * 2 / 18) * 100_000
    rows["rate_1_4"] = rows["starts_1_4"] / (rows["children_0_17"] * 4 / 18) * 100_000
    model = (
        "care starts in the year per 100,000 of the age group = LA + year effects + b x early intervention "
        "spend per child aged 0-17 in real terms, same year, per £10; errors clustered by LA"
    )
    return [
        _estimate("this data", age_group, rows, column, "ei_spend_per_child_real", [], 0, model)
        for age_group, column in (("16-17", "rate_16_17"), ("1-4", "rate_1_4"))
    ]


def panel_rows(estimates: list[PanelEstimate], true_values: dict[str, float] | None) -> list[dict]:
    """estimates.csv rows: n_treated holds the LA-years, n_comparison the LAs."""
    rows = []
    for e in estimates:
        row: dict[str, object] = {
            "analysis": "la_panel_real" if e.data.startswith("real") else "la_panel_this_data",
            "outcome": f"care_{e.age_group.replace('-', '_')}",
            "subgroup": "all",
            "estimand": "panel_coefficient",
            "estimate": e.per_10_pounds_cut,
            "ci_lower": e.ci_lower,
            "ci_upper": e.ci_upper,
            "n_treated": e.observations,
            "n_comparison": e.las,
            "method": "two-way fixed effects (PanelOLS), per £10 per child cut; " + e.model,
        }
        if true_values is not None:
            row["true_value"] = true_values.get(e.age_group) if not e.data.startswith("real") else None
        rows.append(row)
    return rows


def bennett_text(estimates: list[PanelEstimate]) -> list[str]:
    lines = [
        "## The LA panel: preventative spend and children in care",
        "",
        "Change in children in care per 100,000 of the age group for each £10 per child cut in preventative spend "
        "(two-way fixed effects, LA-clustered 95% CI), beside Bennett et al. (2021): +1.9 per 100,000 "
        "16-17-year-olds entering care (95% CI 0.7 to 2.9), nothing at ages 1-4.",
        "",
        "| data | age | per £10 cut (95% CI) | LA-years | LAs | years | Bennett et al. 2021 |",
        "|---|---|---|---|---|---|---|",
    ]
    for e in estimates:
        bennett = BENNETT[e.age_group]
        reference = f"{bennett[0]:+.1f} ({bennett[1]} to {bennett[2]})" if bennett else "no effect"
        value = f"{e.per_10_pounds_cut:+.2f} ({e.ci_lower:.2f} to {e.ci_upper:.2f})"
        if math.isnan(e.per_10_pounds_cut):
            value = "not estimable"
        lines.append(f"| {e.data} | {e.age_group} | {value} | {e.observations} | {e.las} | {e.years} | {reference} |")
    lines.append("")
    for model in dict.fromkeys(e.model for e in estimates):
        data = ", ".join(dict.fromkeys(e.data for e in estimates if e.model == model))
        lines.append(f"Model ({data}): {model}.")
    lines += [
        "",
        "Why the real-panel figures differ from Bennett et al.: the shipped panel counts children *in care on "
        "31 March* by age, not entries into care, so a cut shows up only as it accumulates in the stock (and "
        "16+ includes children who entered younger); the years (to 2021-22), the spend measure (non-CLA, "
        "non-safeguarding spend per child aged 0-16 in 2022 prices) and the controls (median pay only) differ too.",
        "",
    ]
    return lines


def synthetic_true_values(data: Path) -> dict[str, float] | None:
    """Planted spend effect from synthetic England's truth/effects.json (None for other data)."""
    path = data / "truth" / "effects.json" if data.is_dir() else None
    if path is None or not path.is_file():
        return None
    import json

    effect = json.loads(path.read_text(encoding="utf-8"))["spend"]["extra_starts_per_100k_16_17_per_10_pounds_cut"]
    return {"16-17": float(effect), "1-4": 0.0}


__all__ = ["PanelEstimate", "fixed_effects", "real_panel", "synthetic_panel", "synthetic_panel_frame"]
