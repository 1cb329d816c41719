"""``indicators.xlsx``: the published figures as a labelled workbook for readers who live in Excel.

An "About" sheet (what the file is, the disclosure notice at the threshold applied, the symbols,
source and years, every indicator's definition), then one sheet per topic: indicator names and
units, years as ``2019-20``, area names beside codes, figures as numbers with a number format
by unit and symbols as text. Only the disclosure-controlled published table is ever written here.

Written with XlsxWriter, which is write-only and reproducible: its zip members carry a fixed
timestamp and the document's created date is fixed here, so the same figures give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow as pa
import xlsxwriter

from earlyhelp import __version__
from earlyhelp.publish.conventions import (
    DECIMAL_PLACES,
    LEVEL_ORDER,
    PUBLISHED_FILE,
    SPEC_FILE,
    SYMBOLS,
    TOTAL,
    Unit,
    page_notice,
    symbol_meanings,
)
from earlyhelp.publish.disclosure import Definition, reference_areas
from earlyhelp.spec.periods import label as period_label

XLSX_FILE = "indicators.xlsx"

# The topic sheets, in reading order. An indicator not listed here still gets a sheet
# ("Other indicators"), so a new indicator can never be left out of the workbook.
TOPICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Reach and prevention", ("eh_children", "eh_reach_pct", "cin_children", "prevention_ratio", "cin_rate_per_10k")),
    ("Referrals and assessments", ("referrals", "re_referral_pct", "closed_after_assessment")),
    ("Step-down", ("step_down_pct", "step_down_recorded_pct", "missed_step_down", "missed_step_down_pct")),
    (
        "After early help",
        (
            "eh_closed",
            "eh_outcomes_achieved_pct",
            "eh_escalation_pct",
            "eh_step_up_pct",
            "eh_re_entry_pct",
            "eh_median_days",
            "eh_wait_median_days",
        ),
    ),
    ("Family goals", ("family_goals_met_pct", "family_rated_progress")),
    ("Child protection and care", ("cp_plans_started", "cp_second_plan_pct", "cla_started", "cla_start_rate_per_10k")),
    ("Spend", ("ei_spend_per_child_real",)),
)
OTHER_TOPIC = "Other indicators"

UNIT_TEXT: dict[Unit, str] = {
    "count": "count",
    "pct": "%",
    "ratio": "ratio",
    "per_10k": "per 10,000 children",
    "median_days": "days (median)",
    "mean_points": "points (mean)",
    "pounds": "£",
}

# The document's created date, fixed so the bytes are reproducible (XlsxWriter's zip timestamp too).
CREATED = dt.datetime(1980, 1, 1)

COLUMNS: tuple[tuple[str, float], ...] = (
    ("Indicator", 38),
    ("Indicator code", 26),
    ("Unit", 18),
    ("Year", 9),
    ("Geographic level", 16),
    ("Region code", 12),
    ("Region name", 24),
    ("LA code", 12),
    ("LA number (DfE)", 10),
    ("LA name", 28),
    ("Breakdown", 30),
    ("Numerator", 13),
    ("Denominator", 13),
    ("Value", 12),
)


def number_format(unit: Unit) -> str:
    """The Excel number format of a value in ``unit``, at its published decimal places.

    Percentages are kept as published (4.3 means 4.3%), so the format adds a literal %.
    """
    places = DECIMAL_PLACES[unit]
    digits = "#,##0" + ("." + "0" * places if places else "")
    if unit == "pct":
        return digits + '"%"'
    if unit == "pounds":
        return '"£"' + digits
    return digits


def _number(text: str) -> int | float | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def _breakdown_text(breakdown: str) -> str:
    """``outcome_heading:early_years`` -> ``Outcome heading: early years``."""
    if breakdown == TOTAL or ":" not in breakdown:
        return breakdown
    dimension, value = breakdown.split(":", 1)
    return f"{dimension.replace('_', ' ').capitalize()}: {value.replace('_', ' ')}"


def _described(name: str, definition: Definition | None) -> tuple[str, str]:
    """An indicator's label and plain-English definition (its code when it has none)."""
    return getattr(definition, "label", None) or name, getattr(definition, "definition", None) or ""


