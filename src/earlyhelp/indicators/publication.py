"""The output folder: two layouts of the one published table, the internal table, and READMEs.

``out/``
  ``indicators.csv``                 publishable: the spec's columns, disclosure-controlled
  ``indicators_published.csv``       publishable: the same figures in EES tidy format
  ``indicators_published.meta.csv``  its EES metadata (labels say it is disclosure-controlled)
  ``README.md``                      which file is which, and which may be published
  ``internal/indicators_unsuppressed.csv``  NOT publishable: unsuppressed, unrounded
  ``internal/README.txt``            says so
"""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa

from earlyhelp.indicators.compute import OUTPUT_COLUMNS

SPEC_FILE = "indicators.csv"
PUBLISHED_FILE = "indicators_published.csv"
META_FILE = "indicators_published.meta.csv"
README_FILE = "README.md"
INTERNAL_DIR = "internal"
INTERNAL_FILE = f"{INTERNAL_DIR}/indicators_unsuppressed.csv"
INTERNAL_README = f"{INTERNAL_DIR}/README.txt"

# The spec's output columns (OUTPUT_COLUMNS) from the EES layout, which names la_code new_la_code.
SPEC_FROM_PUBLISHED = {column: "new_la_code" if column == "la_code" else column for column in OUTPUT_COLUMNS}

META_COLUMNS = (
    "col_name",
    "col_type",
    "label",
    "indicator_grouping",
    "indicator_unit",
    "indicator_dp",
    "filter_hint",
    "filter_grouping_column",
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
        "nearest 10; x = not available (the return does not cover the whole year, the "
        "follow-up window is not over, or a table the figure needs was not supplied), "
        "z = not applicable, "
        "low = rounds to zero"
    )
    return [
        {
            "col_name": "indicator",
            "col_type": "Filter",
            "label": "Indicator",
            "filter_hint": "Outcomes-framework indicator; definitions in docs/indicators.md",
        },
        {
            "col_name": "breakdown",
            "col_type": "Filter",
            "label": "Breakdown",
            "filter_hint": "Total, or <dimension>:<value>",
        },
        {
            "col_name": "numerator",
            "col_type": "Indicator",
            "label": f"Numerator. {controlled}",
            "indicator_grouping": "Figures",
        },
        {
            "col_name": "denominator",
            "col_type": "Indicator",
            "label": f"Denominator. {controlled}",
            "indicator_grouping": "Figures",
        },
        {
            "col_name": "value",
            "col_type": "Indicator",
            "label": f"Value (count, %, ratio, rate per 10,000, days, points or pounds by indicator). {controlled}",
            "indicator_grouping": "Figures",
        },
    ]


def write_meta(path: Path, threshold: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=META_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in meta_rows(threshold):
            writer.writerow({column: row.get(column, "") for column in META_COLUMNS})


def spec_layout(published: pa.Table) -> pa.Table:
    """The published (EES) table in the spec's ``indicators.csv`` columns: the same figures,
    since both layouts come from one publication pass."""
    return pa.table({spec: published.column(ees) for spec, ees in SPEC_FROM_PUBLISHED.items()})


def folder_readme(threshold: int) -> str:
    return f"""# Early help indicators

Written by `earlyhelp indicators`. Definitions: `docs/indicators.md` and the indicators spec.

| file | publishable | what it holds |
|---|---|---|
| `{SPEC_FILE}` | **yes** | every indicator in the spec's columns (time_period, geographic_level, region_code, la_code, indicator, breakdown, numerator, denominator, value), disclosure-controlled and rounded |
| `{PUBLISHED_FILE}` | **yes** | the same figures in Explore Education Statistics tidy format (area names, old LA codes); `earlyhelp report` reads it |
| `{META_FILE}` | **yes** | the EES metadata of `{PUBLISHED_FILE}` |
| `{README_FILE}` | yes | this file |
| `{INTERNAL_FILE}` | **NO** | unsuppressed, unrounded figures for analysts with access to record-level data |

The two publishable tables are disclosure-controlled: counts from 1 to {threshold} and every
figure derived from them are `c`, with secondary suppression so that no `c` can be worked back by
subtraction; regional and national counts are rounded to the nearest 10; `x` = not available
(the return does not cover the whole year or the follow-up window, or did not supply a table
the figure is counted from), `z` = not applicable,
`low` = a non-zero figure that rounds to zero.

Never publish or send anything in `{INTERNAL_DIR}/`: it is not disclosure-controlled.
"""


INTERNAL_README_TEXT = f"""NOT FOR PUBLICATION.

{INTERNAL_FILE.split("/")[-1]} is the internal indicators table: NOT disclosure-controlled.
Its counts are exact (small counts are not suppressed, regional and national counts are not
rounded) and its rates are unrounded, so small numbers of children can be identified from it.
Keep it with the record-level data it was computed from, under the same access controls.
The publishable files are one folder up: {SPEC_FILE} and {PUBLISHED_FILE}.
"""


def write_folder(out: Path, internal: pa.Table, published: pa.Table, spec_published: pa.Table, threshold: int) -> None:
    """Write every file of the output folder (see the module docstring)."""
    (out / INTERNAL_DIR).mkdir(parents=True, exist_ok=True)
    write_csv(spec_published, out / SPEC_FILE)
    write_csv(published, out / PUBLISHED_FILE)
    write_meta(out / META_FILE, threshold)
    (out / README_FILE).write_text(folder_readme(threshold), encoding="utf-8")
    write_csv(internal, out / INTERNAL_FILE)
    (out / INTERNAL_README).write_text(INTERNAL_README_TEXT, encoding="utf-8")
