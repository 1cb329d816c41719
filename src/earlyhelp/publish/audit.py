"""The disclosure audit: how precisely can a reader work out each suppressed count?

For every ``c`` count, the audit finds the smallest and largest values consistent with everything
the published table says, by linear programming (HiGHS through ``scipy.optimize.linprog``), as
statistical disclosure control tools (tau-argus, sdcTable) do. What a reader knows:

* every published LA count exactly; a published regional or national count ``v`` up to its
  rounding to 10 (``v - 5`` to ``v + 4``), and that it is not 1 to the threshold (those are ``c``);
* every ``c`` is at least 1 (a primary count is 1 to the threshold, a complementary one non-zero);
* every sum of :func:`earlyhelp.publish.quantities.additive_groups` (LA -> region -> England,
  breakdowns -> Total, the relations across measures);
* every published percentage, rate or ratio with its numerator and denominator: a value ``r``
  shown to ``p`` decimal places says ``r - h <= scale * numerator / denominator <= r + h`` with
  ``h = 0.5 * 10**-p``, which is linear in the two counts; ``low`` says the value is below ``h``.

Integrality is relaxed, so the interval found contains the integer one. **Criterion**: a
suppressed count is protected when ``upper - lower >= threshold - 1`` (and at least 1): the
published figures leave it at least as uncertain as the symbol ``c`` itself does, which says of a
primary count only that it is one of the ``threshold`` values 1 to ``threshold``. Anything
narrower, and in particular an exact recovery, is *recoverable*. (Complementary suppression aims
wider, ``threshold``, so that sums interacting with each other keep this margin.)
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pyarrow as pa
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from earlyhelp.publish.conventions import CONFIDENTIAL, DECIMAL_PLACES, LOCAL, LOW, RATE_SCALES
from earlyhelp.publish.quantities import (
    COUNT_FIELDS,
    Quantity,
    additive_groups,
    is_count,
    measure_relations,
    quantity,
)

# A linear constraint: coefficients by quantity, and the right-hand side (sum == rhs, or <= rhs).
Constraint = tuple[dict[Quantity, float], float]


def required_width(threshold: int) -> int:
    """How wide the values a suppressed count can take must stay: as wide as ``c`` itself says
    (1 to the threshold), and never a single value."""
    return max(threshold - 1, 1)


@dataclass(frozen=True)
class Interval:
    """The values of one suppressed count consistent with everything published."""

    quantity: Quantity
    lower: float
    upper: float  # math.inf when nothing published bounds it above

    def protected(self, threshold: int) -> bool:
        # A small tolerance for the solver's arithmetic: widths are whole numbers or fractions of
        # a rounding interval, far from 1e-6.
        return self.upper - self.lower >= required_width(threshold) - 1e-6

    def describe(self) -> str:
        period, level, region, la, breakdown, measure = self.quantity
        area = la or region or "England"
        where = f"{measure} ({breakdown})" if breakdown != "Total" else measure
        return f"{period} {level} {area} {where}: between {self.lower:g} and {self.upper:g}"


@dataclass(frozen=True)
class Audit:
    threshold: int
    intervals: tuple[Interval, ...]
    seconds: float

    @property
    def recoverable(self) -> list[Interval]:
        return [interval for interval in self.intervals if not interval.protected(self.threshold)]


def _count(text: str) -> int | None:
    return int(text) if text.lstrip("-").isdigit() else None


def _number(text: str) -> float | None:
    try:
        return float(Decimal(text))
    except InvalidOperation:
        return None


def _rounded_bounds(value: int, threshold: int) -> tuple[float, float]:
    """The counts a regional or national figure published as ``value`` can be."""
    lower, upper = max(value - 5, 0), value + 4
    if value == 0 and threshold >= 4:
        upper = 0  # 1 to 4 would have been c
    if 1 <= lower <= threshold:
        lower = threshold + 1
    return lower, upper


def _published_knowledge(
    rows: list[dict[str, Any]], definitions: Mapping[str, Any], threshold: int
) -> tuple[dict[Quantity, list[float]], set[Quantity], list[Constraint]]:
    """Bounds of every shown count, the suppressed ones, and the rate constraints (all <= 0)."""
    bounds: dict[Quantity, list[float]] = {}
    suppressed: set[Quantity] = set()
    rates: list[Constraint] = []

    def narrow(key: Quantity, lower: float, upper: float) -> None:
        known = bounds.setdefault(key, [0.0, math.inf])
        known[0], known[1] = max(known[0], lower), min(known[1], upper)

    for row in rows:
        definition = definitions[row["indicator"]]
        for field in COUNT_FIELDS:
            text = row[field]
            if not is_count(definition, field):
                continue
            key = quantity(row, definition, field)
            if text == CONFIDENTIAL:
                suppressed.add(key)
                narrow(key, 1, math.inf)
            elif (count := _count(text)) is not None:
                if row["geographic_level"] == LOCAL:
                    narrow(key, count, count)
                else:
                    narrow(key, *_rounded_bounds(count, threshold))
        scale = RATE_SCALES.get(definition.unit)
        if scale is None or row["numerator"] in ("x", "z") or row["denominator"] in ("x", "z"):
            continue
        terms: dict[str, tuple[Quantity | None, float]] = {}
        for field in COUNT_FIELDS:
            if is_count(definition, field):
                terms[field] = (quantity(row, definition, field), 0.0)
            else:
                constant = _number(row[field])
                if constant is None:
                    break
                terms[field] = (None, constant)
        else:
            half = 0.5 * 10 ** -DECIMAL_PLACES[definition.unit]
            if row["value"] == LOW:
                low_high = [(0.0, half)]
            elif (value := _number(row["value"])) is not None:
                low_high = [(value - half, value + half)]
            else:
                continue
            for low, high in low_high:
                # low * den <= scale * num  and  scale * num <= high * den
                rates.append(_linear({terms["denominator"]: low, terms["numerator"]: -scale}))
                rates.append(_linear({terms["numerator"]: scale, terms["denominator"]: -high}))
    return bounds, suppressed, rates


def _linear(terms: dict[tuple[Quantity | None, float], float]) -> Constraint:
    """``sum(coefficient * term) <= 0`` with constant terms moved to the right-hand side."""
    coefficients: dict[Quantity, float] = {}
    rhs = 0.0
    for (key, constant), coefficient in terms.items():
        if key is None:
            rhs -= coefficient * constant
        else:
            coefficients[key] = coefficients.get(key, 0.0) + coefficient
    return coefficients, rhs


def _substitute(constraint: Constraint, fixed: dict[Quantity, float]) -> Constraint:
    coefficients, rhs = constraint
    free = {}
    for key, coefficient in coefficients.items():
        if key in fixed:
            rhs -= coefficient * fixed[key]
        else:
            free[key] = coefficient
    return free, rhs


def _components(
    variables: Iterable[Quantity], constraints: list[tuple[Constraint, bool]]
) -> list[tuple[set[Quantity], list[tuple[Constraint, bool]]]]:
    """The independent linear programs: variables tied by constraints, with their constraints."""
    parent = {key: key for key in variables}

    def root(key: Quantity) -> Quantity:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for (coefficients, _), _equality in constraints:
        keys = list(coefficients)
        for other in keys[1:]:
            parent[root(other)] = root(keys[0])
    members: dict[Quantity, set[Quantity]] = defaultdict(set)
    for key in parent:
        members[root(key)].add(key)
    tied: dict[Quantity, list[tuple[Constraint, bool]]] = defaultdict(list)
    for constraint in constraints:
        tied[root(next(iter(constraint[0][0])))].append(constraint)
    return [(keys, tied[top]) for top, keys in members.items()]


def _matrix(constraints: list[Constraint], index: dict[Quantity, int]) -> tuple[csr_matrix | None, np.ndarray | None]:
    if not constraints:
        return None, None
    rows, columns, data = [], [], []
    for row, (coefficients, _) in enumerate(constraints):
        for key, coefficient in coefficients.items():
            rows.append(row)
            columns.append(index[key])
            data.append(coefficient)
    matrix = csr_matrix((data, (rows, columns)), shape=(len(constraints), len(index)))
    return matrix, np.array([rhs for _, rhs in constraints])


def _intervals(
    component: set[Quantity],
    suppressed: set[Quantity],
    bounds: dict[Quantity, list[float]],
    equalities: list[Constraint],
    inequalities: list[Constraint],
) -> list[Interval]:
    order = sorted(component)
    index = {key: i for i, key in enumerate(order)}
    a_eq, b_eq = _matrix(equalities, index)
    a_ub, b_ub = _matrix(inequalities, index)
    box = [(bounds[key][0], None if math.isinf(bounds[key][1]) else bounds[key][1]) for key in order]
    out = []
    for key in order:
        if key not in suppressed:
            continue
        extremes = []
        for sense in (1.0, -1.0):
            objective = np.zeros(len(order))
            objective[index[key]] = sense
            result = linprog(objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=box, method="highs")
            if result.status == 3:  # unbounded: only the maximum can be
                extremes.append(math.inf)
            elif result.status == 0:
                extremes.append(sense * result.fun)
            else:
                raise RuntimeError(f"The disclosure audit's linear program failed: {result.message}")
        out.append(Interval(key, extremes[0], extremes[1]))
    return out


def audit(
    published: pa.Table,
    definitions: Mapping[str, Any],
    threshold: int,
    relations: Iterable[tuple[tuple[str, str], tuple[tuple[str, str], ...]]] = (),
) -> Audit:
    """The interval of every suppressed count of a published table (``PUBLISHED_COLUMNS``)."""
    started = time.perf_counter()
    rows = published.to_pylist()
    bounds, suppressed, rates = _published_knowledge(rows, definitions, threshold)
    groups = additive_groups(bounds, measure_relations(relations, definitions))
    sums: list[Constraint] = []
    for total, parts in groups:
        coefficients = {total: 1.0}
        for part in parts:
            coefficients[part] = coefficients.get(part, 0.0) - 1.0
        sums.append((coefficients, 0.0))
    fixed = {key: lower for key, (lower, upper) in bounds.items() if lower == upper}
    equalities = [c for c in (_substitute(c, fixed) for c in sums) if c[0]]
    inequalities = [c for c in (_substitute(c, fixed) for c in rates) if c[0]]
    variables = [key for key in bounds if key not in fixed or key in suppressed]
    intervals: list[Interval] = []
    tagged = [(c, True) for c in equalities] + [(c, False) for c in inequalities]
    for component, constraints in _components(variables, tagged):
        if not component & suppressed:
            continue
        if component <= fixed.keys():  # a c shown as a number in another row
            intervals += [Interval(key, fixed[key], fixed[key]) for key in sorted(component)]
            continue
        intervals += _intervals(
            component,
            suppressed,
            bounds,
            [c for c, equality in constraints if equality],
            [c for c, equality in constraints if not equality],
        )
    return Audit(threshold, tuple(sorted(intervals, key=lambda i: i.quantity)), time.perf_counter() - started)
