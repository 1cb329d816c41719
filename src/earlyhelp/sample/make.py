"""Write the sample EHLD return shipped in ``earlyhelp/sample/data`` (deterministic).

Regenerate with ``python -m earlyhelp.sample.make``. Every identity is made up: names are
invented, NHS numbers are in the 999 range the NHS keeps for testing, postcodes are in the
ZZ99 pseudo-postcode area and UPNs use LA number 999. Codes are read from :mod:`earlyhelp.spec`.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from earlyhelp.spec import TABLES, codes, periods

LA_CODE = "E06000001"
PERIOD_START = periods.period_start(201920)
PERIOD_END = periods.period_end(202223)
EXTRACT_DATE = date(2023, 6, 30)
CHILDREN = 40
SEED = 20240401
DATA = Path(__file__).parent / "data"

FORENAMES = (
    "Alfie",
    "Bella",
    "Cody",
    "Daisy",
    "Ezra",
    "Freya",
    "Gus",
    "Hattie",
    "Ivo",
    "Juno",
    "Kit",
    "Lola",
    "Milo",
    "Nell",
    "Otis",
    "Pip",
    "Quinn",
    "Rosa",
    "Sid",
    "Tilly",
)
SURNAMES = ("Testwood", "Samplewell", "Fakeham", "Mockford", "Dummington", "Placeholt")
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def nhs_number(rng: random.Random) -> str:
    """A number in the NHS test range (999...) with a valid mod-11 check digit."""
    while True:
        body = "999" + "".join(str(rng.randrange(10)) for _ in range(6))
        total = sum(int(d) * w for d, w in zip(body, range(10, 1, -1)))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check != 10:
            return body + str(check)


def upn(rng: random.Random, year: int) -> str:
    """A UPN for LA number 999 with the DfE check letter (weights 2..13 over characters 2..13)."""
    rest = "999" + f"{year % 100:02d}" + "".join(str(rng.randrange(10)) for _ in range(7))
    total = sum(int(d) * w for d, w in zip(rest, range(2, 14)))
    return UPN_LETTERS[total % 23] + rest


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange(max(1, (end - start).days + 1)))


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def build(rng: random.Random) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {
        name: []
        for name in (
            "returns",
            "person_identifiers",
            "children",
            "referrals",
            "assessments",
            "cin_plans",
            "s47_enquiries",
            "cp_plans",
            "looked_after_episodes",
            "early_help_episodes",
            "early_help_services",
            "family_goals",
        )
    }
    rows["returns"].append(
        {
            "la_code": LA_CODE,
            "period_start": _iso(PERIOD_START),
            "period_end": _iso(PERIOD_END),
            "extract_date": _iso(EXTRACT_DATE),
        }
    )
    counters = {"R": 0, "A": 0, "EH": 0, "G": 0}

    def next_id(kind: str) -> str:
        counters[kind] += 1
        return f"{LA_CODE}-{kind}{counters[kind]:04d}"

    family = 0
    for number in range(1, CHILDREN + 1):
        if number == 1 or rng.random() < 0.6:
            family += 1
        child_id = f"{LA_CODE}-C{number:04d}"
        family_id = f"{LA_CODE}-F{family:03d}"
        born = _day(rng, date(2005, 1, 1), date(2019, 12, 31))
        sex = rng.choice(("M", "F", "F", "M", "U")) if number % 13 else "U"
        known_to_csc = rng.random() < 0.7
        rows["children"].append(
            {
                "la_code": LA_CODE,
                "child_id": child_id,
                "person_id": "",
                "birth_month": born.strftime("%Y-%m"),
                "sex": sex,
                "ethnicity": rng.choice(codes.ETHNICITY[:6] + ("WBRI",) * 6),
                "disabled": rng.choice(("true", "false", "false", "false")),
                "idaci_decile": str(rng.randint(1, 10)) if rng.random() < 0.9 else "",
                "family_id": family_id,
            }
        )
        rows["person_identifiers"].append(
            {
                "source": "la_csc" if known_to_csc else "la_early_help",
                "source_record_id": child_id,
                "la_code": LA_CODE,
                "nhs_number": nhs_number(rng) if rng.random() < 0.9 else "",
                "upn": upn(rng, born.year + 5) if born.year < 2018 else "",
                "forename": rng.choice(FORENAMES),
                "surname": SURNAMES[family % len(SURNAMES)],
                "date_of_birth": _iso(born),
                "sex": sex,
                "postcode": f"ZZ99 {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTU')}",
            }
        )
        if known_to_csc:
            _social_care(rng, rows, child_id, family_id, next_id)
        else:
            _early_help(
                rng,
                rows,
                child_id,
                family_id,
                next_id,
                _day(rng, PERIOD_START, PERIOD_END),
                request_source=rng.choice(codes.REQUEST_SOURCE[:7]),
            )
    return rows


def _social_care(rng, rows, child_id, family_id, next_id) -> None:
    when = _day(rng, PERIOD_START, date(2022, 6, 30))
    for _ in range(rng.choice((1, 1, 2, 3))):
        referral_id = next_id("R")
        base = {"la_code": LA_CODE, "child_id": child_id, "referral_id": referral_id}
        referral = {
            **base,
            "referral_date": _iso(when),
            "referral_source": rng.choice(codes.REFERRAL_SOURCE),
            "primary_need": rng.choice(codes.PRIMARY_NEED[1:]),
            "referral_nfa": "false",
            "closure_date": "",
            "closure_reason": "",
        }
        rows["referrals"].append(referral)
        if rng.random() < 0.15:  # no further action: closed the same day with RC8, nothing follows
            referral.update(
                referral_nfa="true", closure_date=_iso(when), closure_reason=codes.CLOSED_AFTER_ASSESSMENT_NFA
            )
            when += timedelta(days=rng.randint(60, 300))
            continue
        assessed = when + timedelta(days=rng.randint(0, 10))
        authorised = assessed + timedelta(days=rng.randint(10, 45))
        rows["assessments"].append(
            {
                **base,
                "assessment_id": next_id("A"),
                "start_date": _iso(assessed),
                "authorisation_date": _iso(authorised),
                "factors": "|".join(rng.sample(codes.ASSESSMENT_FACTORS, rng.randint(1, 3))),
            }
        )
        outcome = rng.random()
        if outcome < 0.45:  # closed after assessment; RC9 steps down to early help
            reason = rng.choice((codes.CLOSED_AFTER_ASSESSMENT_NFA, codes.CLOSED_AFTER_ASSESSMENT_TO_EARLY_HELP))
            referral.update(closure_date=_iso(authorised), closure_reason=reason)
            if reason == codes.CLOSED_AFTER_ASSESSMENT_TO_EARLY_HELP:
                _early_help(
                    rng,
                    rows,
                    child_id,
                    family_id,
                    next_id,
                    authorised + timedelta(days=rng.randint(0, 20)),
                    request_source="csc_step_down",
                )
            end = authorised
        else:
            start = authorised + timedelta(days=rng.randint(1, 14))
            end = start + timedelta(days=rng.randint(90, 500))
            if outcome > 0.75:  # a section 47 enquiry and a child protection plan
                s47 = authorised + timedelta(days=rng.randint(0, 5))
                rows["s47_enquiries"].append(
                    {
                        **base,
                        "start_date": _iso(s47),
                        "icpc_date": _iso(s47 + timedelta(days=14)),
                        "icpc_not_required": "false",
                    }
                )
                rows["cp_plans"].append(
                    {
                        **base,
                        "start_date": _iso(start),
                        "end_date": _iso(end) if end <= EXTRACT_DATE else "",
                        "initial_category": rng.choice(codes.CP_CATEGORY),
                        "previous_plans": str(rng.choice((0, 0, 1))),
                    }
                )
                if outcome > 0.9:
                    care_start = start + timedelta(days=rng.randint(10, 60))
                    care_end = care_start + timedelta(days=rng.randint(100, 700))
                    rows["looked_after_episodes"].append(
                        {
                            "la_code": LA_CODE,
                            "child_id": child_id,
                            "start_date": _iso(care_start),
                            "reason_new_episode": "S",
                            "legal_status": rng.choice(("C2", "V2", "J2")),
                            "category_of_need": rng.choice(codes.CLA_CATEGORY_OF_NEED),
                            "placement": rng.choice(("U1", "U4", "K2", "R1")),
                            "end_date": _iso(care_end) if care_end <= EXTRACT_DATE else "",
                            "reason_ceased": rng.choice(("E11", "E4A", "E13")) if care_end <= EXTRACT_DATE else "",
                        }
                    )
            rows["cin_plans"].append(
                {**base, "start_date": _iso(start), "end_date": _iso(end) if end <= EXTRACT_DATE else ""}
            )
            if end <= EXTRACT_DATE:
                referral.update(closure_date=_iso(end), closure_reason=rng.choice(("RC1", "RC2", "RC3", "RC4")))
        when = max(end, when) + timedelta(days=rng.randint(30, 400))
        if when > PERIOD_END:
            break


def _early_help(rng, rows, child_id, family_id, next_id, start: date, request_source: str) -> None:
    if start > EXTRACT_DATE:
        return
    episode_id = next_id("EH")
    request = start - timedelta(days=rng.randint(0, 40))
    end = start + timedelta(days=rng.randint(60, 400))
    closed = end <= EXTRACT_DATE
    rows["early_help_episodes"].append(
        {
            "la_code": LA_CODE,
            "child_id": child_id,
            "family_id": family_id,
            "episode_id": episode_id,
            "request_date": _iso(request) if rng.random() < 0.85 else "",
            "start_date": _iso(start),
            "end_date": _iso(end) if closed else "",
            "request_source": request_source,
            "lead_agency": rng.choice(codes.AGENCY),
            "service_level": rng.choice(codes.SERVICE_LEVEL),
            "end_reason": rng.choice(codes.EH_END_REASON[:4]) if closed else "",
        }
    )
    for service_type in rng.sample(codes.SERVICE_TYPE, rng.randint(1, 3)):
        service_start = start + timedelta(days=rng.randint(0, 30))
        service_end = service_start + timedelta(days=rng.randint(20, 120))
        rows["early_help_services"].append(
            {
                "la_code": LA_CODE,
                "episode_id": episode_id,
                "service_type": service_type,
                "provider_agency": rng.choice(codes.AGENCY),
                "start_date": _iso(service_start),
                "end_date": _iso(service_end) if service_end <= EXTRACT_DATE else "",
            }
        )
    for heading in rng.sample(codes.OUTCOME_HEADING, rng.randint(1, 3)):
        rows["family_goals"].append(
            {
                "la_code": LA_CODE,
                "episode_id": episode_id,
                "goal_id": next_id("G"),
                "outcome_heading": heading,
                "identified_by": rng.choice(codes.GOAL_IDENTIFIED_BY),
                "start_score": str(rng.randint(0, 5)),
                "end_score": str(rng.randint(3, 10)) if closed else "",
                "status": rng.choice(codes.GOAL_STATUS) if closed else "",
            }
        )


def write(folder: Path = DATA, seed: int = SEED) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, table_rows in build(random.Random(seed)).items():
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(TABLES[name].column_names), lineterminator="\n")
            writer.writeheader()
            writer.writerows(table_rows)
    return folder


if __name__ == "__main__":  # pragma: no cover
    print(f"Wrote the sample return to {write()}")
