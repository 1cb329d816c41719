"""The SSDA903 return in its XML form -> EHLD, into the same tables as its CSV form.

The XML form (root ``<EXPSSDA903>``, what case-management systems export and the DfE's
validator also takes) holds one ``<CHILD>`` per child: a ``<HEADER>`` with the header's fields
(``CHILDID`` for CHILD) and the child's other tables (``<AREVIEW>`` reviews, ``<AMISSING>``,
``<OC2>``, ``<PERMANENCE>``, ``<AD_PLACED>``, and UASC, OC3 and AD1 fields directly in the
header), then one ``<EPISODE>`` per episode (``PL`` for PLACE). Dates are ``dd/mm/YYYY`` as in
the CSVs. Header and episodes are read exactly as the CSV form's (``ssda903.parse_header``,
``parse_episode``), identifiers going to the identity zone; every other element is counted, per
table and element, as read but not kept (``NotPlaced``), never quoted.

The file is streamed one ``<CHILD>`` at a time with the safe parser settings every input gets
(``SAFE_XML_OPTIONS``: no entity replaced, no DTD loaded, no network); a file that declares a
DTD is refused. A problem is placed by line and path (``line 1 /EXPSSDA903/CHILD[12]/EPISODE[2]/DECOM``:
exports often put the whole file on one line) and names the child by its CHILDID.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

from lxml import etree

from earlyhelp.formats.ehld_out import EHLDWriter
from earlyhelp.formats.issues import FormatIssue
from earlyhelp.formats.readers import ReadResult, safe_iterparse
from earlyhelp.formats.ssda903 import (
    EPISODE_FIELDS_KEPT,
    HEADER_FIELDS_KEPT,
    XML_ROOT,
    parse_episode,
    parse_header,
    write_episode,
)
from earlyhelp.formats.ssda903_other import KEPT_FROM_THE_HEADER, OTHER_TABLES, NotPlacedCounter
from earlyhelp.formats.textfile import MAX_FIELD_CHARACTERS, SHOWN_CHILD_ID_CHARACTERS

# The XML form's names for fields the CSV form names otherwise.
XML_NAMES = {"CHILDID": "CHILD", "PL": "PLACE"}
CSV_NAMES = {csv: xml for xml, csv in XML_NAMES.items()}
# Blocks of <HEADER> that hold one row of another SSDA903 table each (the DfE validator's reading).
BLOCK_TABLES = {
    "AREVIEW": "reviews",
    "AMISSING": "missing",
    "OC2": "oc2",
    "PERMANENCE": "previous_permanence",
    "AD_PLACED": "placed_for_adoption",
}
# Fields of the other tables that sit directly in <HEADER> (UASC, OC3, AD1), and the table of
# any other table's field met elsewhere.
FIELD_TABLES = {
    column: table.part for table in OTHER_TABLES for column in table.columns if column not in KEPT_FROM_THE_HEADER
} | {"UASC": "uasc"}
UNKNOWN_PART = "not an SSDA903 field"


def read_ssda903_xml(path: Path, out: EHLDWriter, *, la_code: str) -> ReadResult:
    """Stream one SSDA903 XML file into ``out``; a child with a problem is not written."""
    name = path.name
    issues: list[FormatIssue] = []
    not_placed = NotPlacedCounter(name)
    seen: set[str] = set()
    try:
        root = next(safe_iterparse(path, events=("start",)))[1]
        if root.getroottree().docinfo.doctype:
            # Only a DTD can declare entities (external files, entity bombs): a 903 file has none.
            issues.append(
                FormatIssue(
                    name,
                    "line 1",
                    "DOCTYPE",
                    "no DTD in an SSDA903 file",
                    "the file declares a DTD (<!DOCTYPE ...>), which SSDA903 files do not have; "
                    "earlyhelp reads no DTD and replaces no entity",
                )
            )
            return ReadResult.of_issues(issues)
        number = skipped = 0
        for _, element in safe_iterparse(path, events=("end",)):
            parent = element.getparent()
            if parent is None or parent.getparent() is not None:
                continue  # only the root's children: a <CHILD> is read whole, once it has ended
            if element.tag == "CHILD":
                number += 1
                if not _read_child(element, number, name, la_code, out, issues, not_placed, seen):
                    skipped += 1
            elif isinstance(element.tag, str):
                for leaf in _leaves(element):
                    not_placed.add(UNKNOWN_PART, _path_below(leaf, parent), leaf.text)
            # Free what is done: the element and every sibling already read.
            element.clear(keep_tail=False)
            while element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as error:
        issues.append(
            FormatIssue(
                name, f"line {error.lineno}", "", "well-formed XML", f"the file is not well-formed XML: {error.msg}"
            )
        )
        return ReadResult(issues=issues, issue_count=len(issues), not_placed=not_placed.counted())
    if number == 0:
        issues.append(FormatIssue(name, "", "CHILD", "a child in the return", f"<{XML_ROOT}> holds no <CHILD>"))
    return ReadResult(issues=issues, issue_count=len(issues), skipped_children=skipped, not_placed=not_placed.counted())


def _read_child(
    element: etree._Element,
    number: int,
    file: str,
    la_code: str,
    out: EHLDWriter,
    issues: list[FormatIssue],
    not_placed: NotPlacedCounter,
    seen: set[str],
) -> bool:
    """Read one <CHILD> into ``out``; False (and its problems in ``issues``) when it is left out."""
    top = f"/{XML_ROOT}/CHILD[{number}]"
    problems: list[FormatIssue] = []
    headers = element.findall("HEADER")
    header_element = headers[0] if headers else None
    header = _fields(header_element, element, top, problems, file) if header_element is not None else {}
    child = header.get("CHILD", "")
    named = f" (child CHILDID {child})" if child and len(child) <= SHOWN_CHILD_ID_CHARACTERS else ""

    def where_in(block: etree._Element | None):
        def where(field: str) -> str:
            xml_field = CSV_NAMES.get(field, field)
            found = block.find(xml_field) if block is not None else None
            place = found if found is not None else (block if block is not None else element)
            return _where(place, element, top)

        return where

    if header_element is None or len(headers) > 1:
        problems.append(
            FormatIssue(
                file,
                _where(element if header_element is None else headers[1], element, top),
                "HEADER",
                "one HEADER per CHILD",
                f"a <CHILD> has {len(headers)} <HEADER> elements, not one{named}",
            )
        )
    record = None
    if header_element is not None:
        record = parse_header(header, la_code, file, where_in(header_element), problems, child_field="CHILDID")
    if child and child in seen:
        problems.append(
            FormatIssue(
                file,
                where_in(header_element)("CHILD"),
                "CHILDID",
                "unique",
                f"this CHILDID is in an earlier <CHILD>{named}",
            )
        )
    episodes: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for episode_element in element.findall("EPISODE"):
        row = _fields(episode_element, element, top, problems, file) | {"CHILD": child}
        parsed = parse_episode(row, la_code, file, where_in(episode_element), problems, place_field="PL")
        if parsed is not None:
            episodes.append(parsed)
    _count_not_placed(element, not_placed)
    if child:
        seen.add(child)
        problems = [replace(p, child_id=f"{la_code}-{child}") for p in problems]
    issues.extend(replace(p, message=p.message + named) if named and named not in p.message else p for p in problems)
    if problems or record is None:
        return False
    latest_home: tuple[dt.date, str] | None = None
    for episode, postcodes in episodes:
        home = postcodes.get("home_postcode")
        if home and (latest_home is None or episode["start_date"] >= latest_home[0]):
            latest_home = (episode["start_date"], home)
    out.add("children", record.child)
    out.add("person_identifiers", record.identity | {"postcode": latest_home[1] if latest_home else None})
    for episode, postcodes in episodes:
        write_episode(out, episode, postcodes, record.mother_child_dob)
    return True


def _fields(
    block: etree._Element, child: etree._Element, top: str, problems: list[FormatIssue], file: str
) -> dict[str, str]:
    """The text of ``block``'s leaf elements, under their CSV names (the first of a repeated one)."""
    fields: dict[str, str] = {}
    for element in block:
        if not isinstance(element.tag, str) or len(element):
            continue
        text = (element.text or "").strip()
        if len(text) > MAX_FIELD_CHARACTERS:
            problems.append(
                FormatIssue(
                    file,
                    _where(element, child, top),
                    element.tag,
                    f"at most {MAX_FIELD_CHARACTERS:,} characters",
                    f"<{element.tag}> holds {len(text):,} characters, more than the {MAX_FIELD_CHARACTERS:,} "
                    "earlyhelp reads in one field",
                )
            )
            text = ""
        fields.setdefault(XML_NAMES.get(element.tag, element.tag), text)
    return fields


