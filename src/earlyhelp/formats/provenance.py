"""Map each row ``ingest`` wrote back to the analyst's own file, line and child.

The readers stream their files into EHLD rows and keep no line numbers, so this reads the same
source files again, once ingest has written its tables (after children with problems were left
out and several censuses merged), and places every EHLD row by what both sides hold: the child
(``child_id`` is ``<la_code>-<the LA's own id>`` for every format) and the dates that name a
record (a referral's ``CINreferralDate``, an assessment's, plan's or enquiry's start date, an
SSDA903 episode's ``DECOM``, an SSD referral's own id). A row that cannot be placed more closely
is placed at its child. Where one record spans lines (CIN census and SSDA903 XML), each EHLD
column is also given the line of the element that holds its value.
The sidecars are written by :func:`earlyhelp.validate.provenance.write_sidecars`.

Only keys and line numbers are kept (in a SQLite file beside the tables, deleted once the
sidecar is written), never identifiers.
"""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from earlyhelp.errors import DataError
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


def _column_lines(table: str, lines: dict[str, int]) -> str:
    """``column=line;...`` for the EHLD columns of ``table`` whose element ``lines`` holds."""
    found: dict[str, int] = {}
    for name, column in _COLUMN_OF[table].items():
        if name in lines:
            found.setdefault(column, lines[name])
    return ";".join(f"{column}={line}" for column, line in sorted(found.items()))


class SourceIndex:
    """Key -> (file number, line, column lines) for every child and record of the files read.

    Held in a SQLite file in ``work_dir``, not in memory: ingest streams a national census in
    flat memory, and an entry per record would make it grow with the file. Close it (or use it
    as a context manager) to delete the file.
    """

    BATCH = 10_000

    def __init__(self, work_dir: Path) -> None:
        self.files: list[str] = []
        self._path = Path(tempfile.mkstemp(prefix=".provenance-", suffix=".sqlite", dir=work_dir)[1])
        self._db = sqlite3.connect(self._path)
        # A scratch file deleted at the end: no journal, no waiting for the disk.
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute(
            "CREATE TABLE places (key TEXT PRIMARY KEY, file INTEGER, line INTEGER, column_lines TEXT) WITHOUT ROWID"
        )
        self._pending: list[tuple[str, int, int, str]] = []

    def __enter__(self) -> SourceIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()
        self._path.unlink(missing_ok=True)

    def file(self, path: Path) -> int:
        self.files.append(path.name)
        return len(self.files) - 1

    def add(self, key: str, file: int, line: int | None, column_lines: str = "") -> None:
        if line is None:
            return
        self._pending.append((key, file, line, column_lines))
        if len(self._pending) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        # The first place wins: an episode open at 31 March is in the next census too, and the
        # earlier census is where it was first written.
        self._db.executemany("INSERT OR IGNORE INTO places VALUES (?, ?, ?, ?)", self._pending)
        self._db.commit()
        self._pending.clear()

    def source(self, key: str, child: str | None) -> Source | None:
        if self._pending:
            self._flush()
        place = self._db.execute("SELECT file, line, column_lines FROM places WHERE key = ?", (key,)).fetchone()
        return None if place is None else Source(self.files[place[0]], place[1], child, place[2])


def index_cin(paths: list[Path], index: SourceIndex, la_code: str | None) -> None:
    """Every <Child>, <CINdetails> and block of the CIN census files, by child and dates. A file
    cut short is indexed up to where it breaks (the reader read, and --skip-invalid kept, that much)."""
    for path in paths:
        file = index.file(path)
        la = la_code
        try:
            # Only these two tags reach Python: walking every element's event would double ingest's time.
            for _, element in safe_iterparse(path, events=("end",), tag=("{*}LEA", "{*}Child")):
                name = _local(element.tag)
                if name == "LEA" and la_code is None:
                    la = la_codes.dfe_to_ons().get((element.text or "").strip())
                elif name == "Child":
                    if la is not None:
                        _index_child(element, index, file, la)
                    _forget(element)
        except etree.XMLSyntaxError:
            continue


