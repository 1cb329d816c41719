"""`earlyhelp synth --effects FILE`: planted effects read from JSON or TOML.

The file has the shape of ``truth/effects.json`` (so an earlier run's file can be given back), and
every section and field is optional; what it names replaces the default, what it leaves out stays:

- ``step_down``: the fields of :class:`~earlyhelp.synth.settings.StepDownEffect` (risk ratios and
  the benefit modifiers by need and deprivation; a modifier table given replaces the default one);
- ``step_down_selection``: :class:`~earlyhelp.synth.settings.StepDownSelection` (how strongly the
  unrecorded latent risk drives step-down);
- ``spend``: :class:`~earlyhelp.synth.settings.SpendEffect`;
- ``service_types``: ``re_referral_rr`` (service type -> risk ratio) and ``mix`` (shares);
- ``partner_outcomes``: rate ratios on school absence, emergency attendances, police notifications;
- ``thresholds`` (or ``threshold``): ``sigma`` (or ``la_sigma``) and/or ``planted`` (LA code -> shift);
- ``behaviour`` and ``identity_faults`` as in effects.json. ``description``, ``realised``,
  ``scale``, ``years`` and ``seed`` (written by synth) are ignored.
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from earlyhelp.errors import UsageError
from earlyhelp.spec import codes
from earlyhelp.synth.settings import (
    Behaviour,
    PartnerOutcomeEffect,
    ServiceTypeEffect,
    SpendEffect,
    StepDownEffect,
    StepDownSelection,
    SynthSettings,
    ThresholdEffect,
)

IGNORED = ("description", "realised", "scale", "years", "seed")
NEEDS = ("N0", "N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9")
DEPRIVATION_GROUPS = ("most_deprived_1_3", "middle_4_7", "least_deprived_8_10")


def read_effects(path: Path) -> dict[str, Any]:
    """The document in ``path`` (.json or .toml), or a UsageError that says what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"--effects {path}: no such file.")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".toml":
            document = tomllib.loads(text)
        else:
            document = json.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise UsageError(
            f"--effects {path.name} is not valid {'TOML' if path.suffix.lower() == '.toml' else 'JSON'}: {error}"
        ) from None
    if not isinstance(document, dict):
        raise UsageError(f"--effects {path.name} should hold one object of sections (step_down, spend, ...).")
    return document


def apply_effects(settings: SynthSettings, document: dict[str, Any], source: str = "--effects") -> SynthSettings:
    """``settings`` with the planted effects of ``document`` (see the module docstring)."""
    known = {
        "step_down",
        "step_down_selection",
        "spend",
        "service_types",
        "partner_outcomes",
        "thresholds",
        "threshold",
        "behaviour",
        "identity_faults",
        *IGNORED,
    }
    unknown = sorted(set(document) - known)
    if unknown:
        raise UsageError(
            f"{source}: unknown section(s) {', '.join(unknown)}.",
            hint="Sections: step_down, step_down_selection, spend, service_types, partner_outcomes, thresholds, behaviour.",
        )
    changes: dict[str, Any] = {}
    if "step_down" in document:
        step_down = _fields(StepDownEffect(), document["step_down"], f"{source} step_down")
        for name in ("re_referral_rr_12m", "re_referral_rr_24m", "escalation_rr"):
            _positive(getattr(step_down, name), f"{source} step_down.{name}")
        _table(step_down.benefit_by_need, NEEDS, f"{source} step_down.benefit_by_need", complete=True)
        _table(
            step_down.benefit_by_deprivation,
            DEPRIVATION_GROUPS,
            f"{source} step_down.benefit_by_deprivation",
            complete=True,
        )
        changes["step_down"] = step_down
    if "step_down_selection" in document:
        changes["selection"] = _fields(
            StepDownSelection(), document["step_down_selection"], f"{source} step_down_selection"
        )
    if "spend" in document:
        changes["spend"] = _fields(SpendEffect(), document["spend"], f"{source} spend")
    if "service_types" in document:
        service = _fields(ServiceTypeEffect(), document["service_types"], f"{source} service_types")
        _table(service.re_referral_rr, codes.SERVICE_TYPE, f"{source} service_types.re_referral_rr")
        _table(service.mix, codes.SERVICE_TYPE, f"{source} service_types.mix")
        if service.mix and sum(service.mix.values()) <= 0:
            raise UsageError(f"{source} service_types.mix: the shares add up to 0.")
        changes["service_types"] = service
    if "partner_outcomes" in document:
        partner = _fields(PartnerOutcomeEffect(), document["partner_outcomes"], f"{source} partner_outcomes")
        for name, value in vars(partner).items():
            _positive(value, f"{source} partner_outcomes.{name}")
        changes["partner_outcomes"] = partner
    for key in ("thresholds", "threshold"):
        if key in document:
            section = dict(_section(document[key], f"{source} {key}"))
            if "sigma" in section:
                section["la_sigma"] = section.pop("sigma")
            threshold = _fields(ThresholdEffect(), section, f"{source} {key}")
            if not isinstance(threshold.la_sigma, int | float) or threshold.la_sigma < 0:
                raise UsageError(f"{source} {key}.sigma should be a number of 0 or more.")
            _table(threshold.planted, None, f"{source} {key}.planted", allow_negative=True)
            changes["threshold"] = threshold
    if "behaviour" in document:
        changes["behaviour"] = _fields(Behaviour(), document["behaviour"], f"{source} behaviour")
    if "identity_faults" in document:
        changes["identity_faults"] = dict(_section(document["identity_faults"], f"{source} identity_faults"))
    return settings.with_changes(**changes)


def _section(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UsageError(f"{where} should be a table of fields.")
    return value


def _fields(default: Any, section: Any, where: str) -> Any:
    """``default`` (a dataclass) with the fields ``section`` gives; unknown fields are an error."""
    section = _section(section, where)
    names = {f.name: f for f in fields(default)}
    unknown = sorted(set(section) - set(names))
    if unknown:
        raise UsageError(f"{where}: unknown field(s) {', '.join(unknown)}.", hint=f"Fields: {', '.join(names)}.")
    values: dict[str, Any] = {}
    for name, value in section.items():
        current = getattr(default, name)
        if isinstance(current, tuple):
            value = tuple(value) if isinstance(value, list | tuple) else value
        if type(current) is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(current, dict) and not isinstance(value, dict):
            raise UsageError(f"{where}.{name} should be a table (key = value).")
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if isinstance(current, int | float) and not is_number:
            raise UsageError(f"{where}.{name} should be a number.")
        values[name] = value
    return replace(default, **values)


def _positive(value: float, where: str) -> None:
    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise UsageError(f"{where} should be a number above 0 (a ratio).")


def _table(
    table: dict[str, Any],
    keys: tuple[str, ...] | None,
    where: str,
    complete: bool = False,
    allow_negative: bool = False,
) -> None:
    if keys is not None:
        unknown = sorted(set(table) - set(keys))
        if unknown:
            raise UsageError(f"{where}: unknown key(s) {', '.join(unknown)}.", hint=f"Keys: {', '.join(keys)}.")
        if complete and set(table) != set(keys):
            missing = sorted(set(keys) - set(table))
            raise UsageError(f"{where}: give every key (missing {', '.join(missing)}).")
    for key, value in table.items():
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if not ok or (value < 0 and not allow_negative):
            raise UsageError(f"{where}.{key} should be a number{'' if allow_negative else ' of 0 or more'}.")
