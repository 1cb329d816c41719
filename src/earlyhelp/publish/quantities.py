"""The counts behind the published rows, and the sums that tie them together.

A *quantity* is one count in one area, year and breakdown: ``(time_period, geographic_level,
region_code, la_code, breakdown, measure)``. The same quantity is shown in several rows
(``eh_children`` is the count of ``eh_children`` and the numerator of ``eh_reach_pct`` and of
``prevention_ratio``), so disclosure control decides about quantities, never about one row alone.

Quantities add up (:func:`additive_groups`):

* across the geography: a region is the sum of its LAs, England the sum of every LA and so also of
  the regions plus any LA without a region;
* across breakdowns: the ``Total`` is the sum of its breakdown values;
* across measures: the ``relations`` given (closed after assessment = stepped down + not).

Disclosure control (:mod:`.disclosure`) and the audit (:mod:`.audit`) use the same model, so the
audit checks exactly the sums the rule protects, plus everything else a reader can work out
(rounding intervals and rates with their denominators).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from earlyhelp.publish.conventions import LOCAL, NATIONAL, REGIONAL, TOTAL

# (time_period, geographic_level, region_code, la_code, breakdown, measure)
Quantity = tuple[str, str, str, str, str, str]
# (total, parts): the total is the sum of the parts.
Group = tuple[Quantity, tuple[Quantity, ...]]

COUNT_FIELDS = ("numerator", "denominator")


class Counted(Protocol):
    """What the model needs of a published measure: which figures are counts, and of what."""

    @property
    def numerator(self) -> str: ...
    @property
    def denominator(self) -> str | None: ...
    @property
    def numerator_is_count(self) -> bool: ...
    @property
    def denominator_is_count(self) -> bool: ...


def is_count(definition: Counted, field: str) -> bool:
    if field == "numerator":
        return definition.numerator_is_count
    return definition.denominator_is_count and definition.denominator is not None


def quantity(row: Mapping[str, Any], definition: Counted, field: str) -> Quantity:
    """The quantity a row's count field shows (the row may be typed or published text)."""
    measure = definition.numerator if field == "numerator" else definition.denominator
    la_code = row["la_code"] if "la_code" in row else row["new_la_code"]
    return (
        str(row["time_period"]),
        row["geographic_level"],
        row["region_code"] or "",
        la_code or "",
        row["breakdown"],
        str(measure),
    )


def measure_relations(
    relations: Iterable[tuple[tuple[str, str], tuple[tuple[str, str], ...]]], definitions: Mapping[str, Counted]
) -> list[tuple[str, tuple[str, ...]]]:
    """Relations between (indicator, field) figures as relations between the measures they show."""

    def measure(name: str, field: str) -> str:
        definition = definitions[name]
        return str(definition.numerator if field == "numerator" else definition.denominator)

    return [
        (measure(*total), tuple(measure(*part) for part in parts))
        for total, parts in relations
        if total[0] in definitions and all(name in definitions for name, _ in parts)
    ]


def additive_groups(known: Iterable[Quantity], relations: Iterable[tuple[str, tuple[str, ...]]]) -> list[Group]:
    """Every sum among the ``known`` quantities (those published or suppressed, not ``x``/``z``).

    A group is formed only when its total and all its parts are known: a total whose part is not
    available is itself not available, so no sum with a missing member is ever published.
    """
    known = set(known)
    groups: list[Group] = []
    las: dict[tuple[str, str, str], list[Quantity]] = defaultdict(list)
    by_breakdown: dict[tuple[str, str, str, str, str], list[Quantity]] = defaultdict(list)
    by_area: dict[tuple[str, str, str, str, str], dict[str, Quantity]] = defaultdict(dict)
    for q in sorted(known):
        period, level, region, la, breakdown, measure = q
        if level == LOCAL:
            las[(period, breakdown, measure)].append(q)
        by_breakdown[(period, level, region, la, measure)].append(q)
        if breakdown == TOTAL:
            by_area[(period, level, region, la, breakdown)][measure] = q

    for (period, breakdown, measure), members in las.items():
        in_region: dict[str, list[Quantity]] = defaultdict(list)
        for q in members:
            in_region[q[2]].append(q)
        for region, parts in in_region.items():
            total = (period, REGIONAL, region, "", breakdown, measure)
            if region and total in known:
                groups.append((total, tuple(parts)))
        national = (period, NATIONAL, "", "", breakdown, measure)
        if national in known:
            groups.append((national, tuple(members)))
            region_totals = [(period, REGIONAL, region, "", breakdown, measure) for region in in_region if region]
            if all(total in known for total in region_totals):
                groups.append((national, tuple(region_totals) + tuple(in_region.get("", ()))))

    for members in by_breakdown.values():
        totals = [q for q in members if q[4] == TOTAL]
        breakdown_parts = tuple(q for q in members if q[4] != TOTAL)
        if totals and breakdown_parts:
            groups.append((totals[0], breakdown_parts))

    for area in by_area.values():
        for total_measure, part_measures in relations:
            if total_measure in area and all(part in area for part in part_measures):
                groups.append((area[total_measure], tuple(area[part] for part in part_measures)))
    return groups
