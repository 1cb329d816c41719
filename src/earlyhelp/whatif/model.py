"""The what-if model estimated on the child-year panel: transition probabilities between states
by stratum, events per child-year, new children, and the observed step-down share and reach.

**Transitions.** P(state next year | state this year, LA, age group, primary need, deprivation) is
estimated from the panel's consecutive child-years with hierarchical shrinkage: each level's
counts are pulled towards the level above with :data:`PRIOR_WEIGHT` pseudo-children (all LAs ->
LA -> LA x age -> LA x age x need -> LA x age x need x deprivation), so a sparse cell borrows from
its neighbours and a full one speaks for itself. The finest level's smoothed counts are the
parameters of a Dirichlet distribution: each simulation replicate draws its transition
probabilities from it (parameter uncertainty).

**Events** (referrals, CIN, CP, care and early help starts) per child-year are means by LA,
state last year (or "first known") and state this year, shrunk to the all-LA mean the same way.

**New children**: children first known in a year, per child in the population (a Gamma posterior
on the rate, years after each LA's first); a new child is drawn from the LA's observed new
children of the year whose rates the replicate follows (age, need, deprivation, first state).

**Years differ.** Rates move from year to year by more than chance (demand, practice, a new
director), and a projection's interval should say so. So the transition counts, events and new
children are also kept per observed year (each year's counts shrunk to the all-year rates); a replicate
simulates each future year with the rates of one observed year drawn at random, the same year
for every LA (a bootstrap of years), on top of the parameter uncertainty above.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from earlyhelp.whatif.panel import AGE_GROUPS, DEPRIVATION_BANDS, ENTRY, EVENTS, STATE_INDEX, STATES

PRIOR_WEIGHT = 10.0


@dataclass
class Cohort:
    """Children known in a starting year: one entry per child, all arrays the same length."""

    la: np.ndarray
    age: np.ndarray
    need: np.ndarray
    deprivation: np.ndarray
    state: np.ndarray

    def __len__(self) -> int:
        return len(self.la)

    def take(self, index: np.ndarray) -> Cohort:
        return Cohort(*(getattr(self, name)[index] for name in ("la", "age", "need", "deprivation", "state")))


@dataclass
class Model:
    """Everything the microsimulation needs; see the module docstring for how each part is estimated."""

    la_codes: list[str]
    needs: list[str]
    # Dirichlet parameters [LA, age group, need, deprivation, state now, state next], all years
    transitions: np.ndarray
    # the same per observed year (the year moved into) [year, LA, ...], shrunk to ``transitions``
    year_transitions: np.ndarray
    # mean events per child-year [LA, state last year or ENTRY, state this year, event], all years
    events: np.ndarray
    # the same per observed year [year, LA, ...], shrunk to ``events``
    year_events: np.ndarray
    # Gamma(shape, rate) posterior of new children per child in the population, per LA
    entry_shape: np.ndarray
    entry_rate: np.ndarray
    # the same per observed year [year, LA]
    year_entry_shape: np.ndarray
    year_entry_rate: np.ndarray
    population: np.ndarray  # children aged 0-17 per LA, held at the latest year
    entrants: Cohort  # observed new children, resampled per LA and observed year
    entrant_year: np.ndarray  # each new child's observed year (index into year_transitions)
    step_down_share: np.ndarray  # per LA: closed-below-threshold child-years stepped down
    early_help_reach: np.ndarray  # per LA: children with early help open in a year / children

    @property
    def shape(self) -> tuple[int, ...]:
        return self.transitions.shape[:4]


def _shrunk(counts: np.ndarray, prior: np.ndarray, weight: float = PRIOR_WEIGHT) -> np.ndarray:
    """Counts over the last axis pulled towards the probabilities ``prior`` (broadcast)."""
    return counts + weight * prior


def _probabilities(pseudo_counts: np.ndarray) -> np.ndarray:
    total = pseudo_counts.sum(axis=-1, keepdims=True)
    return pseudo_counts / np.where(total > 0, total, 1)


def transition_parameters(counts: np.ndarray, weight: float = PRIOR_WEIGHT) -> np.ndarray:
    """Dirichlet parameters from transition counts [LA, age, need, deprivation, S, S], shrunk level
    by level: all LAs -> LA -> LA x age -> LA x age x need -> the full stratum."""
    states = counts.shape[-1]
    overall = counts.sum(axis=(0, 1, 2, 3))
    level = _probabilities(overall + 1.0 / states)  # [S, S]; a state never seen: uniform
    la = counts.sum(axis=(1, 2, 3))
    level = _probabilities(_shrunk(la, level[None], weight))  # [LA, S, S]
    la_age = counts.sum(axis=(2, 3))
    level = _probabilities(_shrunk(la_age, level[:, None], weight))  # [LA, A, S, S]
    la_age_need = counts.sum(axis=3)
    level = _probabilities(_shrunk(la_age_need, level[:, :, None], weight))  # [LA, A, N, S, S]
    return _shrunk(counts, level[:, :, :, None], weight)


def _year_ratio(year_counts: np.ndarray) -> np.ndarray:
    """Each year's national transition probabilities over the all-year ones [year, 1, 1, 1, 1, S, S]:
    a sparse cell's year borrows its year's national movement, not the all-year average."""
    national = year_counts.sum(axis=(1, 2, 3, 4))
    states = national.shape[-1]
    by_year = _probabilities(national + 1.0 / states)
    overall = _probabilities(national.sum(axis=0) + 1.0 / states)
    ratio = by_year / overall[None]
    # renormalised in the shrinkage's Dirichlet parameters: only the relative sizes matter
    return ratio[:, None, None, None, None]


def estimate(panel: pd.DataFrame, population: pd.DataFrame) -> Model:
    """Estimate the model from the child-year panel (:func:`earlyhelp.whatif.panel.build_panel`)."""
    la_codes = sorted(panel["la_code"].unique())
    needs = sorted(panel["primary_need"].unique())
    la_index = {code: i for i, code in enumerate(la_codes)}
    need_index = {need: i for i, need in enumerate(needs)}
    frame = panel.assign(
        la=panel["la_code"].map(la_index).astype(np.int64), need=panel["primary_need"].map(need_index).astype(np.int64)
    )
    n_la, n_age, n_need, n_dep, n_state = (
        len(la_codes),
        len(AGE_GROUPS),
        len(needs),
        len(DEPRIVATION_BANDS),
        len(STATES),
    )

    following = frame[["la", "child_id", "time_period", "state"]].copy()
    following["time_period"] = following["time_period"] - 101  # the year before, as a time_period
    pairs = frame.merge(following, on=["la", "child_id", "time_period"], suffixes=("", "_next"))
    later_years = sorted(frame["time_period"].unique())[1:] or sorted(frame["time_period"].unique())
    year_index = {period: i for i, period in enumerate(later_years)}
    pairs = pairs.assign(year=(pairs["time_period"] + 101).map(year_index))
    year_counts = np.zeros((len(later_years), n_la, n_age, n_need, n_dep, n_state, n_state))
    np.add.at(
        year_counts,
        tuple(pairs[c].to_numpy() for c in ("year", "la", "age_group", "need", "deprivation", "state", "state_next")),
        1.0,
    )
    counts = year_counts.sum(axis=0)
    transitions = transition_parameters(counts)
    year_transitions = _shrunk(year_counts, _probabilities(transitions)[None] * _year_ratio(year_counts))

    previous = frame[["la", "child_id", "time_period", "state"]].rename(columns={"state": "state_before"})
    previous["time_period"] = previous["time_period"] + 101
    with_previous = frame.merge(previous, on=["la", "child_id", "time_period"], how="left")
    with_previous["state_before"] = np.where(
        with_previous["entered"], ENTRY, with_previous["state_before"].fillna(-1).astype(np.int64)
    )
    known_before = with_previous[with_previous["state_before"] >= 0]
    sums = np.zeros((len(later_years), n_la, ENTRY + 1, n_state, len(EVENTS)))
    numbers = np.zeros((len(later_years), n_la, ENTRY + 1, n_state))
    known_before = known_before.assign(year=known_before["time_period"].map(year_index))
    known_before = known_before.dropna(subset=["year"]).astype({"year": np.int64})
    where = tuple(known_before[c].to_numpy() for c in ("year", "la", "state_before", "state"))
    np.add.at(numbers, where, 1.0)
    for k, event in enumerate(EVENTS):
        np.add.at(sums[..., k], where, known_before[event].to_numpy(dtype=float))
    pooled = sums.sum(axis=(0, 1)) / np.maximum(numbers.sum(axis=(0, 1)), 1)[..., None]
    all_years = (sums.sum(axis=0) + PRIOR_WEIGHT * pooled[None]) / (numbers.sum(axis=0) + PRIOR_WEIGHT)[..., None]
    pooled_by_year = sums.sum(axis=1) / np.maximum(numbers.sum(axis=1), 1)[..., None]
    ratio = np.where(pooled[None] > 0, pooled_by_year / np.where(pooled[None] > 0, pooled[None], 1), 1.0)
    year_prior = all_years[None] * ratio[:, None]
    year_events = (sums + PRIOR_WEIGHT * year_prior) / (numbers + PRIOR_WEIGHT)[..., None]
    events = all_years

    first_year = frame.groupby("la")["time_period"].transform("min")
    later = frame[frame["time_period"] > first_year]
    entrants = later[later["entered"]]
    population = population.assign(la=population["la_code"].map(la_index))
    population = population.dropna(subset=["la"]).astype({"la": np.int64})
    first_population = population.groupby("la")["time_period"].transform("min")
    exposure = population[population["time_period"] > first_population].groupby("la")["children"].sum()
    new_children = entrants.groupby("la").size()
    entry_shape = np.array([new_children.get(i, 0) + 0.5 for i in range(n_la)], dtype=float)
    entry_rate = np.array([max(exposure.get(i, 0), 1) for i in range(n_la)], dtype=float)
    by_year = entrants.groupby(["time_period", "la"]).size()
    exposure_by_year = population.groupby(["time_period", "la"])["children"].sum()
    year_entry_shape = np.zeros((len(later_years), n_la))
    year_entry_rate = np.zeros((len(later_years), n_la))
    for period, y in year_index.items():
        for i in range(n_la):
            if (period, i) in exposure_by_year.index and (period, i) in by_year.index:
                year_entry_shape[y, i] = by_year[(period, i)] + 0.5
                year_entry_rate[y, i] = exposure_by_year[(period, i)]
            else:  # a year the LA has no new children counted in: its all-year rate
                year_entry_shape[y, i], year_entry_rate[y, i] = entry_shape[i], entry_rate[i]
    latest = population.sort_values("time_period").groupby("la")["children"].last()

    closed = frame[frame["state"].isin([STATE_INDEX["closed_stepped_down"], STATE_INDEX["closed_no_early_help"]])]
    stepped = closed.groupby("la")["state"].apply(lambda s: float((s == STATE_INDEX["closed_stepped_down"]).mean()))
    helped = frame.groupby(["la", "time_period"])["early_help_open"].sum().reset_index()
    helped = helped.merge(population[["la", "time_period", "children"]], on=["la", "time_period"])
    reach = (helped["early_help_open"] / helped["children"]).groupby(helped["la"]).mean()

    return Model(
        la_codes=la_codes,
        needs=needs,
        transitions=transitions,
        year_transitions=year_transitions,
        events=events,
        year_events=year_events,
        entry_shape=entry_shape,
        entry_rate=entry_rate,
        year_entry_shape=year_entry_shape,
        year_entry_rate=year_entry_rate,
        population=np.array([latest.get(i, 0) for i in range(n_la)], dtype=float),
        entrants=_cohort(entrants),
        entrant_year=entrants["time_period"].map(year_index).to_numpy(np.int64),
        step_down_share=np.array([stepped.get(i, 0.0) for i in range(n_la)]),
        early_help_reach=np.array([reach.get(i, 0.0) for i in range(n_la)]),
    )


def _cohort(rows: pd.DataFrame) -> Cohort:
    return Cohort(
        la=rows["la"].to_numpy(np.int64),
        age=rows["age"].to_numpy(np.int64),
        need=rows["need"].to_numpy(np.int64),
        deprivation=rows["deprivation"].to_numpy(np.int64),
        state=rows["state"].to_numpy(np.int64),
    )


def starting_cohort(panel: pd.DataFrame, model: Model, which: str = "last") -> Cohort:
    """The children known in each LA's last (or first) year of data, to simulate forward from."""
    la_index = {code: i for i, code in enumerate(model.la_codes)}
    need_index = {need: i for i, need in enumerate(model.needs)}
    years = panel.groupby("la_code")["time_period"].transform("max" if which == "last" else "min")
    rows = panel[panel["time_period"] == years]
    rows = rows.assign(la=rows["la_code"].map(la_index), need=rows["primary_need"].map(need_index))
    return _cohort(rows)
