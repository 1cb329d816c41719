"""``generate``: write a synthetic England as an EHLD folder plus ``truth/``."""

from __future__ import annotations

import json
import logging
import time
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from earlyhelp.errors import UsageError
from earlyhelp.spec import TABLES
from earlyhelp.synth.identities import make_identity_records
from earlyhelp.synth.rates import build_rates
from earlyhelp.synth.settings import SynthSettings, parse_years, scale as scale_named
from earlyhelp.synth.simulate import Journeys, day_of, simulate
from earlyhelp.synth.tables import TableBuilder, build, dates, ids

log = logging.getLogger(__name__)
FORMATS = ("parquet", "csv")
# Plain CSV as an LA would export it: quotes only where a value needs them.
CSV_OPTIONS = pacsv.WriteOptions(quoting_style="needed", include_header=False)
# Above this many people, identity records are made one region at a time (memory), in this
# many worker processes (the machine has two cores; the parent writes meanwhile).
CHUNK_PEOPLE = 200_000
IDENTITY_WORKERS = 2


def settings_for(scale: str = "tiny", years: str | tuple[int, int] = (201516, 201920),
                 seed: int = 0) -> SynthSettings:
    first, last = parse_years(years)
    if int(seed) < 0:
        raise UsageError(f"--seed {seed}: use a whole number of 0 or more.")
    return SynthSettings(scale_named(scale), first, last, seed=int(seed))


def generate(out: Path, scale: str = "tiny", years: str | tuple[int, int] = (201516, 201920),
             seed: int = 0, fmt: str = "parquet", *, settings: SynthSettings | None = None) -> Path:
    """Write every EHLD table of a synthetic population to ``out`` and the truth to ``out/truth``.

    ``settings`` (optional) overrides scale/years/seed with a full :class:`SynthSettings`, e.g.
    to change a planted effect. The same settings give the same bytes.
    """
    if fmt not in FORMATS:
        raise UsageError(f"Unknown format {fmt!r}.", hint="Use parquet or csv.")
    settings = settings or settings_for(scale, years, seed)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder.")
    out.mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(exist_ok=True)
    _remove_old_tables(out)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    rates = build_rates(settings, np.random.default_rng([settings.seed, 1]))
    journeys = simulate(settings, rates, np.random.default_rng([settings.seed, 2]))
    timings["simulate"] = time.perf_counter() - clock

    period_start = day_of(settings.first_year, 4, 1)
    period_end = day_of(settings.last_year + 1, 3, 31)
    builder = TableBuilder(journeys, rates, np.random.default_rng([settings.seed, 3]),
                           period_start, period_end, settings.scale.population_fraction)
    writer = _Writer(out, fmt)
    children = builder.children()
    writer.write("children", children)
    writer.write("referrals", builder.referrals())
    writer.write("assessments", builder.assessments())
    writer.write("cin_plans", builder.cin_plans())
    writer.write("s47_enquiries", builder.s47_enquiries())
    writer.write("cp_plans", builder.cp_plans())
    writer.write("looked_after_episodes", builder.looked_after_episodes())
    episodes, services, goals = builder.early_help()
    writer.write("early_help_episodes", episodes)
    writer.write("early_help_services", services)
    writer.write("family_goals", goals)
    del episodes, services, goals
    for name, table in builder.reference_tables().items():
        writer.write(name, table)
    timings["analytic_tables"] = time.perf_counter() - clock - timings["simulate"]

    # Truth about the journeys first, so the big event arrays can go before identities.
    step_truth, effects = _step_down_truth(journeys, builder, settings)
    writer.write_truth("step_down", step_truth)
    writer.write_truth("spend_effect", _spend_truth(journeys, rates, settings))
    del step_truth
    mark = time.perf_counter()
    people, la_records, child_truth = _people(journeys, builder, children)
    writer.write_truth("children", child_truth)
    del child_truth, children, builder
    journeys.drop_events()
    # Hand freed Arrow buffers back to the system before the identity stage.
    pa.default_memory_pool().release_unused()
    _identities_and_partners(people, la_records, journeys, settings, period_start, writer)
    timings["identities_and_partners"] = time.perf_counter() - mark

    effects["scale"] = settings.scale.name
    effects["years"] = f"{settings.first_year}{(settings.first_year + 1) % 100:02d}:" \
                       f"{settings.last_year}{(settings.last_year + 1) % 100:02d}"
    effects["seed"] = settings.seed
    (out / "truth" / "effects.json").write_text(json.dumps(effects, indent=2, sort_keys=True) + "\n")
    timings["total"] = time.perf_counter() - clock
    log.info("synth timings: %s", {k: round(v, 1) for k, v in timings.items()})
    return out


