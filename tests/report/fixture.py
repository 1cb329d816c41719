"""A hand-made indicators_published.csv: England, two regions, four LAs, 2010-11 to 2019-20.

The fixture is built the way the real file is: a small world of exact counts (what
``earlyhelp indicators`` would hold in its internal table), then published by hand with the
spec's rules, worked out below (``_publish_by_hand``), so every published row is one that
``earlyhelp.indicators.publish`` would write for those counts (``test_fixture.py`` checks it):

* counts of children or records from 1 to 5 are ``c``, and so is the value of that row;
* regional and national counts are rounded to the nearest 10, their rates are not (they come
  from the unrounded sums);
* percentages and rates per 10,000 to 1 dp, the ratio to 2 dp, pounds to whole pounds, half
  away from zero;
* a count's denominator is ``z``; a figure whose 12-month follow-up is not over is ``x``
  (every area in 2019-20 here);
* the one secondary suppression (Hartlepool's family goals in 2019-20) is worked out by hand in
  ``SECONDARY``.

England and the regions stand for the whole country and regions: the four LAs are a sample, so
area figures are not the sums of the LAs shown (except the North East's reach in 2019-20, which
is, as a check on the report's comparison). The figures tests look at are written literally in
``COUNTS``; everything else is a plain filler so every chart has something to draw.
"""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

COLUMNS = [
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "new_la_code",
    "old_la_code",
    "la_name",
    "indicator",
    "breakdown",
    "numerator",
    "denominator",
    "value",
]

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
# 12-month follow-up windows are not over for 2019-20 (extract date before 31 March 2021).
NOT_YET = "201920"
FOLLOW_UP_365 = {"missed_step_down", "missed_step_down_pct", "eh_escalation_pct", "eh_re_entry_pct"}

# The counts tests look at: (area code, period) -> {count: value}. Names as in the internal table:
# eh = children in early help, cin = children in need, pop = children 0-17, closed = closed after
# assessment, stepped = of those stepped down, missed = not stepped down and re-referred,
# spend = real-terms early intervention spend in pounds.
COUNTS: dict[tuple[str, str], dict[str, int]] = {
    # England: 3.1% -> 4.3% reach; prevention ratio 358,000 / 694,590 = 0.5154 -> 0.52 and
    # 517,000 / 706,830 = 0.7314 -> 0.73.
    ("E92000001", "201516"): {"eh": 358000, "cin": 694590, "pop": 11548390},
    ("E92000001", "201920"): {"eh": 517000, "cin": 706830, "pop": 12023250, "spend": 218 * 12023250},  # £218 per child
    ("E92000001", "201011"): {"pop": 11548390, "spend": 420 * 11548390},  # £420 per child
    # 64,000 re-referred after an assessment closed without step-down: 64,000 / 255,000 = 25.1%.
    ("E92000001", "201819"): {"closed": 300000, "stepped": 45000, "missed": 64000},
    ("E12000007", "201011"): {"pop": 1900000, "spend": 510 * 1900000},
    ("E12000007", "201920"): {"pop": 2000000, "spend": 255 * 2000000},
    # Reach: Hartlepool 410 / 20,500 = 2.0% -> 1,230 / 20,500 = 6.0%; the North East is
    # Hartlepool + Middlesbrough: 2,530 / 53,000 = 4.77% -> 4.8%.
    ("E06000001", "201516"): {"eh": 410, "pop": 20500},
    ("E06000001", "201920"): {"eh": 1230, "pop": 20500, "stepped": 3},  # 3 of 4,040 stepped down: c
    ("E06000002", "201920"): {"eh": 1300, "pop": 32500},
    ("E12000001", "201920"): {"eh": 2530, "pop": 53000},
    ("E09000001", "201920"): {"eh": 4, "pop": 1200},  # 4 children: c
    ("E09000002", "201920"): {"eh": 2580, "pop": 60000},  # 4.3%
}

# Family goals (met, with a status) by heading. Hartlepool 2019-20: housing's 3 of 4 are both c.
# Numerators: only housing's is c, so the smallest other non-zero numerator (health's 12) goes
# too; denominators: only housing's is c, so the smallest other (health's 30) goes too.
GOALS: dict[tuple[str, str], dict[str, tuple[int, int]]] = {
    ("E06000001", "201920"): {
        "education": (60, 100),
        "housing": (3, 4),
        "domestic_abuse": (40, 80),
        "health": (12, 30),
    },
}
SECONDARY: dict[tuple[str, str, str, str], tuple[str, ...]] = {
    ("family_goals_met_pct", "E06000001", "201920", "outcome_heading:health"): ("numerator", "denominator"),
}

