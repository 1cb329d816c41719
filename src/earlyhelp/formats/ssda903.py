"""SSDA903 (looked-after children return) CSVs <-> EHLD; its XML form is read in ``ssda903_xml``.

Files are recognised by their columns (see ``detect``): the header file (CHILD, SEX, DOB,
ETHNIC, UPN, ...), the episodes file (CHILD, DECOM, RNE, LS, CIN, PLACE, DEC, REC, ...) and the
return's other tables (reviews, UASC, OC2, ...: ``ssda903_other``), which EHLD has no place for:
they are read and listed, per column, as not kept (``NotPlaced``: counts, never values).
Dates are ``dd/mm/YYYY``. SEX is ``1``/``2`` (the return up to 2024-25) or ``M``/``F``/``U``
(the newer generation); both are read.

Mapping: header -> children (MOTHER as ``mother``) + person_identifiers (UPN, DOB, and the
HOME_POST of the child's latest episode as postcode); episodes -> looked_after_episodes, with
PLACE_PROVIDER, REASON_PLACE_CHANGE and URN in its optional columns. The identifiers the return
holds per episode (HOME_POST, PL_POST) and the date of birth of a mother's child (MC_DOB, put on
each of her episodes) go to ``episode_postcodes``, an identity-zone table beside
person_identifiers: ``load`` puts it in the identity warehouse, and only the SSDA903 writer
joins it back.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from earlyhelp.errors import UsageError
from earlyhelp.formats import textfile
from earlyhelp.formats.ehld_out import EHLDWriter
from earlyhelp.formats.issues import FormatIssue
from earlyhelp.formats.readers import CandidateFile, Detected, Format, NotPlaced, ReadResult
from earlyhelp.formats.ssda903_other import NotPlacedCounter, count_not_placed, other_table
from earlyhelp.privacy import mask
from earlyhelp.spec.files import find_tables
from earlyhelp.spec.model import TABLES, Table
from earlyhelp.validate.rules import PLACEMENT_URN_COLUMN, PLACEMENT_URN_PATTERN

SEX_CODES = {"1": "M", "2": "F", "M": "M", "F": "F", "U": "U", "0": "U", "9": "U"}

# SSDA903 episode column -> EHLD looked_after_episodes column (whose type and codes apply)
EPISODE_COLUMNS = {
    "DECOM": "start_date",
    "RNE": "reason_new_episode",
    "LS": "legal_status",
    "CIN": "category_of_need",
    "PLACE": "placement",
    "DEC": "end_date",
    "REC": "reason_ceased",
}

# SSDA903 episode fields held in looked_after_episodes' optional columns (no identifiers).
EPISODE_DETAIL_COLUMNS = {
    "PLACE_PROVIDER": "placement_provider",
    "REASON_PLACE_CHANGE": "reason_place_change",
    "URN": "urn",
}
# SSDA903 identifiers -> columns of episode_postcodes (identity zone).
POSTCODE_COLUMNS = {"HOME_POST": "home_postcode", "PL_POST": "placement_postcode"}
MOTHER_CHILD_DOB = "MC_DOB"
# MOTHER is 0/1; spreadsheet tools write a 0/1 column as 0.0/1.0, which are read as 0/1.
_MOTHER_VALUES = {"0": False, "1": True, "0.0": False, "1.0": True}


def parse_date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d/%m/%Y").date()


def _rows(path: Path):
    # Column names upper-cased: Excel users retype headers; the return's names are upper case.
    # Row numbers count the header as row 1, as a spreadsheet shows them.
    return textfile.rows(path, normalise=str.upper)


# Where a field of the record being read is, for a message: "row 12" in a CSV file; the
# element's line and path in the XML form.
Where = Callable[[str], str]


def _at_row(number: int) -> Where:
    """Every field of a CSV record is at its row (the header is row 1)."""
    return lambda _field: f"row {number}"


def _parse_value(
    value: str, column, field: str, file: str, where: Where, issues: list[FormatIssue], *, list_codes: bool = False
):
    """One SSDA903 value as the EHLD column's type; None (and an issue) when it is not valid.

    Dates are dd/mm/YYYY; coded columns must hold one of the column's codes. Identifier values
    are masked in the message."""
    if column.type == "date":
        try:
            return parse_date(value)
        except ValueError:
            shown = mask(value) if column.identifier else repr(value)
            issues.append(
                FormatIssue(file, where(field), field, "date dd/mm/YYYY", f"{shown} is not a date written dd/mm/YYYY")
            )
            return None
    if column.codes and value not in column.codes:
        codes = f" ({', '.join(column.codes)})" if list_codes else ""
        issues.append(
            FormatIssue(file, where(field), field, "SSDA903 code list", f"{value!r} is not a {field} code{codes}")
        )
        return None
    return value


def _parse_fields(
    row: dict[str, str], fields: dict[str, str], table: Table, file: str, where: Where, issues: list[FormatIssue]
) -> dict | None:
    """The ``fields`` (SSDA903 field -> column of ``table``) of one row, parsed; None (and issues)
    when a value is not valid. Empty fields are left out."""
    values: dict = {}
    valid = True
    for field, name in fields.items():
        value = row.get(field, "")
        if not value:
            continue
        parsed = _parse_value(value, table.column(name), field, file, where, issues, list_codes=True)
        if parsed is not None and name == PLACEMENT_URN_COLUMN and not re.fullmatch(PLACEMENT_URN_PATTERN, value):
            issues.append(
                FormatIssue(
                    file,
                    where(field),
                    field,
                    "Ofsted URN",
                    f"{value!r} is not an Ofsted URN (SC and six digits, six or seven digits, or XXXXXXX)",
                )
            )
            parsed = None
        if parsed is None:
            valid = False
        else:
            values[name] = parsed
    return values if valid else None


def _parse_mother(row: dict[str, str], file: str, where: Where, issues: list[FormatIssue]) -> bool | None:
    value = row.get("MOTHER", "")
    if not value:
        return None
    if value not in _MOTHER_VALUES:
        issues.append(
            FormatIssue(file, where("MOTHER"), "MOTHER", "SSDA903 code list", f"{value!r} is not a MOTHER code (0, 1)")
        )
        return None
    return _MOTHER_VALUES[value]


def parse_episode(
    row: dict[str, str], la_code: str, file: str, where: Where, issues: list[FormatIssue], *, place_field: str = "PLACE"
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """One episode (fields named as in the CSV form) as a ``looked_after_episodes`` row and its
    ``episode_postcodes`` values; None when a value is not valid (the issues say which).
    ``place_field`` is the placement's name in the file (the XML form calls it PL)."""
    table = TABLES["looked_after_episodes"]
    episode: dict[str, Any] = {"la_code": la_code, "child_id": f"{la_code}-{row.get('CHILD', '')}"}
    bad = False
    for source, target in EPISODE_COLUMNS.items():
        value = row.get(source, "")
        shown = place_field if source == "PLACE" else source
        column = table.column(target)
        if not value:
            if column.required:
                issues.append(FormatIssue(file, where(shown), shown, "required", f"{shown} is empty"))
                bad = True
            continue
        parsed = _parse_value(value, column, shown, file, where, issues)
        if parsed is None:
            bad = True
        else:
            episode[target] = parsed
    details = _parse_fields(row, EPISODE_DETAIL_COLUMNS, table, file, where, issues)
    postcodes = _parse_fields(row, POSTCODE_COLUMNS, TABLES["episode_postcodes"], file, where, issues)
    if bad or details is None or postcodes is None:
        return None
    return episode | details, postcodes


