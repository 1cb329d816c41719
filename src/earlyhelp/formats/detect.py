"""Which format a set of files is in: CIN census XML, SSDA903 CSVs, SSD extracts or EHLD."""

from __future__ import annotations

from pathlib import Path

from earlyhelp.errors import UsageError
from earlyhelp.formats.cin_xml import CinXmlReader
from earlyhelp.formats.ehld_in import EhldReader
from earlyhelp.formats.readers import CandidateFile, Detected, Format, FormatReader
from earlyhelp.formats.ssd import SsdReader
from earlyhelp.formats.ssda903 import Ssda903Reader

__all__ = ["OWN_FILES", "READERS", "Detected", "Format", "FormatReader", "detect"]

# Written by ingest next to the tables it reads in; not an input.
OWN_FILES = frozenset({"ingest_issues.tsv", "ingest_not_placed.tsv", "ingest_provenance.tsv", "ingest_tables.tsv"})

# Every format ingest reads, in the order they are asked about each file: the first reader to
# claim a file has it (EHLD first, so a file named after an EHLD table is EHLD whatever it holds).
READERS: tuple[FormatReader, ...] = (EhldReader(), CinXmlReader(), SsdReader(), Ssda903Reader())


def _expand(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise UsageError(f"{path} does not exist.")
        if path.is_dir():
            files.extend(
                sorted(
                    p for p in path.iterdir() if p.is_file() and not p.name.startswith(".") and p.name not in OWN_FILES
                )
            )
        else:
            files.append(path)
    return files


def detect(paths: list[Path] | tuple[Path, ...]) -> list[Detected]:
    """Group the given files (or folders' files) by format; unknown files are an error."""
    found: dict[str, Detected] = {}
    unknown: list[Path] = []

    for path in _expand(list(paths)):
        file = CandidateFile(path)
        for reader in READERS:
            group = found.get(reader.name) or Detected(reader.name, reader)
            if reader.claim(file, group):
                found.setdefault(reader.name, group)
                break
        else:
            unknown.append(path)
    if unknown:
        names = ", ".join(str(p) for p in unknown[:5])
        spreadsheets = [p for p in unknown if p.suffix.lower() in (".xlsx", ".xls", ".xlsm", ".ods")]
        excel = " Spreadsheets are not read: save each sheet as 'CSV UTF-8 (comma delimited)'." if spreadsheets else ""
        raise UsageError(
            f"Could not tell the format of {len(unknown)} file(s): {names}.",
            hint="earlyhelp ingest reads CIN census XML (<Message> root), SSDA903 CSVs (recognised "
            "by their columns) or XML (<EXPSSDA903> root), SSD extracts named ssd_*.csv and EHLD "
            "tables named after the table." + excel,
        )
    if not found:
        raise UsageError("No files to ingest were found in the given paths.")
    return list(found.values())
