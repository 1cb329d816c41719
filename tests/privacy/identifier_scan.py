"""An identifier scanner: which of the identity records' own values appear outside the identity zone.

It takes the identity records themselves (names, dates of birth, postcodes, NHS numbers and UPNs
from ``person_identifiers`` and ``episode_postcodes``, and for an SSDA903 return or an SSD
extract the identifier fields of its files) and looks for exactly those values in every file it is given: text files as
text, CSV and Parquet cell by cell, a DuckDB database table by table, an Excel workbook sheet by sheet,
and a PNG's text chunks. It reports counts by kind
and the files they were in, never a value.

What counts as a match, kind by kind:

* **NHS number**: ten digits (spaces or hyphens between the 3-3-4 groups allowed) not inside a
  longer run of digits, equal to a known NHS number. **UPN**: a letter, 11 digits and a digit or
  letter, not inside a longer word, equal to a known UPN.
* **Postcode**: anything shaped like a full UK postcode (with or without its space, any case)
  equal to a known postcode. A postcode district (``TS24``) is not a postcode.
* **Name**: a known forename and surname of the same record next to each other (either order),
  anywhere; a single known forename or surname only as the whole value of a column holding
  people's names (``forename``, ``surname``, ``name``, ...). Single names are not searched in prose
  or in other columns: a surname can be a place (an LA called York), a month (May) or a word.
* **Date of birth**: a full date (``YYYY-MM-DD`` or ``dd/mm/YYYY``) equal to a known date of birth
  (the child's, or a mother's child's), but only where it says it is one: in a column whose name
  says so (``date_of_birth``, ``dob``, ``mother_child_dob``, ``born``, ...) or in text within 40
  characters of such a word. Elsewhere a full date is an event date, and with a few thousand
  children nearly every day of the last twenty years is someone's birthday, so matching every
  date would flag ordinary referral and episode dates (a child referred, or taken into care, on
  the day of birth is not a leak of a date of birth: the analytic zone holds the event dates, and
  the birth month, by design). The scanner therefore catches a date of birth written as one,
  not one hidden under an event's name; ``birth_month`` holds months, never full dates, so it
  matches nothing unless it holds full dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

KINDS = ("nhs_number", "upn", "postcode", "name", "date_of_birth")
TEXT_SUFFIXES = {".csv", ".tsv", ".md", ".html", ".svg", ".json", ".txt", ".css", ".js", ".xml", ""}
IDENTITY_TABLES = ("person_identifiers", "episode_postcodes")

_NHS = re.compile(r"(?<![0-9])([0-9]{3})[ -]?([0-9]{3})[ -]?([0-9]{4})(?![0-9])")
_UPN = re.compile(r"(?<![A-Za-z0-9])([A-Za-z][0-9]{11}[0-9A-Za-z])(?![A-Za-z0-9])")
_POSTCODE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,2}[0-9][0-9A-Za-z]?) ?([0-9][A-Za-z]{2})(?![A-Za-z0-9])")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_DATE = r"([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}/[0-9]{1,2}/[0-9]{4})"
_BIRTH_WORD = r"(birth|dob|born|mc_dob)"
_DATE_IN_TEXT = re.compile(_DATE)
# A date near a word that says it is a date of birth, either way round.
_DOB_IN_TEXT = re.compile(rf"{_BIRTH_WORD}[^\n]{{0,40}}?{_DATE}|{_DATE}[^\n]{{0,40}}?{_BIRTH_WORD}", re.IGNORECASE)
_BIRTH_COLUMN = re.compile(r"birth|dob|born", re.IGNORECASE)
_NAME_COLUMNS = {"forename", "surname", "name", "full_name", "first_name", "last_name", "given_name", "family_name"}


def _date(text: str) -> dt.date | None:
    try:
        if "-" in text:
            return dt.date.fromisoformat(text)
        day, month, year = (int(part) for part in text.split("/"))
        return dt.date(year, month, day)
    except ValueError:
        return None


def _postcode_key(text: str) -> str:
    return text.replace(" ", "").upper()


@dataclass
class IdentityRecords:
    """The values to look for, normalised (postcodes upper case without spaces, names lower case)."""

    nhs_numbers: set[str] = field(default_factory=set)
    upns: set[str] = field(default_factory=set)
    postcodes: set[str] = field(default_factory=set)
    dates_of_birth: set[dt.date] = field(default_factory=set)
    full_names: set[str] = field(default_factory=set)
    single_names: set[str] = field(default_factory=set)

    def sizes(self) -> dict[str, int]:
        return {
            "nhs_number": len(self.nhs_numbers),
            "upn": len(self.upns),
            "postcode": len(self.postcodes),
            "name": len(self.full_names),
            "date_of_birth": len(self.dates_of_birth),
        }

    def add_table(self, table: pa.Table) -> None:
        """Take the identifiers of an identity table (any of its identifier columns)."""
        names = set(table.column_names)

        def values(column: str) -> list:
            return [v for v in table.column(column).to_pylist() if v not in (None, "")] if column in names else []

        self.nhs_numbers.update(str(v).replace(" ", "").replace("-", "") for v in values("nhs_number"))
        self.upns.update(str(v).upper() for v in values("upn"))
        for column in ("postcode", "home_postcode", "placement_postcode"):
            self.postcodes.update(_postcode_key(str(v)) for v in values(column))
        for column in ("date_of_birth", "mother_child_dob"):
            for value in values(column):
                parsed = value if isinstance(value, dt.date) else _date(str(value))
                if parsed is not None:
                    self.dates_of_birth.add(parsed)
        if "forename" in names and "surname" in names:
            for forename, surname in zip(table.column("forename").to_pylist(), table.column("surname").to_pylist()):
                for name in (forename, surname):
                    if name:
                        self.single_names.add(name.strip().lower())
                if forename and surname:
                    forename, surname = forename.strip().lower(), surname.strip().lower()
                    self.full_names.update({f"{forename} {surname}", f"{surname} {forename}"})

    def add_folder(self, folder: Path) -> None:
        """The identity tables written in an EHLD folder (CSV or Parquet)."""
        for name in IDENTITY_TABLES:
            for path in (folder / f"{name}.parquet", folder / f"{name}.csv"):
                if path.is_file():
                    self.add_table(read_table(path))

    def add_ssda903(self, folder: Path) -> None:
        """The identifier fields of an SSDA903 return's header and episodes files."""
        for path in folder.glob("*.csv"):
            with open(path, newline="", encoding="utf-8-sig") as handle:
                for row in csv.DictReader(handle):
                    for key in ("DOB", "MC_DOB"):
                        parsed = _date(row.get(key) or "")
                        if parsed is not None:
                            self.dates_of_birth.add(parsed)
                    for key in ("HOME_POST", "PL_POST"):
                        if row.get(key):
                            self.postcodes.add(_postcode_key(row[key]))
                    if row.get("UPN") and _UPN.fullmatch(row["UPN"]):
                        self.upns.add(row["UPN"].upper())

    def add_ssd_extract(self, folder: Path) -> None:
        """The identifiers of an SSD extract's people and addresses (its dates may carry a time)."""
        people = read_table(folder / "ssd_person.csv").to_pylist()
        addresses = read_table(folder / "ssd_address.csv").to_pylist()
        self.add_table(
            pa.table(
                {
                    "nhs_number": [row["pers_common_child_id"] for row in people],
                    "forename": [row["pers_forename"] for row in people],
                    "surname": [row["pers_surname"] for row in people],
                    "date_of_birth": [(row["pers_dob"] or "").split(" ")[0] for row in people],
                }
            )
        )
        self.postcodes.update(
            _postcode_key(row["addr_address_postcode"]) for row in addresses if row["addr_address_postcode"]
        )


