"""A labelled workbook of analysis tables (``thresholds.xlsx``, ``funding.xlsx``): an "About" sheet
(what the file is, method, source), then one sheet per table with readable column headers, numbers
as numbers in a stated format, and text (symbols such as ``c`` included) as text.

The same conventions as ``indicators.xlsx`` (:mod:`earlyhelp.publish.xlsx`): XlsxWriter, a fixed
created date so the same tables give the same bytes, an Excel table with filters on each sheet.
Only tables already fit to publish are written here; this module adds no figure of its own.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

from earlyhelp import __version__
from earlyhelp.publish.xlsx import CREATED

# Number formats for the columns of analysis tables.
WHOLE = "#,##0"
POUNDS = '"£"#,##0'
DECIMAL_2 = "#,##0.00"
DECIMAL_4 = "0.0000"
PERCENT_1 = '0.0"%"'  # a figure already in percent (4.3 means 4.3%)
SHARE = "0.000%"  # a fraction shown as a percentage (0.0035 shows 0.350%)


@dataclass(frozen=True)
class Column:
    """A column of a sheet: where it comes from, its header, and its number format (None: text)."""

    key: str
    header: str
    number_format: str | None = None
    width: float = 14


@dataclass(frozen=True)
class Sheet:
    name: str  # at most 31 characters, Excel's limit
    frame: pd.DataFrame
    columns: Sequence[Column]


# The two columns that open a sheet of LA figures; the frame gets la_name from :func:`with_la_names`.
LA_COLUMNS = (Column("la_code", "LA code", None, 12), Column("la_name", "LA name", None, 28))


def with_la_names(frame: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """A copy of ``frame`` with each LA's name beside its ``la_code`` (blank for a code not in ``names``)."""
    frame = frame.copy()
    if "la_code" in frame and "la_name" not in frame:
        frame.insert(1, "la_name", frame["la_code"].map(names).fillna(""))
    return frame


def _table_name(sheet: str) -> str:
    return "".join(word.capitalize() for word in re.findall(r"[A-Za-z0-9]+", sheet)) or "Table"


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(float(value))


def write_tables_workbook(
    path: Path, title: str, about: Sequence[tuple[str, str]], sheets: Sequence[Sheet], command: str
) -> Path:
    """Write ``path``: the About sheet (``about``: heading and paragraph pairs) and ``sheets``."""
    workbook = xlsxwriter.Workbook(
        str(path),
        {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    workbook.set_properties(
        {
            "title": title,
            "author": "earlyhelp",
            "comments": f"Written by earlyhelp {__version__} (earlyhelp {command})",
            "created": CREATED,
        }
    )
    bold = workbook.add_format({"bold": True, "valign": "top"})
    wrapped = workbook.add_format({"text_wrap": True, "valign": "top"})
    header = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    right = workbook.add_format({"align": "right"})
    formats: dict[str, Any] = {}

    sheet = workbook.add_worksheet("About")
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, 110)
    sheet.write_string(0, 0, title, workbook.add_format({"bold": True, "font_size": 16}))
    row = 2
    for heading, text in [
        *about,
        ("Sheets", "; ".join(f"{s.name} ({len(s.frame):,} rows)" for s in sheets)),
        ("Written by", f"earlyhelp {__version__}, `earlyhelp {command}`."),
    ]:
        sheet.write_string(row, 0, heading, bold)
        sheet.write_string(row, 1, " ".join(text.split()), wrapped)
        sheet.set_row(row, 15 * max(1, len(text) // 120 + 1))
        row += 1

    for spec in sheets:
        sheet = workbook.add_worksheet(spec.name[:31])
        records = spec.frame.to_dict("records")
        for index, column in enumerate(spec.columns):
            sheet.set_column(index, index, column.width)
            for line, record in enumerate(records, start=1):
                value = record.get(column.key)
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    continue
                if column.number_format is not None and _is_number(value):
                    if column.number_format not in formats:
                        formats[column.number_format] = workbook.add_format({"num_format": column.number_format})
                    sheet.write_number(line, index, float(value), formats[column.number_format])
                else:
                    sheet.write_string(line, index, str(value), right if column.number_format else None)
        sheet.set_row(0, 30)
        sheet.freeze_panes(1, 0)
        sheet.add_table(
            0,
            0,
            max(len(records), 1),
            len(spec.columns) - 1,
            {
                "name": _table_name(spec.name),
                "style": "Table Style Medium 2",
                "columns": [{"header": c.header, "header_format": header} for c in spec.columns],
                "autofilter": True,
            },
        )
    workbook.close()
    return path


__all__ = [
    "DECIMAL_2",
    "DECIMAL_4",
    "PERCENT_1",
    "POUNDS",
    "SHARE",
    "WHOLE",
    "Column",
    "Sheet",
    "write_tables_workbook",
]
