"""Real LA rates by financial year, gap-filled and scaled to the published national figures.

The panel has holes (a cyber attack, boundary changes); a missing LA-year takes the LA's rate in
the nearest year that has one, or the national rate. National totals are then scaled, year by
year, to the published figures of the reference README so that the sum of LA targets equals the
national number the check compares with.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from earlyhelp import reference
from earlyhelp.spec.periods import time_period
from earlyhelp.synth.settings import SynthSettings


@dataclass
class Rates:
    la_codes: list[str]
    la_names: list[str]
    region_codes: list[str]
    fy: np.ndarray  # financial-year start years covered (burn-in .. follow-up)
    population: np.ndarray  # simulated children 0-17, [la, fy]
    idaci: np.ndarray  # [la]
    referrals_per_child: np.ndarray  # [la, fy]
    nfa_share: np.ndarray  # [la, fy] share of referrals
    nin_share_of_assessed: np.ndarray  # [la, fy]
    cp_per_in_need: np.ndarray  # [la, fy]
    cla_per_in_need: np.ndarray  # [la, fy]
    ei_spend_per_child_real: np.ndarray  # [la, fy] pounds, 2021-22 prices
    eh_reach_multiplier: np.ndarray  # [la]

    def subset(self, indices: np.ndarray) -> Rates:
        """The same rates for some of the LAs (a region simulated on its own)."""
        pick = np.asarray(indices)
        return Rates(
            la_codes=[self.la_codes[i] for i in pick],
            la_names=[self.la_names[i] for i in pick],
            region_codes=[self.region_codes[i] for i in pick],
            fy=self.fy,
            population=self.population[pick],
            idaci=self.idaci[pick],
            referrals_per_child=self.referrals_per_child[pick],
            nfa_share=self.nfa_share[pick],
            nin_share_of_assessed=self.nin_share_of_assessed[pick],
            cp_per_in_need=self.cp_per_in_need[pick],
            cla_per_in_need=self.cla_per_in_need[pick],
            ei_spend_per_child_real=self.ei_spend_per_child_real[pick],
            eh_reach_multiplier=self.eh_reach_multiplier[pick],
        )

    def fy_index(self, year: int) -> int:
        return int(np.clip(year - self.fy[0], 0, len(self.fy) - 1))


def _fill(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Fill an LA's missing rate from its nearest year with a value, else the national rate."""
    wide = frame.pivot(index="la_code", columns="time_period", values=column)
    national = wide.median(axis=0)
    wide = wide.interpolate(axis=1, limit_direction="both")
    wide = wide.apply(lambda col: col.fillna(national[col.name]))
    return wide


