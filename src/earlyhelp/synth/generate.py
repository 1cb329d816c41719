"""``generate``: write a synthetic England as an EHLD folder (the identity-zone tables
person_identifiers and episode_postcodes among its tables) plus ``truth/``."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from earlyhelp.errors import UsageError
from earlyhelp.spec import TABLES, periods
from earlyhelp.synth.identities import make_identity_records
from earlyhelp.synth.rates import build_rates
from earlyhelp.synth.settings import SynthSettings, parse_years
from earlyhelp.synth.settings import scale as scale_named
from earlyhelp.synth.simulate import EPOCH, Journeys, day_number, day_of, planted_thresholds, simulate
from earlyhelp.synth.ssda903 import episode_details, motherhood
from earlyhelp.synth.tables import TableBuilder, build, dates, ids, reference_tables

log = logging.getLogger(__name__)
FORMATS = ("parquet", "csv")
# Plain CSV as an LA would export it: quotes only where a value needs them.
CSV_OPTIONS = pacsv.WriteOptions(quoting_style="needed", include_header=False)
# Regions are simulated in this many worker processes (the machine has two cores; this process
# writes meanwhile). 1 = everything in this process.
WORKERS = 2
# Tests set this to split even single-LA regions into their own parts.
FORCE_REGION_PARTS = False
# Partner agencies' record serials of part n start at n x this (unique nationally).
PART_SERIAL_BLOCK = 100_000_000
# Regions with more children than this are made as two parts.
PART_CHILDREN = 1_500_000
# Written beside the EHLD tables: the truth.
SUBFOLDERS = ("truth",)


def settings_for(scale: str = "tiny", years: str | tuple[int, int] = (201516, 201920), seed: int = 0) -> SynthSettings:
    first, last = parse_years(years)
    if int(seed) < 0:
        raise UsageError(f"--seed {seed}: use a whole number of 0 or more.")
    return SynthSettings(scale_named(scale), first, last, seed=int(seed))


def generate(
    out: Path,
    scale: str = "tiny",
    years: str | tuple[int, int] = (201516, 201920),
    seed: int = 0,
    fmt: str = "parquet",
    *,
    settings: SynthSettings | None = None,
    replace_existing: bool = False,
) -> Path:
    """Write every EHLD table of a synthetic population to ``out`` and the truth to ``out/truth``.

    ``settings`` (optional) overrides scale/years/seed with a full :class:`SynthSettings`, e.g.
    to change a planted effect. The same settings give the same bytes. ``out`` must be new,
    empty or an earlier synthetic England (it has ``truth/effects.json``): its tables are
    replaced. Any other folder with files in it is refused unless ``replace_existing``, so a
    mistyped path never overwrites a real return.
    """
    if fmt not in FORMATS:
        raise UsageError(f"Unknown format {fmt!r}.", hint="Use parquet or csv.")
    settings = settings or settings_for(scale, years, seed)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder.")
    if out.is_dir() and any(out.iterdir()) and not (out / "truth" / "effects.json").is_file() and not replace_existing:
        raise UsageError(
            f"{out} already holds files and is not a synthetic England made by earlyhelp synth: "
            "nothing was written, so nothing in it is lost.",
            hint="Choose a new or empty folder, or add --force to replace its EHLD tables.",
        )
    earlier_synthetic = (out / "truth" / "effects.json").is_file()
    out.mkdir(parents=True, exist_ok=True)
    for sub in SUBFOLDERS:
        (out / sub).mkdir(exist_ok=True)
    _remove_old_tables(out)
    if earlier_synthetic:
        _remove_old_sidecar(out)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    rates = build_rates(settings, np.random.default_rng([settings.seed, 1]))
    first_day = day_number(periods.period_start(periods.time_period(settings.first_year)))
    last_day = day_number(periods.period_end(periods.time_period(settings.last_year)))
    writer = _Writer(out, fmt)
    for name, table in reference_tables(rates, settings, first_day, last_day).items():
        writer.write(name, table)

    parts = _parts(rates)
    jobs = ((settings, rates.subset(indices), number, first_day) for number, indices in enumerate(parts))
    pool = None
    if len(parts) > 1 and WORKERS > 1:
        # Regions are independent (families and moves stay within a region): worker processes
        # simulate them while this one writes. At most one part per worker is in flight
        # (memory); parts are written in region order, so the bytes do not depend on timing.
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn"))
        results = _bounded_map(pool, _part_job, jobs, WORKERS)
    else:
        results = map(_part_job, jobs)
    streams = _Streams(writer)
    used_nhs = np.zeros(0, dtype=np.int64)
    realised: dict[str, float] = {}
    try:
        for encoded, part_realised in results:
            # One table at a time: decode, write, drop.
            for name in list(encoded):
                table = _from_ipc(encoded.pop(name))
                if name == "person_identifiers":
                    table, used_nhs = _unique_nhs_numbers(table, used_nhs)
                streams.write(name, table)
                del table
            for key, value in part_realised.items():
                realised[key] = realised.get(key, 0.0) + value
    finally:
        streams.close()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    timings["generate"] = time.perf_counter() - clock

    effects = _effects_document(settings, realised)
    effects["scale"] = settings.scale.name
    effects["years"] = f"{periods.time_period(settings.first_year)}:{periods.time_period(settings.last_year)}"
    effects["seed"] = settings.seed
    (out / "truth" / "effects.json").write_text(json.dumps(effects, indent=2, sort_keys=True) + "\n")
    if settings.threshold.is_planted:
        _write_threshold_truth(out / "truth" / "thresholds.csv", settings, rates.la_codes)
    timings["total"] = time.perf_counter() - clock
    log.info("synth timings: %s", {k: round(v, 1) for k, v in timings.items()})
    return out


def _remove_old_tables(out: Path) -> None:
    """A rerun into the same folder must not leave a table in both formats."""
    for file in out.iterdir():
        if file.is_file() and file.stem in TABLES and file.suffix in (".csv", ".parquet"):
            file.unlink()
    for sub in SUBFOLDERS:
        for file in (out / sub).iterdir():
            if file.is_file():
                file.unlink()


# Written by synthetic England before issue #16: postcodes and dates of birth beside the
# analytic tables. A rerun into such a folder takes them away (episode_postcodes replaces them).
OLD_SIDECAR = ("ssda903/episodes", "ssda903/header")


def _remove_old_sidecar(out: Path) -> None:
    for name in OLD_SIDECAR:
        for suffix in (".parquet", ".csv"):
            (out / f"{name}{suffix}").unlink(missing_ok=True)
    folder = out / "ssda903"
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


class _Writer:
    def __init__(self, out: Path, fmt: str):
        self.out = out
        self.fmt = fmt

    def write(self, name: str, table: pa.Table) -> None:
        """``<out>/<name>.<fmt>`` in one piece: the same bytes as a stream of one table."""
        stream = self.stream(self.out / f"{name}.{self.fmt}", table.schema)
        try:
            stream.write_table(table)
        finally:
            stream.close()

    def stream(self, path: Path, schema: pa.Schema) -> pq.ParquetWriter | _CsvStream:
        if self.fmt == "parquet":
            return pq.ParquetWriter(path, schema, compression="snappy", use_dictionary=True)
        return _CsvStream(path, schema)


class _CsvStream:
    """A CSV written in pieces under one unquoted header line (pyarrow would quote the names)."""

    def __init__(self, path: Path, schema: pa.Schema):
        # Open until close(): the table arrives in pieces, one per region.
        self.handle = open(path, "wb")  # noqa: SIM115
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
        self.open: dict[str, pq.ParquetWriter | _CsvStream] = {}

    def write(self, name: str, table: pa.Table) -> None:
        """Append to ``<out>/<name>.<fmt>``; a name may start with a subfolder (``truth/``)."""
        if name not in self.open:
            path = self.writer.out / f"{name}.{self.writer.fmt}"
            self.open[name] = self.writer.stream(path, table.schema)
        self.open[name].write_table(table)

    def close(self) -> None:
        for stream in self.open.values():
            stream.close()


def _person_ids(person: np.ndarray, number: int) -> pa.Array:
    """True person ids: 'P', the part number (2 digits), a 9-digit serial: unique nationally."""
    return ids(f"P{number:02d}", person, 9)


PERSON_SERIAL_START = 3  # characters before the serial in a true_person_id


def _people(journeys: Journeys, builder: TableBuilder, children: pa.Table, number: int):
    k = journeys.children
    used = np.flatnonzero(builder.used)
    person = k["person"][used]
    # One row per true person: attributes from their first LA record (the home LA).
    order = np.lexsort((used, person))
    first = np.ones(len(order), dtype=bool)
    first[1:] = person[order][1:] != person[order][:-1]
    home = used[order][first]
    people = pa.table(
        {
            "true_person_id": _person_ids(k["person"][home], number),
            "sex": pa.array(np.where(k["sex"][home] == 1, "F", "M")),
            "date_of_birth": dates(k["birth"][home]),
            "family_id": builder.family_ids(home),
            "home_la_code": builder.la_of(builder.child_la[home]),
        }
    )
    in_csc = np.zeros(len(k["la"]), dtype=bool)
    in_csc[journeys.referrals["child"]] = True
    in_csc[journeys.cla["child"]] = True
    la_records = pa.table(
        {
            "true_person_id": _person_ids(person, number),
            "la_code": children.column("la_code"),
            "source": pa.array(np.where(in_csc[used], "la_csc", "la_early_help")),
            "source_record_id": children.column("child_id"),
        }
    )
    child_truth = pa.table(
        {
            "la_code": children.column("la_code"),
            "child_id": children.column("child_id"),
            "true_person_id": la_records.column("true_person_id"),
            # The latent family risk the engine used (for checking confounding adjustment).
            "latent_risk": pa.array(k["risk"][used].astype(np.float64)),
        }
    )
    return people, la_records, child_truth


def _parts(rates) -> list[np.ndarray]:
    """LA indices of each part: one per region when every region has two or more LAs (so moves
    between LAs stay possible), else one part with every LA. A region with more children than
    PART_CHILDREN is split into two halves of its LAs (memory per worker)."""
    regions = np.array(rates.region_codes)
    keys = sorted(set(regions))
    sizes = [int((regions == key).sum()) for key in keys]
    if not (len(keys) > 1 and (FORCE_REGION_PARTS or min(sizes) >= 2)):
        return [np.arange(len(regions))]
    children = rates.population[:, -1]
    parts = []
    for key in keys:
        members = np.flatnonzero(regions == key)
        if children[members].sum() > PART_CHILDREN and len(members) >= 4:
            half = len(members) // 2
            parts.extend([members[:half], members[half:]])
        else:
            parts.append(members)
    return parts


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


def _part_job(job: tuple) -> tuple[dict[str, pa.Table], dict[str, float]]:
    """Simulate one part (a region, or the whole scale) and return its tables, in output order."""
    settings, rates, number, period_start = job
    seed = settings.seed
    journeys = simulate(settings, rates, np.random.default_rng([seed, 2, number]))
    builder = TableBuilder(journeys, rates, np.random.default_rng([seed, 3, number]))
    # Each table is encoded (compressed Arrow IPC) as soon as it is built and then dropped, so a
    # worker holds little more than the simulation itself.
    encoded: dict[str, pa.Buffer] = {}

    def keep(name: str, table: pa.Table) -> None:
        encoded[name] = _to_ipc(table)

    # The builder's tables in the order they are built (the builder draws as it goes);
    # children are kept once motherhood has filled their mother column.
    children = builder.children()
    keep("referrals", builder.referrals())
    keep("assessments", builder.assessments())
    keep("cin_plans", builder.cin_plans())
    keep("s47_enquiries", builder.s47_enquiries())
    keep("cp_plans", builder.cp_plans())
    looked_after = builder.looked_after_episodes()
    children, mothers = motherhood(
        looked_after, children, np.random.default_rng([seed, 6, number]), extract_day=journeys.extract_day
    )
    keep("children", children)
    for name, table in zip(("early_help_episodes", "early_help_services", "family_goals"), builder.early_help()):
        keep(name, table)
    step_truth, realised = _step_down_truth(journeys, builder)
    keep("truth/step_down", step_truth)
    keep("truth/spend_effect", _spend_truth(journeys, rates, settings))
    people, la_records, child_truth = _people(journeys, builder, children, number)
    keep("truth/children", child_truth)
    del builder, step_truth, child_truth, children
    stepped_down_on = _first_step_down_day(journeys) if settings.partner_outcomes.is_planted else None
    journeys.drop_events()
    pa.default_memory_pool().release_unused()
    identifiers, truth = make_identity_records(
        people,
        la_records,
        seed=seed * 1000 + number,
        school_age_on=periods.period_end(periods.time_period(settings.last_year)),
        **settings.identity_faults,
    )
    del people, la_records
    identifiers, truth = _offset_partner_serials(identifiers, truth, number)
    keep("person_identifiers", identifiers)
    del identifiers
    for name, table in _partner_outcomes(
        journeys, truth, settings, period_start, np.random.default_rng([seed, 4, number]), stepped_down_on
    ).items():
        keep(name, table)
    keep("truth/person_records", truth)
    looked_after, episode_postcodes = _episode_details(
        looked_after, truth, mothers, np.random.default_rng([seed, 5, number])
    )
    keep("looked_after_episodes", looked_after)
    keep("episode_postcodes", episode_postcodes)
    # Arrow IPC bytes cross the process boundary compactly (pickling a table can copy whole
    # parent buffers of sliced arrays).
    return encoded, realised


def _episode_details(
    looked_after: pa.Table, truth: pa.Table, mothers: pa.Table, rng: np.random.Generator
) -> tuple[pa.Table, pa.Table]:
    """The SSDA903 detail of a part's episodes: each child's true home postcode is in the truth
    row of their LA social care record (whose source_record_id is the child_id)."""
    csc = truth.filter(pc.equal(truth.column("source"), "la_csc"))
    home = pa.table({"child_id": csc.column("source_record_id"), "home_postcode": csc.column("home_postcode")})
    return episode_details(looked_after, home, mothers, rng)


def _to_ipc(table: pa.Table) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression="lz4")
    with pa.ipc.new_stream(sink, table.schema, options=options) as stream:
        stream.write_table(table)
    return sink.getvalue()


def _from_ipc(buffer: pa.Buffer) -> pa.Table:
    return pa.ipc.open_stream(buffer).read_all()


def _offset_partner_serials(identifiers: pa.Table, truth: pa.Table, number: int) -> tuple[pa.Table, pa.Table]:
    """Partner record ids are PREFIX + 9-digit serial per call; part n uses its own block."""
    from earlyhelp.synth.identities import PARTNER_SOURCES, RECORD_ID_PREFIX

    if number == 0:
        return identifiers, truth
    source = identifiers.column("source").combine_chunks()
    record_ids = identifiers.column("source_record_id").combine_chunks()
    for partner in PARTNER_SOURCES:
        is_partner = pc.equal(source, partner)
        prefix = RECORD_ID_PREFIX[partner]
        digits = pc.if_else(is_partner, pc.utf8_slice_codeunits(record_ids, len(prefix)), "0")
        serial = pc.add(pc.cast(digits, pa.int64()), number * PART_SERIAL_BLOCK)
        renumbered = pc.binary_join_element_wise(prefix, pc.utf8_lpad(pc.cast(serial, pa.string()), 9, "0"), "")
        record_ids = pc.if_else(is_partner, renumbered, record_ids)
    index = identifiers.schema.get_field_index("source_record_id")
    identifiers = identifiers.set_column(index, "source_record_id", record_ids)
    truth = truth.set_column(truth.schema.get_field_index("source_record_id"), "source_record_id", record_ids)
    return identifiers, truth


def _unique_nhs_numbers(identifiers: pa.Table, used_nhs: np.ndarray) -> tuple[pa.Table, np.ndarray]:
    """Give any NHS number already used by an earlier part a fresh, unused valid number (every
    occurrence in this part, so the part's own faults keep their meaning)."""
    from earlyhelp.synth.identities import nhs_check_digit

    nhs = identifiers.column("nhs_number").combine_chunks()
    present = pc.is_valid(nhs).to_numpy(zero_copy_only=False)
    values = np.zeros(len(present), dtype=np.int64)
    values[present] = pc.cast(pc.drop_null(nhs), pa.int64()).to_numpy()
    # Sorting-based set operations: numpy's hash-based unique/isin are slow on millions of ints.
    distinct = _sorted_unique(values[present])
    clash = distinct[_member(distinct, used_nhs)]
    if len(clash):
        rng = np.random.default_rng(len(used_nhs))
        taken = _sorted_unique(np.concatenate([used_nhs, distinct]))
        fresh = np.zeros(0, dtype=np.int64)
        while len(fresh) < len(clash):
            draw = rng.integers(400_000_000, 800_000_000, size=2 * len(clash) + 16)
            check = nhs_check_digit(draw)
            candidate = _sorted_unique(draw[check != 10] * 10 + check[check != 10])
            fresh = _sorted_unique(np.concatenate([fresh, candidate[~_member(candidate, taken)]]))
        fresh = rng.permutation(fresh)[: len(clash)]
        position = np.clip(np.searchsorted(clash, values), 0, len(clash) - 1)
        hit = present & (clash[position] == values)
        values[hit] = fresh[position[hit]]
        distinct = _sorted_unique(np.concatenate([distinct[~_member(distinct, clash)], fresh]))
        nhs = pc.utf8_lpad(pc.cast(pa.array(values, mask=~present), pa.string()), 10, "0")
        identifiers = identifiers.set_column(identifiers.schema.get_field_index("nhs_number"), "nhs_number", nhs)
    return identifiers, _sorted_unique(np.concatenate([used_nhs, distinct]))


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    ordered = np.sort(values)
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """values in sorted_set (sorted, unique)."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), dtype=bool)
    position = np.clip(np.searchsorted(sorted_set, values), 0, len(sorted_set) - 1)
    return sorted_set[position] == values


def _first_step_down_day(journeys: Journeys) -> np.ndarray:
    """Per true person, the closure day of their first step-down to early help (-1 if none)."""
    k = journeys.children
    n_persons = int(k["person"].max()) + 1 if len(k["person"]) else 0
    t, r = journeys.step_down_truth, journeys.referrals
    order = np.argsort(r["index"])
    row = order[np.searchsorted(r["index"], t["ref"][t["stepped"].astype(bool)], sorter=order)]
    person = k["person"][r["child"][row]]
    closure = r["closure"][row].astype(np.int64)
    first = np.full(n_persons, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, person, closure)
    return np.where(first == np.iinfo(np.int64).max, -1, first)


# How latent risk drives the partner records (read by earlyhelp.evaluate.truth for the true
# effects on them): a pupil's chance of missing a session is ABSENCE_BASE x exp(ABSENCE_RISK x
# risk), at most ABSENCE_CAP; health events and police notifications come at a yearly rate of
# base x exp(EVENT_RISK x risk + EVENT_OFFSET), spread evenly over the data's years.
ABSENCE_BASE = 0.045
ABSENCE_RISK = 0.45
ABSENCE_CAP = 0.7
EVENT_RISK = 0.4
EVENT_OFFSET = -0.08
# table -> (identity source, events a year at risk 0, share of each event type, the type a planted
# ratio acts on (None: all types))
PARTNER_EVENTS: dict[str, tuple[str, float, dict[str, float], str | None]] = {
    "health_events": (
        "health",
        0.10,
        {"emergency_attendance": 0.7, "injury_admission": 0.15, "mental_health_referral": 0.15},
        "emergency_attendance",
    ),
    "police_notifications": ("police", 0.35, {"domestic_abuse": 0.55, "missing_episode": 0.25, "arrest": 0.20}, None),
}


def _partner_outcomes(
    journeys: Journeys,
    truth: pa.Table,
    settings: SynthSettings,
    period_start: int,
    rng: np.random.Generator,
    stepped_down_on: np.ndarray | None = None,
) -> dict[str, pa.Table]:
    """Attendance, health and police events for the partner records, driven by latent risk and,
    when planted (``settings.partner_outcomes``), by step-down: in the 12 months after a person's
    first step-down their emergency attendances and police notifications come at the planted rate
    ratio (thinned, or topped up, from a stream of their own), and in the school year that holds
    the middle of those 12 months (1 September to 31 August) their chance of missing a session is
    multiplied by the planted ratio."""
    planted = settings.partner_outcomes
    side_rng = rng.spawn(1)[0] if stepped_down_on is not None else None
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
        person = pc.cast(
            pc.utf8_slice_codeunits(part.column("true_person_id"), PERSON_SERIAL_START), pa.int64()
        ).to_numpy()
        return part.column("source_record_id").combine_chunks(), person

    record_id, person = records("education")
    years = np.arange(settings.first_year, settings.last_year + 1)
    rows_rec, rows_year = [], []
    for school_year in years:
        sept = day_of(int(school_year), 9, 1)
        age = (sept - birth[person]) / 365.25
        pupil = np.flatnonzero((age >= 5) & (age < 16))
        rows_rec.append(pupil)
        rows_year.append(np.full(len(pupil), school_year))
    rec = np.concatenate(rows_rec)
    year = np.concatenate(rows_year)
    possible = 380 - rng.integers(0, 40, len(rec))
    absence = ABSENCE_BASE * np.exp(ABSENCE_RISK * risk[person[rec]])
    if stepped_down_on is not None:
        middle = stepped_down_on[person[rec]] + 182
        middle_year = (EPOCH + middle.astype("timedelta64[D]")).astype("datetime64[M]").astype(np.int64)
        # Months since 1970-01: the school year starting in September of year Y holds months
        # (Y - 1970) * 12 + 8 .. + 19.
        school_year_of_middle = (middle_year - 8) // 12 + 1970
        affected = (stepped_down_on[person[rec]] >= 0) & (school_year_of_middle == year)
        absence = np.where(affected, absence * planted.school_absence_rr, absence)
    absence = np.clip(absence, 0.0, ABSENCE_CAP)
    out["school_attendance"] = build(
        "school_attendance",
        {
            "person_id": record_id.take(pa.array(rec)),
            "academic_year": pa.array(year.astype(np.int64)),
            "sessions_possible": pa.array(possible.astype(np.int64)),
            "sessions_missed": pa.array(rng.binomial(possible, absence).astype(np.int64)),
        },
    )

    span_years = (extract - period_start) / 365.25
    ratios = {"health_events": planted.emergency_attendance_rr, "police_notifications": planted.police_notification_rr}
    for name, (source, base, types, planted_type) in PARTNER_EVENTS.items():
        ratio = ratios[name]
        record_id, person = records(source)
        count = rng.poisson(base * span_years * np.exp(EVENT_RISK * risk[person] + EVENT_OFFSET))
        rep = np.repeat(np.arange(len(person)), count)
        day = period_start + (rng.random(len(rep)) * (extract - period_start)).astype(np.int64)
        keys = np.array(list(types))
        kind = keys[rng.choice(len(keys), len(rep), p=np.array(list(types.values())))]
        if stepped_down_on is not None and side_rng is not None and ratio != 1.0:
            rep, day, kind = _planted_partner_events(
                rep, day, kind, person, stepped_down_on, risk, base, types, ratio, planted_type, extract, side_rng
            )
        order = np.lexsort((day, rep))
        out[name] = build(
            name,
            {
                "person_id": record_id.take(pa.array(rep[order])),
                "event_date": dates(day[order]),
                "event_type": pa.array(kind[order]),
            },
        )
    return out


def _planted_partner_events(
    rep, day, kind, person, stepped_down_on, risk, base, types, ratio, planted_type, extract, rng
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Events with step-down's planted rate ratio in the 12 months after it: of the event type
    ``planted_type`` (all types when None), each one there is kept with chance ``ratio`` (below
    1), or extra ones are added at (ratio - 1) times the person's rate (above 1)."""
    share = 1.0 if planted_type is None else types[planted_type]
    after = stepped_down_on[person[rep]]
    window = (after >= 0) & (day > after) & (day <= after + 365)
    if planted_type is not None:
        window &= kind == planted_type
    if ratio < 1.0:
        keep = ~window | (rng.random(len(rep)) < ratio)
        rep, day, kind = rep[keep], day[keep], kind[keep]
    else:
        stepped = np.flatnonzero(stepped_down_on[person] >= 0)
        start = stepped_down_on[person[stepped]]
        days_in = np.clip(extract - start, 0, 365)
        extra = rng.poisson(
            (ratio - 1.0) * share * base * days_in / 365.25 * np.exp(EVENT_RISK * risk[person[stepped]] + EVENT_OFFSET)
        )
        new_rep = np.repeat(stepped, extra)
        new_day = np.repeat(start, extra) + 1 + (rng.random(len(new_rep)) * np.repeat(days_in, extra)).astype(np.int64)
        keys = np.array(list(types))
        if planted_type is None:
            new_kind = keys[rng.choice(len(keys), len(new_rep), p=np.array(list(types.values())))]
        else:
            new_kind = np.full(len(new_rep), planted_type)
        rep = np.concatenate([rep, new_rep])
        day = np.concatenate([day, np.minimum(new_day, extract)])
        kind = np.concatenate([kind, new_kind.astype(kind.dtype)])
    return rep, day, kind


def _step_down_truth(journeys: Journeys, builder: TableBuilder) -> tuple[pa.Table, dict]:
    t = journeys.step_down_truth
    ref = t["ref"]
    la = builder.ref_la[ref]
    r = journeys.referrals
    closure = np.zeros(len(builder.ref_la), dtype=np.int64)
    closure[r["index"]] = r["closure"]
    keep = closure[ref] <= journeys.extract_day
    table = pa.table(
        {
            "la_code": builder.la_of(la[keep]),
            "referral_id": builder.ref_ids(ref[keep]),
            "stepped_down": pa.array(t["stepped"][keep].astype(bool)),
            "re_referral_rr_12m": pa.array(t["rr12"][keep].astype(np.float64)),
            "re_referral_rr_24m": pa.array(t["rr24"][keep].astype(np.float64)),
            "escalation_rr": pa.array(t["rr_esc"][keep].astype(np.float64)),
            "primary_need": pa.array(t["need"][keep].astype(str)),
            "idaci_decile": pa.array(t["decile"][keep].astype(np.int64)),
            # The exact chance of each outcome with and without step-down (simulate.py,
            # _re_referral_truth): the true ATT is the mean of the difference over the treated.
            "p_re_referral_12m_stepped_down": pa.array(t["p12_1"][keep].astype(np.float64)),
            "p_re_referral_12m_not_stepped_down": pa.array(t["p12_0"][keep].astype(np.float64)),
            "p_re_referral_24m_stepped_down": pa.array(t["p24_1"][keep].astype(np.float64)),
            "p_re_referral_24m_not_stepped_down": pa.array(t["p24_0"][keep].astype(np.float64)),
            "main_service": pa.array(t["service"][keep].astype(str), mask=t["service"][keep] == ""),
        }
    )
    stepped = t["stepped"][keep].astype(bool)
    # Sums, so that parts add up; _effects_document turns them into means.
    realised = {
        "closures_below_threshold": float(len(stepped)),
        "stepped_down": float(stepped.sum()),
        "sum_rr_12m_stepped": float(t["rr12"][keep][stepped].sum()),
        "sum_rr_24m_stepped": float(t["rr24"][keep][stepped].sum()),
        "sum_escalation_rr_stepped": float(t["rr_esc"][keep][stepped].sum()),
        "sum_rr_12m_all": float(t["rr12"][keep].sum()),
    }
    return table, realised


def _effects_document(settings: SynthSettings, realised: dict[str, float]) -> dict:
    closures = realised.get("closures_below_threshold", 0.0)
    stepped = realised.get("stepped_down", 0.0)
    return {
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
            "in truth/spend_effect."
        ),
        **settings.effects_document(),
        "realised": {
            "closures_below_threshold": int(closures),
            "stepped_down": int(stepped),
            "mean_rr_12m_among_stepped_down": _ratio(realised.get("sum_rr_12m_stepped"), stepped),
            "mean_rr_24m_among_stepped_down": _ratio(realised.get("sum_rr_24m_stepped"), stepped),
            "mean_escalation_rr_among_stepped_down": _ratio(realised.get("sum_escalation_rr_stepped"), stepped),
            "mean_rr_12m_all_closures": _ratio(realised.get("sum_rr_12m_all"), closures),
        },
    }