def _forget(element: etree._Element) -> None:
    """Free a streamed element and the siblings before it, so memory stays flat."""
    element.clear()
    while element.getprevious() is not None:
        parent = element.getparent()
        if parent is None:
            break
        del parent[0]


# The elements walked in a <Child>: only these reach Python (lxml filters the rest in C).
_KEY_ELEMENTS = frozenset({"CINreferralDate", *(date for _, date in CIN_BLOCKS.values())})
_WALKED = tuple(f"{{*}}{name}" for name in sorted(_MAPPED | _KEY_ELEMENTS | {"CINdetails", "LAchildID", *CIN_BLOCKS}))


@dataclass
class _Record:
    """One CINdetails or block being read: its element, its values' lines, its key dates."""

    table: str
    element: etree._Element
    referral: _Record | None = None  # a block's CINdetails
    lines: dict[str, int] = field(default_factory=dict)
    dates: dict[str, str] = field(default_factory=dict)


def _index_child(child: etree._Element, index: SourceIndex, file: int, la: str) -> None:
    local_id = ""
    own: dict[str, int] = {}
    records: list[_Record] = []
    details: _Record | None = None
    block: _Record | None = None
    for node in child.iter(*_WALKED):
        name = _local(node.tag)
        parent = node.getparent()
        if name == "CINdetails":
            details, block = _Record("referrals", node), None
            records.append(details)
        elif details is not None and name in CIN_BLOCKS and parent is details.element:
            block = _Record(CIN_BLOCKS[name][0], node, details)
            records.append(block)
        elif details is None:
            if name == "LAchildID":
                local_id = (node.text or "").strip()
            elif node.sourceline is not None:
                own.setdefault(name, node.sourceline)
        else:
            # A value belongs to the block or CINdetails it sits directly in.
            record = block if block is not None and parent is block.element else details
            if parent is not record.element:
                continue
            if node.sourceline is not None:
                record.lines.setdefault(name, node.sourceline)
            if name in _KEY_ELEMENTS:
                record.dates.setdefault(name, (node.text or "").strip())
    if not local_id:
        return
    child_id = f"{la}-{local_id}"
    # One entry for the child's own rows (children, person_identifiers): their columns differ.
    lines = ";".join(filter(None, (_column_lines(table, own) for table in ("children", "person_identifiers"))))
    index.add(_key("child", child_id), file, child.sourceline, lines)
    for record in records:
        if record.referral is None:
            key = _key("referrals", child_id, record.dates.get("CINreferralDate", ""))
        else:
            referral_date = record.referral.dates.get("CINreferralDate", "")
            start = record.dates.get(CIN_BLOCKS[_local(record.element.tag)][1], "")
            key = _key(record.table, child_id, referral_date, start)
        index.add(key, file, record.element.sourceline, _column_lines(record.table, record.lines))


def _iso(text: str) -> str:
    try:
        return dt.datetime.strptime(text, "%d/%m/%Y").date().isoformat()
    except ValueError:
        return text


def index_ssda903(group: Detected, index: SourceIndex, la_code: str | None) -> None:
    """The SSDA903 header (a child per row) and episodes (an episode per row, by DECOM)."""
    if la_code is None:
        return
    if group.roles.get("xml") is not None:
        index_ssda903_xml(group.roles["xml"], index, la_code)
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


# SSDA903 XML element -> EHLD column, for the child's rows and for an episode.
SSDA903_HEADER_COLUMNS = {
    "SEX": ("sex",),
    "DOB": ("birth_month", "date_of_birth"),
    "ETHNIC": ("ethnicity",),
    "UPN": ("upn",),
    "MOTHER": ("mother",),
}
SSDA903_EPISODE_COLUMNS = {
    "DECOM": "start_date",
    "RNE": "reason_new_episode",
    "LS": "legal_status",
    "CIN": "category_of_need",
    "PL": "placement",
    "DEC": "end_date",
    "REC": "reason_ceased",
    "PLACE_PROVIDER": "placement_provider",
    "REASON_PLACE_CHANGE": "reason_place_change",
    "URN": "urn",
}