UNITS = {
    "eh_children": "count",
    "eh_reach_pct": "pct",
    "cin_children": "count",
    "prevention_ratio": "ratio",
    "cin_rate_per_10k": "per_10k",
    "closed_after_assessment": "count",
    "step_down_pct": "pct",
    "missed_step_down": "count",
    "missed_step_down_pct": "pct",
    "eh_closed": "count",
    "eh_outcomes_achieved_pct": "pct",
    "eh_escalation_pct": "pct",
    "eh_step_up_pct": "pct",
    "eh_re_entry_pct": "pct",
    "family_goals_met_pct": "pct",
    "ei_spend_per_child_real": "pounds",
}
# Which fields are counts of children or records (suppressed and rounded to 10); population and
# money are not.
POPULATION_DENOMINATOR = {"eh_reach_pct", "cin_rate_per_10k", "ei_spend_per_child_real"}


def _filler(area_index: int, year_index: int, spend_index: int) -> dict[str, int]:
    """Plausible, clearly invented counts (the tests never assert on these)."""
    base = 1000 * (7 - area_index) + 10 * year_index
    percent = 20 + 2 * year_index + area_index  # 20.0% .. 32.0%
    pop = 40000
    eh = percent * pop // 100  # reach = percent exactly
    closed = base
    stepped = round(closed * percent / 100)
    not_stepped = closed - stepped
    return {
        "eh": eh,
        "pop": pop,
        # prevention ratio about 0.45 .. 0.59
        "cin": int(round(eh * 100 / (45 + 2 * year_index + area_index), -1)),
        "closed": closed,
        "stepped": stepped,
        "missed": round(not_stepped * percent / 100),
        "eh_closed": base,
        "eh_outcomes": round(base * percent / 100),
        "eh_escalated": round(base * percent / 200),
        "eh_stepped_up": round(base * percent / 300),
        "eh_re_entered": round(base * percent / 400),
        "spend": (400 - 20 * spend_index - 3 * area_index) * pop,  # £ per child, exactly
    }


def counts(code: str, area_index: int, period: str) -> dict[str, int]:
    year_index = YEARS.index(period) if period in YEARS else 0  # spend-only years need only spend
    filler = _filler(area_index, year_index, SPEND_YEARS.index(period))
    return {**filler, **COUNTS.get((code, period), {})}


def goals(code: str, area_index: int, period: str) -> dict[str, tuple[int, int]]:
    if (code, period) in GOALS:
        return GOALS[code, period]
    percent = 20 + 2 * YEARS.index(period) + area_index
    return {heading: (10 * percent, 1000) for heading in HEADINGS}


def internal_figures(
    indicator: str, code: str, area_index: int, period: str, breakdown: str
) -> tuple[int | str, int | str | None]:
    """(numerator, denominator) as the internal table would hold them, exact; None = no denominator."""
    if period == NOT_YET and indicator in FOLLOW_UP_365:
        return "x", "x"
    k = counts(code, area_index, period)
    if indicator == "family_goals_met_pct":
        by_heading = goals(code, area_index, period)
        if breakdown == "Total":
            return sum(m for m, _ in by_heading.values()), sum(s for _, s in by_heading.values())
        return by_heading[breakdown.split(":", 1)[1]]
    return {
        "eh_children": (k["eh"], None),
        "eh_reach_pct": (k["eh"], k["pop"]),
        "cin_children": (k["cin"], None),
        "prevention_ratio": (k["eh"], k["cin"]),
        "cin_rate_per_10k": (k["cin"], k["pop"]),
        "closed_after_assessment": (k["closed"], None),
        "step_down_pct": (k["stepped"], k["closed"]),
        "missed_step_down": (k["missed"], None),
        "missed_step_down_pct": (k["missed"], k["closed"] - k["stepped"]),
        "eh_closed": (k["eh_closed"], None),
        "eh_outcomes_achieved_pct": (k["eh_outcomes"], k["eh_closed"]),
        "eh_escalation_pct": (k["eh_escalated"], k["eh_closed"]),
        "eh_step_up_pct": (k["eh_stepped_up"], k["eh_closed"]),
        "eh_re_entry_pct": (k["eh_re_entered"], k["eh_closed"]),
        "ei_spend_per_child_real": (k["spend"], k["pop"]),
    }[indicator]


