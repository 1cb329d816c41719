"""Unit costs: the shipped, cited table (``unit_costs.toml``) or a user's copy, deflated to one price year."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from earlyhelp.errors import UsageError
from earlyhelp.reference import deflators
from earlyhelp.whatif.panel import STATES
from earlyhelp.whatif.simulate import Costs


@dataclass(frozen=True)
class UnitCost:
    name: str
    value: float  # cash, in price_year prices
    price_year: int
    unit: str
    source: str
    approximate: bool
    note: str
    real_value: float  # in base_year prices


@dataclass(frozen=True)
class CostTable:
    costs: dict[str, UnitCost]
    state_costs: dict[str, list[str]]
    added_early_help: list[str]
    base_year: int
    where: str

    def for_simulation(self) -> Costs:
        state_year = np.array([sum(self.costs[name].real_value for name in self.state_costs[s]) for s in STATES])
        return Costs(state_year, sum(self.costs[name].real_value for name in self.added_early_help))


def read_unit_costs(path: Path | None = None) -> CostTable:
    """The unit cost table at ``path`` (the shipped one by default), deflated to the deflator's latest year."""
    if path is None:
        text = resources.files("earlyhelp.whatif").joinpath("unit_costs.toml").read_text(encoding="utf-8")
        where = "the table shipped with earlyhelp (earlyhelp/whatif/unit_costs.toml)"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"Cannot read the unit cost file {path}: {error}.") from None
        where = str(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"The unit cost file {where} is not valid TOML: {error}.") from None
    index = deflators().set_index("time_period")["index"]
    base_year = int(index.index.max())
    costs: dict[str, UnitCost] = {}
    for name, entry in (raw.get("costs") or {}).items():
        try:
            value, price_year = float(entry["value"]), int(entry["price_year"])
        except (KeyError, TypeError, ValueError):
            raise UsageError(
                f"Unit cost {name!r} in {where} needs a number `value` and a `price_year` such as 201920."
            ) from None
        if price_year not in index.index:
            raise UsageError(
                f"Unit cost {name!r} in {where}: price year {price_year} is not in earlyhelp's deflator "
                f"({int(index.index.min())} to {base_year})."
            )
        costs[name] = UnitCost(
            name,
            value,
            price_year,
            str(entry.get("unit", "")),
            str(entry.get("source", "")),
            bool(entry.get("approximate", False)),
            str(entry.get("note", "")),
            value * float(index[base_year]) / float(index[price_year]),
        )
    state_costs = raw.get("state_costs") or {}
    added = state_costs.pop("added_early_help", None)
    missing = [state for state in STATES if state not in state_costs]
    if missing or added is None:
        raise UsageError(
            f"The unit cost file {where} must list the costs of every state under [state_costs] "
            f"({', '.join(STATES)}) and `added_early_help`; missing: {', '.join(missing or ['added_early_help'])}."
        )
    for state, names in [*state_costs.items(), ("added_early_help", added)]:
        unknown = [name for name in names if name not in costs]
        if unknown:
            raise UsageError(f"In {where}, {state} names unit costs that are not defined: {', '.join(unknown)}.")
    return CostTable(costs, {s: list(state_costs[s]) for s in STATES}, list(added), base_year, where)
