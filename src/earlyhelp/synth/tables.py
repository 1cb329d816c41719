"""Turn simulated journeys into EHLD tables (pyarrow), in the exact shape of the data model.

Column names and types come from :mod:`earlyhelp.spec`; nothing here restates them except the
values. Events after the return's extract date are removed and end dates after it are emptied, as
an LA extract taken on that day would show them.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from earlyhelp.spec import codes
from earlyhelp.spec import table as spec_table
from earlyhelp.synth.rates import Rates
from earlyhelp.synth.simulate import CLOSURE_CODES, EPOCH, ETHNICITY, OUTCOME_NFA, Journeys

ARROW_TYPES = {
    "text": pa.string(),
    "code": pa.string(),
    "month": pa.string(),
    "date": pa.date32(),
    "bool": pa.bool_(),
    "int": pa.int64(),
    "float": pa.float64(),
}

SERVICES_BY_SOURCE = {
    "school": ("school_attendance", "family_support_worker", "parenting_programme", "send_support", "mental_health"),
    "early_years": ("early_years", "health_visiting", "parenting_programme", "family_support_worker"),
    "health": ("health_visiting", "mental_health", "parenting_programme", "family_support_worker"),
    "family": ("family_support_worker", "parenting_programme", "financial_support", "housing_support"),
    "police": ("domestic_abuse", "youth_work", "substance_use", "family_support_worker"),
    "housing": ("housing_support", "financial_support", "family_support_worker"),
    "voluntary": ("family_support_worker", "parenting_programme", "financial_support", "other"),
    "other": ("family_support_worker", "other", "parenting_programme"),
    "csc_step_down": (
        "family_support_worker",
        "parenting_programme",
        "domestic_abuse",
        "mental_health",
        "substance_use",
    ),
}
HEADINGS = np.array(codes.OUTCOME_HEADING)
HEADING_WEIGHTS = np.array([0.14, 0.07, 0.13, 0.05, 0.2, 0.1, 0.05, 0.1, 0.07, 0.09])


def build(name: str, columns: dict[str, pa.Array | np.ndarray]) -> pa.Table:
    """An EHLD table with the spec's column order and types (absent optional columns -> null)."""
    spec = spec_table(name)
    arrays = []
    for column in spec.columns:
        type_ = ARROW_TYPES[column.type]
        value = columns.get(column.name)
        if value is None:
            arrays.append(pa.nulls(_length(columns), type_))
        elif isinstance(value, (pa.Array, pa.ChunkedArray)):
            arrays.append(value.cast(type_))
        else:
            arrays.append(pa.array(value, type_))
    return pa.Table.from_arrays(arrays, names=list(spec.column_names))


def _length(columns: dict) -> int:
    return len(next(v for v in columns.values() if v is not None))


