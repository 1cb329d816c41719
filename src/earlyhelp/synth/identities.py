"""Synthetic identity records: the same children as seen by several agencies, with real faults.

``make_identity_records`` turns true people and their local authority records into the
identity-zone table ``person_identifiers`` (one row per record per source agency) and a truth
table naming the true person behind every record. It adds the partner agencies that hold
records about the same children (health, education, police, housing) and plants the faults
that make linkage hard in England (issue 3):

* NHS number missing in 10-30% of non-health records; occasionally mistyped, either breaking
  the mod-11 check digit, keeping it valid by accident, or being a sibling's number;
* nicknames (William -> Billy) and spelling variants (Muhammad -> Mohammed), keying typos;
* day and month of birth swapped, other date typos;
* surname changes, siblings who do not share a surname, twins (same family, same birth date);
* postcode moves, people who moved between LAs, and a few addresses shared by many families
  (hostels, refuges) that make naive postcode blocking explode.

Postcodes are real: every family lives at a real postcode unit of its LA, drawn from the ONS
Postcode Directory shipped as :func:`earlyhelp.reference.postcodes` (so DfE rules that look
postcodes up, and anyone mapping the data, see real places; several synthetic families share a
postcode, as real ones do). Names, dates of birth and identifiers stay invented.

Names come from small hand-made lists in ``data/names/`` with Zipf-like weights, so a few
names are very common (term-frequency adjustment matters) and most are rare.

Everything is vectorised with numpy; a few per-string edits (typos) loop over the small subset
that needs them. One million records take a few seconds.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from earlyhelp.spec import table as spec_table

LA_SOURCES = ("la_csc", "la_early_help")
PARTNER_SOURCES = ("health", "education", "police", "housing")
# Prefix of the partner agencies' own record ids (they are never NHS-number-like).
RECORD_ID_PREFIX = {"health": "HLT", "education": "EDU", "police": "POL", "housing": "HSG"}

NHS_WEIGHTS = np.arange(10, 1, -1)  # weights of the first nine digits
UPN_CHECK_LETTERS = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"))


# What a caller may override in FaultRates: a rate, or for nhs_missing rates by source.
FaultRateOverride = float | Mapping[str, float]


@dataclass(frozen=True)
class FaultRates:
    """How often each fault happens (probabilities per record unless said otherwise)."""

    # NHS number absent, by source (health almost always has it).
    nhs_missing: dict[str, float] = field(
        default_factory=lambda: {
            "la_csc": 0.15,
            "la_early_help": 0.25,
            "health": 0.005,
            "education": 0.12,
            "police": 0.30,
            "housing": 0.22,
        }
    )
    nhs_mistyped: float = 0.012  # of present NHS numbers outside health
    nhs_mistyped_health: float = 0.002
    nhs_typo_keeps_check: float = 0.3  # share of mistypes that still pass mod-11
    nhs_sibling_number: float = 0.25  # share of mistypes that are a sibling's number
    nickname: float = 0.08  # forename written as a nickname or spelling variant
    forename_typo: float = 0.03
    forename_missing: float = 0.01
    surname_change: float = 0.03
    surname_typo: float = 0.03
    surname_missing: float = 0.01
    sibling_other_surname: float = 0.12  # per person: does not share the family surname
    dob_swap: float = 0.02  # day and month swapped (where that is a valid date)
    dob_typo: float = 0.01  # day or year off by a little
    dob_missing: float = 0.01
    sex_unknown: float = 0.01
    sex_wrong: float = 0.003
    postcode_moved: float = 0.15  # record holds the family's other (earlier) postcode
    postcode_missing: float = 0.05
    postcode_typo: float = 0.01
    shared_address: float = 0.01  # per family: lives at a hostel/refuge-type address
    upn_on_la_record: float = 0.6  # school-age LA records that carry the UPN
    upn_mistyped: float = 0.01
    # Coverage of the partner agencies (per person).
    health: float = 0.97
    education: float = 0.95  # of children aged 4 or more on school_age_on
    police: float = 0.08
    police_duplicate: float = 0.05  # police hold a second record for the same person
    housing: float = 0.05

    @classmethod
    def with_overrides(cls, **overrides: FaultRateOverride) -> FaultRates:
        """The default rates with ``overrides``; ``nhs_missing`` is merged source by source."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise TypeError(f"unknown fault rate(s): {', '.join(unknown)}; known: {', '.join(sorted(names))}")
        base = cls()
        nhs_missing = overrides.pop("nhs_missing", {})
        if not isinstance(nhs_missing, Mapping):
            raise TypeError("fault rate nhs_missing must map each source to a rate")
        rates: dict[str, float] = {}
        for name, rate in overrides.items():
            if isinstance(rate, Mapping):
                raise TypeError(f"fault rate {name} must be a number")
            rates[name] = rate
        return dataclasses.replace(base, nhs_missing={**base.nhs_missing, **nhs_missing}, **rates)


