"""CIN census XML <-> EHLD.

Reading streams the file with ``lxml.etree.iterparse`` and clears each <Child> once it is mapped,
so memory stays flat however many children the file holds. Each <Child> (and the <Header>) is
checked against the published XSD of its generation before it is mapped.

Mapping (one CINdetails block = one EHLD referral):

=====================================  ===============================================
CIN census                             EHLD
=====================================  ===============================================
Header/Source/LEA                      la_code (DfE number -> ONS code, la_codes.csv)
Header/CollectionDetails/ReferenceDate returns.period_end and extract_date
LAchildID                              child_id = "<la_code>-<LAchildID>"
UPN, PersonBirthDate, Sex              person_identifiers (identity zone only)
PersonBirthDate / Expected...          children.birth_month (YYYY-MM)
Sex (M/F/U) or GenderCurrent (1/2/0/9) children.sex (1 -> M, 2 -> F, 0 and 9 -> U)
Disabilities                           children.disabled (NONE only -> false)
CINdetails                             referrals (referral_id = child_id + "-R" +
                                       CINreferralDate: the same in every census year)
Assessments                            assessments (factors joined with "|";
                                       assessment_id = referral_id + "-A" + start date)
CINPlanDates                           cin_plans
Section47                              s47_enquiries (CINdetails DateOfInitialCPC fills
                                       the last S47 without its own ICPC date)
ChildProtectionPlans                   cp_plans (LatestCategoryOfAbuse, Reviews not kept)
=====================================  ===============================================

Every value read that no EHLD column holds (the list is ``NOT_KEPT_REASONS``, and a few that
depend on the child, such as a DateOfInitialCPC with no Section47 to hold it) is counted with
its reason in ``ReadResult.not_placed``, never quoted. Problems are worded by
``earlyhelp.formats.xsd_messages``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from earlyhelp.errors import UsageError
from earlyhelp.formats import la_codes
from earlyhelp.formats.cin_schema import (
    IDENTIFIER_ELEMENTS,
    LATEST_SCHEMA_YEAR,
    TOLERATED_BLOCKS,
    check_element,
    date_elements,
    load_schema,
)
from earlyhelp.formats.ehld_out import EHLDWriter
from earlyhelp.formats.issues import FormatIssue
from earlyhelp.formats.readers import CandidateFile, Detected, Format, NotPlaced, ReadResult, safe_iterparse
from earlyhelp.formats.textfile import MAX_FIELD_CHARACTERS
from earlyhelp.formats.xsd_messages import looks_like_identifier, syntax_message
from earlyhelp.spec import periods as spec_periods
from earlyhelp.spec.files import sql_literal

logger = logging.getLogger(__name__)

GENDER_CURRENT_TO_SEX = {"1": "M", "2": "F", "0": "U", "9": "U"}
TRUE_VALUES = frozenset({"1", "true", "TRUE", "True"})

# Stop keeping issue details beyond this many (the count goes on), so memory stays bounded.
MAX_KEPT_ISSUES = 10_000

# xs:date allows what no return means: negative and five-digit years, year 0, time zones. A CIN
# date must be a plain YYYY-MM-DD in these years (children born since 1900; nothing planned past 2099).
PLAIN_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
FIRST_YEAR, LAST_YEAR = 1900, 2099
# LAchildID is the LA's own id: shown in messages to name the child, when it is this short.
SHOWN_CHILD_ID_CHARACTERS = 50

# Every element whose value lands in an EHLD column (or only holds other elements). Any other
# element with a value is counted in ``not_kept`` with its reason, so nothing is dropped unsaid.
PLACED_ELEMENTS = frozenset(
    {
        "ChildIdentifiers", "LAchildID", "UPN", "PersonBirthDate", "Sex", "GenderCurrent",
        "ChildCharacteristics", "Ethnicity", "Disabilities", "CINdetails", "CINreferralDate",
        "ReferralSource", "PrimaryNeedCode", "CINclosureDate", "ReasonForClosure", "ReferralNFA",
        "Assessments", "AssessmentActualStartDate", "AssessmentAuthorisationDate",
        "FactorsIdentifiedAtAssessment", "CINPlanDates", "CINPlanStartDate", "CINPlanEndDate",
        "Section47", "S47ActualStartDate", "ICPCnotRequired", "ChildProtectionPlans", "CPPstartDate",
        "CPPendDate", "InitialCategoryOfAbuse", "NumberOfPreviousCPP", "Reviews",
    }
)  # fmt: skip
# Placed or not depending on the rest of the child: counted where they are mapped.
MAPPED_WITH_CONDITIONS = frozenset({"ExpectedPersonBirthDate", "AssessmentFactors", "DateOfInitialCPC"})
# Why an element's value is in no EHLD table.
NOT_KEPT_REASONS = {
    "FormerUPN": "EHLD keeps the current UPN only",
    "UPNunknown": "EHLD keeps no reason for a missing UPN",
    "PersonDeathDate": "EHLD has no date of death",
    "Disability": "EHLD keeps whether the child is disabled (children.disabled), not the kind of disability",
    "AssessmentInternalReviewDate": "EHLD assessments keep the start and authorisation dates only",
    "InitialCPCtarget": "EHLD keeps the date of the conference, not its target date",
    "LatestCategoryOfAbuse": "EHLD child protection plans keep the initial category of abuse only",
    "CPPreviewDate": "EHLD keeps no child protection plan reviews",
}
HEADER_READ = frozenset({"Header", "CollectionDetails", "Source", "LEA", "ReferenceDate"})
HEADER_NOT_KEPT = "about the file (its software, serial number ...), not about children"
ICPC_WITHOUT_ENQUIRY = (
    "the episode has no Section47 enquiry without its own conference date to hold it "
    "(EHLD keeps conference dates on s47_enquiries)"
)
EXPECTED_BIRTH_UNUSED = "PersonBirthDate is given too, and the birth month comes from it"
REPEATED_FACTOR = "the same factor code is given twice in one assessment (kept once)"
TOLERATED_BLOCK_NOT_KEPT = "a 2026-27 block no shipped schema describes and no EHLD table holds"


@dataclass
class CinReadResult:
    children: int = 0
    skipped_children: int = 0
    issues: list[FormatIssue] = field(default_factory=list)
    issue_count: int = 0
    la_code: str | None = None
    reference_date: dt.date | None = None
    # (block, element, why) -> values read but kept in no EHLD column; warnings about the whole file.
    not_kept: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    def add(self, issue: FormatIssue) -> None:
        self.issue_count += 1
        if len(self.issues) < MAX_KEPT_ISSUES:
            self.issues.append(issue)


def _text(parent: etree._Element | None, tag: str) -> str | None:
    if parent is None:
        return None
    found = parent.find(tag)
    if found is None or found.text is None:
        return None
    value = found.text.strip()
    return value or None


def _fields(parent: etree._Element | None) -> dict[str, str | None]:
    """Text of each direct child element, first occurrence per tag (one pass, not one find each)."""
    values: dict[str, str | None] = {}
    if parent is None:
        return values
    for element in parent:
        tag = element.tag
        if tag not in values and isinstance(tag, str):
            text = element.text
            values[tag] = (text.strip() or None) if text else None
    return values


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _bool(value: str | None) -> bool | None:
    return None if value is None else value in TRUE_VALUES


class _HeaderInfo:
    def __init__(self) -> None:
        self.lea: str | None = None
        self.reference_date: dt.date | None = None


def iter_children(path: Path) -> Iterator[tuple[str, etree._Element]]:
    """Yield ("Header" | "Child" | "unexpected", element) while streaming the file."""
    context = safe_iterparse(path, events=("end",), tag=("Header", "Children", "Child"))
    for _, element in context:
        if element.tag in ("Header", "Child"):
            yield element.tag, element
            # Free what is done: the element and every sibling already seen before it.
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while (previous := element.getprevious()) is not None:
                    if isinstance(previous.tag, str) and previous.tag not in ("Header", "Child"):
                        yield "unexpected", previous
                    del parent[0]
        else:  # </Children>: anything left in it is not a <Child>
            for leftover in element:
                if isinstance(leftover.tag, str) and leftover.tag != "Child":
                    yield "unexpected", leftover


def read_cin_xml(path: Path, out: EHLDWriter, *, la_code: str | None = None) -> CinReadResult:
    """Stream one CIN census file into ``out``. A child with problems is not written; its
    problems are in the result, and the caller decides whether to stop or go on without it."""
    result = CinReadResult()
    name = path.name
    header = _HeaderInfo()
    seen_child_ids: set[str] = set()
    child_number = 0
    try:
        root = next(safe_iterparse(path, events=("start",)))[1]
    except etree.XMLSyntaxError as error:
        result.add(_syntax_issue(name, error))
        return result
    root_tag = root.tag
    if root.getroottree().docinfo.doctype:
        # Only a DTD can declare entities (external files, entity bombs): a CIN return has none.
        result.add(
            FormatIssue(
                name,
                "line 1",
                "DOCTYPE",
                "no DTD in a CIN census file",
                "the file declares a DTD (<!DOCTYPE ...>), which CIN census files do not have; "
                "earlyhelp reads no DTD and replaces no entity",
            )
        )
        return result
    if root_tag != "Message":
        result.add(
            FormatIssue(
                name, "line 1", root_tag, "CIN census root element", f"the root element is <{root_tag}>, not <Message>"
            )
        )
        return result

    resolved_la = la_code
    try:
        for kind, element in iter_children(path):
            if kind == "unexpected":
                result.add(
                    FormatIssue(
                        name,
                        f"line {element.sourceline}",
                        str(element.tag),
                        "CIN schema: known elements only",
                        f"<{element.tag}> is not an element of <Children>; only <Child> elements may be written there",
                    )
                )
                continue
            if kind == "Header":
                too_long = _overlong_fields(element, name, "/Message/Header", child=None)
                for issue in too_long:
                    result.add(issue)
                if too_long:
                    continue
                header_problems = check_element(element, load_schema(LATEST_SCHEMA_YEAR), LATEST_SCHEMA_YEAR)
                for problem in header_problems:
                    result.add(
                        FormatIssue(
                            name,
                            f"line {problem.line} /Message{problem.path}",
                            problem.field,
                            problem.rule,
                            problem.message,
                        )
                    )
                header.lea = _text(element.find("Source"), "LEA")
                header.reference_date = _safe_date(_text(element.find("CollectionDetails"), "ReferenceDate"))
                reported = {problem.field for problem in header_problems}
                for issue in _unusable_dates(element, name, "/Message/Header", child=None):
                    header.reference_date = None
                    if issue.field not in reported:  # the XSD's message says it already
                        result.add(issue)
                _check_header(element, header, name, result)
                # An LEA the schema refuses is reported once, by the schema's rule.
                if resolved_la is None and header.lea and "LEA" not in reported:
                    resolved_la = la_codes.dfe_to_ons().get(header.lea)
                    if resolved_la is None:
                        lea_element = element.find("Source/LEA")
                        result.add(
                            FormatIssue(
                                name,
                                f"line {(lea_element if lea_element is not None else element).sourceline}",
                                "LEA",
                                "known DfE LA number",
                                f"LEA {header.lea} is not a DfE LA number earlyhelp knows; "
                                "give the LA code (--la-code)",
                            )
                        )
                continue
            child_number += 1
            if resolved_la is None:
                if header.lea is None:
                    result.add(
                        FormatIssue(
                            name,
                            f"line {element.sourceline}",
                            "LEA",
                            "LA of the return",
                            "no <Header>/<Source>/<LEA> before the first child; give the LA code (--la-code)",
                        )
                    )
                return result
            ok = _read_child(element, child_number, name, resolved_la, out, result, seen_child_ids)
            if ok:
                result.children += 1
            else:
                result.skipped_children += 1
    except etree.XMLSyntaxError as error:
        result.add(_syntax_issue(name, error))
        return result

    if child_number == 0:
        result.add(
            FormatIssue(
                name, "", "Child", "XSD: Children needs at least one Child", "the file holds no <Child> element"
            )
        )
    result.la_code = resolved_la
    result.reference_date = header.reference_date
    return result


class CinXmlReader:
    """CIN census XML files (root element <Message>), one per LA and year."""

    name = Format.CIN_XML.value

    def claim(self, file: CandidateFile, group: Detected) -> bool:
        if file.suffix != ".xml" or file.xml_root != "Message":
            return False
        group.files.append(file.path)
        return True

    def read(self, group: Detected, writer: EHLDWriter, *, la_code: str | None) -> ReadResult:
        total = ReadResult()
        if len(group.files) == 1:
            self._add(total, read_cin_xml(group.files[0], writer, la_code=la_code), group.files[0])
            return total
        # Several censuses (one LA's years, or several LAs): each is read on its own, then they
        # are merged, a record held by two censuses taking the later census's version.
        with tempfile.TemporaryDirectory(prefix=".cin-years-", dir=writer.folder.parent) as scratch:
            read: list[tuple[dt.date, Path]] = []
            seen: dict[tuple[str, dt.date], Path] = {}
            for number, file in enumerate(group.files):
                folder = Path(scratch) / str(number)
                with EHLDWriter(folder) as own:
                    result = read_cin_xml(file, own, la_code=la_code)
                self._add(total, result, file)
                if not (result.la_code and result.reference_date):
                    continue
                census = (result.la_code, result.reference_date)
                if census in seen:
                    raise UsageError(
                        f"{seen[census].name} and {file.name} are both the CIN census of {result.la_code} "
                        f"for {result.reference_date:%Y-%m-%d}.",
                        hint="Ingest one file per LA and census year.",
                    )
                seen[census] = file
                read.append((result.reference_date, folder))
            _refuse_gaps(total.periods, seen)
            _merge_censuses(read, writer)
        return total

    @staticmethod
    def _add(total: ReadResult, result: CinReadResult, file: Path) -> None:
        total.issues.extend(result.issues)
        total.issue_count += result.issue_count
        total.skipped_children += result.skipped_children
        total.not_placed += [
            NotPlaced(file.name, block, element, count, count, why)
            for (block, element, why), count in sorted(result.not_kept.items())
        ]
        total.warnings.extend(result.warnings)
        if result.la_code and result.reference_date:
            start, end = _census_start(result.reference_date), result.reference_date
            if result.la_code in total.periods:
                first, last = total.periods[result.la_code]
                start, end = min(start, first), max(end, last)
            total.periods[result.la_code] = (start, end)


def _refuse_gaps(periods: dict[str, tuple[dt.date, dt.date]], censuses: dict[tuple[str, dt.date], Path]) -> None:
    """An LA's censuses must be consecutive years: one ``returns`` row cannot describe a gap."""
    for la in periods:
        years = sorted(reference for code, reference in censuses if code == la)
        for earlier, later in zip(years, years[1:], strict=False):
            if _census_start(later) > earlier + dt.timedelta(days=1):
                raise UsageError(
                    f"The CIN census files of {la} skip the year between {earlier:%Y-%m-%d} and {later:%Y-%m-%d}.",
                    hint="Add that year's census, or ingest the years on either side into separate folders.",
                )


