"""Which format a set of files is in: CIN census XML, SSDA903 CSVs, SSD extracts or EHLD."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from lxml import etree

from earlyhelp.errors import UsageError
from earlyhelp.formats import textfile
from earlyhelp.spec.model import TABLES


class Format(str, Enum):
    CIN_XML = "cin-xml"
    SSDA903 = "ssda903"
    SSD = "ssd"
    EHLD = "ehld"


# SSDA903 files are recognised by their columns, not their names (LAs name them freely).
SSDA903_HEADER = frozenset({"CHILD", "SEX", "DOB", "ETHNIC", "UPN"})
SSDA903_EPISODES = frozenset({"CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "DEC", "REC"})
# Other SSDA903 files we recognise but do not map (their content has no EHLD home).
SSDA903_OTHER = (
    frozenset({"CHILD", "DOB", "REVIEW", "REVIEW_CODE"}),
    frozenset({"CHILD", "DOB", "MISSING", "MIS_START"}),
    frozenset({"CHILD", "SEX", "DOB", "DUC"}),
    frozenset({"CHILD", "DOB", "IN_TOUCH"}),
    frozenset({"CHILD", "DOB", "SDQ_SCORE"}),
    frozenset({"CHILD", "DOB", "PREV_PERM"}),
    frozenset({"CHILD", "DOB", "DATE_PLACED"}),
    frozenset({"CHILD", "DOB", "DATE_INT", "DATE_MATCH"}),
    frozenset({"CHILD", "DOB", "SW_ID"}),
    frozenset({"CHILD", "DOB", "DOLO_START"}),
)

SSD_PREFIX = "ssd_"
# Written by ingest next to the tables it reads in; not an input.
OWN_FILES = frozenset({"ingest_issues.tsv"})


@dataclass
class Detected:
    format: Format
    files: list[Path] = field(default_factory=list)
    # Role of each file within its format, e.g. {"header": path, "episodes": path} for SSDA903.
    roles: dict[str, Path] = field(default_factory=dict)
    ignored: list[Path] = field(default_factory=list)


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


def _xml_root(path: Path) -> str | None:
    try:
        for _, element in etree.iterparse(str(path), events=("start",)):
            return element.tag if isinstance(element.tag, str) else None
    except etree.XMLSyntaxError:
        return None
    return None


def _csv_columns(path: Path) -> set[str]:
    """The header's names, upper-cased (SSDA903 names are; Excel users retype them). The file's
    encoding and separator are sniffed first, so a ';'-separated or UTF-16 save is recognised;
    a file that is not text raises a DataError saying so."""
    try:
        return {name.upper() for name in textfile.header(path)}
    except OSError:
        return set()


def detect(paths: list[Path] | tuple[Path, ...]) -> list[Detected]:
    """Group the given files (or folders' files) by format; unknown files are an error."""
    found: dict[Format, Detected] = {}
    unknown: list[Path] = []

    def group(fmt: Format) -> Detected:
        return found.setdefault(fmt, Detected(fmt))

    for file in _expand(list(paths)):
        suffix = file.suffix.lower()
        stem = file.stem
        if suffix in (".csv", ".parquet") and stem in TABLES:
            group(Format.EHLD).files.append(file)
        elif suffix == ".xml":
            root = _xml_root(file)
            if root == "Message":
                group(Format.CIN_XML).files.append(file)
            elif root == "EXPSSDA903":
                # The XML form of the SSDA903 return is not read; its CSV form is.
                group(Format.SSDA903).ignored.append(file)
            else:
                unknown.append(file)
        elif suffix in (".csv", ".parquet") and stem.lower().startswith(SSD_PREFIX):
            detected = group(Format.SSD)
            detected.files.append(file)
            detected.roles[stem.lower()] = file
        elif suffix == ".csv":
            columns = _csv_columns(file)
            if columns >= SSDA903_EPISODES:
                detected = group(Format.SSDA903)
                detected.files.append(file)
                _set_role(detected, "episodes", file)
            elif columns >= SSDA903_HEADER:
                detected = group(Format.SSDA903)
                detected.files.append(file)
                _set_role(detected, "header", file)
            elif any(other <= columns for other in SSDA903_OTHER):
                group(Format.SSDA903).ignored.append(file)
            else:
                unknown.append(file)
        else:
            unknown.append(file)
    if unknown:
        names = ", ".join(str(p) for p in unknown[:5])
        spreadsheets = [p for p in unknown if p.suffix.lower() in (".xlsx", ".xls", ".xlsm", ".ods")]
        excel = " Spreadsheets are not read: save each sheet as 'CSV UTF-8 (comma delimited)'." if spreadsheets else ""
        raise UsageError(
            f"Could not tell the format of {len(unknown)} file(s): {names}.",
            hint="earlyhelp ingest reads CIN census XML (<Message> root), SSDA903 CSVs (recognised "
            "by their columns), SSD extracts named ssd_*.csv and EHLD tables named after the table." + excel,
        )
    if not found:
        raise UsageError("No files to ingest were found in the given paths.")
    return list(found.values())


def _set_role(detected: Detected, role: str, file: Path) -> None:
    if role in detected.roles:
        raise UsageError(
            f"Two SSDA903 {role} files were given: {detected.roles[role]} and {file}.",
            hint="Ingest one LA's return at a time (one header file and one episodes file).",
        )
    detected.roles[role] = file