@dataclass
class ScanResult:
    """Counts only: identifiers found by kind and by file, and what was read."""

    found: Counter = field(default_factory=Counter)
    by_file: dict[str, Counter] = field(default_factory=dict)
    scanned: Counter = field(default_factory=Counter)  # text / csv / parquet / duckdb / xlsx / png -> files
    cells: int = 0
    skipped_identity_zone: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.found.values())

    def summary(self) -> str:
        files = sum(self.scanned.values())
        read = ", ".join(f"{count} {kind}" for kind, count in sorted(self.scanned.items()))
        lines = [
            f"scanned {files} files ({read}; {self.cells:,} cells), "
            f"left out {len(self.skipped_identity_zone)} identity-zone files",
            "identifiers found: " + ", ".join(f"{kind} {self.found.get(kind, 0)}" for kind in KINDS),
        ]
        lines += [f"  {name}: {dict(counts)}" for name, counts in sorted(self.by_file.items())]
        if self.unreadable:
            lines.append(f"not scanned (not text): {', '.join(self.unreadable)}")
        return "\n".join(lines)


class Scanner:
    def __init__(self, records: IdentityRecords):
        self.records = records

    def scan(self, root: Path, *, identity_zone: Callable[[Path], bool]) -> ScanResult:
        """Every file under ``root`` but those ``identity_zone`` says belong to it."""
        result = ScanResult()
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            name = str(path.relative_to(root))
            if identity_zone(path):
                result.skipped_identity_zone.append(name)
                continue
            found: Counter[str] = Counter()
            suffix = path.suffix.lower()
            if suffix == ".parquet":
                result.scanned["parquet"] += 1
                result.cells += self._scan_table(read_table(path), found)
            elif suffix == ".duckdb":
                result.scanned["duckdb"] += 1
                for table in _duckdb_tables(path):
                    result.cells += self._scan_table(table, found)
            elif suffix in (".csv", ".tsv"):
                result.scanned["csv"] += 1
                result.cells += self._scan_table(read_table(path), found)
            elif suffix == ".json":
                result.scanned["json"] += 1
                result.cells += self._scan_json(json.loads(path.read_text(encoding="utf-8")), None, found)
            elif suffix == ".xlsx":
                result.scanned["xlsx"] += 1
                for table in workbook_tables(path):
                    self._scan_text(" ".join(table.column_names), None, found)
                    result.cells += self._scan_table(table, found)
            elif suffix == ".png":
                # A PNG's only text is in its text chunks; its pixels are drawn from the SVG beside it.
                result.scanned["png"] += 1
                self._scan_text("\n".join(png_texts(path.read_bytes())), None, found)
            else:
                try:
                    text = path.read_text(encoding="utf-8")
                except UnicodeDecodeError:
                    result.unreadable.append(name)
                    continue
                result.scanned["text"] += 1
                self._scan_text(text, None, found)
            found = +found  # kinds with no match left out
            if found:
                result.by_file[name] = found
                result.found.update(found)
        return result

    def _scan_table(self, table: pa.Table, found: Counter) -> int:
        cells = 0
        for name in table.column_names:
            column = table.column(name)
            birth_column = bool(_BIRTH_COLUMN.search(name))
            if pa.types.is_date(column.type) or pa.types.is_timestamp(column.type):
                if birth_column:
                    days = pc.cast(column, pa.date32()) if pa.types.is_timestamp(column.type) else column
                    found["date_of_birth"] += sum(1 for v in days.to_pylist() if v in self.records.dates_of_birth)
                cells += len(column)
                continue
            if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
                if pa.types.is_integer(column.type):
                    # A number column may hold NHS numbers (ten digits).
                    for value in pc.unique(column).to_pylist():
                        if value is not None and str(value) in self.records.nhs_numbers:
                            found["nhs_number"] += int(pc.sum(pc.equal(column, value)).as_py() or 0)
                cells += len(column)
                continue
            for entry in pc.value_counts(column.combine_chunks()).to_pylist():
                value, count = entry["values"], entry["counts"]
                if value:
                    seen: Counter[str] = Counter()
                    self._scan_text(value, name, seen)
                    for kind, n in seen.items():
                        found[kind] += n * count
            cells += len(column)
        return cells

    def _scan_json(self, value, key: str | None, found: Counter) -> int:
        if isinstance(value, dict):
            return sum(self._scan_json(v, str(k), found) for k, v in value.items())
        if isinstance(value, list):
            return sum(self._scan_json(v, key, found) for v in value)
        if value is not None:
            self._scan_text(str(value), key, found)
        return 1

    def _scan_text(self, text: str, column: str | None, found: Counter) -> None:
        records = self.records
        for match in _NHS.finditer(text):
            if "".join(match.groups()) in records.nhs_numbers:
                found["nhs_number"] += 1
        for match in _UPN.finditer(text):
            if match.group(1).upper() in records.upns:
                found["upn"] += 1
        for match in _POSTCODE.finditer(text):
            if (match.group(1) + match.group(2)).upper() in records.postcodes:
                found["postcode"] += 1
        words = [w.lower() for w in _WORD.findall(text)]
        found["name"] += sum(1 for a, b in zip(words, words[1:]) if f"{a} {b}" in records.full_names)
        # A single name as a whole cell of a name column (a full name in a cell is counted above).
        in_name_column = column is not None and column.lower() in _NAME_COLUMNS
        if in_name_column and len(words) < 2 and text.strip().lower() in records.single_names:
            found["name"] += 1
        if column is not None and _BIRTH_COLUMN.search(column):
            dates: Iterable[str] = _DATE_IN_TEXT.findall(text)
        else:
            dates = (m.group(2) or m.group(3) for m in _DOB_IN_TEXT.finditer(text))
        found["date_of_birth"] += sum(1 for d in dates if d and _date(d) in records.dates_of_birth)