def _merge_censuses(read: list[tuple[dt.date, Path]], writer: EHLDWriter) -> None:
    """Write the union of the censuses' tables, one row per record, the latest census's version."""
    from earlyhelp.engine.connect import duckdb_connection
    from earlyhelp.spec import TABLES_IN_ORDER
    from earlyhelp.spec.files import sql_identifier
    from earlyhelp.warehouse.periods import key_columns

    con = duckdb_connection()
    try:
        for table in TABLES_IN_ORDER:
            parts = [
                f"SELECT *, {sql_literal(reference.isoformat())} AS census "
                f"FROM read_csv({sql_literal(str(folder / f'{table.name}.csv'))}, header = true, all_varchar = true)"
                for reference, folder in read
                if (folder / f"{table.name}.csv").exists()
            ]
            if not parts:
                continue
            keys = ", ".join(sql_identifier(c) for c in key_columns(table))
            columns = ", ".join(sql_identifier(c) for c in table.column_names)
            rows = _stream(
                con,
                f"SELECT {columns} FROM ({' UNION ALL BY NAME '.join(parts)}) "
                f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY census DESC) = 1 ORDER BY {keys}",
            )
            for row in rows:
                writer.add(table.name, row)
    finally:
        con.close()


def _check_header(header: etree._Element, info: _HeaderInfo, file: str, result: CinReadResult) -> None:
    """Warnings about the census period the header gives, and the header values not kept."""
    for element in header.iter():
        if isinstance(element.tag, str) and element.tag not in HEADER_READ and (element.text or "").strip():
            result.not_kept[(str(element.getparent().tag), element.tag, HEADER_NOT_KEPT)] += 1
    reference = info.reference_date
    if reference is None:
        return
    reference_element = header.find("CollectionDetails/ReferenceDate")
    line = reference_element.sourceline if reference_element is not None else header.sourceline
    start = _census_start(reference)
    whole_years = [
        period
        for period in spec_periods.periods_between(spec_periods.period_of(start), spec_periods.period_of(reference))
        if spec_periods.period_start(period) >= start and spec_periods.period_end(period) <= reference
    ]
    if not whole_years:
        touched = [
            spec_periods.label(period)
            for period in spec_periods.periods_between(spec_periods.period_of(start), spec_periods.period_of(reference))
        ]
        result.warnings.append(
            f"Warning: {file}, line {line}: <ReferenceDate> {reference:%Y-%m-%d} is not 31 March, so the census "
            f"year it gives ({start:%d %B %Y} to {reference:%d %B %Y}) holds no whole financial year "
            f"(1 April to 31 March). Every indicator counted over a year will be 'x' (not available) for "
            f"{' and '.join(touched)}. A CIN census's reference date is 31 March: check the header."
        )
    year_element = header.find("CollectionDetails/Year")
    year = (year_element.text or "").strip() if year_element is not None else ""
    if year.isdigit() and len(year) == 4 and int(year) != reference.year:
        result.warnings.append(
            f"Warning: {file}, line {year_element.sourceline}: <Year> {year} does not match <ReferenceDate> "
            f"{reference:%Y-%m-%d} (a census is named by the year of its 31 March); earlyhelp uses the "
            "ReferenceDate."
        )


