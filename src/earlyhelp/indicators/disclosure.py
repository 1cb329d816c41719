"""Publication rules: disclosure control and rounding, applied to the internal table.

Implements "Disclosure control" of ``shared/spec/indicators.md`` (DfE children in need
conventions):

1. Primary suppression: a count of children or records from 1 to ``threshold`` is ``c``, and so is
   every figure derived from it in the same row (the value). The same count appears in several rows
   (``eh_children`` is also the numerator of ``eh_reach_pct``); the rule depends only on the count,
   so it is suppressed everywhere alike.
2. Regional and national counts are rounded to the nearest 10 after summing unrounded LA figures;
   their rates come from the unrounded sums (the internal table's values).
3. Secondary suppression: within one area x year x indicator, when exactly one breakdown cell is
   suppressed and the ``Total`` is published, the smallest other non-zero cell is suppressed too.
   The same is done for counts that add up across indicators (``ADDITIVE_RELATIONS``: cases closed
   after assessment = stepped down + not stepped down).
4. Values are rounded half away from zero to the spec's decimal places; a non-zero value that
   rounds to zero is ``low``. Python's ``round`` (half to even) is never used.

Population denominators (public ONS estimates) and money are not suppressed.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Iterable

import pyarrow as pa

from earlyhelp.errors import UsageError
from earlyhelp.indicators.compute import (
    LOCAL,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    OUTPUT_COLUMNS,
    TOTAL,
)
from earlyhelp.indicators.definitions import ADDITIVE_RELATIONS, INDICATOR_BY_NAME, Indicator

CONFIDENTIAL, LOW = "c", "low"
SYMBOLS = frozenset({CONFIDENTIAL, NOT_AVAILABLE, NOT_APPLICABLE, LOW})

PUBLISHED_COLUMNS = (
    "time_period", "time_identifier", "geographic_level", "country_code", "country_name",
    "region_code", "region_name", "new_la_code", "old_la_code", "la_name",
    "indicator", "breakdown", "numerator", "denominator", "value",
)
TIME_IDENTIFIER = "Financial year"
COUNTRY_CODE, COUNTRY_NAME = "E92000001", "England"


def round_half_away(value: Fraction | Decimal | float | int, places: int) -> Decimal:
    """Round half away from zero. Exact for fractions; floats go through their shortest repr."""
    if isinstance(value, Fraction):
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        # Decimal division is exact to 28 digits, far beyond any tie we could meet at 2 dp.
        decimal = exact
    elif isinstance(value, float):
        decimal = Decimal(repr(value))
    else:
        decimal = Decimal(value)
    return decimal.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def round_to_ten(count: int) -> int:
    return int(round_half_away(Fraction(count, 10), 0)) * 10


def _parse(cell: str) -> int | Fraction | float | str:
    if cell in SYMBOLS or cell == "":
        return cell or NOT_APPLICABLE
    try:
        return int(cell)
    except ValueError:
        return float(cell)


def _exact_value(indicator: Indicator, numerator: Any, denominator: Any, value: Any) -> Any:
    """The unrounded value, recomputed exactly from integer counts where the unit allows."""
    if isinstance(value, str):
        return value
    scale = {"pct": 100, "per_10k": 10_000, "ratio": 1}.get(indicator.unit)
    if scale and isinstance(numerator, int) and isinstance(denominator, int) and denominator:
        return Fraction(scale * numerator, denominator)
    return value


class _Cell:
    """One published row while rules are applied."""

    __slots__ = ("row", "indicator", "numerator", "denominator", "value")

    def __init__(self, row: dict[str, str]):
        self.row = row
        self.indicator = INDICATOR_BY_NAME[row["indicator"]]
        self.numerator = _parse(row["numerator"])
        self.denominator = _parse(row["denominator"])
        self.value = _exact_value(self.indicator, self.numerator, self.denominator, _parse(row["value"]))

    @property
    def suppressed(self) -> bool:
        return CONFIDENTIAL in (self.numerator, self.denominator, self.value)

    @property
    def published(self) -> bool:
        return not any(isinstance(f, str) and f in (CONFIDENTIAL, NOT_AVAILABLE)
                       for f in (self.numerator, self.denominator, self.value))

    def suppress(self, field: str) -> None:
        setattr(self, field, CONFIDENTIAL)
        self.value = CONFIDENTIAL

    def size(self) -> int:
        """How big the cell is, for choosing the smallest one to suppress."""
        if self.indicator.denominator_is_count and isinstance(self.denominator, int):
            return self.denominator
        return self.numerator if isinstance(self.numerator, int) else 0


def _is_small(figure: Any, threshold: int) -> bool:
    return isinstance(figure, int) and 1 <= figure <= threshold


def _primary(cell: _Cell, threshold: int) -> None:
    if cell.indicator.numerator_is_count and _is_small(cell.numerator, threshold):
        cell.suppress("numerator")
    if cell.indicator.denominator_is_count and _is_small(cell.denominator, threshold):
        cell.suppress("denominator")


def _secondary_breakdowns(cells: list[_Cell]) -> None:
    groups: dict[tuple, list[_Cell]] = defaultdict(list)
    for cell in cells:
        if cell.indicator.breakdowns:
            r = cell.row
            groups[(r["time_period"], r["geographic_level"], r["region_code"], r["la_code"],
                    r["indicator"])].append(cell)
    for group in groups.values():
        total = [c for c in group if c.row["breakdown"] == TOTAL]
        parts = [c for c in group if c.row["breakdown"] != TOTAL]
        if not total or not total[0].published:
            continue
        if sum(c.suppressed for c in parts) != 1:
            continue
        candidates = [c for c in parts if not c.suppressed and c.published and c.size() > 0]
        if candidates:
            smallest = min(candidates, key=lambda c: (c.size(), c.row["breakdown"]))
            for field in ("numerator", "denominator"):
                counts = (smallest.indicator.numerator_is_count if field == "numerator"
                          else smallest.indicator.denominator_is_count)
                if counts and isinstance(getattr(smallest, field), int):
                    smallest.suppress(field)


def _secondary_relations(cells: list[_Cell]) -> None:
    by_area: dict[tuple, dict[str, _Cell]] = defaultdict(dict)
    for cell in cells:
        r = cell.row
        if r["breakdown"] == TOTAL:
            by_area[(r["time_period"], r["geographic_level"], r["region_code"], r["la_code"])][
                r["indicator"]] = cell
    for area in by_area.values():
        for (total_name, total_field), parts in ADDITIVE_RELATIONS:
            total = area.get(total_name)
            part_cells = [(area.get(name), field) for name, field in parts]
            if total is None or any(c is None for c, _ in part_cells):
                continue
            if not isinstance(getattr(total, total_field), int):
                continue
            figures = [getattr(c, f) for c, f in part_cells]
            if any(f == NOT_AVAILABLE for f in figures):
                continue
            hidden = [f == CONFIDENTIAL for f in figures]
            if sum(hidden) != 1:
                continue
            open_parts = [(c, f) for (c, f), h in zip(part_cells, hidden) if not h
                          and isinstance(getattr(c, f), int) and getattr(c, f) > 0]
            if open_parts:
                cell, field = min(open_parts, key=lambda cf: getattr(cf[0], cf[1]))
                cell.suppress(field)


def _format(cell: _Cell, regional_or_national: bool) -> tuple[str, str, str]:
    indicator = cell.indicator

    def count_text(figure: Any, is_count: bool) -> str:
        if isinstance(figure, str):
            return figure
        if isinstance(figure, int):
            return str(round_to_ten(figure) if (is_count and regional_or_national) else figure)
        return str(round_half_away(figure, 0))  # money: whole pounds

    numerator = count_text(cell.numerator, indicator.numerator_is_count)
    denominator = count_text(cell.denominator, indicator.denominator_is_count)
    if isinstance(cell.value, str):
        value = cell.value
    elif indicator.unit == "count":
        value = numerator
    else:
        rounded = round_half_away(cell.value, indicator.decimal_places)
        value = LOW if rounded == 0 and cell.value != 0 else f"{rounded:.{indicator.decimal_places}f}"
    return numerator, denominator, value


def publish(internal: pa.Table | Iterable[dict[str, str]], threshold: int = 5,
            areas: dict[str, dict[str, str]] | None = None) -> pa.Table:
    """The disclosure-controlled table in Explore Education Statistics tidy format.

    ``areas`` maps la_code -> {la_name, region_code, region_name, old_la_code} (and region codes ->
    {region_name}); without it, names come from ``earlyhelp.reference`` when available.
    """
    if threshold < 1:
        raise UsageError("The suppression threshold must be at least 1 (the spec's default is 5).")
    rows = internal.to_pylist() if isinstance(internal, pa.Table) else list(internal)
    missing = set(OUTPUT_COLUMNS) - set(rows[0]) if rows else set()
    if missing:
        raise UsageError(f"The internal table lacks the columns {sorted(missing)}.")
    names = areas if areas is not None else reference_areas()
    cells = [_Cell(row) for row in rows]
    for cell in cells:
        _primary(cell, threshold)
    _secondary_breakdowns(cells)
    _secondary_relations(cells)
    out: dict[str, list[str]] = {column: [] for column in PUBLISHED_COLUMNS}
    for cell in cells:
        row = cell.row
        numerator, denominator, value = _format(cell, row["geographic_level"] != LOCAL)
        la = names.get(row["la_code"], {}) if row["la_code"] else {}
        region = names.get(row["region_code"], {}) if row["region_code"] else {}
        values = {
            "time_period": row["time_period"],
            "time_identifier": TIME_IDENTIFIER,
            "geographic_level": row["geographic_level"],
            "country_code": COUNTRY_CODE,
            "country_name": COUNTRY_NAME,
            "region_code": row["region_code"],
            "region_name": region.get("region_name", "") or la.get("region_name", ""),
            "new_la_code": row["la_code"],
            "old_la_code": str(la.get("old_la_code", "") or ""),
            "la_name": la.get("la_name", "") or "",
            "indicator": row["indicator"],
            "breakdown": row["breakdown"],
            "numerator": numerator,
            "denominator": denominator,
            "value": value,
        }
        for column in PUBLISHED_COLUMNS:
            out[column].append(values[column])
    return pa.table({column: pa.array(out[column], pa.string()) for column in PUBLISHED_COLUMNS})


def areas_from_rows(rows: Iterable[dict[str, Any]], old_codes: dict[str, str] | None = None) -> dict[str, dict[str, str]]:
    """Name lookup for ``publish`` from ``local_authorities`` rows (la_code, la_name, region_*)."""
    old_codes = old_codes or {}
    areas: dict[str, dict[str, str]] = {}
    for row in rows:
        la = row.get("la_code")
        if not la:
            continue
        areas[la] = {
            "la_name": row.get("la_name") or "",
            "region_code": row.get("region_code") or "",
            "region_name": row.get("region_name") or "",
            "old_la_code": str(row.get("old_la_code") or old_codes.get(la, "") or ""),
        }
        if row.get("region_code"):
            areas.setdefault(row["region_code"], {"region_name": row.get("region_name") or ""})
    return areas


def reference_old_la_codes() -> dict[str, str]:
    """Old (three-digit DfE) LA codes from ``earlyhelp.reference`` when that package provides them."""
    try:
        from earlyhelp.reference import local_authorities  # type: ignore[attr-defined]
    except ImportError:
        return {}
    try:
        table = local_authorities()
        if hasattr(table, "to_pylist"):
            rows = table.to_pylist()
        elif hasattr(table, "to_dict"):
            rows = table.to_dict("records")
        else:
            rows = list(table)
        codes: dict[str, str] = {}
        for r in rows:
            la, old = r.get("la_code"), r.get("old_la_code")
            if isinstance(la, str) and isinstance(old, str) and old:
                codes[la] = old
        return codes
    except Exception:  # noqa: BLE001 - names are a nicety; never fail publication over them
        return {}


def reference_areas() -> dict[str, dict[str, str]]:
    try:
        from earlyhelp.reference import local_authorities  # type: ignore[attr-defined]

        table = local_authorities()
        rows = table.to_pylist() if hasattr(table, "to_pylist") else table.to_dict("records")
        clean = [{k: (v if isinstance(v, str) else "") for k, v in r.items()} for r in rows]
        return areas_from_rows(clean)
    except Exception:  # noqa: BLE001 - without reference names the codes still identify areas
        return {}
