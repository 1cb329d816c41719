"""The CIN census XML schema (XSD), applied one <Child> at a time so that files stream.

The published schema describes a whole <Message>; validating a 500,000-child document in one
piece would need the whole tree in memory. We add global declarations of <Header> and <Child>
(same types as in the schema) and validate each element as it is parsed, so every order and type
rule of the XSD is still checked, with the line number of the offending element.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from lxml import etree

from earlyhelp.formats.readers import SAFE_XML_OPTIONS
from earlyhelp.formats.xsd_messages import IDENTIFIER_ELEMENTS, model_for, translate

__all__ = ["IDENTIFIER_ELEMENTS", "SchemaProblem", "check_element", "date_elements", "load_schema", "schema_document"]

XS = "http://www.w3.org/2001/XMLSchema"

# Collection years whose schema ships in schemas/ (see SOURCES.md). 2024: GenderCurrent 0/1/2/9;
# 2025 and 2026: Sex M/F/U and ReferralNFA/ICPCnotRequired only 0/1.
SCHEMA_YEARS = (2024, 2025, 2026)
LATEST_SCHEMA_YEAR = 2026

# Blocks from newer collections that no shipped schema describes; readers drop them before the
# schema check (the 2026-27 pre-proceedings and family group decision making module).
TOLERATED_BLOCKS = ("PreProceedingsandFGDM",)


def schema_document(year: int) -> etree._Element:
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
        for element in schema_document(year).iter(f"{{{XS}}}element")
        if element.get("type") == "xs:date"
    )


@cache
def load_schema(year: int) -> etree.XMLSchema:
    document = schema_document(year)
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


def census_generation(year: int) -> str:
    """The censuses a shipped schema describes, as messages name them."""
    return "2023-24" if year == 2024 else "2024-25 onwards"


def check_element(
    element: etree._Element, schema: etree.XMLSchema, year: int = LATEST_SCHEMA_YEAR
) -> list[SchemaProblem]:
    """Every XSD problem of one <Header> or <Child> of the ``year`` schema, in plain English
    (``earlyhelp.formats.xsd_messages``), one per element and rule, identifiers never quoted."""
    if schema.validate(element):
        return []
    model = model_for(year)
    problems: list[SchemaProblem] = []
    seen: set[tuple[int, str, str]] = set()
    for error in schema.error_log:
        path = error.path or ""
        relative = "." + path[len("/" + element.tag) :] if path.startswith("/" + element.tag) else None
        found = None
        if relative:
            try:
                matches = element.xpath(relative) if relative != "." else [element]
                found = matches[0] if matches and isinstance(matches[0], etree._Element) else None
            except etree.XPathError:
                found = None
        name = path.rsplit("/", 1)[-1].split("[", 1)[0] if path else str(element.tag)
        plain = translate(
            error.type_name, error.message, error.line, found, name, model, generation=census_generation(year)
        )
        # libxml2 may say one thing twice (an empty code breaks minLength and the code list).
        key = (plain.line, plain.field, plain.message)
        if key in seen:
            continue
        seen.add(key)
        problems.append(
            SchemaProblem(line=plain.line, path=path, field=plain.field, message=plain.message, rule=plain.rule)
        )
    return problems
