"""The journey engine: children's social care and early help, month by month, for every LA at once.

Design (see docs/synth.md): time moves in calendar months. In each month the engine takes the
referrals already scheduled for that month (re-referrals, step-ups from early help, moves between
LAs), tops them up with first referrals of new families so the LA meets its real referral volume,
and decides each referral's journey in one vectorised pass: no further action, assessment,
closure below the threshold (with or without a step-down into early help), or an episode of need
with CIN plans, section 47 enquiries, child protection plans and care. Every closure schedules the
child's possible next referral, whose chance depends on risk, deprivation, need, history and the
planted step-down effect. Community early help (families asking schools, health visitors and so
on for help) is then started so that each LA meets its early help reach. No per-child Python loop.

All dates are integer days since 1970-01-01. The output is a set of column arrays per event table;
:mod:`earlyhelp.synth.tables` turns them into EHLD tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from statistics import NormalDist
from typing import ClassVar

import numpy as np

from earlyhelp import reference
from earlyhelp.spec import codes
from earlyhelp.spec.periods import period_end, period_start, start_year, time_period
from earlyhelp.synth.rates import Rates
from earlyhelp.synth.settings import SynthSettings

DAY = np.timedelta64(1, "D")
EPOCH = np.datetime64("1970-01-01", "D")
FOREVER = np.int32(2**30)
YEAR_DAYS = 365.25

# Distributions of coded fields (shares; the DfE CIN census national pattern, rounded).
REFERRAL_SOURCES = {
    "6": 0.29,
    "2A": 0.17,
    "3A": 0.03,
    "3B": 0.02,
    "3C": 0.01,
    "3D": 0.03,
    "3E": 0.03,
    "3F": 0.03,
    "5A": 0.04,
    "5B": 0.03,
    "5C": 0.02,
    "5D": 0.03,
    "1A": 0.05,
    "1B": 0.01,
    "1C": 0.02,
    "1D": 0.01,
    "2B": 0.01,
    "4": 0.015,
    "7": 0.035,
    "8": 0.06,
    "9": 0.01,
    "10": 0.02,
}
PRIMARY_NEEDS = {
    "N1": 0.50,
    "N2": 0.07,
    "N3": 0.03,
    "N4": 0.10,
    "N5": 0.16,
    "N6": 0.03,
    "N7": 0.01,
    "N8": 0.04,
    "N9": 0.04,
    "N0": 0.02,
}
# How much a primary need raises the chance of an episode of need (log-odds-like shift).
NEED_SEVERITY = {
    "N1": 0.5,
    "N2": 0.2,
    "N3": 0.0,
    "N4": -0.1,
    "N5": 0.1,
    "N6": -0.1,
    "N7": -0.3,
    "N8": 0.2,
    "N9": -0.6,
    "N0": -0.6,
}
FACTORS_BY_NEED = {
    "N1": ("3A", "3B", "4A", "4B", "2B", "1B", "21"),
    "N2": ("5A", "5B", "5C", "6A", "6B"),
    "N3": ("5A", "6A", "6B", "7A", "18B"),
    "N4": ("3A", "3B", "4A", "21", "24A"),
    "N5": ("3A", "3B", "4B", "2B", "1B", "22A"),
    "N6": ("8B", "8C", "11A", "12A", "20"),
    "N7": ("24A", "23A", "21"),
    "N8": ("10A", "22A", "16A"),
    "N9": ("21", "24A", "9A"),
    "N0": ("21", "1C"),
}
CP_CATEGORIES = {"NEG": 0.49, "EMO": 0.36, "PHY": 0.07, "SAB": 0.04, "MUL": 0.04}
# D1 (freeing order) was abolished at the end of 2005 (SSDA903 rule 445): its share is in C2.
LEGAL_STATUS = {"C2": 0.39, "V2": 0.30, "E1": 0.04, "C1": 0.12, "L2": 0.12, "J2": 0.03}
# Legal statuses that last days, not months: an emergency protection order (L2) or PACE
# detention (J2) over 21 days breaks SSDA903 rules 362 and 364. A longer period that began that
# way continues under the order that follows (interim care order; s20 accommodation).
SHORT_LEGAL_STATUS = {"L2": "C1", "J2": "V2"}
# Reasons a period of care ended after which the child is never referred again under the same
# record: adopted (E11, E12), died (E2), age assessment found the child an adult (E15).
ENDS_RECORD = ("E11", "E12", "E2", "E15")
CLA_NEED = {"N1": 0.64, "N2": 0.03, "N3": 0.03, "N4": 0.08, "N5": 0.14, "N6": 0.02, "N7": 0.01, "N8": 0.05}
PLACEMENTS = {
    "U4": 0.25,
    "U6": 0.2,
    "U1": 0.12,
    "U3": 0.08,
    "U5": 0.05,
    "R1": 0.05,
    "K2": 0.09,
    "P1": 0.06,
    "H5": 0.04,
    "R2": 0.03,
    "Z1": 0.03,
}
REASON_CEASED = {
    "E4A": 0.30,
    "E41": 0.08,
    "E45": 0.05,
    "E11": 0.10,
    "E12": 0.02,
    "E13": 0.03,
    "E8": 0.12,
    "E2": 0.02,
    "E3": 0.04,
    "E7": 0.03,
    "E14": 0.03,
    "E15": 0.04,
    "E17": 0.04,
    "E48": 0.10,
}
ETHNICITY = {
    "WBRI": 0.66,
    "WOTH": 0.06,
    "WIRI": 0.003,
    "WIRT": 0.003,
    "WROM": 0.004,
    "MWBC": 0.025,
    "MWBA": 0.008,
    "MWAS": 0.012,
    "MOTH": 0.025,
    "AIND": 0.02,
    "APKN": 0.04,
    "ABAN": 0.015,
    "AOTH": 0.02,
    "BCRB": 0.012,
    "BAFR": 0.03,
    "BOTH": 0.01,
    "CHNE": 0.003,
    "OOTH": 0.03,
    "REFU": 0.01,
    "NOBT": 0.015,
}
EH_REQUEST_SOURCES = {
    "school": 0.30,
    "early_years": 0.10,
    "health": 0.20,
    "family": 0.15,
    "police": 0.06,
    "housing": 0.03,
    "voluntary": 0.06,
    "other": 0.10,
}
EH_END_REASONS = {
    "outcomes_achieved": 0.60,
    "family_declined": 0.12,
    "moved_away": 0.05,
    "transferred": 0.05,
    "other": 0.10,
    "step_up_to_social_care": 0.08,
}
# Lead agency given the request source (whole-family lead practitioner).
EH_LEAD_BY_SOURCE = {
    "school": {"school": 0.55, "la_family_support": 0.40, "other": 0.05},
    "early_years": {"early_years": 0.6, "la_family_support": 0.35, "health": 0.05},
    "health": {"health": 0.35, "la_family_support": 0.55, "voluntary": 0.10},
    "family": {"la_family_support": 0.75, "voluntary": 0.15, "youth_service": 0.10},
    "police": {"la_family_support": 0.6, "youth_service": 0.25, "police": 0.15},
    "housing": {"housing": 0.3, "la_family_support": 0.7},
    "voluntary": {"voluntary": 0.6, "la_family_support": 0.4},
    "other": {"la_family_support": 0.8, "other": 0.2},
    "csc_step_down": {"la_family_support": 0.85, "school": 0.1, "voluntary": 0.05},
}

OUTCOME_NFA, OUTCOME_NOT_IN_NEED, OUTCOME_IN_NEED = 0, 1, 2
CLOSURE_CODES = np.array(codes.CLOSURE_REASON)


def _choice(rng: np.random.Generator, table: dict[str, float], size: int) -> np.ndarray:
    keys = np.array(list(table))
    p = np.array(list(table.values()), dtype=float)
    return keys[rng.choice(len(keys), size=size, p=p / p.sum())]


def _choice_index(rng: np.random.Generator, table: dict[str, float], size: int) -> np.ndarray:
    p = np.array(list(table.values()), dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


class Columns:
    """An append-only table of numpy columns, concatenated once at the end."""

    def __init__(self, *names: str):
        self.names = names
        self.chunks: dict[str, list[np.ndarray]] = {n: [] for n in names}

    def append(self, **columns: np.ndarray) -> None:
        for name in self.names:
            self.chunks[name].append(np.asarray(columns[name]))

    def finish(self) -> dict[str, np.ndarray]:
        # Drop each column's chunks as soon as it is joined, so peak memory is one column over.
        out = {}
        for name in self.names:
            chunks = self.chunks.pop(name)
            out[name] = np.concatenate(chunks) if chunks else np.array([])
            del chunks
        return out


class Children:
    """Growable per-child state (one row per (LA, child) record; a mover has two)."""

    FIELDS: ClassVar[dict[str, type[np.generic]]] = {
        "la": np.int16,
        "person": np.int64,
        "family": np.int64,
        "birth": np.int32,
        "sex": np.int8,
        "ethnicity": np.int8,
        "disabled": np.bool_,
        "decile": np.int8,
        "risk": np.float32,
        "open_until": np.int32,
        "care_until": np.int32,
        "cp_count": np.int16,
        "escalation_rr": np.float32,
        "known_to_csc": np.bool_,
    }

    def __init__(self, capacity: int = 1 << 16):
        self.n = 0
        self.a: dict[str, np.ndarray] = {k: np.zeros(capacity, dtype=t) for k, t in self.FIELDS.items()}

    def add(self, **values: np.ndarray) -> np.ndarray:
        count = len(values["la"])
        need = self.n + count
        if need > len(self.a["la"]):
            size = max(need, 2 * len(self.a["la"]))
            for k, arr in self.a.items():
                grown = np.zeros(size, dtype=arr.dtype)
                grown[: self.n] = arr[: self.n]
                self.a[k] = grown
        index = np.arange(self.n, need)
        for k in self.FIELDS:
            self.a[k][index] = values.get(k, 0)
        self.a["open_until"][index] = values.get("open_until", -1)
        self.a["care_until"][index] = values.get("care_until", -1)
        self.a["escalation_rr"][index] = values.get("escalation_rr", 1.0)
        self.n = need
        return index

    def view(self) -> dict[str, np.ndarray]:
        return {k: v[: self.n] for k, v in self.a.items()}


@dataclass
class Journeys:
    """Everything the engine produced (column arrays), plus realised truth for effects.json."""

    children: dict[str, np.ndarray]
    referrals: dict[str, np.ndarray]
    assessments: dict[str, np.ndarray]
    cin_plans: dict[str, np.ndarray]
    s47: dict[str, np.ndarray]
    cp_plans: dict[str, np.ndarray]
    cla: dict[str, np.ndarray]
    early_help: dict[str, np.ndarray]
    step_down_truth: dict[str, np.ndarray]
    spend_effect_truth: dict[str, np.ndarray]
    start_day: int
    extract_day: int
    notes: dict = field(default_factory=dict)
    # Step-down episodes' main service (episode index -> service type), when planted.
    early_help_main_service: dict[str, np.ndarray] = field(default_factory=dict)

    def drop_events(self) -> None:
        """Free the event arrays once the tables are written (children are still needed)."""
        for name in (
            "referrals",
            "assessments",
            "cin_plans",
            "s47",
            "cp_plans",
            "cla",
            "early_help",
            "step_down_truth",
            "early_help_main_service",
        ):
            setattr(self, name, {})


def extract_day(settings: SynthSettings) -> int:
    """The return's extract date: the last day of the month ``follow_up_months`` after the
    period's end (31 March), so 12-month follow-ups of the last year are complete."""
    end = np.datetime64(period_end(time_period(settings.last_year)), "D")
    extract = (end.astype("datetime64[M]") + settings.behaviour.follow_up_months + 1).astype("datetime64[D]") - DAY
    return int((extract - EPOCH) // DAY)


def day_of(year: int, month: int, day: int) -> int:
    return day_number(date(year, month, day))


def day_number(day: date) -> int:
    """``day`` as the simulation counts days: since 1 January 1970."""
    return int((np.datetime64(day, "D") - EPOCH) // DAY)


class JourneySimulator:
    def __init__(self, settings: SynthSettings, rates: Rates, rng: np.random.Generator):
        self.s = settings
        self.b = settings.behaviour
        self.r = rates
        self.rng = rng
        self.n_la = len(rates.la_codes)
        self.start_year = settings.first_year - self.b.burn_in_years
        self.start_day = day_number(period_start(time_period(self.start_year)))
        self.period_end = day_number(period_end(time_period(settings.last_year)))
        self.extract_day = extract_day(settings)
        extract = EPOCH + np.timedelta64(self.extract_day, "D")
        self.months = np.arange(
            np.datetime64(f"{self.start_year}-04", "M"),
            extract.astype("datetime64[M]") + 1,
        )
        bounds = np.append(self.months, self.months[-1] + 1)
        self.month_start = ((bounds.astype("datetime64[D]") - EPOCH) // DAY).astype(np.int64)
        self.n_months = len(self.months)
        self.kids = Children()
        self.families = 0
        self.persons = 0
        # Scheduled referrals, one bucket per month: lists of (child, day, source) arrays.
        self.pending: list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = [[] for _ in range(self.n_months + 1)]
        self.scheduled_eh = np.zeros((self.n_la, self.n_months + 1))
        self.referrals = Columns("child", "la", "day", "source", "need", "outcome", "closure", "reason", "index")
        self.assessments = Columns("ref", "start", "auth", "factors")
        self.cin_plans = Columns("ref", "start", "end")
        self.s47 = Columns("ref", "start", "icpc", "decided", "not_required")
        self.cp = Columns("ref", "start", "end", "category", "previous")
        self.cla = Columns("child", "la", "start", "rne", "legal", "need", "placement", "end", "ceased")
        self.eh = Columns("child", "la", "family", "request", "start", "end", "source", "lead", "level", "end_reason")
        self.truth_step = Columns(
            "ref", "stepped", "rr12", "rr24", "rr_esc", "need", "decile", "service", "p12_1", "p12_0", "p24_1", "p24_0"
        )
        # The main early help service of each step-down, when service effects are planted: drawn
        # from a stream of its own, so the journeys' stream (and default output) is untouched.
        self.service_rng = rng.spawn(1)[0] if settings.service_types.is_planted else None
        self.eh_service = Columns("episode", "service")
        self.n_eh = 0
        self.month_end = 0
        self.n_referrals = 0
        # National early help reach (%): Action for Children's 3.1% in 2015-16 rising to 4.3% in
        # 2019-20, linear in between, flat after; a little lower in the years before.
        fy = rates.fy
        first, last = 2015, 2019
        reach = np.interp(fy, [first, last], [self.b.eh_reach_first, self.b.eh_reach_last])
        reach = np.where(fy < first, self.b.eh_reach_first - 0.1 * (first - fy), reach)
        self.eh_reach = np.maximum(reach, 1.5) / 100.0
        self.ei_cut = self._spend_cut()
        self.threshold_shift = planted_thresholds(settings, rates.la_codes)

    # ------------------------------------------------------------------ helpers
    def _fy_of_day(self, day: np.ndarray) -> np.ndarray:
        months = (EPOCH + day.astype("timedelta64[D]")).astype("datetime64[M]").astype(np.int64)
        year = (months - 3) // 12 + 1970
        return np.clip(year - self.r.fy[0], 0, len(self.r.fy) - 1)

    def _month_of_day(self, day: np.ndarray) -> np.ndarray:
        months = (EPOCH + day.astype("timedelta64[D]")).astype("datetime64[M]")
        return np.clip((months - self.months[0]).astype(np.int64), 0, self.n_months)

    def _threshold_calibrated(
        self, target: np.ndarray, weight: np.ndarray, la: np.ndarray, rows: np.ndarray
    ) -> np.ndarray:
        """A threshold decision's probabilities: each LA at its real rate (:func:`_calibrated`),
        or, with planted thresholds, one intercept for all LAs simulated together at their mean
        rate over ``rows``, so that LAs differ only by case mix and the planted shift (the known
        answer the threshold index is checked against)."""
        if not self.s.threshold.is_planted:
            return _calibrated(target, weight, la, rows, self.n_la)
        pooled = np.array([target[la[rows]].mean() if rows.any() else target.mean()])
        return _calibrated(pooled, weight, np.zeros_like(la), rows, 1)

    def _spend_cut(self) -> np.ndarray:
        base = self.r.fy_index(start_year(self.s.spend.base_time_period))
        ei = self.r.ei_spend_per_child_real
        return np.maximum(ei[:, [base]] - ei, 0.0)

    def _new_children(
        self, la: np.ndarray, day: np.ndarray, *, sibling_share: float, ages: tuple[tuple[float, float], ...]
    ) -> np.ndarray:
        """New families (with co-referred siblings) living in ``la``; returns child indices."""
        rng = self.rng
        n = len(la)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        sibling = rng.random(n) < sibling_share
        sibling[0] = False
        sibling[1:] &= la[1:] == la[:-1]
        family = self.families + np.cumsum(~sibling) - 1
        self.families = int(family[-1]) + 1
        # Ages: a mixture of bands (weight, max age in years).
        weights = np.array([w for w, _ in ages])
        bands = np.array([(lo, hi) for lo, hi in _age_bands(ages)])
        band = rng.choice(len(weights), size=n, p=weights / weights.sum())
        age_days = (bands[band, 0] + rng.random(n) * (bands[band, 1] - bands[band, 0])) * YEAR_DAYS
        birth = (day - age_days).astype(np.int64)
        twin = sibling & (rng.random(n) < self.b.twin_share / max(sibling_share, 1e-9))
        prev = np.roll(birth, 1)
        birth = np.where(twin, prev, birth)
        dep = self.r.idaci[la]
        # Children known to services skew towards deprived neighbourhoods.
        decile = np.clip(np.ceil(10 * rng.beta(1.0 + 2.5 * (0.35 - dep).clip(0), 1.8 + 3 * dep)), 1, 10).astype(np.int8)
        family_risk = rng.standard_normal(n)
        family_risk = np.where(sibling, np.roll(family_risk, 1), family_risk)
        risk = (0.8 * family_risk + 0.6 * rng.standard_normal(n) + 0.12 * (5.5 - decile)).astype(np.float32)
        index = self.kids.add(
            la=la,
            person=np.arange(self.persons, self.persons + n),
            family=family,
            birth=birth,
            sex=rng.integers(0, 2, n),
            ethnicity=_choice_index(rng, ETHNICITY, n),
            disabled=rng.random(n) < 0.07,
            decile=decile,
            risk=risk,
        )
        self.persons += n
        return index

    def _schedule(
        self, child: np.ndarray, day: np.ndarray, source: np.ndarray, wanted: np.ndarray | None = None
    ) -> None:
        """Queue referrals. Rows where ``wanted`` is false are drawn (move or not) like the
        others and then dropped, so leaving them out does not shift the random stream."""
        keep = day <= self.extract_day
        child, day, source = child[keep], day[keep], source[keep]
        wanted = np.ones(len(child), dtype=bool) if wanted is None else wanted[keep]
        if len(child) == 0:
            return
        # Some families move to another LA (same region where the scale has one) before the
        # next referral: a new LA record for the same true person.
        move = self.rng.random(len(child)) < self.b.move_la_share
        if move.any() and self.n_la > 1:
            child = child.copy()
            child[move] = self._move(child[move])
        child, day, source = child[wanted], day[wanted], source[wanted]
        if len(child) == 0:
            return
        month = self._month_of_day(day)
        order = np.argsort(month, kind="stable")
        month, child, day, source = month[order], child[order], day[order], source[order]
        bounds = np.searchsorted(month, np.arange(self.n_months + 2))
        for m in np.unique(month):
            lo, hi = bounds[m], bounds[m + 1]
            self.pending[m].append((child[lo:hi], day[lo:hi], source[lo:hi]))

    def _move(self, child: np.ndarray) -> np.ndarray:
        k = self.kids.view()
        la = k["la"][child].astype(np.int64)
        regions = np.array(self.r.region_codes)
        new_la = la.copy()
        for region in np.unique(regions[la]):
            members = np.flatnonzero(regions == region)
            if len(members) < 2:
                members = np.arange(self.n_la)
            rows = np.flatnonzero(regions[la] == region)
            # A random other LA: draw among the members but skip the child's own LA.
            pick = self.rng.integers(0, len(members) - 1, len(rows))
            own = np.searchsorted(members, la[rows])
            pick = pick + (pick >= own)
            new_la[rows] = members[pick]
        index = self.kids.add(
            la=new_la,
            person=k["person"][child],
            family=k["family"][child],
            birth=k["birth"][child],
            sex=k["sex"][child],
            ethnicity=k["ethnicity"][child],
            disabled=k["disabled"][child],
            decile=k["decile"][child],
            risk=k["risk"][child],
            cp_count=k["cp_count"][child],
        )
        return index

    def _next_referral(
        self,
        child: np.ndarray,
        closure: np.ndarray,
        probs: np.ndarray,
        source: np.ndarray,
        wanted: np.ndarray | None = None,
    ) -> np.ndarray:
        """Schedule each child's next referral after ``closure`` with (p12, p24, p_later);
        returns the day of each child's next referral (-1 if none). Children where ``wanted``
        is false get none, but their draws are still made (see ``_schedule``)."""
        rng = self.rng
        n = len(child)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        u = rng.random(n)
        p12, p24, plate = probs[:, 0], probs[:, 1], probs[:, 2]
        gap = np.full(n, -1, dtype=np.int64)
        first = u < p12
        # Re-referrals cluster soon after closure.
        gap[first] = 1 + (364 * rng.random(first.sum()) ** 1.6).astype(np.int64)
        second = ~first & (u < p12 + p24)
        gap[second] = 366 + (365 * rng.random(second.sum())).astype(np.int64)
        later = ~first & ~second & (u < p12 + p24 + plate)
        gap[later] = 731 + rng.exponential(700, later.sum()).astype(np.int64)
        go = gap > 0
        wanted = np.ones(n, dtype=bool) if wanted is None else wanted
        self._schedule(child[go], closure[go] + gap[go], source[go], wanted[go])
        return np.where(go & wanted, closure + gap, -1)

    # ------------------------------------------------------------------ the month loop
    def run(self) -> Journeys:
        from earlyhelp.console import steps

        with steps("Simulating journeys", self.n_months) as advance:
            for m in range(self.n_months):
                self._month(m)
                advance()
        return self._finish()

    def _month(self, m: int) -> None:
        rng = self.rng
        b = self.b
        start = int(self.month_start[m])
        end = int(self.month_start[m + 1])
        days_in = end - start
        fy = int(self._fy_of_day(np.array([start]))[0])
        k = self.kids.view()
        # A referral scheduled for this month from now on is never taken up (this month's
        # bucket has been read): the exact truth of step-down needs to know.
        self.month_end = end

        # Scheduled referrals that still apply.
        if self.pending[m]:
            child = np.concatenate([c for c, _, _ in self.pending[m]])
            day = np.concatenate([d for _, d, _ in self.pending[m]])
            source = np.concatenate([s for _, _, s in self.pending[m]])
            self.pending[m] = []
            ok = (
                (k["open_until"][child] < day)
                & (k["care_until"][child] < day)
                & (day - k["birth"][child] < 18 * YEAR_DAYS - 30)
            )
            child, day, source = child[ok], day[ok], source[ok]
            order = np.lexsort((day, child))
            child, day, source = child[order], day[order], source[order]
            first = np.ones(len(child), dtype=bool)
            first[1:] = child[1:] != child[:-1]
            child, day, source = child[first], day[first], source[first]
        else:
            child = np.zeros(0, np.int64)
            day = np.zeros(0, np.int64)
            source = np.zeros(0, dtype="<U3")
        pending_la = np.bincount(k["la"][child], minlength=self.n_la) if len(child) else np.zeros(self.n_la)

        # First referrals of new families top the month up to the LA's real volume.
        target = (
            self.r.referrals_per_child[:, fy]
            * self.r.population[:, fy]
            / 12.0
            * days_in
            / (365.25 / 12)
            * b.referral_fill
        )
        new_count = rng.poisson(np.maximum(target - pending_la, 0.0))
        la_new = np.repeat(np.arange(self.n_la), new_count)
        day_new = start + rng.integers(0, days_in, len(la_new))
        new_children = self._new_children(
            la_new,
            day_new,
            sibling_share=b.sibling_co_referral,
            ages=((0.05, 1), (0.19, 5), (0.27, 10), (0.35, 16), (0.14, 18)),
        )
        # Co-referred siblings are referred on the same day as the first child of the family.
        k = self.kids.view()
        day_new = day_new[_first_of_run(k["family"][new_children])]
        source_new = _choice(rng, REFERRAL_SOURCES, len(new_children))
        self._referrals(
            np.concatenate([child, new_children]).astype(np.int64),
            np.concatenate([day, day_new]).astype(np.int64),
            np.concatenate([source.astype("<U3"), source_new.astype("<U3")]),
            fy,
        )
        self._community_early_help(m, start, days_in, fy)

    def _referrals(self, child: np.ndarray, day: np.ndarray, source: np.ndarray, fy: int) -> None:
        rng = self.rng
        b = self.b
        n = len(child)
        if n == 0:
            return
        k = self.kids.view()
        la = k["la"][child].astype(np.int64)
        risk = k["risk"][child].astype(float)
        decile = k["decile"][child]
        age = (day - k["birth"][child]) / YEAR_DAYS
        birthday18 = k["birth"][child] + int(18 * YEAR_DAYS) - 1
        unknown = source == ""
        source = np.where(unknown, _choice(rng, REFERRAL_SOURCES, n), source)
        need_keys = list(PRIMARY_NEEDS)
        need_index = _choice_index(rng, PRIMARY_NEEDS, n)
        need = np.array(need_keys)[need_index]
        severity = np.array([NEED_SEVERITY[key] for key in need_keys])[need_index]
        history = k["known_to_csc"][child].astype(float)
        # Babies are more often found in need and taken into care; teenagers less (before the
        # planted spend effect on 16-17 year olds).
        age_shift = np.where(age < 1, 0.5, np.where(age >= 13, -0.2, 0.0))
        ref_index = np.arange(self.n_referrals, self.n_referrals + n)
        self.n_referrals += n

        # --- no further action (decided at the front door). Risk shifts who is chosen; the
        # LA's real share is kept by normalising the weights within the LA and month.
        w = b.risk_weight
        all_rows = np.ones(n, dtype=bool)
        p_nfa = self._threshold_calibrated(self.r.nfa_share[:, fy], np.exp(-w * risk - 0.3 * history), la, all_rows)
        p_nfa = _shifted(p_nfa, self.threshold_shift[la])
        nfa = rng.random(n) < p_nfa
        # The front door records its no-further-action decisions on weekdays: one that came in at
        # a weekend is dated the Monday after (not past the extract). Besides realism, this keeps
        # NFA referrals off a 1 April that falls at a weekend, which the DfE validator's
        # "working day before the collection start" (CIN query 8569Q) wrongly puts in the year
        # before. No random draw depends on it.
        monday = _weekday_on_or_after(day)
        day = np.where(nfa & (monday <= self.extract_day), monday, day)
        # --- assessed: not in need, or an episode of need. The planted escalation effect
        # (after a step-down fewer re-referrals become episodes of need) enters the weight.
        esc = k["escalation_rr"][child].astype(float)
        p_in = self._threshold_calibrated(
            1 - self.r.nin_share_of_assessed[:, fy],
            np.exp(w * (risk + severity + 0.2 * history + age_shift)) * esc,
            la,
            ~nfa,
        )
        p_in = _shifted(p_in, -self.threshold_shift[la])
        nin = ~nfa & (rng.random(n) >= p_in)
        in_need = ~nfa & ~nin
        self.kids.a["escalation_rr"][child] = 1.0
        self.kids.a["known_to_csc"][child] = True

        a_start = day + rng.geometric(0.35, n) - 1
        a_auth = a_start + 1 + rng.gamma(2.0, 11.0, n).astype(np.int64)
        # A child assessed as not in need is closed on the day the assessment is authorised
        # (RC8): a later closure would leave an assessment with "no factors" (21) authorised by
        # 31 March on an episode still open in the census (CIN query 8873Q). The draw of the
        # old lag of 0-3 days is kept so the random stream is unchanged.
        rng.integers(0, 4, n)
        closure = np.where(nfa, day, a_auth)
        reason = np.full(n, 7, dtype=np.int64)  # index into CLOSURE_CODES; 7 = RC8
        outcome = np.where(nfa, OUTCOME_NFA, np.where(nin, OUTCOME_NOT_IN_NEED, OUTCOME_IN_NEED))

        # --- below the threshold: step down into early help?
        m_la = self.r.eh_reach_multiplier[la]
        selection = self.s.selection
        recorded = (
            selection.known_to_csc * history
            + selection.deprivation * (5.5 - decile)
            + selection.need_severity * severity
        )
        p_step = np.clip(
            b.step_down_share * np.sqrt(m_la) * np.exp(selection.latent_risk * risk + recorded + selection.centring),
            0.0,
            0.9,
        )
        stepped = nin & (rng.random(n) < p_step)
        reason[stepped & (rng.random(n) < b.step_down_recorded_rc9)] = 8  # RC9

        # --- episodes of need
        cin_len = rng.lognormal(np.log(b.cin_median_days), b.cin_sigma, n).astype(np.int64)
        cin_end = a_auth + cin_len
        # A child protection plan (made at an initial conference after a section 47 enquiry) at
        # the LA's real rate; more enquiries end without a plan, up to the s47 share.
        p_cp = self._threshold_calibrated(
            self.r.cp_per_in_need[:, fy], np.exp(0.3 * severity + 0.2 * risk), la, in_need
        )
        p_cp = _shifted(p_cp, -self.threshold_shift[la])
        icpc = in_need & (rng.random(n) < p_cp)
        p_more = np.clip((b.s47_share - p_cp) / (1 - p_cp), 0, 1)
        s47 = icpc | (in_need & (rng.random(n) < p_more))
        s47_start = a_start + rng.integers(0, 10, n)
        icpc_day = _weekday_on_or_before(s47_start + 5 + rng.integers(0, 15, n))
        cp_len = rng.lognormal(np.log(b.cp_median_days), b.cp_sigma, n).astype(np.int64)
        cp_end = icpc_day + cp_len
        # Care: the LA's real rate, plus the planted spend effect on 16-17 year olds.
        cut = self.ei_cut[la, fy]
        eff = self.s.spend.extra_starts_per_100k_16_17_per_10_pounds_cut
        # Extra starts per 16-17 year old in need: rate per child aged 16-17 divided by the
        # share of 16-17 year olds among children in need (older children are ~14% of referrals).
        pop_1617 = self.r.population[la, fy] * 2 / 18
        in_need_1617 = np.maximum(
            self.r.referrals_per_child[la, fy]
            * self.r.population[la, fy]
            * (1 - self.r.nfa_share[la, fy])
            * (1 - self.r.nin_share_of_assessed[la, fy])
            * 0.14,
            1.0,
        )
        extra_rate = eff * cut / 10.0 / 100_000 * pop_1617 / in_need_1617
        older = age >= 16
        p_cla = _calibrated(
            self.r.cla_per_in_need[:, fy], np.exp(0.25 * risk + age_shift), la, in_need, self.n_la
        ) + np.where(older, extra_rate, 0.0)
        cla = in_need & (rng.random(n) < p_cla)
        cla_start = a_auth + (rng.random(n) * np.minimum(cin_len, 150)).astype(np.int64)
        cla &= cla_start < birthday18  # nobody starts to be looked after at 18 (903 rule 352)
        # A child who came into care on or before the day of the conference is protected by
        # being looked after: the conference makes no plan (one would start and end that day,
        # CIN rule 8840). The enquiry stays, concluded without the need for a conference.
        icpc &= ~(cla & (cla_start <= icpc_day))
        # An episode of need closes by the 18th birthday (or with its assessment, if that came
        # later): an enquiry or conference due on or after that day does not happen (activity
        # after closure is CIN rule 8565). The draws for them are still made below.
        last_day = np.maximum(birthday18, a_auth)
        s47_drawn, icpc_drawn = s47.copy(), icpc.copy()
        icpc &= icpc_day < last_day
        s47 &= icpc | (s47_start <= last_day)
        cla_len = rng.lognormal(np.log(b.cla_median_days), b.cla_sigma, n).astype(np.int64)
        cla_end = np.maximum(np.minimum(cla_start + cla_len, birthday18), cla_start)
        cp_end = np.where(cla, np.minimum(cp_end, np.maximum(cla_start, icpc_day)), cp_end)
        episode_end = np.maximum(cin_end, np.where(icpc, cp_end + 30, 0))
        episode_end = np.maximum(episode_end, np.where(cla, cla_end, 0))
        # A short episode stays open until its enquiry has started (rule 8565 again).
        episode_end = np.maximum(episode_end, np.where(s47, s47_start, 0))
        episode_end = np.minimum(episode_end, last_day)
        closure = np.where(in_need, episode_end, closure)
        # A plan cut short by the 18th birthday ends with the episode, after the conference.
        cp_end = np.minimum(cp_end, np.where(in_need, closure, cp_end))
        ceased = _choice_index(rng, REASON_CEASED, n)
        ceased_code = np.array(list(REASON_CEASED))[ceased]
        # Nobody is adopted on reaching 18 (SSDA903 rule 386): care that lasts until then ends
        # for another reason (E8).
        # Nor does a special guardianship order (E45, E48) end care at 18 (rule 407; an order
        # lasts only until then, and the validator counts a 29 February child 18 on the 28th).
        ceased_code = np.where(
            np.isin(ceased_code, ["E11", "E12", "E45", "E48"]) & (cla_end >= birthday18), "E8", ceased_code
        )
        rc_in_need = np.where(rng.random(n) < 0.08, 4, 6)  # RC5 transferred / RC7 ceased
        rc_in_need = np.where(closure >= birthday18, 5, rc_in_need)  # RC6 adult services
        rc_in_need = np.where(cla & (ceased_code == "E11"), 0, rc_in_need)  # RC1 adopted
        rc_in_need = np.where(cla & np.isin(ceased_code, ["E41", "E45"]), 3, rc_in_need)  # RC4
        reason = np.where(in_need, rc_in_need, reason)
        # A plan starts 2 days after the assessment and ends 3 days before closure, so an
        # episode of under 6 days has no room for one (a same-day plan is census query 4012Q).
        # The draw is made for every row either way, keeping the random stream unchanged.
        p_cin_plan = _shifted(np.full(n, b.cin_plan_share), -self.threshold_shift[la])
        cin_plan = in_need & ~icpc & ~cla & (rng.random(n) < p_cin_plan) & (closure - a_auth > 5)
        cp_prev = k["cp_count"][child].copy()
        np.add.at(self.kids.a["cp_count"], child[icpc], 1)

        # State: the child is open until closure, in care until the end of care.
        open_until = np.where(closure > self.extract_day, FOREVER, closure)
        self.kids.a["open_until"][child] = open_until
        self.kids.a["care_until"][child[cla]] = np.where(cla_end[cla] > self.extract_day, FOREVER, cla_end[cla])

        # --- record everything
        self.referrals.append(
            child=child,
            la=la,
            day=day,
            source=source,
            need=need,
            outcome=outcome,
            closure=closure,
            reason=reason,
            index=ref_index,
        )
        assessed = ~nfa
        self.assessments.append(
            ref=ref_index[assessed],
            start=a_start[assessed],
            auth=a_auth[assessed],
            factors=_no_factors_alone(self._factors(need[assessed]), need[assessed], in_need[assessed]),
        )
        self.cin_plans.append(
            ref=ref_index[cin_plan],
            start=a_auth[cin_plan] + 2,
            end=np.maximum(closure[cin_plan] - 3, a_auth[cin_plan] + 2),
        )
        # An enquiry without a conference concluded that none was needed, so the flag is set
        # (the census requires it on a closed episode, rule 8868). The draw that once set it at
        # random is kept so the random stream, and with it the calibration, is unchanged.
        rng.random(s47_drawn.sum())
        # An enquiry has concluded by the time its episode closes.
        decided = np.minimum(icpc_day, np.where(in_need, closure, icpc_day))
        self.s47.append(
            ref=ref_index[s47],
            start=s47_start[s47],
            icpc=np.where(icpc[s47], icpc_day[s47], -1),
            decided=decided[s47],
            not_required=~icpc[s47],
        )
        category = _choice(rng, CP_CATEGORIES, icpc_drawn.sum())[icpc[icpc_drawn]]
        self.cp.append(
            ref=ref_index[icpc],
            start=icpc_day[icpc],
            end=np.maximum(cp_end[icpc], icpc_day[icpc]),
            category=category,
            previous=cp_prev[icpc],
        )
        self._care(
            child[cla], la[cla], cla_start[cla], cla_end[cla], ceased_code[cla], k["birth"][child[cla]], birthday18[cla]
        )
        se = self.s.step_down
        group = np.where(decile <= 3, 0, np.where(decile <= 7, 1, 2))
        by_group = np.array(
            [se.benefit_by_deprivation[g] for g in ("most_deprived_1_3", "middle_4_7", "least_deprived_8_10")]
        )
        benefit = np.array([se.benefit_by_need[key] for key in need_keys])[need_index] * by_group[group]
        rr12 = np.minimum(1 - (1 - se.re_referral_rr_12m) * benefit, 1.0)
        rr24 = np.minimum(1 - (1 - se.re_referral_rr_24m) * benefit, 1.0)
        rr_esc = np.minimum(1 - (1 - se.escalation_rr) * benefit, 1.0)
        service = np.full(n, "", dtype=object)
        if self.service_rng is not None:
            service, service_rr = self._main_services(n)
            rr12 = rr12 * service_rr
            rr24 = rr24 * service_rr

        # --- next referral
        base = np.where(
            nfa[:, None],
            np.array(b.re_referral_after_nfa)[None, :],
            np.where(
                nin[:, None],
                np.array(b.re_referral_after_not_in_need)[None, :],
                np.array(b.re_referral_after_in_need)[None, :],
            ),
        )
        scale = np.exp(0.45 * risk + 0.05 * (5.5 - decile) - 0.1)[:, None]
        untreated = base * scale
        treated = untreated.copy()
        treated[:, 0] *= rr12
        treated[:, 1] *= rr24
        untreated, treated = _capped(untreated), _capped(treated)
        probs = np.where(stepped[:, None], treated, untreated)
        closed_assessed = np.flatnonzero(nin)
        p12, p24 = self._re_referral_truth(
            child[closed_assessed],
            closure[closed_assessed],
            k["birth"][child[closed_assessed]],
            (treated[closed_assessed], untreated[closed_assessed]),
        )
        self.truth_step.append(
            ref=ref_index[closed_assessed],
            stepped=stepped[closed_assessed],
            rr12=rr12[closed_assessed],
            rr24=rr24[closed_assessed],
            rr_esc=rr_esc[closed_assessed],
            need=need[closed_assessed],
            decile=decile[closed_assessed],
            service=service[closed_assessed],
            p12_1=p12[0],
            p12_0=p12[1],
            p24_1=p24[0],
            p24_0=p24[1],
        )
        self.kids.a["escalation_rr"][child[stepped]] = rr_esc[stepped]
        still = (closure <= self.extract_day) & ~(cla & (cla_end >= birthday18))
        # A child adopted (E11, E12), who died (E2) or was found by an age assessment to be an
        # adult (E15) is never referred again under this record (SSDA903 rules 199 and 437),
        # nor, as a moved family, under another. Their draws are made all the same.
        ends_record = cla & np.isin(ceased_code, ENDS_RECORD) & (cla_end <= self.extract_day)
        next_day = np.full(n, -1, dtype=np.int64)
        next_day[still] = self._next_referral(
            child[still],
            closure[still],
            probs[still],
            np.full(still.sum(), "", dtype="<U3"),
            wanted=~ends_record[still],
        )

        # --- early help after a step-down (also some after an episode of need). If the child's
        # next referral comes while the episode is open, that referral is the step-up: the
        # episode ends that day, so the planted effect is the whole effect on re-referral.
        step_after_cin = (
            in_need & ~cla & (closure <= self.extract_day) & (rng.random(n) < b.step_down_after_cin * np.sqrt(m_la))
        )
        eh_children = stepped | step_after_cin
        eh_start = closure + rng.integers(0, 29, n)
        if self.service_rng is not None:
            stepped_episodes = self.n_eh + np.flatnonzero(stepped[eh_children])
            self.eh_service.append(episode=stepped_episodes, service=service[stepped & eh_children])
        self._early_help(
            child[eh_children],
            la[eh_children],
            eh_start[eh_children],
            np.full(eh_children.sum(), "csc_step_down"),
            request=closure[eh_children],
            stepped_up_on=next_day[eh_children],
        )

    def _main_services(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Each closure's main early help service were it stepped down (drawn for every closure
        from the service stream, so that the truth has an effect for every one) and its ratio."""
        from earlyhelp.synth.tables import SERVICES_BY_SOURCE

        planted = self.s.service_types
        mix = planted.mix or {name: 1.0 for name in SERVICES_BY_SOURCE["csc_step_down"]}
        assert self.service_rng is not None
        service = _choice(self.service_rng, mix, n).astype(object)
        names, index = np.unique(service.astype(str), return_inverse=True)
        ratio = np.array([planted.re_referral_rr.get(str(name), 1.0) for name in names], dtype=float)
        return service, ratio[index] if n else np.ones(0)

    def _re_referral_truth(
        self, child: np.ndarray, closure: np.ndarray, birth: np.ndarray, arms: tuple[np.ndarray, np.ndarray]
    ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """The exact chance of a new referral of this record 1..365 and 1..730 days after each
        closure, stepped down and not (``arms``: the (p12, p24, later) rows of each).

        It follows the simulation step by step: the closure's own next referral comes after a gap
        of 1 + floor(364 U^1.6) days in the first year and 366 + floor(365 U) in the second; it
        is lost if the family moves LA (a new record), if it falls in the month being simulated
        (whose bucket has been read), after the extract, or within 30 days of the 18th birthday.
        A referral already scheduled by an earlier journey inside the window makes it certain.
        Not modelled: a no-further-action re-referral on days 364-365 (or 729-730) dated on to the
        Monday after a weekend can leave the window (under 0.05% of re-referrals)."""
        stay = 1.0 - self.b.move_la_share if self.n_la > 1 else 1.0
        age_limit = np.ceil(18 * YEAR_DAYS - 30 - (closure - birth)).astype(np.int64) - 1
        last = np.minimum(age_limit, self.extract_day - closure)
        first = np.maximum(1, self.month_end - closure)

        def first_year(gap: np.ndarray) -> np.ndarray:
            return np.clip(np.maximum(gap, 0) / 364.0, 0.0, 1.0) ** 0.625

        share_1 = np.maximum(first_year(np.minimum(last, 364)) - first_year(first - 1), 0.0)
        share_2 = np.maximum(np.minimum(last, 730) - np.maximum(first, 366) + 1, 0) / 365.0
        other_12, other_24 = self._already_scheduled(child, closure, age_limit)
        p12 = tuple(np.where(other_12, 1.0, stay * arm[:, 0] * share_1) for arm in arms)
        p24 = tuple(np.where(other_24, 1.0, stay * (arm[:, 0] * share_1 + arm[:, 1] * share_2)) for arm in arms)
        return (p12[0], p12[1]), (p24[0], p24[1])

    def _already_scheduled(
        self, child: np.ndarray, closure: np.ndarray, age_limit: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Whether a referral scheduled earlier (by another journey) will come 1..365 and 1..730
        days after the closure, before the 18th birthday's cut-off."""
        within_12 = np.zeros(len(child), dtype=bool)
        within_24 = np.zeros(len(child), dtype=bool)
        if len(child) == 0:
            return within_12, within_24
        order = np.argsort(child, kind="stable")
        sorted_child = child[order]
        current = int(self._month_of_day(np.array([self.month_end - 1]))[0])
        for bucket in self.pending[current + 1 : current + 26]:
            for scheduled_child, scheduled_day, _ in bucket:
                position = np.searchsorted(sorted_child, scheduled_child)
                found = position < len(sorted_child)
                found[found] = sorted_child[position[found]] == scheduled_child[found]
                if not found.any():
                    continue
                row = order[position[found]]
                gap = scheduled_day[found] - closure[row]
                ok = (gap >= 1) & (gap <= age_limit[row])
                within_12[row[ok & (gap <= 365)]] = True
                within_24[row[ok & (gap <= 730)]] = True
        return within_12, within_24

    def _factors(self, need: np.ndarray) -> np.ndarray:
        """One to three distinct assessment factors typical of the primary need."""
        rng = self.rng
        out = np.empty(len(need), dtype=object)
        for code, options in FACTORS_BY_NEED.items():
            idx = np.flatnonzero(need == code)
            if len(idx) == 0:
                continue
            opts = np.array(options)
            size = len(opts)
            count = np.minimum(rng.integers(1, 4, len(idx)), size)
            first = rng.integers(0, size, len(idx))
            # Distinct offsets 1..size-1 from the first pick.
            step1 = rng.integers(0, size - 1, len(idx))
            step2 = (step1 + 1 + rng.integers(0, max(size - 2, 1), len(idx))) % (size - 1)
            a = opts[first]
            b = opts[(first + 1 + step1) % size]
            c = opts[(first + 1 + step2) % size]
            joined = np.where(count >= 2, np.char.add(np.char.add(a, "|"), b), a)
            joined = np.where(count >= 3, np.char.add(np.char.add(joined, "|"), c), joined)
            out[idx] = joined
        return out

    def _care(self, child, la, start, end, ceased_code, birth, birthday18) -> None:
        rng = self.rng
        n = len(child)
        if n == 0:
            return
        # Care capped at 18 ends on the 18th birthday itself (the engine's ``birthday18`` is a day
        # or two early), the date SSDA903 compares DEC with for E17 (rule 460).
        at_18 = end >= birthday18
        end = np.where(at_18, _birthday(birth, 18), end)
        age_at_end = (end - birth) / YEAR_DAYS
        # Reasons that only fit some ages: staying put with carers (E17) is at 18; transfer to
        # adult social care (E7) from 16 (rule 389). Otherwise the child went home (E4A).
        ceased_code = np.where((ceased_code == "E17") & ~at_18, "E4A", ceased_code)
        ceased_code = np.where((ceased_code == "E7") & (age_at_end < 16), "E4A", ceased_code)
        # A period of care is one or more SSDA903 episodes: a start (S) and placement changes (P).
        n_eps_drawn = 1 + rng.binomial(2, 0.25, n)
        # Every episode lasts at least a day and the next starts the day it ends (SSDA903
        # rules 355, 388, 433): a period of care of a few days (one that starts just before
        # the 18th birthday) has no more episodes than days.
        n_eps = np.minimum(n_eps_drawn, np.maximum(end - start, 1))
        rep = np.repeat(np.arange(n), n_eps)
        pos = np.arange(len(rep)) - np.repeat(np.cumsum(n_eps) - n_eps, n_eps)
        span = (end - start)[rep]
        frac_lo = pos / n_eps[rep]
        frac_hi = (pos + 1) / n_eps[rep]
        ep_start = start[rep] + (span * frac_lo).astype(np.int64)
        ep_end = start[rep] + (span * frac_hi).astype(np.int64)
        last = pos == n_eps[rep] - 1
        ep_start = np.where(pos > 0, np.maximum(ep_start, start[rep] + pos), ep_start)
        ep_start = np.minimum(ep_start, end[rep])
        ep_end = np.where(last, end[rep], np.maximum(ep_end, ep_start))
        rne = np.where(pos == 0, "S", "P")
        legal = _choice(rng, LEGAL_STATUS, n)
        too_long = (end - start) > 21
        under_10 = (start - birth) / YEAR_DAYS < 10.01  # PACE detention is from age 10 (358)
        for short, follows in SHORT_LEGAL_STATUS.items():
            legal = np.where((legal == short) & (too_long | (under_10 & (short == "J2"))), follows, legal)
        legal = legal[rep]
        # Placements are drawn for the episodes as first drawn, so the random stream does not
        # depend on the cut above; each episode takes its own draw.
        placement = _choice(rng, PLACEMENTS, int(n_eps_drawn.sum()))
        placement = placement[np.repeat(np.cumsum(n_eps_drawn) - n_eps_drawn, n_eps) + pos]
        # Placement with parents is under a care order, never s20 accommodation (rule 378);
        # semi-independent living is from 14 (rule 371), a children's home before.
        placement = np.where((placement == "P1") & (legal == "V2"), "U4", placement)
        under_14 = (ep_start - birth[rep]) / YEAR_DAYS < 14.01
        placement = np.where((placement == "H5") & under_14, "K2", placement)
        # A special guardianship order to former foster carers (E45) ends a foster placement
        # (rule 516).
        placement = np.where(
            last & (ceased_code[rep] == "E45") & ~np.char.startswith(placement.astype(str), "U"), "U4", placement
        )
        # An adoption (E11, E12) ends a placement for adoption under a placement order (E1),
        # here with new adopters, not the foster carers (A6; rules 390, 217). When that
        # placement follows another episode, both placement and legal status change (RNE B,
        # rule 435) unless the child was already under a placement order.
        adopted = last & np.isin(ceased_code[rep], ["E11", "E12"])
        placement = np.where(adopted, "A6", placement)
        rne = np.where(adopted & (pos > 0) & (legal != "E1"), "B", rne)
        legal = np.where(adopted, "E1", legal)
        self.cla.append(
            child=child[rep],
            la=la[rep],
            start=ep_start,
            rne=rne,
            legal=legal,
            need=_choice(rng, CLA_NEED, n)[rep],
            placement=placement,
            end=ep_end,
            ceased=np.where(last, ceased_code[rep], "X1"),
        )

    def _early_help(self, child, la, start, source, request=None, stepped_up_on=None) -> None:
        rng = self.rng
        b = self.b
        n = len(child)
        if n == 0:
            return
        k = self.kids.view()
        length = rng.lognormal(np.log(b.eh_median_days), b.eh_sigma, n).astype(np.int64) + 14
        end = start + length
        end_reason = _choice(rng, EH_END_REASONS, n)
        if stepped_up_on is not None:
            # Step-downs end in a step-up only through the child's own next referral.
            no_up = {k: v for k, v in EH_END_REASONS.items() if k != "step_up_to_social_care"}
            end_reason = _choice(rng, no_up, n).astype(end_reason.dtype)
            up = (stepped_up_on >= start) & (stepped_up_on < end)
            end = np.where(up, stepped_up_on, end)
            end_reason = np.where(up, "step_up_to_social_care", end_reason)
        lead = np.empty(n, dtype=object)
        for src, table in EH_LEAD_BY_SOURCE.items():
            idx = np.flatnonzero(source == src)
            if len(idx):
                lead[idx] = _choice(rng, table, len(idx))
        if request is None:
            has_request = rng.random(n) < 0.9
            request = np.where(has_request, start - rng.gamma(1.5, 12, n).astype(np.int64), -1)
        level = np.where(start >= day_of(2024, 4, 1), "family_help", "targeted_early_help")
        self.n_eh += n
        self.eh.append(
            child=child,
            la=la,
            family=k["family"][child],
            request=request,
            start=start,
            end=end,
            source=source,
            lead=lead,
            level=level,
            end_reason=end_reason,
        )
        month = self._month_of_day(start)
        np.add.at(self.scheduled_eh, (la, month), 1)
        # Stepping up is a new referral to social care; other endings may lead to one later.
        closed = end <= self.extract_day
        up = closed & (end_reason == "step_up_to_social_care") & (source != "csc_step_down")
        self._schedule(child[up], end[up] + rng.integers(0, 15, up.sum()), np.full(up.sum(), "5D", dtype="<U3"))
        other = closed & ~up & (source != "csc_step_down")
        risk = k["risk"][child[other]].astype(float)
        probs = np.array(b.referral_after_early_help)[None, :] * np.exp(0.4 * risk - 0.08)[:, None]
        self._next_referral(child[other], end[other], np.clip(probs, 0, 0.3), np.full(other.sum(), "", dtype="<U3"))

    def _community_early_help(self, m: int, start: int, days_in: int, fy: int) -> None:
        """Families asking for help directly, topped up to the LA's early help reach."""
        rng = self.rng
        b = self.b
        mean_years = np.exp(np.log(b.eh_median_days) + b.eh_sigma**2 / 2) / 365.25 + 14 / 365.25
        children_in_year = self.eh_reach[fy] * self.r.eh_reach_multiplier * self.r.population[:, fy] * b.eh_fill
        starts_month = children_in_year / (1 + mean_years) / 12 * days_in / (365.25 / 12)
        need = np.maximum(starts_month - self.scheduled_eh[:, m], 0.0)
        family_size = 1 + b.eh_family_extra_children
        families = rng.poisson(need / family_size)
        la_f = np.repeat(np.arange(self.n_la), families)
        if len(la_f) == 0:
            return
        extra = np.minimum(rng.poisson(b.eh_family_extra_children, len(la_f)), 4)
        la = np.repeat(la_f, 1 + extra)
        day = np.repeat(start + rng.integers(0, days_in, len(la_f)), 1 + extra)
        kids = self._new_children(la, day, sibling_share=0.0, ages=((0.30, 5), (0.35, 11), (0.35, 18)))
        # Whole-family working: the siblings share one family (and the episode's dates).
        first_child = kids[np.concatenate([[0], np.cumsum(1 + extra)[:-1]])]
        self.kids.a["family"][kids] = np.repeat(self.kids.a["family"][first_child], 1 + extra)
        source = np.repeat(_choice(rng, EH_REQUEST_SOURCES, len(la_f)), 1 + extra)
        self._early_help(kids, la, day, source)

    # ------------------------------------------------------------------ output
    def _finish(self) -> Journeys:
        b = self.b
        k = self.kids.view()
        truth_spend = Columns("la", "fy", "cut_pounds_per_child")
        for j in range(len(self.r.fy)):
            truth_spend.append(
                la=np.arange(self.n_la), fy=np.full(self.n_la, self.r.fy[j]), cut_pounds_per_child=self.ei_cut[:, j]
            )
        return Journeys(
            children=k,
            referrals=self.referrals.finish(),
            assessments=self.assessments.finish(),
            cin_plans=self.cin_plans.finish(),
            s47=self.s47.finish(),
            cp_plans=self.cp.finish(),
            cla=self.cla.finish(),
            early_help=self.eh.finish(),
            step_down_truth=self.truth_step.finish(),
            spend_effect_truth=truth_spend.finish(),
            start_day=self.start_day,
            extract_day=self.extract_day,
            notes={"burn_in_years": b.burn_in_years},
            early_help_main_service=self.eh_service.finish() if self.service_rng is not None else {},
        )


def _capped(probs: np.ndarray) -> np.ndarray:
    """Next-referral chances (12, 24 months, later) capped at 0.95 each and 0.97 in all."""
    probs = np.clip(probs, 0, 0.95)
    total = probs.sum(axis=1)
    return np.where(total[:, None] > 0.97, probs / total[:, None] * 0.97, probs)


def _calibrated(target: np.ndarray, weight: np.ndarray, la: np.ndarray, rows: np.ndarray, n_la: int) -> np.ndarray:
    """Per-row probabilities whose odds are proportional to ``weight`` and whose mean over
    ``rows`` of each LA is that LA's ``target`` share: individual risk decides who, the real LA
    rate decides how many. The LA's intercept is found by bisection on the log-odds scale."""
    target = np.clip(target, 1e-4, 1 - 1e-4)
    log_w = np.log(np.maximum(weight, 1e-12))
    counts = np.maximum(np.bincount(la[rows], minlength=n_la), 1)
    centre = np.log(target / (1 - target))
    low, high = centre - 8.0, centre + 8.0
    sub_la, sub_w = la[rows], log_w[rows]
    for _ in range(30):
        mid = (low + high) / 2
        p = 1 / (1 + np.exp(-(mid[sub_la] + sub_w)))
        mean = np.bincount(sub_la, weights=p, minlength=n_la) / counts
        too_high = mean > target
        high = np.where(too_high, mid, high)
        low = np.where(too_high, low, mid)
    intercept = (low + high) / 2
    return 1 / (1 + np.exp(-(intercept[la] + log_w)))


def planted_thresholds(settings: SynthSettings, la_codes: list[str]) -> np.ndarray:
    """Each LA's planted threshold shift (log-odds; see settings.ThresholdEffect), zeros unless
    planted. Drawn over the whole panel from its own stream of the seed, so an LA's shift does not
    depend on the scale and the journeys' random stream is untouched."""
    sigma = settings.threshold.la_sigma
    if settings.threshold.planted:
        return np.array([float(settings.threshold.planted.get(code, 0.0)) for code in la_codes])
    if sigma <= 0:
        return np.zeros(len(la_codes))
    all_codes = list(reference.local_authorities()["la_code"])
    # Evenly spread normal scores, placed by the seed, as for early help reach (rates.py).
    n_all = len(all_codes)
    scores = np.array([NormalDist().inv_cdf((i + 0.5) / n_all) for i in range(n_all)])
    shift = dict(zip(all_codes, sigma * np.random.default_rng([settings.seed, 11]).permutation(scores), strict=True))
    return np.array([shift[code] for code in la_codes])


def _shifted(p: np.ndarray, log_odds: np.ndarray) -> np.ndarray:
    """``p`` moved by ``log_odds`` on the logit scale; unchanged (the same array) when no shift."""
    if not np.any(log_odds):
        return p
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return 1 / (1 + np.exp(-(np.log(p / (1 - p)) + log_odds)))


def _first_of_run(keys: np.ndarray) -> np.ndarray:
    """Index of the first element of each run of equal consecutive keys, for every element."""
    start = np.ones(len(keys), dtype=bool)
    start[1:] = keys[1:] != keys[:-1]
    return np.maximum.accumulate(np.where(start, np.arange(len(keys)), 0))


def _age_bands(ages: tuple[tuple[float, float], ...]) -> list[tuple[float, float]]:
    bands = []
    low = 0.0
    for _, high in ages:
        bands.append((low, high))
        low = high
    return bands


def _birthday(birth: np.ndarray, years: int) -> np.ndarray:
    """Day number of the ``years``-th birthday (29 February -> 1 March in other years)."""
    born = EPOCH + birth.astype("timedelta64[D]")
    year = born.astype("datetime64[Y]")
    month = born.astype("datetime64[M]")
    day_in_month = born - month.astype("datetime64[D]")
    months_in = month - year.astype("datetime64[M]")
    target = (year + years).astype("datetime64[M]") + months_in
    return (target.astype("datetime64[D]") + day_in_month - EPOCH).astype(np.int64)


def _weekday_on_or_before(day: np.ndarray) -> np.ndarray:
    """Move a Saturday or Sunday back to the Friday before (conferences sit on working days).

    Days count from 1970-01-01, a Thursday, so ``(day + 3) % 7`` is 0 on Mondays.
    """
    weekday = (day + 3) % 7
    return day - np.clip(weekday - 4, 0, 2)


def _weekday_on_or_after(day: np.ndarray) -> np.ndarray:
    """Move a Saturday or Sunday on to the Monday after (see ``_weekday_on_or_before``)."""
    weekday = (day + 3) % 7
    return day + np.where(weekday >= 5, 7 - weekday, 0)


def _no_factors_alone(factors: np.ndarray, need: np.ndarray, in_need: np.ndarray) -> np.ndarray:
    """Factor 21 ("no factors identified") stands alone and never on a child found in need.

    An assessment that found a child not in need and drew 21 identified no factors: 21 alone.
    One that found a child in need identified factors: 21 is dropped, and if nothing is left
    the need's first other typical factor is used (no extra random draw, so the stream of the
    rest of the simulation is unchanged). No other factor code contains the characters "21".
    """
    out = factors.astype(str)
    has_21 = np.char.find(out, "21") >= 0
    out = np.where(has_21 & ~in_need, "21", out).astype(object)
    fix = np.flatnonzero(has_21 & in_need)
    if len(fix):
        # (np.char.replace is not used: in numpy 2.4 it can return '' when nothing matches.)
        kept = np.array(["|".join(c for c in text.split("|") if c != "21") for text in out[fix]])
        codes = np.array(sorted(FACTORS_BY_NEED))
        fallback = np.array([next(c for c in FACTORS_BY_NEED[code] if c != "21") for code in codes])
        fallback = fallback[np.searchsorted(codes, need[fix])]
        out[fix] = np.where(kept == "", fallback, kept)
    return out


def _dedupe_factors(text: str) -> str:
    seen = []
    for part in text.split("|"):
        if part not in seen:
            seen.append(part)
    return "|".join(seen)


def simulate(settings: SynthSettings, rates: Rates, rng: np.random.Generator) -> Journeys:
    return JourneySimulator(settings, rates, rng).run()
