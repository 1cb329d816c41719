"""Disclosure control and rounding, applied to the typed internal table.

Implements "Disclosure control" of ``shared/spec/indicators.md`` (DfE children in need
conventions):

1. Primary suppression: a count of children or records from 1 to ``threshold`` is ``c``, and so is
   every figure derived from it in the same row (the value). The same count appears in several rows
   (``eh_children`` is also the numerator of ``eh_reach_pct``); the rule depends only on the count,
   so it is suppressed everywhere alike.
2. Regional and national counts are rounded to the nearest 10 after summing unrounded LA figures;
   their rates come from the unrounded sums (the internal table's values).
3. Secondary suppression, field by field: within one area x year x indicator, the breakdown
   cells' numerators add up to the ``Total``'s numerator and their denominators to its
   denominator. For each of the two fields, when exactly one part has it suppressed and the
   ``Total``'s is published, the same field of the smallest other non-zero part is suppressed too
   (and so that part's value). The same is done for counts that add up across indicators
   (the ``relations`` given, e.g. cases closed after assessment = stepped down + not stepped down).
   The rules are repeated until nothing changes, since a new suppression can leave a new single
   suppressed part.
4. Values are rounded half away from zero to the spec's decimal places; a non-zero value that
   rounds to zero is ``low``. Python's ``round`` (half to even) is never used.

Population denominators (public ONS estimates) and money are not suppressed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any, Protocol

import pyarrow as pa

from earlyhelp.errors import UsageError
from earlyhelp.publish.conventions import (
    CONFIDENTIAL,
    COUNTRY_CODE,
    COUNTRY_NAME,
    DECIMAL_PLACES,
    LOCAL,
    LOW,
    NOT_AVAILABLE,
    PUBLISHED_COLUMNS,
    RATE_SCALES,
    TIME_IDENTIFIER,
    TOTAL,
    Unit,
    round_half_away,
    round_to_ten,
)
from earlyhelp.publish.internal import INTERNAL_SCHEMA, missing_symbol


class Definition(Protocol):
    """What disclosure control needs to know of a published measure (e.g. an ``Indicator``)."""

    @property
    def unit(self) -> Unit: ...
    @property
    def numerator_is_count(self) -> bool: ...
    @property
    def denominator_is_count(self) -> bool: ...
    @property
    def breakdowns(self) -> tuple[str, ...]: ...


# Counts that add up across measures: ((total measure, field), ((part measure, field), ...)).
Relation = tuple[tuple[str, str], tuple[tuple[str, str], ...]]


def _exact_value(indicator: Definition, numerator: Any, denominator: Any, value: Any) -> Any:
    """The unrounded value, recomputed exactly from integer counts where the unit allows."""
    if isinstance(value, str):
        return value
    scale = RATE_SCALES.get(indicator.unit)
    if scale and isinstance(numerator, int) and isinstance(denominator, int) and denominator:
        return Fraction(scale * numerator, denominator)
    return value


def _figures(row: dict[str, Any]) -> tuple[Any, Any, Any]:
    """A typed row's numerator, denominator and value: numbers, or the symbol they are shown as."""
    missing = missing_symbol(row["status"])
    if row["numerator_pounds"] is not None:
        numerator: Any = row["numerator_pounds"]
    else:
        numerator = missing if row["numerator"] is None else row["numerator"]
    denominator = missing if row["denominator"] is None else row["denominator"]
    value = row["value"] if row["status"] is None and row["value"] is not None else row["status"] or missing
    return numerator, denominator, value


class _Cell:
    """One published row while rules are applied."""

    __slots__ = ("denominator", "indicator", "numerator", "row", "value")

    def __init__(self, row: dict[str, Any], indicator: Definition):
        self.row = row
        self.indicator = indicator
        self.numerator, self.denominator, value = _figures(row)
        self.value = _exact_value(indicator, self.numerator, self.denominator, value)

    def suppress(self, field: str) -> None:
        setattr(self, field, CONFIDENTIAL)
        self.value = CONFIDENTIAL


def _is_small(figure: Any, threshold: int) -> bool:
    return isinstance(figure, int) and 1 <= figure <= threshold


def _primary(cell: _Cell, threshold: int) -> None:
    if cell.indicator.numerator_is_count and _is_small(cell.numerator, threshold):
        cell.suppress("numerator")
    if cell.indicator.denominator_is_count and _is_small(cell.denominator, threshold):
        cell.suppress("denominator")


COUNT_FIELDS = ("numerator", "denominator")


def _counts(indicator: Definition, field: str) -> bool:
    return indicator.numerator_is_count if field == "numerator" else indicator.denominator_is_count


def _hide_one_more(parts: list[tuple[_Cell, str]]) -> bool:
    """Parts of a published total: if exactly one is ``c``, suppress the smallest non-zero other.

    Returns whether a figure was suppressed. Parts that are ``x`` make the sum unknowable anyway,
    so nothing is done for them.
    """
    figures = [getattr(cell, field) for cell, field in parts]
    if any(figure == NOT_AVAILABLE for figure in figures):
        return False
    if sum(figure == CONFIDENTIAL for figure in figures) != 1:
        return False
    open_parts = [
        (cell, field) for cell, field in parts if isinstance(getattr(cell, field), int) and getattr(cell, field) > 0
    ]
    if not open_parts:
        return False
    cell, field = min(open_parts, key=lambda cf: (getattr(cf[0], cf[1]), cf[0].row["breakdown"]))
    cell.suppress(field)
    return True


