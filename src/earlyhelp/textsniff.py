"""What the first bytes of a CSV file say about it: shared by ingest and the validator.

``earlyhelp ingest`` (``earlyhelp.formats.textfile``) and ``earlyhelp validate``
(``earlyhelp.validate.reader``) must judge the same file the same way: binary or text, UTF-16 or
UTF-8, which separator, where the first bad byte is. The checks live here, free of pyarrow (which
the validator loads and ingest of XML never needs); each caller words its own messages.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import AnyStr

# How much of a file is read to judge it: its header and some rows.
SNIFF_BYTES = 1 << 16

# (leading bytes, kind): files that are not text at all. Callers word each kind themselves.
SIGNATURES = (
    (b"PAR1", "parquet"),
    (b"PK\x03\x04", "xlsx"),
    (b"\xd0\xcf\x11\xe0", "xls"),
    (b"%PDF", "pdf"),
)

# The separators other than a comma that Excel writes (European regions; "Unicode Text"; some
# exports), in the order they are tried on a header without a comma.
DELIMITERS = (";", "\t", "|")

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LINE_BREAK_BYTES = re.compile(rb"\r\n|\r|\n")


def binary_kind(head: bytes) -> str | None:
    """The kind (see ``SIGNATURES``) of a file that is not text, from its first bytes; else None."""
    for signature, kind in SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


def split_first_line(data: AnyStr) -> AnyStr:
    """The first line of ``data`` (text or bytes): it ends at a line break of any convention
    (``\\r\\n``, ``\\r`` or ``\\n``), which is Arrow's rule too."""
    pattern = _LINE_BREAK_BYTES if isinstance(data, bytes) else _LINE_BREAK
    return pattern.split(data, maxsplit=1)[0]


def looks_utf16(head: bytes) -> bool:
    """UTF-16 text, as Excel's "Unicode Text" writes it: a UTF-16 byte-order mark, or (without
    one) a NUL byte beside most characters and almost none between them, which is what mostly
    ASCII text looks like in UTF-16 (a binary file has NUL bytes on both sides)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    pairs = len(head) // 2
    zeros = sorted((head[0::2].count(0), head[1::2].count(0)))
    return pairs >= 2 and zeros[1] > pairs * 0.6 and zeros[0] < pairs * 0.1


def first_invalid_utf8_line(path: Path, skip_bom: bool) -> tuple[int, str]:
    """Line (1-based) of the first byte sequence that is not UTF-8, and a safe description."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with open(path, "rb") as handle:
        if skip_bom:
            handle.read(len(codecs.BOM_UTF8))
        while chunk := handle.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                line += chunk.count(b"\n", 0, error.start)
                byte = chunk[error.start]
                return (
                    line,
                    f"byte 0x{byte:02X}; Windows-1252 would read it as {bytes([byte]).decode('cp1252', 'replace')!r}",
                )
            line += chunk.count(b"\n")
    return line, "the file ends in the middle of a character"
