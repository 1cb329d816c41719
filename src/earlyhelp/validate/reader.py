"""Streaming an EHLD file as batches of text columns, each row with its true line number.

CSV files are parsed by ``pyarrow.csv.open_csv`` (C++, streaming, bounded memory). Arrow does not
say where a record starts, so line numbers are rebuilt from what it does say: it numbers every
record it hands to ``invalid_row_handler`` (a record count, header included), blank lines come
through as empty records, and a quoted value can hold line breaks, which we count. So the line of
a record is its record number plus the line breaks inside the records before it.

File-level problems (empty, binary, wrong encoding, semicolons, a byte-order mark, header
problems) are found here, before any row is read, and reported as findings. Workbook sheets are
read into the same batches (:func:`open_sheet`), and what Excel does to a file (dates saved
dd/mm/yyyy, a blank last column, a totals row) is undone here, the same for every reader
(:mod:`earlyhelp.validate.excel`).
"""

from __future__ import annotations

import codecs
import csv
import difflib
import mmap
import sys
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from earlyhelp.spec import Table
from earlyhelp.spec.files import is_workbook, workbook_sheets
from earlyhelp.textsniff import (
    DELIMITERS,
    SNIFF_BYTES,
    binary_kind,
    first_invalid_utf8_line,
    looks_utf16,
    split_first_line,
)
from earlyhelp.validate import rules
from earlyhelp.validate.excel import (
    DayFirstCount,
    day_first_to_iso,
    day_first_verdict,
    is_blank_header,
    is_totals_row,
    read_sheet,
    sheet_label,
)
from earlyhelp.validate.report import ValidationReport

BLOCK_BYTES = 1 << 22
PARQUET_BATCH_ROWS = 1 << 16

_UTF8_BOM = codecs.BOM_UTF8
# What each kind of non-text file (textsniff.SIGNATURES) is, in the validator's words.
_BINARY = {
    "parquet": "it is a Parquet file; name it .parquet",
    "xlsx": "it looks like an Excel workbook (.xlsx) or a zip file",
    "xls": "it looks like an old Excel workbook (.xls)",
    "pdf": "it is a PDF",
}
_DELIMITER_NAMES = {";": "semicolons (;)", "\t": "tabs", "|": "bars (|)"}


@dataclass
class Batch:
    """Some rows of one file: spec columns (text, trimmed, '' when empty) and line numbers."""

    columns: dict[str, pa.Array]
    lines: np.ndarray

    @property
    def num_rows(self) -> int:
        return len(self.lines)

    def slice(self, start: int, stop: int) -> Batch:
        return Batch(
            {name: col.slice(start, stop - start) for name, col in self.columns.items()}, self.lines[start:stop]
        )

    @staticmethod
    def concat(first: Batch, second: Batch) -> Batch:
        columns = {name: pa.concat_arrays([first.columns[name], second.columns[name]]) for name in first.columns}
        return Batch(columns, np.concatenate([first.lines, second.lines]))


@dataclass
class TableFile:
    """An EHLD file whose header passed: which spec columns it has, and a batch stream."""

    path: Path
    table: Table
    columns: list[str]  # spec columns present in the file (first occurrence)
    batches: Iterator[Batch]
    rows: int = 0
    # Date columns whose dd/mm/yyyy values were reported once (value-date-ambiguous), not per row.
    day_first_reported: frozenset[str] = frozenset()


@rules.finds("column-missing", "column-unknown", "column-duplicate")
def _check_header(names: list[str], table: Table, path: Path, report: ValidationReport) -> list[str]:
    """Report header problems; return the spec columns present (first occurrence kept)."""
    seen: set[str] = set()
    present: list[str] = []
    for name in names:
        if is_blank_header(name):
            continue  # a blank column: reported once its values are known (column-blank)
        if name in seen:
            report.add("column-duplicate", file=path, table=table.name, line=1, column=name)
            continue
        seen.add(name)
        if table.has_column(name):
            present.append(name)
        else:
            close = difflib.get_close_matches(
                name.lower().strip().replace(" ", "_"), table.column_names, n=1, cutoff=0.75
            )
            report.add(
                "column-unknown",
                file=path,
                table=table.name,
                line=1,
                column=name or "(blank)",
                expected=f" (did you mean {close[0]}?)" if close else "",
            )
    for column in table.required_columns:
        if column not in seen:
            report.add("column-missing", file=path, table=table.name, line=1, column=column)
    return present