def _count_not_placed(child: etree._Element, not_placed: NotPlacedCounter) -> None:
    """Count every leaf of a <CHILD> that is not one of the header's or an episode's kept fields."""
    for leaf in _leaves(child):
        if leaf is child:
            continue  # an empty <CHILD>: reported as having no <HEADER>
        parent = leaf.getparent()
        assert parent is not None  # a leaf below <CHILD>
        csv_name = XML_NAMES.get(str(leaf.tag), str(leaf.tag))
        if parent.tag == "HEADER" and parent.getparent() is child:
            if csv_name in HEADER_FIELDS_KEPT:
                continue
            not_placed.add(FIELD_TABLES.get(csv_name, UNKNOWN_PART), csv_name, leaf.text)
        elif parent.tag == "EPISODE" and parent.getparent() is child:
            if csv_name in EPISODE_FIELDS_KEPT:
                continue
            not_placed.add(UNKNOWN_PART, f"EPISODE/{csv_name}", leaf.text)
        elif parent.tag in BLOCK_TABLES and parent.getparent() is not None and parent.getparent().tag == "HEADER":
            not_placed.add(BLOCK_TABLES[str(parent.tag)], csv_name, leaf.text)
        else:
            not_placed.add(UNKNOWN_PART, _path_below(leaf, child), leaf.text)


def _leaves(element: etree._Element):
    """The elements below (or, when it has none, the element itself) that hold a value."""
    return (e for e in element.iter() if isinstance(e.tag, str) and len(e) == 0)


def _path_below(element: etree._Element, top: etree._Element) -> str:
    """The tags from below ``top`` down to ``element``: ``HEADER/FOO``."""
    tags = []
    while element is not None and element is not top:
        tags.append(str(element.tag))
        element = element.getparent()
    return "/".join(reversed(tags))


def _where(element: etree._Element, top: etree._Element, top_path: str) -> str:
    """``line N`` and ``top_path`` followed by the path of ``element`` inside ``top``."""
    tree = top.getroottree()
    inner = tree.getpath(element)[len(tree.getpath(top)) :]
    return f"line {element.sourceline} {top_path}{inner}"