def dates(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    arr = pa.array(np.asarray(days, dtype=np.int32), pa.int32(), mask=null)
    return arr.cast(pa.date32())


def ids(prefix: pa.Array | str, number: np.ndarray, width: int) -> pa.Array:
    """'<prefix><zero-padded number>' built in Arrow (fast for millions of rows)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.asarray(number, dtype=np.int64)), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


class TableBuilder:
    def __init__(self, journeys: Journeys, rates: Rates, rng: np.random.Generator):
        self.j = journeys
        self.rng = rng
        self.extract = journeys.extract_day
        self.la_codes = pa.array(rates.la_codes)
        kids = journeys.children
        # Keep only children with at least one record (a planned move may never have happened).
        used = np.zeros(len(kids["la"]), dtype=bool)
        used[journeys.referrals["child"]] = True
        used[journeys.early_help["child"]] = True
        used[journeys.cla["child"]] = True
        self.used = used
        self.child_la = kids["la"].astype(np.int64)
        # Built once for every child, then taken: most tables repeat the same children.
        self._child_ids = ids(
            pc.binary_join_element_wise(self.la_of(self.child_la), "-C", ""), np.arange(len(self.child_la)), 8
        )

    # ------------------------------------------------------------------ helpers
    def child_ids(self, child: np.ndarray) -> pa.Array:
        return self._child_ids.take(pa.array(np.asarray(child, dtype=np.int64)))

    def la_of(self, la: np.ndarray) -> pa.Array:
        return self.la_codes.take(pa.array(np.asarray(la, dtype=np.int64)))

    def ref_ids(self, ref: np.ndarray) -> pa.Array:
        """Referral ids by referral index (known once :meth:`referrals` has run)."""
        return self._ref_ids.take(pa.array(np.asarray(ref, dtype=np.int64)))

    def family_ids(self, child: np.ndarray) -> pa.Array:
        family = self.j.children["family"][child]
        return ids(pc.binary_join_element_wise(self.la_of(self.child_la[child]), "-F", ""), family, 8)

    # ------------------------------------------------------------------ analytic tables
    def children(self) -> pa.Table:
        k = self.j.children
        child = np.flatnonzero(self.used)
        months = (EPOCH + k["birth"][child].astype("timedelta64[D]")).astype("datetime64[M]").astype(np.int64)
        year = pc.cast(pa.array(months // 12 + 1970), pa.string())
        month = pc.utf8_lpad(pc.cast(pa.array(months % 12 + 1), pa.string()), 2, "0")
        eth = np.array(list(ETHNICITY))[k["ethnicity"][child]]
        return build(
            "children",
            {
                "la_code": self.la_of(self.child_la[child]),
                "child_id": self.child_ids(child),
                "birth_month": pc.binary_join_element_wise(year, month, "-"),
                "sex": pa.array(np.where(k["sex"][child] == 1, "F", "M")),
                "ethnicity": pa.array(eth),
                "disabled": pa.array(k["disabled"][child]),
                "idaci_decile": pa.array(k["decile"][child].astype(np.int64)),
                "family_id": self.family_ids(child),
            },
        )

    def referrals(self) -> pa.Table:
        r = self.j.referrals
        closed = r["closure"] <= self.extract
        la = r["la"]
        self.ref_la = np.zeros(int(r["index"].max()) + 1 if len(r["index"]) else 0, np.int64)
        self.ref_la[r["index"]] = la
        self.ref_child = np.zeros_like(self.ref_la)
        self.ref_child[r["index"]] = r["child"]
        self._ref_ids = ids(
            pc.binary_join_element_wise(self.la_of(self.ref_la), "-R", ""), np.arange(len(self.ref_la)), 8
        )
        table = build(
            "referrals",
            {
                "la_code": self.la_of(la),
                "child_id": self.child_ids(r["child"]),
                "referral_id": self.ref_ids(r["index"]),
                "referral_date": dates(r["day"]),
                "referral_source": pa.array(r["source"].astype(str)),
                "primary_need": pa.array(r["need"].astype(str)),
                "referral_nfa": pa.array(r["outcome"] == OUTCOME_NFA),
                "closure_date": dates(r["closure"], ~closed),
                "closure_reason": pa.array(CLOSURE_CODES[r["reason"]], mask=~closed),
            },
        )
        return table

    def _ref_columns(self, ref: np.ndarray) -> dict[str, pa.Array]:
        la = self.ref_la[ref]
        return {
            "la_code": self.la_of(la),
            "child_id": self.child_ids(self.ref_child[ref]),
            "referral_id": self.ref_ids(ref),
        }

    def assessments(self) -> pa.Table:
        a = self.j.assessments
        keep = a["start"] <= self.extract
        ref = a["ref"][keep]
        auth = a["auth"][keep]
        cols = self._ref_columns(ref)
        cols["assessment_id"] = ids(pc.binary_join_element_wise(cols["la_code"], "-A", ""), ref, 8)
        cols["start_date"] = dates(a["start"][keep])
        cols["authorisation_date"] = dates(auth, auth > self.extract)
        cols["factors"] = pa.array(a["factors"][keep].astype(str))
        return build("assessments", cols)

    def cin_plans(self) -> pa.Table:
        c = self.j.cin_plans
        keep = c["start"] <= self.extract
        cols = self._ref_columns(c["ref"][keep])
        cols["start_date"] = dates(c["start"][keep])
        cols["end_date"] = dates(c["end"][keep], c["end"][keep] > self.extract)
        return build("cin_plans", cols)

    def s47_enquiries(self) -> pa.Table:
        s = self.j.s47
        keep = s["start"] <= self.extract
        icpc = s["icpc"][keep]
        cols = self._ref_columns(s["ref"][keep])
        cols["start_date"] = dates(s["start"][keep])
        cols["icpc_date"] = dates(icpc, (icpc < 0) | (icpc > self.extract))
        # Known only once the enquiry has concluded (the day a conference would have sat).
        undecided = s["decided"][keep] > self.extract
        cols["icpc_not_required"] = pa.array(s["not_required"][keep].astype(bool), mask=undecided)
        return build("s47_enquiries", cols)

    def cp_plans(self) -> pa.Table:
        c = self.j.cp_plans
        keep = c["start"] <= self.extract
        cols = self._ref_columns(c["ref"][keep])
        cols["start_date"] = dates(c["start"][keep])
        cols["end_date"] = dates(c["end"][keep], c["end"][keep] > self.extract)
        cols["initial_category"] = pa.array(c["category"][keep].astype(str))
        cols["previous_plans"] = pa.array(c["previous"][keep].astype(np.int64))
        return build("cp_plans", cols)

    def looked_after_episodes(self) -> pa.Table:
        c = self.j.cla
        keep = c["start"] <= self.extract
        open_ = c["end"][keep] > self.extract
        return build(
            "looked_after_episodes",
            {
                "la_code": self.la_of(c["la"][keep]),
                "child_id": self.child_ids(c["child"][keep]),
                "start_date": dates(c["start"][keep]),
                "reason_new_episode": pa.array(c["rne"][keep].astype(str)),
                "legal_status": pa.array(c["legal"][keep].astype(str)),
                "category_of_need": pa.array(c["need"][keep].astype(str)),
                "placement": pa.array(c["placement"][keep].astype(str)),
                "end_date": dates(c["end"][keep], open_),
                "reason_ceased": pa.array(c["ceased"][keep].astype(str), mask=open_),
            },
        )

    def early_help(self) -> tuple[pa.Table, pa.Table, pa.Table]:
        e = self.j.early_help
        keep = e["start"] <= self.extract
        child = e["child"][keep]
        la = e["la"][keep].astype(np.int64)
        start = e["start"][keep]
        end = e["end"][keep]
        open_ = end > self.extract
        request = e["request"][keep]
        episode = np.flatnonzero(keep)
        la_code = self.la_of(la)
        episode_id = ids(pc.binary_join_element_wise(la_code, "-E", ""), episode, 8)
        end_reason = e["end_reason"][keep].astype(str)
        episodes = build(
            "early_help_episodes",
            {
                "la_code": la_code,
                "child_id": self.child_ids(child),
                "family_id": self.family_ids(child),
                "episode_id": episode_id,
                "request_date": dates(request, request < 0),
                "start_date": dates(start),
                "end_date": dates(end, open_),
                "request_source": pa.array(e["source"][keep].astype(str)),
                "lead_agency": pa.array(e["lead"][keep].astype(str)),
                "service_level": pa.array(e["level"][keep].astype(str)),
                "end_reason": pa.array(end_reason, mask=open_),
            },
        )
        services = self._services(
            la_code, episode_id, e["source"][keep].astype(str), e["lead"][keep].astype(str), start, end, open_
        )
        if self.j.early_help_main_service:
            services = self._main_service_only(services, episode, episode_id)
        goals = self._goals(la_code, episode_id, episode, end_reason, open_)
        return episodes, services, goals

    def _services(self, la_code, episode_id, source, lead, start, end, open_) -> pa.Table:
        rng = self.rng
        n = len(source)
        count = 1 + rng.binomial(2, 0.35, n)
        rep = np.repeat(np.arange(n), count)
        service = np.empty(len(rep), dtype=object)
        src = source[rep]
        for key, options in SERVICES_BY_SOURCE.items():
            idx = np.flatnonzero(src == key)
            if len(idx):
                service[idx] = np.array(options)[rng.integers(0, len(options), len(idx))]
        provider = np.where(
            rng.random(len(rep)) < 0.6, lead[rep], np.array(codes.AGENCY)[rng.integers(0, len(codes.AGENCY), len(rep))]
        )
        span = np.maximum(end - start, 1)[rep]
        s_start = start[rep] + (rng.random(len(rep)) * span * 0.3).astype(np.int64)
        s_end = np.maximum(s_start, end[rep] - (rng.random(len(rep)) * span * 0.3).astype(np.int64))
        s_start = np.minimum(s_start, self.extract)
        return build(
            "early_help_services",
            {
                "la_code": la_code.take(pa.array(rep)),
                "episode_id": episode_id.take(pa.array(rep)),
                "service_type": pa.array(service.astype(str)),
                "provider_agency": pa.array(provider.astype(str)),
                "start_date": dates(s_start),
                "end_date": dates(s_end, open_[rep] | (s_end > self.extract)),
            },
        )

    def _main_service_only(self, services: pa.Table, episode: np.ndarray, episode_id: pa.Array) -> pa.Table:
        """With planted service effects, a step-down episode's services are its main service
        alone (the first row drawn for it, retyped), so "which help" has one answer per family."""
        planted = self.j.early_help_main_service
        main = np.full(len(episode), "", dtype=object)
        position = np.searchsorted(episode, planted["episode"])
        inside = position < len(episode)
        inside[inside] = episode[position[inside]] == planted["episode"][inside]
        main[position[inside]] = planted["service"][inside]
        row_episode = pc.index_in(services.column("episode_id"), value_set=episode_id).to_numpy(zero_copy_only=False)
        first = np.ones(len(row_episode), dtype=bool)
        first[1:] = row_episode[1:] != row_episode[:-1]
        has_main = main[row_episode] != ""
        services = services.set_column(
            services.schema.get_field_index("service_type"),
            "service_type",
            pa.array(
                np.where(
                    has_main, main[row_episode], services.column("service_type").to_numpy(zero_copy_only=False)
                ).astype(str)
            ),
        )
        return services.filter(pa.array(first | ~has_main))

    def _goals(self, la_code, episode_id, episode, end_reason, open_) -> pa.Table:
        rng = self.rng
        n = len(episode)
        count = 1 + rng.binomial(3, 0.4, n)
        rep = np.repeat(np.arange(n), count)
        m = len(rep)
        heading = rng.choice(len(HEADINGS), m, p=HEADING_WEIGHTS / HEADING_WEIGHTS.sum())
        achieved = end_reason[rep] == "outcomes_achieved"
        u = rng.random(m)
        # 0 met, 1 partly_met, 2 not_met, 3 withdrawn
        status = np.where(
            achieved, np.searchsorted([0.7, 0.95], u, side="right"), np.searchsorted([0.2, 0.5, 0.85], u, side="right")
        )
        closed = ~open_[rep]
        start_score = rng.integers(1, 7, m)
        gain = np.select(
            [status == 0, status == 1, status == 2],
            [rng.integers(2, 6, m), rng.integers(1, 3, m), rng.integers(-1, 2, m)],
            0,
        )
        end_score = np.clip(start_score + gain, 0, 10)
        no_end = ~closed | (status == 3) | (rng.random(m) < 0.1)
        no_start = rng.random(m) < 0.05
        rep_index = pa.array(rep)
        goal_la = la_code.take(rep_index)
        status_codes = pa.array(["met", "partly_met", "not_met", "withdrawn"])
        return build(
            "family_goals",
            {
                "la_code": goal_la,
                "episode_id": episode_id.take(rep_index),
                "goal_id": ids(pc.binary_join_element_wise(goal_la, "-G", ""), np.arange(m), 9),
                "outcome_heading": pa.array(HEADINGS).take(pa.array(heading)),
                "identified_by": pa.array(list(codes.GOAL_IDENTIFIED_BY)).take(
                    pa.array(rng.choice(3, m, p=[0.3, 0.2, 0.5]))
                ),
                "start_score": pa.array(start_score.astype(np.int64), mask=no_start),
                "end_score": pa.array(end_score.astype(np.int64), mask=no_end | no_start),
                "status": status_codes.take(pa.array(status, mask=~closed)),
            },
        )


def reference_tables(rates: Rates, settings, period_start: int, period_end: int) -> dict[str, pa.Table]:
    """The reference tables for the LAs of the scale, whole panel (2009-10 on) whatever the years."""
    from earlyhelp import reference
    from earlyhelp.synth.simulate import extract_day

    codes_ = list(rates.la_codes)
    las = reference.local_authorities()
    las = las[las["la_code"].isin(codes_)].sort_values("la_code")
    pop = reference.population()
    pop = pop[pop["la_code"].isin(codes_)].sort_values(["la_code", "year"])
    dep = reference.deprivation()
    dep = dep[dep["la_code"].isin(codes_)].sort_values("la_code")
    spend = reference.spend()
    spend = spend[spend["la_code"].isin(codes_)].sort_values(["la_code", "time_period", "line"])
    defl = reference.deflators().sort_values("time_period")
    f = settings.scale.population_fraction
    n = len(codes_)
    return {
        "local_authorities": build(
            "local_authorities",
            {c: pa.array(las[c].astype(str).to_numpy()) for c in ("la_code", "la_name", "region_code", "region_name")},
        ),
        # A scaled-down LA keeps its rates: population and spend shrink with it.
        "population": build(
            "population",
            {
                "la_code": pa.array(pop["la_code"].astype(str).to_numpy()),
                "year": pa.array(pop["year"].to_numpy(np.int64)),
                "children_0_17": pa.array(np.round(pop["children_0_17"].to_numpy(float) * f).astype(np.int64)),
            },
        ),
        "deprivation": build(
            "deprivation",
            {
                "la_code": pa.array(dep["la_code"].astype(str).to_numpy()),
                "idaci_score": pa.array(dep["idaci_score"].to_numpy(float)),
            },
        ),
        "spend": build(
            "spend",
            {
                "la_code": pa.array(spend["la_code"].astype(str).to_numpy()),
                "time_period": pa.array(spend["time_period"].to_numpy(np.int64)),
                "line": pa.array(spend["line"].astype(str).to_numpy()),
                "gross_spend": pa.array(np.round(spend["gross_spend"].to_numpy(float) * f, 2)),
                "early_intervention": pa.array(spend["early_intervention"].to_numpy(bool)),
            },
        ),
        "deflators": build(
            "deflators",
            {
                "time_period": pa.array(defl["time_period"].to_numpy(np.int64)),
                "index": pa.array(defl["index"].to_numpy(float)),
            },
        ),
        "returns": build(
            "returns",
            {
                "la_code": pa.array(codes_),
                "period_start": dates(np.full(n, period_start)),
                "period_end": dates(np.full(n, period_end)),
                "extract_date": dates(np.full(n, extract_day(settings))),
            },
        ),
    }
