"""Hand-built EHLD folders for the format tests: small, deterministic, DfE-consistent.

Each child follows one journey written out below, inside the 2024-25 CIN census year
(1 April 2024 to 31 March 2025), so that every fact the tests assert can be worked out by hand.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from earlyhelp.spec.model import TABLES

LA_CODE = "E06000001"  # Hartlepool, DfE LA number 805
LEA = "805"
CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def upn(lea: str, serial: int) -> str:
    """A valid UPN: check letter, the DfE LA number, then 9 digits (DfE UPN guide)."""
    body = f"{lea}{serial:09d}"
    total = sum(int(digit) * weight for digit, weight in zip(body, range(2, 14)))
    return CHECK_LETTERS[total % 23] + body


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def write_folder(folder: Path, tables: dict[str, list[dict]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        columns = TABLES[name].column_names
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            for row in rows:
                writer.writerow(
                    [
                        ""
                        if row.get(c) is None
                        else ("true" if row.get(c) is True else "false" if row.get(c) is False else str(row.get(c)))
                        for c in columns
                    ]
                )
    return folder


def census_tables() -> dict[str, list[dict]]:
    """Seven children, one journey each (dates chosen on weekdays where the DfE rules ask)."""
    tables: dict[str, list[dict]] = {
        name: []
        for name in (
            "children",
            "person_identifiers",
            "referrals",
            "assessments",
            "cin_plans",
            "s47_enquiries",
            "cp_plans",
            "looked_after_episodes",
            "returns",
        )
    }
    tables["returns"].append(
        {"la_code": LA_CODE, "period_start": "2024-04-01", "period_end": "2025-03-31", "extract_date": "2025-03-31"}
    )

    def child(n: int, dob: str, sex: str, ethnicity: str, disabled: bool | None) -> str:
        child_id = f"{LA_CODE}-C{n:04d}"
        tables["children"].append(
            {
                "la_code": LA_CODE,
                "child_id": child_id,
                "birth_month": dob[:7],
                "sex": sex,
                "ethnicity": ethnicity,
                "disabled": disabled,
            }
        )
        tables["person_identifiers"].append(
            {
                "source": "la_csc",
                "source_record_id": child_id,
                "la_code": LA_CODE,
                "upn": upn(LEA, 1000 + n),
                "forename": f"Name{n}",
                "surname": "Test",
                "date_of_birth": dob,
                "sex": sex,
                "postcode": "TS24 8AA",
            }
        )
        return child_id

    def referral(
        child_id: str,
        k: int,
        date: str,
        source: str,
        need: str | None,
        nfa: bool,
        closed: str | None = None,
        reason: str | None = None,
    ) -> str:
        referral_id = f"{child_id}-R{k}"
        tables["referrals"].append(
            {
                "la_code": LA_CODE,
                "child_id": child_id,
                "referral_id": referral_id,
                "referral_date": date,
                "referral_source": source,
                "primary_need": need,
                "referral_nfa": nfa,
                "closure_date": closed,
                "closure_reason": reason,
            }
        )
        return referral_id

    def assessment(child_id, referral_id, k, start, authorised=None, factors=None):
        tables["assessments"].append(
            {
                "la_code": LA_CODE,
                "child_id": child_id,
                "referral_id": referral_id,
                "assessment_id": f"{referral_id}-A{k}",
                "start_date": start,
                "authorisation_date": authorised,
                "factors": factors,
            }
        )

    # 1. Referral with no further action: closed on the day, RC8.
    c = child(1, "2015-06-10", "F", "WBRI", False)
    referral(c, 1, "2024-05-07", "2A", None, True, "2024-05-07", "RC8")
    # 2. Assessed, nothing found, closed after assessment (RC8).
    c = child(2, "2012-01-20", "M", "AIND", False)
    r = referral(c, 1, "2024-06-03", "5A", "N9", False, "2024-07-15", "RC8")
    assessment(c, r, 1, "2024-06-04", "2024-07-12", "21")
    # 3. Assessed, closed and referred to early help (RC9).
    c = child(3, "2018-09-01", "F", "MWBC", True)
    r = referral(c, 1, "2024-09-10", "1A", "N4", False, "2024-10-25", "RC9")
    assessment(c, r, 1, "2024-09-11", "2024-10-21", "3A|4B")
    # 4. Assessed, CIN plan still open at 31 March.
    c = child(4, "2010-03-15", "M", "BAFR", False)
    r = referral(c, 1, "2024-10-01", "3A", "N5", False)
    assessment(c, r, 1, "2024-10-02", "2024-11-08", "16A")
    tables["cin_plans"].append(
        {"la_code": LA_CODE, "child_id": c, "referral_id": r, "start_date": "2024-11-11", "end_date": None}
    )
    # 5. S47, conference, child protection plan still open (first plan).
    c = child(5, "2020-02-02", "F", "WOTH", False)
    r = referral(c, 1, "2024-07-01", "5C", "N1", False)
    assessment(c, r, 1, "2024-07-01", "2024-08-09", "17A|3A")
    tables["s47_enquiries"].append(
        {
            "la_code": LA_CODE,
            "child_id": c,
            "referral_id": r,
            "start_date": "2024-07-03",
            "icpc_date": "2024-07-24",
            "icpc_not_required": False,
        }
    )
    tables["cp_plans"].append(
        {
            "la_code": LA_CODE,
            "child_id": c,
            "referral_id": r,
            "start_date": "2024-07-24",
            "end_date": None,
            "initial_category": "EMO",
            "previous_plans": 0,
        }
    )
    # 6. Plan ended, episode closed (RC7); a second plan in the child's life.
    c = child(6, "2011-11-11", "M", "WBRI", False)
    r = referral(c, 1, "2024-04-08", "6", "N1", False, "2025-02-14", "RC7")
    assessment(c, r, 1, "2024-04-09", "2024-05-17", "16A")
    tables["s47_enquiries"].append(
        {
            "la_code": LA_CODE,
            "child_id": c,
            "referral_id": r,
            "start_date": "2024-04-10",
            "icpc_date": "2024-05-01",
            "icpc_not_required": False,
        }
    )
    tables["cp_plans"].append(
        {
            "la_code": LA_CODE,
            "child_id": c,
            "referral_id": r,
            "start_date": "2024-05-01",
            "end_date": "2025-02-14",
            "initial_category": "NEG",
            "previous_plans": 1,
        }
    )
    # 7. Two episodes: the first closed after a CIN plan, the second open and later.
    c = child(7, "2009-05-05", "F", "REFU", None)
    r = referral(c, 1, "2024-04-15", "4", "N3", False, "2024-09-30", "RC7")
    assessment(c, r, 1, "2024-04-16", "2024-05-24", "6B")
    tables["cin_plans"].append(
        {"la_code": LA_CODE, "child_id": c, "referral_id": r, "start_date": "2024-05-27", "end_date": "2024-09-30"}
    )
    r = referral(c, 2, "2025-03-03", "1C", "N4", False)
    assessment(c, r, 1, "2025-03-04", None, None)

    def episode(child_id, start, rne, ls, need, place, end=None, rec=None):
        tables["looked_after_episodes"].append(
            {
                "la_code": LA_CODE,
                "child_id": child_id,
                "start_date": start,
                "reason_new_episode": rne,
                "legal_status": ls,
                "category_of_need": need,
                "placement": place,
                "end_date": end,
                "reason_ceased": rec,
            }
        )

    # 8. Started to be looked after in the year, moved foster placement, still looked after.
    c = child(8, "2013-02-14", "M", "WBRI", None)
    episode(c, "2024-06-10", "S", "C2", "N1", "U4", "2024-09-02", "X1")
    episode(c, "2024-09-02", "P", "C2", "N1", "U6")
    # 9. Looked after from before the year, returned home to parents during it.
    c = child(9, "2008-08-08", "F", "BCRB", None)
    episode(c, "2023-11-01", "S", "V2", "N4", "U1", "2024-08-30", "E13")
    return tables


def read_table(folder: Path, name: str) -> list[dict[str, str]]:
    """Rows of one EHLD CSV as dicts of strings ([] when the table was not written)."""
    path = folder / f"{name}.csv"
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def census_folder(folder: Path) -> Path:
    return write_folder(folder, census_tables())
