"""libxml2's XML schema messages, said in plain English for the analyst who wrote the file.

libxml2 reports, for instance, "Element 'ChildIdentifiers': Character content other than
whitespace is not allowed because the content type is 'element-only'." at the line of
<ChildIdentifiers>, when the stray text is four lines further down. Each message class libxml2
raises on a CIN census (see ``RULES``) becomes one rule with one message, in the DfE validators'
style: it names the element, quotes the value unless it is (or looks like) an identifier, says
what the census expects instead (the codes the schema lists, a date written yyyy-mm-dd ...),
and points at the line of the analyst's file where the problem is.

What the census expects is read from the shipped schema itself (``SchemaModel``), so the codes
and the order of elements quoted are always those the file was checked against.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from lxml import etree

XS = "{http://www.w3.org/2001/XMLSchema}"

# Elements whose values are direct identifiers: never quoted, only their length.
IDENTIFIER_ELEMENTS = frozenset({"UPN", "FormerUPN", "PersonBirthDate", "ExpectedPersonBirthDate", "PersonDeathDate"})

# The rules, one per class of libxml2 message; the rule names are what the issue list shows.
RULES = {
    "text": "CIN schema: no text between elements",
    "missing": "CIN schema: required element",
    "unknown": "CIN schema: known elements only",
    "order": "CIN schema: order of elements",
    "repeated": "CIN schema: how often an element may appear",
    "empty": "CIN schema: value required",
    "code": "CIN schema: code list",
    "date": "CIN schema: date yyyy-mm-dd",
    "form": "CIN schema: form of the value",
    "number": "CIN schema: whole number",
    "nested": "CIN schema: a value holds no elements",
    "attribute": "CIN schema: no attributes",
    "other": "CIN schema",
}

# How the census writes a value of each built-in type, for "expected ..." in a message.
TYPE_FORMS = {
    "xs:date": "a date written yyyy-mm-dd (e.g. 2024-03-31)",
    "xs:gYear": "a year written yyyy (e.g. 2024)",
    "xs:dateTime": "a date and time written yyyy-mm-ddThh:mm:ss (e.g. 2024-05-23T11:14:05)",
    "xs:integer": "a whole number",
    "xs:positiveInteger": "a whole number, 1 or more",
    "xs:nonNegativeInteger": "a whole number, 0 or more",
    "xs:string": "text",
}
INTEGER_TYPES = frozenset({"xs:integer", "xs:positiveInteger", "xs:nonNegativeInteger"})
# What a pattern of the schema means, for the elements that have one.
PATTERN_FORMS = {
    "UPN": "a UPN (a letter, 11 digits, then a digit or a letter: 13 characters)",
    "FormerUPN": "a UPN (a letter, 11 digits, then a digit or a letter: 13 characters)",
    "LEA": "a DfE LA number (three digits, e.g. 201)",
    "SerialNo": "a serial number of three or more digits (e.g. 001)",
}
# An enumeration longer than this is quoted in part (AssessmentFactors has 44 codes).
MAX_CODES_QUOTED = 20
# A code's meaning (from the schema's annotation) is quoted when it is this short.
MAX_MEANING_CHARACTERS = 24
YES_NO_MEANINGS = {"False": "no", "True": "yes"}
# Lists this short are quoted with each code's meaning: M (male), F (female) or U (unknown).
SHORT_LIST = 3

_UPN_LIKE = re.compile(r"[A-Za-z]\d{11}[A-Za-z0-9]")
_DIGITS_LIKE = re.compile(r"[\d ]{9,}")  # NHS numbers and other long numbers
_POSTCODE_LIKE = re.compile(r"[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}")
_DATE_LIKE = re.compile(r".*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}.*")
_NAME_LIKE = re.compile(r"[A-Z][a-z]+(?:[-' ][A-Za-z][a-z]+)*")
_TOKEN = re.compile(r"[A-Za-z0-9_.:+\-/]{1,12}")
# Words a wrong code is often written as; not names, so quoted.
_COMMON_WORDS = frozenset({"true", "false", "yes", "no", "male", "female", "unknown", "none", "null", "other"})
_QUOTED = re.compile(r"'([^']*)'")


@dataclass(frozen=True)
class SimpleRule:
    """What a value of one element must be."""

    base: str  # the built-in type it restricts: xs:date, xs:string, xs:integer ...
    codes: tuple[tuple[str, str], ...] = ()  # (code, meaning)
    has_pattern: bool = False
    minimum: str | None = None
    min_length: int | None = None


@dataclass
class SchemaModel:
    """The parts of a CIN census schema that messages quote: what each element holds."""

    sequences: dict[str, list[tuple[str, int, int | None]]] = field(default_factory=dict)
    values: dict[str, SimpleRule] = field(default_factory=dict)

    @property
    def known(self) -> frozenset[str]:
        return frozenset(self.sequences) | frozenset(self.values)


def build_model(document: etree._Element) -> SchemaModel:
    """Read a schema document into a ``SchemaModel`` (element names are unique in the CIN schema)."""
    complex_types = {t.get("name"): t for t in document.iter(f"{XS}complexType") if t.get("name")}
    simple_types = {t.get("name"): t for t in document.iter(f"{XS}simpleType") if t.get("name")}
    model = SchemaModel()
    for element in document.iter(f"{XS}element"):
        name = element.get("name")
        if not name or name in model.sequences or name in model.values:
            continue
        type_name = element.get("type")
        complex_type = complex_types.get(type_name or "") if type_name else element.find(f"{XS}complexType")
        if complex_type is not None:
            model.sequences[name] = [
                (
                    child.get("name", ""),
                    int(child.get("minOccurs", "1")),
                    None if child.get("maxOccurs") == "unbounded" else int(child.get("maxOccurs", "1")),
                )
                for child in complex_type.iterfind(f"{XS}sequence/{XS}element")
            ]
            continue
        simple = simple_types.get(type_name or "") if type_name else element.find(f"{XS}simpleType")
        model.values[name] = _simple_rule(simple, type_name, simple_types)
    return model


def _simple_rule(simple: etree._Element | None, type_name: str | None, types: dict[str, etree._Element]) -> SimpleRule:
    codes: list[tuple[str, str]] = []
    has_pattern = False
    minimum: str | None = None
    min_length: int | None = None
    base = type_name or "xs:string"
    while simple is not None:  # follow the restrictions down to a built-in type
        restriction = simple.find(f"{XS}restriction")
        if restriction is None:
            break
        if not codes:
            for enumeration in restriction.iterfind(f"{XS}enumeration"):
                meaning = " ".join("".join(enumeration.itertext()).split())
                codes.append((enumeration.get("value", ""), meaning))
        has_pattern = has_pattern or restriction.find(f"{XS}pattern") is not None
        found = restriction.find(f"{XS}minInclusive")
        minimum = minimum or (found.get("value") if found is not None else None)
        found = restriction.find(f"{XS}minLength")
        if found is not None and min_length is None:
            min_length = int(found.get("value", "0"))
        base = restriction.get("base", "xs:string")
        simple = types.get(base)
    return SimpleRule(base=base, codes=tuple(codes), has_pattern=has_pattern, minimum=minimum, min_length=min_length)


@cache
def model_for(year: int) -> SchemaModel:
    from earlyhelp.formats.cin_schema import schema_document

    return build_model(schema_document(year))


@dataclass(frozen=True)
class PlainMessage:
    line: int
    field: str
    rule: str
    message: str


def shown_value(value: str, element: str, *, date_allowed: bool = False) -> str | None:
    """``value`` quoted for a message, or None when it must not be shown (it is, or looks like,
    an identifier: a UPN, an NHS number, a postcode, a date of birth, a name)."""
    if element in IDENTIFIER_ELEMENTS:
        return None
    if value == "":
        return "''"
    if not _TOKEN.fullmatch(value):
        return None
    if _UPN_LIKE.fullmatch(value) or _DIGITS_LIKE.fullmatch(value) or _POSTCODE_LIKE.fullmatch(value):
        return None
    if _DATE_LIKE.fullmatch(value) and not date_allowed:
        return None
    if _NAME_LIKE.fullmatch(value) and value.lower() not in _COMMON_WORDS:
        return None
    return f"'{value}'"


def looks_like_identifier(value: str) -> bool:
    """Whether an id an LA chose (LAchildID) is in fact a UPN, an NHS number (10 digits passing
    the modulus 11 check), a postcode or a date, and so must not be shown either."""
    compact = value.replace(" ", "")
    if compact.isdigit() and len(compact) == 10:
        total = sum(int(digit) * weight for digit, weight in zip(compact[:9], range(10, 1, -1), strict=True))
        check = 11 - total % 11
        return (0 if check == 11 else check) == int(compact[9])
    return bool(_UPN_LIKE.fullmatch(value) or _POSTCODE_LIKE.fullmatch(value) or _DATE_LIKE.fullmatch(value))


def _tag(name: str) -> str:
    return f"<{name}>"


def _join_or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _codes_text(codes: tuple[tuple[str, str], ...]) -> str:
    def one(code: str, meaning: str) -> str:
        meaning = YES_NO_MEANINGS.get(meaning, meaning)
        return f"{code} ({meaning})" if meaning and len(meaning) <= MAX_MEANING_CHARACTERS else code

    if len(codes) <= SHORT_LIST:
        return _join_or([one(code, meaning) for code, meaning in codes])
    if len(codes) <= MAX_CODES_QUOTED:
        return "one of " + _join_or([code for code, _ in codes])
    first = ", ".join(code for code, _ in codes[:MAX_CODES_QUOTED])
    return f"one of the {len(codes)} codes of the census ({first} ...)"


def expected_value(model: SchemaModel, element: str) -> str:
    """What the census expects in ``element``, in words."""
    rule = model.values.get(element)
    if rule is None:
        return "a value"
    if rule.codes:
        return _codes_text(rule.codes)
    if rule.has_pattern and element in PATTERN_FORMS:
        return PATTERN_FORMS[element]
    if rule.base == "xs:integer" and rule.minimum is not None:
        return f"a whole number, {rule.minimum} or more"
    return TYPE_FORMS.get(rule.base, "a value of the census's form")


def _value_phrase(element: etree._Element | None, name: str, model: SchemaModel) -> tuple[str, bool]:
    """(``<Name> 'value'`` or ``<Name> (N characters, masked)``, whether the value is empty)."""
    value = "" if element is None else (element.text or "").strip()
    if element is not None and len(element) == 0 and not value:
        return _tag(name), True
    rule = model.values.get(name)
    shown = shown_value(value, name, date_allowed=rule is not None and rule.base == "xs:date")
    if shown is None:
        return f"{_tag(name)} ({len(value)} character{'' if len(value) == 1 else 's'}, masked)", False
    return f"{_tag(name)} {shown}", False


def _end_line(node: etree._Element) -> int:
    """The line of the end of ``node`` (its closing tag)."""
    if len(node) == 0:
        return (node.sourceline or 0) + (node.text or "").count("\n")
    last = node[len(node) - 1]
    return _end_line(last) + (last.tail or "").count("\n")


def _stray_text(element: etree._Element) -> tuple[int, str, str]:
    """Where the first text between the elements of ``element`` is: (line, the text, where in words)."""
    text = element.text or ""
    if text.strip():
        before = text[: len(text) - len(text.lstrip())]
        first = next((c for c in element if isinstance(c.tag, str)), None)
        place = f"before {_tag(str(first.tag))}" if first is not None else "inside it"
        return (element.sourceline or 0) + before.count("\n"), text.strip(), place
    children = list(element)
    for index, child in enumerate(children):
        tail = child.tail or ""
        if tail.strip():
            before = tail[: len(tail) - len(tail.lstrip())]
            following = next((c for c in children[index + 1 :] if isinstance(c.tag, str)), None)
            place = f"after {_tag(str(child.tag))}" if isinstance(child.tag, str) else "after a comment"
            if following is not None:
                place = f"between {_tag(str(child.tag))} and {_tag(str(following.tag))}"
            return _end_line(child) + before.count("\n"), tail.strip(), place
    return element.sourceline or 0, "", "inside it"


def translate(
    type_name: str,
    raw: str,
    line: int,
    element: etree._Element | None,
    name: str,
    model: SchemaModel,
    *,
    generation: str,
) -> PlainMessage:
    """One libxml2 schema error as a plain-English message at the line of the analyst's file.

    ``element`` is the element the error is about (None when it cannot be found), ``name`` its
    tag, ``generation`` the censuses the schema is for ("2023-24", "2024-25 onwards").
    """
    at = element.sourceline if element is not None and element.sourceline else line
    parent = element.getparent() if element is not None else None
    parent_name = str(parent.tag) if parent is not None else ""

    if type_name == "SCHEMAV_CVC_COMPLEX_TYPE_2_3" and element is not None:
        where, text, place = _stray_text(element)
        if text in model.known:
            said = f"the word '{text}' (a tag missing its < and >?)"
        else:
            shown = shown_value(text, "")
            said = f"the text {shown}" if shown else f"text ({len(text)} characters, not shown)"
        return PlainMessage(
            where,
            name,
            RULES["text"],
            f"{_tag(name)} holds {said} {place}; only elements may be written inside {_tag(name)}",
        )

    if type_name == "SCHEMAV_ELEMENT_CONTENT" and "Missing child element" in raw:
        return _missing(element, name, at, model)

    if type_name == "SCHEMAV_ELEMENT_CONTENT" and "not expected" in raw:
        return _not_expected(element, name, parent, parent_name, at, model, generation)

    if type_name in ("SCHEMAV_CVC_TYPE_3_1_2", "SCHEMAV_CVC_COMPLEX_TYPE_2_2"):
        return PlainMessage(
            at,
            name,
            RULES["nested"],
            f"{_tag(name)} holds other elements; it must hold only {expected_value(model, name)}",
        )

    if "attribute" in raw.lower() and type_name.startswith(("SCHEMAV_CVC_TYPE_3_1_1", "SCHEMAV_CVC_COMPLEX_TYPE_3")):
        attribute = next(iter(_QUOTED.findall(raw.split(":", 1)[0])[1:]), "")
        label = f" {attribute}" if shown_value(attribute, "") else ""
        return PlainMessage(
            at,
            name,
            RULES["attribute"],
            f"{_tag(name)} has an attribute{label}; the census's elements have no attributes (remove it)",
        )

    if type_name.startswith("SCHEMAV_CVC_"):  # the value breaks its type: a code, a date, a pattern ...
        return _bad_value(element, name, at, model)

    return PlainMessage(
        at,
        name,
        RULES["other"],
        f"{_tag(name)} does not follow the CIN census schema for {generation} here "
        "(check it against the census specification)",
    )


def _missing(element: etree._Element | None, name: str, at: int, model: SchemaModel) -> PlainMessage:
    sequence = model.sequences.get(name, [])
    present = {str(c.tag) for c in element} if element is not None else set()
    missing = [child for child, minimum, _ in sequence if minimum >= 1 and child not in present]
    if element is not None and len([c for c in element if isinstance(c.tag, str)]) == 0 and missing:
        return PlainMessage(
            at,
            name,
            RULES["missing"],
            f"{_tag(name)} is empty; it must hold at least one {_tag(missing[0])} "
            f"(leave {_tag(name)} out when there is none)",
        )
    if missing:
        listed = _join_or([_tag(m) for m in missing]).replace(" or ", " and ")
        verb = "it" if len(missing) == 1 else "them"
        return PlainMessage(
            at,
            missing[0] if len(missing) == 1 else name,
            RULES["missing"],
            f"{_tag(name)} has no {listed}; the census requires {verb} in every {_tag(name)}",
        )
    return PlainMessage(at, name, RULES["missing"], f"{_tag(name)} ends before an element the census requires in it")


def _not_expected(
    element: etree._Element | None,
    name: str,
    parent: etree._Element | None,
    parent_name: str,
    at: int,
    model: SchemaModel,
    generation: str,
) -> PlainMessage:
    sequence = model.sequences.get(parent_name, [])
    order = [child for child, _, _ in sequence]
    if name not in order:
        if name in model.known:
            elsewhere = f"; {_tag(name)} belongs elsewhere in the census, not in {_tag(parent_name)}"
        elif name == "GenderCurrent":
            elsewhere = "; from the 2024-25 census it is <Sex> (M, F or U)"
        elif name == "Sex":
            elsewhere = "; the 2023-24 census has <GenderCurrent> (0, 1, 2 or 9) instead"
        else:
            elsewhere = ""
        return PlainMessage(
            at,
            name,
            RULES["unknown"],
            f"{_tag(name)} is not an element of {_tag(parent_name)} in the CIN census schema for {generation}"
            f"{elsewhere}",
        )
    position = order.index(name)
    maximum = sequence[position][2]
    siblings = [c for c in parent if isinstance(c.tag, str)] if parent is not None else []
    index = next((i for i, c in enumerate(siblings) if c is element), len(siblings))
    before = siblings[:index]
    same = sum(1 for c in before if c.tag == name)
    if maximum is not None and same >= maximum:
        times = "once" if maximum == 1 else f"{maximum} times"
        return PlainMessage(
            at,
            name,
            RULES["repeated"],
            f"{_tag(name)} appears more than {times} in {_tag(parent_name)}; the census allows it {times}",
        )
    later = next((c for c in before if c.tag in order and order.index(str(c.tag)) > position), None)
    if later is not None:
        return PlainMessage(
            at,
            name,
            RULES["order"],
            f"{_tag(name)} is out of order in {_tag(parent_name)}: it must come before {_tag(str(later.tag))}",
        )
    previous = order.index(str(before[-1].tag)) if before and before[-1].tag in order else -1
    skipped = [child for child, minimum, _ in sequence[previous + 1 : position] if minimum >= 1]
    after = {str(c.tag) for c in siblings[index + 1 :]}
    written_later = [child for child in skipped if child in after]
    if written_later:
        return PlainMessage(
            at,
            name,
            RULES["order"],
            f"{_tag(name)} is out of order in {_tag(parent_name)}: it must come after {_tag(written_later[-1])}",
        )
    if skipped:
        listed = _join_or([_tag(m) for m in skipped]).replace(" or ", " and ")
        return PlainMessage(
            at,
            skipped[0] if len(skipped) == 1 else parent_name,
            RULES["missing"],
            f"{_tag(parent_name)} has no {listed} before {_tag(name)}; the census requires "
            f"{'it' if len(skipped) == 1 else 'them'}",
        )
    return PlainMessage(at, name, RULES["order"], f"{_tag(name)} is not in its place in {_tag(parent_name)}")


def _bad_value(element: etree._Element | None, name: str, at: int, model: SchemaModel) -> PlainMessage:
    expected = expected_value(model, name)
    phrase, empty = _value_phrase(element, name, model)
    rule = model.values.get(name)
    if empty:
        return PlainMessage(at, name, RULES["empty"], f"{phrase} is empty; expected {expected}")
    if rule is not None and rule.codes:
        note = ""
        value = (element.text or "").strip().lower() if element is not None else ""
        if value in ("true", "false") and {code for code, _ in rule.codes} == {"0", "1"}:
            note = " (the 2023-24 census also took true and false; from 2024-25 only 0 or 1)"
        return PlainMessage(
            at, name, RULES["code"], f"{phrase} is not a code the census allows here; expected {expected}{note}"
        )
    if rule is not None and rule.base == "xs:date":
        return PlainMessage(at, name, RULES["date"], f"{phrase} is not {expected}")
    if rule is not None and rule.base in INTEGER_TYPES:
        return PlainMessage(at, name, RULES["number"], f"{phrase} is not {expected}")
    return PlainMessage(at, name, RULES["form"], f"{phrase} is not {expected}")


# --------------------------------------------------------------------------- well-formedness

# libxml2's parser messages (a file that is not well-formed XML), each as a plain sentence. The
# first pattern that matches wins; its groups may be used in the sentence.
SYNTAX_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"Opening and ending tag mismatch: ([^\s,]+) line (\d+) and ([^\s,]+)"),
        "<{0}> (opened on line {1}) is not closed before </{2}>: a closing tag is missing or misspelt",
    ),
    (
        re.compile(r"Premature end of data in tag ([^\s,]+) line (\d+)"),
        "the file ends before <{0}> (opened on line {1}) is closed: it may have been cut short",
    ),
    (
        re.compile(r"StartTag: invalid element name"),
        "there is a '<' that does not start a tag: inside a value, write &lt; for a less-than sign",
    ),
    (
        re.compile(r"EntityRef: (no name|expecting ';')"),
        "there is an '&' that does not start an entity: inside a value, write &amp; for an ampersand",
    ),
    (
        re.compile(r"Extra content at the end of the document"),
        "there is more after the end of <Message>: a file holds one census, in one <Message>",
    ),
    (re.compile(r"no element found|Document is empty"), "the file is empty, or no XML element could be read from it"),
    (
        re.compile(r"Start tag expected"),
        "the file does not start with an XML tag: is it a CIN census XML file?",
    ),
    (
        re.compile(r"Invalid bytes in character encoding|not proper UTF-8|encoding error"),
        "there are bytes that are not UTF-8 (was the file saved as Windows-1252 or Latin-1?): save it as UTF-8",
    ),
    (
        re.compile(r"AttValue|attribute name|attributes construct|find end of Start Tag|Specification mandates"),
        "a tag is not closed with '>', or one of its attributes is broken",
    ),
    (
        re.compile(r"Attribute \S+ redefined"),
        "one tag gives the same attribute twice",
    ),
    (
        re.compile(r"invalid Char value|out of allowed range|not allowed in XML"),
        "there is a control character XML does not allow (an invisible character copied in?)",
    ),
    (
        re.compile(r"[Cc]omment"),
        "a comment (<!-- ... -->) is broken: it holds '--' or is not closed",
    ),
    (
        re.compile(r"Entity '?\S+'? not defined|undefined entity"),
        "there is an entity (&name;) that XML does not define: write &amp; for an ampersand",
    ),
)


def syntax_message(raw: str, code: int) -> str:
    """libxml2's parser message ``raw`` (error ``code``) said plainly, without its own words."""
    for pattern, sentence in SYNTAX_MESSAGES:
        found = pattern.search(raw)
        if found:
            return sentence.format(*found.groups())
    return f"the file is not well-formed XML here (XML parser error {code})"
