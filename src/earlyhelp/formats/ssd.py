"""Standard Safeguarding Dataset (SSD) table extracts -> EHLD.

The SSD (Data to Insight, ``data-to-insight/ssd-data-model``) is what many LAs can extract from
Liquidlogic, Mosaic, Eclipse and others: one file per ``ssd_*`` table, CSV or Parquet, named
after the table. Column names below are those of the SSD data model.

Read tables and where they go:

- ``ssd_person`` -> children (+ person_identifiers: names, date of birth, NHS number);
  ``ssd_disability``, ``ssd_family`` and ``ssd_address`` (latest postcode) fill in when given.
- ``ssd_cin_episodes`` -> referrals; ``ssd_cin_assessments`` (+ ``ssd_assessment_factors``)
  -> assessments; ``ssd_cin_plans`` -> cin_plans; ``ssd_s47_enquiry`` (+
  ``ssd_initial_cp_conference`` for the ICPC date) -> s47_enquiries; ``ssd_cp_plans`` -> cp_plans.
- ``ssd_cla_episodes`` -> looked_after_episodes; the legal status and placement type, which the
  SSD keeps elsewhere, come from ``ssd_legal_status`` (the status in force on the episode's start)
  and ``ssd_cla_placement`` (through ``clae_cla_placement_id``).
- ``ssd_early_help_episodes`` -> early_help_episodes. The SSD keeps only dates, a free-text end
  reason and the organisation, so: ``end_reason`` and ``lead_agency`` are coded from the text by
  keywords (``other`` when none match), ``request_source`` is ``other`` and ``service_level`` is
  ``targeted_early_help`` (the SSD does not say), and ``family_id`` is the child's SSD family, or
  the child alone when ``ssd_family`` is absent.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from earlyhelp.errors import UsageError
from earlyhelp.formats import textfile
from earlyhelp.formats.ehld_out import EHLDWriter
from earlyhelp.formats.issues import FormatIssue
from earlyhelp.formats.readers import CandidateFile, Detected, Format, ReadResult
from earlyhelp.privacy import mask
from earlyhelp.spec import codes

TRUE_FLAGS = frozenset({"y", "yes", "1", "true", "t"})
CP_CATEGORY_NAMES = {
    "neglect": "NEG",
    "physical abuse": "PHY",
    "sexual abuse": "SAB",
    "emotional abuse": "EMO",
    "multiple": "MUL",
    "multiple/not recommended": "MUL",
}
# Keyword -> EHLD code, first match wins (lower-case substring of the SSD free text).
END_REASON_KEYWORDS = (
    ("not met", "other"),
    ("unmet", "other"),
    ("step", "step_up_to_social_care"),
    ("social care", "step_up_to_social_care"),
    ("escalat", "step_up_to_social_care"),
    ("outcome", "outcomes_achieved"),
    ("achiev", "outcomes_achieved"),
    ("goals met", "outcomes_achieved"),
    ("declin", "family_declined"),
    ("withdr", "family_declined"),
    ("consent", "family_declined"),
    ("moved", "moved_away"),
    ("left the area", "moved_away"),
    ("transfer", "transferred"),
)
AGENCY_KEYWORDS = (
    ("school", "school"),
    ("academy", "school"),
    ("nursery", "early_years"),
    ("early years", "early_years"),
    ("children's centre", "early_years"),
    ("family hub", "la_family_support"),
    ("health", "health"),
    ("nhs", "health"),
    ("police", "police"),
    ("housing", "housing"),
    ("youth", "youth_service"),
    ("voluntary", "voluntary"),
    ("charity", "voluntary"),
    ("family support", "la_family_support"),
    ("early help", "la_family_support"),
    ("council", "la_family_support"),
)


def _keyword_code(text: str | None, table: tuple[tuple[str, str], ...]) -> str:
    lowered = (text or "").lower()
    for keyword, code in table:
        if keyword in lowered:
            return code
    return "other"


def parse_ssd_date(text: str) -> dt.date:
    """SSD extracts write dates as ISO dates, ISO date-times or dd/mm/YYYY."""
    text = text.strip()
    if "/" in text:
        return dt.datetime.strptime(text[:10], "%d/%m/%Y").date()
    return dt.date.fromisoformat(text[:10])


class MonthFirstDate(ValueError):
    """A slash date in a file that also holds month-first (US) dates."""


_SLASH_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})")


def _month_first_columns(path: Path) -> dict[str, str]:
    """Slash-date columns of ``path`` that cannot be read safely -> the column that shows why.

    A slash date whose second number is over 12 (7/15/2024) was written month-first (Excel
    under US region settings), and Excel writes every date of a file the same way: then
    9/10/2024 anywhere in the file may be 10 September or 9 October. So every slash-date column
    of such a file is refused, rather than some dates read day-first and others month-first;
    ISO dates (2024-07-15) in it are still read.
    """
    slash_columns: set[str] = set()
    evidence: str | None = None
    for _, row in _rows(path):
        for column, value in row.items():
            if "/" in value:
                match = _SLASH_DATE.match(value)
                if match:
                    slash_columns.add(column)
                    if evidence is None and int(match[2]) > 12:
                        evidence = column
    return {column: evidence for column in slash_columns} if evidence else {}


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        number = 1
        for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000):
            for row in batch.to_pylist():
                number += 1
                values = {k.lower(): ("" if v is None else str(v)).strip() for k, v in row.items()}
                textfile.check_field_lengths(path.name, number, values)
                yield number, values
        return
    yield from textfile.rows(path, normalise=str.lower)


class _Reader:
    def __init__(self, group: Detected, out: EHLDWriter, la_code: str):
        self.tables = group.roles
        self.out = out
        self.la = la_code
        self.issues: list[FormatIssue] = []
        self.families: dict[str, str] = {}  # SSD person id -> EHLD family_id
        # The file being read, and (worked out at its first slash date, as it takes a pass over
        # the file) its slash-date columns -> the column showing month-first dates.
        self.reading: Path | None = None
        self.month_first: dict[str, str] | None = None

    def child_id(self, person: str) -> str:
        return f"{self.la}-{person}"

    def problem(self, file: str, number: int, column: str, rule: str, message: str) -> None:
        self.issues.append(FormatIssue(file, f"row {number}", column, rule, message))

    def empty(self, column: str, file: str, number: int, *, required: bool) -> tuple[None, bool]:
        """What an empty cell gives: nothing, and a problem when the column is required."""
        if required:
            self.problem(file, number, column, "required", f"{column} is empty")
        return None, not required

    def date(
        self, row: dict, column: str, file: str, number: int, *, required: bool, identifier: bool = False
    ) -> tuple[dt.date | None, bool]:
        value = row.get(column, "")
        if not value:
            return self.empty(column, file, number, required=required)
        try:
            return self.parse_date(column, value), True
        except MonthFirstDate as evidence:
            self.problem(
                file,
                number,
                column,
                "one date format per file",
                f"the file has month-first (US) dates such as 7/15/2024 (in {evidence}), "
                "so its day/month dates cannot be read safely; save the dates as "
                "YYYY-MM-DD (Excel: Format Cells > Custom > yyyy-mm-dd) or with UK "
                "region settings",
            )
            return None, False
        except ValueError:
            shown = mask(value) if identifier else repr(value)
            self.problem(file, number, column, "date", f"{shown} is not a date (YYYY-MM-DD or dd/mm/YYYY)")
            return None, False

    def code(
        self, row: dict, column: str, allowed: tuple[str, ...], file: str, number: int, *, required: bool
    ) -> tuple[str | None, bool]:
        value = row.get(column, "")
        if not value:
            return self.empty(column, file, number, required=required)
        if value not in allowed:
            self.problem(file, number, column, "code list", f"{value!r} is not one of the codes")
            return None, False
        return value, True

    def rows(self, table: str) -> Iterator[tuple[str, int, dict[str, str]]]:
        """The rows of ``table``. Problems found on a row are tied to its person, so that
        --skip-invalid leaves out the whole child, not just the row."""
        path = self.tables.get(table)
        if path is None:
            return
        self.reading, self.month_first = path, None
        for number, row in _rows(path):
            start = len(self.issues)
            yield path.name, number, row
            if len(self.issues) > start:
                person = next((v for k, v in row.items() if k.endswith("_person_id") and v), None)
                if person:
                    child = self.child_id(person)
                    self.issues[start:] = [replace(i, child_id=child) for i in self.issues[start:]]

    def parse_date(self, column: str, value: str) -> dt.date:
        """A date of ``column``; ValueError for a month-first (US) date column, see
        ``_month_first_columns``."""
        if "/" in value:
            if self.month_first is None:
                self.month_first = _month_first_columns(self.reading) if self.reading else {}
            if column in self.month_first:
                raise MonthFirstDate(self.month_first[column])
        return parse_ssd_date(value)


SSD_PREFIX = "ssd_"


class SsdReader:
    """SSD table extracts, CSV or Parquet, each named after its ``ssd_*`` table."""

    name = Format.SSD.value

    def claim(self, file: CandidateFile, group: Detected) -> bool:
        if file.suffix not in (".csv", ".parquet") or not file.stem.lower().startswith(SSD_PREFIX):
            return False
        group.files.append(file.path)
        group.roles[file.stem.lower()] = file.path
        return True

    def read(self, group: Detected, writer: EHLDWriter, *, la_code: str | None) -> ReadResult:
        return ReadResult.of_issues(read_ssd(group, writer, la_code=la_code))


def read_ssd(group: Detected, out: EHLDWriter, *, la_code: str | None) -> list[FormatIssue]:
    if la_code is None:
        raise UsageError(
            "SSD extracts do not say which LA they belong to.",
            hint="Give the LA's ONS code with --la-code (e.g. E06000001).",
        )
    if "ssd_person" not in group.roles:
        raise UsageError(
            "ssd_person is missing: every other SSD table hangs off it.",
            hint="Extract ssd_person too and pass it with the other ssd_* files.",
        )
    reader = _Reader(group, out, la_code)
    known = _read_people(reader)
    _read_social_care(reader, known)
    _read_looked_after(reader, known)
    _read_early_help(reader, known)
    return reader.issues


def _read_people(r: _Reader) -> set[str]:
    disabled: dict[str, bool] = {}
    for file, number, row in r.rows("ssd_disability"):
        person, code = row.get("disa_person_id", ""), row.get("disa_disability_code", "").upper()
        if code and not person:
            r.problem(file, number, "disa_person_id", "required", "disa_person_id is empty")
        elif code:
            disabled[person] = disabled.get(person, False) or code != "NONE"
    postcode: dict[str, tuple[dt.date, str]] = {}
    for _, _, row in r.rows("ssd_address"):
        person, code = row.get("addr_person_id", ""), row.get("addr_address_postcode", "")
        try:
            start = r.parse_date("addr_address_start_date", row.get("addr_address_start_date", ""))
        except ValueError:
            start = dt.date.min  # an address with no usable start date counts as the oldest
        if person and code and (person not in postcode or start >= postcode[person][0]):
            postcode[person] = (start, code)
    for _, _, row in r.rows("ssd_family"):
        if row.get("fami_person_id") and row.get("fami_family_id"):
            r.families[row["fami_person_id"]] = f"{r.la}-{row['fami_family_id']}"

    known: set[str] = set()
    for file, number, row in r.rows("ssd_person"):
        person = row.get("pers_person_id", "")
        if not person:
            r.problem(file, number, "pers_person_id", "required", "pers_person_id is empty")
            continue
        if person in known:
            r.problem(file, number, "pers_person_id", "unique", "this person appears on an earlier row")
            continue
        ok = True
        sex = (row.get("pers_sex") or "").upper()[:1]
        if sex not in codes.SEX:
            gender = row.get("pers_gender", "")
            sex = {"01": "M", "1": "M", "02": "F", "2": "F"}.get(gender, "U" if not sex else sex)
            if sex not in codes.SEX:
                r.problem(file, number, "pers_sex", "code list", f"{row.get('pers_sex')!r} is not M, F or U")
                ok = False
        birth, good = r.date(row, "pers_dob", file, number, required=False, identifier=True)
        expected, good2 = r.date(row, "pers_expected_dob", file, number, required=False, identifier=True)
        ok = ok and good and good2
        if ok and birth is None and expected is None:
            r.problem(
                file,
                number,
                "pers_dob",
                "EHLD children.birth_month required",
                "neither pers_dob nor pers_expected_dob is given",
            )
            ok = False
        ethnicity = row.get("pers_ethnicity") or None
        if ethnicity and ethnicity not in codes.ETHNICITY:
            r.problem(file, number, "pers_ethnicity", "code list", f"{ethnicity!r} is not a CIN ethnicity code")
            ok = False
        born = birth or expected
        if not ok or born is None:  # no date of birth at all is a problem above
            continue
        known.add(person)
        child_id = r.child_id(person)
        r.out.add(
            "children",
            {
                "la_code": r.la,
                "child_id": child_id,
                "birth_month": born.isoformat()[:7],
                "sex": sex,
                "ethnicity": ethnicity,
                "disabled": disabled.get(person),
                "family_id": r.families.get(person),
            },
        )
        r.out.add(
            "person_identifiers",
            {
                "source": "la_csc",
                "source_record_id": child_id,
                "la_code": r.la,
                "nhs_number": row.get("pers_common_child_id") or None,
                "forename": row.get("pers_forename") or None,
                "surname": row.get("pers_surname") or None,
                "date_of_birth": birth,
                "sex": sex,
                "postcode": postcode.get(person, (None, None))[1],
            },
        )
    return known


def _person(r: _Reader, row: dict, column: str, known: set[str], file: str, number: int) -> str | None:
    person = row.get(column, "")
    if person not in known:
        r.problem(file, number, column, "person in ssd_person", "this person has no valid row in ssd_person")
        return None
    return r.child_id(person)


def _factors(text: str) -> list[str]:
    """ssd_assessment_factors holds a JSON list or object of factor codes, or a plain list."""
    try:
        value = json.loads(text)
    except (ValueError, TypeError, RecursionError):
        # Not JSON: also a number too long for int() (ValueError) or lists nested thousands deep.
        value = [part.strip() for part in text.replace(";", ",").split(",")]
    if isinstance(value, dict):
        value = [k for k, v in value.items() if v not in (False, "N", "n", 0, "0", None)]
    return [str(v).strip() for v in value if str(v).strip()] if isinstance(value, list) else []


def _read_social_care(r: _Reader, known: set[str]) -> None:
    referrals: dict[str, str] = {}  # referral id -> child_id
    for file, n, row in r.rows("ssd_cin_episodes"):
        child = _person(r, row, "cine_person_id", known, file, n)
        referral_id = row.get("cine_referral_id", "")
        start, ok1 = r.date(row, "cine_referral_date", file, n, required=True)
        closed, ok2 = r.date(row, "cine_close_date", file, n, required=False)
        source, ok3 = r.code(row, "cine_referral_source_code", codes.REFERRAL_SOURCE, file, n, required=True)
        need, ok4 = r.code(row, "cine_cin_primary_need_code", codes.PRIMARY_NEED, file, n, required=False)
        reason, ok5 = r.code(row, "cine_close_reason", codes.CLOSURE_REASON, file, n, required=False)
        if not referral_id:
            r.problem(file, n, "cine_referral_id", "required", "cine_referral_id is empty")
        if not (child and referral_id and ok1 and ok2 and ok3 and ok4 and ok5):
            continue
        referrals[referral_id] = child
        r.out.add(
            "referrals",
            {
                "la_code": r.la,
                "child_id": child,
                "referral_id": referral_id,
                "referral_date": start,
                "referral_source": source,
                "primary_need": need,
                "referral_nfa": row.get("cine_referral_nfa", "").lower() in TRUE_FLAGS,
                "closure_date": closed,
                "closure_reason": reason,
            },
        )

    def under_referral(file: str, n: int, row: dict, prefix: str) -> dict | None:
        referral_id = row.get(f"{prefix}_referral_id", "")
        if referral_id not in referrals:
            r.problem(
                file,
                n,
                f"{prefix}_referral_id",
                "referral in ssd_cin_episodes",
                "this referral has no valid row in ssd_cin_episodes",
            )
            return None
        return {"la_code": r.la, "child_id": referrals[referral_id], "referral_id": referral_id}

    factors: dict[str, list[str]] = {}
    for _, _, row in r.rows("ssd_assessment_factors"):
        factors.setdefault(row.get("cinf_assessment_id", ""), []).extend(
            code for code in _factors(row.get("cinf_assessment_factors_json", "")) if code in codes.ASSESSMENT_FACTORS
        )
    for file, n, row in r.rows("ssd_cin_assessments"):
        base = under_referral(file, n, row, "cina")
        start, ok1 = r.date(row, "cina_assessment_start_date", file, n, required=True)
        authorised, ok2 = r.date(row, "cina_assessment_auth_date", file, n, required=False)
        if base and ok1 and ok2:
            assessment_id = row.get("cina_assessment_id", "")
            found = list(dict.fromkeys(factors.get(assessment_id, [])))
            r.out.add(
                "assessments",
                base
                | {
                    "assessment_id": assessment_id,
                    "start_date": start,
                    "authorisation_date": authorised,
                    "factors": "|".join(found) or None,
                },
            )
    for file, n, row in r.rows("ssd_cin_plans"):
        base = under_referral(file, n, row, "cinp")
        start, ok1 = r.date(row, "cinp_cin_plan_start_date", file, n, required=True)
        end, ok2 = r.date(row, "cinp_cin_plan_end_date", file, n, required=False)
        if base and ok1 and ok2:
            r.out.add("cin_plans", base | {"start_date": start, "end_date": end})
    conferences: dict[str, dt.date] = {}
    for file, n, row in r.rows("ssd_initial_cp_conference"):
        icpc, ok = r.date(row, "icpc_icpc_date", file, n, required=False)
        if row.get("icpc_s47_enquiry_id") and icpc and ok:
            conferences[row["icpc_s47_enquiry_id"]] = icpc
    for file, n, row in r.rows("ssd_s47_enquiry"):
        base = under_referral(file, n, row, "s47e")
        start, ok1 = r.date(row, "s47e_s47_start_date", file, n, required=True)
        icpc = conferences.get(row.get("s47e_s47_enquiry_id", ""))
        nfa = row.get("s47e_s47_nfa", "").lower()
        # No conference: an enquiry closed with no further action did not need one.
        not_required = False if icpc else (True if nfa in TRUE_FLAGS else None)
        if base and ok1:
            r.out.add(
                "s47_enquiries", base | {"start_date": start, "icpc_date": icpc, "icpc_not_required": not_required}
            )
    for file, n, row in r.rows("ssd_cp_plans"):
        base = under_referral(file, n, row, "cppl")
        start, ok1 = r.date(row, "cppl_cp_plan_start_date", file, n, required=True)
        end, ok2 = r.date(row, "cppl_cp_plan_end_date", file, n, required=False)
        text = row.get("cppl_cp_plan_initial_category", "")
        category = text.upper() if text.upper() in codes.CP_CATEGORY else CP_CATEGORY_NAMES.get(text.lower())
        if category is None:
            r.problem(
                file,
                n,
                "cppl_cp_plan_initial_category",
                "category of abuse",
                f"{text!r} is not a category of abuse (NEG, PHY, SAB, EMO, MUL or their names)",
            )
        if base and ok1 and ok2 and category:
            r.out.add("cp_plans", base | {"start_date": start, "end_date": end, "initial_category": category})


def _read_looked_after(r: _Reader, known: set[str]) -> None:
    if "ssd_cla_episodes" not in r.tables:
        return
    statuses: dict[str, list[tuple[dt.date, dt.date | None, str]]] = {}
    for file, n, row in r.rows("ssd_legal_status"):
        start, ok1 = r.date(row, "lega_legal_status_start_date", file, n, required=True)
        end, ok2 = r.date(row, "lega_legal_status_end_date", file, n, required=False)
        if not (start and ok1 and ok2):
            continue
        statuses.setdefault(row.get("lega_person_id", ""), []).append((start, end, row.get("lega_legal_status", "")))
    placements = {
        row.get("clap_cla_placement_id", ""): row.get("clap_cla_placement_type", "")
        for _, _, row in r.rows("ssd_cla_placement")
    }
    for file, n, row in r.rows("ssd_cla_episodes"):
        child = _person(r, row, "clae_person_id", known, file, n)
        start, ok1 = r.date(row, "clae_cla_episode_start_date", file, n, required=True)
        end, ok2 = r.date(row, "clae_cla_episode_ceased_date", file, n, required=False)
        rne, ok3 = r.code(row, "clae_cla_episode_start_reason", codes.REASON_NEW_EPISODE, file, n, required=True)
        need, ok4 = r.code(row, "clae_cla_primary_need_code", codes.CLA_CATEGORY_OF_NEED, file, n, required=True)
        ceased, ok5 = r.code(row, "clae_cla_episode_ceased_reason", codes.REASON_CEASED, file, n, required=False)
        if not (child and start and ok1 and ok2 and ok3 and ok4 and ok5):  # start is required: ok1 says so
            continue
        person = row.get("clae_person_id", "")
        legal = next(
            (
                code
                for s, e, code in sorted(statuses.get(person, []), reverse=True)
                if s <= start and (e is None or e >= start)
            ),
            None,
        )
        placement = placements.get(row.get("clae_cla_placement_id", ""))
        if legal not in codes.LEGAL_STATUS:
            r.problem(
                file,
                n,
                "clae_cla_episode_start_date",
                "legal status from ssd_legal_status",
                "no valid legal status in ssd_legal_status is in force on the episode's start",
            )
            continue
        if placement not in codes.PLACEMENT:
            r.problem(
                file,
                n,
                "clae_cla_placement_id",
                "placement type from ssd_cla_placement",
                "the episode's placement has no valid type in ssd_cla_placement",
            )
            continue
        r.out.add(
            "looked_after_episodes",
            {
                "la_code": r.la,
                "child_id": child,
                "start_date": start,
                "reason_new_episode": rne,
                "legal_status": legal,
                "category_of_need": need,
                "placement": placement,
                "end_date": end,
                "reason_ceased": ceased,
            },
        )


def _read_early_help(r: _Reader, known: set[str]) -> None:
    for file, n, row in r.rows("ssd_early_help_episodes"):
        child = _person(r, row, "earl_person_id", known, file, n)
        start, ok1 = r.date(row, "earl_episode_start_date", file, n, required=True)
        end, ok2 = r.date(row, "earl_episode_end_date", file, n, required=False)
        episode_id = row.get("earl_episode_id", "")
        if not episode_id:
            r.problem(file, n, "earl_episode_id", "required", "earl_episode_id is empty")
        if not (child and ok1 and ok2 and episode_id):
            continue
        person = row.get("earl_person_id", "")
        r.out.add(
            "early_help_episodes",
            {
                "la_code": r.la,
                "child_id": child,
                "family_id": r.families.get(person, f"{r.la}-F-{person}"),
                "episode_id": episode_id,
                "start_date": start,
                "end_date": end,
                "request_source": "other",
                "lead_agency": _keyword_code(row.get("earl_episode_organisation"), AGENCY_KEYWORDS),
                "service_level": "targeted_early_help",
                "end_reason": _keyword_code(row.get("earl_episode_end_reason"), END_REASON_KEYWORDS) if end else None,
            },
        )
