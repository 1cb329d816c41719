"""The output folder: two layouts of the one published table, the internal table, and READMEs.

``out/``
  ``indicators.csv``                 publishable: the spec's columns, disclosure-controlled
  ``indicators_published.csv``       publishable: the same figures in EES tidy format
  ``indicators_published.meta.csv``  its EES metadata (labels say it is disclosure-controlled)
  ``indicators.xlsx``                publishable: the same figures, labelled, for Excel (:mod:`.xlsx`)
  ``README.md``                      which file is which, and which may be published
  ``internal/indicators_unsuppressed.csv``  NOT publishable: unsuppressed, unrounded
  ``internal/README.txt``            says so
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from earlyhelp.errors import DataError
from earlyhelp.publish.conventions import (
    DEFAULT_THRESHOLD,
    INTERNAL_DIR,
    INTERNAL_FILE,
    INTERNAL_FILE_NAME,
    INTERNAL_README,
    META_FILE,
    OUTPUT_COLUMNS,
    PUBLISHED_FILE,
    README_FILE,
    SOURCE_PUBLISHED,
    SOURCE_RETURNS,
    SPEC_FILE,
    meta_notice,
    readme_notice,
)
from earlyhelp.publish.internal import internal_text
from earlyhelp.publish.xlsx import XLSX_FILE

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
    controlled = meta_notice(threshold)
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
            "col_name": "source",
            "col_type": "Filter",
            "label": "Source",
            "filter_hint": f"{SOURCE_RETURNS}: computed from the LAs' returns; {SOURCE_PUBLISHED}: DfE's published "
            "statistics, for England or a region the returns do not wholly cover",
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
| `{PUBLISHED_FILE}` | **yes** | the same figures in Explore Education Statistics tidy format (area names, old LA codes) with a `source` column; `earlyhelp report` reads it |
| `{META_FILE}` | **yes** | the EES metadata of `{PUBLISHED_FILE}` |
| `{XLSX_FILE}` | **yes** | the same figures as an Excel workbook: an About sheet (disclosure notice, symbols, definitions), then one sheet per topic with indicator names, units and area names |
| `{README_FILE}` | yes | this file |
| `{INTERNAL_FILE}` | **NO** | unsuppressed, unrounded figures for analysts with access to record-level data |

{readme_notice(threshold)}

England and regional figures are computed from the returns only when they cover every LA of the
area in the year. Otherwise the row is DfE's published figure, exactly as DfE published it, where
DfE publishes the indicator (`source` = `{SOURCE_PUBLISHED}` in `{PUBLISHED_FILE}` and the internal
file; `{SPEC_FILE}` keeps the spec's columns, so holds the same rows without saying which), and
`x` where it does not.

Never publish or send anything in `{INTERNAL_DIR}/`: it is not disclosure-controlled.
"""


INTERNAL_README_TEXT = f"""NOT FOR PUBLICATION.

{INTERNAL_FILE_NAME} is the internal indicators table: NOT disclosure-controlled.
Its counts are exact (small counts are not suppressed, regional and national counts are not
rounded) and its rates are unrounded, so small numbers of children can be identified from it.
Keep it with the record-level data it was computed from, under the same access controls.
The publishable files are one folder up: {SPEC_FILE} and {PUBLISHED_FILE}.
"""


def write_folder(out: Path, internal: pa.Table, published: pa.Table, spec_published: pa.Table, threshold: int) -> None:
    """Write every file of the output folder (see the module docstring); ``internal`` is typed."""
    (out / INTERNAL_DIR).mkdir(parents=True, exist_ok=True)
    write_csv(spec_published, out / SPEC_FILE)
    write_csv(published, out / PUBLISHED_FILE)
    write_meta(out / META_FILE, threshold)
    (out / README_FILE).write_text(folder_readme(threshold), encoding="utf-8")
    write_csv(internal_file_table(internal, published), out / INTERNAL_FILE)
    (out / INTERNAL_README).write_text(INTERNAL_README_TEXT, encoding="utf-8")


def internal_file_table(internal: pa.Table, published: pa.Table) -> pa.Table:
    """The internal file: the internal table as text with a ``source`` column, then the rows of
    DfE's published figures that stand in for England or regions (already public, as published)."""
    text = internal_text(internal)
    text = text.append_column("source", pa.array([SOURCE_RETURNS] * text.num_rows, pa.string()))
    if "source" not in published.column_names:
        return text
    stand_ins = published.filter(pc.equal(published.column("source"), SOURCE_PUBLISHED))
    spec = spec_layout(stand_ins).append_column("source", stand_ins.column("source"))
    return pa.concat_tables([text, spec.cast(text.schema)])


_META_THRESHOLD = re.compile(r"counts from 1 to (\d+) ")


def read_threshold(published_file: Path) -> int:
    """The suppression threshold a published file was written with, from the EES metadata
    written beside it (its labels state the notice, :func:`meta_notice`).

    A published file without its metadata (copied on its own) is taken to be at the spec's
    default; metadata whose notice is not one this layer writes is refused rather than guessed.
    """
    meta = Path(published_file).parent / META_FILE
    if not meta.is_file():
        return DEFAULT_THRESHOLD
    with open(meta, newline="", encoding="utf-8-sig") as handle:
        labels = [row.get("label") or "" for row in csv.DictReader(handle)]
    for label in labels:
        found = _META_THRESHOLD.search(label)
        if found and label.endswith(meta_notice(int(found.group(1)))):
            return int(found.group(1))
    raise DataError(
        f"{meta.name} does not state the suppression threshold its figures were published at.",
        hint=f"Give the {PUBLISHED_FILE} and {META_FILE} that `earlyhelp indicators` wrote, unchanged.",
    )
