"""What a format reader is: the protocol every format ``ingest`` reads implements.

A reader says which files are in its format (:meth:`FormatReader.claim`) and maps a group of
them to EHLD tables (:meth:`FormatReader.read`). The readers ingest knows, and the order in which
they are asked about a file, are listed once in :data:`earlyhelp.formats.detect.READERS`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from lxml import etree

from earlyhelp.formats import textfile
from earlyhelp.formats.issues import FormatIssue

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Iterator

    from earlyhelp.formats.ehld_out import EHLDWriter

# How every input file is parsed, whatever lxml's defaults are: entity references are never
# replaced (no external entity reaches a file, no entity bomb expands), no DTD is loaded, nothing
# is fetched from the network. libxml2's size limits stay on (no huge_tree): a text node over
# 10 MB is a syntax error instead of gigabytes of memory, and a national CIN file still streams.
SAFE_XML_OPTIONS: dict[str, bool] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
}


def safe_iterparse(path: Path, **options: object) -> Iterator[tuple[str, etree._Element]]:
    """``lxml.etree.iterparse`` of an input file with :data:`SAFE_XML_OPTIONS`."""
    return etree.iterparse(str(path), **options, **SAFE_XML_OPTIONS)


class Format(str, Enum):
    """The names of the formats read here, as the CLI and the ingest summary spell them."""

    CIN_XML = "cin-xml"
    SSDA903 = "ssda903"
    SSD = "ssd"
    EHLD = "ehld"


@dataclass
class Detected:
    """The files of one format among those given to ``ingest``."""

    format: str
    reader: FormatReader
    files: list[Path] = field(default_factory=list)
    # Role of each file within its format, e.g. {"header": path, "episodes": path} for SSDA903.
    roles: dict[str, Path] = field(default_factory=dict)
    # Recognised as this format, but holding nothing EHLD models: not read.
    ignored: list[Path] = field(default_factory=list)


class CandidateFile:
    """A file whose format is not known yet. What readers look at is read once, when first asked."""

    def __init__(self, path: Path):
        self.path = path
        self.suffix = path.suffix.lower()
        self.stem = path.stem

    @cached_property
    def xml_root(self) -> str | None:
        """The tag of the XML root element, or None when the file is not well-formed XML."""
        try:
            for _, element in safe_iterparse(self.path, events=("start",)):
                return element.tag if isinstance(element.tag, str) else None
        except etree.XMLSyntaxError:
            return None
        return None

    @cached_property
    def csv_columns(self) -> set[str]:
        """The header's names, upper-cased (SSDA903 names are; Excel users retype them). The
        file's encoding and separator are sniffed first, so a ';'-separated or UTF-16 save is
        recognised; a file that is not text raises a DataError saying so."""
        try:
            return {name.upper() for name in textfile.header(self.path)}
        except OSError:
            return set()


@dataclass(frozen=True)
class NotPlaced:
    """One column (or XML element) of an input whose values no EHLD table has a place for:
    counted, never quoted, so ingest can say what it read and did not keep."""

    file: str
    part: str  # what the values are, in the format's own words (SSDA903 "reviews")
    column: str
    present: int  # rows (or XML elements) that carry the column
    values: int  # of those, the non-empty ones
    why: str = ""  # why no EHLD column holds them, when the reader says (CIN census)


@dataclass
class ReadResult:
    """What a reader did with its group of files."""

    issues: list[FormatIssue] = field(default_factory=list)  # the first few, identifiers masked
    issue_count: int = 0  # all of them
    skipped_children: int = 0  # children the reader itself left out
    # LA -> (first day, last day) of the period the files state (the CIN census year); LAs
    # whose files state none get the span of their events.
    periods: dict[str, tuple[dt.date, dt.date]] = field(default_factory=dict)
    copied_files: list[Path] = field(default_factory=list)  # files taken as they are (EHLD)
    not_placed: list[NotPlaced] = field(default_factory=list)  # read, but with no EHLD place
    warnings: list[str] = field(default_factory=list)  # about a whole file; no identifier in them

    @classmethod
    def of_issues(cls, issues: list[FormatIssue]) -> ReadResult:
        return cls(issues=issues, issue_count=len(issues))


class FormatReader(Protocol):
    """One input format of ``ingest``."""

    @property
    def name(self) -> str:
        """The format's name, as the ingest summary shows it (``cin-xml``)."""
        ...

    def claim(self, file: CandidateFile, group: Detected) -> bool:
        """Whether ``file`` is in this format. If it is, add it to ``group``: to ``files`` (with
        its role in ``roles`` when the format has roles), or to ``ignored`` when it holds nothing
        EHLD models. Raise :class:`earlyhelp.errors.UsageError` when it cannot go with the
        group's other files."""
        ...

    def read(self, group: Detected, writer: EHLDWriter, *, la_code: str | None) -> ReadResult:
        """Map the group's files to EHLD tables through ``writer``. A child with a problem is
        not written; the problem is in the result."""
        ...
