"""Sniffing of ingested CSV files (earlyhelp.formats.textfile), at the edges the validator shares."""

from __future__ import annotations

from pathlib import Path

import pytest

from earlyhelp.errors import DataError
from earlyhelp.formats import textfile


def test_utf16_without_a_byte_order_mark_is_read_like_the_validator_sees_it(tmp_path: Path) -> None:
    # Excel's "Unicode Text" with the byte-order mark lost: UTF-16 little-endian, tab separated.
    path = tmp_path / "children.csv"
    path.write_bytes("CHILD\tSEX\r\nC1\t1\r\nC2\t2\r\n".encode("utf-16-le"))
    assert textfile.sniff(path) == textfile.TextLayout("utf-16-le", "\t")
    assert textfile.header(path) == ["CHILD", "SEX"]
    assert list(textfile.rows(path)) == [(2, {"CHILD": "C1", "SEX": "1"}), (3, {"CHILD": "C2", "SEX": "2"})]


def test_a_bad_byte_at_the_end_of_the_sniffed_block_is_refused_at_once(tmp_path: Path) -> None:
    # 0x92 (Windows-1252's right quote) at byte 65,533 of the first 65,536: on line 2, as the
    # header "a,b\n" is the only line break before it.
    path = tmp_path / "children.csv"
    body = b"a,b\n" + b"x" * (65_533 - 4) + b"\x92" + b",y\n"
    assert body.index(b"\x92") == 65_533
    path.write_bytes(body)
    with pytest.raises(DataError, match=r"^children.csv, line 2: the file is not UTF-8 text .*byte 0x92"):
        textfile.sniff(path)


def test_a_character_cut_by_the_end_of_the_sniffed_block_is_not_an_error(tmp_path: Path) -> None:
    # "é" is two bytes in UTF-8; the block of 65,536 bytes ends between them. Short rows, as a
    # field may hold at most MAX_FIELD_CHARACTERS.
    path = tmp_path / "children.csv"
    body = b"a,b\n" + b"x,y\n" * 16_382 + b"xxx" + "\u00e9".encode() + b",y\n"
    assert body[65_535:65_537] == b"\xc3\xa9"
    path.write_bytes(body)
    assert textfile.sniff(path) == textfile.TextLayout("utf-8", ",")
    rows = list(textfile.rows(path))
    assert len(rows) == 16_383 and rows[-1] == (16_384, {"a": "xxx\u00e9", "b": "y"})
