"""The microsimulation: children's journeys year by year, under a baseline and under scenarios.

One replicate draws the parameters (transition probabilities from their Dirichlet posterior, the
rate of new children from its Gamma posterior, each per observed year, and for every future year
and LA one observed year whose rates it follows; the risk ratios of early help from their 95%
intervals), then walks every child forward one financial year at a time: a child's next state is
drawn from their stratum's transition row, children leave at 18, new children arrive (a Poisson
number per LA). A year's referrals, CIN, CP and care starts are the expected events of each
child's (state last year, state this year); its cost is each child's state cost for the year plus
early help given by the scenario.

A scenario decides, each year, which children get early help they would not have had, and their
next transition is the baseline one with the chance of a new referral multiplied by the risk ratio
for re-referral, and the chance of a CIN plan, CP plan or care by the risk ratio for escalation.
Scenarios in a replicate share its parameters and random numbers (common random numbers, keyed
by replicate, year and purpose), so a scenario that changes nothing gives the baseline exactly and
a change is measured against the same luck.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from earlyhelp.whatif.model import Cohort, Model
from earlyhelp.whatif.panel import ENTRY, EVENTS, OLDEST, STATE_INDEX, STATES, age_group

MEASURES: tuple[str, ...] = ("referrals", "cin_starts", "cp_starts", "care_starts", "cost_pounds", "extra_early_help")
COUNTED = EVENTS[:4]  # the events that are published measures, in MEASURES order
REFERRAL_STATES = slice(STATE_INDEX["referred"], len(STATES))
ESCALATION_STATES = slice(STATE_INDEX["cin_plan"], len(STATES))
MIDDLE_STATES = slice(STATE_INDEX["referred"], STATE_INDEX["cin_plan"])
QUIET_STATES = slice(0, STATE_INDEX["referred"])
# Children early help could newly reach: known, not in early help, a plan or care this year.
REACHABLE = (STATE_INDEX["none"], STATE_INDEX["referred"], STATE_INDEX["closed_no_early_help"])
_PURPOSES = {"move": 1, "entrants": 2, "pick": 3, "thin": 4, "step_down": 5, "reach": 6}


@dataclass(frozen=True)
class Scenario:
    """A change in early help use; None leaves that part as observed."""

    name: str
    description: str
    step_down_share: float | None = None  # share of assessments closed below the threshold stepped down
    early_help_reach: float | None = None  # children with early help in a year / all children


@dataclass(frozen=True)
class Draw:
    """One replicate's parameters."""

    transitions: np.ndarray  # probabilities [observed year, LA, age, need, deprivation, S, S]
    entry_rate: np.ndarray  # [observed year, LA]
    events: np.ndarray  # mean events [observed year, LA, state before or ENTRY, state, event]
    years: np.ndarray  # [simulated year, LA]: the observed year whose rates each future year uses
    re_referral_rr: float
    escalation_rr: float


@dataclass(frozen=True)
class Costs:
    """Pounds per child-year in each state, and per child-year of early help a scenario adds."""

    state_year: np.ndarray  # [S]
    early_help_year: float


def apply_effect(rows: np.ndarray, re_referral_rr: float, escalation_rr: float) -> np.ndarray:
    """Transition rows with P(any referral state) times ``re_referral_rr`` and P(CIN plan, CP plan or
    care) times ``escalation_rr`` (never above the first); each group keeps its internal shares."""
    rows = rows.astype(float, copy=True)
    p_ref = rows[:, REFERRAL_STATES].sum(axis=1)
    p_esc = rows[:, ESCALATION_STATES].sum(axis=1)
    new_ref = np.minimum(p_ref * re_referral_rr, 1.0)
    new_esc = np.minimum(p_esc * escalation_rr, new_ref)
    for group, old, new, fallback in (
        (ESCALATION_STATES, p_esc, new_esc, STATE_INDEX["cin_plan"]),
        (MIDDLE_STATES, p_ref - p_esc, new_ref - new_esc, STATE_INDEX["referred"]),
        (QUIET_STATES, 1.0 - p_ref, 1.0 - new_ref, STATE_INDEX["none"]),
    ):
        has = old > 1e-12
        rows[has, group] *= (new[has] / old[has])[:, None]
        # a group the baseline never enters gets its new mass in its first state
        rows[~has, group] = 0.0
        rows[~has, fallback] = np.maximum(new[~has], 0.0)
    return rows


