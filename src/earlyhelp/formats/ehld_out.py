"""Streaming writer of an EHLD folder: one CSV per table, columns in the model's order.

Readers hand it one row at a time (a dict keyed by EHLD column name), so a national-sized input
never has to be held in memory. Only the keys of `children` and `person_identifiers` rows are
remembered, to keep one row per child when several inputs describe the same child.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import IO, Any

from earlyhelp.spec.model import TABLES

# Tables where a later input may describe a row already written: the first description wins.
_DEDUPLICATED = {
    "children": ("la_code", "child_id"),
    "person_identifiers": ("source", "source_record_id"),
    "returns": ("la_code",),
}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value)


class EHLDWriter:
    """Open with ``with EHLDWriter(folder) as out: out.add("referrals", {...})``."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.counts: dict[str, int] = {}
        self._handles: dict[str, IO[str]] = {}
        self._writers: dict[str, Any] = {}
        self._seen: dict[str, set[str]] = {name: set() for name in _DEDUPLICATED}
        # la_code -> [earliest, latest] event date written (ISO strings), to bound a return
        # whose files carry no reporting period.
        self.event_span: dict[str, list[str]] = {}
        # Every la_code a row was written for (an LA may have children but no dated record).
        self.la_codes: set[str] = set()
        self._columns = {name: table.column_names for name, table in TABLES.items()}
        self._event_index = {
            name: tuple(i for i, c in enumerate(table.columns) if c.event) for name, table in TABLES.items()
        }
        self._la_index = {
            name: table.column_names.index("la_code") if table.has_la_code else None for name, table in TABLES.items()
        }

    def __enter__(self) -> EHLDWriter:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()

    def add(self, table: str, row: dict[str, Any]) -> bool:
        """Write one row; returns False when it duplicates a child or identity already written."""
        key_columns = _DEDUPLICATED.get(table)
        if key_columns:
            # One string per key (not a tuple): the sets grow with the children of a national file.
            key = "\x1f".join(str(row.get(c) or "") for c in key_columns)
            if key in self._seen[table]:
                return False
            self._seen[table].add(key)
        writer = self._writers.get(table)
        if writer is None:
            writer = self._open(table)
        get = row.get
        cells = [v if v.__class__ is str else _cell(v) for v in map(get, self._columns[table])]
        writer.writerow(cells)
        self.counts[table] = self.counts.get(table, 0) + 1
        la_index = self._la_index[table]
        la_code = cells[la_index] if la_index is not None else ""
        if la_code:
            self.la_codes.add(la_code)
            for index in self._event_index[table]:
                value = cells[index]
                if value:
                    span = self.event_span.get(la_code)
                    if span is None:
                        self.event_span[la_code] = [value, value]
                    elif value < span[0]:
                        span[0] = value
                    elif value > span[1]:
                        span[1] = value
        return True

    def _open(self, table: str):
        path = self.folder / f"{table}.csv"
        # The file stays open across add() calls, for rows of any table in any order; close() closes it.
        handle = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(self._columns[table])
        self._handles[table] = handle
        self._writers[table] = writer
        return writer