def build_rates(settings: SynthSettings, rng: np.random.Generator) -> Rates:
    b = settings.behaviour
    las = reference.local_authorities()
    if settings.scale.la_codes is not None:
        las = las[las["la_code"].isin(settings.scale.la_codes)]
    elif settings.scale.name == "region":
        from earlyhelp.synth.settings import REGION_SCALE_CODE

        las = las[las["region_code"] == REGION_SCALE_CODE]
    las = las.sort_values("la_code").reset_index(drop=True)
    codes = list(las["la_code"])
    years = np.arange(settings.first_year - b.burn_in_years, settings.last_year + 3)
    periods = [time_period(int(y)) for y in years]

    pop = reference.population()
    pop_wide = pop.pivot(index="la_code", columns="year", values="children_0_17")
    population = (
        np.stack(
            [
                pop_wide.loc[codes, min(max(int(y), pop_wide.columns.min()), pop_wide.columns.max())].to_numpy(float)
                for y in years
            ],
            axis=1,
        )
        * settings.scale.population_fraction
    )

    act = reference.activity()
    act = act.merge(pop.assign(time_period=pop["year"].map(time_period)), on=["la_code", "time_period"], how="left")
    act["referral_rate"] = act["referrals"] / act["children_0_17"]
    act["nfa_share"] = act["referrals_nfa"] / act["referrals"]
    assessed = act["referrals"] - act["referrals_nfa"]
    act["nin_share"] = act["referrals_not_in_need"] / assessed
    in_need = assessed - act["referrals_not_in_need"]
    act["cp_rate"] = act["cp_plans_started"] / in_need
    act["cla_rate"] = act["cla_started"] / in_need
    # Before 2011-12 the panel has no NFA / NIN split; nearest-year filling covers it.
    for column in ("referral_rate", "nfa_share", "nin_share", "cp_rate", "cla_rate"):
        act.loc[~np.isfinite(act[column]) | (act[column] <= 0), column] = np.nan
    filled = {c: _fill(act, c) for c in ("referral_rate", "nfa_share", "nin_share", "cp_rate", "cla_rate")}

    def grid(name: str) -> np.ndarray:
        wide = filled[name]
        cols = [min(max(p, wide.columns.min()), wide.columns.max()) for p in periods]
        return wide.loc[codes, cols].to_numpy(float).copy()

    referral_rate = grid("referral_rate")
    nfa = np.clip(grid("nfa_share"), 0.005, 0.6)
    nin = np.clip(grid("nin_share"), 0.05, 0.8)
    cp = np.clip(grid("cp_rate"), 0.02, 0.6)
    cla = np.clip(grid("cla_rate"), 0.01, 0.4)

    # Scale every LA's rates so that England as a whole (full panel) matches the published
    # figures year by year; small scales inherit the same national adjustment.
    published = reference.published_national()
    full_pop = pop_wide
    all_codes = list(reference.local_authorities()["la_code"])
    all_ref = _fill(act, "referral_rate")
    all_nfa = _fill(act, "nfa_share")
    all_nin = _fill(act, "nin_share")
    for j, period in enumerate(periods):
        pub = published[published["time_period"] == period].set_index("figure")["value"]
        if "referrals" not in pub:
            continue
        year = int(years[j])
        la_pop = full_pop.loc[all_codes, year].to_numpy(float)
        la_ref = all_ref.loc[all_codes, period].to_numpy(float) * la_pop
        referral_rate[:, j] *= pub["referrals"] / la_ref.sum()
        nfa_total = (la_ref * all_nfa.loc[all_codes, period].to_numpy(float)).sum()
        nfa[:, j] *= pub["referrals_nfa"] / nfa_total * la_ref.sum() / pub["referrals"]
        assessed_total = pub["referrals"] - pub["referrals_nfa"]
        nin_total = (
            (la_ref * (1 - all_nfa.loc[all_codes, period].to_numpy(float)))
            * all_nin.loc[all_codes, period].to_numpy(float)
        ).sum()
        nin[:, j] *= (pub["referrals_not_in_need"] / assessed_total) / (
            nin_total / (la_ref * (1 - all_nfa.loc[all_codes, period].to_numpy(float))).sum()
        )

    # Early intervention spend per child in real terms (2021-22 prices).
    spend = reference.spend()
    spend = (
        spend[spend["early_intervention"]]
        .groupby(["la_code", "time_period"])["gross_spend"]
        .sum()
        .rename("ei")
        .reset_index()
    )
    deflators = reference.deflators().set_index("time_period")["index"]
    spend["real"] = spend["ei"] * deflators.max() / spend["time_period"].map(deflators)
    spend_wide = spend.pivot(index="la_code", columns="time_period", values="real")
    spend_wide = spend_wide.reindex(codes).interpolate(axis=1, limit_direction="both")
    ei = np.zeros((len(codes), len(years)))
    for j in range(len(years)):
        col = min(max(periods[j], spend_wide.columns.min()), spend_wide.columns.max())
        ei[:, j] = spend_wide[col].to_numpy(float)
    ei = ei / np.maximum(population / settings.scale.population_fraction, 1.0)

    dep = reference.deprivation().set_index("la_code").loc[codes, "idaci_score"].to_numpy(float)
    # LA early help reach: lognormal spread, only weakly tied to deprivation, fixed by the seed
    # over the whole panel so that an LA's multiplier does not depend on the scale chosen.
    all_dep = reference.deprivation().set_index("la_code").loc[all_codes, "idaci_score"]
    z_dep = ((all_dep - all_dep.mean()) / all_dep.std()).to_numpy()
    la_rng = np.random.default_rng([settings.seed, 7])
    # Evenly spread normal scores, shuffled by the seed: every seed has the same spread of
    # reach across LAs (the seed decides which LA is where), so the extremes do not drift.
    n_all = len(all_codes)
    scores = np.array([NormalDist().inv_cdf((i + 0.5) / n_all) for i in range(n_all)])
    noise = la_rng.permutation(scores)
    w = b.eh_reach_deprivation_weight
    log_m = b.eh_reach_la_sigma * (w * z_dep + np.sqrt(1 - w * w) * noise)
    weights = full_pop.loc[all_codes, 2019].to_numpy(float)
    m_all = np.exp(log_m)
    m_all /= (m_all * weights).sum() / weights.sum()
    # Published LA range in 2019-20: 0.6% to 15.4% around 4.3% nationally.
    low, high = b.eh_reach_la_range
    m_all = np.clip(m_all, low / b.eh_reach_last, high / b.eh_reach_last)
    m_all /= (m_all * weights).sum() / weights.sum()
    m_series = pd.Series(m_all, index=all_codes)

    return Rates(
        la_codes=codes,
        la_names=list(las["la_name"]),
        region_codes=list(las["region_code"]),
        fy=years,
        population=population,
        idaci=dep,
        referrals_per_child=referral_rate,
        nfa_share=nfa,
        nin_share_of_assessed=nin,
        cp_per_in_need=cp,
        cla_per_in_need=cla,
        ei_spend_per_child_real=ei,
        eh_reach_multiplier=m_series.loc[codes].to_numpy(float),
    )
