"""Map each row ``ingest`` wrote back to the analyst's own file, line and child.

The readers stream their files into EHLD rows and keep no line numbers, so this reads the same
source files again, once ingest has written its tables (after children with problems were left
out and several censuses merged), and places every EHLD row by what both sides hold: the child
(``child_id`` is ``<la_code>-<the LA's own id>`` for every format) and the dates that name a
record (a referral's ``CINreferralDate``, an assessment's, plan's or enquiry's start date, an
SSDA903 episode's ``DECOM``). A row that cannot be placed more closely is placed at its child.
The sidecars are written by :func:`earlyhelp.validate.provenance.write_sidecars`.

Only keys and line numbers are held in memory (about 100 bytes per record), never identifiers.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path

from lxml import etree

from earlyhelp.formats import la_codes, textfile
from earlyhelp.formats.readers import Detected, Format, safe_iterparse
from earlyhelp.validate.provenance import Source

# CIN census block -> (EHLD table, the element giving its start date), within a CINdetails.
CIN_BLOCKS = {
    "Assessments": ("assessments", "AssessmentActualStartDate"),
    "CINPlanDates": ("cin_plans", "CINPlanStartDate"),
    "Section47": ("s47_enquiries", "S47ActualStartDate"),
    "ChildProtectionPlans": ("cp_plans", "CPPstartDate"),
}
# EHLD column -> the CIN census element holding it, per table, so that a finding on one value
# names that value's line (a CIN record spans many lines).
CIN_ELEMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "children": {
        "birth_month": ("PersonBirthDate", "ExpectedPersonBirthDate"),
        "sex": ("Sex", "GenderCurrent"),
        "ethnicity": ("Ethnicity",),
        "disabled": ("Disabilities",),
    },
    "person_identifiers": {"upn": ("UPN",), "date_of_birth": ("PersonBirthDate",)},
    "referrals": {
        "referral_date": ("CINreferralDate",),
        "referral_source": ("ReferralSource",),
        "primary_need": ("PrimaryNeedCode",),
        "referral_nfa": ("ReferralNFA",),
        "closure_date": ("CINclosureDate",),
        "closure_reason": ("ReasonForClosure",),
    },
    "assessments": {
        "start_date": ("AssessmentActualStartDate",),
        "authorisation_date": ("AssessmentAuthorisationDate",),
        "factors": ("FactorsIdentifiedAtAssessment",),
    },
    "cin_plans": {"start_date": ("CINPlanStartDate",), "end_date": ("CINPlanEndDate",)},
    "s47_enquiries": {
        "start_date": ("S47ActualStartDate",),
        "icpc_date": ("DateOfInitialCPC",),
        "icpc_not_required": ("ICPCnotRequired",),
    },
    "cp_plans": {
        "start_date": ("CPPstartDate",),
        "end_date": ("CPPendDate",),
        "initial_category": ("InitialCategoryOfAbuse",),
        "previous_plans": ("NumberOfPreviousCPP",),
    },
}
# EHLD tables whose rows sit under a referral (referral_id), placed at the block of their start date.
UNDER_REFERRAL = {table for table, _ in CIN_BLOCKS.values()}


def _key(*parts: str) -> str:
    # One string per key, as EHLDWriter keeps its keys: tuples would double the memory.
    return "\x1f".join(parts)


def _local(tag: object) -> str:
    if not isinstance(tag, str):  # a comment or processing instruction
        return ""
    return tag[tag.index("}") + 1 :] if tag.startswith("{") else tag


def _child_text(element: etree._Element, name: str) -> str:
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


# Per table, CIN element name -> EHLD column; and every element name any table maps.
_COLUMN_OF = {
    table: {name: column for column, names in m.items() for name in names} for table, m in CIN_ELEMENTS.items()
}
_MAPPED = frozenset(name for names in _COLUMN_OF.values() for name in names)


def _element_lines(element: etree._Element, skip: Iterable[str] = ()) -> dict[str, int]:
    """Element name -> line of its first occurrence in ``element``'s subtree, for the names
    :data:`CIN_ELEMENTS` maps, leaving out the subtrees of ``skip`` elements (a child's own
    fields, not its referrals')."""
    lines: dict[str, int] = {}
    for part in element:
        if _local(part.tag) in skip:
            continue
        for node in part.iter():
            name = _local(node.tag)
            if name in _MAPPED and name not in lines and node.sourceline is not None:
                lines[name] = node.sourceline
    return lines


def _column_lines(table: str, lines: dict[str, int]) -> str:
    """``column=line;...`` for the EHLD columns of ``table`` whose element ``lines`` holds."""
    found: dict[str, int] = {}
    for name, column in _COLUMN_OF[table].items():
        if name in lines:
            found.setdefault(column, lines[name])
    return ";".join(f"{column}={line}" for column, line in sorted(found.items()))


class SourceIndex:
    """Key -> (file number, line, column lines) for every child and record of the files read."""

    def __init__(self) -> None:
        self.files: list[str] = []
        self.places: dict[str, tuple[int, int, str]] = {}

    def file(self, path: Path) -> int:
        self.files.append(path.name)
        return len(self.files) - 1

    def add(self, key: str, file: int, line: int | None, column_lines: str = "") -> None:
        # The first place wins: an episode open at 31 March is in the next census too, and the
        # earlier census is where it was first written.
        if line is not None and key not in self.places:
            self.places[key] = (file, line, column_lines)

    def source(self, key: str, child: str | None) -> Source | None:
        place = self.places.get(key)
        return None if place is None else Source(self.files[place[0]], place[1], child, place[2])


def index_cin(paths: list[Path], index: SourceIndex, la_code: str | None) -> None:
    """Every <Child>, <CINdetails> and block of the CIN census files, by child and dates."""
    for path in paths:
        file = index.file(path)
        la = la_code
        # Only these two tags reach Python: walking every element's event would double ingest's time.
        for _, element in safe_iterparse(path, events=("end",), tag=("{*}LEA", "{*}Child")):
            name = _local(element.tag)
            if name == "LEA" and la_code is None:
                la = la_codes.dfe_to_ons().get((element.text or "").strip())
            elif name == "Child":
                if la is not None:
                    _index_child(element, index, file, la)
                element.clear()
                while element.getprevious() is not None:
                    parent = element.getparent()
                    if parent is None:
                        break
                    del parent[0]


def _index_child(child: etree._Element, index: SourceIndex, file: int, la: str) -> None:
    identifiers = next((e for e in child if _local(e.tag) == "ChildIdentifiers"), None)
    local_id = _child_text(identifiers, "LAchildID") if identifiers is not None else ""
    if not local_id:
        return
    child_id = f"{la}-{local_id}"
    index.add(_key("child", child_id), file, child.sourceline)
    own = _element_lines(child, skip=("CINdetails",))
    for table in ("children", "person_identifiers"):
        index.add(_key(table, child_id), file, child.sourceline, _column_lines(table, own))
    for details in child:
        if _local(details.tag) != "CINdetails":
            continue
        referral_date = _child_text(details, "CINreferralDate")
        index.add(
            _key("referrals", child_id, referral_date),
            file,
            details.sourceline,
            _column_lines("referrals", _element_lines(details, skip=CIN_BLOCKS)),
        )
        for block in details:
            table_and_date = CIN_BLOCKS.get(_local(block.tag))
            if table_and_date:
                table, date_element = table_and_date
                start = _child_text(block, date_element)
                index.add(
                    _key(table, child_id, referral_date, start),
                    file,
                    block.sourceline,
                    _column_lines(table, _element_lines(block)),
                )


def _iso(text: str) -> str:
    try:
        return dt.datetime.strptime(text, "%d/%m/%Y").date().isoformat()
    except ValueError:
        return text


def index_ssda903(group: Detected, index: SourceIndex, la_code: str | None) -> None:
    """The SSDA903 header (a child per row) and episodes (an episode per row, by DECOM)."""
    if la_code is None:
        return
    header, episodes = group.roles.get("header"), group.roles.get("episodes")
    if header is not None:
        file = index.file(header)
        for number, row in textfile.rows(header, normalise=str.upper):
            if row.get("CHILD"):
                index.add(_key("child", f"{la_code}-{row['CHILD']}"), file, number)
    if episodes is not None:
        file = index.file(episodes)
        for number, row in textfile.rows(episodes, normalise=str.upper):
            if row.get("CHILD"):
                child_id = f"{la_code}-{row['CHILD']}"
                index.add(_key("looked_after_episodes", child_id, _iso(row.get("DECOM", ""))), file, number)
                index.add(_key("child", child_id), file, number)  # a child missing from the header


def index_ssd(group: Detected, index: SourceIndex, la_code: str | None) -> None:
    """The SSD's ssd_person: each child's row (the other tables are placed at the child)."""
    person = group.roles.get("ssd_person")
    if la_code is None or person is None:
        return
    file = index.file(person)
    for number, row in textfile.rows(person, normalise=str.lower):
        if row.get("pers_person_id"):
            index.add(_key("child", f"{la_code}-{row['pers_person_id']}"), file, number)


def build_index(groups: list[Detected], la_code: str | None) -> SourceIndex | None:
    """The index of the source files of ``groups``; None when none is a format mapped back
    (EHLD tables copied as they are are their own source)."""
    index = SourceIndex()
    mapped = False
    for group in groups:
        if group.format == Format.CIN_XML:
            index_cin([p for p in group.files if p.suffix.lower() == ".xml"], index, la_code)
        elif group.format == Format.SSDA903:
            index_ssda903(group, index, la_code)
        elif group.format == Format.SSD:
            index_ssd(group, index, la_code)
        else:
            continue
        mapped = True
    return index if mapped else None


def _referral_date(referral_id: str, child_id: str) -> str:
    """The CIN reader names a referral ``<child_id>-R<CINreferralDate>`` (see formats.cin_xml)."""
    stem = f"{child_id}-R"
    return referral_id[len(stem) : len(stem) + 10] if referral_id.startswith(stem) else ""


def place_rows(folder: Path, tables: list[str], index: SourceIndex) -> Iterator[tuple[str, int, Source]]:
    """(table, EHLD line, source) for every row of ``tables`` in ``folder`` the index places."""
    for table in tables:
        path = folder / f"{table}.csv"
        if not path.is_file():
            continue
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            column = {name: i for i, name in enumerate(header)}
            child_at = column.get("child_id", column.get("source_record_id"))
            la_at = column.get("la_code")
            if child_at is None:
                continue
            for line, row in enumerate(reader, start=2):
                child_id = row[child_at]
                la = row[la_at] if la_at is not None else child_id.split("-", 1)[0]
                local_id = child_id.removeprefix(f"{la}-")
                for key in _keys(table, row, column, child_id):
                    source = index.source(key, local_id)
                    if source is not None:
                        yield table, line, source
                        break


def _keys(table: str, row: list[str], column: dict[str, int], child_id: str) -> list[str]:
    """The keys that may place a row, closest first, ending with its child."""

    def cell(name: str) -> str:
        return row[column[name]] if name in column else ""

    keys = []
    if table == "referrals":
        keys.append(_key("referrals", child_id, cell("referral_date")))
    elif table in UNDER_REFERRAL:
        referral_date = _referral_date(cell("referral_id"), child_id)
        keys += [_key(table, child_id, referral_date, cell("start_date")), _key("referrals", child_id, referral_date)]
    elif table == "looked_after_episodes":
        keys.append(_key(table, child_id, cell("start_date")))
    elif table in ("children", "person_identifiers"):
        keys.append(_key(table, child_id))
    keys.append(_key("child", child_id))
    return keys
