"""The internal indicator table: typed figures, and their text only when a file is written.

One row per area x year x indicator x breakdown. ``numerator`` and ``denominator`` are counts
(int64); a money numerator (real-terms spend in pounds) is in ``numerator_pounds`` (float64)
instead; ``value`` is the unrounded figure (float64). ``status`` says why a figure is missing:
null (it is not), ``x`` (not available) or ``z`` (not applicable). A missing numerator or
denominator is ``x`` in a row that is not available and ``z`` otherwise (a count has no
denominator).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from earlyhelp.publish.conventions import NOT_APPLICABLE, NOT_AVAILABLE, OUTPUT_COLUMNS

INTERNAL_SCHEMA = pa.schema(
    [
        ("time_period", pa.string()),
        ("geographic_level", pa.string()),
        ("region_code", pa.string()),
        ("la_code", pa.string()),
        ("indicator", pa.string()),
        ("breakdown", pa.string()),
        ("numerator", pa.int64()),
        ("denominator", pa.int64()),
        ("numerator_pounds", pa.float64()),
        ("value", pa.float64()),
        ("status", pa.string()),
    ]
)


def internal_table(rows: Iterable[dict[str, Any]]) -> pa.Table:
    """The typed internal table from rows holding its columns (see the module docstring)."""
    return pa.Table.from_pylist(list(rows), schema=INTERNAL_SCHEMA)


def missing_symbol(status: str | None) -> str:
    """What a missing numerator or denominator is shown as in a row of this status."""
    return NOT_AVAILABLE if status == NOT_AVAILABLE else NOT_APPLICABLE


def _number_text(value: float, money: bool) -> str:
    # Counts, medians and rates that come out whole are written as integers; other figures and
    # every money figure as the shortest text that reads back as the same double.
    if not money and value.is_integer():
        return str(int(value))
    return repr(value)


def text_cells(row: dict[str, Any]) -> tuple[str, str, str]:
    """A typed row's numerator, denominator and value as the internal file writes them."""
    missing = missing_symbol(row["status"])
    money = row["numerator_pounds"] is not None
    if money:
        numerator = repr(row["numerator_pounds"])
    else:
        numerator = missing if row["numerator"] is None else str(row["numerator"])
    denominator = missing if row["denominator"] is None else str(row["denominator"])
    if row["status"] is not None or row["value"] is None:
        value = row["status"] or NOT_APPLICABLE
    else:
        value = _number_text(row["value"], money)
    return numerator, denominator, value


def internal_text(internal: pa.Table) -> pa.Table:
    """The internal table as text, in the spec's columns: ``internal/indicators_unsuppressed.csv``."""
    rows = internal.to_pylist()
    columns: dict[str, list[str]] = {column: [] for column in OUTPUT_COLUMNS}
    for row in rows:
        numerator, denominator, value = text_cells(row)
        for column in OUTPUT_COLUMNS[:6]:
            columns[column].append(row[column])
        columns["numerator"].append(numerator)
        columns["denominator"].append(denominator)
        columns["value"].append(value)
    return pa.table({column: pa.array(columns[column], pa.string()) for column in OUTPUT_COLUMNS})


def _count(cell: str) -> int | None:
    return None if cell in (NOT_AVAILABLE, NOT_APPLICABLE, "") else int(cell)


def typed_from_text(rows: Iterable[dict[str, str]]) -> pa.Table:
    """The typed table from text rows in the spec's columns (the internal file read back)."""
    typed = []
    for row in rows:
        numerator, denominator, value = row["numerator"], row["denominator"], row["value"]
        status = value if value in (NOT_AVAILABLE, NOT_APPLICABLE) else None
        # A money numerator is written as a double ("1234.5"), a count as an integer.
        money = numerator not in (NOT_AVAILABLE, NOT_APPLICABLE, "") and not numerator.lstrip("-").isdigit()
        typed.append(
            {
                **{column: row[column] for column in OUTPUT_COLUMNS[:6]},
                "numerator": None if money else _count(numerator),
                "denominator": _count(denominator),
                "numerator_pounds": float(numerator) if money else None,
                "value": None if status or value == "" else float(value),
                "status": status,
            }
        )
    return internal_table(typed)
