"""The microsimulation against Markov-chain arithmetic done by hand on a hand-built model."""

from __future__ import annotations

import numpy as np
import pytest

from earlyhelp.whatif.model import Cohort, Model
from earlyhelp.whatif.panel import AGE_GROUPS, DEPRIVATION_BANDS, ENTRY, EVENTS, STATE_INDEX, STATES
from earlyhelp.whatif.simulate import MEASURES, Costs, Scenario, apply_effect, simulate

NONE, REFERRED, CLOSED, CIN = (STATE_INDEX[s] for s in ("none", "referred", "closed_no_early_help", "cin_plan"))
S = len(STATES)
CHILDREN = 20_000
BASELINE = Scenario("baseline", "no change")


def hand_model(rows: dict[int, dict[int, float]], cin_start_from: int = REFERRED) -> Model:
    """One LA, one need; every stratum has the transition matrix ``rows`` (a state not listed stays put).
    Events: one referral per child-year in `referred` or `closed_no_early_help`, one CIN start when a
    child moves from ``cin_start_from`` into `cin_plan`."""
    matrix = np.eye(S)
    for state, moves in rows.items():
        matrix[state] = 0.0
        for to, p in moves.items():
            matrix[state, to] = p
    transitions = np.broadcast_to(matrix, (1, len(AGE_GROUPS), 1, len(DEPRIVATION_BANDS), S, S)).copy()
    events = np.zeros((1, ENTRY + 1, S, len(EVENTS)))
    events[0, :, REFERRED, EVENTS.index("referrals")] = 1.0
    events[0, :, CLOSED, EVENTS.index("referrals")] = 1.0
    events[0, cin_start_from, CIN, EVENTS.index("cin_starts")] = 1.0
    nobody = Cohort(*(np.zeros(0, dtype=np.int64) for _ in range(5)))
    return Model(
        la_codes=["E99999999"],
        needs=["none"],
        transitions=transitions,
        year_transitions=transitions[None],
        events=events,
        year_events=events[None],
        entry_shape=np.zeros(1),
        entry_rate=np.ones(1),
        year_entry_shape=np.zeros((1, 1)),
        year_entry_rate=np.ones((1, 1)),
        population=np.array([100_000.0]),
        entrants=nobody,
        entrant_year=np.zeros(0, dtype=np.int64),
        step_down_share=np.zeros(1),
        early_help_reach=np.zeros(1),
    )


def cohort_of(state: int, age: int, n: int = CHILDREN) -> Cohort:
    zeros = np.zeros(n, dtype=np.int64)
    return Cohort(zeros, np.full(n, age), zeros, zeros, np.full(n, state))


def no_effect_uncertainty(re_referral: float, escalation: float):
    return lambda rng: (re_referral, escalation)


COSTS = Costs(np.array([0, 0, 100.0, 0, 100.0, 1000.0, 0, 0]), early_help_year=10.0)


def test_five_years_match_the_markov_chain_worked_by_hand():
    # none -> referred 10%; referred -> none 50%, -> CIN plan 50%; CIN plan stays 60%, ends 40%.
    model = hand_model({NONE: {NONE: 0.9, REFERRED: 0.1}, REFERRED: {NONE: 0.5, CIN: 0.5}, CIN: {CIN: 0.6, NONE: 0.4}})
    replicates = 10
    results = simulate(
        model,
        cohort_of(NONE, age=5),
        [BASELINE],
        COSTS,
        no_effect_uncertainty(1, 1),
        replicates=replicates,
        uncertain=False,
    )[0]
    # pi_t = pi_0 P^t over (none, referred, CIN plan), from pi_0 = (1, 0, 0):
    # pi_1 = (.9, .1, 0); pi_2 = (.86, .09, .05); pi_3 = (.839, .086, .075);
    # pi_4 = (.8281, .0839, .088); pi_5 = (.82244, .08281, .09475).
    referred = np.array([0.1, 0.09, 0.086, 0.0839, 0.08281])
    in_cin = np.array([0.0, 0.05, 0.075, 0.088, 0.09475])
    # a CIN start is a move referred -> CIN plan: pi_{t-1}[referred] x 0.5
    cin_starts = np.array([0.0, 0.1, 0.09, 0.086, 0.0839]) * 0.5
    for measure, share in (("referrals", referred), ("cin_starts", cin_starts)):
        expected = CHILDREN * share
        tolerance = 4 * np.sqrt(CHILDREN * share * (1 - share) / replicates) + 1e-9
        got = results[:, :, MEASURES.index(measure)].mean(axis=0)
        assert np.all(np.abs(got - expected) <= tolerance), (measure, got, expected)
    cost = CHILDREN * (100 * referred + 1000 * in_cin)
    got = results[:, :, MEASURES.index("cost_pounds")].mean(axis=0)
    assert np.allclose(got, cost, rtol=0.05)
    # nothing in the model gives care or CP starts
    assert results[:, :, MEASURES.index("care_starts")].sum() == 0


