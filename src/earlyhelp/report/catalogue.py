"""How the report shows each published indicator: its figures with their unit (``4.3%``, ``£512``)
and a change as ``up 1.2 percentage points``.

What an indicator is, its label, unit, plain-English definition and whether a rise is good news,
is defined once, in :data:`earlyhelp.indicators.definitions.INDICATORS`; the report reads it from
there. An indicator the definitions do not know is an error, not a count.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from earlyhelp.errors import DataError
from earlyhelp.indicators.definitions import INDICATOR_BY_NAME, Indicator
from earlyhelp.publish import SYMBOLS, Unit

OUTCOME_HEADINGS: dict[str, str] = {
    "education": "Getting a good education",
    "early_years": "Good early years development",
    "health": "Improved mental and physical health",
    "substance_use": "Promoting recovery and reducing harm from substance use",
    "family_relationships": "Improved family relationships",
    "safety_from_abuse": "Children safe from abuse and exploitation",
    "crime": "Crime prevention and tackling crime",
    "domestic_abuse": "Safe from domestic abuse",
    "housing": "Secure housing",
    "financial_stability": "Financial stability",
}


def indicator(name: str) -> Indicator:
    """The definition of a published indicator; an unknown name is a :class:`DataError`."""
    try:
        return INDICATOR_BY_NAME[name]
    except KeyError:
        raise DataError(
            f"The published file has an indicator the report does not know: {name!r}.",
            hint="Give the indicators_published.csv that this version of `earlyhelp indicators` wrote.",
        ) from None


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except (InvalidOperation, AttributeError):
        return None


def format_number(text: str, unit: Unit, *, with_unit: bool = True) -> str:
    """A published cell for reading: thousands separators and the unit; symbols unchanged."""
    text = (text or "").strip()
    number = _decimal(text)
    if not text or text in SYMBOLS or number is None:
        return text
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    shown = f"{number:,.{places}f}"
    if not with_unit:
        return shown
    return {
        "pct": f"{shown}%",
        "pounds": f"£{shown}",
        "per_10k": f"{shown} per 10,000",
        "median_days": f"{shown} days",
        "mean_points": f"{shown} points",
    }.get(unit, shown)


def unit_suffix(unit: Unit) -> str:
    """The unit for a table column heading, e.g. ``(%)``."""
    return {
        "pct": " (%)",
        "pounds": " (£)",
        "per_10k": " (per 10,000)",
        "median_days": " (days)",
        "mean_points": " (points)",
        "ratio": " (ratio)",
    }.get(unit, "")


def change(first: str, latest: str, unit: Unit) -> str | None:
    """Plain-English change between two published figures, or None if either is a symbol.

    Differences are taken on the published decimals (exact), so the change never carries more
    precision than the figures it compares.
    """
    a, b = _decimal(first), _decimal(latest)
    if a is None or b is None or first in SYMBOLS or latest in SYMBOLS:
        return None
    difference = b - a
    if difference == 0:
        return "no change"
    direction = "up" if difference > 0 else "down"
    size = abs(difference)
    if unit == "pct":
        return f"{direction} {size} percentage points"
    if unit == "ratio":
        return f"{direction} {size}"
    if unit in ("per_10k", "mean_points"):
        return f"{direction} {size}{' per 10,000' if unit == 'per_10k' else ' points'}"
    relative = f" ({(difference / a * 100):+.0f}%)" if a != 0 else ""
    if unit == "pounds":
        return f"{direction} £{size:,}{relative}"
    if unit == "median_days":
        return f"{direction} {size:,} days"
    return f"{direction} {size:,}{relative}"