def _census_start(reference_date: dt.date) -> dt.date:
    """The CIN census year runs from the day after the previous year's reference date."""
    try:
        previous = reference_date.replace(year=reference_date.year - 1)
    except ValueError:  # 29 February
        previous = reference_date.replace(year=reference_date.year - 1, day=28)
    return previous + dt.timedelta(days=1)


def _safe_date(value: str | None) -> dt.date | None:
    try:
        return _date(value)
    except ValueError:
        return None


def _syntax_issue(file: str, error: etree.XMLSyntaxError) -> FormatIssue:
    message = str(error.msg)
    if "Text node too long" in message:  # libxml2's own limit (10 MB), far above ours
        message = (
            f"an element holds more than 10,000,000 characters, more than the {MAX_FIELD_CHARACTERS:,} "
            "earlyhelp reads in one field"
        )
    else:
        message = syntax_message(message, int(error.code))
    return FormatIssue(file, f"line {error.lineno}" if error.lineno else "", "", "well-formed XML", message)


def _child_named(local_id: str | None) -> str:
    """How a message names the child: its LAchildID (the LA's own pseudonymous id), unless it
    is in fact an identifier (a UPN, an NHS number ... used as the id)."""
    if local_id is None or len(local_id) > SHOWN_CHILD_ID_CHARACTERS:
        return ""
    if looks_like_identifier(local_id):
        return " (child LAchildID not shown: it looks like a UPN, NHS number, postcode or date)"
    return f" (child LAchildID {local_id})"


