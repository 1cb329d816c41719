"""Why a figure is not there, in plain English, worked out from what the data lacks.

Every ``x`` the indicators publish has a reason: a record table the return did not supply (from
each indicator's sources' ``records_from`` and measures' ``also_reads``), a year the return covers
in part, a follow-up or look-back window the data does not reach, no population or price index,
or an England or regional figure the returns cannot give. :class:`Reasons` collects them while
the figures are assembled; :func:`note_lines` words them for the README, the CLI and the report.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from earlyhelp.spec.periods import label as period_label

NOTES_FILE = "indicators_notes.csv"
NOTES_COLUMNS = ("indicator", "label", "scope", "time_periods", "reason")
LA_SCOPE, AREA_SCOPE = "local authority", "England and regions"

# What each record table is and which return has it, in the words of an analyst.
_TABLE_WORDS = {
    "early_help_episodes": "early help figures need an early help return: the CIN census and SSDA903 have no "
    "early help (early_help_episodes not supplied)",
    "family_goals": "family goals need an early help return that records them (family_goals not supplied)",
    "referrals": "referrals to children's social care are needed, from the CIN census (referrals not supplied)",
    "cp_plans": "child protection plans are needed, from the CIN census (cp_plans not supplied)",
    "looked_after_episodes": "looked-after episodes are needed, from an SSDA903 return "
    "(looked_after_episodes not supplied)",
}
_TABLE_ORDER = tuple(_TABLE_WORDS)

PART_YEAR = "the return covers only part of the year"
NO_POPULATION = "population not supplied: there is no count of children aged 0 to 17 for the LA and year"
NO_DEFLATOR = "no price index (deflators) for the year or the base year, so spend cannot be put in real terms"
NO_SPEND = "spend not supplied: the data has no spend table rows"


def missing_tables(tables: Iterable[str]) -> str:
    """The reason for tables a figure is counted from that the return did not supply."""
    missing = set(tables)
    return "; ".join(_TABLE_WORDS.get(t, f"{t} not supplied") for t in sorted(missing, key=_table_rank))


def _table_rank(table: str) -> tuple[int, str]:
    return (_TABLE_ORDER.index(table) if table in _TABLE_ORDER else len(_TABLE_ORDER), table)


def follow_up(days: int) -> str:
    return (
        f"the follow-up window is not over: the figure needs data up to {days} days after the year ends, "
        "and the return's extract date is earlier"
    )


def look_back(days: int) -> str:
    return (
        f"the return does not reach back {days} days before the year, so the earlier records the figure "
        "looks for are unknown"
    )


AREA_NOT_COVERED = (
    "England and regional figures are computed only from returns that cover every LA of the area, "
    "and DfE publishes no figure for this one"
)


@dataclass(frozen=True)
class Note:
    indicator: str
    label: str
    scope: str  # LA_SCOPE or AREA_SCOPE
    time_periods: tuple[int, ...]
    reason: str

    def line(self) -> str:
        years = ", ".join(period_label(p) for p in self.time_periods)
        where = "" if self.scope == LA_SCOPE else f" ({self.scope})"
        return f"{self.label}{where}, {years}: {self.reason}."


class Reasons:
    """Reasons collected per indicator, scope and reason text, with the years they apply to."""

    def __init__(self) -> None:
        self._years: dict[tuple[str, str, str], set[int]] = defaultdict(set)

    def add(self, indicator: str, period: int, reason: str, scope: str = LA_SCOPE) -> None:
        self._years[(indicator, scope, reason)].add(period)

    def notes(self, labels: dict[str, str], order: Iterable[str]) -> list[Note]:
        rank = {name: i for i, name in enumerate(order)}
        return [
            Note(indicator, labels.get(indicator, indicator), scope, tuple(sorted(years)), reason)
            for (indicator, scope, reason), years in sorted(
                self._years.items(), key=lambda item: (rank.get(item[0][0], len(rank)), item[0][1] != LA_SCOPE)
            )
        ]


def note_lines(notes: Iterable[Note]) -> list[str]:
    return [note.line() for note in notes]


def write_notes(path: Path, notes: Iterable[Note]) -> None:
    """``indicators_notes.csv``: why figures are ``x`` (publishable: it holds no figures)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(NOTES_COLUMNS)
        for note in notes:
            periods = " ".join(str(p) for p in note.time_periods)
            writer.writerow([note.indicator, note.label, note.scope, periods, note.reason])


def read_notes(path: Path) -> list[Note]:
    """The notes written beside a published file; none when the file is absent (older outputs)."""
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return [
            Note(
                row["indicator"],
                row["label"],
                row["scope"],
                tuple(int(p) for p in row["time_periods"].split()),
                row["reason"],
            )
            for row in csv.DictReader(handle)
        ]