def _breakdown_groups(cells: list[_Cell]) -> list[tuple[_Cell, list[_Cell]]]:
    """(Total, parts) of every area x year x indicator with breakdowns."""
    groups: dict[tuple, list[_Cell]] = defaultdict(list)
    for cell in cells:
        if cell.indicator.breakdowns:
            r = cell.row
            groups[(r["time_period"], r["geographic_level"], r["region_code"], r["la_code"], r["indicator"])].append(
                cell
            )
    out = []
    for group in groups.values():
        totals = [c for c in group if c.row["breakdown"] == TOTAL]
        if totals:
            out.append((totals[0], [c for c in group if c.row["breakdown"] != TOTAL]))
    return out


def _secondary_breakdowns(groups: list[tuple[_Cell, list[_Cell]]]) -> bool:
    """Each count field on its own: the numerators of the parts add up to the Total's numerator,
    and so do the denominators. Whole cells are not enough: a part with only its numerator
    suppressed would still give its numerator back by subtraction."""
    changed = False
    for total, parts in groups:
        for field in COUNT_FIELDS:
            if not _counts(total.indicator, field) or not isinstance(getattr(total, field), int):
                continue
            changed |= _hide_one_more([(part, field) for part in parts])
    return changed


def _relation_groups(
    cells: list[_Cell], relations: Iterable[Relation]
) -> list[tuple[tuple[_Cell, str], list[tuple[_Cell, str]]]]:
    """(total figure, part figures) of every relation's sum in every area x year."""
    by_area: dict[tuple, dict[str, _Cell]] = defaultdict(dict)
    for cell in cells:
        r = cell.row
        if r["breakdown"] == TOTAL:
            by_area[(r["time_period"], r["geographic_level"], r["region_code"], r["la_code"])][r["indicator"]] = cell
    out: list[tuple[tuple[_Cell, str], list[tuple[_Cell, str]]]] = []
    for area in by_area.values():
        for (total_name, total_field), parts in relations:
            if total_name in area and all(name in area for name, _ in parts):
                out.append(((area[total_name], total_field), [(area[name], field) for name, field in parts]))
    return out


def _secondary_relations(groups: list[tuple[tuple[_Cell, str], list[tuple[_Cell, str]]]]) -> bool:
    changed = False
    for (total, total_field), parts in groups:
        if isinstance(getattr(total, total_field), int):
            changed |= _hide_one_more(parts)
    return changed


def _secondary(cells: list[_Cell], relations: Iterable[Relation]) -> None:
    """Apply both secondary rules until nothing changes: a figure suppressed for one sum can be a
    part of another sum (relations sharing a part), which then has a single suppressed part."""
    breakdowns, sums = _breakdown_groups(cells), _relation_groups(cells, relations)
    while True:
        changed = _secondary_breakdowns(breakdowns)
        changed |= _secondary_relations(sums)
        if not changed:
            return


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
        places = DECIMAL_PLACES[indicator.unit]
        rounded = round_half_away(cell.value, places)
        value = LOW if rounded == 0 and cell.value != 0 else f"{rounded:.{places}f}"
    return numerator, denominator, value


def disclosure_control(
    internal: pa.Table,
    threshold: int,
    areas: dict[str, dict[str, str]] | None,
    definitions: Mapping[str, Definition],
    relations: Iterable[Relation] = (),
) -> pa.Table:
    """The disclosure-controlled table in Explore Education Statistics tidy format (all text).

    ``internal`` is the typed internal table (:mod:`earlyhelp.publish.internal`); ``definitions``
    maps each of its indicators to its unit and which figures are counts; ``relations`` are the
    counts that add up across indicators. ``areas`` maps la_code -> {la_name, region_code,
    region_name, old_la_code} (and region codes -> {region_name}); None takes the names from
    ``earlyhelp.reference`` when available.
    """
    if threshold < 1:
        raise UsageError("The suppression threshold must be at least 1 (the spec's default is 5).")
    missing = set(INTERNAL_SCHEMA.names) - set(internal.column_names)
    if missing:
        raise UsageError(f"The internal table lacks the columns {sorted(missing)}.")
    rows = internal.to_pylist()
    unknown = sorted({row["indicator"] for row in rows} - set(definitions))
    if unknown:
        raise UsageError(f"No definition for the indicator(s) {', '.join(unknown)}.")
    names = areas if areas is not None else reference_areas()
    cells = [_Cell(row, definitions[row["indicator"]]) for row in rows]
    for cell in cells:
        _primary(cell, threshold)
    _secondary(cells, relations)
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


def areas_from_rows(
    rows: Iterable[dict[str, Any]], old_codes: dict[str, str] | None = None
) -> dict[str, dict[str, str]]:
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


REFERENCE_LA_COLUMNS = ("la_code", "la_name", "region_code", "region_name", "old_la_code")


def _reference_la_rows() -> list[dict[str, str]]:
    """The shipped LA list (``earlyhelp.reference``) as plain text rows; empty without it.

    Names are a nicety, so two things that can really happen are tolerated: the reference package
    is not installed (ImportError) or its table lacks a column (KeyError). Anything else is a bug
    and is raised.
    """
    try:
        from earlyhelp.reference import local_authorities
    except ImportError:
        return []
    try:
        frame = local_authorities()[list(REFERENCE_LA_COLUMNS)]
    except KeyError:
        return []
    return [
        {column: (value if isinstance(value, str) else "") for column, value in row.items()}
        for row in frame.to_dict("records")
    ]


def reference_old_la_codes() -> dict[str, str]:
    """Old (three-digit DfE) LA codes from ``earlyhelp.reference``."""
    return {row["la_code"]: row["old_la_code"] for row in _reference_la_rows() if row["la_code"] and row["old_la_code"]}


def reference_areas() -> dict[str, dict[str, str]]:
    """LA and region names from ``earlyhelp.reference``, for LAs the data does not name."""
    return areas_from_rows(_reference_la_rows())