def read_table(path: Path) -> pa.Table:
    """A CSV with every column as text (so nothing is reformatted), or a Parquet file as it is."""
    if path.suffix.lower() == ".parquet":
        return pq.read_table(path)
    import pyarrow.csv as pacsv

    with open(path, "rb") as handle:
        header = handle.readline()
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    columns = next(csv.reader([header.decode("utf-8-sig")], delimiter=delimiter), [])
    return pacsv.read_csv(
        path,
        parse_options=pacsv.ParseOptions(delimiter=delimiter),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(columns, pa.string())),
    )


def workbook_tables(path: Path) -> Iterator[pa.Table]:
    """Each sheet of an ``.xlsx`` workbook as a table of text: its first row names the columns."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        for sheet in workbook.worksheets:
            rows = [["" if value is None else str(value) for value in row] for row in sheet.iter_rows(values_only=True)]
            if not rows:
                continue
            names = [f"{heading}#{i}" for i, heading in enumerate(rows[0])]  # headings need not be unique
            yield pa.table({name: [row[i] for row in rows[1:]] for i, name in enumerate(names)})
    finally:
        workbook.close()


def png_texts(data: bytes) -> Iterator[str]:
    """The text chunks of a PNG (tEXt, zTXt, iTXt), as ``keyword: text``."""
    import struct
    import zlib

    position = 8  # after the signature
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"tEXt":
            yield body.replace(b"\0", b": ", 1).decode("latin-1")
        elif kind == b"zTXt":
            keyword, _, compressed = body.partition(b"\0")
            yield keyword.decode("latin-1") + ": " + zlib.decompress(compressed[1:]).decode("latin-1")
        elif kind == b"iTXt":
            keyword, _, rest = body.partition(b"\0")
            compressed, rest = rest[0], rest[2:]
            _language, _, rest = rest.partition(b"\0")
            _translated, _, text = rest.partition(b"\0")
            yield keyword.decode("latin-1") + ": " + (zlib.decompress(text) if compressed else text).decode("utf-8")


def _duckdb_tables(path: Path) -> Iterator[pa.Table]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        query = "SELECT table_schema, table_name FROM information_schema.tables ORDER BY 1, 2"
        for schema, name in con.execute(query).fetchall():
            yield con.sql(f'SELECT * FROM "{schema}"."{name}"').to_arrow_table()
    finally:
        con.close()


def in_identity_zone(identity_paths: Iterable[Path] = ()) -> Callable[[Path], bool]:
    """The identity zone: files named after an identity table, and the given files (e.g. the
    identity warehouse, synthetic England's truth about each identity record)."""
    named = {Path(p).resolve() for p in identity_paths}
    return lambda path: path.stem in IDENTITY_TABLES or path.resolve() in named