def topic_sheets(indicators: list[str]) -> list[tuple[str, list[str]]]:
    """The sheets to write and the indicators on each, in order; empty topics are left out."""
    present = set(indicators)
    sheets = [(topic, [name for name in names if name in present]) for topic, names in TOPICS]
    listed = {name for _, names in TOPICS for name in names}
    other = [name for name in dict.fromkeys(indicators) if name not in listed]
    sheets.append((OTHER_TOPIC, other))
    return [(topic, names) for topic, names in sheets if names]


def _table_name(topic: str) -> str:
    return "".join(word.capitalize() for word in re.findall(r"[A-Za-z]+", topic))


def write_workbook(
    path: Path,
    published: pa.Table,
    threshold: int,
    definitions: Mapping[str, Definition],
) -> None:
    """Write ``indicators.xlsx`` from the disclosure-controlled ``published`` table (EES layout)."""
    rows = published.to_pylist()
    names = reference_areas()
    for row in rows:
        for code_column, name_column in (
            ("new_la_code", "la_name"),
            ("new_la_code", "old_la_code"),
            ("region_code", "region_name"),
        ):
            if row.get(code_column) and not row.get(name_column):
                row[name_column] = names.get(row[code_column], {}).get(name_column, "")
    by_indicator: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_indicator.setdefault(row["indicator"], []).append(row)
    sheets = topic_sheets(list(by_indicator))
    periods = sorted({str(row["time_period"]) for row in rows})

    workbook = xlsxwriter.Workbook(
        str(path),
        {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    workbook.set_properties(
        {
            "title": "Early help indicators",
            "subject": "Disclosure-controlled early help indicators",
            "author": "earlyhelp",
            "comments": f"Written by earlyhelp {__version__} (earlyhelp indicators)",
            "created": CREATED,
        }
    )
    formats = _Formats(workbook)
    _about_sheet(workbook, formats, threshold, periods, sheets, definitions)
    for topic, indicators in sheets:
        _topic_sheet(workbook, formats, topic, [(name, by_indicator[name]) for name in indicators], definitions)
    workbook.close()


class _Formats:
    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self.title = workbook.add_format({"bold": True, "font_size": 16})
        self.heading = workbook.add_format({"bold": True, "font_size": 12})
        self.text = workbook.add_format({"text_wrap": True, "valign": "top"})
        self.bold = workbook.add_format({"bold": True, "valign": "top"})
        self.header = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        self.symbol = workbook.add_format({"align": "right"})
        self._numbers: dict[str, Any] = {}

    def number(self, pattern: str) -> Any:
        if pattern not in self._numbers:
            self._numbers[pattern] = self.workbook.add_format({"num_format": pattern})
        return self._numbers[pattern]


def _about_sheet(
    workbook: Any,
    formats: _Formats,
    threshold: int,
    periods: list[str],
    sheets: list[tuple[str, list[str]]],
    definitions: Mapping[str, Definition],
) -> None:
    sheet = workbook.add_worksheet("About")
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 40)
    sheet.set_column(2, 2, 22)
    sheet.set_column(3, 3, 90)
    years = f"{period_label(periods[0])} to {period_label(periods[-1])}" if periods else "none"
    row = 0
    sheet.write_string(row, 0, "Early help indicators", formats.title)
    row += 2
    paragraphs = (
        (
            "What this file is",
            "Every published early help indicator for each local authority (LA), region and England, one sheet "
            f"per topic. The figures are those of {SPEC_FILE} and {PUBLISHED_FILE} beside this file: "
            "disclosure-controlled and rounded, fit to publish. Figures are numbers; percentages are kept as "
            "published (4.3 means 4.3%).",
        ),
        ("Disclosure control", " ".join(page_notice(threshold).split())),
        ("Suppression threshold", f"Counts from 1 to {threshold} are suppressed (c)."),
        ("Years", f"Financial years (April to March) {years}."),
        (
            "Source",
            f"Computed by earlyhelp {__version__} (`earlyhelp indicators`) from the returns it was given. LA and "
            "region names come from those returns or, where they give none, from the list shipped with "
            "earlyhelp (ONS and DfE codes; Open Government Licence v3.0).",
        ),
    )
    for heading, text in paragraphs:
        sheet.write_string(row, 0, heading, formats.bold)
        sheet.merge_range(row, 1, row, 3, text, formats.text)
        sheet.set_row(row, 15 * max(1, len(text) // 140 + 1))
        row += 1
    row += 1
    sheet.write_string(row, 0, "Symbols", formats.heading)
    row += 1
    for symbol, meaning in symbol_meanings(threshold).items():
        sheet.write_string(row, 0, symbol, formats.bold)
        sheet.merge_range(row, 1, row, 3, meaning, formats.text)
        row += 1
    row += 1
    sheet.write_string(row, 0, "Indicators in this workbook", formats.heading)
    row += 1
    for column, heading in enumerate(("Sheet", "Indicator", "Unit", "Definition")):
        sheet.write_string(row, column, heading, formats.header)
    for topic, indicators in sheets:
        for name in indicators:
            row += 1
            label, definition = _described(name, definitions.get(name))
            unit = getattr(definitions.get(name), "unit", None)
            sheet.write_string(row, 0, topic, formats.text)
            sheet.write_string(row, 1, f"{label} ({name})", formats.text)
            sheet.write_string(row, 2, UNIT_TEXT.get(unit, "") if unit else "", formats.text)
            sheet.write_string(row, 3, definition, formats.text)


def _cell(sheet: Any, formats: _Formats, row: int, column: int, text: Any, pattern: str) -> None:
    """A published figure: a number in ``pattern`` format, or a symbol (or blank) kept as text."""
    text = "" if text is None else str(text)
    if not text:
        return
    number = None if text in SYMBOLS else _number(text)
    if number is None:
        sheet.write_string(row, column, text, formats.symbol)
    else:
        sheet.write_number(row, column, number, formats.number(pattern))


def _topic_sheet(
    workbook: Any,
    formats: _Formats,
    topic: str,
    indicators: list[tuple[str, list[dict[str, Any]]]],
    definitions: Mapping[str, Definition],
) -> None:
    sheet = workbook.add_worksheet(topic)
    count_format = number_format("count")
    row = 0
    for name, rows in indicators:
        definition = definitions.get(name)
        unit: Unit = getattr(definition, "unit", "count")
        label, _ = _described(name, definition)
        numerator_format = number_format("pounds") if unit == "pounds" else count_format
        ordered = sorted(
            rows,
            key=lambda r: (
                r["breakdown"] != TOTAL,
                r["breakdown"],
                str(r["time_period"]),
                LEVEL_ORDER.get(r["geographic_level"], len(LEVEL_ORDER)),
                r.get("region_name") or "",
                r.get("la_name") or "",
                r.get("new_la_code") or "",
            ),
        )
        for record in ordered:
            row += 1
            sheet.write_string(row, 0, label)
            sheet.write_string(row, 1, name)
            sheet.write_string(row, 2, UNIT_TEXT[unit])
            sheet.write_string(row, 3, period_label(record["time_period"]))
            for column, field in enumerate(
                ("geographic_level", "region_code", "region_name", "new_la_code", "old_la_code", "la_name"), start=4
            ):
                # No area code (England's row has no region or LA) is a blank cell, not an empty text.
                if record.get(field):
                    sheet.write_string(row, column, str(record[field]))
            sheet.write_string(row, 10, _breakdown_text(record["breakdown"]))
            _cell(sheet, formats, row, 11, record["numerator"], numerator_format)
            _cell(sheet, formats, row, 12, record["denominator"], count_format)
            _cell(sheet, formats, row, 13, record["value"], number_format(unit))
    for column, (_, width) in enumerate(COLUMNS):
        sheet.set_column(column, column, width)
    sheet.set_row(0, 30)
    sheet.freeze_panes(1, 0)
    headers = [{"header": heading, "header_format": formats.header} for heading, _ in COLUMNS]
    sheet.add_table(
        0,
        0,
        max(row, 1),
        len(COLUMNS) - 1,
        {"name": _table_name(topic), "style": "Table Style Medium 2", "columns": headers, "autofilter": True},
    )