@rules.finds(
    "file-unreadable",
    "file-empty",
    "file-binary",
    "file-encoding",
    "file-utf16",
    "file-bom",
    "file-delimiter",
    "file-parse",
    "file-no-rows",
)
def open_csv(path: Path, table: Table, report: ValidationReport, *, header_only: bool = False) -> TableFile | None:
    """Check the file and its header; return a batch stream, or None when rows cannot be read.

    ``header_only``: the batches will not be read, so the date columns are not scanned ahead."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as error:
        report.add("file-unreadable", file=path, table=table.name, value=error.strerror or "error")
        return None
    if not head.strip():
        report.add("file-empty", file=path, table=table.name)
        return None
    kind = binary_kind(head)
    if kind is not None:
        report.add("file-binary", file=path, table=table.name, value=_BINARY[kind])
        return None
    if looks_utf16(head):
        report.add("file-utf16", file=path, table=table.name, line=1)
        return None
    if b"\x00" in head:
        report.add("file-binary", file=path, table=table.name, value="it contains NUL bytes")
        return None
    has_bom = head.startswith(_UTF8_BOM)
    if has_bom:
        report.add("file-bom", file=path, table=table.name, line=1)
        head = head[len(_UTF8_BOM) :]

    header_bytes = split_first_line(head)
    try:
        header_text = header_bytes.decode("utf-8")
    except UnicodeDecodeError:
        line, where = first_invalid_utf8_line(path, has_bom)
        report.add("file-encoding", file=path, table=table.name, line=line, value=where)
        return None
    if not header_text.strip():
        report.add("file-empty", file=path, table=table.name)
        return None
    try:
        names = [name.strip() for name in next(csv.reader([header_text]), [])]
    except csv.Error:
        report.add("file-parse", file=path, table=table.name, line=1, value="the header row is not valid CSV")
        return None
    if len(names) == 1 and len(table.columns) > 1:
        for delimiter in DELIMITERS:
            if delimiter in header_text:
                report.add("file-delimiter", file=path, table=table.name, line=1, value=_DELIMITER_NAMES[delimiter])
                return None
    present = _check_header(names, table, path, report)
    rest = head[len(header_bytes) :]
    if len(head) + (len(_UTF8_BOM) if has_bom else 0) < SNIFF_BYTES and not rest.strip():
        # The whole file is a header (perhaps with trailing blank lines): nothing to parse.
        report.add("file-no-rows", file=path, table=table.name)
        _report_blank_columns([i for i, name in enumerate(names) if is_blank_header(name)], set(), path, table, report)
        return TableFile(path, table, present, iter(()))

    # Parse every header column (so line breaks inside unknown columns are counted too) under
    # unique names; only spec columns are checked.
    parse_names = [f"{i}:{name}" for i, name in enumerate(names)]
    position = {name: names.index(name) for name in present}
    blank = [i for i, name in enumerate(names) if is_blank_header(name)]
    dates = [name for name in present if table.column(name).type == "date"]
    convert: list[str] = []
    table_file = TableFile(path, table, present, iter(()))
    if dates and not header_only and _has_slash(path):
        # Only a file with a '/' can hold dd/mm/yyyy dates; its date columns are read once ahead.
        counts = {name: DayFirstCount() for name in dates}
        scratch = TableFile(path, table, dates, iter(()))
        only_dates = {name: position[name] for name in dates}
        for batch in _csv_batches(
            path, table, ValidationReport(detail_limit=0), has_bom, parse_names, only_dates, scratch, []
        ):
            for name in dates:
                counts[name].add(batch.columns[name], batch.lines)
        convert = _report_day_first(counts, table_file, report)
    batches = _csv_batches(path, table, report, has_bom, parse_names, position, table_file, blank)
    table_file.batches = _excel_fixed(batches, table_file, report, convert)
    return table_file


def _values(count: int) -> str:
    return f"{count:,} value" + ("" if count == 1 else "s")


def _has_slash(path: Path) -> bool:
    with open(path, "rb") as handle:
        try:
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                return mapped.find(b"/") >= 0
        except ValueError:  # an empty file cannot be mapped
            return False


@rules.finds("value-date-day-first", "value-date-ambiguous")
def _report_day_first(counts: dict[str, DayFirstCount], table_file: TableFile, report: ValidationReport) -> list[str]:
    """Say once per column what was made of its dd/mm/yyyy dates; return the columns to convert."""
    convert, summarised = day_first_verdict(counts)
    table = table_file.table
    for name in convert:
        report.add(
            "value-date-day-first",
            file=table_file.path,
            table=table.name,
            line=counts[name].first_line,
            column=name,
            expected=_values(counts[name].shaped),
        )
    for name in summarised:
        count = counts[name]
        if count.shaped < count.values:
            why = f"the column mixes them with {_values(count.values - count.shaped)} written another way"
        elif count.day_first < count.shaped:
            why = f"{_values(count.shaped - count.day_first)} of them are not real dates when read day first"
        elif any(c.month_over_12 for c in counts.values()):
            why = "a date in the file has a second number above 12, so the file may be month first"
        else:
            why = "no date in the file has a day above 12, so the day and the month cannot be told apart"
        report.add(
            "value-date-ambiguous",
            file=table_file.path,
            table=table.name,
            line=count.first_line,
            column=name,
            expected=_values(count.shaped),
            other=why,
        )
    table_file.day_first_reported = frozenset(summarised)
    return convert


@rules.finds("row-totals")
def _excel_fixed(
    batches: Iterator[Batch], table_file: TableFile, report: ValidationReport, convert: list[str]
) -> Iterator[Batch]:
    """The batches with day-first dates read as ``YYYY-MM-DD`` and a trailing totals row (or
    rows) held back and reported; a row that only looked like a total is released when a record
    follows it."""
    table = table_file.table
    held: Batch | None = None
    for batch in batches:
        if convert:
            batch.columns.update({name: day_first_to_iso(batch.columns[name]) for name in convert})
        start = batch.num_rows
        while start > 0 and is_totals_row({n: c[start - 1].as_py() for n, c in batch.columns.items()}, table):
            start -= 1
        if start == 0 and held is not None:
            held = Batch.concat(held, batch)
            continue
        if held is not None:
            yield held
        if start:
            yield batch.slice(0, start) if start < batch.num_rows else batch
        held = batch.slice(start, batch.num_rows) if start < batch.num_rows else None
    if held is not None:
        report.add_rows("row-totals", file=table_file.path, table=table.name, lines=held.lines)
        table_file.rows -= held.num_rows


def _buffer_has(column: pa.Array, byte: int) -> bool:
    """Whether any value of a string column may contain ``byte`` (a scan of its data buffer)."""
    data = column.buffers()[2]
    # A copy then memchr is several times faster than a numpy comparison over the buffer.
    return data is not None and data.size > 0 and data.to_pybytes().find(bytes([byte])) >= 0


def _newlines_per_row(batch: pa.RecordBatch) -> np.ndarray | None:
    """Line breaks inside each row's values, or None when the batch has none (the usual case)."""
    if not any(_buffer_has(col, 10) for col in batch.columns):
        return None
    total = np.zeros(batch.num_rows, dtype=np.int64)
    for col in batch.columns:
        total += pc.count_substring(col, "\n").to_numpy(zero_copy_only=False)
    return total