def test_children_leave_at_eighteen():
    model = hand_model({NONE: {REFERRED: 1.0}, REFERRED: {REFERRED: 1.0}})
    results = simulate(
        model, cohort_of(NONE, age=16, n=100), [BASELINE], COSTS, no_effect_uncertainty(1, 1), replicates=2
    )
    referrals = results[0, 0, :, MEASURES.index("referrals")]
    # aged 17 in year 1 (all referred), 18 in year 2: gone
    assert referrals.tolist() == [100, 0, 0, 0, 0]


def test_risk_ratios_scale_referral_and_escalation_by_hand():
    row = np.zeros((1, S))
    row[0, [NONE, REFERRED, CIN, STATE_INDEX["cp_plan"]]] = [0.5, 0.2, 0.2, 0.1]
    # P(any referral) .5 -> .25; P(plan or care) .3 -> .15; referred alone .2 -> .10; none .5 -> .75
    changed = apply_effect(row, 0.5, 0.5)[0]
    assert changed[[NONE, REFERRED, CIN, STATE_INDEX["cp_plan"]]] == pytest.approx([0.75, 0.10, 0.10, 0.05])
    assert changed.sum() == pytest.approx(1.0)
    # escalation can never exceed referral: RR 1 for escalation, 0.2 for referral
    capped = apply_effect(row, 0.2, 1.0)[0]
    assert capped[[CIN, STATE_INDEX["cp_plan"]]].sum() == pytest.approx(0.1)
    assert capped[REFERRED] == pytest.approx(0.0)


def step_down_model() -> Model:
    # an assessment closed below the threshold recurs (50%), becomes a plain referral (30%) or ends (20%)
    return hand_model({CLOSED: {CLOSED: 0.5, REFERRED: 0.3, NONE: 0.2}, REFERRED: {NONE: 1.0}})


def test_step_down_scenario_changes_referrals_as_worked_by_hand():
    model = step_down_model()
    scenario = Scenario("half", "half stepped down", step_down_share=0.5)
    replicates = 10
    results = simulate(
        model,
        cohort_of(CLOSED, age=5),
        [BASELINE, scenario],
        COSTS,
        no_effect_uncertainty(0.5, 1.0),
        replicates=replicates,
        uncertain=False,
    )
    change = (results[1] - results[0]).mean(axis=0)
    referrals = MEASURES.index("referrals")
    # Year 1: the starting year's children were not helped (the scenario starts in year 1): no change.
    assert change[0, referrals] == 0
    # Year 1 has .5N closed; half (.25N) are helped. Their year-2 row: P(referral) .8 x .5 = .4, split
    # as before (closed .25, referred .15), none .6. Baseline year 2 referrals: .5N x .8 = .4N; helped
    # children give .25N x .4 = .1N instead of .25N x .8 = .2N: change -.1N = -2000.
    assert change[1, referrals] == pytest.approx(
        -0.1 * CHILDREN, abs=4 * np.sqrt(CHILDREN * 0.25 * 0.25 / replicates) * 2
    )
    # Cost of the added early help in year 1: .25N children x 10.
    extra = MEASURES.index("extra_early_help")
    assert change[0, extra] == pytest.approx(0.25 * CHILDREN, rel=0.03)


def test_placebo_effect_of_one_changes_nothing_but_cost():
    model = step_down_model()
    scenario = Scenario("all", "everyone stepped down", step_down_share=1.0)
    results = simulate(
        model, cohort_of(CLOSED, age=5), [BASELINE, scenario], COSTS, no_effect_uncertainty(1.0, 1.0), replicates=3
    )
    change = results[1] - results[0]
    for measure in ("referrals", "cin_starts", "cp_starts", "care_starts"):
        assert np.all(change[:, :, MEASURES.index(measure)] == 0), measure
    assert np.all(change[:, :, MEASURES.index("cost_pounds")] > 0)