def _where(element: etree._Element, top: etree._Element, top_path: str) -> str:
    """``top_path`` followed by the path of ``element`` inside ``top``, e.g. /Child[3]/CINdetails[1]/CINreferralDate."""
    inner = top.getroottree().getpath(element)[len(top.getroottree().getpath(top)) :]
    return f"line {element.sourceline} {top_path}{inner}"


def _overlong_fields(top: etree._Element, file: str, top_path: str, *, child: str | None) -> list[FormatIssue]:
    """Elements whose text is longer than any field may be (the XSD sets no length)."""
    issues = []
    for element in top.iter():
        text = element.text
        if text is not None and len(text) > MAX_FIELD_CHARACTERS and isinstance(element.tag, str):
            issues.append(
                FormatIssue(
                    file,
                    _where(element, top, top_path),
                    element.tag,
                    f"at most {MAX_FIELD_CHARACTERS:,} characters",
                    f"<{element.tag}> holds {len(text):,} characters, more than the {MAX_FIELD_CHARACTERS:,} "
                    f"earlyhelp reads in one field{_child_named(child)}",
                )
            )
    return issues


def _unusable_dates(top: etree._Element, file: str, top_path: str, *, child: str | None) -> list[FormatIssue]:
    """Dates the XSD lets through but no return means (see PLAIN_DATE), one issue each."""
    issues = []
    dates = date_elements()
    for element in top.iter(*dates):
        value = (element.text or "").strip()
        if not value:
            continue
        reason = _date_problem(value)
        if reason is None:
            continue
        shown = "" if element.tag in IDENTIFIER_ELEMENTS else f" {value!r}"
        issues.append(
            FormatIssue(
                file,
                _where(element, top, top_path),
                element.tag,
                f"a calendar date YYYY-MM-DD in {FIRST_YEAR}-{LAST_YEAR}",
                f"{element.tag}{shown} {reason}{_child_named(child)}",
            )
        )
    return issues


def _date_problem(value: str) -> str | None:
    if not PLAIN_DATE.fullmatch(value):
        if value.endswith("Z") or re.search(r"[+-]\d{2}:\d{2}$", value):
            return "has a time zone; give the date alone (YYYY-MM-DD)"
        return "is not a plain YYYY-MM-DD date (a year of four digits, no sign)"
    try:
        year = dt.date.fromisoformat(value).year
    except ValueError:
        return "is not a date of the calendar"
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return f"is outside the years {FIRST_YEAR} to {LAST_YEAR}"
    return None


