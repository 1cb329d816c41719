"""Disclosure control and rounding, applied to the typed internal table.

Implements "Disclosure control" of ``shared/spec/indicators.md`` (DfE children in need
conventions):

1. Primary suppression: a count of children or records from 1 to ``threshold`` is ``c``, and so is
   every figure derived from it in the same row (the value). The same count appears in several rows
   (``eh_children`` is also the numerator of ``eh_reach_pct``); the rule depends only on the count,
   so it is suppressed everywhere alike.
2. Regional and national counts are rounded to the nearest 10 after summing unrounded LA figures;
   their rates come from the unrounded sums (the internal table's values).
3. Complementary (secondary) suppression across every sum a reader can form: LA -> region ->
   England, breakdowns -> ``Total``, and the ``relations`` given (cases closed after assessment =
   stepped down + not stepped down). It works on quantities (:mod:`.quantities`), so a count
   suppressed for one sum is ``c`` in every row that shows it; a value is ``c`` when a count it is
   worked out from is. See :func:`_secondary` for the rule; :mod:`.audit` checks the result by
   linear programming.
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
    PUBLISHED_COLUMNS,
    RATE_SCALES,
    SOURCE_RETURNS,
    TIME_IDENTIFIER,
    Unit,
    round_half_away,
    round_to_ten,
)
from earlyhelp.publish.internal import INTERNAL_SCHEMA, missing_symbol
from earlyhelp.publish.quantities import (
    COUNT_FIELDS,
    Counted,
    Quantity,
    additive_groups,
    is_count,
    measure_relations,
    quantity,
)


class Definition(Counted, Protocol):
    """What disclosure control needs to know of a published measure (e.g. an ``Indicator``)."""

    @property
    def unit(self) -> Unit: ...
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


def _secondary(
    cells: list[_Cell], threshold: int, relations: Iterable[Relation], definitions: Mapping[str, Any]
) -> None:
    """Complementary suppression over every sum (:func:`additive_groups`), on quantities.

    Each sum is an equation among its total and parts; one suppressed member alone is worked out by
    subtraction, so the smallest published non-zero part is suppressed too. Each ``c`` is at least 1
    (a primary count is 1 to the threshold, a complementary one is chosen non-zero), so when a
    published total has ``n`` suppressed parts adding up to ``s``, each lies between 1 and
    ``s - n + 1``: a range of ``s - n``. While that range is below the threshold, another part is
    suppressed, or, when none is left, the total. Rounded regional and national totals count as
    published exactly: with their rates and published denominators a reader can often work them out.
    Repeated until nothing changes, since a new ``c`` can be a part of another sum.
    """
    figures: dict[Quantity, Any] = {}
    shown: dict[Quantity, list[tuple[_Cell, str]]] = defaultdict(list)
    for cell in cells:
        for field in COUNT_FIELDS:
            figure = getattr(cell, field)
            if is_count(cell.indicator, field) and (isinstance(figure, int) or figure == CONFIDENTIAL):
                key = quantity(cell.row, cell.indicator, field)
                shown[key].append((cell, field))
                figures[key] = cell.row[field]  # the true count, whether shown or c
    suppressed = {key for key, places in shown.items() if any(getattr(c, f) == CONFIDENTIAL for c, f in places)}
    # A sum that does not hold in the figures ties nothing (a table holding a sample of a region's
    # LAs); every sum `earlyhelp indicators` computes holds.
    groups = [
        (total, parts)
        for total, parts in additive_groups(figures, measure_relations(relations, definitions))
        if figures[total] == sum(figures[part] for part in parts)
    ]
    changed = True
    while changed:
        changed = False
        for total, parts in groups:
            hidden = [member for member in (total, *parts) if member in suppressed]
            if not hidden or (
                total not in suppressed
                and len(hidden) > 1
                and sum(figures[p] for p in hidden) - len(hidden) >= threshold
            ):
                continue
            if total in suppressed and len(hidden) > 1:
                continue  # the total is unknown, so the equation does not pin its parts
            candidates = [part for part in parts if part not in suppressed and figures[part] > 0]
            suppressed.add(min(candidates, key=lambda p: (figures[p], p)) if candidates else total)
            changed = True
    for key in suppressed:
        for cell, field in shown[key]:
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
    _secondary(cells, threshold, relations, definitions)
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
            "source": SOURCE_RETURNS,
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