def _remove_old_tables(out: Path) -> None:
    """A rerun into the same folder must not leave a table in both formats."""
    for file in out.iterdir():
        if file.is_file() and file.stem in TABLES and file.suffix in (".csv", ".parquet"):
            file.unlink()
    for file in (out / "truth").iterdir():
        if file.is_file():
            file.unlink()


class _Writer:
    def __init__(self, out: Path, fmt: str):
        self.out = out
        self.fmt = fmt

    def _write(self, table: pa.Table, path: Path) -> None:
        if self.fmt == "parquet":
            pq.write_table(table, path, compression="snappy", use_dictionary=True)
        else:
            with open(path, "wb") as handle:
                handle.write((",".join(table.column_names) + "\n").encode("utf-8"))
                pacsv.write_csv(table, handle, write_options=CSV_OPTIONS)

    def write(self, name: str, table: pa.Table) -> None:
        self._write(table, self.out / f"{name}.{self.fmt}")

    def write_truth(self, name: str, table: pa.Table) -> None:
        self._write(table, self.out / "truth" / f"{name}.{self.fmt}")

    def stream(self, path: Path, schema: pa.Schema):
        if self.fmt == "parquet":
            return pq.ParquetWriter(path, schema, compression="snappy", use_dictionary=True)
        return _CsvStream(path, schema)