def _read_child(
    child: etree._Element,
    number: int,
    file: str,
    la_code: str,
    out: EHLDWriter,
    result: CinReadResult,
    seen: set[str],
) -> bool:
    # Counted into the result only if the child is read (a child left out is in the issues).
    not_kept_here: Counter[tuple[str, str, str]] = Counter()
    where = f"/Message/Children/Child[{number}]"
    for block in TOLERATED_BLOCKS:
        for found in child.findall(f"CINdetails/{block}"):
            not_kept_here[("CINdetails", block, TOLERATED_BLOCK_NOT_KEPT)] += 1
            found.getparent().remove(found)
    identifiers = _fields(child.find("ChildIdentifiers"))
    # Before the XSD check: its messages quote the value, however long.
    too_long = _overlong_fields(child, file, where, child=identifiers.get("LAchildID"))
    if too_long:
        for issue in too_long:
            result.add(issue)
        return False
    # GenderCurrent marks the 2024 generation of the schema; Sex the 2025 one onwards.
    schema_year = 2024 if "GenderCurrent" in identifiers else LATEST_SCHEMA_YEAR
    problems = check_element(child, load_schema(schema_year), schema_year)
    local_id = identifiers.get("LAchildID")
    issues = [
        FormatIssue(
            file,
            f"line {p.line} /Message/Children/Child[{number}]{p.path[len('/Child') :]}",
            p.field,
            p.rule,
            f"{p.message}{_child_named(local_id)}",
        )
        for p in problems
    ]
    birth = identifiers.get("PersonBirthDate")
    expected = identifiers.get("ExpectedPersonBirthDate")
    # Checked whatever the schema found, so that one run lists all of a child's problems; an
    # element the schema already reported is not reported twice.
    reported = {p.field for p in problems}
    issues += [i for i in _unusable_dates(child, file, where, child=local_id) if i.field not in reported]
    id_element = child.find("ChildIdentifiers/LAchildID")
    id_line = (id_element if id_element is not None else child).sourceline
    if local_id is None and "LAchildID" not in reported:
        issues.append(
            FormatIssue(
                file,
                f"line {id_line} {where}",
                "LAchildID",
                "EHLD children.child_id required",
                "<LAchildID> is empty; every child needs the LA's own id for it",
            )
        )
    elif local_id is not None and local_id in seen:
        issues.append(
            FormatIssue(
                file,
                f"line {id_line} {where}",
                "LAchildID",
                "LAchildID unique in the return",
                f"a child with this LAchildID appears earlier in the file{_child_named(local_id)}",
            )
        )
    if birth is None and expected is None and not reported & {"PersonBirthDate", "ExpectedPersonBirthDate"}:
        identifiers_element = child.find("ChildIdentifiers")
        issues.append(
            FormatIssue(
                file,
                f"line {(identifiers_element if identifiers_element is not None else child).sourceline} {where}",
                "PersonBirthDate",
                "EHLD children.birth_month required",
                f"neither <PersonBirthDate> nor <ExpectedPersonBirthDate> is given; one is needed for the "
                f"birth month{_child_named(local_id)}",
            )
        )
    for issue in issues:
        result.add(issue)
    if issues:
        return False
    # Both are reported above when missing, so a child without them never gets here.
    born = birth or expected
    assert local_id is not None and born is not None
    seen.add(local_id)
    if birth and expected:
        not_kept_here[("ChildIdentifiers", "ExpectedPersonBirthDate", EXPECTED_BIRTH_UNUSED)] += 1

    child_id = f"{la_code}-{local_id}"
    sex = identifiers.get("Sex") or GENDER_CURRENT_TO_SEX[identifiers.get("GenderCurrent") or ""]
    characteristics = child.find("ChildCharacteristics")
    disability_codes = [d.text.strip() for d in characteristics.iterfind("Disabilities/Disability") if d.text]
    disabled = None if not disability_codes else any(code != "NONE" for code in disability_codes)
    out.add(
        "children",
        {
            "la_code": la_code,
            "child_id": child_id,
            "birth_month": born[:7],
            "sex": sex,
            "ethnicity": _fields(characteristics).get("Ethnicity"),
            "disabled": disabled,
        },
    )
    out.add(
        "person_identifiers",
        {
            "source": "la_csc",
            "source_record_id": child_id,
            "la_code": la_code,
            "upn": identifiers.get("UPN"),
            "date_of_birth": birth,
            "sex": sex,
        },
    )
    referral_ids: set[str] = set()
    for details in child.iterfind("CINdetails"):
        episode = _fields(details)
        # Named by its referral date, so that the episode is the same referral in every census
        # that holds it (one open at 31 March is in the next year's census too).
        referral_id = _unique_id(f"{child_id}-R{episode.get('CINreferralDate') or ''}", referral_ids)
        base = {"la_code": la_code, "child_id": child_id, "referral_id": referral_id}
        out.add(
            "referrals",
            base
            | {
                "referral_date": episode.get("CINreferralDate"),
                "referral_source": episode.get("ReferralSource"),
                "primary_need": episode.get("PrimaryNeedCode"),
                "referral_nfa": _bool(episode.get("ReferralNFA")),
                "closure_date": episode.get("CINclosureDate"),
                "closure_reason": episode.get("ReasonForClosure"),
            },
        )
        assessment_ids: set[str] = set()
        enquiries: list[dict] = []
        plans: list[dict] = []
        for block in details:
            tag = block.tag
            if tag == "Assessments":
                values = _fields(block)
                factors: list[str] = []
                for factor in block.iterfind("FactorsIdentifiedAtAssessment/AssessmentFactors"):
                    code = (factor.text or "").strip()
                    if code in factors:
                        not_kept_here[("FactorsIdentifiedAtAssessment", "AssessmentFactors", REPEATED_FACTOR)] += 1
                    elif code:
                        factors.append(code)
                out.add(
                    "assessments",
                    base
                    | {
                        "assessment_id": _unique_id(
                            f"{referral_id}-A{values.get('AssessmentActualStartDate') or ''}", assessment_ids
                        ),
                        "start_date": values.get("AssessmentActualStartDate"),
                        "authorisation_date": values.get("AssessmentAuthorisationDate"),
                        "factors": "|".join(factors) or None,
                    },
                )
            elif tag == "CINPlanDates":
                values = _fields(block)
                out.add(
                    "cin_plans",
                    base
                    | {
                        "start_date": values.get("CINPlanStartDate"),
                        "end_date": values.get("CINPlanEndDate"),
                    },
                )
            elif tag == "Section47":
                values = _fields(block)
                enquiries.append(
                    {
                        "start_date": values.get("S47ActualStartDate"),
                        "icpc_date": values.get("DateOfInitialCPC"),
                        "icpc_not_required": _bool(values.get("ICPCnotRequired")),
                    }
                )
            elif tag == "ChildProtectionPlans":
                values = _fields(block)
                plans.append(
                    base
                    | {
                        "start_date": values.get("CPPstartDate"),
                        "end_date": values.get("CPPendDate"),
                        "initial_category": values.get("InitialCategoryOfAbuse"),
                        "previous_plans": values.get("NumberOfPreviousCPP"),
                    }
                )
        episode_icpc = episode.get("DateOfInitialCPC")
        if episode_icpc:
            # The census lets an LA record the conference on the episode instead of the S47.
            without = [e for e in enquiries if not e["icpc_date"]]
            if without:
                without[-1]["icpc_date"] = episode_icpc
            else:
                not_kept_here[("CINdetails", "DateOfInitialCPC", ICPC_WITHOUT_ENQUIRY)] += 1
        for enquiry in enquiries:
            out.add("s47_enquiries", base | enquiry)
        for plan in plans:
            out.add("cp_plans", plan)
    _count_not_kept(child, not_kept_here)
    result.not_kept.update(not_kept_here)
    return True


