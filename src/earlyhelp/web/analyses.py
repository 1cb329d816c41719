"""The evaluation and threshold results a dashboard shows when an administrator has put them in
the LA's results folder: ``threshold_index.csv`` (from ``earlyhelp thresholds``) and
``estimates.csv`` (from ``earlyhelp evaluate``). Both are already published figures (small groups
suppressed by the commands that wrote them); the portal only reads and formats them."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from earlyhelp.publish import CONFIDENTIAL

THRESHOLD_COLUMNS = ("la_code", "decision", "index", "ci_lower", "ci_upper")
ESTIMATE_COLUMNS = ("outcome", "subgroup", "estimand", "estimate", "ci_lower", "ci_upper", "method")


@dataclass(frozen=True)
class ThresholdRow:
    decision: str
    index: str
    ci: str


@dataclass(frozen=True)
class EstimateRow:
    outcome: str
    estimand: str
    method: str
    estimate: str
    ci: str


def _figure(text: str, digits: int) -> str:
    """A number rounded for the page; a suppression mark (or anything not a number) as given."""
    text = (text or "").strip()
    try:
        return f"{float(text):.{digits}f}"
    except ValueError:
        return text or "x"


def _interval(lower: str, upper: str, digits: int) -> str:
    low, high = _figure(lower, digits), _figure(upper, digits)
    if CONFIDENTIAL in (low, high):
        return CONFIDENTIAL
    return f"{low} to {high}"


def _rows(path: Path, needed: tuple[str, ...]) -> list[dict[str, str]] | None:
    """The file's rows, or None when it is absent or lacks a column (then nothing is shown)."""
    if not path.is_file():
        return None
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not set(needed) <= set(reader.fieldnames or ()):
            return None
        return list(reader)


def read_thresholds(path: Path, la_code: str) -> list[ThresholdRow] | None:
    """This LA's threshold index per decision with its 95% interval (rows of other LAs in a
    national file are ignored); None when there is no file."""
    rows = _rows(path, THRESHOLD_COLUMNS)
    if rows is None:
        return None
    return [
        ThresholdRow(row["decision"], _figure(row["index"], 2), _interval(row["ci_lower"], row["ci_upper"], 2))
        for row in rows
        if row["la_code"] == la_code
    ]


def read_headline_estimates(path: Path) -> list[EstimateRow] | None:
    """The whole-cohort (subgroup ``all``) average effects on the treated, with their 95%
    intervals and methods; None when there is no file."""
    rows = _rows(path, ESTIMATE_COLUMNS)
    if rows is None:
        return None
    return [
        EstimateRow(
            row["outcome"],
            row["estimand"],
            row["method"],
            _figure(row["estimate"], 3),
            _interval(row["ci_lower"], row["ci_upper"], 3),
        )
        for row in rows
        if row["subgroup"] == "all" and row["estimand"].startswith("ATT")
    ]
