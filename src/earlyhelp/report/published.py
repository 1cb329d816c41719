"""Reading ``indicators_published.csv``: the only figures the report is allowed to show.

The file is the disclosure-controlled output of ``earlyhelp indicators`` in the DfE Explore
Education Statistics (EES) tidy layout. Every cell is kept as the exact text that was published
(``"4.3"``, ``"c"``, ``"x"``), so a figure on the page is always a published string, never a
number recomputed or re-rounded here.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from earlyhelp.errors import DataError, UsageError
from earlyhelp.publish import (
    INTERNAL_FILE_NAME,
    LEVELS,
    LOCAL,
    META_FILE,
    NATIONAL,
    PUBLISHED_COLUMNS,
    PUBLISHED_FILE,
    REGIONAL,
    SOURCE_RETURNS,
    SPEC_FILE,
    SYMBOLS,
    TOTAL,
    read_threshold,
    symbol_meanings,
)


@dataclass(frozen=True)
class Area:
    """A geography in the published file: England, a region or a local authority."""

    level: str
    code: str
    name: str
    region_code: str = ""
    region_name: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.level, self.code)


@dataclass(frozen=True)
class Figure:
    """One published row, cells exactly as published."""

    time_period: str
    area: Area
    indicator: str
    breakdown: str
    numerator: str
    denominator: str
    value: str
    source: str = SOURCE_RETURNS  # or SOURCE_PUBLISHED: DfE's figure standing in for England or a region

    def cell(self, field: str) -> str:
        return getattr(self, field)

    def number(self, field: str = "value") -> float | None:
        """The cell as a number, or None when it is a symbol or empty (never plotted)."""
        return as_number(self.cell(field))


def as_number(text: str) -> float | None:
    text = (text or "").strip()
    if not text or text in SYMBOLS:
        return None
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


class Published:
    """The published indicators, indexed for the questions a report asks.

    ``threshold`` is the suppression threshold they were published at (from the metadata written
    beside them), so that every notice on the page states the one actually applied.
    """

    def __init__(self, rows: list[Figure], source: Path, threshold: int):
        self.source = source
        self.threshold = threshold
        self.symbols = symbol_meanings(threshold)
        self.rows = rows
        self._index: dict[tuple[str, str, str, str, str], Figure] = {}
        self._by_level: dict[tuple[str, str, str, str], list[Figure]] = {}
        self._breakdowns: dict[tuple[str, str, str, str], list[Figure]] = {}
        self.areas: dict[tuple[str, str], Area] = {}
        for row in rows:
            self._index[(row.indicator, row.breakdown, row.area.level, row.area.code, row.time_period)] = row
            self._by_level.setdefault((row.indicator, row.area.level, row.time_period, row.breakdown), []).append(row)
            if row.breakdown != TOTAL:
                self._breakdowns.setdefault((row.indicator, row.area.level, row.area.code, row.time_period), []).append(
                    row
                )
            self.areas.setdefault(row.area.key, row.area)
        self.indicators = sorted({row.indicator for row in rows})
        self.periods = sorted({row.time_period for row in rows})

    @classmethod
    def read(cls, path: Path) -> Published:
        path = Path(path)
        if path.is_dir():
            path = path / PUBLISHED_FILE
        if not path.is_file():
            raise UsageError(
                f"{path} does not exist.",
                hint="Run `earlyhelp indicators` first, or pass --data so the report computes them.",
            )
        path = _published_file_for(path)
        header = _header(path)
        missing = [name for name in REQUIRED_COLUMNS if name not in header]
        if missing:
            raise DataError(
                f"{path.name} is not a published indicators file: missing column(s) {', '.join(missing)}.",
                hint=f"The report reads only the disclosure-controlled {PUBLISHED_FILE} that "
                "`earlyhelp indicators` writes; give that file or its folder.",
            )
        rows = _read_rows(path)
        if not rows:
            raise DataError(f"{path.name} has no rows, so there is nothing to report.")
        return cls(rows, path, read_threshold(path))

    @property
    def meta_file(self) -> Path:
        """The EES metadata written beside the published file (copied into the site when there)."""
        return self.source.parent / META_FILE

    # --- look-ups -------------------------------------------------------------------------
    def get(self, indicator: str, area: Area, period: str, breakdown: str = TOTAL) -> Figure | None:
        return self._index.get((indicator, breakdown, area.level, area.code, period))

    def series(self, indicator: str, area: Area, breakdown: str = TOTAL) -> list[Figure]:
        """Rows of one indicator for one area over time, oldest first."""
        found = (self.get(indicator, area, period, breakdown) for period in self.periods)
        return [row for row in found if row is not None]

    def at_level(self, indicator: str, level: str, period: str, breakdown: str = TOTAL) -> list[Figure]:
        return list(self._by_level.get((indicator, level, period, breakdown), []))

    def breakdowns(self, indicator: str, area: Area, period: str) -> list[Figure]:
        return list(self._breakdowns.get((indicator, area.level, area.code, period), []))

    def england(self) -> Area:
        for area in self.areas.values():
            if area.level == NATIONAL:
                return area
        raise DataError(f"{self.source.name} has no National rows; the report compares against England.")

    def regions(self) -> list[Area]:
        return sorted((a for a in self.areas.values() if a.level == REGIONAL), key=lambda a: a.code)

    def local_authorities(self) -> list[Area]:
        return sorted((a for a in self.areas.values() if a.level == LOCAL), key=lambda a: a.code)

    def local_authority(self, code: str) -> Area:
        wanted = code.strip().upper()
        for area in self.local_authorities():
            if area.code.upper() == wanted:
                return area
        raise UsageError(
            f"No local authority with code {code!r} in {self.source.name}.",
            hint="The LAs in it: "
            + ", ".join(f"{area.code} ({area.name})" for area in self.local_authorities()[:20])
            + ("" if len(self.local_authorities()) <= 20 else ", ..."),
        )

    def region_of(self, area: Area) -> Area | None:
        return self.areas.get((REGIONAL, area.region_code)) if area.region_code else None

    def periods_with_value(self, indicator: str, area: Area, breakdown: str = TOTAL) -> list[str]:
        return [row.time_period for row in self.series(indicator, area, breakdown) if row.number() is not None]


# Files written before the source column have every figure from the returns.
REQUIRED_COLUMNS = tuple(name for name in PUBLISHED_COLUMNS if name != "source")


def _header(path: Path) -> list[str]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return [name.strip() for name in next(csv.reader(handle), [])]
    except UnicodeDecodeError:
        raise DataError(
            f"{path.name} line 1: the header row is not UTF-8 text.",
            hint=f"Give the {PUBLISHED_FILE} that `earlyhelp indicators` wrote, "
            "unchanged (not saved again from Excel).",
        ) from None


def _published_file_for(path: Path) -> Path:
    """The published file to read when given one of the other files `earlyhelp indicators` writes.

    ``indicators.csv`` holds the same published figures in the spec's columns; the report needs
    the EES layout written beside it, so it reads that one. The internal, unsuppressed table is
    refused: a report is for publication.
    """
    if path.name == INTERNAL_FILE_NAME:
        raise UsageError(
            f"{path.name} is the internal, unsuppressed table, which must not be published.",
            hint=f"Give the {PUBLISHED_FILE} in the folder above it (the --out folder of "
            "`earlyhelp indicators`), or that folder.",
        )
    # time_identifier is a column of the EES layout only.
    if path.name == SPEC_FILE and "time_identifier" not in _header(path):
        beside = path.parent / PUBLISHED_FILE
        if beside.is_file():
            return beside
        raise UsageError(
            f"{path.name} holds the published figures in the spec's columns; the report reads "
            f"{PUBLISHED_FILE}, which `earlyhelp indicators` writes beside it, but there is no "
            f"{PUBLISHED_FILE} in {path.parent}.",
            hint=f"Copy {PUBLISHED_FILE} from the same --out folder of `earlyhelp indicators` next "
            f"to {path.name}, or run `earlyhelp indicators` again.",
        )
    return path


def _read_rows(path: Path) -> list[Figure]:
    """Every row as published text (Arrow's CSV reader, all columns as strings: fast at LA scale)."""
    import pyarrow as pa
    from pyarrow import csv as arrow_csv

    present = [name for name in PUBLISHED_COLUMNS if name in _header(path)]
    try:
        table = arrow_csv.read_csv(
            path,
            read_options=arrow_csv.ReadOptions(encoding="utf-8"),
            convert_options=arrow_csv.ConvertOptions(
                column_types={name: pa.string() for name in present},
                include_columns=present,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        raise DataError(f"{path.name} cannot be read as CSV: {str(error).splitlines()[0]}") from error
    columns = {name: [(v or "").strip() for v in table.column(name).to_pylist()] for name in present}
    if "source" not in columns:
        columns["source"] = [SOURCE_RETURNS] * table.num_rows
    areas: dict[tuple[str, ...], Area] = {}
    rows = []
    for i in range(table.num_rows):
        cells = {
            name: columns[name][i]
            for name in (
                "geographic_level",
                "country_code",
                "country_name",
                "region_code",
                "region_name",
                "new_la_code",
                "la_name",
            )
        }
        key = tuple(cells.values())
        area = areas.get(key)
        if area is None:
            area = areas[key] = _area(cells, path, line=i + 2)
        rows.append(
            Figure(
                time_period=columns["time_period"][i],
                area=area,
                indicator=columns["indicator"][i],
                breakdown=columns["breakdown"][i] or TOTAL,
                numerator=columns["numerator"][i],
                denominator=columns["denominator"][i],
                value=columns["value"][i],
                source=columns["source"][i] or SOURCE_RETURNS,
            )
        )
    return rows


def _area(cells: dict[str, str], path: Path, line: int) -> Area:
    level = cells["geographic_level"]
    if level == NATIONAL:
        area = Area(level, cells["country_code"], cells["country_name"] or "England")
    elif level == REGIONAL:
        area = Area(level, cells["region_code"], cells["region_name"], cells["region_code"], cells["region_name"])
    elif level == LOCAL:
        area = Area(level, cells["new_la_code"], cells["la_name"], cells["region_code"], cells["region_name"])
    else:
        raise DataError(f"{path.name} line {line}: geographic_level {level!r} is not one of {', '.join(LEVELS)}.")
    if not area.code:
        raise DataError(f"{path.name} line {line}: the {level} row has no area code.")
    return area