def _count_not_kept(child: etree._Element, counts: Counter[tuple[str, str, str]]) -> None:
    """Count each element of ``child`` with a value that no EHLD column holds, by its reason.

    The schema check let through only elements the schema declares, and those it declares that
    are neither placed nor mapped with conditions are exactly ``NOT_KEPT_REASONS``'s (a test
    holds the two to each other), so only they are looked for.
    """
    for element in child.iter(*NOT_KEPT_REASONS):
        if (element.text or "").strip():
            counts[(str(element.getparent().tag), element.tag, NOT_KEPT_REASONS[element.tag])] += 1


def _unique_id(stem: str, taken: set[str]) -> str:
    """``stem``, or ``stem-2``, ``stem-3`` ... when a child has two episodes (or an episode two
    assessments) starting the same day; each census lists them in the same order."""
    candidate, copy = stem, 1
    while candidate in taken:
        copy += 1
        candidate = f"{stem}-{copy}"
    taken.add(candidate)
    return candidate


# --------------------------------------------------------------------------- writing

SEX_TO_GENDER_CURRENT = {"M": "1", "F": "2", "U": "0"}
# What EHLD's yes/no on disability becomes: EHLD does not keep the kind of disability, so a
# disabled child is reported with the census code DDA ("Other").
DISABLED_CODE = {True: "DDA", False: "NONE"}
FETCH_BATCH = 5_000


@dataclass(frozen=True)
class CensusYear:
    """A CIN census collection: 1 April (year - 1) to the reference date 31 March (year)."""

    year: int

    @property
    def start(self) -> dt.date:
        return dt.date(self.year - 1, 4, 1)

    @property
    def reference_date(self) -> dt.date:
        return dt.date(self.year, 3, 31)


def _sql_date(value: dt.date) -> str:
    return f"DATE '{value.isoformat()}'"


def _census_queries(la_code: str, census: CensusYear) -> dict[str, str]:
    """SELECTs of what one LA's census for one year holds, each ordered by child_id.

    What the census covers (DfE CIN census guide): episodes open at any point in the year;
    dates after the reference date are not yet known and are left out (an episode closed after
    31 March is reported open); completed assessments, S47s and plans that ended before the year
    are not returned.
    """
    start, end = _sql_date(census.start), _sql_date(census.reference_date)
    la = sql_literal(la_code)
    in_census = f"""
        SELECT * FROM referrals
        WHERE la_code = {la} AND referral_date <= {end}
          AND (closure_date IS NULL OR closure_date >= {start})"""
    return {
        "children": f"""
            SELECT c.child_id, c.birth_month, c.sex, c.ethnicity, c.disabled,
                   p.upn, p.date_of_birth
            FROM children c
            LEFT JOIN person_identifiers p
              ON p.source IN ('la_csc', 'la_early_help') AND p.source_record_id = c.child_id
             AND p.la_code = c.la_code
            WHERE c.la_code = {la}
              AND c.child_id IN (SELECT child_id FROM ({in_census}))
            QUALIFY row_number() OVER (PARTITION BY c.child_id
                                       ORDER BY p.source = 'la_csc' DESC) = 1
            ORDER BY c.child_id""",
        "referrals": f"""
            SELECT child_id, referral_id, referral_date, referral_source, primary_need,
                   CASE WHEN closure_date <= {end} THEN closure_date END AS closure_date,
                   CASE WHEN closure_date <= {end} THEN closure_reason END AS closure_reason,
                   referral_nfa
            FROM ({in_census})
            ORDER BY child_id, referral_date, referral_id""",
        "assessments": f"""
            SELECT a.child_id, a.referral_id, a.start_date,
                   CASE WHEN a.authorisation_date <= {end} THEN a.authorisation_date END AS authorisation_date,
                   CASE WHEN a.authorisation_date <= {end} THEN a.factors END AS factors
            FROM assessments a JOIN ({in_census}) r USING (la_code, child_id, referral_id)
            WHERE a.start_date <= {end}
              AND (a.authorisation_date IS NULL OR a.authorisation_date >= {start})
            ORDER BY a.child_id, a.referral_id, a.start_date, a.assessment_id""",
        "cin_plans": f"""
            SELECT p.child_id, p.referral_id, p.start_date,
                   CASE WHEN p.end_date <= {end} THEN p.end_date END AS end_date
            FROM cin_plans p JOIN ({in_census}) r USING (la_code, child_id, referral_id)
            WHERE p.start_date <= {end} AND (p.end_date IS NULL OR p.end_date >= {start})
            ORDER BY p.child_id, p.referral_id, p.start_date""",
        "s47_enquiries": f"""
            SELECT s.child_id, s.referral_id, s.start_date,
                   CASE WHEN s.icpc_date <= {end} THEN s.icpc_date END AS icpc_date,
                   -- Left empty in EHLD: an enquiry with no conference in a closed episode
                   -- did not need one; otherwise the conference may still come.
                   coalesce(s.icpc_not_required,
                            s.icpc_date IS NULL AND r.closure_date IS NOT NULL
                            AND r.closure_date <= {end}) AS icpc_not_required
            FROM s47_enquiries s JOIN ({in_census}) r USING (la_code, child_id, referral_id)
            WHERE s.start_date <= {end}
              AND (s.icpc_date >= {start} OR (s.icpc_date IS NULL AND s.start_date >= {start}))
            ORDER BY s.child_id, s.referral_id, s.start_date""",
        # Previous plans counted over all of the child's plans when the column is empty.
        "cp_plans": f"""
            SELECT * FROM (
              SELECT p.child_id, p.referral_id, p.start_date,
                     CASE WHEN p.end_date <= {end} THEN p.end_date END AS end_date,
                     p.initial_category,
                     coalesce(p.previous_plans,
                              row_number() OVER (PARTITION BY p.child_id ORDER BY p.start_date) - 1)
                       AS previous_plans,
                     p.la_code, p.end_date AS raw_end
              FROM cp_plans p WHERE p.la_code = {la}
            ) p JOIN ({in_census}) r USING (la_code, child_id, referral_id)
            WHERE p.start_date <= {end} AND (p.raw_end IS NULL OR p.raw_end >= {start})
            ORDER BY p.child_id, p.referral_id, p.start_date""",
    }


