"""A hand-made indicators_published.csv: England, two regions, four LAs, 2010-11 to 2019-20.

Figures that tests check are written out literally below (``OVERRIDES``); everything else is a
plain filler so every chart has something to draw. Symbols appear where the spec says they would:
``x`` for follow-up windows not yet over, ``c`` for small counts.
"""

from __future__ import annotations

import csv
from pathlib import Path

COLUMNS = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name",
           "region_code", "region_name", "new_la_code", "old_la_code", "la_name", "indicator",
           "breakdown", "numerator", "denominator", "value"]

ENGLAND = ("National", "E92000001", "England", "", "", "", "")
NORTH_EAST = ("Regional", "E12000001", "North East", "E12000001", "North East", "", "")
LONDON = ("Regional", "E12000007", "London", "E12000007", "London", "", "")
HARTLEPOOL = ("Local authority", "E06000001", "Hartlepool", "E12000001", "North East", "805", "")
MIDDLESBROUGH = ("Local authority", "E06000002", "Middlesbrough", "E12000001", "North East", "806", "")
CITY = ("Local authority", "E09000001", "City of London", "E12000007", "London", "201", "")
BARKING = ("Local authority", "E09000002", "Barking and Dagenham", "E12000007", "London", "301", "")
AREAS = [ENGLAND, NORTH_EAST, LONDON, HARTLEPOOL, MIDDLESBROUGH, CITY, BARKING]

YEARS = ["201516", "201617", "201718", "201819", "201920"]
SPEND_YEARS = ["201011", "201112", "201213", "201314", "201415", *YEARS]
HEADINGS = ["education", "housing", "domestic_abuse", "health"]

# (indicator, area code, period, breakdown) -> (numerator, denominator, value), as published.
OVERRIDES: dict[tuple[str, str, str, str], tuple[str, str, str]] = {
    ("eh_reach_pct", "E92000001", "201516", "Total"): ("358000", "11548390", "3.1"),
    ("eh_reach_pct", "E92000001", "201920", "Total"): ("517000", "12023250", "4.3"),
    ("prevention_ratio", "E92000001", "201516", "Total"): ("358000", "694590", "0.52"),
    ("prevention_ratio", "E92000001", "201920", "Total"): ("517000", "706830", "0.67"),
    ("ei_spend_per_child_real", "E92000001", "201011", "Total"): ("", "11548390", "420"),
    ("ei_spend_per_child_real", "E92000001", "201920", "Total"): ("", "12023250", "218"),
    ("ei_spend_per_child_real", "E12000007", "201011", "Total"): ("", "1900000", "510"),
    ("ei_spend_per_child_real", "E12000007", "201920", "Total"): ("", "2000000", "255"),
    # The LA the LA-level tests look at.
    ("eh_reach_pct", "E06000001", "201516", "Total"): ("410", "20500", "2.0"),
    ("eh_reach_pct", "E06000001", "201920", "Total"): ("1230", "20500", "6.0"),
    ("eh_reach_pct", "E06000002", "201920", "Total"): ("1300", "32500", "4.0"),
    ("eh_reach_pct", "E09000001", "201920", "Total"): ("c", "1200", "c"),
    ("eh_reach_pct", "E09000002", "201920", "Total"): ("2580", "60000", "4.3"),
    ("eh_reach_pct", "E12000001", "201920", "Total"): ("2530", "53000", "4.8"),
    # Follow-up windows not over yet in the latest year.
    ("missed_step_down", "E92000001", "201920", "Total"): ("x", "", "x"),
    ("missed_step_down", "E92000001", "201819", "Total"): ("64000", "", "64000"),
    ("missed_step_down_pct", "E92000001", "201920", "Total"): ("x", "x", "x"),
    # A suppressed latest figure: the headline must say c for 2019-20, not fall back to 2018-19.
    ("step_down_pct", "E06000001", "201920", "Total"): ("c", "c", "c"),
    # A suppressed family-goal heading and its secondary suppression.
    ("family_goals_met_pct", "E06000001", "201920", "outcome_heading:housing"): ("c", "c", "c"),
    ("family_goals_met_pct", "E06000001", "201920", "outcome_heading:health"): ("c", "c", "c"),
}

UNITS = {
    "eh_children": "count", "eh_reach_pct": "pct", "cin_children": "count", "prevention_ratio": "ratio",
    "cin_rate_per_10k": "per10k", "closed_after_assessment": "count", "step_down_pct": "pct",
    "missed_step_down": "count", "missed_step_down_pct": "pct", "eh_closed": "count",
    "eh_outcomes_achieved_pct": "pct", "eh_escalation_pct": "pct", "eh_step_up_pct": "pct",
    "eh_re_entry_pct": "pct", "family_goals_met_pct": "pct", "ei_spend_per_child_real": "pounds",
}


def _filler(indicator: str, area_index: int, year_index: int) -> tuple[str, str, str]:
    """Plausible, clearly invented figures (the tests never assert on these)."""
    unit = UNITS[indicator]
    base = 1000 * (7 - area_index) + 10 * year_index
    if unit == "count":
        return (str(base), "", str(base))
    if unit == "ratio":
        return (str(base), str(base * 2), f"{0.45 + 0.02 * year_index + 0.01 * area_index:.2f}")
    if unit == "per10k":
        return (str(base), "40000", f"{300 + 5 * year_index + area_index:.1f}")
    if unit == "pounds":
        return ("", "40000", str(400 - 20 * year_index - 3 * area_index))
    return (str(base // 4), str(base), f"{20 + 2 * year_index + area_index:.1f}")


def rows() -> list[dict[str, str]]:
    out = []
    for indicator in UNITS:
        years = SPEND_YEARS if indicator == "ei_spend_per_child_real" else YEARS
        breakdowns = ["Total"] + ([f"outcome_heading:{h}" for h in HEADINGS]
                                  if indicator == "family_goals_met_pct" else [])
        for area_index, area in enumerate(AREAS):
            level, code, name, region_code, region_name, old_code, _ = area
            for year_index, period in enumerate(years):
                for breakdown in breakdowns:
                    numerator, denominator, value = OVERRIDES.get(
                        (indicator, code, period, breakdown), _filler(indicator, area_index, year_index))
                    out.append({
                        "time_period": period, "time_identifier": "Financial year",
                        "geographic_level": level, "country_code": "E92000001", "country_name": "England",
                        "region_code": region_code, "region_name": region_name,
                        "new_la_code": code if level == "Local authority" else "",
                        "old_la_code": old_code, "la_name": name if level == "Local authority" else "",
                        "indicator": indicator, "breakdown": breakdown,
                        "numerator": numerator, "denominator": denominator, "value": value,
                    })
    return out


def write(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "indicators_published.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows())
    return path
