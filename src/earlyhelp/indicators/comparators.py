"""England and region: computed from the returns only when they cover every LA, else DfE's figures.

A regional or national figure summed over the LAs that happen to be loaded is not that area's
figure (one LA's return would make "England" equal to the LA). So an area is computed from the
returns only when, for the year, the returns cover every LA of it: the LAs DfE published figures
for that year (:func:`earlyhelp.reference.published_figures`, 2012-13 to 2021-22), or the
package's LA list (:func:`earlyhelp.reference.local_authorities`) for other years. An LA code the
package does not know (a test's, or another country's) belongs to the areas its own
``local_authorities`` row names, so a return of such areas is complete when it holds them all; a
return of only such LAs is taken as a whole country of its own.

When an area is not complete, its row comes from DfE's published statistics where DfE publishes
the indicator (``source`` = ``published``, the cells exactly as published), and is otherwise
``x`` with the reason in :mod:`earlyhelp.indicators.reasons`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import pyarrow as pa

from earlyhelp.publish.conventions import (
    COUNTRY_CODE,
    COUNTRY_NAME,
    NATIONAL,
    NOT_AVAILABLE,
    PUBLISHED_COLUMNS,
    REGIONAL,
    TIME_IDENTIFIER,
    TOTAL,
)

RETURNS, PUBLISHED = "returns", "published"
# The older DfE tables' "not available"; the same as our x.
_OLD_NOT_AVAILABLE = ".."


@dataclass(frozen=True)
class Geography:
    """Which LAs make up England and each region, by year, as far as the package knows them."""

    by_year: dict[int, dict[str, str]]  # year -> la_code -> region_code (DfE's published LAs)
    current: dict[str, str]  # la_code -> region_code (the package's LA list)

    @property
    def known(self) -> frozenset[str]:
        codes = set(self.current)
        for las in self.by_year.values():
            codes.update(las)
        return frozenset(codes)

    def members(self, period: int, data_regions: dict[str, str]) -> dict[str, set[str]]:
        """Area -> the LAs it is made of in ``period``: ``""`` is England, else a region code."""
        known = self.known
        unknown = {la: region for la, region in data_regions.items() if la not in known and region}
        # Data whose LAs the package knows none of (a test's, another country's) is a country of its own.
        las = {} if len(unknown) == len(data_regions) else dict(self.by_year.get(period, self.current))
        las.update(unknown)
        areas: dict[str, set[str]] = defaultdict(set)
        for la, region in las.items():
            areas[""].add(la)
            areas[region].add(la)
        return dict(areas)

    def knows_any(self, las: Iterable[str]) -> bool:
        """Whether any of ``las`` is an LA of England the package knows: else DfE's England and
        regional figures are not comparators for them."""
        return not self.known.isdisjoint(las)

    def region_of(self, la: str) -> str:
        if la in self.current:
            return self.current[la]
        for las in self.by_year.values():
            if la in las:
                return las[la]
        return ""


@cache
def _reference_geography() -> Geography:
    from earlyhelp import reference

    figures = reference.published_figures()
    las = figures[figures["geographic_level"] == "Local authority"]
    by_year: dict[int, dict[str, str]] = defaultdict(dict)
    for period, la, region in zip(las["time_period"], las["la_code"], las["region_code"], strict=True):
        by_year[int(period)][str(la)] = str(region)
    authorities = reference.local_authorities()
    current = dict(zip(authorities["la_code"], authorities["region_code"], strict=True))
    return Geography(dict(by_year), {str(k): str(v) for k, v in current.items()})


def reference_geography() -> Geography:
    """England's LAs and regions as the package ships them; empty when the reference data is absent."""
    try:
        return _reference_geography()
    except (ImportError, FileNotFoundError):
        return Geography({}, {})


@cache
def _published_index() -> dict[tuple[int, str, str, str], tuple[str, str, str, str]]:
    """(period, level, region_code, indicator) -> numerator, denominator, value, release: England
    and regions only."""
    from earlyhelp import reference

    figures = reference.published_figures()
    figures = figures[figures["geographic_level"] != "Local authority"]
    index = {}
    for row in figures.itertuples(index=False):
        region = "" if row.geographic_level == NATIONAL else str(row.region_code)
        key = (int(row.time_period), str(row.geographic_level), region, str(row.indicator))
        index[key] = (str(row.numerator), str(row.denominator), str(row.value), str(row.source))
    return index


def published_area_figure(period: int, level: str, region: str, indicator: str) -> tuple[str, str, str, str] | None:
    """DfE's published numerator, denominator, value and release of an area, or None."""
    try:
        found = _published_index().get((period, level, region, indicator))
    except (ImportError, FileNotFoundError):
        return None
    if found is None:
        return None
    numerator, denominator, value, release = found

    def ours(cell: str) -> str:
        return NOT_AVAILABLE if cell == _OLD_NOT_AVAILABLE else cell

    return ours(numerator), ours(denominator), ours(value), release


@dataclass(frozen=True)
class AreaComparator:
    """A published England or regional row standing in for one the returns cannot give."""

    time_period: int
    level: str
    region_code: str
    indicator: str
    numerator: str
    denominator: str
    value: str
    release: str


def comparator_table(rows: Iterable[AreaComparator], region_names: dict[str, str]) -> pa.Table:
    """The published rows in the EES layout (``PUBLISHED_COLUMNS``), ``source`` = ``published``."""
    out: dict[str, list[str]] = {column: [] for column in PUBLISHED_COLUMNS}
    for row in rows:
        values = {
            "time_period": str(row.time_period),
            "time_identifier": TIME_IDENTIFIER,
            "geographic_level": row.level,
            "country_code": COUNTRY_CODE,
            "country_name": COUNTRY_NAME,
            "region_code": row.region_code,
            "region_name": region_names.get(row.region_code, "") if row.level == REGIONAL else "",
            "new_la_code": "",
            "old_la_code": "",
            "la_name": "",
            "indicator": row.indicator,
            "breakdown": TOTAL,
            "numerator": row.numerator,
            "denominator": row.denominator,
            "value": row.value,
            "source": PUBLISHED,
        }
        for column in PUBLISHED_COLUMNS:
            out[column].append(values[column])
    return pa.table({column: pa.array(out[column], pa.string()) for column in PUBLISHED_COLUMNS})