def _half_up(value: Fraction, places: int) -> str:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _publish_by_hand(
    indicator: str, level: str, numerator: int | str, denominator: int | str | None, secondary: tuple[str, ...]
) -> tuple[str, str, str]:
    """The spec's publication rules for one row (see the module docstring)."""
    unit = UNITS[indicator]
    if numerator == "x":
        return "x", "x", "x"
    area = level != "Local authority"

    def count(n: int, hidden: bool) -> str:
        if hidden or 1 <= n <= 5:
            return "c"
        return str(int(_half_up(Fraction(n, 10), 0)) * 10 if area else n)

    if unit == "count":
        shown = count(numerator, "numerator" in secondary)
        return shown, "z", shown
    if unit == "pounds":
        # Money and population are neither suppressed nor rounded to 10.
        return _half_up(Fraction(numerator), 0), str(denominator), _half_up(Fraction(numerator, denominator), 0)
    top = count(numerator, "numerator" in secondary)
    bottom = str(denominator) if indicator in POPULATION_DENOMINATOR else count(denominator, "denominator" in secondary)
    if "c" in (top, bottom):
        return top, bottom, "c"
    if denominator == 0:
        return top, bottom, "z"
    scale, places = {"pct": (100, 1), "ratio": (1, 2), "per_10k": (10_000, 1)}[unit]
    return top, bottom, _half_up(Fraction(scale * numerator, denominator), places)


def _all_rows(published: bool) -> list[dict[str, str]]:
    out = []
    for indicator in UNITS:
        years = SPEND_YEARS if indicator == "ei_spend_per_child_real" else YEARS
        breakdowns = ["Total"] + (
            [f"outcome_heading:{h}" for h in HEADINGS] if indicator == "family_goals_met_pct" else []
        )
        for area_index, area in enumerate(AREAS):
            level, code, name, region_code, region_name, old_code, _ = area
            for period in years:
                for breakdown in breakdowns:
                    numerator, denominator = internal_figures(indicator, code, area_index, period, breakdown)
                    if published:
                        figures = _publish_by_hand(
                            indicator,
                            level,
                            numerator,
                            denominator,
                            SECONDARY.get((indicator, code, period, breakdown), ()),
                        )
                    else:
                        figures = _internal_text(indicator, numerator, denominator)
                    out.append(
                        {
                            "time_period": period,
                            "time_identifier": "Financial year",
                            "geographic_level": level,
                            "country_code": "E92000001",
                            "country_name": "England",
                            "region_code": region_code,
                            "region_name": region_name,
                            "new_la_code": code if level == "Local authority" else "",
                            "old_la_code": old_code,
                            "la_name": name if level == "Local authority" else "",
                            "indicator": indicator,
                            "breakdown": breakdown,
                            "numerator": figures[0],
                            "denominator": figures[1],
                            "value": figures[2],
                        }
                    )
    return out


def _internal_text(indicator: str, numerator: int | str, denominator: int | str | None) -> tuple[str, str, str]:
    """The row as the internal table holds it (exact counts, unrounded value)."""
    if numerator == "x":
        return "x", "x", "x"
    unit = UNITS[indicator]
    if unit == "count":
        return str(numerator), "z", str(numerator)
    if unit == "pounds":
        return repr(float(numerator)), str(denominator), repr(numerator / denominator)
    if not denominator:
        return str(numerator), str(denominator), "z"
    scale = {"pct": 100, "ratio": 1, "per_10k": 10_000}[unit]
    return str(numerator), str(denominator), repr(float(Fraction(scale * numerator, denominator)))


def rows() -> list[dict[str, str]]:
    """The published rows (EES layout)."""
    return _all_rows(published=True)


def internal_rows() -> list[dict[str, str]]:
    """The same rows as the internal, unsuppressed table would hold them (spec columns)."""
    return [
        {
            "time_period": r["time_period"],
            "geographic_level": r["geographic_level"],
            "region_code": r["region_code"],
            "la_code": r["new_la_code"],
            "indicator": r["indicator"],
            "breakdown": r["breakdown"],
            "numerator": r["numerator"],
            "denominator": r["denominator"],
            "value": r["value"],
        }
        for r in _all_rows(published=False)
    ]


def write(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "indicators_published.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows())
    return path
