"""The SSDA903 files beyond header and episodes, and what of them the EHLD data model keeps.

A 903 return has up to twelve tables (the DfE validator's ``column_names``): header, episodes,
reviews, UASC, OC2, OC3, AD1, placed for adoption, previous permanence, missing, social worker
episodes and deprivation of liberty. The data model (``docs/spec/dataset.md``) has a place for
the header (``children``, and the identifiers in ``person_identifiers``) and the episodes
(``looked_after_episodes``, and the postcodes in ``episode_postcodes``) only. None of the others
has a table: reviews, missing episodes, UASC status, the OC2 and OC3 outcomes, adoption and
previous permanence are not in EHLD, and ``police_notifications``' ``missing_episode`` is a
police record keyed by ``person_id`` (partner zone), not the LA's record of a child missing from
care, so it is not their place either.

So ingest reads these files, keeps nothing from them, and says so: for each file and column,
how many rows carry it and how many values are not empty (``NotPlaced``), never the values.
CHILD (the key) and the DOB and SEX the files repeat from the header are not listed: the header's
are kept.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from earlyhelp.formats import textfile
from earlyhelp.formats.readers import NotPlaced


@dataclass(frozen=True)
class OtherTable:
    """One SSDA903 table that EHLD has no place for: its name, the DfE's columns, and those that
    recognise a file as this table (a file may leave out the others, or add its own)."""

    part: str
    columns: tuple[str, ...]
    signature: frozenset[str]


def _table(part: str, *columns: str, known_by: str) -> OtherTable:
    return OtherTable(part, columns, frozenset({"CHILD", known_by}))


OTHER_TABLES: tuple[OtherTable, ...] = (
    _table("reviews", "CHILD", "DOB", "REVIEW", "REVIEW_CODE", known_by="REVIEW_CODE"),
    _table("uasc", "CHILD", "SEX", "DOB", "DUC", known_by="DUC"),
    _table(
        "oc2",
        "CHILD",
        "DOB",
        "SDQ_SCORE",
        "SDQ_REASON",
        "CONVICTED",
        "HEALTH_CHECK",
        "IMMUNISATIONS",
        "TEETH_CHECK",
        "HEALTH_ASSESSMENT",
        "SUBSTANCE_MISUSE",
        "INTERVENTION_RECEIVED",
        "INTERVENTION_OFFERED",
        known_by="SDQ_SCORE",
    ),
    _table("oc3", "CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM", known_by="IN_TOUCH"),
    _table(
        "ad1",
        "CHILD",
        "DOB",
        "DATE_INT",
        "DATE_MATCH",
        "FOSTER_CARE",
        "NB_ADOPTR",
        "SEX_ADOPTR",
        "LS_ADOPTR",
        known_by="DATE_MATCH",
    ),
    _table(
        "placed_for_adoption",
        "CHILD",
        "DOB",
        "DATE_PLACED",
        "DATE_PLACED_CEASED",
        "REASON_PLACED_CEASED",
        known_by="DATE_PLACED",
    ),
    _table("previous_permanence", "CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM", known_by="PREV_PERM"),
    _table("missing", "CHILD", "DOB", "MISSING", "MIS_START", "MIS_END", known_by="MIS_START"),
    _table("sw_episodes", "CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON", known_by="SW_ID"),
    _table("dolo", "CHILD", "DOB", "DOLO_START", "DOLO_END", known_by="DOLO_START"),
)
# Columns of the other files that the header already holds (and keeps): not listed as lost.
KEPT_FROM_THE_HEADER = frozenset({"CHILD", "DOB", "SEX"})


def other_table(columns: set[str]) -> OtherTable | None:
    """The SSDA903 table a CSV file with these (upper-cased) columns is, among the others."""
    for table in OTHER_TABLES:
        if table.signature <= columns:
            return table
    return None


def count_not_placed(path: Path, part: str, *, kept: frozenset[str] = KEPT_FROM_THE_HEADER) -> list[NotPlaced]:
    """Every column of ``path`` but ``kept``: how many rows it has and how many are not empty."""
    rows = 0
    values: Counter[str] = Counter()
    columns: list[str] = [name.upper() for name in textfile.header(path) if name]
    for _, row in textfile.rows(path, normalise=str.upper):
        rows += 1
        values.update(name for name, value in row.items() if value)
    return [
        NotPlaced(path.name, part, column, rows, values[column])
        for column in dict.fromkeys(columns)
        if column not in kept
    ]


class NotPlacedCounter:
    """Counts columns a reader meets but does not keep, in the order first met."""

    def __init__(self, file: str) -> None:
        self.file = file
        self._present: Counter[tuple[str, str]] = Counter()
        self._values: Counter[tuple[str, str]] = Counter()

    def add(self, part: str, column: str, value: str | None) -> None:
        self._present[(part, column)] += 1
        if value:
            self._values[(part, column)] += 1

    def add_row(self, part: str, row: dict[str, str], kept: set[str] | frozenset[str]) -> None:
        for column, value in row.items():
            if column not in kept:
                self.add(part, column, value)

    def counted(self) -> list[NotPlaced]:
        return [
            NotPlaced(self.file, part, column, present, self._values[(part, column)])
            for (part, column), present in self._present.items()
        ]
