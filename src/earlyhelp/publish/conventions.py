"""The conventions every published output follows, stated once: units and their decimal places,
rounding, symbols, geographic levels, file names and the wording of the disclosure notice.

Follows "Disclosure control" and "Rates" of the indicators spec and the GSS / DfE symbols.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Literal

# --- units ------------------------------------------------------------------------------------
Unit = Literal["count", "pct", "ratio", "per_10k", "median_days", "mean_points", "pounds"]

# Decimal places at publication (spec, "Rates").
DECIMAL_PLACES: dict[Unit, int] = {
    "count": 0,
    "pct": 1,
    "ratio": 2,
    "per_10k": 1,
    "median_days": 0,
    "mean_points": 1,
    "pounds": 0,
}

# The units that are a count over a count times a scale; their exact value is a fraction.
RATE_SCALES: dict[Unit, int] = {"pct": 100, "per_10k": 10_000, "ratio": 1}


def round_half_away(value: Fraction | Decimal | float | int, places: int) -> Decimal:
    """Round half away from zero. Exact for fractions; floats go through their shortest repr.

    Python's ``round`` (half to even) is never used for published figures.
    """
    if isinstance(value, Fraction):
        # Decimal division is exact to 28 digits, far beyond any tie we could meet at 2 dp.
        decimal = Decimal(value.numerator) / Decimal(value.denominator)
    elif isinstance(value, float):
        decimal = Decimal(repr(value))
    else:
        decimal = Decimal(value)
    return decimal.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def round_to_ten(count: int) -> int:
    """Regional and national counts are published rounded to the nearest 10."""
    return int(round_half_away(Fraction(count, 10), 0)) * 10


# --- symbols ----------------------------------------------------------------------------------
CONFIDENTIAL = "c"
NOT_AVAILABLE = "x"
NOT_APPLICABLE = "z"
LOW = "low"
SYMBOLS = frozenset({CONFIDENTIAL, NOT_AVAILABLE, NOT_APPLICABLE, LOW})

# The spec's default; `earlyhelp indicators --suppression-threshold` sets another.
DEFAULT_THRESHOLD = 5


def symbol_meanings(threshold: int) -> dict[str, str]:
    """Each symbol and what it means to a reader (the report's key and its <abbr> titles)."""
    return {
        CONFIDENTIAL: "suppressed to protect confidentiality "
        f"(a count of 1 to {threshold}, or a figure derived from one)",
        NOT_AVAILABLE: "not available (for example, the 12-month follow-up has not ended by the extract date)",
        NOT_APPLICABLE: "not applicable",
        LOW: "a number above zero that rounds to zero",
    }


# --- levels and breakdowns --------------------------------------------------------------------
NATIONAL, REGIONAL, LOCAL = "National", "Regional", "Local authority"
LEVELS = (NATIONAL, REGIONAL, LOCAL)
LEVEL_ORDER = {level: i for i, level in enumerate(LEVELS)}
TOTAL = "Total"
TIME_IDENTIFIER = "Financial year"
COUNTRY_CODE, COUNTRY_NAME = "E92000001", "England"

# --- file names -------------------------------------------------------------------------------
SPEC_FILE = "indicators.csv"
PUBLISHED_FILE = "indicators_published.csv"
META_FILE = "indicators_published.meta.csv"
README_FILE = "README.md"
INTERNAL_DIR = "internal"
INTERNAL_FILE_NAME = "indicators_unsuppressed.csv"
INTERNAL_FILE = f"{INTERNAL_DIR}/{INTERNAL_FILE_NAME}"
INTERNAL_README = f"{INTERNAL_DIR}/README.txt"


# --- the disclosure notice, in each place it is given -----------------------------------------
def meta_notice(threshold: int) -> str:
    """The notice in the labels of the EES metadata (``indicators_published.meta.csv``)."""
    return (
        f"Disclosure-controlled: counts from 1 to {threshold} and figures derived from them are "
        "shown as c, with secondary suppression; regional and national counts are rounded to the "
        "nearest 10; x = not available (the return does not cover the whole year, the "
        "follow-up window is not over, or a table the figure needs was not supplied), "
        "z = not applicable, "
        "low = rounds to zero"
    )


def readme_notice(threshold: int) -> str:
    """The notice in the output folder's README."""
    return f"""The two publishable tables are disclosure-controlled: counts from 1 to {threshold} and every
figure derived from them are `c`, with secondary suppression so that no `c` can be worked back by
subtraction; regional and national counts are rounded to the nearest 10; `x` = not available
(the return does not cover the whole year or the follow-up window, or did not supply a table
the figure is counted from), `z` = not applicable,
`low` = a non-zero figure that rounds to zero."""


def chart_notice(threshold: int) -> str:
    """The note under each chart of the report."""
    return (
        f"Disclosure control: counts of 1 to {threshold}, and any figure worked out from one, are shown as c. "
        "Regional and England counts are rounded to the nearest 10; their percentages and rates are "
        "worked out before rounding."
    )


def page_notice(threshold: int) -> str:
    """The report's "Disclosure control" paragraph, broken into lines as the page shows it."""
    return f"""Following the Department for Education's children in need statistics, any count from 1 to {threshold} is
suppressed (shown as c), and so is any percentage, rate or ratio worked out from one. Where a c could
be worked out from a total (of breakdowns, or of LAs in a region or England), the next smallest is
suppressed too, and an audit checks that no c can be worked out from the published figures.
Regional and England counts are rounded to the nearest 10 after summing LA figures."""


# --- the columns of the files -----------------------------------------------------------------
# The spec's output columns: indicators.csv and internal/indicators_unsuppressed.csv.
OUTPUT_COLUMNS = (
    "time_period",
    "geographic_level",
    "region_code",
    "la_code",
    "indicator",
    "breakdown",
    "numerator",
    "denominator",
    "value",
)
# Where a row's figures come from: computed from the LAs' returns, or DfE's published statistics
# (England and regions the returns do not wholly cover). Not a column of the spec's indicators.csv,
# whose layout the spec fixes; the EES file and the internal file carry it.
SOURCE_RETURNS, SOURCE_PUBLISHED = "returns", "published"

# Explore Education Statistics tidy format: indicators_published.csv.
PUBLISHED_COLUMNS = (
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
    "source",
)
