"""Scenarios: the built-ins and scenario files (TOML).

A scenario file::

    name = "step_down_half"
    description = "Half of assessments closed below the threshold stepped down to early help"
    step_down_share = 0.5      # optional: 0..1
    early_help_reach = 0.05    # optional: 0..1 of all children aged 0-17
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from earlyhelp.errors import UsageError
from earlyhelp.whatif.simulate import Scenario

BASELINE = Scenario("baseline", "No change: early help as observed.")
BUILT_IN: dict[str, Scenario] = {
    "baseline": BASELINE,
    "step_down_40": Scenario(
        "step_down_40",
        "Step-down to early help after assessments closed below the threshold raised to 40% (where lower).",
        step_down_share=0.40,
    ),
    "reach_6pct": Scenario(
        "reach_6pct",
        "Early help reaching 6% of children aged 0-17 each year (where lower).",
        early_help_reach=0.06,
    ),
}


def _share(raw: dict, key: str, where: str) -> float | None:
    if key not in raw:
        return None
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise UsageError(f"{key} in {where} must be a share between 0 and 1 (0.4 for 40%).")
    return float(value)


def resolve(names: tuple[str, ...] | list[str]) -> list[Scenario]:
    """Built-in names or scenario files; baseline first, always; none given means every built-in."""
    chosen = [BASELINE]
    for given in names or tuple(BUILT_IN):
        scenario = BUILT_IN.get(given) or _from_file(Path(given))
        if scenario.name not in {s.name for s in chosen}:
            chosen.append(scenario)
    return chosen


def _from_file(path: Path) -> Scenario:
    if not path.is_file():
        raise UsageError(
            f"--scenario {path}: neither a built-in scenario nor a file.",
            hint=f"Built-ins: {', '.join(BUILT_IN)}; or a TOML file (see docs/whatif.md).",
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UsageError(f"The scenario file {path} is not valid TOML: {error}.") from None
    unknown = set(raw) - {"name", "description", "step_down_share", "early_help_reach"}
    if unknown:
        raise UsageError(f"The scenario file {path} has keys earlyhelp does not know: {', '.join(sorted(unknown))}.")
    name = str(raw.get("name") or path.stem)
    return Scenario(
        name,
        str(raw.get("description") or name),
        step_down_share=_share(raw, "step_down_share", str(path)),
        early_help_reach=_share(raw, "early_help_reach", str(path)),
    )
