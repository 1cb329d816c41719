"""Where the rows of an ingested EHLD folder came from: the analyst's file, line and child.

``earlyhelp ingest`` turns a CIN census, an SSDA903 return or an SSD extract into EHLD CSVs, so a
problem the validator finds later is at a line of a file the analyst never wrote. Ingest
therefore leaves two sidecars in the folder it writes (tab-separated, so never taken for a table):

* ``ingest_provenance.tsv``: ``table``, ``line`` (of the EHLD CSV, the header is line 1),
  ``source_file`` (name only), ``source_line``, ``child`` (the LA's own child id: ``LAchildID``,
  ``CHILD`` or the SSD person id) and ``column_lines`` (where a record spans lines, as a CIN
  census block does, the line of each EHLD column's element: ``closure_date=59;referral_date=56``),
  one row per EHLD row it could place;
* ``ingest_tables.tsv``: ``table``, ``file``, ``sha256`` and ``origin`` (the format read, or
  ``package`` for a reference table added from the package) of every table ingest wrote.

A table edited after ingest no longer has the SHA-256 ingest recorded: its rows are then not
mapped back, since the lines may have moved. The child id is pseudonymous (the LA's own), so it
may be shown to the analyst in a report, but it is never logged.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PROVENANCE_FILE = "ingest_provenance.tsv"
TABLES_FILE = "ingest_tables.tsv"
PACKAGE_ORIGIN = "package"
PROVENANCE_COLUMNS = ("table", "line", "source_file", "source_line", "child", "column_lines")
TABLES_COLUMNS = ("table", "file", "sha256", "origin")


@dataclass(frozen=True)
class Source:
    """One EHLD row's place in the analyst's own file."""

    file: str
    line: int | None
    child: str | None
    column_lines: str = ""  # "closure_date=59;referral_date=56"; empty when the record is one line

    def line_of(self, column: str | None) -> int | None:
        """The line of ``column``'s value when the record spans lines, else the record's line."""
        for pair in self.column_lines.split(";") if column else ():
            name, _, line = pair.partition("=")
            if name == column and line.isdigit():
                return int(line)
        return self.line

    def describe(self, column: str | None = None) -> str:
        line = self.line_of(column)
        where = self.file if line is None else f"{self.file} line {line}"
        return where if not self.child else f"{where}, child {self.child}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_sidecars(
    folder: Path, places: Iterable[tuple[str, int, Source]], origins: dict[str, tuple[Path, str]]
) -> None:
    """Write both sidecars into ``folder``: ``places`` (table, EHLD line, source) and, per table,
    its file and origin. Call once every table file is final (hashes are taken here)."""
    with open(folder / PROVENANCE_FILE, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(PROVENANCE_COLUMNS)
        for table, line, source in places:
            source_line = "" if source.line is None else source.line
            writer.writerow([table, line, source.file, source_line, source.child or "", source.column_lines])
    with open(folder / TABLES_FILE, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(TABLES_COLUMNS)
        for table, (path, origin) in sorted(origins.items()):
            writer.writerow([table, path.name, file_sha256(path), origin])


def _unchanged_tables(
    folder: Path, *, files: set[str] | None = None, origin: str | None = None
) -> dict[str, tuple[str, str]]:
    """Table -> (file name, origin) for the tables ingest wrote that are still as it wrote them;
    only those of ``files`` or of ``origin`` when given (each one checked costs reading it whole)."""
    listing = folder / TABLES_FILE
    if not listing.is_file():
        return {}
    unchanged: dict[str, tuple[str, str]] = {}
    with open(listing, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            name, path = row.get("file") or "", folder / (row.get("file") or "")
            if (files is not None and name not in files) or (origin is not None and row.get("origin") != origin):
                continue
            if name and path.is_file() and file_sha256(path) == row.get("sha256"):
                unchanged[row["table"]] = (name, row.get("origin") or "")
    return unchanged


def package_tables(folder: Path | str) -> list[str]:
    """The reference tables of ``folder`` that ingest added from the package (still unedited)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(_unchanged_tables(folder, origin=PACKAGE_ORIGIN))


def sources(folder: Path, wanted: dict[str, set[int]]) -> dict[tuple[str, int], Source]:
    """(file name, line) -> Source for the ``wanted`` lines of each EHLD file name of ``folder``,
    when ingest wrote it and it is unchanged since. Reads the sidecar once, keeping only those."""
    provenance = folder / PROVENANCE_FILE
    if not provenance.is_file() or not wanted:
        return {}
    file_of_table = {table: name for table, (name, _) in _unchanged_tables(folder, files=set(wanted)).items()}
    found: dict[tuple[str, int], Source] = {}
    with open(provenance, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            name = file_of_table.get(row.get("table", ""))
            if name is None or not (row.get("line") or "").isdigit():
                continue
            line = int(row["line"])
            if line in wanted[name]:
                source_line = row.get("source_line") or ""
                found[(name, line)] = Source(
                    row.get("source_file", ""),
                    int(source_line) if source_line.isdigit() else None,
                    row.get("child") or None,
                    row.get("column_lines") or "",
                )
    return found