class _CsvStream:
    """A CSV written in pieces, with an unquoted header line like the single-table writer's."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.handle = open(path, "wb")
        self.handle.write((",".join(schema.names) + "\n").encode("utf-8"))
        self.writer = pacsv.CSVWriter(self.handle, schema, write_options=CSV_OPTIONS)

    def write_table(self, table: pa.Table) -> None:
        self.writer.write_table(table)

    def close(self) -> None:
        self.writer.close()
        self.handle.close()


class _Streams:
    """Tables written in chunks (one chunk per region), opened on first use."""

    def __init__(self, writer: _Writer):
        self.writer = writer
        self.open: dict[str, object] = {}

    def write(self, name: str, table: pa.Table, *, truth: bool = False) -> None:
        if name not in self.open:
            folder = self.writer.out / "truth" if truth else self.writer.out
            self.open[name] = self.writer.stream(folder / f"{name}.{self.writer.fmt}", table.schema)
        self.open[name].write_table(table)

    def close(self) -> None:
        for stream in self.open.values():
            stream.close()


def _person_ids(person: np.ndarray) -> pa.Array:
    return ids("P", person, 9)


def _people(journeys: Journeys, builder: TableBuilder, children: pa.Table):
    k = journeys.children
    used = np.flatnonzero(builder.used)
    person = k["person"][used]
    # One row per true person: attributes from their first LA record (the home LA).
    order = np.lexsort((used, person))
    first = np.ones(len(order), dtype=bool)
    first[1:] = person[order][1:] != person[order][:-1]
    home = used[order][first]
    people = pa.table({
        "true_person_id": _person_ids(k["person"][home]),
        "sex": pa.array(np.where(k["sex"][home] == 1, "F", "M")),
        "date_of_birth": dates(k["birth"][home]),
        "family_id": builder.family_ids(home),
        "home_la_code": builder.la_of(builder.child_la[home]),
    })
    in_csc = np.zeros(len(k["la"]), dtype=bool)
    in_csc[journeys.referrals["child"]] = True
    in_csc[journeys.cla["child"]] = True
    la_records = pa.table({
        "true_person_id": _person_ids(person),
        "la_code": children.column("la_code"),
        "source": pa.array(np.where(in_csc[used], "la_csc", "la_early_help")),
        "source_record_id": children.column("child_id"),
    })
    child_truth = pa.table({
        "la_code": children.column("la_code"),
        "child_id": children.column("child_id"),
        "true_person_id": la_records.column("true_person_id"),
        # The latent family risk the engine used (for checking confounding adjustment).
        "latent_risk": pa.array(k["risk"][used].astype(np.float64)),
    })
    return people, la_records, child_truth


def _identities_and_partners(people: pa.Table, la_records: pa.Table, journeys: Journeys,
                             settings: SynthSettings, period_start: int, writer: _Writer) -> None:
    """Identity records and partner outcomes, one region at a time to bound memory.

    People are grouped by the region of their home LA and each LA record goes with its person,
    so every family (siblings, twins, movers) is generated within one call. Across calls the
    partner agencies' serial numbers are offset and any NHS number already used by an earlier
    region is replaced by an unused valid one, so identifiers stay unique nationally.
    """
    from earlyhelp import reference

    regions = reference.local_authorities().set_index("la_code")["region_code"]
    home = people.column("home_la_code").to_numpy(zero_copy_only=False).astype(str)
    home_region = regions.reindex(home).fillna("").to_numpy(str)
    chunk_keys = sorted(set(home_region)) if people.num_rows > CHUNK_PEOPLE else [None]
    streams = _Streams(writer)
    used_nhs = np.zeros(0, dtype=np.int64)
    offsets: dict[str, int] = {}
    school_age_on = date(settings.last_year + 1, 3, 31)

    def chunk(number: int, key: str | None) -> tuple[pa.Table, pa.Table, int]:
        if key is None:
            return people, la_records, number
        chunk_people = people.filter(pa.array(home_region == key))
        chunk_records = la_records.filter(pc.is_in(
            la_records.column("true_person_id"), value_set=chunk_people.column("true_person_id")))
        return chunk_people, chunk_records, number

    jobs = (chunk(number, key) + (settings.seed * 1000 + number, school_age_on)
            for number, key in enumerate(chunk_keys))
    pool = None
    if len(chunk_keys) > 1 and IDENTITY_WORKERS > 1:
        # Regions are independent: worker processes make identity records while this one
        # renumbers, writes and adds partner outcomes. At most one job per worker is in flight
        # (memory), and results are taken in region order, so the output does not depend on
        # timing.
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(IDENTITY_WORKERS, mp_context=multiprocessing.get_context("spawn"))
        results = _bounded_map(pool, _identity_job, jobs, IDENTITY_WORKERS)
    else:
        results = map(_identity_job, jobs)
    try:
        for number, (identifiers, truth) in enumerate(results):
            identifiers, truth, used_nhs = _make_national(identifiers, truth, used_nhs, offsets)
            streams.write("person_identifiers", identifiers)
            streams.write("person_records", truth, truth=True)
            del identifiers
            partner = _partner_outcomes(journeys, truth, settings, period_start,
                                        np.random.default_rng([settings.seed, 4, number]))
            for name, table in partner.items():
                streams.write(name, table)
    finally:
        streams.close()
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _bounded_map(pool, function, jobs, in_flight: int):
    """Like ``pool.map`` but submits a new job only when an earlier result is taken."""
    from collections import deque

    pending: deque = deque()
    for job in jobs:
        pending.append(pool.submit(function, job))
        if len(pending) >= in_flight:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _identity_job(job: tuple) -> tuple[pa.Table, pa.Table]:
    chunk_people, chunk_records, _number, seed, school_age_on = job
    return make_identity_records(chunk_people, chunk_records, seed=seed,
                                 school_age_on=school_age_on)


def _make_national(identifiers: pa.Table, truth: pa.Table, used_nhs: np.ndarray,
                   offsets: dict[str, int]) -> tuple[pa.Table, pa.Table, np.ndarray]:
    from earlyhelp.synth.identities import PARTNER_SOURCES, RECORD_ID_PREFIX, nhs_check_digit

    # Partner record ids: PREFIX + 9-digit serial; shift serials past earlier regions'.
    source = identifiers.column("source").combine_chunks()
    record_ids = identifiers.column("source_record_id").combine_chunks()
    for partner in PARTNER_SOURCES:
        is_partner = pc.equal(source, partner)
        count = pc.sum(is_partner).as_py() or 0
        if count == 0:
            continue
        prefix = RECORD_ID_PREFIX[partner]
        digits = pc.if_else(is_partner, pc.utf8_slice_codeunits(record_ids, len(prefix)), "0")
        serial = pc.add(pc.cast(digits, pa.int64()), offsets.get(partner, 0))
        offsets[partner] = int(pc.max(pc.filter(serial, is_partner)).as_py())
        renumbered = pc.binary_join_element_wise(
            prefix, pc.utf8_lpad(pc.cast(serial, pa.string()), 9, "0"), "")
        record_ids = pc.if_else(is_partner, renumbered, record_ids)
    # NHS numbers already given to someone in an earlier region get a fresh valid number.
    nhs = identifiers.column("nhs_number")
    present = pc.is_valid(nhs).to_numpy(zero_copy_only=False)
    values = np.zeros(len(present), dtype=np.int64)
    values[present] = pc.cast(pc.drop_null(nhs), pa.int64()).to_numpy()
    distinct = np.unique(values[present])
    clash = distinct[np.isin(distinct, used_nhs)]
    if len(clash):
        rng = np.random.default_rng(len(used_nhs))
        taken = np.union1d(used_nhs, distinct)
        fresh = np.zeros(0, dtype=np.int64)
        while len(fresh) < len(clash):
            draw = rng.integers(400_000_000, 800_000_000, size=2 * len(clash) + 16)
            check = nhs_check_digit(draw)
            candidate = np.unique(draw[check != 10] * 10 + check[check != 10])
            fresh = np.union1d(fresh, candidate[~np.isin(candidate, taken)])
        fresh = rng.permutation(fresh)[: len(clash)]
        position = np.searchsorted(clash, values)
        position = np.clip(position, 0, len(clash) - 1)
        hit = present & (clash[position] == values)
        values[hit] = fresh[position[hit]]
        distinct = np.union1d(np.setdiff1d(distinct, clash), fresh)
        nhs = pc.utf8_lpad(pc.cast(pa.array(values, mask=~present), pa.string()), 10, "0")
    used_nhs = np.union1d(used_nhs, distinct)
    identifiers = identifiers.set_column(
        identifiers.schema.get_field_index("source_record_id"), "source_record_id", record_ids)
    identifiers = identifiers.set_column(
        identifiers.schema.get_field_index("nhs_number"), "nhs_number", nhs)
    truth = truth.set_column(truth.schema.get_field_index("source_record_id"), "source_record_id",
                             record_ids)
    return identifiers, truth, used_nhs


def _partner_outcomes(journeys: Journeys, truth: pa.Table, settings: SynthSettings,
                      period_start: int, rng: np.random.Generator) -> dict[str, pa.Table]:
    """Attendance, health and police events for the partner records, driven by latent risk."""
    k = journeys.children
    n_persons = int(k["person"].max()) + 1 if len(k["person"]) else 0
    risk = np.zeros(n_persons, dtype=np.float64)
    birth = np.zeros(n_persons, dtype=np.int64)
    risk[k["person"]] = k["risk"]
    birth[k["person"]] = k["birth"]
    extract = journeys.extract_day
    out: dict[str, pa.Table] = {}

    def records(source: str) -> tuple[pa.Array, np.ndarray]:
        part = truth.filter(pc.equal(truth.column("source"), source))
        person = pc.cast(pc.utf8_slice_codeunits(part.column("true_person_id"), 1),
                         pa.int64()).to_numpy()
        return part.column("source_record_id").combine_chunks(), person

    record_id, person = records("education")
    years = np.arange(settings.first_year, settings.last_year + 1)
    rows_rec, rows_year = [], []
    for year in years:
        sept = day_of(int(year), 9, 1)
        age = (sept - birth[person]) / 365.25
        pupil = np.flatnonzero((age >= 5) & (age < 16))
        rows_rec.append(pupil)
        rows_year.append(np.full(len(pupil), year))
    rec = np.concatenate(rows_rec)
    year = np.concatenate(rows_year)
    possible = 380 - rng.integers(0, 40, len(rec))
    absence = np.clip(0.045 * np.exp(0.45 * risk[person[rec]]), 0.0, 0.7)
    out["school_attendance"] = build("school_attendance", {
        "person_id": record_id.take(pa.array(rec)),
        "academic_year": pa.array(year.astype(np.int64)),
        "sessions_possible": pa.array(possible.astype(np.int64)),
        "sessions_missed": pa.array(rng.binomial(possible, absence).astype(np.int64)),
    })

    span_years = (extract - period_start) / 365.25
    for name, source, base, types in (
        ("health_events", "health", 0.10,
         {"emergency_attendance": 0.7, "injury_admission": 0.15, "mental_health_referral": 0.15}),
        ("police_notifications", "police", 0.35,
         {"domestic_abuse": 0.55, "missing_episode": 0.25, "arrest": 0.20}),
    ):
        record_id, person = records(source)
        count = rng.poisson(base * span_years * np.exp(0.4 * risk[person] - 0.08))
        rep = np.repeat(np.arange(len(person)), count)
        day = period_start + (rng.random(len(rep)) * (extract - period_start)).astype(np.int64)
        keys = np.array(list(types))
        kind = keys[rng.choice(len(keys), len(rep), p=np.array(list(types.values())))]
        order = np.lexsort((day, rep))
        out[name] = build(name, {
            "person_id": record_id.take(pa.array(rep[order])),
            "event_date": dates(day[order]),
            "event_type": pa.array(kind[order]),
        })
    return out


def _step_down_truth(journeys: Journeys, builder: TableBuilder, settings: SynthSettings):
    t = journeys.step_down_truth
    ref = t["ref"]
    la = builder.ref_la[ref]
    r = journeys.referrals
    closure = np.zeros(len(builder.ref_la), dtype=np.int64)
    closure[r["index"]] = r["closure"]
    keep = closure[ref] <= journeys.extract_day
    table = pa.table({
        "la_code": builder.la_of(la[keep]),
        "referral_id": builder.ref_ids(la[keep], ref[keep]),
        "stepped_down": pa.array(t["stepped"][keep].astype(bool)),
        "re_referral_rr_12m": pa.array(t["rr12"][keep].astype(np.float64)),
        "re_referral_rr_24m": pa.array(t["rr24"][keep].astype(np.float64)),
        "escalation_rr": pa.array(t["rr_esc"][keep].astype(np.float64)),
        "primary_need": pa.array(t["need"][keep].astype(str)),
        "idaci_decile": pa.array(t["decile"][keep].astype(np.int64)),
    })
    stepped = t["stepped"][keep].astype(bool)
    effects = {
        "description": (
            "Planted effects. step_down: risk ratios applied to the chance of a new referral "
            "within 12 months (re_referral_rr_12m) and 12-24 months (re_referral_rr_24m) after an "
            "assessment closed below the threshold (RC8/RC9) when the child stepped down into early "
            "help, and to the chance that such a referral becomes an episode of need "
            "(escalation_rr). Each is 1 - (1 - base) x benefit_by_need[primary_need] x "
            "benefit_by_deprivation[group], capped at 1; per-closure values are in "
            "truth/step_down. Selection into step-down depends on latent risk "
            "(truth/children.latent_risk), so naive comparisons are confounded. spend: extra "
            "care starts for 16-17 year olds per 100,000 children aged 16-17 per 10 pounds per "
            "child cut in real early intervention spend since base_time_period; per LA-year cuts "
            "in truth/spend_effect."),
        **settings.effects_document(),
        "realised": {
            "closures_below_threshold": int(len(stepped)),
            "stepped_down": int(stepped.sum()),
            "mean_rr_12m_among_stepped_down": _mean(t["rr12"][keep][stepped]),
            "mean_rr_24m_among_stepped_down": _mean(t["rr24"][keep][stepped]),
            "mean_escalation_rr_among_stepped_down": _mean(t["rr_esc"][keep][stepped]),
            "mean_rr_12m_all_closures": _mean(t["rr12"][keep]),
        },
    }
    return table, effects


def _mean(values: np.ndarray) -> float | None:
    return round(float(np.mean(values)), 4) if len(values) else None


def _spend_truth(journeys: Journeys, rates, settings: SynthSettings) -> pa.Table:
    t = journeys.spend_effect_truth
    la = t["la"].astype(np.int64)
    cut = t["cut_pounds_per_child"].astype(np.float64)
    per_10 = settings.spend.extra_starts_per_100k_16_17_per_10_pounds_cut
    return pa.table({
        "la_code": pa.array(np.array(rates.la_codes)[la]),
        "time_period": pa.array((t["fy"] * 100 + (t["fy"] + 1) % 100).astype(np.int64)),
        "ei_cut_pounds_per_child_real": pa.array(np.round(cut, 2)),
        "extra_care_starts_per_100k_16_17": pa.array(np.round(per_10 * cut / 10.0, 3)),
    })


__all__ = ["FORMATS", "generate", "settings_for"]
