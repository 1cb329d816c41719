"""How the report names, explains and formats each published indicator.

The definitions themselves belong to ``shared/spec/indicators.md`` and ``earlyhelp.indicators``;
this is only the reader-facing wording and the unit each value is published in, so a figure is
shown as ``4.3%`` or ``£512`` and a change as ``up 1.2 percentage points``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from earlyhelp.report.published import SYMBOLS

Unit = Literal["count", "pct", "ratio", "per10k", "pounds", "days", "points"]


@dataclass(frozen=True)
class Indicator:
    name: str
    label: str
    unit: Unit
    definition: str
    # Is a rise good news, bad news, or neither (used only for wording, never colour alone).
    higher_is: Literal["better", "worse", "neutral"] = "neutral"


CATALOGUE: dict[str, Indicator] = {
    ind.name: ind
    for ind in (
        Indicator(
            "eh_children",
            "Children in early help",
            "count",
            "Distinct children with an early help episode open at any point in the year.",
        ),
        Indicator(
            "eh_reach_pct",
            "Early help reach",
            "pct",
            "Children in early help during the year as a percentage of all children aged 0 to 17 "
            "(ONS mid-year estimate).",
            "neutral",
        ),
        Indicator(
            "cin_children",
            "Children in need",
            "count",
            "Distinct children with a children-in-need episode open at any point in the year.",
        ),
        Indicator(
            "prevention_ratio",
            "Prevention ratio",
            "ratio",
            "Children in early help for every one child in need during the year "
            "(0.67 means two in early help for every three in need).",
        ),
        Indicator(
            "cin_rate_per_10k",
            "Children in need rate",
            "per10k",
            "Children in need during the year per 10,000 children aged 0 to 17.",
        ),
        Indicator(
            "referrals",
            "Referrals to social care",
            "count",
            "Referrals to children's social care received in the year.",
        ),
        Indicator(
            "re_referral_pct",
            "Re-referrals within 12 months",
            "pct",
            "Referrals made within 12 months of a previous referral of the same child.",
            "worse",
        ),
        Indicator(
            "closed_after_assessment",
            "Closed after assessment",
            "count",
            "Referrals closed in the year after an assessment found no further social care "
            "action was needed (closure reasons RC8 and RC9).",
        ),
        Indicator(
            "step_down_pct",
            "Stepped down to early help",
            "pct",
            "Of cases closed after assessment, the percentage whose child was in early help on the "
            "closure date or started it within 28 days.",
            "better",
        ),
        Indicator(
            "step_down_recorded_pct",
            "Step-down recorded at closure",
            "pct",
            "Of cases closed after assessment, the percentage recorded as referred to early help (closure reason RC9).",
        ),
        Indicator(
            "missed_step_down",
            "Missed step-down opportunities",
            "count",
            "Cases closed after assessment with no early help within 28 days whose child was "
            "referred to social care again within 12 months.",
            "worse",
        ),
        Indicator(
            "missed_step_down_pct",
            "Missed step-down rate",
            "pct",
            "Missed step-down opportunities as a percentage of cases closed after assessment without early help.",
            "worse",
        ),
        Indicator("eh_closed", "Early help episodes closed", "count", "Early help episodes that ended in the year."),
        Indicator(
            "eh_outcomes_achieved_pct",
            "Outcomes achieved",
            "pct",
            "Closed early help episodes that ended because the family's outcomes were achieved.",
            "better",
        ),
        Indicator(
            "eh_escalation_pct",
            "Escalation to social care",
            "pct",
            "Closed early help episodes whose child, within 12 months, was assessed by social care, "
            "started a child protection plan or became looked after.",
            "worse",
        ),
        Indicator(
            "eh_step_up_pct",
            "Stepped up to social care",
            "pct",
            "Closed early help episodes that ended with a step-up to children's social care.",
        ),
        Indicator(
            "eh_re_entry_pct",
            "Re-entry to early help",
            "pct",
            "Closed early help episodes whose child started early help again within 12 months.",
            "worse",
        ),
        Indicator(
            "eh_median_days",
            "Median length of early help",
            "days",
            "Median days from start to end of early help episodes closed in the year.",
        ),
        Indicator(
            "eh_wait_median_days",
            "Median wait for early help",
            "days",
            "Median days from the request for help to the start of early help.",
            "worse",
        ),
        Indicator(
            "family_goals_met_pct",
            "Family goals met",
            "pct",
            "Goals agreed with the family, on early help episodes closed in the year, that the "
            "family met (of goals with a recorded status).",
            "better",
        ),
        Indicator(
            "family_rated_progress",
            "Family-rated progress",
            "points",
            "Average change in the family's own 0-10 rating from the start to the end of early help.",
            "better",
        ),
        Indicator(
            "cp_plans_started",
            "Child protection plans started",
            "count",
            "Child protection plans that started in the year.",
        ),
        Indicator(
            "cp_second_plan_pct",
            "Second or later child protection plans",
            "pct",
            "Child protection plans started in the year for a child who had had a plan before.",
            "worse",
        ),
        Indicator(
            "cla_started", "Children starting to be looked after", "count", "Periods of care that began in the year."
        ),
        Indicator(
            "cla_start_rate_per_10k",
            "Rate starting to be looked after",
            "per10k",
            "Children starting a period of care per 10,000 children aged 0 to 17.",
        ),
        Indicator(
            "ei_spend_per_child_real",
            "Early intervention spend per child",
            "pounds",
            "Early intervention spend (Sure Start and under-5s, family support and services for "
            "young people) per child aged 0 to 17, in real terms at the latest year's prices.",
        ),
    )
}

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
    return CATALOGUE.get(name) or Indicator(name, name.replace("_", " ").capitalize(), "count", "")


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
    places = -number.as_tuple().exponent if number.as_tuple().exponent < 0 else 0
    shown = f"{number:,.{places}f}"
    if not with_unit:
        return shown
    return {
        "pct": f"{shown}%",
        "pounds": f"£{shown}",
        "per10k": f"{shown} per 10,000",
        "days": f"{shown} days",
        "points": f"{shown} points",
    }.get(unit, shown)


def unit_suffix(unit: Unit) -> str:
    """The unit for a table column heading, e.g. ``(%)``."""
    return {
        "pct": " (%)",
        "pounds": " (£)",
        "per10k": " (per 10,000)",
        "days": " (days)",
        "points": " (points)",
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
    if unit in ("per10k", "points"):
        return f"{direction} {size}{' per 10,000' if unit == 'per10k' else ' points'}"
    relative = f" ({(difference / a * 100):+.0f}%)" if a != 0 else ""
    if unit == "pounds":
        return f"{direction} £{size:,}{relative}"
    if unit == "days":
        return f"{direction} {size:,} days"
    return f"{direction} {size:,}{relative}"
