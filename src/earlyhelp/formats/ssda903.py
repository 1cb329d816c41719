"""SSDA903 (looked-after children return) CSVs <-> EHLD.

Files are recognised by their columns (see ``detect``): the header file (CHILD, SEX, DOB,
ETHNIC, UPN, ...) and the episodes file (CHILD, DECOM, RNE, LS, CIN, PLACE, DEC, REC, ...).
Dates are ``dd/mm/YYYY``. SEX is ``1``/``2`` (the return up to 2024-25) or ``M``/``F``/``U``
(the newer generation); both are read.

Mapping: header -> children + person_identifiers (UPN, DOB, and the HOME_POST of the child's
latest episode as postcode); episodes -> looked_after_episodes. PL_POST, URN, PLACE_PROVIDER and
REASON_PLACE_CHANGE have no EHLD column and are not read.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from earlyhelp.errors import UsageError
from earlyhelp.formats.detect import Detected
from earlyhelp.formats.ehld_out import EHLDWriter
from earlyhelp.formats.issues import FormatIssue
from earlyhelp.privacy import mask
from earlyhelp.spec.model import TABLES

SEX_CODES = {"1": "M", "2": "F", "M": "M", "F": "F", "U": "U", "0": "U", "9": "U"}
IDENTIFIER_COLUMNS = frozenset({"DOB", "UPN", "MOTHER", "MC_DOB", "HOME_POST", "PL_POST"})

# SSDA903 episode column -> (EHLD looked_after_episodes column, kind)
EPISODE_COLUMNS = {
    "DECOM": ("start_date", "date"),
    "RNE": ("reason_new_episode", "code"),
    "LS": ("legal_status", "code"),
    "CIN": ("category_of_need", "code"),
    "PLACE": ("placement", "code"),
    "DEC": ("end_date", "date"),
    "REC": ("reason_ceased", "code"),
}


def parse_date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d/%m/%Y").date()


def _rows(path: Path):
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        reader.fieldnames = [name.strip().lstrip("\ufeff") for name in reader.fieldnames or []]
        # Row numbers count the header as row 1, as a spreadsheet shows them.
        for number, row in enumerate(reader, start=2):
            yield number, {k: (v or "").strip() for k, v in row.items() if k is not None}


def read_ssda903(group: Detected, out: EHLDWriter, *, la_code: str | None) -> list[FormatIssue]:
    """Read one LA's SSDA903 header and episodes files into ``out``; returns the issues found."""
    if la_code is None:
        raise UsageError("SSDA903 files do not say which LA they belong to.",
                         hint="Give the LA's ONS code with --la-code (e.g. E06000001).")
    issues: list[FormatIssue] = []
    header_path = group.roles.get("header")
    episodes_path = group.roles.get("episodes")
    if header_path is None:
        raise UsageError("The SSDA903 header file (CHILD, SEX, DOB, ETHNIC, UPN, ...) is missing.",
                         hint="The header gives each child's date of birth and sex; pass it too.")

    table = TABLES["looked_after_episodes"]
    latest_home: dict[str, tuple[dt.date, str]] = {}
    episode_rows: list[dict] = []
    if episodes_path is not None:
        name = episodes_path.name
        for number, row in _rows(episodes_path):
            episode = {"la_code": la_code, "child_id": f"{la_code}-{row.get('CHILD', '')}"}
            bad = False
            if not row.get("CHILD"):
                issues.append(FormatIssue(name, f"row {number}", "CHILD", "required", "CHILD is empty"))
                bad = True
            for source, (target, kind) in EPISODE_COLUMNS.items():
                value = row.get(source, "")
                column = table.column(target)
                if not value:
                    if column.required:
                        issues.append(FormatIssue(name, f"row {number}", source, "required",
                                                  f"{source} is empty"))
                        bad = True
                    continue
                if kind == "date":
                    try:
                        episode[target] = parse_date(value)
                    except ValueError:
                        issues.append(FormatIssue(name, f"row {number}", source, "date dd/mm/YYYY",
                                                  f"{value!r} is not a date written dd/mm/YYYY"))
                        bad = True
                elif column.codes and value not in column.codes:
                    issues.append(FormatIssue(name, f"row {number}", source, "SSDA903 code list",
                                              f"{value!r} is not a {source} code"))
                    bad = True
                else:
                    episode[target] = value
            if bad:
                continue
            home = row.get("HOME_POST")
            if home:
                seen = latest_home.get(episode["child_id"])
                if seen is None or episode["start_date"] >= seen[0]:
                    latest_home[episode["child_id"]] = (episode["start_date"], home)
            episode_rows.append(episode)

    name = header_path.name
    known: set[str] = set()
    for number, row in _rows(header_path):
        child = row.get("CHILD", "")
        child_id = f"{la_code}-{child}"
        sex = SEX_CODES.get(row.get("SEX", ""))
        problems = []
        if not child:
            problems.append(FormatIssue(name, f"row {number}", "CHILD", "required", "CHILD is empty"))
        if sex is None:
            problems.append(FormatIssue(name, f"row {number}", "SEX", "SSDA903 code list",
                                        f"{row.get('SEX', '')!r} is not a sex code (1, 2 or M, F, U)"))
        try:
            birth = parse_date(row.get("DOB", ""))
        except ValueError:
            problems.append(FormatIssue(name, f"row {number}", "DOB", "date dd/mm/YYYY",
                                        f"{mask(row.get('DOB'))} is not a date written dd/mm/YYYY"))
            birth = None
        ethnicity = row.get("ETHNIC") or None
        if ethnicity and ethnicity not in TABLES["children"].column("ethnicity").codes:
            problems.append(FormatIssue(name, f"row {number}", "ETHNIC", "SSDA903 code list",
                                        f"{ethnicity!r} is not an ethnicity code"))
        if child in known:
            problems.append(FormatIssue(name, f"row {number}", "CHILD", "unique",
                                        "this CHILD appears on an earlier row"))
        issues.extend(problems)
        if problems:
            continue
        known.add(child)
        out.add("children", {"la_code": la_code, "child_id": child_id, "birth_month": birth.isoformat()[:7],
                             "sex": sex, "ethnicity": ethnicity})
        out.add("person_identifiers", {
            "source": "la_csc", "source_record_id": child_id, "la_code": la_code,
            "upn": row.get("UPN") or None, "date_of_birth": birth, "sex": sex,
            "postcode": latest_home.get(child_id, (None, None))[1],
        })
    episode_file = episodes_path.name if episodes_path else ""
    for episode in episode_rows:
        if episode["child_id"][len(la_code) + 1:] not in known:
            issues.append(FormatIssue(episode_file, "", "CHILD", "episode's child in the header",
                                      "an episode's CHILD has no valid row in the header file"))
            continue
        out.add("looked_after_episodes", episode)
    return issues


