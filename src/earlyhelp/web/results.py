"""What a dashboard shows: an LA's published indicators beside its region, England and its
statistical neighbours. Everything here is read from published, disclosure-controlled figures:
the LA's ``indicators_published.csv`` (``earlyhelp.publish``) and DfE's own published figures."""

from __future__ import annotations

import csv
import statistics
import threading
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from earlyhelp.publish.conventions import NATIONAL, REGIONAL, TOTAL
from earlyhelp.spec.periods import label as period_label

LOCAL_AUTHORITY = "Local authority"


@dataclass(frozen=True)
class Row:
    indicator: str
    label: str
    unit_suffix: str
    la: str
    region: str
    england: str
    neighbours_median: str
    neighbours_count: int
    trend: tuple[tuple[str, str], ...]  # (year label, LA value), oldest first


@dataclass(frozen=True)
class Dashboard:
    la_code: str
    la_name: str
    region_name: str
    year: str
    year_label: str
    years: tuple[tuple[str, str], ...]
    rows: tuple[Row, ...]


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except (InvalidOperation, TypeError):
        return None


@cache
def _dfe_la_figures() -> dict[tuple[int, str, str], str]:
    """(period, la_code, indicator) -> DfE's published value, for the neighbours' figures."""
    from earlyhelp import reference

    figures = reference.published_figures()
    figures = figures[figures["geographic_level"] == LOCAL_AUTHORITY]
    return {
        (int(row.time_period), str(row.la_code), str(row.indicator)): str(row.value)
        for row in figures.itertuples(index=False)
    }


@cache
def _neighbours(la_code: str) -> tuple[str, ...]:
    from earlyhelp.compare import statistical_neighbours

    try:
        return tuple(statistical_neighbours(la_code)["la_code"])
    except Exception:  # an LA the shipped tables do not know (a test's) has no neighbours
        return ()


def la_name(la_code: str) -> str:
    from earlyhelp.reference import local_authorities

    names = local_authorities()
    found = names[names["la_code"] == la_code]
    return str(found["la_name"].iloc[0]) if len(found) else la_code


def read_dashboard(published: Path, la_code: str, year: str | None = None) -> Dashboard | None:
    """The dashboard of ``la_code`` from its published file, for ``year`` (default: the latest
    year with a figure for the LA); None when nothing has been published for it yet."""
    try:
        version = published.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    # The file is replaced whole (os.replace) after each accepted load, so its mtime names its
    # version: a dashboard is built once per LA, year and version, then served from memory.
    key = (published, version, la_code, year)
    found = _BUILT.get(key, _MISSING)
    if found is _MISSING:
        # One builder at a time: when many users open cold dashboards at once (everyone arriving
        # at nine), threads building the same page side by side only fight over the GIL.
        with _BUILDING:
            found = _BUILT.get(key, _MISSING)
            if found is _MISSING:
                found = _dashboard(published, la_code, year)
                _BUILT[key] = found
                while len(_BUILT) > _KEEP:
                    _BUILT.popitem(last=False)
    return found  # type: ignore[return-value]


_KEEP = 512
_MISSING = object()
_BUILT: OrderedDict[tuple[Path, int, str, str | None], Dashboard | None] = OrderedDict()
_BUILDING = threading.Lock()


def warm_up(published: dict[str, Path]) -> None:
    """Build the reference lookups and every LA's default dashboard before users ask (run in a
    thread when the portal starts), so the first visitors do not pay for them."""
    with _BUILDING:
        _dfe_la_figures()
    la_name("")
    for la_code, path in published.items():
        read_dashboard(path, la_code)


def _dashboard(published: Path, la_code: str, year: str | None) -> Dashboard | None:
    from earlyhelp.indicators.definitions import INDICATORS
    from earlyhelp.report.catalogue import unit_suffix

    if not published.exists():
        return None
    with open(published, newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["breakdown"] == TOTAL]
    mine = [r for r in rows if r["geographic_level"] == LOCAL_AUTHORITY and r["new_la_code"] == la_code]
    if not mine:
        return None
    with_figures = sorted({r["time_period"] for r in mine if _number(r["value"]) is not None})
    all_years = sorted({r["time_period"] for r in mine})
    chosen: str = (
        year if year is not None and year in all_years else (with_figures[-1] if with_figures else all_years[-1])
    )
    region_code = mine[0]["region_code"]
    cells: dict[tuple[str, str, str], str] = {}
    for r in rows:
        if r["geographic_level"] == LOCAL_AUTHORITY and r["new_la_code"] != la_code:
            continue
        if r["geographic_level"] == REGIONAL and r["region_code"] != region_code:
            continue
        cells[(r["geographic_level"], r["time_period"], r["indicator"])] = r["value"]
    neighbours = _neighbours(la_code)
    dfe = _dfe_la_figures()
    table = []
    for indicator in INDICATORS:
        if (LOCAL_AUTHORITY, chosen, indicator.name) not in cells:
            continue
        # Counts depend on an LA's size: only rates and percentages are compared with neighbours.
        comparable = indicator.unit != "count"
        values = (
            [_number(dfe.get((int(chosen), code, indicator.name), "")) for code in neighbours] if comparable else []
        )
        numbers = [v for v in values if v is not None]
        median = f"{statistics.median(numbers):.1f}" if numbers else ("x" if comparable else "z")
        table.append(
            Row(
                indicator=indicator.name,
                label=indicator.label,
                unit_suffix=unit_suffix(indicator.unit),
                la=cells[(LOCAL_AUTHORITY, chosen, indicator.name)],
                region=cells.get((REGIONAL, chosen, indicator.name), "x"),
                england=cells.get((NATIONAL, chosen, indicator.name), "x"),
                neighbours_median=median,
                neighbours_count=len(numbers),
                trend=tuple(
                    (period_label(int(y)), cells.get((LOCAL_AUTHORITY, y, indicator.name), "x")) for y in all_years
                ),
            )
        )
    return Dashboard(
        la_code=la_code,
        la_name=mine[0]["la_name"] or la_name(la_code),
        region_name=mine[0]["region_name"],
        year=chosen,
        year_label=period_label(int(chosen)),
        years=tuple((y, period_label(int(y))) for y in all_years),
        rows=tuple(table),
    )