def _stream(con, sql: str):
    """Rows of ``sql`` as dicts, fetched in batches on a cursor of their own."""
    cursor = con.cursor()
    cursor.execute(sql)
    names = [d[0] for d in cursor.description]
    while True:
        batch = cursor.fetchmany(FETCH_BATCH)
        if not batch:
            break
        for row in batch:
            yield dict(zip(names, row))
    cursor.close()


class _Grouped:
    """Pulls, from a stream ordered by child_id, the rows of one child at a time."""

    def __init__(self, rows):
        self._rows = iter(rows)
        self._next = next(self._rows, None)

    def take(self, child_id: str) -> list[dict]:
        taken = []
        while self._next is not None and self._next["child_id"] <= child_id:
            if self._next["child_id"] == child_id:
                taken.append(self._next)
            self._next = next(self._rows, None)
        return taken


def _sub(parent: etree._Element, tag: str, value: object) -> None:
    if value is None or value == "":
        return
    element = etree.SubElement(parent, tag)
    if isinstance(value, bool):
        element.text = "1" if value else "0"
    elif isinstance(value, (dt.date, dt.datetime)):
        element.text = value.isoformat()[:10]
    else:
        element.text = str(value)


def _local_id(child_id: str, la_code: str) -> str:
    prefix = f"{la_code}-"
    return child_id[len(prefix) :] if child_id.startswith(prefix) else child_id


def _child_element(
    child: dict,
    referrals: list[dict],
    by_referral: dict[str, dict[str, list[dict]]],
    la_code: str,
    census: CensusYear,
    schema_year: int,
    approximate_birth_dates: bool,
) -> etree._Element | str:
    """The <Child> element, or the reason the EHLD data cannot make one."""
    birth = child["date_of_birth"]
    if birth is None:
        if not approximate_birth_dates:
            return "no date_of_birth in person_identifiers (the la_csc row whose source_record_id is the child_id)"
        from earlyhelp.formats.export_source import BAD_BIRTH_MONTH, first_of_birth_month

        birth = first_of_birth_month(child["birth_month"])
        if birth is None:
            return BAD_BIRTH_MONTH
    element = etree.Element("Child")
    ids = etree.SubElement(element, "ChildIdentifiers")
    _sub(ids, "LAchildID", _local_id(child["child_id"], la_code))
    if child["upn"]:
        _sub(ids, "UPN", child["upn"])
    else:
        all_nfa = all(r["referral_nfa"] for r in referrals)
        under_five = (census.reference_date - birth).days < 5 * 365.25
        _sub(ids, "UPNunknown", "UN7" if all_nfa else "UN1" if under_five else "UN4")
    _sub(ids, "PersonBirthDate", birth)
    if schema_year == 2024:
        _sub(ids, "GenderCurrent", SEX_TO_GENDER_CURRENT[child["sex"]])
    else:
        _sub(ids, "Sex", child["sex"])
    characteristics = etree.SubElement(element, "ChildCharacteristics")
    _sub(characteristics, "Ethnicity", child["ethnicity"] or "NOBT")
    if child["disabled"] is not None:
        disabilities = etree.SubElement(characteristics, "Disabilities")
        _sub(disabilities, "Disability", DISABLED_CODE[bool(child["disabled"])])
    for referral in referrals:
        parts = by_referral.get(referral["referral_id"], {})
        details = etree.SubElement(element, "CINdetails")
        _sub(details, "CINreferralDate", referral["referral_date"])
        _sub(details, "ReferralSource", referral["referral_source"])
        _sub(details, "PrimaryNeedCode", referral["primary_need"])
        _sub(details, "CINclosureDate", referral["closure_date"])
        _sub(details, "ReasonForClosure", referral["closure_reason"])
        for assessment in parts.get("assessments", ()):
            block = etree.SubElement(details, "Assessments")
            _sub(block, "AssessmentActualStartDate", assessment["start_date"])
            _sub(block, "AssessmentAuthorisationDate", assessment["authorisation_date"])
            if assessment["factors"]:
                factors = etree.SubElement(block, "FactorsIdentifiedAtAssessment")
                for code in assessment["factors"].split("|"):
                    _sub(factors, "AssessmentFactors", code)
        for plan in parts.get("cin_plans", ()):
            block = etree.SubElement(details, "CINPlanDates")
            _sub(block, "CINPlanStartDate", plan["start_date"])
            _sub(block, "CINPlanEndDate", plan["end_date"])
        for enquiry in parts.get("s47_enquiries", ()):
            block = etree.SubElement(details, "Section47")
            _sub(block, "S47ActualStartDate", enquiry["start_date"])
            _sub(block, "DateOfInitialCPC", enquiry["icpc_date"])
            _sub(block, "ICPCnotRequired", bool(enquiry["icpc_not_required"]))
        _sub(details, "ReferralNFA", bool(referral["referral_nfa"]))
        for plan in parts.get("cp_plans", ()):
            block = etree.SubElement(details, "ChildProtectionPlans")
            _sub(block, "CPPstartDate", plan["start_date"])
            _sub(block, "CPPendDate", plan["end_date"])
            _sub(block, "InitialCategoryOfAbuse", plan["initial_category"])
            # EHLD keeps only the initial category; the latest is reported the same.
            _sub(block, "LatestCategoryOfAbuse", plan["initial_category"])
            _sub(block, "NumberOfPreviousCPP", plan["previous_plans"])
    return element