@dataclass
class HeaderRecord:
    """What the header says of one child, ready to write (the identity row's postcode, the latest
    episode's HOME_POST, is added by the caller)."""

    child: dict[str, Any]
    identity: dict[str, Any]
    mother_child_dob: dt.date | None


def parse_header(
    row: dict[str, str],
    la_code: str,
    file: str,
    where: Where,
    problems: list[FormatIssue],
    *,
    child_field: str = "CHILD",
) -> HeaderRecord | None:
    """One header row (fields named as in the CSV form) as ``children`` and
    ``person_identifiers`` rows; None (and ``problems``) when a value is not valid.
    ``child_field`` is the child's id's name in the file (the XML form calls it CHILDID)."""
    child = row.get("CHILD", "")
    child_id = f"{la_code}-{child}"
    sex = SEX_CODES.get(row.get("SEX", ""))
    first_problem = len(problems)
    if not child:
        problems.append(FormatIssue(file, where(child_field), child_field, "required", f"{child_field} is empty"))
    if sex is None:
        problems.append(
            FormatIssue(
                file,
                where("SEX"),
                "SEX",
                "SSDA903 code list",
                f"{row.get('SEX', '')!r} is not a sex code (1, 2 or M, F, U)",
            )
        )
    try:
        birth = parse_date(row.get("DOB", ""))
    except ValueError:
        problems.append(
            FormatIssue(
                file, where("DOB"), "DOB", "date dd/mm/YYYY", f"{mask(row.get('DOB'))} is not a date written dd/mm/YYYY"
            )
        )
        birth = None
    ethnicity = row.get("ETHNIC") or None
    if ethnicity and ethnicity not in (TABLES["children"].column("ethnicity").codes or ()):
        problems.append(
            FormatIssue(file, where("ETHNIC"), "ETHNIC", "SSDA903 code list", f"{ethnicity!r} is not an ethnicity code")
        )
    mother = _parse_mother(row, file, where, problems)
    baby = _parse_fields(
        row, {MOTHER_CHILD_DOB: "mother_child_dob"}, TABLES["episode_postcodes"], file, where, problems
    )
    if len(problems) > first_problem:
        return None
    assert birth is not None and baby is not None and sex is not None  # else a problem above
    return HeaderRecord(
        child={
            "la_code": la_code,
            "child_id": child_id,
            "birth_month": birth.isoformat()[:7],
            "sex": sex,
            "ethnicity": ethnicity,
            "mother": mother,
        },
        identity={
            "source": "la_csc",
            "source_record_id": child_id,
            "la_code": la_code,
            "upn": row.get("UPN") or None,
            "date_of_birth": birth,
            "sex": sex,
        },
        mother_child_dob=baby.get("mother_child_dob"),
    )


