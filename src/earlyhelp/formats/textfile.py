"""Reading the CSV files LAs give us as Excel saved them: encoding and delimiter sniffed first.

Excel writes "CSV UTF-8" with a byte-order mark, "Unicode Text" as UTF-16 separated by tabs,
and, under European region settings, columns separated by ``;``. Those are read as they are
(each is unambiguous). A file that is not UTF-8 at all (Excel's plain "CSV", Windows-1252) is
refused with the line of its first bad byte: guessing its encoding could silently change the
names and postcodes that linking relies on. The checks are the validator's
(``earlyhelp.textsniff``), so ingest and validate say the same thing about the same file.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from earlyhelp.errors import DataError
from earlyhelp.textsniff import (
    DELIMITERS,
    SNIFF_BYTES,
    binary_kind,
    first_invalid_utf8_line,
    looks_utf16,
    split_first_line,
)

# The longest value a field of any input may hold (CSV cell, Parquet cell, XML element text).
# Generous (a free-text reason is a few hundred characters), and small enough that one bad field
# cannot take gigabytes of memory and disk on its way to the validator.
MAX_FIELD_CHARACTERS = 10_000
# Columns whose value names the child in a message (SSDA903 CHILD, the SSD's *_person_id), when short.
SHOWN_CHILD_ID_CHARACTERS = 50

SAVE_AS_UTF8 = "In Excel choose File > Save As > 'CSV UTF-8 (comma delimited)' and ingest that file."
# What each kind of non-text file (textsniff.SIGNATURES) is, in ingest's words.
_BINARY = {
    "xlsx": "an Excel workbook (.xlsx) or a zip file",
    "xls": "an old Excel workbook (.xls)",
    "parquet": "a Parquet file (name it .parquet)",
    "pdf": "a PDF",
}


@dataclass(frozen=True)
class TextLayout:
    """How a CSV file is written: its Python codec and its column separator."""

    encoding: str
    delimiter: str

    @property
    def has_bom(self) -> bool:
        return self.encoding == "utf-8-sig"

    @property
    def is_utf16(self) -> bool:
        return self.encoding.startswith("utf-16")


def sniff(path: Path) -> TextLayout:
    """The encoding and delimiter of ``path``; ``DataError`` when it is not readable text."""
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    kind = binary_kind(head)
    if kind is not None:
        raise DataError(f"{path.name} is not a CSV text file: it is {_BINARY[kind]}.", hint=SAVE_AS_UTF8)
    if looks_utf16(head):
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding = "utf-16"
        else:  # no byte-order mark: the NUL bytes' side gives the byte order ("a\0" is little-endian)
            encoding = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        text = head.decode(encoding, errors="ignore")
    else:
        encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
        if b"\x00" in head:
            raise DataError(f"{path.name} is not a CSV text file: it contains NUL bytes.", hint=SAVE_AS_UTF8)
        try:
            # Not final: a character cut by the end of the block is left pending, not an error.
            text = codecs.getincrementaldecoder(encoding)().decode(head)
        except UnicodeDecodeError:
            raise not_utf8(path, TextLayout(encoding, ",")) from None
    header = split_first_line(text.lstrip("\ufeff"))
    delimiter = ","
    if "," not in header:
        delimiter = next((candidate for candidate in DELIMITERS if candidate in header), ",")
    return TextLayout(encoding, delimiter)


def not_utf8(path: Path, layout: TextLayout) -> DataError:
    line, where = first_invalid_utf8_line(path, layout.has_bom)
    return DataError(
        f"{path.name}, line {line}: the file is not UTF-8 text from this line on ({where}).",
        hint="Excel's plain 'CSV' uses the Windows-1252 encoding. " + SAVE_AS_UTF8,
    )


def header(path: Path) -> list[str]:
    """The column names of ``path`` (stripped), read with its sniffed layout."""
    with closing(_records(path, sniff(path))) as records:
        first = next(records, None)
    return [] if first is None else [name.strip() for name in first[1]]


def rows(path: Path, *, normalise=str.strip) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: stripped value}) per record; the header is line 1.

    ``normalise`` is applied to each column name (``str.upper`` for SSDA903, ``str.lower`` for
    the SSD, whose names are case-insensitive in practice).
    """
    records = _records(path, sniff(path))
    first = next(records, None)
    if first is None:
        return
    names = [normalise(name.strip()) for name in first[1]]
    check_field_lengths(path.name, 1, dict(zip(names, first[1])))
    for number, record in records:
        if not any(value.strip() for value in record):
            continue  # a blank line (Excel leaves ",,,," rows under a table)
        row = {name: value.strip() for name, value in zip(names, record) if name}
        if max(map(len, record)) > MAX_FIELD_CHARACTERS:
            check_field_lengths(path.name, number, row)
        yield number, row


def check_field_lengths(file: str, number: int, row: dict[str, str]) -> None:
    """``DataError`` naming the column, the line and the child when a value of ``row`` is longer
    than ``MAX_FIELD_CHARACTERS``."""
    for column, value in row.items():
        if len(value) > MAX_FIELD_CHARACTERS or len(column) > MAX_FIELD_CHARACTERS:
            child = next(
                (
                    v
                    for k, v in row.items()
                    if (k.lower() == "child" or k.lower().endswith("_person_id"))
                    and 0 < len(v) <= SHOWN_CHILD_ID_CHARACTERS
                ),
                None,
            )
            named = f" (child {child})" if child else ""
            shown = column if len(column) <= SHOWN_CHILD_ID_CHARACTERS else column[:SHOWN_CHILD_ID_CHARACTERS] + "..."
            length = max(len(value), len(column))
            raise DataError(
                f"{file}, line {number}, column {shown}: {length:,} characters, more than the "
                f"{MAX_FIELD_CHARACTERS:,} earlyhelp reads in one field{named}.",
                hint='Look for a quote (") that is opened but never closed, or a value pasted by mistake.',
            )


def _records(path: Path, layout: TextLayout) -> Generator[tuple[int, list[str]], None, None]:
    """(line number, fields) per record, the header first (as line 1, byte-order mark removed)."""
    line = 0
    try:
        with open(path, newline="", encoding=layout.encoding) as handle:
            reader = csv.reader(handle, delimiter=layout.delimiter)
            first = True
            for record in reader:
                if first:
                    if record:
                        record[0] = record[0].lstrip("\ufeff")
                    first = False
                    yield 1, record
                    continue
                # reader.line_num is the line the record ends on; that is what a spreadsheet shows
                # for the usual one-line record.
                line = reader.line_num
                yield line, record
    except UnicodeDecodeError:
        if layout.is_utf16:
            raise DataError(f"{path.name} is not readable UTF-16 text.", hint=SAVE_AS_UTF8) from None
        raise not_utf8(path, layout) from None
    except csv.Error as error:
        if "field larger than field limit" in str(error):  # the csv module's own limit, far above ours
            raise DataError(
                f"{path.name}, after line {line}: a field holds more than {csv.field_size_limit():,} characters, "
                f"more than the {MAX_FIELD_CHARACTERS:,} earlyhelp reads in one field.",
                hint='Look for a quote (") that is opened but never closed. ' + SAVE_AS_UTF8,
            ) from None
        raise DataError(
            f"{path.name} could not be read as CSV: {error}.",
            hint='Look for a quote (") that is opened but never closed. ' + SAVE_AS_UTF8,
        ) from None