def write_cin_xml(
    data: list[Path],
    out: Path,
    *,
    year: int | None = None,
    la_code: str | None = None,
    schema_year: int = 2026,
    approximate_birth_dates: bool = False,
    lea: str | None = None,
    notes: list[str] | None = None,
) -> list[Path]:
    """Write one CIN census file per LA in ``data`` (EHLD folders) for collection ``year``
    (the census ending 31 March ``year``; default: the latest complete year of the LA's return).

    Every <Child> is checked against the XSD as it is written; a problem stops the export
    with a ``FormatError`` naming the child and the field. ``lea`` (three digits) overrides
    earlyhelp's DfE LA number for a single LA; a difference from the table is added to ``notes``.
    """
    from earlyhelp.errors import UsageError
    from earlyhelp.formats.cin_schema import SCHEMA_YEARS
    from earlyhelp.formats.export_source import collection_year, open_export_source
    from earlyhelp.formats.issues import FormatError

    if schema_year not in SCHEMA_YEARS:
        raise UsageError(
            f"No CIN census schema for {schema_year}.", hint=f"Choose one of {', '.join(map(str, SCHEMA_YEARS))}."
        )
    con, las = open_export_source(
        data,
        driving_table="referrals",
        required=("referrals", "children"),
        missing="children/referrals tables",
        no_records="referrals",
        la_code=la_code,
    )
    if lea is not None:
        _check_lea(lea, las, notes)
    schema = load_schema(schema_year)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for la in las:
        census = CensusYear(
            collection_year(con, la, year, fallback_sql="SELECT max(referral_date) FROM referrals WHERE la_code = ?")
        )
        number = lea or la_codes.ons_to_dfe().get(la)
        if number is None:
            raise UsageError(
                f"{la} has no DfE LA number in earlyhelp's table.", hint="Give it with --lea (three digits)."
            )
        path = out / f"CIN_census_{la}_{census.year}.xml"
        problems, children = _write_one(con, path, la, number, census, schema, schema_year, approximate_birth_dates)
        if problems:
            path.unlink(missing_ok=True)
            raise FormatError(
                problems,
                what=f"Could not write the CIN census for {la} {census.year}",
                hint="Fix the EHLD data (or pass --approximate-birth-dates when only dates of birth are missing).",
            )
        if children == 0:
            # The schema needs at least one <Child>: an LA with nothing in the year has no return.
            path.unlink(missing_ok=True)
            logger.warning("%s has no CIN episode open in the %s census year; no file written.", la, census.year)
            continue
        written.append(path)
    con.close()
    if not written:
        raise UsageError(
            f"No CIN episode is open in the census year{' ' + str(year) if year else ''} "
            "in the data given; nothing was written.",
            hint="Choose another --year (named by the 31 March it ends on).",
        )
    return written


def _check_lea(lea: str, las: list[str], notes: list[str] | None) -> None:
    """--lea must be a DfE LA number (three digits) and can name one LA only."""
    from earlyhelp.errors import UsageError

    if not (len(lea) == 3 and lea.isdigit()):
        raise UsageError(
            f"--lea {lea!r} is not a DfE LA number: it must be three digits, e.g. 805.",
            hint="Leave --lea out when earlyhelp knows the LA (it says so when it does not).",
        )
    if len(las) > 1:
        raise UsageError(
            f"--lea gives one DfE LA number, but the data holds {len(las)} LAs.",
            hint="Choose the LA with --la-code, or leave --lea out.",
        )
    known = la_codes.ons_to_dfe().get(las[0]) if las else None
    if known is not None and known != lea and notes is not None:
        notes.append(
            f"Warning: --lea {lea} replaces {known}, the DfE LA number earlyhelp has for "
            f"{las[0]}; check it before submitting the return."
        )


def _write_one(
    con, path: Path, la: str, lea: str, census: CensusYear, schema: etree.XMLSchema, schema_year: int, approximate: bool
) -> tuple[list[FormatIssue], int]:
    """Write one LA's census; returns the problems found and the number of children written."""
    queries = _census_queries(la, census)
    children = _stream(con, queries["children"])
    referrals = _Grouped(_stream(con, queries["referrals"]))
    parts = {
        name: _Grouped(_stream(con, queries[name]))
        for name in ("assessments", "cin_plans", "s47_enquiries", "cp_plans")
    }
    problems: list[FormatIssue] = []
    written = 0
    with etree.xmlfile(str(path), encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("Message"):
            header = etree.Element("Header")
            details = etree.SubElement(header, "CollectionDetails")
            _sub(details, "Collection", "CIN")
            _sub(details, "Year", census.year)
            _sub(details, "ReferenceDate", census.reference_date)
            source = etree.SubElement(header, "Source")
            _sub(source, "SourceLevel", "L")
            _sub(source, "LEA", lea)
            _sub(source, "SoftwareCode", "earlyhelp")
            _sub(source, "Release", _version())
            _sub(source, "SerialNo", "001")
            _sub(source, "DateTime", dt.datetime.now().replace(microsecond=0).isoformat())
            xf.write(header, pretty_print=True)
            with xf.element("Children"):
                for number, child in enumerate(children, start=1):
                    child_id = child["child_id"]
                    by_referral: dict[str, dict[str, list[dict]]] = {}
                    for name, grouped in parts.items():
                        for row in grouped.take(child_id):
                            by_referral.setdefault(row["referral_id"], {}).setdefault(name, []).append(row)
                    element = _child_element(
                        child, referrals.take(child_id), by_referral, la, census, schema_year, approximate
                    )
                    where = f"/Message/Children/Child[{number}]"
                    if isinstance(element, str):  # the reason it could not be made
                        field = "birth_month" if element.startswith("birth_month") else "date_of_birth"
                        problems.append(
                            FormatIssue(
                                "children", f"child_id {child_id}", field, "CIN census PersonBirthDate", element
                            )
                        )
                        continue
                    for problem in check_element(element, schema, schema_year):
                        problems.append(
                            FormatIssue(
                                path.name,
                                f"child_id {child_id} {where}{problem.path[len('/Child') :]}",
                                problem.field,
                                problem.rule,
                                problem.message,
                            )
                        )
                    xf.write(element, pretty_print=True)
                    written += 1
    return problems, written


def _version() -> str:
    from earlyhelp import __version__

    return __version__
