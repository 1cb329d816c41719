"""The publication layer: everything that turns computed figures into files fit to publish.

>>> from earlyhelp.publish import publish
>>> publication = publish(internal, definitions, threshold=10, relations=ADDITIVE_RELATIONS)
>>> publication.published       # EES tidy format, disclosure-controlled (indicators_published.csv)
>>> publication.write(Path("out"))  # the publishable files, and the internal table under internal/

It owns disclosure control and rounding (:mod:`.disclosure`), the symbols, units, level names,
file names and the wording of the disclosure notice for a given threshold (:mod:`.conventions`),
the typed internal table and its text (:mod:`.internal`) and the files written (:mod:`.files`,
and the labelled workbook :mod:`.xlsx`).
Indicators and the report use it; nothing else restates these rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from earlyhelp.publish.conventions import (
    CONFIDENTIAL,
    DECIMAL_PLACES,
    DEFAULT_THRESHOLD,
    INTERNAL_FILE,
    INTERNAL_FILE_NAME,
    INTERNAL_README,
    LEVELS,
    LOCAL,
    LOW,
    META_FILE,
    NATIONAL,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    OUTPUT_COLUMNS,
    PUBLISHED_COLUMNS,
    PUBLISHED_FILE,
    README_FILE,
    REGIONAL,
    SOURCE_PUBLISHED,
    SOURCE_RETURNS,
    SPEC_FILE,
    SYMBOLS,
    TOTAL,
    Unit,
    chart_notice,
    page_notice,
    round_half_away,
    round_to_ten,
    symbol_meanings,
)
from earlyhelp.publish.disclosure import (
    Definition,
    Relation,
    areas_from_rows,
    disclosure_control,
    reference_areas,
    reference_old_la_codes,
)
from earlyhelp.publish.files import read_threshold, spec_layout, write_folder
from earlyhelp.publish.internal import INTERNAL_SCHEMA, internal_table, internal_text, typed_from_text
from earlyhelp.publish.xlsx import XLSX_FILE, write_workbook


@dataclass(frozen=True)
class Publication:
    """One publication pass: the typed internal table and the one published table in both layouts."""

    internal: pa.Table  # typed, unsuppressed, unrounded: never publish
    published: pa.Table  # disclosure-controlled, EES tidy format (PUBLISHED_COLUMNS)
    spec_published: pa.Table  # the same figures in the spec's columns (OUTPUT_COLUMNS)
    threshold: int
    definitions: Mapping[str, Definition] = field(default_factory=dict)  # labels and units for indicators.xlsx

    def write(self, out: Path) -> None:
        """Write the publishable files into ``out`` and the internal table into ``out/internal``."""
        write_folder(out, self.internal, self.published, self.spec_published, self.threshold)
        write_workbook(out / XLSX_FILE, self.published, self.threshold, self.definitions)


def publish(
    internal: pa.Table,
    definitions: Mapping[str, Definition],
    threshold: int = DEFAULT_THRESHOLD,
    areas: dict[str, dict[str, str]] | None = None,
    relations: Iterable[Relation] = (),
) -> Publication:
    """Apply disclosure control to a typed internal table at ``threshold``.

    The spec's layout is a projection of the one published table, so the two cannot disagree.
    """
    published = disclosure_control(internal, threshold, areas, definitions, relations)
    return Publication(internal, published, spec_layout(published), threshold, definitions)


__all__ = [
    "CONFIDENTIAL",
    "DECIMAL_PLACES",
    "DEFAULT_THRESHOLD",
    "INTERNAL_FILE",
    "INTERNAL_FILE_NAME",
    "INTERNAL_README",
    "INTERNAL_SCHEMA",
    "LEVELS",
    "LOCAL",
    "LOW",
    "META_FILE",
    "NATIONAL",
    "NOT_APPLICABLE",
    "NOT_AVAILABLE",
    "OUTPUT_COLUMNS",
    "PUBLISHED_COLUMNS",
    "PUBLISHED_FILE",
    "README_FILE",
    "REGIONAL",
    "SOURCE_PUBLISHED",
    "SOURCE_RETURNS",
    "SPEC_FILE",
    "SYMBOLS",
    "TOTAL",
    "XLSX_FILE",
    "Definition",
    "Publication",
    "Relation",
    "Unit",
    "areas_from_rows",
    "chart_notice",
    "disclosure_control",
    "internal_table",
    "internal_text",
    "page_notice",
    "publish",
    "read_threshold",
    "reference_areas",
    "reference_old_la_codes",
    "round_half_away",
    "round_to_ten",
    "symbol_meanings",
    "typed_from_text",
]
