"""Every validation rule, as data: one id, the tables it applies to, one plain-English message.

The rules are the ones in the last section of ``shared/spec/dataset.md`` ("Rules every loader
enforces") plus the file-level problems analysts meet when exporting from case management systems
(blank files, byte-order marks, semicolons, Excel dates, the wrong encoding). Which tables and
columns a rule applies to is derived from :mod:`earlyhelp.spec`; nothing here restates a column
list or a code list.

``message`` is a ``str.format`` template. The fields a finding can fill are ``file``, ``table``,
``column``, ``value`` (already masked for identifiers), ``expected`` and ``other`` (a second
column or line), so every rule reads as a sentence an analyst can act on.

Each rule's check is registered beside it: the function that finds breaches of a rule is
decorated with :func:`finds` and the rule's id (in ``reader``, ``engine``, ``checks`` or ``keys``),
so :func:`finders` leads from a rule to its code. A check naming an id that is not a rule fails
at import; a rule that no check finds makes ``import earlyhelp.validate`` fail
(:func:`require_every_rule_found`), and ``tests/validate/test_rule_registry.py`` checks both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from earlyhelp.spec import TABLES_IN_ORDER, Table, codes

Severity = Literal["error", "warning"]
Scope = Literal["file", "header", "row", "table"]


@dataclass(frozen=True)
class Rule:
    id: str
    scope: Scope
    message: str
    hint: str = ""
    severity: Severity = "error"
    # Tables the rule applies to (derived from the spec); empty means any file.
    tables: tuple[str, ...] = ()
    # One sentence for the summary table (GOV.UK error-summary style).
    title: str = ""


def _tables(predicate: Callable[[Table], bool]) -> tuple[str, ...]:
    return tuple(t.name for t in TABLES_IN_ORDER if predicate(t))


def _has_type(*types: str) -> Callable[[Table], bool]:
    return lambda t: any(c.type in types for c in t.columns)


# The spec's "no further action" rule, written once as data. A referral with the flag true has no
# follow-up records and is closed on its referral date with RC8 (as in the CIN census).
NFA_TABLE = "referrals"
NFA_FLAG = "referral_nfa"
NFA_START = "referral_date"
NFA_CLOSURE_DATE = "closure_date"
NFA_CLOSURE_REASON = "closure_reason"
NFA_CLOSURE_CODE = codes.CLOSED_AFTER_ASSESSMENT_NFA
# Tables whose rows are follow-up of a referral: every table with a foreign key to referrals.
NFA_FOLLOW_UP_TABLES = _tables(lambda t: any(fk.references == NFA_TABLE for fk in t.foreign_keys))

# The table that holds each LA's extract date, and the column.
RETURNS_TABLE = "returns"
EXTRACT_DATE = "extract_date"

_ALL = tuple(t.name for t in TABLES_IN_ORDER)


@dataclass(frozen=True)
class IdentifierShape:
    """The shape of an identifier that ``shared/spec/dataset.md`` gives in words, and its check.

    A value of the wrong shape is an error (``rule_id``). A value of the right shape whose check
    digit or letter is wrong is a warning (``check_rule_id``): a keying mistake in the source
    system, not something the analyst can fix in the file, which linkage copes with (it ignores
    such a number), and which synthetic data plants on purpose.
    """

    column: str
    rule_id: str
    check_rule_id: str
    pattern: str  # the whole value, after taking out the separators below
    separators: str  # characters people write between groups of digits
    # (pattern, note) pairs: a value matching the pattern gets the note in its message.
    notes: tuple[tuple[str, str], ...] = ()


NHS_NUMBER = IdentifierShape(
    "nhs_number",
    "value-nhs-number",
    "value-nhs-number-check-digit",
    r"^[0-9]{10}$",
    " -",
    notes=(
        (
            r"^[+-]?[0-9]+(\.[0-9]*)?[eE][+-]?[0-9]+$",
            " (this looks like Excel's scientific notation, such as 4.45E+09, which has lost digits)",
        ),
        (r"^[0-9]+\.[0-9]*$", " (this looks like a number with decimals, as Excel saves a number column)"),
    ),
)
UPN = IdentifierShape("upn", "value-upn", "value-upn-check-letter", r"^[A-Za-z][0-9]{11}[0-9A-Za-z]$", " ")
# The NHS number's check digit: the first nine digits weighted 10 down to 2, summed; 11 minus the
# sum's remainder mod 11 is the tenth digit (11 counts as 0; 10 means no valid number).
NHS_NUMBER_WEIGHTS = tuple(range(10, 1, -1))
# The UPN's check letter (DfE, "Unique pupil numbers (UPN)" guide, and CIN census rule 1510):
# characters 2 to 13 weighted 2 to 13, summed; the remainder mod 23 indexes this alphabet (no I,
# O or S). Like the DfE's validator, only permanent UPNs (12 digits after the letter) are checked.
UPN_WEIGHTS = tuple(range(2, 14))
UPN_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
IDENTIFIER_SHAPES = {shape.column: shape for shape in (NHS_NUMBER, UPN)}
# A placement's Ofsted URN (SSDA903 URN, not a person's identifier): SC or EY and six digits, six or
# seven digits (schools and older registrations), or XXXXXXX for a placement that has none.
PLACEMENT_URN_COLUMN = "urn"
PLACEMENT_URN_PATTERN = r"^(SC[0-9]{6}|EY[0-9]{6}|[0-9]{6,7}|XXXXXXX)$"

RULES_IN_ORDER: tuple[Rule, ...] = (
    # ------------------------------------------------------------------ files
    Rule(
        "file-unknown-table",
        "file",
        "{file} is not named after an EHLD table, so it was not checked{expected}.",
        "Name each file after its table, in lower case, e.g. referrals.csv; the tables are: " + ", ".join(_ALL) + ".",
        title="File name is not an EHLD table",
    ),
    Rule(
        "file-spreadsheet",
        "file",
        "{file} is a spreadsheet, so it was not read{expected}.",
        "Save it again from Excel as a workbook (.xlsx) with one sheet per table, named after it; or save each "
        "table with File > Save As > 'CSV UTF-8 (comma delimited)', named after its table (e.g. referrals.csv).",
        title="Spreadsheet that cannot be read",
    ),
    Rule(
        "file-duplicate-table",
        "file",
        "{file} holds the table {table}, which another file ({other}) also holds.",
        "Keep one file per table: CSV or Parquet, not both.",
        title="Two files hold the same table",
    ),
    Rule(
        "file-unreadable",
        "file",
        "{file} could not be opened: {value}.",
        "Check the file exists and that you have permission to read it.",
        title="File cannot be opened",
    ),
    Rule(
        "file-empty",
        "file",
        "{file} is empty: it has no header row.",
        "Export the table again with its header row; leave the file out if the table has no records.",
        tables=_ALL,
        title="File is empty",
    ),
    Rule(
        "file-binary",
        "file",
        "{file} is not a text CSV file ({value}).",
        "Save the table as 'CSV UTF-8 (comma delimited)'; a spreadsheet (.xlsx) or Parquet file cannot be read as CSV.",
        tables=_ALL,
        title="File is not text",
    ),
    Rule(
        "file-encoding",
        "file",
        "{file} is not UTF-8 text from this line on ({value}).",
        "Save it as 'CSV UTF-8 (comma delimited)'; Excel's plain 'CSV' uses the Windows-1252 encoding.",
        tables=_ALL,
        title="File is not UTF-8",
    ),
    Rule(
        "file-utf16",
        "file",
        "{file} is saved as UTF-16 text, not UTF-8.",
        "This is what Excel's 'Unicode Text' writes (UTF-16, with tabs between columns). In Excel "
        "choose File > Save As > 'CSV UTF-8 (comma delimited)' instead.",
        tables=_ALL,
        title="File is UTF-16 (Excel's Unicode Text)",
    ),
    Rule(
        "file-bom",
        "file",
        "{file} starts with a byte-order mark; it was accepted and ignored.",
        "Nothing to do. Excel's 'CSV UTF-8' adds this mark.",
        severity="warning",
        tables=_ALL,
        title="Byte-order mark (accepted)",
    ),
    Rule(
        "file-delimiter",
        "file",
        "{file} separates its columns with {value}, not commas.",
        "Save the file as 'CSV UTF-8 (comma delimited)'; region settings often make Excel use ';'.",
        tables=_ALL,
        title="Columns not separated by commas",
    ),
    Rule(
        "file-parse",
        "file",
        "{file} could not be read as CSV from about this line on: {value}.",
        'Look for a quote (") that is opened but never closed.',
        tables=_ALL,
        title="File is not well-formed CSV",
    ),
    Rule(
        "file-parquet",
        "file",
        "{file} is not a readable Parquet file ({value}).",
        "Write the table again as Parquet, or as CSV.",
        tables=_ALL,
        title="Parquet file cannot be read",
    ),
    Rule(
        "file-no-rows",
        "file",
        "{file} has a header row but no records.",
        "Nothing to do if the LA really has no records for this table.",
        severity="warning",
        tables=_ALL,
        title="File has no records",
    ),
    # ------------------------------------------------------------------ header
    Rule(
        "column-missing",
        "header",
        "The required column {column} is missing from {file}.",
        "Add the column to the header row (column names are lower case, with underscores).",
        tables=_tables(lambda t: bool(t.required_columns)),
        title="Required column missing",
    ),
    Rule(
        "column-unknown",
        "header",
        "{column} is not a column of the {table} table{expected}.",
        "Remove the column or rename it; the columns are listed in the EHLD specification.",
        tables=_ALL,
        title="Unknown column",
    ),
    Rule(
        "column-duplicate",
        "header",
        "The column {column} appears more than once in the header row.",
        "Keep one column of each name.",
        tables=_ALL,
        title="Column appears twice",
    ),
    Rule(
        "column-type",
        "header",
        "The Parquet column {column} has the type {value}, which cannot hold {expected} values.",
        "Write the column as text, or as the type the specification gives.",
        tables=_ALL,
        title="Parquet column has the wrong type",
    ),
    # ------------------------------------------------------------------ rows and values
    Rule(
        "row-field-count",
        "row",
        "This line has {value} fields but the header has {expected}.",
        'Look for a comma inside a value that is not quoted, a quote (") that is never closed, or a line cut short.',
        tables=_ALL,
        title="Wrong number of fields on a line",
    ),
    Rule(
        "row-blank",
        "row",
        "This line is blank; it was ignored.",
        "Remove blank lines to be safe.",
        severity="warning",
        tables=_ALL,
        title="Blank line (ignored)",
    ),
    Rule(
        "value-missing",
        "row",
        "{column} is required but is empty.",
        "Every record needs a value in this column.",
        tables=_tables(lambda t: bool(t.required_columns)),
        title="Required value is empty",
    ),
    Rule(
        "value-code",
        "row",
        "{value} is not one of the codes for {column}.",
        "Use one of the codes of the specification: {expected}.",
        tables=_tables(_has_type("code")),
        title="Code not in the list",
    ),
    Rule(
        "value-date",
        "row",
        "{value} is not a date in the form YYYY-MM-DD.",
        "Write dates as YYYY-MM-DD, e.g. 2020-03-31.{expected}",
        tables=_tables(_has_type("date")),
        title="Date not in the form YYYY-MM-DD",
    ),
    Rule(
        "value-month",
        "row",
        "{value} is not a month in the form YYYY-MM.",
        "Write months as YYYY-MM, e.g. 2014-07.",
        tables=_tables(_has_type("month")),
        title="Month not in the form YYYY-MM",
    ),
    Rule(
        "value-bool",
        "row",
        "{value} is not true or false.",
        "Write true or false (Excel's TRUE and FALSE are accepted too; any other word or a 1/0 is not).",
        tables=_tables(_has_type("bool")),
        title="Not true or false",
    ),
    Rule(
        "value-nhs-number",
        "row",
        "{value} is not an NHS number: it should be 10 digits{expected}.",
        "Write the NHS number as its 10 digits (spaces or hyphens between the groups are accepted). "
        "Excel turns long numbers into scientific notation such as 4.45E+09 and loses digits: "
        "format the column as Text before you paste or type into it, or export the file again from "
        "the case management system without opening it in Excel.",
        tables=_tables(lambda t: t.has_column(NHS_NUMBER.column)),
        title="NHS number not 10 digits",
    ),
    Rule(
        "value-upn",
        "row",
        "{value} is not a UPN: it should be 13 characters, a letter first{expected}.",
        "A unique pupil number is 13 characters: a check letter, then 11 digits, then a digit (or a "
        "letter for a temporary UPN); spaces are accepted. Copy it again from the school census record.",
        tables=_tables(lambda t: t.has_column(UPN.column)),
        title="UPN not 13 characters",
    ),
    Rule(
        "value-nhs-number-check-digit",
        "row",
        "{value} fails the NHS number check (its last digit does not match the mod-11 check of the first nine).",
        "A digit was probably mistyped or two digits swapped in the source system: correct it there from the "
        "NHS record. The row is still loaded; linkage does not use an NHS number that fails the check, so the "
        "record is matched on name, date of birth and postcode instead.",
        severity="warning",
        tables=_tables(lambda t: t.has_column(NHS_NUMBER.column)),
        title="NHS number fails its check digit",
    ),
    Rule(
        "value-upn-check-letter",
        "row",
        "{value} fails the UPN check (its first letter does not match the check of the 12 digits after it).",
        "A character was probably mistyped in the source system: copy the UPN again from the school census "
        "record. The row is still loaded; linkage does not use a UPN that fails the check.",
        severity="warning",
        tables=_tables(lambda t: t.has_column(UPN.column)),
        title="UPN fails its check letter",
    ),
    Rule(
        "value-int",
        "row",
        "{value} is not a whole number.",
        "Write whole numbers with digits only, no commas, spaces or decimals.",
        tables=_tables(_has_type("int")),
        title="Not a whole number",
    ),
    Rule(
        "value-number",
        "row",
        "{value} is not a number.",
        "Write numbers with digits and an optional decimal point, no commas or currency signs.",
        tables=_tables(_has_type("float")),
        title="Not a number",
    ),
    Rule(
        "value-range",
        "row",
        "{value} is outside the allowed range for {column} ({expected}).",
        tables=_tables(lambda t: any(c.minimum is not None or c.maximum is not None for c in t.columns)),
        title="Number out of range",
    ),
    Rule(
        "value-urn",
        "row",
        "{value} is not an Ofsted URN.",
        "Write the placement's Ofsted unique reference number as the SSDA903 return has it: SC and six "
        "digits (e.g. SC123456), six or seven digits, SC999999 for a provider not yet registered, or "
        "XXXXXXX for a placement that has none.",
        tables=_tables(lambda t: t.has_column(PLACEMENT_URN_COLUMN)),
        title="Not an Ofsted URN",
    ),
    Rule(
        "date-order",
        "row",
        "{column} ({value}) is before {other}.",
        "An end date cannot be before its start date; check both dates.",
        tables=_tables(lambda t: bool(t.date_order)),
        title="End before start",
    ),
    Rule(
        "after-extract-date",
        "row",
        "{column} ({value}) is after the LA's extract date ({expected}).",
        "No event can be dated after the return's extract_date in returns; check the date or the extract date.",
        tables=_tables(lambda t: any(c.event for c in t.columns)),
        title="Date after the extract date",
    ),
    Rule(
        "nfa-closure",
        "row",
        "A referral with referral_nfa true must be closed on its referral date with "
        + NFA_CLOSURE_CODE
        + " ({column} is {value}).",
        "As in the CIN census: a no-further-action referral closes the day it is made, reason "
        + NFA_CLOSURE_CODE
        + ".",
        tables=(NFA_TABLE,),
        title="No-further-action referral not closed correctly",
    ),
    # ------------------------------------------------------------------ across rows and tables
    Rule(
        "key-duplicate",
        "table",
        "{value} appears more than once (first on line {other}).",
        "Each combination of {expected} must appear only once.",
        tables=_tables(lambda t: bool(t.unique)),
        title="Identifier not unique",
    ),
    Rule(
        "key-foreign",
        "table",
        "{value} is not found in {expected}.",
        "Every reference must point at a record that exists in the return.",
        tables=_tables(lambda t: bool(t.foreign_keys)),
        title="Reference to a missing record",
    ),
    Rule(
        "key-table-missing",
        "table",
        "{file} refers to the {expected} table, but no {expected} file was given.",
        "Validate the whole return folder, including {expected}.csv.",
        tables=_tables(lambda t: bool(t.foreign_keys)),
        title="Referenced table missing",
    ),
    Rule(
        "nfa-follow-up",
        "table",
        "Referral {value} has referral_nfa true, so it cannot have a record in {table}.",
        "Either the referral led to more (set referral_nfa to false) or this record belongs to another referral.",
        tables=NFA_FOLLOW_UP_TABLES,
        title="No-further-action referral has follow-up",
    ),
    # ------------------------------------------------------------------ Excel habits (validate/excel.py)
    Rule(
        "value-date-day-first",
        "header",
        "Dates written day/month/year, as Excel saves them ({expected}, the first one here), were read "
        "day first as YYYY-MM-DD.",
        "Nothing to do. To be sure of the dates, format the column as yyyy-mm-dd in Excel before saving.",
        severity="warning",
        tables=_tables(_has_type("date")),
        title="Dates written dd/mm/yyyy (read day first)",
    ),
    Rule(
        "value-date-ambiguous",
        "header",
        "Dates written day/month/year ({expected}, the first one here) cannot be read for certain: {other}.",
        "Format the column as yyyy-mm-dd in Excel and save the file again; dates written dd/mm/yyyy are read "
        "only when every date of the column is one and some day above 12 shows the day comes first.",
        tables=_tables(_has_type("date")),
        title="Dates written dd/mm/yyyy that cannot be read for certain",
    ),
    Rule(
        "column-blank",
        "header",
        "Column {expected} has no name and no values (Excel often saves one after the last column); it was ignored.",
        "Nothing to do. Delete the empty column in Excel before saving to be safe.",
        severity="warning",
        tables=_ALL,
        title="Blank column (ignored)",
    ),
    Rule(
        "row-totals",
        "header",
        "This row at the end of the table looks like a totals row (no record key, only numbers); it was ignored.",
        "Nothing to do if it is a total. Leave totals out of a return: every row must be one record.",
        severity="warning",
        tables=_ALL,
        title="Totals row at the end (ignored)",
    ),
    Rule(
        "sheet-unknown-table",
        "file",
        "The sheet {value} of {file} is not named after an EHLD table, so it was not read{expected}.",
        "Name each sheet that holds a table after it (e.g. referrals); other sheets (notes, pivots) are "
        "ignored. The tables are: " + ", ".join(_ALL) + ".",
        severity="warning",
        title="Sheet not named after a table (not read)",
    ),
    Rule(
        "sheet-misnamed",
        "file",
        "The sheet {value} of {file} is not named after an EHLD table, so it was not read (did you mean {expected}?).",
        "Rename the sheet after its table, e.g. referrals (case and spaces do not matter).",
        title="Sheet name close to a table's",
    ),
)

RULES: dict[str, Rule] = {rule.id: rule for rule in RULES_IN_ORDER}


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]


CheckFunction = TypeVar("CheckFunction", bound=Callable[..., object])
# Rule id -> the functions that find its breaches (a rule may be found in more than one place:
# a file that cannot be opened, or a reference checked while streaming and again across tables).
_FINDERS: dict[str, list[Callable[..., object]]] = {}


def finds(*rule_ids: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function as one that finds breaches of ``rule_ids``."""
    unknown = [rule_id for rule_id in rule_ids if rule_id not in RULES]
    if unknown or not rule_ids:
        raise ValueError(f"finds() needs ids of rules in RULES_IN_ORDER; not rules: {unknown}")

    def register(function: CheckFunction) -> CheckFunction:
        for rule_id in rule_ids:
            if function not in _FINDERS.setdefault(rule_id, []):
                _FINDERS[rule_id].append(function)
        return function

    return register


def finders(rule_id: str) -> tuple[Callable[..., object], ...]:
    """The functions registered with :func:`finds` as finding breaches of ``rule_id``."""
    return tuple(_FINDERS.get(rule_id, ()))


def require_every_rule_found() -> None:
    """Raise if a rule has no registered check (run once the check modules are imported)."""
    unfound = [r.id for r in RULES_IN_ORDER if r.id not in _FINDERS]
    if unfound:
        raise ImportError(f"validation rules with no check registered with rules.finds(): {', '.join(unfound)}")
