"""The CIN census XML schema (XSD), applied one <Child> at a time so that files stream.

The published schema describes a whole <Message>; validating a 500,000-child document in one
piece would need the whole tree in memory. We add global declarations of <Header> and <Child>
(same types as in the schema) and validate each element as it is parsed, so every order and type
rule of the XSD is still checked, with the line number of the offending element.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from lxml import etree

from earlyhelp.formats.readers import SAFE_XML_OPTIONS
from earlyhelp.privacy import mask

XS = "http://www.w3.org/2001/XMLSchema"

# Collection years whose schema ships in schemas/ (see SOURCES.md). 2024: GenderCurrent 0/1/2/9;
# 2025 and 2026: Sex M/F/U and ReferralNFA/ICPCnotRequired only 0/1.
SCHEMA_YEARS = (2024, 2025, 2026)
LATEST_SCHEMA_YEAR = 2026

# Blocks from newer collections that no shipped schema describes; readers drop them before the
# schema check (the 2026-27 pre-proceedings and family group decision making module).
TOLERATED_BLOCKS = ("PreProceedingsandFGDM",)

# Elements whose values are direct identifiers: masked in every message.
IDENTIFIER_ELEMENTS = frozenset({"UPN", "FormerUPN", "PersonBirthDate", "ExpectedPersonBirthDate", "PersonDeathDate"})


def _schema_document(year: int) -> etree._Element:
    if year not in SCHEMA_YEARS:
        raise ValueError(f"no CIN census schema for {year}; known: {SCHEMA_YEARS}")
    source = resources.files("earlyhelp.formats").joinpath(f"schemas/CIN_schema_{year}.xsd")
    # The shipped schemas are ours, but parsed as safely as any input (no entities, no network).
    return etree.fromstring(source.read_bytes(), etree.XMLParser(**SAFE_XML_OPTIONS))


@cache
def date_elements() -> frozenset[str]:
    """The elements any shipped schema types as ``xs:date`` (ReferenceDate, CINreferralDate ...)."""
    return frozenset(
        element.get("name")
        for year in SCHEMA_YEARS
        for element in _schema_document(year).iter(f"{{{XS}}}element")
        if element.get("type") == "xs:date"
    )


@cache
def load_schema(year: int) -> etree.XMLSchema:
    document = _schema_document(year)
    for name, type_name in (("Header", "headertype"), ("Child", "childtype")):
        etree.SubElement(document, f"{{{XS}}}element", name=name, type=type_name)
    return etree.XMLSchema(document)


@dataclass(frozen=True)
class SchemaProblem:
    line: int
    # Path inside the checked element, e.g. /Child/CINdetails[2]/ReferralNFA
    path: str
    field: str
    message: str
    rule: str


_QUOTED = re.compile(r"'([^']*)'")


_LONG_SET = re.compile(r"\{[^}]{80,}\}")


def _clean_message(message: str, element: etree._Element | None) -> str:
    """lxml's message, with any identifier value replaced by its mask and long code lists cut."""
    message = _LONG_SET.sub("{...}", message.strip()).replace(
        "is not an element of the set {...}", "is not in the schema's code list"
    )
    if element is None or element.tag not in IDENTIFIER_ELEMENTS:
        return message
    value = (element.text or "").strip()

    def replace(match: re.Match[str]) -> str:
        return mask(match.group(1)) if match.group(1) == value or match.group(1) == element.text else match.group(0)

    return _QUOTED.sub(replace, message)


def check_element(element: etree._Element, schema: etree.XMLSchema) -> list[SchemaProblem]:
    """Every XSD problem of one <Header> or <Child>, identifiers masked."""
    if schema.validate(element):
        return []
    problems = []
    for error in schema.error_log:
        path = error.path or ""
        relative = "." + path[len("/" + element.tag) :] if path.startswith("/" + element.tag) else None
        found = None
        if relative:
            try:
                matches = element.xpath(relative) if relative != "." else [element]
                found = matches[0] if matches else None
            except etree.XPathError:
                found = None
        field = path.rsplit("/", 1)[-1].split("[", 1)[0] if path else ""
        problems.append(
            SchemaProblem(
                line=error.line,
                path=path,
                field=field,
                message=_clean_message(error.message, found),
                rule=f"XSD {error.type_name}",
            )
        )
    return problems