@rules.finds("file-unreadable", "file-encoding", "file-parse", "file-no-rows", "row-field-count")
def _csv_batches(
    path: Path,
    table: Table,
    report: ValidationReport,
    has_bom: bool,
    parse_names: list[str],
    position: dict[str, int],
    table_file: TableFile,
    blank: list[int],
) -> Iterator[Batch]:
    # (record number, line breaks inside it, fields found) of records Arrow could not parse.
    skipped: deque[tuple[int, int, int]] = deque()

    def on_invalid_row(row) -> str:
        skipped.append((row.number, row.text.count("\n"), row.actual_columns))
        return "skip"

    reader_options = pacsv.ReadOptions(use_threads=False, block_size=BLOCK_BYTES, skip_rows=1, column_names=parse_names)
    parse_options = pacsv.ParseOptions(
        newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_invalid_row
    )
    convert_options = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in parse_names},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        check_utf8=True,
    )
    # Arrow decodes a bad row's text before calling our handler; if that text is not UTF-8 the
    # decode fails inside Arrow's callback, which Python would print as an "ignored exception".
    # Catch it quietly: the file is then reported as not UTF-8, at its first bad line.
    # The hook is set only during Arrow's own calls, not while our consumer runs between batches.
    decode_failed = False

    @contextmanager
    def arrow_call() -> Iterator[None]:
        previous_hook = sys.unraisablehook

        def quiet_hook(unraisable) -> None:
            nonlocal decode_failed
            if issubclass(unraisable.exc_type, UnicodeDecodeError):
                decode_failed = True
            else:
                previous_hook(unraisable)

        sys.unraisablehook = quiet_hook
        try:
            yield
        finally:
            sys.unraisablehook = previous_hook

    # Whether the rows stopped at a file-level error: then "no records" would be untrue.
    stopped = False
    filled: set[int] = set()  # blank-header columns found to hold a value
    next_record = 2  # the header is record 1
    breaks_so_far = 0  # line breaks inside values of the records read so far
    expected_fields = len(parse_names)

    def place(emitted: int, newlines: np.ndarray | None, *, last: bool = False) -> np.ndarray:
        """Lines of the ``emitted`` rows of the next batch; report the skipped records among them.

        Arrow may call the handler ahead of the batch it belongs to, so the skipped records
        wait in a queue and each batch takes those that fall among its own records.
        """
        nonlocal next_record, breaks_so_far
        in_batch = 0
        while in_batch < len(skipped) and (last or skipped[in_batch][0] <= next_record + emitted - 1 + in_batch):
            in_batch += 1
        total = emitted + in_batch
        if in_batch == 0 and newlines is None:  # the usual case: one line per record
            lines = np.arange(next_record + breaks_so_far, next_record + breaks_so_far + total, dtype=np.int64)
            next_record += total
            return lines
        is_skipped = np.zeros(total, dtype=bool)
        breaks = np.zeros(total, dtype=np.int64)
        bad = [skipped.popleft() for _ in range(in_batch)]
        for number, newline_count, _ in bad:
            # Clipped so that a numbering surprise can misplace a line but never crash.
            position = min(max(number - next_record, 0), total - 1)
            is_skipped[position] = True
            breaks[position] = newline_count
        if newlines is not None:
            breaks[~is_skipped] = newlines
        records = np.arange(next_record, next_record + total, dtype=np.int64)
        lines = records + breaks_so_far + np.cumsum(breaks) - breaks
        for (_, _, fields), line in zip(bad, lines[is_skipped]):
            report.add(
                "row-field-count", file=path, table=table.name, line=int(line), value=fields, expected=expected_fields
            )
        next_record += total
        breaks_so_far += int(breaks.sum())
        return lines[~is_skipped]

    try:
        with arrow_call():
            reader = pacsv.open_csv(
                path, read_options=reader_options, parse_options=parse_options, convert_options=convert_options
            )
        while True:
            with arrow_call():
                try:
                    record_batch = reader.read_next_batch()
                except StopIteration:
                    break
            lines = place(record_batch.num_rows, _newlines_per_row(record_batch))
            columns = {name: _trim(record_batch.column(i)) for name, i in position.items()}
            filled.update(i for i in blank if i not in filled and _has_value(record_batch.column(i)))
            yield from _without_blank_rows(record_batch, columns, lines, path, table, report, table_file)
        place(0, None, last=True)
    except pa.ArrowInvalid as error:
        text = str(error)
        stopped = "Empty CSV file" not in text
        if decode_failed or "utf8" in text.lower():
            line, where = first_invalid_utf8_line(path, has_bom)
            report.add("file-encoding", file=path, table=table.name, line=line, value=where)
        elif "Empty CSV file" in text:
            pass  # header only and no newline: handled as "no rows" below
        else:
            # Arrow's message can quote the data; say only where it went wrong.
            report.add(
                "file-parse",
                file=path,
                table=table.name,
                line=next_record + breaks_so_far,
                value="a quoted value is not closed, or the file is truncated",
            )
    except OSError as error:
        stopped = True
        report.add("file-unreadable", file=path, table=table.name, value=error.strerror or "read error")
    if table_file.rows == 0 and not stopped:
        report.add("file-no-rows", file=path, table=table.name)
    if not stopped:
        _report_blank_columns(blank, filled, path, table, report)


