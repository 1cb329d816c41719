"""What Excel does to a return, undone the same way wherever a return is read.

Three habits of Excel-saved files are accepted with a warning rather than refused:

- dates saved as ``dd/mm/yyyy`` (Excel's UK format) are read as ``YYYY-MM-DD`` when a file's date
  columns are certainly day first (every value of the column is a real day/month/year date and some
  date in the file has a day above 12, none a second number above 12); otherwise each such column
  is one error with a count and its first line, not one error per row;
- a fully blank column (an empty or ``Unnamed`` header and no value), which Excel often writes
  after the last one;
- totals rows at the end of a table (key columns empty or "Total", every other cell a number or
  empty).

The validator's reader applies these while streaming (:mod:`earlyhelp.validate.reader`), and every
other reader takes the same rows from it (:func:`earlyhelp.validate.folder.select_sql`), so
``validate``, ``load``, ``indicators`` and ``report`` see one shape. Workbooks (``.xlsx`` and the
other formats python-calamine reads) are read here, one sheet per table, into that same shape.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from earlyhelp.spec import Table

# Excel's UK date, with the midnight time Excel may add to a date-time cell.
DAY_FIRST = r"^(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>\d{4})(?: 0?0:00(?::00)?)?$"
_BLANK_HEADER = re.compile(r"^(Unnamed: ?\d+(_level_\d+)?)?$")
_TOTAL_WORD = re.compile(r"^(grand\s+|sub-?)?totals?:?$", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?(\d[\d,]*)?\.?\d+%?$")


def is_blank_header(name: str) -> bool:
    """An empty header cell, or the ``Unnamed: 12`` that pandas writes for one."""
    return bool(_BLANK_HEADER.match(name.strip()))


# ---------------------------------------------------------------------- day-first dates
@dataclass
class DayFirstCount:
    """What one date column's values say about day/month/year dates."""

    values: int = 0  # values that are not empty
    shaped: int = 0  # values written d/m/yyyy
    day_first: int = 0  # of those, real dates when read day first
    day_over_12: int = 0  # of those, a first number above 12: day first for certain
    month_over_12: int = 0  # values whose second number is above 12: month first, not day first
    first_line: int | None = None  # the line of the first value written d/m/yyyy

    def add(self, values: pa.Array, lines: np.ndarray) -> None:
        self.values += len(values) - int(pc.sum(pc.equal(pc.binary_length(values), 0)).as_py() or 0)
        shaped = pc.fill_null(pc.match_substring_regex(values, DAY_FIRST), False).to_numpy(zero_copy_only=False)
        if not shaped.any():
            return
        self.shaped += int(shaped.sum())
        if self.first_line is None:
            self.first_line = int(lines[np.flatnonzero(shaped)[0]])
        parts = pc.extract_regex(values, DAY_FIRST)
        day = pc.cast(pc.struct_field(parts, "day"), pa.int32())
        month = pc.cast(pc.struct_field(parts, "month"), pa.int32())
        self.day_over_12 += int(pc.sum(pc.greater(day, 12)).as_py() or 0)
        self.month_over_12 += int(pc.sum(pc.greater(month, 12)).as_py() or 0)
        self.day_first += int(pc.sum(pc.is_valid(_real_dates(_iso_text(values)))).as_py() or 0)


def _iso_text(values: pa.Array) -> pa.Array:
    """``YYYY-MM-DD`` for each value written d/m/yyyy, null for the others."""
    parts = pc.extract_regex(values, DAY_FIRST)
    day = pc.utf8_lpad(pc.struct_field(parts, "day"), 2, "0")
    month = pc.utf8_lpad(pc.struct_field(parts, "month"), 2, "0")
    return pc.binary_join_element_wise(pc.struct_field(parts, "year"), month, day, "-")


def _real_dates(iso: pa.Array) -> pa.Array:
    """The values of ``iso`` that are real dates (31/02/2020 is not), null for the others."""
    stamps = pc.strptime(iso, format="%Y-%m-%d", unit="s", error_is_null=True)
    good = pc.equal(pc.strftime(stamps, format="%Y-%m-%d"), iso)
    return pc.if_else(good, iso, pa.scalar(None, pa.string()))


