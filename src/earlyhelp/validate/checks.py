"""Row rules, checked a batch at a time with vectorised ``pyarrow.compute`` (no Python row loop).

Every check is derived from the column's definition in :mod:`earlyhelp.spec`: its type, code
list, required flag, range, event flag, and the table's date-order pairs. The keys that
cross-table rules need are written to a small Parquet file per table as the rows stream past
(see :mod:`earlyhelp.validate.keys`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from earlyhelp.spec import TABLES_IN_ORDER, Column, Table
from earlyhelp.validate import rules
from earlyhelp.validate.excel import DAY_FIRST
from earlyhelp.validate.reader import Batch, TableFile
from earlyhelp.validate.report import ValidationReport

_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
_DATE_SHAPE = r"^\d{4}-\d{2}-\d{2}$"
_DAY_FIRST = r"^\d{1,2}/\d{1,2}/\d{2,4}$"
_INT = r"^[+-]?\d{1,18}$"
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?$"
# The dd/mm/yyyy case (Excel's UK date format) gets its own, more useful hint.
_EXCEL_HINT = " This looks like a day/month/year date as Excel saves it: format the column as yyyy-mm-dd before saving."
_BOOLS = pa.array(["true", "false"])
LINE = "__line"
CODES_SHOWN = 25


def _np(mask: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False)


def is_true_or_false(values: pa.Array) -> np.ndarray:
    """Which values are booleans as the spec writes them, in any case: Excel saves TRUE/FALSE,
    and the readers (DuckDB's CAST to BOOLEAN in ``earlyhelp.spec.files``) take any case too."""
    exact = _np(pc.is_in(values, value_set=_BOOLS))
    if exact.all():  # the usual case: no second pass over the column
        return exact
    return _np(pc.is_in(pc.utf8_lower(values), value_set=_BOOLS))


def _characters(texts: np.ndarray, width: int) -> np.ndarray:
    """ASCII codes of ``texts`` (strings of exactly ``width`` characters) as a rows x width array."""
    return np.asarray(texts.astype(f"S{width}")).view(np.uint8).reshape(-1, width).astype(np.int64)


def nhs_check_fails(numbers: np.ndarray) -> np.ndarray:
    """Which 10-digit NHS numbers fail the mod-11 check (see ``rules.NHS_NUMBER_WEIGHTS``)."""
    digits = _characters(numbers, 10) - ord("0")
    check = (11 - digits[:, :9] @ np.array(rules.NHS_NUMBER_WEIGHTS) % 11) % 11  # 11 -> 0; 10 stays 10
    return check != digits[:, 9]


def upn_check_fails(upns: np.ndarray) -> np.ndarray:
    """Which 13-character UPNs fail the check letter; temporary UPNs (a letter last) are not checked."""
    characters = _characters(upns, 13)
    tail = characters[:, 1:]
    permanent = ((tail >= ord("0")) & (tail <= ord("9"))).all(axis=1)
    remainder = (tail - ord("0")) @ np.array(rules.UPN_WEIGHTS) % 23
    letters = np.frombuffer(rules.UPN_CHECK_LETTERS.encode(), dtype=np.uint8)
    first = characters[:, 0] & ~0x20  # upper case: the shape allows a lower-case letter
    return permanent & (letters[remainder] != first)


def _codes_text(column: Column) -> str:
    codes = column.codes or ()
    if len(codes) <= CODES_SHOWN:
        return ", ".join(codes)
    return ", ".join(codes[:CODES_SHOWN]) + f" ... ({len(codes)} codes, listed in the specification)"


def _range_text(column: Column) -> str:
    def number(x: float) -> str:
        return f"{x:g}"

    low, high = column.minimum, column.maximum
    if low is not None and high is not None:
        return f"from {number(low)} to {number(high)}"
    if low is not None:
        return f"at least {number(low)}"
    if high is not None:
        return f"at most {number(high)}"
    raise ValueError(f"{column.name} has no range")


def _as_dates(values: pa.Array, empty: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """Dates (null when empty or invalid) and the mask of non-empty values that are not dates."""
    candidates = pc.if_else(pa.array(empty), pa.scalar(None, pa.string()), values) if empty.any() else values
    try:
        return pc.cast(candidates, pa.date32()), np.zeros(len(values), dtype=bool)
    except pa.ArrowInvalid:
        pass
    # Slow path, only for a batch with a bad date: keep well-shaped values that survive a round
    # trip, which rejects 2020-02-30 (strptime alone would roll it over to 1 March).
    shaped = pc.match_substring_regex(candidates, _DATE_SHAPE)
    stamps = pc.strptime(
        pc.if_else(shaped, candidates, pa.scalar(None, pa.string())), format="%Y-%m-%d", unit="s", error_is_null=True
    )
    good = pc.equal(pc.strftime(stamps, format="%Y-%m-%d"), candidates)
    dates = pc.cast(pc.if_else(good, stamps, pa.scalar(None, stamps.type)), pa.date32())
    return dates, ~empty & ~_np(good)


@dataclass
class ExtractDates:
    """What the returns table says: every LA it names, and each one's extract date.

    The returns table is read first, so references to it and the extract-date rule are checked
    as rows stream past, with one lookup of each row's la_code.
    """

    la_codes: pa.Array  # every LA the returns table names
    dates: pa.Array  # each one's extract date (aligned; null when it is not a date)
    file_name: str

    def positions(self, la_code: pa.Array) -> pa.Array:
        """Each row's LA as a position in ``la_codes`` (null when the returns table lacks it)."""
        return pc.index_in(la_code, value_set=self.la_codes)


def key_columns(table: Table) -> tuple[str, ...]:
    """Columns the cross-table rules need from ``table`` (its keys and what others reference)."""
    wanted: list[str] = []
    for unique in table.unique:
        wanted += unique
    for fk in table.foreign_keys:
        wanted += fk.columns
    for other in TABLES_IN_ORDER:
        for fk in other.foreign_keys:
            if fk.references == table.name:
                wanted += fk.referenced_columns
    if table.name == rules.NFA_TABLE:
        wanted.append(rules.NFA_FLAG)
    return tuple(dict.fromkeys(wanted))


class KeySink:
    """Streams one table's key columns (and line numbers) to Parquet for the cross-table rules."""

    def __init__(self, directory: Path, table: Table, present: list[str]):
        self.columns = tuple(c for c in key_columns(table) if c in present)
        self.path = directory / f"{table.name}.keys.parquet"
        schema = pa.schema([(c, pa.string()) for c in self.columns] + [(LINE, pa.int64())])
        self._writer = (
            pq.ParquetWriter(
                # Written once, read once, moments later: speed beats size.
                self.path,
                schema,
                compression="none",
                use_dictionary=False,
                write_statistics=False,
            )
            if self.columns
            else None
        )

    def write(self, batch: Batch) -> None:
        if self._writer is not None:
            arrays = [batch.columns[c] for c in self.columns] + [pa.array(batch.lines)]
            self._writer.write_batch(pa.record_batch(arrays, schema=self._writer.schema))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


class RowChecker:
    """Applies every row rule of one table to the batches of one file."""

    def __init__(
        self, table_file: TableFile, report: ValidationReport, extract_dates: ExtractDates | None, sink: KeySink | None
    ):
        self.file = table_file
        self.table = table_file.table
        self.report = report
        self.extract_dates = extract_dates
        self.sink = sink

    def _flag(
        self,
        rule_id: str,
        mask: np.ndarray,
        batch: Batch,
        column: str | None,
        values: pa.Array | None,
        expected=None,
        other=None,
    ) -> None:
        where = np.flatnonzero(mask)
        if not len(where):
            return
        keep = self.report.wants_detail(rule_id)
        kept = where if keep is None else where[:keep]
        shown = values.take(pa.array(kept)).to_pylist() if values is not None and len(kept) else None
        if callable(expected):
            expected = [expected(i) for i in kept]
        if callable(other):
            other = [other(i) for i in kept]
        self.report.add_rows(
            rule_id,
            file=self.file.path,
            table=self.table.name,
            lines=batch.lines[where],
            column=column,
            values=shown,
            expected=expected,
            other=other,
        )

    @rules.finds("value-missing")
    def check(self, batch: Batch) -> None:
        dates: dict[str, pa.Array] = {}
        for name in self.file.columns:
            column = self.table.column(name)
            values = batch.columns[name]
            empty = pc.equal(pc.binary_length(values), 0).to_numpy(zero_copy_only=False)
            if column.required and empty.any():
                self._flag("value-missing", empty, batch, name, None)
            if empty.all():
                continue
            parsed = self._check_value(column, values, empty, batch)
            if column.type == "date" and parsed is not None:
                dates[name] = parsed
        extract_dates = self.extract_dates if "la_code" in batch.columns else None
        la_positions = None
        if extract_dates is not None:
            la_positions = extract_dates.positions(batch.columns["la_code"])
            self._check_returns_reference(batch, extract_dates, la_positions)
        self._check_date_order(batch, dates)
        if extract_dates is not None and la_positions is not None:
            self._check_extract_date(batch, dates, extract_dates, la_positions)
        if self.table.name == rules.NFA_TABLE:
            self._check_nfa_closure(batch, dates)
        if self.sink is not None:
            self.sink.write(batch)

    @rules.finds("value-date", "value-month", "value-bool", "value-int", "value-number", "value-range")
    def _check_value(self, column: Column, values: pa.Array, empty: np.ndarray, batch: Batch) -> pa.Array | None:
        name = column.name
        if column.codes is not None:
            self._check_codes(column, values, empty, batch)
        elif column.type == "date":
            dates, invalid = _as_dates(values, empty)
            if invalid.any():
                day_first = _np(pc.match_substring_regex(values, _DAY_FIRST))
                if name in self.file.day_first_reported:
                    invalid &= ~_np(pc.match_substring_regex(values, DAY_FIRST))  # value-date-ambiguous
                self._flag(
                    "value-date", invalid, batch, name, values, expected=lambda i: _EXCEL_HINT if day_first[i] else ""
                )
            return dates
        elif column.type == "month":
            invalid = ~empty & ~_np(pc.match_substring_regex(values, _MONTH))
            self._flag("value-month", invalid, batch, name, values)
        elif column.type == "bool":
            invalid = ~empty & ~is_true_or_false(values)
            self._flag("value-bool", invalid, batch, name, values)
        elif name == rules.PLACEMENT_URN_COLUMN:
            self._check_urn(values, empty, batch)
        elif name in rules.IDENTIFIER_SHAPES:
            self._check_shape(rules.IDENTIFIER_SHAPES[name], values, empty, batch)
        elif column.type in ("int", "float"):
            pattern, rule_id, arrow_type = (
                (_INT, "value-int", pa.int64()) if column.type == "int" else (_NUMBER, "value-number", pa.float64())
            )
            shaped = _np(pc.match_substring_regex(values, pattern))
            self._flag(rule_id, ~empty & ~shaped, batch, name, values)
            if column.minimum is not None or column.maximum is not None:
                numbers = pc.cast(pc.if_else(pa.array(shaped), values, pa.scalar(None, pa.string())), arrow_type)
                outside = np.zeros(len(values), dtype=bool)
                if column.minimum is not None:
                    outside |= _np(pc.less(numbers, column.minimum))
                if column.maximum is not None:
                    outside |= _np(pc.greater(numbers, column.maximum))
                self._flag("value-range", outside, batch, name, values, expected=_range_text(column))
        return None

    @rules.finds(*(shape.rule_id for shape in rules.IDENTIFIER_SHAPES.values()))
    def _check_shape(self, shape: rules.IdentifierShape, values: pa.Array, empty: np.ndarray, batch: Batch) -> None:
        compact = values
        for separator in shape.separators:
            compact = pc.replace_substring(compact, separator, "")
        invalid = ~empty & ~_np(pc.match_substring_regex(compact, shape.pattern))
        self._check_check_character(shape, compact, ~empty & ~invalid, batch, values)
        if not invalid.any():
            return
        notes = [(_np(pc.match_substring_regex(values, pattern)), sentence) for pattern, sentence in shape.notes]
        self._flag(
            shape.rule_id,
            invalid,
            batch,
            shape.column,
            values,
            expected=lambda i: next((sentence for match, sentence in notes if match[i]), ""),
        )

    @rules.finds(*(shape.check_rule_id for shape in rules.IDENTIFIER_SHAPES.values()))
    def _check_check_character(
        self, shape: rules.IdentifierShape, compact: pa.Array, shaped: np.ndarray, batch: Batch, values: pa.Array
    ) -> None:
        """Flag values of the right shape whose check digit (NHS number) or letter (UPN) is wrong."""
        if not shaped.any():
            return
        where = np.flatnonzero(shaped)
        texts = compact.take(pa.array(where)).to_numpy(zero_copy_only=False)
        fails = nhs_check_fails(texts) if shape is rules.NHS_NUMBER else upn_check_fails(texts)
        flagged = np.zeros(len(values), dtype=bool)
        flagged[where[fails]] = True
        self._flag(shape.check_rule_id, flagged, batch, shape.column, values)

    @rules.finds("value-urn")
    def _check_urn(self, values: pa.Array, empty: np.ndarray, batch: Batch) -> None:
        invalid = ~empty & ~_np(pc.match_substring_regex(values, rules.PLACEMENT_URN_PATTERN))
        self._flag("value-urn", invalid, batch, rules.PLACEMENT_URN_COLUMN, values)

    @rules.finds("value-code")
    def _check_codes(self, column: Column, values: pa.Array, empty: np.ndarray, batch: Batch) -> None:
        allowed = pa.array(column.codes)
        if column.multi_separator is None:
            invalid = ~empty & ~_np(pc.is_in(values, value_set=allowed))
        else:
            parts = pc.split_pattern(values, column.multi_separator)
            bad_part = ~_np(pc.is_in(pc.list_flatten(parts), value_set=allowed))
            invalid = np.zeros(len(values), dtype=bool)
            invalid[pc.list_parent_indices(parts).to_numpy()[bad_part]] = True
            invalid &= ~empty
        self._flag("value-code", invalid, batch, column.name, values, expected=_codes_text(column))

    @rules.finds("key-foreign")
    def _check_returns_reference(self, batch: Batch, extract_dates: ExtractDates, la_positions: pa.Array) -> None:
        for fk in self.table.foreign_keys:
            if fk.references == rules.RETURNS_TABLE and fk.columns == ("la_code",):
                la_code = batch.columns["la_code"]
                unknown = _np(pc.is_null(la_positions)) & _np(pc.not_equal(pc.binary_length(la_code), 0))
                self._flag("key-foreign", unknown, batch, "la_code", la_code, expected=extract_dates.file_name)

    @rules.finds("date-order")
    def _check_date_order(self, batch: Batch, dates: dict[str, pa.Array]) -> None:
        for start, end in self.table.date_order:
            if start in dates and end in dates:
                before = _np(pc.less(dates[end], dates[start]))
                starts = batch.columns[start]
                self._flag(
                    "date-order",
                    before,
                    batch,
                    end,
                    batch.columns[end],
                    other=lambda i, s=starts, n=start: f"{n} ({s[int(i)].as_py()})",
                )

    @rules.finds("after-extract-date")
    def _check_extract_date(
        self, batch: Batch, dates: dict[str, pa.Array], extract_dates: ExtractDates, la_positions: pa.Array
    ) -> None:
        limits = None
        for name, values in dates.items():
            if not self.table.column(name).event:
                continue
            if limits is None:
                limits = pc.take(extract_dates.dates, la_positions)
            after = _np(pc.greater(values, limits))
            self._flag(
                "after-extract-date",
                after,
                batch,
                name,
                batch.columns[name],
                expected=lambda i, lim=limits: str(lim[int(i)].as_py()),
            )

    @rules.finds("nfa-closure")
    def _check_nfa_closure(self, batch: Batch, dates: dict[str, pa.Array]) -> None:
        if rules.NFA_FLAG not in batch.columns:
            return
        nfa = _np(pc.equal(pc.utf8_lower(batch.columns[rules.NFA_FLAG]), "true"))
        if not nfa.any():
            return
        if rules.NFA_CLOSURE_REASON in batch.columns:
            reasons = batch.columns[rules.NFA_CLOSURE_REASON]
            wrong = nfa & ~_np(pc.equal(reasons, rules.NFA_CLOSURE_CODE))
            self._flag("nfa-closure", wrong, batch, rules.NFA_CLOSURE_REASON, reasons)
        else:
            self._flag("nfa-closure", nfa, batch, rules.NFA_CLOSURE_REASON, None)
        start = dates.get(rules.NFA_START)
        if start is None:
            return  # no usable referral dates: value-missing or value-date says why
        # Flag a closure date that is empty or a different day; a closure date that is not a
        # date at all is value-date's finding, and a bad referral date is not this rule's either.
        start_ok = _np(pc.is_valid(start))
        closed = dates.get(rules.NFA_CLOSURE_DATE)
        text = batch.columns.get(rules.NFA_CLOSURE_DATE)
        if closed is None:
            wrong = nfa & start_ok
        else:
            empty = _np(pc.equal(pc.binary_length(text), 0))
            differs = _np(pc.is_valid(closed)) & ~_np(pc.equal(closed, start))
            wrong = nfa & start_ok & (empty | differs)
        self._flag("nfa-closure", wrong, batch, rules.NFA_CLOSURE_DATE, text)