def _write_threshold_truth(path: Path, settings: SynthSettings, la_codes: list[str]) -> None:
    """truth/thresholds.csv: la_code, planted_effect (log-odds; higher = higher threshold)."""
    shifts = planted_thresholds(settings, la_codes)
    lines = ["la_code,planted_effect"] + [f"{code},{shift:.6f}" for code, shift in zip(la_codes, shifts, strict=True)]
    path.write_text("\n".join(lines) + "\n")


def _ratio(total: float | None, count: float) -> float | None:
    return round(total / count, 4) if total is not None and count else None


def _spend_truth(journeys: Journeys, rates, settings: SynthSettings) -> pa.Table:
    t = journeys.spend_effect_truth
    la = t["la"].astype(np.int64)
    cut = t["cut_pounds_per_child"].astype(np.float64)
    per_10 = settings.spend.extra_starts_per_100k_16_17_per_10_pounds_cut
    return pa.table(
        {
            "la_code": pa.array(np.array(rates.la_codes)[la]),
            "time_period": pa.array([periods.time_period(int(fy)) for fy in t["fy"]], type=pa.int64()),
            "ei_cut_pounds_per_child_real": pa.array(np.round(cut, 2)),
            "extra_care_starts_per_100k_16_17": pa.array(np.round(per_10 * cut / 10.0, 3)),
        }
    )


__all__ = ["FORMATS", "generate", "settings_for"]