def day_first_verdict(counts: Mapping[str, DayFirstCount]) -> tuple[list[str], list[str]]:
    """(columns to read day first, columns written d/m/yyyy that cannot be) for one file.

    Excel writes every date of a file in one format, so the evidence is the file's: a day above
    12 anywhere says day first, a second number above 12 anywhere says month first.
    """
    day_first = any(c.day_over_12 for c in counts.values()) and not any(c.month_over_12 for c in counts.values())
    convert = [name for name, c in counts.items() if c.shaped and day_first and c.day_first == c.values]
    summarised = [name for name, c in counts.items() if c.shaped and name not in convert]
    return convert, summarised


def day_first_to_iso(values: pa.Array) -> pa.Array:
    """Each value written d/m/yyyy as ``YYYY-MM-DD``; other values as they are."""
    iso = _iso_text(values)
    return pc.if_else(pc.is_valid(iso), iso, values)


# ---------------------------------------------------------------------- totals rows
def totals_keys(table: Table) -> tuple[str, ...]:
    """The columns that name a record: empty (or "Total") in a totals row."""
    keys = [c for unique in table.unique for c in unique] or [c for fk in table.foreign_keys for c in fk.columns]
    return tuple(dict.fromkeys(keys))


def is_totals_row(cells: Mapping[str, str], table: Table) -> bool:
    """A row that sums the rows above it: every key column empty or "Total" (any case, "Grand
    total", "Totals:"), every other cell a number or empty, and not every cell empty."""
    keys = totals_keys(table)
    if not keys or any(cells.get(k) and not _TOTAL_WORD.match(cells[k]) for k in keys):
        return False
    filled = [value for value in cells.values() if value]
    return bool(filled) and all(_NUMBER.match(v) or _TOTAL_WORD.match(v) for v in filled)


# ---------------------------------------------------------------------- workbooks
@dataclass
class Sheet:
    """One sheet as text: the header row's names, the columns under them, each row's number."""

    name: str
    header: list[str]
    columns: list[pa.Array]
    lines: np.ndarray


def read_sheet(path: Path, sheet_name: str, table: Table) -> Sheet:
    """The sheet ``sheet_name`` as text, the first row that is not empty as its header; rows are
    numbered as Excel numbers them. Cells keep what the spec's text means: a date as
    ``YYYY-MM-DD`` (``YYYY-MM`` in a month column), a whole number without ``.0``, a boolean as
    ``true``/``false``."""
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    try:
        rows = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    finally:
        workbook.close()
    start = next((i for i, row in enumerate(rows) if any(cell != "" for cell in row)), len(rows))
    if start == len(rows):
        return Sheet(sheet_name, [], [], np.zeros(0, dtype=np.int64))
    width = max(len(row) for row in rows[start:])
    header = [_cell_text(cell, None) for cell in rows[start]] + [""] * (width - len(rows[start]))
    kinds = [table.column(h.strip()).type if table.has_column(h.strip()) else None for h in header]
    body = rows[start + 1 :]
    columns = [
        pa.array([_cell_text(row[i], kinds[i]) if i < len(row) else "" for row in body], pa.string())
        for i in range(width)
    ]
    lines = np.arange(start + 2, start + 2 + len(body), dtype=np.int64)
    return Sheet(sheet_name, [h.strip() for h in header], columns, lines)


def _cell_text(cell: object, kind: str | None) -> str:
    if isinstance(cell, str):
        return cell
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, dt.datetime):
        cell = cell.date()  # a date-time is read as its date, as in Parquet
    if isinstance(cell, dt.date):
        return cell.strftime("%Y-%m") if kind == "month" else cell.isoformat()
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < 1e15:
        return str(int(cell))
    return str(cell)


def sheet_label(path: Path, sheet_name: str) -> str:
    """How findings name a sheet: the workbook's name and the sheet's."""
    return f"{path.name}, sheet {sheet_name}"