@rules.finds("column-blank", "column-unknown")
def _report_blank_columns(
    blank: list[int], filled: set[int], path: Path, table: Table, report: ValidationReport
) -> None:
    """A column with no name is ignored when it has no value either; with values it is unknown."""
    for i in blank:
        if i in filled:
            report.add("column-unknown", file=path, table=table.name, line=1, column="(blank)", expected="")
        else:
            report.add("column-blank", file=path, table=table.name, line=1, expected=_column_letter(i))


def _has_value(column: pa.Array) -> bool:
    return bool(len(column)) and (pc.max(pc.binary_length(_trim(column))).as_py() or 0) > 0


def _column_letter(index: int) -> str:
    """Excel's name for the column at ``index`` (0 is A, 26 is AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _trim(column: pa.Array) -> pa.Array:
    # Same trimming as the warehouse loader (DuckDB TRIM: spaces only); skip it when no value
    # has a space, which is the usual case and saves a pass over the data.
    if not _buffer_has(column, 32):
        return column
    return pc.utf8_trim(column, " ")


@rules.finds("row-blank")
def _without_blank_rows(
    record_batch: pa.RecordBatch,
    columns: dict[str, pa.Array],
    lines: np.ndarray,
    path: Path,
    table: Table,
    report: ValidationReport,
    table_file: TableFile,
) -> Iterator[Batch]:
    if record_batch.num_rows == 0:
        return
    blank = None
    # A blank line, or a line of only commas (an Excel artefact), has every field empty; a
    # batch whose first column has no empty value has none (the usual case, checked first).
    first = pc.binary_length(record_batch.column(0))
    lengths = [first] if pc.min(first).as_py() != 0 else [pc.binary_length(c) for c in record_batch.columns]
    if all(pc.min(length).as_py() == 0 for length in lengths):
        blank = np.ones(record_batch.num_rows, dtype=bool)
        for length in lengths:
            blank &= length.to_numpy(zero_copy_only=False) == 0
        report.add_rows("row-blank", file=path, table=table.name, lines=lines[blank])
    if blank is not None and blank.any():
        keep = pa.array(~blank)
        columns = {name: col.filter(keep) for name, col in columns.items()}
        lines = lines[~blank]
    if len(lines):
        table_file.rows += len(lines)
        yield Batch(columns, lines)


# ---------------------------------------------------------------------- Parquet
@rules.finds("file-unreadable", "file-parquet", "column-type")
def open_parquet(path: Path, table: Table, report: ValidationReport) -> TableFile | None:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        names = list(parquet.schema_arrow.names)
    except OSError as error:
        report.add("file-unreadable", file=path, table=table.name, value=error.strerror or "error")
        return None
    except Exception:
        report.add("file-parquet", file=path, table=table.name, value="its footer cannot be read")
        return None
    # Spec column name -> the file's own name for it (the first, if spaces made two alike).
    source_of: dict[str, str] = {}
    for name in names:
        source_of.setdefault(name.strip(), name)
    present = _check_header([n.strip() for n in names], table, path, report)
    usable = []
    for name in present:
        arrow_type = parquet.schema_arrow.field(source_of[name]).type
        if _text_cast(arrow_type) is None:
            report.add(
                "column-type",
                file=path,
                table=table.name,
                column=name,
                value=str(arrow_type),
                expected=table.column(name).type,
            )
        else:
            usable.append(name)
    table_file = TableFile(path, table, usable, iter(()))
    table_file.batches = _parquet_batches(
        parquet, [source_of[n] for n in usable], usable, path, table, report, table_file
    )
    return table_file


def _text_cast(arrow_type: pa.DataType):
    """How to turn a Parquet column into the text the rules check, or None if it cannot be."""
    if pa.types.is_timestamp(arrow_type):
        return lambda col: pc.cast(pc.cast(col, pa.date32(), safe=False), pa.string())
    if (
        pa.types.is_string(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or pa.types.is_date(arrow_type)
        or pa.types.is_boolean(arrow_type)
        or pa.types.is_integer(arrow_type)
        or pa.types.is_floating(arrow_type)
        or pa.types.is_null(arrow_type)
        or pa.types.is_dictionary(arrow_type)
        or pa.types.is_decimal(arrow_type)
    ):
        return lambda col: pc.cast(col, pa.string())
    return None


@rules.finds("file-parquet", "file-no-rows")
def _parquet_batches(
    parquet,
    source_names: list[str],
    usable: list[str],
    path: Path,
    table: Table,
    report: ValidationReport,
    table_file: TableFile,
) -> Iterator[Batch]:
    first_row = 1
    stopped = False
    try:
        for record_batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=source_names or None):
            lines = np.arange(first_row, first_row + record_batch.num_rows, dtype=np.int64)
            first_row += record_batch.num_rows
            columns = {}
            for name, source in zip(usable, source_names):
                col = record_batch.column(record_batch.schema.get_field_index(source))
                text = _text_cast(col.type)(col)
                columns[name] = _trim(pc.fill_null(text, "")) if text.null_count else _trim(text)
            if record_batch.num_rows:
                table_file.rows += record_batch.num_rows
                yield Batch(columns, lines)
    except Exception:
        stopped = True
        report.add("file-parquet", file=path, table=table.name, line=first_row, value="a data page cannot be read")
    if table_file.rows == 0 and not stopped:
        report.add("file-no-rows", file=path, table=table.name)


# ---------------------------------------------------------------------- workbooks
def open_table_file(
    path: Path, table: Table, report: ValidationReport, *, header_only: bool = False
) -> TableFile | None:
    """Check the file (or, for a workbook, the sheet named after ``table``) and its header;
    return a batch stream, or None when its rows cannot be read (``header_only``: the batches
    will not be read)."""
    if path.suffix.lower() == ".parquet":
        return open_parquet(path, table, report)
    if is_workbook(path):
        return open_sheet(path, table, report)
    return open_csv(path, table, report, header_only=header_only)


@rules.finds("file-spreadsheet", "file-unreadable", "file-empty", "file-no-rows", "row-blank")
def open_sheet(path: Path, table: Table, report: ValidationReport) -> TableFile | None:
    """The sheet of the workbook ``path`` named after ``table``, read whole (a sheet holds at
    most Excel's million rows) into one batch; rows are numbered as Excel numbers them."""
    from python_calamine import CalamineError

    sheets = workbook_sheets(path)
    if sheets is None or table.name not in sheets:
        report.add("file-spreadsheet", file=path, table=table.name, expected="")
        return None
    label = Path(sheet_label(path, sheets[table.name]))
    try:
        sheet = read_sheet(path, sheets[table.name], table)
    except (CalamineError, OSError, ValueError) as error:
        report.add("file-unreadable", file=label, table=table.name, value=getattr(error, "strerror", None) or "error")
        return None
    if not sheet.header:
        report.add("file-empty", file=label, table=table.name)
        return None
    present = _check_header(sheet.header, table, label, report)
    blank = [i for i, name in enumerate(sheet.header) if is_blank_header(name)]
    _report_blank_columns(blank, {i for i in blank if _has_value(sheet.columns[i])}, label, table, report)
    table_file = TableFile(label, table, present, iter(()))
    columns = {name: _trim(sheet.columns[sheet.header.index(name)]) for name in present}
    lines = sheet.lines
    empty = np.ones(len(lines), dtype=bool)
    for column in sheet.columns:
        empty &= pc.binary_length(_trim(column)).to_numpy(zero_copy_only=False) == 0
    if empty.any():
        report.add_rows("row-blank", file=label, table=table.name, lines=lines[empty])
        keep = pa.array(~empty)
        columns = {name: col.filter(keep) for name, col in columns.items()}
        lines = lines[~empty]
    if not len(lines):
        report.add("file-no-rows", file=label, table=table.name)
        return table_file
    counts = {name: DayFirstCount() for name in present if table.column(name).type == "date"}
    for name, count in counts.items():
        count.add(columns[name], lines)
    convert = _report_day_first(counts, table_file, report)
    table_file.rows = len(lines)
    table_file.batches = _excel_fixed(iter([Batch(columns, lines)]), table_file, report, convert)
    return table_file