# --------------------------------------------------------------------------- name lists
@dataclass(frozen=True)
class NameList:
    names: np.ndarray  # str
    weights: np.ndarray  # probabilities, sum 1

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(len(self.names), size=size, p=self.weights)


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("earlyhelp.synth").joinpath("data", "names", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def name_list(kind: str) -> NameList:
    """``forenames_female``, ``forenames_male`` or ``surnames``: names with Zipf-like weights."""
    rows = _read_csv(f"{kind}.csv")
    weights = np.array([float(r["weight"]) for r in rows])
    return NameList(np.array([r["name"] for r in rows]), weights / weights.sum())


@cache
def nickname_map() -> dict[str, tuple[str, ...]]:
    """Formal name -> the nicknames and spelling variants it is written as."""
    variants: dict[str, list[str]] = {}
    for row in _read_csv("nicknames.csv"):
        variants.setdefault(row["name"], []).append(row["variant"])
    return {name: tuple(v) for name, v in variants.items()}


# --------------------------------------------------------------------------- check digits
def nhs_check_digit(first_nine: np.ndarray) -> np.ndarray:
    """Mod-11 check digit of 9-digit integers; 10 means no valid number has these digits."""
    digits = (first_nine[:, None] // 10 ** np.arange(8, -1, -1)) % 10
    check = 11 - (digits @ NHS_WEIGHTS) % 11
    return np.where(check == 11, 0, check)


def nhs_number_is_valid(number: str) -> bool:
    if len(number) != 10 or not number.isdigit():
        return False
    check = 11 - sum(int(d) * w for d, w in zip(number[:9], range(10, 1, -1))) % 11
    return (0 if check == 11 else check) == int(number[9])


@lru_cache(maxsize=1)
def _dfe_numbers_by_la_code() -> dict[str, int]:
    from earlyhelp.reference import local_authorities

    las = local_authorities()
    return {code: int(number) for code, number in zip(las["la_code"], las["old_la_code"])}


@lru_cache(maxsize=1)
def _postcode_book() -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array]:
    """The shipped postcodes as (la codes sorted, first row of each, count of each, postcodes)."""
    from earlyhelp.reference import postcodes

    table = postcodes()
    per_la = pc.value_counts(table.column("la_code"))  # in order of appearance: sorted by LA
    counts = per_la.field("counts").to_numpy().astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    codes = per_la.field("values").to_numpy(zero_copy_only=False).astype(str)
    return codes, starts, counts, table.column("postcode").combine_chunks()


def real_postcodes(la_codes: np.ndarray, all_las: np.ndarray, draw: np.ndarray) -> np.ndarray:
    """Postcode number ``draw`` (any non-negative integer, taken modulo the LA's count of
    postcodes) of each LA in ``la_codes``: the same LA and draw always give the same postcode.

    ``all_las`` is the sorted set of LA codes in play; LAs the reference does not know (made-up
    codes in benchmarks) borrow a real LA's postcodes, chosen by their position in it.
    """
    codes, starts, counts, postcodes = _postcode_book()
    position = np.clip(np.searchsorted(codes, all_las), 0, len(codes) - 1)
    unknown = codes[position] != all_las
    position[unknown] = np.arange(int(unknown.sum())) % len(codes)
    book = position[np.searchsorted(all_las, la_codes.astype(str))]
    rows = starts[book] + draw % counts[book]
    return postcodes.take(pa.array(rows)).to_numpy(zero_copy_only=False)


def dfe_la_numbers(la_codes: np.ndarray) -> np.ndarray:
    """The DfE three-digit LA number that starts a UPN, for each ONS code.

    DfE rule 1530 rejects a UPN whose characters 2-4 are not a real LA number. LAs the reference
    data does not know (made-up codes in benchmarks) get a real number chosen by position.
    """
    known = _dfe_numbers_by_la_code()
    real = np.array(sorted(set(known.values())), dtype=np.int64)
    return np.array(
        [known.get(str(code), real[i % len(real)]) for i, code in enumerate(la_codes)],
        dtype=np.int64,
    )


def upn_check_letter(body: np.ndarray) -> np.ndarray:
    """DfE check letter for the 12 characters after it (here all digits): weights 2..13, mod 23."""
    digits = body.view("U1").reshape(len(body), 12).astype(np.int64)
    return UPN_CHECK_LETTERS[(digits @ np.arange(2, 14)) % 23]


def upn_is_valid(upn: str) -> bool:
    if len(upn) != 13 or not upn[1:].isdigit():
        return False
    return upn[0] == UPN_CHECK_LETTERS[sum(int(d) * w for d, w in zip(upn[1:], range(2, 14))) % 23]


def _unique_valid_nhs_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct valid NHS numbers (as int64), in random order."""
    found = np.empty(0, dtype=np.int64)
    while len(found) < n:
        draw = rng.integers(400_000_000, 800_000_000, size=int((n - len(found)) * 1.2) + 16)
        check = nhs_check_digit(draw)
        candidates = draw[check != 10] * 10 + check[check != 10]
        found = np.unique(np.concatenate([found, candidates]))
    return rng.permutation(found)[:n]


def _nhs_strings(numbers: np.ndarray) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), 10, "0")


# --------------------------------------------------------------------------- string faults
def _typo(rng: np.random.Generator, word: str) -> str:
    """One keying error that keeps the first letter: drop, double, swap or replace a letter."""
    if len(word) < 3:
        return word + word[-1]
    i = int(rng.integers(1, len(word)))
    op = int(rng.integers(0, 4))
    if op == 0:
        return word[:i] + word[i + 1 :]
    if op == 1:
        return word[:i] + word[i] + word[i:]
    if op == 2 and i < len(word) - 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    replacement = "aeiou"[int(rng.integers(0, 5))] if word[i].lower() in "aeiou" else "nrtsl"[int(rng.integers(0, 5))]
    return word[:i] + replacement + word[i + 1 :]


def _apply_typos(rng: np.random.Generator, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = values.astype(object)
    for i in np.flatnonzero(mask):
        out[i] = _typo(rng, str(out[i]))
    return out


# --------------------------------------------------------------------------- dates
def _split_dates(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    as_date = days.astype("datetime64[D]")
    years = as_date.astype("datetime64[Y]")
    months = as_date.astype("datetime64[M]")
    day = (as_date - months).astype(np.int64) + 1
    month = (months - years).astype(np.int64) + 1
    return years.astype(np.int64) + 1970, month, day


def _make_dates(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    months = (year - 1970) * 12 + (month - 1)
    return (months.astype("datetime64[M]").astype("datetime64[D]") + (day - 1)).astype(np.int64)


# --------------------------------------------------------------------------- the generator
def make_identity_records(
    people: pa.Table,
    la_records: pa.Table,
    seed: int,
    *,
    school_age_on: date = date(2020, 3, 31),
    **fault_rates: FaultRateOverride,
) -> tuple[pa.Table, pa.Table]:
    """Identity-zone records for ``people`` and their LA records, plus partner-agency records.

    ``people``: true_person_id, sex ('M'/'F'), date_of_birth (date32), family_id, home_la_code.
    ``la_records``: true_person_id, la_code, source ('la_csc'/'la_early_help'), source_record_id.
    ``fault_rates``: overrides of :class:`FaultRates` fields (e.g. ``nickname=0.2``).

    Returns ``(person_identifiers, truth)``: the first has exactly the columns and types of the
    EHLD table ``person_identifiers``; ``truth`` is (source, source_record_id, true_person_id,
    home_postcode): home_postcode is where the person truly lives now (their family's current
    postcode in their home LA), whatever the record says.
    The same inputs and seed give the same output.
    """
    rates = FaultRates.with_overrides(**fault_rates)
    rng = np.random.default_rng(seed)
    n_people = people.num_rows

    person_ids = people.column("true_person_id").to_numpy(zero_copy_only=False).astype(str)
    sex = people.column("sex").to_numpy(zero_copy_only=False).astype(str)
    dob = people.column("date_of_birth").cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64)
    family_ids = people.column("family_id").to_numpy(zero_copy_only=False).astype(str)
    home_la = people.column("home_la_code").to_numpy(zero_copy_only=False).astype(str)
    family_index, family_of = np.unique(family_ids, return_inverse=True)
    n_families = len(family_index)

    # ---- who each person truly is
    is_female = sex == "F"
    forename = np.empty(n_people, dtype=object)
    for names, chosen in ((name_list("forenames_female"), is_female), (name_list("forenames_male"), ~is_female)):
        forename_index = np.full(n_people, -1)
        forename_index[chosen] = names.draw(rng, int(chosen.sum()))
        # Parents do not give two children the same forename: redraw clashes in a family.
        for _ in range(6):
            key = family_of.astype(np.int64) * 1000 + forename_index
            order = np.argsort(key, kind="stable")
            clash = np.zeros(n_people, dtype=bool)
            clash[order[1:]] = (key[order[1:]] == key[order[:-1]]) & chosen[order[1:]]
            if not clash.any():
                break
            forename_index[clash] = names.draw(rng, int(clash.sum()))
        forename[chosen] = names.names[forename_index[chosen]]
    surnames = name_list("surnames")
    family_surname = surnames.draw(rng, n_families)
    surname_index = family_surname[family_of]
    own_surname = rng.random(n_people) < rates.sibling_other_surname
    surname_index[own_surname] = surnames.draw(rng, int(own_surname.sum()))
    surname = surnames.names[surname_index]

    true_nhs = _unique_valid_nhs_numbers(rng, n_people)

    # Postcodes: the family's current and earlier address; a few families share big addresses
    # (a hostel or refuge). A draw picks the same real postcode for everyone given it in an LA.
    all_las = np.unique(
        np.concatenate([home_la, la_records.column("la_code").to_numpy(zero_copy_only=False).astype(str)])
    )

    def postcode_draws(count: int) -> np.ndarray:
        return rng.integers(0, 2**40, count)

    family_postcode = postcode_draws(n_families)
    family_earlier_postcode = postcode_draws(n_families)
    shared = rng.random(n_families) < rates.shared_address
    n_shared_addresses = max(1, n_families // 5000)
    family_postcode[shared] = postcode_draws(n_shared_addresses)[rng.integers(0, n_shared_addresses, int(shared.sum()))]

    # ---- which records exist
    la_person_ids = la_records.column("true_person_id").to_numpy(zero_copy_only=False).astype(str)
    sorter = np.argsort(person_ids)
    position = np.searchsorted(person_ids, la_person_ids, sorter=sorter)
    position = np.clip(position, 0, n_people - 1)
    la_person = sorter[position]
    if len(la_person) and not np.all(person_ids[la_person] == la_person_ids):
        raise ValueError("every la_records.true_person_id must be a true_person_id in people")

    ref_year, ref_month, ref_day = school_age_on.year, school_age_on.month, school_age_on.day
    birth_year, birth_month, birth_day = _split_dates(dob)
    age = ref_year - birth_year - ((birth_month > ref_month) | ((birth_month == ref_month) & (birth_day > ref_day)))
    school_age = age >= 4

    partner_person: dict[str, np.ndarray] = {
        "health": np.flatnonzero(rng.random(n_people) < rates.health),
        "education": np.flatnonzero(school_age & (rng.random(n_people) < rates.education)),
        "housing": np.flatnonzero(rng.random(n_people) < rates.housing),
    }
    police = np.flatnonzero(rng.random(n_people) < rates.police)
    police_again = police[rng.random(len(police)) < rates.police_duplicate]
    partner_person["police"] = np.sort(np.concatenate([police, police_again]))

    record_person = [la_person]
    record_source = [la_records.column("source").to_numpy(zero_copy_only=False).astype(str)]
    record_id = [la_records.column("source_record_id").to_numpy(zero_copy_only=False).astype(str)]
    record_la = [la_records.column("la_code").to_numpy(zero_copy_only=False).astype(str)]
    for partner in PARTNER_SOURCES:
        who = partner_person[partner]
        record_person.append(who)
        record_source.append(np.full(len(who), partner))
        # Agencies' own ids carry no information about the person or their order.
        serial = rng.permutation(len(who)) + 1
        record_id.append(
            np.array([f"{RECORD_ID_PREFIX[partner]}{number:09d}" for number in serial.tolist()], dtype=object)
        )
        record_la.append(home_la[who])
    person_of = np.concatenate(record_person)
    source = np.concatenate(record_source).astype(object)
    source_record_id = np.concatenate(record_id).astype(object)
    record_la_code = np.concatenate(record_la).astype(object)
    n = len(person_of)
    is_health = source == "health"
    is_la = np.isin(source, LA_SOURCES)

    # ---- NHS number with missing values and mistypes
    nhs = true_nhs[person_of].copy()
    source_codes, source_of = np.unique(source.astype(str), return_inverse=True)
    missing_rate = np.array([rates.nhs_missing.get(code, 0.2) for code in source_codes])[source_of]
    nhs_missing = rng.random(n) < missing_rate
    mistype_rate = np.where(is_health, rates.nhs_mistyped_health, rates.nhs_mistyped)
    mistyped = ~nhs_missing & (rng.random(n) < mistype_rate)
    kind = rng.random(n)
    sibling = mistyped & (kind < rates.nhs_sibling_number)
    keeps = mistyped & ~sibling & (kind < rates.nhs_sibling_number + rates.nhs_typo_keeps_check)
    breaks = mistyped & ~sibling & ~keeps
    if sibling.any():
        # A sibling's number: the next person in the same family (if there is one).
        family_order = np.argsort(family_of, kind="stable")
        next_in_family = np.empty(n_people, dtype=np.int64)
        next_in_family[family_order] = np.roll(family_order, -1)
        candidate = next_in_family[person_of[sibling]]
        has_sibling = family_of[candidate] == family_of[person_of[sibling]]
        has_sibling &= candidate != person_of[sibling]
        index = np.flatnonzero(sibling)
        nhs[index[has_sibling]] = true_nhs[candidate[has_sibling]]
        breaks[index[~has_sibling]] = True
    for chosen, recompute in ((breaks, False), (keeps, True)):
        index = np.flatnonzero(chosen)
        first_nine = nhs[index] // 10
        place = 10 ** rng.integers(0, 9, len(index))
        digit = (first_nine // place) % 10
        new_digit = (digit + rng.integers(1, 10, len(index))) % 10
        first_nine = first_nine + (new_digit - digit) * place
        # A single changed digit always breaks mod-11 unless the check digit is recomputed.
        check = nhs_check_digit(first_nine) if recompute else nhs[index] % 10
        nhs[index] = first_nine * 10 + np.where(check == 10, 0, check)
    nhs_array = pc.if_else(pa.array(nhs_missing), pa.nulls(n, pa.string()), _nhs_strings(nhs))

    # ---- forename: nicknames and variants, typos, missing
    forename_out = forename[person_of].astype(object)
    nicknames = nickname_map()
    has_variant = np.isin(forename_out.astype(str), np.array(sorted(nicknames)))
    use_variant = has_variant & (rng.random(n) < rates.nickname)
    for i in np.flatnonzero(use_variant):
        options = nicknames[forename_out[i]]
        forename_out[i] = options[int(rng.integers(0, len(options)))]
    forename_out = _apply_typos(rng, forename_out, rng.random(n) < rates.forename_typo)
    forename_missing = rng.random(n) < rates.forename_missing

    # ---- surname: changes, typos, missing
    surname_out = surname[person_of].astype(object)
    changed = rng.random(n) < rates.surname_change
    new_surname = surnames.names[surnames.draw(rng, int(changed.sum()))].astype(object)
    double_barrel = rng.random(int(changed.sum())) < 0.3
    new_surname[double_barrel] = surname_out[changed][double_barrel] + "-" + new_surname[double_barrel]
    surname_out[changed] = new_surname
    surname_out = _apply_typos(rng, surname_out, rng.random(n) < rates.surname_typo)
    surname_missing = rng.random(n) < rates.surname_missing

    # ---- date of birth: day/month swaps, typos, missing
    year, month, day = birth_year[person_of], birth_month[person_of], birth_day[person_of]
    swap = (rng.random(n) < rates.dob_swap) & (day <= 12) & (day != month)
    month, day = np.where(swap, day, month), np.where(swap, month, day)
    typo = rng.random(n) < rates.dob_typo
    typo_in_year = typo & (rng.random(n) < 0.4)
    typo_in_day = typo & ~typo_in_year
    year = np.where(typo_in_year, year + rng.choice([-1, 1], n), year)
    day = np.where(typo_in_day, np.clip(day + rng.choice([-1, 1, 10, -10], n), 1, 28), day)
    dob_out = _make_dates(year, month, day)
    dob_missing = rng.random(n) < rates.dob_missing

    # ---- sex
    sex_out = sex[person_of].astype(object)
    wrong = rng.random(n) < rates.sex_wrong
    sex_out[wrong] = np.where(sex_out[wrong] == "F", "M", "F")
    sex_out[rng.random(n) < rates.sex_unknown] = "U"

    # ---- postcode: a record in another LA holds the address there; others may be out of date
    fam = family_of[person_of]
    in_other_la = record_la_code != home_la[person_of]
    earlier = in_other_la | (rng.random(n) < rates.postcode_moved)
    draw = np.where(earlier, family_earlier_postcode[fam], family_postcode[fam])
    postcode_out = real_postcodes(record_la_code, all_las, draw).astype(object)
    postcode_out = _apply_typos(rng, postcode_out, rng.random(n) < rates.postcode_typo)
    postcode_missing = rng.random(n) < rates.postcode_missing

    # ---- UPN: education always, LA records often for school-age children
    upn_la_number = dfe_la_numbers(all_las)[np.searchsorted(all_las, home_la)]
    upn_year = (birth_year + 5) % 100
    serial = (np.arange(n_people, dtype=np.int64) * 7919 + int(rng.integers(0, 10**7))) % 10**7
    body = (upn_la_number.astype(np.int64) * 10**9 + upn_year * 10**7 + serial).astype(str)
    body = np.char.zfill(body, 12)
    true_upn = np.char.add(upn_check_letter(body), body)
    upn_out = true_upn[person_of].astype(object)
    has_upn = school_age[person_of] & ((source == "education") | (is_la & (rng.random(n) < rates.upn_on_la_record)))
    upn_typo = has_upn & (rng.random(n) < rates.upn_mistyped)
    for i in np.flatnonzero(upn_typo):
        digits = list(upn_out[i])
        digit_at = int(rng.integers(1, 13))
        digits[digit_at] = str((int(digits[digit_at]) + int(rng.integers(1, 10))) % 10)
        upn_out[i] = "".join(digits)

    def optional(values: np.ndarray, missing: np.ndarray, type_: pa.DataType) -> pa.Array:
        return pa.array(values, type_, mask=missing)

    schema = person_identifiers_schema()
    identifiers = pa.Table.from_arrays(
        [
            pa.array(source, pa.string()),
            pa.array(source_record_id, pa.string()),
            pa.array(record_la_code, pa.string()),
            nhs_array,
            optional(upn_out, ~has_upn, pa.string()),
            optional(forename_out, forename_missing, pa.string()),
            optional(surname_out, surname_missing, pa.string()),
            optional(dob_out.astype(np.int32), dob_missing, pa.int32()).cast(pa.date32()),
            pa.array(sex_out, pa.string()),
            optional(postcode_out, postcode_missing, pa.string()),
        ],
        schema=schema,
    )
    truth = pa.table(
        {
            "source": identifiers.column("source"),
            "source_record_id": identifiers.column("source_record_id"),
            "true_person_id": pa.array(person_ids[person_of], pa.string()),
            "home_postcode": pa.array(real_postcodes(home_la[person_of], all_las, family_postcode[fam]), pa.string()),
        }
    )
    return identifiers, truth


_ARROW_TYPES = {
    "text": pa.string(),
    "code": pa.string(),
    "month": pa.string(),
    "date": pa.date32(),
    "bool": pa.bool_(),
    "int": pa.int64(),
    "float": pa.float64(),
}


def person_identifiers_schema() -> pa.Schema:
    return pa.schema([pa.field(c.name, _ARROW_TYPES[c.type]) for c in spec_table("person_identifiers").columns])


# --------------------------------------------------------------------------- test populations
FAMILY_SIZES = np.array([1, 2, 3, 4, 5])
FAMILY_SIZE_SHARES = np.array([0.35, 0.33, 0.19, 0.09, 0.04])


def synthetic_people(
    n_people: int,
    seed: int,
    *,
    n_las: int | None = None,
    la_record_share: float = 0.85,
    moved_share: float = 0.04,
    twin_share: float = 0.03,
) -> tuple[pa.Table, pa.Table]:
    """A stand-alone population for tests and benchmarks: ``(people, la_records)``.

    Families of one to five children born 2002-2019 (some twins) in ``n_las`` local authorities;
    ``la_record_share`` of children have a social care or early help record, ``moved_share`` of
    those also have one in a second LA. ``child_id`` is LA-prefixed as the data model requires.
    """
    rng = np.random.default_rng(seed)
    n_las = n_las or max(3, min(150, n_people // 20_000))
    la_codes = np.array([f"E06{900_000 + i:06d}" for i in range(n_las)])  # fake ONS-style codes
    sizes = rng.choice(FAMILY_SIZES, size=n_people, p=FAMILY_SIZE_SHARES)
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), n_people)) + 1]
    sizes[-1] -= sizes.sum() - n_people
    sizes = sizes[sizes > 0]
    n_families = len(sizes)
    family_of = np.repeat(np.arange(n_families), sizes)
    birth_order = np.arange(n_people) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    eldest = rng.integers(np.datetime64("2002-01-01").astype(int), np.datetime64("2012-01-01").astype(int), n_families)
    gaps = rng.integers(400, 1500, n_people)
    gaps[birth_order == 0] = 0
    # twins: a younger sibling born the same day as the one before
    gaps[(birth_order > 0) & (rng.random(n_people) < twin_share)] = 0
    offset = np.cumsum(gaps) - np.repeat((np.cumsum(gaps))[np.cumsum(sizes) - sizes], sizes)
    dob = np.minimum(eldest[family_of] + offset, np.datetime64("2019-12-31").astype(int))
    family_la = rng.integers(0, n_las, n_families)
    people = pa.table(
        {
            "true_person_id": pa.array(np.char.add("P", np.char.zfill(np.arange(n_people).astype(str), 9))),
            "sex": pa.array(np.where(rng.random(n_people) < 0.49, "F", "M")),
            "date_of_birth": pa.array(dob.astype(np.int32), pa.int32()).cast(pa.date32()),
            "family_id": pa.array(np.char.add("F", np.char.zfill(family_of.astype(str), 9))),
            "home_la_code": pa.array(la_codes[family_la[family_of]]),
        }
    )
    with_record = np.flatnonzero(rng.random(n_people) < la_record_share)
    moved = with_record[rng.random(len(with_record)) < moved_share]
    other_la = (family_la[family_of[moved]] + rng.integers(1, max(2, n_las), len(moved))) % n_las
    record_person = np.concatenate([with_record, moved])
    record_la = np.concatenate([family_la[family_of[with_record]], other_la])
    record_source = np.where(rng.random(len(record_person)) < 0.5, "la_csc", "la_early_help")
    order = rng.permutation(len(record_person))
    child_id = np.char.add(np.char.add(la_codes[record_la], "-"), np.char.zfill((order + 1).astype(str), 8))
    la_records = pa.table(
        {
            "true_person_id": people.column("true_person_id").take(pa.array(record_person)),
            "la_code": pa.array(la_codes[record_la]),
            "source": pa.array(record_source),
            "source_record_id": pa.array(child_id),
        }
    )
    return people, la_records


__all__ = [
    "FaultRates",
    "make_identity_records",
    "nhs_check_digit",
    "nhs_number_is_valid",
    "nickname_map",
    "person_identifiers_schema",
    "real_postcodes",
    "synthetic_people",
    "upn_check_letter",
    "upn_is_valid",
]
