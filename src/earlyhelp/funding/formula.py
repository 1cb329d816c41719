"""The grant formula file (TOML, read with the standard library's tomllib). Keys: docs/funding.md."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from earlyhelp.errors import UsageError

WEIGHT_KEYS = ("children", "deprivation", "interventions")
INTERVENTION_KEYS = ("cin", "cp", "cla")
DAMPING_KEYS = ("floor_change_pct", "cap_gain_pct")
# What the deprivation weight counts: income-deprived children (children x IDACI 2019 score) or DWP
# children in relative low income families.
DEPRIVATION_MEASURES = ("idaci", "child_poverty")


@dataclass(frozen=True)
class Formula:
    pot: int
    data_year: int
    weights: dict[str, float]
    interventions: dict[str, float] = field(default_factory=lambda: dict.fromkeys(INTERVENTION_KEYS, 1.0))
    floor_change_pct: float | None = None
    cap_gain_pct: float | None = None
    aca_default: float = 1.0
    aca: dict[str, float] = field(default_factory=dict)

    deprivation_measure: str = "idaci"

    def with_weight(self, key: str, factor: float) -> Formula:
        """The same formula with one weight multiplied by ``factor`` (for the sensitivity table)."""
        return replace(self, weights={**self.weights, key: self.weights[key] * factor})

    def without_damping(self) -> Formula:
        return replace(self, floor_change_pct=None, cap_gain_pct=None)


def default_formula_text() -> str:
    return resources.files("earlyhelp.funding").joinpath("default_formula.toml").read_text(encoding="utf-8")


def read_formula(path: Path | None) -> tuple[Formula, str]:
    """The formula in ``path`` (the shipped default when None) and the file's text, to copy beside the results."""
    if path is None:
        text = default_formula_text()
        where = "the shipped default formula"
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise UsageError(f"Cannot read the formula file {path}: {error.strerror}.") from error
        where = str(path)
    return parse_formula(text, where), text


def parse_formula(text: str, where: str = "the formula") -> Formula:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{where} is not valid TOML: {error}.") from error
    _only(
        raw,
        {"pot", "data_year", "deprivation_measure", "weights", "interventions", "damping", "area_cost_adjustment"},
        where,
    )
    for key in ("pot", "data_year", "weights"):
        if key not in raw:
            raise UsageError(f"{where} has no `{key}`.", hint="See docs/funding.md for every key.")
    pot = raw["pot"]
    if not isinstance(pot, int) or isinstance(pot, bool) or pot < 0:
        raise UsageError(f"`pot` in {where} must be a whole number of pounds, 0 or more.")
    data_year = raw["data_year"]
    if not isinstance(data_year, int) or data_year % 100 != (data_year // 100 + 1) % 100:
        raise UsageError(f"`data_year` in {where} must be a financial year like 202122.")
    measure = raw.get("deprivation_measure", "idaci")
    if measure not in DEPRIVATION_MEASURES:
        raise UsageError(f"`deprivation_measure` in {where} must be one of {', '.join(DEPRIVATION_MEASURES)}.")
    weights = _weights(raw["weights"], WEIGHT_KEYS, "weights", where)
    interventions = _weights(
        raw.get("interventions", dict.fromkeys(INTERVENTION_KEYS, 1.0)), INTERVENTION_KEYS, "interventions", where
    )
    damping = _table(raw.get("damping", {}), "damping", where)
    _only(damping, set(DAMPING_KEYS), where, "[damping]")
    floor = _number(damping.get("floor_change_pct"), "damping.floor_change_pct", where)
    cap = _number(damping.get("cap_gain_pct"), "damping.cap_gain_pct", where)
    # A floor above 0 or a cap below 0 could leave no allocation that sums to the pot.
    if floor is not None and not -100 <= floor <= 0:
        raise UsageError(f"`damping.floor_change_pct` in {where} must be between -100 and 0.")
    if cap is not None and cap < 0:
        raise UsageError(f"`damping.cap_gain_pct` in {where} must be 0 or more.")
    aca_table = _table(raw.get("area_cost_adjustment", {}), "area_cost_adjustment", where)
    aca: dict[str, float] = {}
    for key, value in aca_table.items():
        number = _number(value, f"area_cost_adjustment.{key}", where)
        if number is None or number <= 0:
            raise UsageError(f"Every area cost adjustment in {where} must be a number above 0.")
        aca[key] = number
    aca_default = aca.pop("default", 1.0)
    return Formula(pot, data_year, weights, interventions, floor, cap, aca_default, aca, measure)


def _only(table: dict[str, Any], allowed: set[str], where: str, section: str = "the top level") -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise UsageError(
            f"{where} has unknown keys in {section}: {', '.join(unknown)}.",
            hint=f"Allowed: {', '.join(sorted(allowed))} (docs/funding.md).",
        )


def _table(value: Any, name: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UsageError(f"`{name}` in {where} must be a table ([{name}]).")
    return value


def _number(value: Any, name: str, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UsageError(f"`{name}` in {where} must be a number.")
    return float(value)


def _weights(value: Any, keys: tuple[str, ...], name: str, where: str) -> dict[str, float]:
    table = _table(value, name, where)
    _only(table, set(keys), where, f"[{name}]")
    weights = {key: _number(table.get(key, 0.0), f"{name}.{key}", where) or 0.0 for key in keys}
    if any(weight < 0 for weight in weights.values()) or sum(weights.values()) <= 0:
        raise UsageError(f"The [{name}] weights in {where} must be 0 or more, and not all 0.")
    return weights