# --------------------------------------------------------------------------- writing

LETTER_SEX_FROM = 2025
HEADER_COLUMNS = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
EPISODES_COLUMNS = ("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                    "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN")


def _dmy(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def write_ssda903(
    data: list[Path],
    out: Path,
    *,
    year: int | None = None,
    la_code: str | None = None,
    approximate_birth_dates: bool = False,
) -> list[Path]:
    """Write header.csv and episodes.csv per LA (in ``out/<la_code>/``) for the collection year
    ending 31 March ``year``: every looked-after episode open at some point in that year.
    Episode ends after 31 March are not yet known and are left empty."""
    from earlyhelp.formats.cin_xml import CensusYear
    from earlyhelp.formats.export_source import open_export_source
    from earlyhelp.formats.issues import FormatError

    con, las = open_export_source(
        data, driving_table="looked_after_episodes", required=("looked_after_episodes",),
        missing="looked_after_episodes table", no_records="looked-after episodes", la_code=la_code)
    written: list[Path] = []
    for la in las:
        census = CensusYear(year or _default_year_903(con, la))
        start, end = census.start, census.reference_date
        episodes = con.execute(
            """SELECT child_id, start_date, reason_new_episode, legal_status, category_of_need,
                      placement,
                      CASE WHEN end_date <= ? THEN end_date END AS end_date,
                      CASE WHEN end_date <= ? THEN reason_ceased END AS reason_ceased
               FROM looked_after_episodes
               WHERE la_code = ? AND start_date <= ? AND (end_date IS NULL OR end_date >= ?)
               ORDER BY child_id, start_date""", [end, end, la, end, start]).fetchall()
        children = con.execute(
            """SELECT c.child_id, c.sex, c.birth_month, c.ethnicity, p.date_of_birth, p.upn, p.postcode
               FROM children c
               LEFT JOIN person_identifiers p
                 ON p.source IN ('la_csc', 'la_early_help') AND p.source_record_id = c.child_id
                AND p.la_code = c.la_code
               WHERE c.la_code = ? AND c.child_id IN (
                   SELECT child_id FROM looked_after_episodes
                   WHERE la_code = ? AND start_date <= ? AND (end_date IS NULL OR end_date >= ?))
               QUALIFY row_number() OVER (PARTITION BY c.child_id ORDER BY p.source = 'la_csc' DESC) = 1
               ORDER BY c.child_id""", [la, la, end, start]).fetchall()
        problems: list[FormatIssue] = []
        header_rows = []
        postcodes = {}
        for child_id, sex, birth_month, ethnicity, birth, upn, postcode in children:
            if birth is None:
                if not approximate_birth_dates:
                    problems.append(FormatIssue("children", f"child_id {child_id}", "date_of_birth",
                                                "SSDA903 DOB", "no date_of_birth in person_identifiers"))
                    continue
                birth = dt.date.fromisoformat(birth_month + "-01")
            local = child_id[len(la) + 1:] if child_id.startswith(f"{la}-") else child_id
            # The return changed from 1/2 to M/F/U with the 2024-25 collection.
            sex_code = sex if census.year >= LETTER_SEX_FROM else {"M": "1", "F": "2"}.get(sex, "")
            header_rows.append([local, sex_code, _dmy(birth), ethnicity or "NOBT",
                                upn or _upn_unknown_code(birth, census.start),
                                "", ""])
            postcodes[child_id] = postcode or ""
        if problems:
            raise FormatError(problems, what=f"Could not write the SSDA903 return for {la}",
                              hint="Add dates of birth, or pass --approximate-birth-dates.")
        target = out / la
        target.mkdir(parents=True, exist_ok=True)
        with open(target / "header.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(HEADER_COLUMNS)
            writer.writerows(header_rows)
        with open(target / "episodes.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(EPISODES_COLUMNS)
            for child_id, decom, rne, ls, cin, place, dec, rec in episodes:
                local = child_id[len(la) + 1:] if child_id.startswith(f"{la}-") else child_id
                writer.writerow([local, _dmy(decom), rne, ls, cin, place, "", _dmy(dec), rec or "",
                                 "", postcodes.get(child_id, ""), "", ""])
        written += [target / "header.csv", target / "episodes.csv"]
    con.close()
    return written


def _upn_unknown_code(birth: dt.date, collection_start: dt.date) -> str:
    """The SSDA903 code for a child whose UPN earlyhelp does not hold (the field is required).

    UN1 ("under school age") for a child under 4 on 31 August of the year before the collection
    starts, the DfE's test for school age (903 rule 209); otherwise UN5 ("sources collating UPNs
    reflect UPN not available"), which is exactly the case. UN4 ("UPN not yet obtained") is only
    for children looked after for a week or less at 31 March (rule 210), so it is not used.
    """
    school_age_from = dt.date(collection_start.year - 1, 8, 31)
    fourth_birthday = _add_years(birth, 4)
    return "UN5" if fourth_birthday <= school_age_from else "UN1"


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def _default_year_903(con, la: str) -> int:
    last = con.execute("SELECT max(period_end) FROM returns WHERE la_code = ?", [la]).fetchall()[0][0]
    if last is None:
        last = con.execute("SELECT max(start_date) FROM looked_after_episodes WHERE la_code = ?",
                           [la]).fetchall()[0][0]
    return last.year if (last.month, last.day) >= (3, 31) else last.year - 1