def _rng(seed: int, replicate: int, year: int, purpose: str) -> np.random.Generator:
    return np.random.default_rng([seed, replicate, year, _PURPOSES[purpose]])


def draw_parameters(
    model: Model,
    rng: np.random.Generator,
    effect_draw: Callable[[np.random.Generator], tuple[float, float]],
    years: int,
    uncertain: bool = True,
) -> Draw:
    """A replicate's parameters: posterior draws and a random observed year for each future year
    and LA; or (``uncertain`` False) the all-year posterior means."""
    if uncertain:
        gamma = rng.standard_gamma(np.maximum(model.year_transitions, 1e-9))
        rate = rng.gamma(model.year_entry_shape) / model.year_entry_rate
        # One observed year for every LA: what moves rates from year to year is often national
        # (guidance, an inspection framework, a pandemic), so LAs' years are not independent.
        chosen = np.repeat(rng.integers(0, len(gamma), size=(years, 1)), len(model.la_codes), axis=1)
        events = model.year_events
    else:
        gamma = model.transitions[None]
        rate = (model.entry_shape / model.entry_rate)[None]
        events = model.events[None]
        chosen = np.zeros((years, len(model.la_codes)), dtype=np.int64)
    total = gamma.sum(axis=-1, keepdims=True)
    probabilities = gamma / np.where(total > 0, total, 1)
    re_referral_rr, escalation_rr = effect_draw(rng)
    return Draw(probabilities, rate, events, chosen, re_referral_rr, escalation_rr)


def run_scenario(
    model: Model,
    cohort: Cohort,
    draw: Draw,
    scenario: Scenario,
    costs: Costs,
    years: int,
    seed: int,
    replicate: int,
) -> np.ndarray:
    """One replicate of one scenario: [year, measure] over :data:`MEASURES`."""
    n_la, n_age, n_need, n_dep = model.shape
    n_state = len(STATES)
    areas = np.arange(n_la)
    la, age, need, dep, state = (cohort.la, cohort.age, cohort.need, cohort.deprivation, cohort.state)
    present = age <= OLDEST
    helped = np.zeros(len(la), dtype=bool)
    pool_helped = np.zeros(n_la)
    result = np.zeros((years, len(MEASURES)))
    for year in range(1, years + 1):
        observed_year = draw.years[year - 1]
        flat = draw.transitions[observed_year, areas].reshape(-1, n_state)
        cumulative = np.cumsum(flat, axis=1)
        entry_rate = draw.entry_rate[observed_year, areas]
        expected_new = entry_rate * model.population
        rows = (((la * n_age + age_group(age)) * n_need + need) * n_dep + dep) * n_state + state
        chances = cumulative[rows]
        if helped.any():
            chances[helped] = np.cumsum(
                apply_effect(flat[rows[helped]], draw.re_referral_rr, draw.escalation_rr), axis=1
            )
        moves = _rng(seed, replicate, year, "move").random(len(la))
        before = np.where(present, state, ENTRY)
        state = np.minimum((moves[:, None] > chances).sum(axis=1), n_state - 1)
        age = age + 1
        present &= age <= OLDEST

        new = _new_children(model, expected_new, entry_rate, observed_year, pool_helped, draw, seed, replicate, year)
        la, age, need, dep = (
            np.concatenate([a, b]) for a, b in ((la, new.la), (age, new.age), (need, new.need), (dep, new.deprivation))
        )
        arrived = new.age >= 0
        state = np.concatenate([state, new.state])
        before = np.concatenate([before, np.full(len(new), ENTRY)])
        present = np.concatenate([present, arrived])

        events = draw.events[observed_year[la[present]], la[present], before[present], state[present]]
        result[year - 1, : len(COUNTED)] = events[:, : len(COUNTED)].sum(axis=0)

        helped, pool_helped = _choose_helped(model, scenario, la, state, present, seed, replicate, year)
        extra = helped.sum() + pool_helped.sum()
        result[year - 1, MEASURES.index("cost_pounds")] = (
            costs.state_year[state[present]].sum() + costs.early_help_year * extra
        )
        result[year - 1, MEASURES.index("extra_early_help")] = extra
    return result


