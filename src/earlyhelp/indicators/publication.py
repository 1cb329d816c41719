"""Writing the three files: internal CSV, published CSV and its EES metadata."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa

META_COLUMNS = (
    "col_name", "col_type", "label", "indicator_grouping", "indicator_unit", "indicator_dp",
    "filter_hint", "filter_grouping_column",
)


def write_csv(table: pa.Table, path: Path) -> None:
    """Plain UTF-8 CSV, every cell as text (symbols and figures exactly as computed)."""
    columns = table.column_names
    data = [table.column(c).to_pylist() for c in columns]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(zip(*data))


def meta_rows(threshold: int) -> list[dict[str, str]]:
    controlled = (
        f"Disclosure-controlled: counts from 1 to {threshold} and figures derived from them are "
        "shown as c, with secondary suppression; regional and national counts are rounded to the "
        "nearest 10; x = not yet available (follow-up window not covered), z = not applicable, "
        "low = rounds to zero"
    )
    return [
        {"col_name": "indicator", "col_type": "Filter", "label": "Indicator",
         "filter_hint": "Outcomes-framework indicator; definitions in docs/indicators.md"},
        {"col_name": "breakdown", "col_type": "Filter", "label": "Breakdown",
         "filter_hint": "Total, or <dimension>:<value>"},
        {"col_name": "numerator", "col_type": "Indicator", "label": f"Numerator. {controlled}",
         "indicator_grouping": "Figures"},
        {"col_name": "denominator", "col_type": "Indicator", "label": f"Denominator. {controlled}",
         "indicator_grouping": "Figures"},
        {"col_name": "value", "col_type": "Indicator",
         "label": f"Value (count, %, ratio, rate per 10,000, days, points or pounds by indicator). {controlled}",
         "indicator_grouping": "Figures"},
    ]


def write_meta(path: Path, threshold: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=META_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in meta_rows(threshold):
            writer.writerow({column: row.get(column, "") for column in META_COLUMNS})