def index_ssda903_xml(path: Path, index: SourceIndex, la_code: str) -> None:
    """The XML form: each <CHILD>'s <HEADER> and <EPISODE>s, with each field's line."""
    file = index.file(path)
    for _, child in safe_iterparse(path, events=("end",), tag="{*}CHILD"):
        header = next((e for e in child if _local(e.tag) == "HEADER"), None)
        local_id = _child_text(header, "CHILDID") if header is not None else ""
        if header is not None and local_id:
            child_id = f"{la_code}-{local_id}"
            lines = [
                f"{column}={field.sourceline}"
                for field in header
                for column in SSDA903_HEADER_COLUMNS.get(_local(field.tag), ())
                if field.sourceline is not None
            ]
            index.add(_key("child", child_id), file, header.sourceline, ";".join(lines))
            for episode in child:
                if _local(episode.tag) != "EPISODE":
                    continue
                fields = {_local(field.tag): field for field in episode}
                columns = ";".join(
                    f"{SSDA903_EPISODE_COLUMNS[name]}={field.sourceline}"
                    for name, field in fields.items()
                    if name in SSDA903_EPISODE_COLUMNS and field.sourceline is not None
                )
                decom = _iso((fields["DECOM"].text or "").strip()) if "DECOM" in fields else ""
                index.add(_key("looked_after_episodes", child_id, decom), file, episode.sourceline, columns)
        _forget(child)


def index_ssd(group: Detected, index: SourceIndex, la_code: str | None) -> None:
    """The SSD's ssd_person (each child's row) and ssd_cin_episodes (each referral's, by its id);
    the rows of the other tables are placed at their child. CSV extracts only: a Parquet extract
    has rows, not lines."""
    if la_code is None:
        return
    person, episodes = group.roles.get("ssd_person"), group.roles.get("ssd_cin_episodes")
    if person is not None and person.suffix.lower() == ".csv":
        file = index.file(person)
        for number, row in textfile.rows(person, normalise=str.lower):
            if row.get("pers_person_id"):
                index.add(_key("child", f"{la_code}-{row['pers_person_id']}"), file, number)
    if episodes is not None and episodes.suffix.lower() == ".csv":
        file = index.file(episodes)
        for number, row in textfile.rows(episodes, normalise=str.lower):
            if row.get("cine_person_id") and row.get("cine_referral_id"):
                child_id = f"{la_code}-{row['cine_person_id']}"
                index.add(_key("referral_id", child_id, row["cine_referral_id"]), file, number)


# What a source file may raise on a second reading: the reader has already said what is wrong.
UNREADABLE = (etree.XMLSyntaxError, OSError, UnicodeError, ValueError, csv.Error, DataError)
MAPPED_FORMATS = (Format.CIN_XML, Format.SSDA903, Format.SSD)


def build_index(groups: list[Detected], la_code: str | None, work_dir: Path) -> SourceIndex:
    """The index of the source files of ``groups`` (EHLD tables copied as they are are their
    own source), kept in ``work_dir`` until closed."""
    index = SourceIndex(work_dir)
    try:
        for group in groups:
            try:
                if group.format == Format.CIN_XML:
                    index_cin([p for p in group.files if p.suffix.lower() == ".xml"], index, la_code)
                elif group.format == Format.SSDA903:
                    index_ssda903(group, index, la_code)
                elif group.format == Format.SSD:
                    index_ssd(group, index, la_code)
            except UNREADABLE:
                # What the reader read of a broken file (--skip-invalid keeps the children before a
                # file is cut short) is placed; the rest is placed at no line rather than stop ingest.
                continue
    except BaseException:
        index.close()
        raise
    return index


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
    if table == "referrals":  # an SSD referral, by its own id
        keys.append(_key("referral_id", child_id, cell("referral_id")))
    elif table == "looked_after_episodes":
        keys.append(_key(table, child_id, cell("start_date")))
    keys.append(_key("child", child_id))
    return keys