def _new_children(
    model: Model,
    expected: np.ndarray,
    entry_rate: np.ndarray,
    observed_year: np.ndarray,
    pool_helped: np.ndarray,
    draw: Draw,
    seed: int,
    replicate: int,
    year: int,
) -> Cohort:
    """This year's new children; those kept out by last year's early help in the pool get age -1."""
    numbers = _rng(seed, replicate, year, "entrants").poisson(expected)
    pick = _rng(seed, replicate, year, "pick")
    chosen = []
    for la, number in enumerate(numbers):
        in_area = model.entrants.la == la
        pool = np.flatnonzero(in_area & (model.entrant_year == observed_year[la]))
        if not len(pool):  # no new children counted in that year: any year's
            pool = np.flatnonzero(in_area)
        if number and len(pool):
            chosen.append(pool[pick.integers(0, len(pool), number)])
    index = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
    new = model.entrants.take(index)
    # Early help given to children not yet known lowers their chance of becoming known by the
    # re-referral risk ratio: thin the new children by the expected number it prevents (a ratio
    # above 1 would add children; that is not modelled, so the thinning stops at none).
    prevented = pool_helped * entry_rate * (1.0 - draw.re_referral_rr)
    keep = 1.0 - np.clip(prevented / np.maximum(expected, 1e-12), 0.0, 1.0)
    kept_out = _rng(seed, replicate, year, "thin").random(len(new)) >= keep[new.la]
    new.age = np.where(kept_out, -1, new.age)
    return new


def _choose_helped(
    model: Model,
    scenario: Scenario,
    la: np.ndarray,
    state: np.ndarray,
    present: np.ndarray,
    seed: int,
    replicate: int,
    year: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Who gets early help this year that the baseline would not give, and how many children not
    yet known (per LA)."""
    helped = np.zeros(len(la), dtype=bool)
    pool = np.zeros(len(model.la_codes))
    if scenario.step_down_share is not None:
        observed = model.step_down_share
        extra_share = np.clip((scenario.step_down_share - observed) / np.maximum(1 - observed, 1e-12), 0, 1)
        chance = _rng(seed, replicate, year, "step_down").random(len(la))
        helped = present & (state == STATE_INDEX["closed_no_early_help"]) & (chance < extra_share[la])
    if scenario.early_help_reach is not None:
        places = np.maximum(0.0, (scenario.early_help_reach - model.early_help_reach) * model.population)
        places = np.round(places).astype(np.int64) - np.bincount(la[helped], minlength=len(pool))
        priority = _rng(seed, replicate, year, "reach").random(len(la))
        reachable = present & ~helped & np.isin(state, REACHABLE)
        for area in np.flatnonzero(places > 0):
            candidates = np.flatnonzero(reachable & (la == area))
            chosen = candidates[np.argsort(priority[candidates])[: places[area]]]
            helped[chosen] = True
            pool[area] = places[area] - len(chosen)
    return helped, pool


def simulate(
    model: Model,
    cohort: Cohort,
    scenarios: Sequence[Scenario],
    costs: Costs,
    effect_draw: Callable[[np.random.Generator], tuple[float, float]],
    years: int = 5,
    replicates: int = 100,
    seed: int = 2026,
    uncertain: bool = True,
    progress: Callable[[range], object] | None = None,
) -> np.ndarray:
    """Every scenario in every replicate: [scenario, replicate, year, measure]."""
    results = np.zeros((len(scenarios), replicates, years, len(MEASURES)))
    replicate_range = range(replicates)
    for replicate in progress(replicate_range) if progress else replicate_range:  # type: ignore[attr-defined]
        draw = draw_parameters(model, np.random.default_rng([seed, replicate, 0]), effect_draw, years, uncertain)
        for i, scenario in enumerate(scenarios):
            results[i, replicate] = run_scenario(model, cohort, draw, scenario, costs, years, seed, replicate)
    return results