def write_episode(
    out: EHLDWriter, episode: dict[str, Any], postcodes: dict[str, Any], mother_child_dob: dt.date | None
) -> None:
    """An episode and, when it has any, its identifiers in ``episode_postcodes``."""
    out.add("looked_after_episodes", episode)
    # MC_DOB is the child's, not the episode's: it goes on each of her episodes.
    if mother_child_dob is not None:
        postcodes = postcodes | {"mother_child_dob": mother_child_dob}
    if postcodes:
        out.add(
            "episode_postcodes",
            {"la_code": episode["la_code"], "child_id": episode["child_id"], "start_date": episode["start_date"]}
            | postcodes,
        )


# SSDA903 files are recognised by their columns, not their names (LAs name them freely).
SSDA903_HEADER = frozenset({"CHILD", "SEX", "DOB", "ETHNIC", "UPN"})
SSDA903_EPISODES = frozenset({"CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "DEC", "REC"})
# What of the header and episodes files EHLD keeps; any other column is listed as not kept.
HEADER_FIELDS_KEPT = frozenset({"CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", MOTHER_CHILD_DOB})
EPISODE_FIELDS_KEPT = frozenset({"CHILD", *EPISODE_COLUMNS, *EPISODE_DETAIL_COLUMNS, *POSTCODE_COLUMNS})
# The XML form of the return (one <CHILD> per child, its <HEADER> and <EPISODE>s).
XML_ROOT = "EXPSSDA903"


class Ssda903Reader:
    """One LA's SSDA903 return: as CSVs (header, episodes and the other tables, known by their
    columns) or as its XML form (root <EXPSSDA903>), one form at a time."""

    name = Format.SSDA903.value

    def claim(self, file: CandidateFile, group: Detected) -> bool:
        if file.suffix == ".xml":
            if file.xml_root != XML_ROOT:
                return False
            _set_role(group, "xml", file.path)
            return True
        if file.suffix != ".csv":
            return False
        columns = file.csv_columns
        if columns >= SSDA903_EPISODES:
            _set_role(group, "episodes", file.path)
        elif columns >= SSDA903_HEADER:
            _set_role(group, "header", file.path)
        elif other_table(columns) is not None:
            group.files.append(file.path)  # read, and listed as not kept
        else:
            return False
        return True

    def read(self, group: Detected, writer: EHLDWriter, *, la_code: str | None) -> ReadResult:
        if la_code is None:
            raise UsageError(
                "SSDA903 files do not say which LA they belong to.",
                hint="Give the LA's ONS code with --la-code (e.g. E06000001).",
            )
        xml_form = group.roles.get("xml")
        if xml_form is not None:
            csv_files = [path for path in group.files if path != xml_form]
            if csv_files:
                names = ", ".join(sorted(path.name for path in csv_files)[:4])
                more = ", ..." if len(csv_files) > 4 else ""
                raise UsageError(
                    f"The SSDA903 return was given in both its forms: {xml_form.name} is its XML form, "
                    f"{names}{more} its CSV files.",
                    hint="Ingest one form of the return at a time (the DfE's validator takes one too): "
                    "the XML file, or the CSV files.",
                )
            from earlyhelp.formats.ssda903_xml import read_ssda903_xml

            return read_ssda903_xml(xml_form, writer, la_code=la_code)
        issues, not_placed = read_ssda903(group, writer, la_code=la_code)
        return ReadResult(issues=issues, issue_count=len(issues), not_placed=not_placed)


def _set_role(group: Detected, role: str, file: Path) -> None:
    if role in group.roles:
        what = "XML" if role == "xml" else role
        raise UsageError(
            f"Two SSDA903 {what} files were given: {group.roles[role]} and {file}.",
            hint="Ingest one LA's return at a time (one header file and one episodes file, or one XML file).",
        )
    group.files.append(file)
    group.roles[role] = file


def read_ssda903(group: Detected, out: EHLDWriter, *, la_code: str | None) -> tuple[list[FormatIssue], list[NotPlaced]]:
    """Read one LA's SSDA903 CSV files into ``out`` (analytic tables, and the identifiers in
    person_identifiers and episode_postcodes); returns the issues found and what was read but
    has no place in EHLD (the other tables, and columns beyond the return's in header and
    episodes)."""
    if la_code is None:
        raise UsageError(
            "SSDA903 files do not say which LA they belong to.",
            hint="Give the LA's ONS code with --la-code (e.g. E06000001).",
        )
    issues: list[FormatIssue] = []
    header_path = group.roles.get("header")
    episodes_path = group.roles.get("episodes")
    if header_path is None:
        raise UsageError(
            "The SSDA903 header file (CHILD, SEX, DOB, ETHNIC, UPN, ...) is missing.",
            hint="The header gives each child's date of birth and sex; pass it too.",
        )

    latest_home: dict[str, tuple[dt.date, str]] = {}
    # (episode, its postcodes): written once the header says the child is valid.
    episode_rows: list[tuple[int, dict, dict]] = []
    not_placed: list[NotPlaced] = []
    if episodes_path is not None:
        name = episodes_path.name
        extra = NotPlacedCounter(name)
        for number, row in _rows(episodes_path):
            extra.add_row("episodes", row, EPISODE_FIELDS_KEPT)
            first_issue = len(issues)
            if not row.get("CHILD"):
                issues.append(FormatIssue(name, f"row {number}", "CHILD", "required", "CHILD is empty"))
            parsed = parse_episode(row, la_code, name, _at_row(number), issues)
            if parsed is None or len(issues) > first_issue:
                # Tie the problems to the child: --skip-invalid then leaves out the whole child.
                if row.get("CHILD"):
                    child_id = f"{la_code}-{row['CHILD']}"
                    issues[first_issue:] = [replace(i, child_id=child_id) for i in issues[first_issue:]]
                continue
            episode, postcodes = parsed
            home = postcodes.get("home_postcode")
            if home:
                seen = latest_home.get(episode["child_id"])
                if seen is None or episode["start_date"] >= seen[0]:
                    latest_home[episode["child_id"]] = (episode["start_date"], home)
            episode_rows.append((number, episode, postcodes))
        not_placed += extra.counted()

    name = header_path.name
    extra = NotPlacedCounter(name)
    known: set[str] = set()
    mother_child_dobs: dict[str, dt.date] = {}
    for number, row in _rows(header_path):
        extra.add_row("header", row, HEADER_FIELDS_KEPT)
        child = row.get("CHILD", "")
        child_id = f"{la_code}-{child}"
        problems: list[FormatIssue] = []
        record = parse_header(row, la_code, name, _at_row(number), problems)
        if child and child in known:
            problems.append(
                FormatIssue(name, f"row {number}", "CHILD", "unique", "this CHILD appears on an earlier row")
            )
        issues.extend(replace(p, child_id=child_id) if child else p for p in problems)
        if problems or record is None:
            continue
        known.add(child)
        if record.mother_child_dob is not None:
            mother_child_dobs[child_id] = record.mother_child_dob
        out.add("children", record.child)
        out.add("person_identifiers", record.identity | {"postcode": latest_home.get(child_id, (None, None))[1]})
    not_placed += extra.counted()
    episode_file = episodes_path.name if episodes_path else ""
    for number, episode, postcodes in episode_rows:
        child_id = episode["child_id"]
        if child_id[len(la_code) + 1 :] not in known:
            issues.append(
                FormatIssue(
                    episode_file,
                    f"row {number}",
                    "CHILD",
                    "episode's child in the header",
                    "an episode's CHILD has no valid row in the header file",
                    child_id=child_id,
                )
            )
            continue
        write_episode(out, episode, postcodes, mother_child_dobs.get(child_id))
    for path in group.files:
        if path not in (header_path, episodes_path):
            table = other_table({column.upper() for column in textfile.header(path)})
            not_placed += count_not_placed(path, table.part if table else "unknown")
    return issues, not_placed


# --------------------------------------------------------------------------- writing

LETTER_SEX_FROM = 2025
HEADER_COLUMNS = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
EPISODES_COLUMNS = (
    "CHILD",
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "REASON_PLACE_CHANGE",
    "HOME_POST",
    "PL_POST",
    "URN",
)
# Fields written from episode_postcodes (identity zone); without it HOME_POST falls back to
# person_identifiers and these are written empty.
FIELDS_FROM_EPISODE_POSTCODES = ("PL_POST", "MC_DOB")


# episode_postcodes with one row per episode (the first in a fixed order if a file repeats one).
_EPISODE_POSTCODES = """(SELECT * FROM episode_postcodes
    QUALIFY row_number() OVER (PARTITION BY la_code, child_id, start_date
                               ORDER BY home_postcode, placement_postcode) = 1)"""


def _dmy(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def missing_identifiers_notice(data: list[Path]) -> str | None:
    """What an SSDA903 export of ``data`` leaves empty when it has no episode_postcodes, else None."""
    if "episode_postcodes" in find_tables(data):
        return None
    return (
        "No episode_postcodes table (identity zone) in the data: "
        f"{', '.join(FIELDS_FROM_EPISODE_POSTCODES)} are written empty and HOME_POST comes from "
        "person_identifiers, so the DfE's SSDA903 rules on those fields will report errors "
        "(e.g. 169, 392b, 393, 607). Pass the identity folder with --data too. See docs/formats.md."
    )


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
    Episode ends after 31 March are not yet known and are left empty, with the episode's
    reason for placement change. Postcodes and MC_DOB are joined back from episode_postcodes
    (identity zone) when ``data`` holds it (see ``missing_identifiers_notice`` for when not)."""
    from earlyhelp.formats.cin_xml import CensusYear
    from earlyhelp.formats.export_source import (
        BAD_BIRTH_MONTH,
        collection_year,
        first_of_birth_month,
        open_export_source,
    )
    from earlyhelp.formats.issues import FormatError

    con, las = open_export_source(
        data,
        driving_table="looked_after_episodes",
        required=("looked_after_episodes",),
        missing="looked_after_episodes table",
        no_records="looked-after episodes",
        la_code=la_code,
    )
    written: list[Path] = []
    for la in las:
        census = CensusYear(
            collection_year(
                con, la, year, fallback_sql="SELECT max(start_date) FROM looked_after_episodes WHERE la_code = ?"
            )
        )
        start, end = census.start, census.reference_date
        episodes = con.execute(
            f"""SELECT e.child_id, e.start_date, e.reason_new_episode, e.legal_status,
                      e.category_of_need, e.placement, e.placement_provider,
                      CASE WHEN e.end_date <= ? THEN e.end_date END AS end_date,
                      CASE WHEN e.end_date <= ? THEN e.reason_ceased END AS reason_ceased,
                      CASE WHEN e.end_date <= ? THEN e.reason_place_change END AS reason_place_change,
                      p.home_postcode, p.placement_postcode, e.urn
               FROM looked_after_episodes e
               LEFT JOIN {_EPISODE_POSTCODES} p
                 ON p.la_code = e.la_code AND p.child_id = e.child_id AND p.start_date = e.start_date
               WHERE e.la_code = ? AND e.start_date <= ? AND (e.end_date IS NULL OR e.end_date >= ?)
               ORDER BY e.child_id, e.start_date""",
            [end, end, end, la, end, start],
        ).fetchall()
        children = con.execute(
            """SELECT c.child_id, c.sex, c.birth_month, c.ethnicity, p.date_of_birth, p.upn,
                      p.postcode, CASE WHEN c.mother THEN '1' WHEN NOT c.mother THEN '0' END AS mother,
                      h.mother_child_dob
               FROM children c
               LEFT JOIN person_identifiers p
                 ON p.source IN ('la_csc', 'la_early_help') AND p.source_record_id = c.child_id
                AND p.la_code = c.la_code
               LEFT JOIN (SELECT la_code, child_id, max(mother_child_dob) AS mother_child_dob
                          FROM episode_postcodes GROUP BY la_code, child_id) h
                 ON h.la_code = c.la_code AND h.child_id = c.child_id
               WHERE c.la_code = ? AND c.child_id IN (
                   SELECT child_id FROM looked_after_episodes
                   WHERE la_code = ? AND start_date <= ? AND (end_date IS NULL OR end_date >= ?))
               QUALIFY row_number() OVER (PARTITION BY c.child_id ORDER BY p.source = 'la_csc' DESC) = 1
               ORDER BY c.child_id""",
            [la, la, end, start],
        ).fetchall()
        problems: list[FormatIssue] = []
        header_rows = []
        postcodes = {}
        for child_id, sex, birth_month, ethnicity, birth, upn, postcode, mother, mc_dob in children:
            if birth is None:
                if not approximate_birth_dates:
                    problems.append(
                        FormatIssue(
                            "children",
                            f"child_id {child_id}",
                            "date_of_birth",
                            "SSDA903 DOB",
                            "no date_of_birth in person_identifiers",
                        )
                    )
                    continue
                birth = first_of_birth_month(birth_month)
                if birth is None:
                    problems.append(
                        FormatIssue("children", f"child_id {child_id}", "birth_month", "SSDA903 DOB", BAD_BIRTH_MONTH)
                    )
                    continue
            local = child_id[len(la) + 1 :] if child_id.startswith(f"{la}-") else child_id
            # The return changed from 1/2 to M/F/U with the 2024-25 collection.
            sex_code = sex if census.year >= LETTER_SEX_FROM else {"M": "1", "F": "2"}.get(sex, "")
            if mc_dob is not None and mc_dob > end:
                # EHLD holds one MOTHER per child, not per year: a girl whose first
                # child is born after this return's 31 March is not yet a mother in it.
                mother, mc_dob = "0", None
            header_rows.append(
                [
                    local,
                    sex_code,
                    _dmy(birth),
                    ethnicity or "NOBT",
                    upn or _upn_unknown_code(birth, census.start),
                    mother or "",
                    _dmy(mc_dob),
                ]
            )
            postcodes[child_id] = postcode or ""
        if problems:
            raise FormatError(
                problems,
                what=f"Could not write the SSDA903 return for {la}",
                hint="Add dates of birth, or pass --approximate-birth-dates.",
            )
        target = out / la
        target.mkdir(parents=True, exist_ok=True)
        with open(target / "header.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(HEADER_COLUMNS)
            writer.writerows(header_rows)
        with open(target / "episodes.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(EPISODES_COLUMNS)
            for (
                child_id,
                decom,
                rne,
                ls,
                cin,
                place,
                provider,
                dec,
                rec,
                reason_change,
                home,
                placement_postcode,
                urn,
            ) in episodes:
                local = child_id[len(la) + 1 :] if child_id.startswith(f"{la}-") else child_id
                writer.writerow(
                    [
                        local,
                        _dmy(decom),
                        rne,
                        ls,
                        cin,
                        place,
                        provider or "",
                        _dmy(dec),
                        rec or "",
                        reason_change or "",
                        home or postcodes.get(child_id, ""),
                        placement_postcode or "",
                        urn or "",
                    ]
                )
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
