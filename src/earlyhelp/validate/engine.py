"""``validate_paths``: find the EHLD files, stream each through the row rules, then the table rules."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from earlyhelp.console import steps
from earlyhelp.errors import UsageError
from earlyhelp.spec import TABLES, TABLES_IN_ORDER
from earlyhelp.spec.files import (
    SPREADSHEET_SUFFIXES,
    SUFFIXES,
    is_workbook,
    sheet_table,
    table_for_stem,
    workbook_sheet_names,
    workbook_sheets,
)
from earlyhelp.validate import rules
from earlyhelp.validate.checks import ExtractDates, KeySink, RowChecker
from earlyhelp.validate.excel import sheet_label
from earlyhelp.validate.keys import CrossTableChecker
from earlyhelp.validate.reader import open_table_file
from earlyhelp.validate.report import DEFAULT_DETAIL_LIMIT, ValidationReport


def closest_table(file: Path) -> str | None:
    """The table a misnamed file was probably meant for, or None.

    The name is cleaned up as ``meant_for_table`` does ('Referrals.csv', 'Early Help
    Episodes.csv', 'cin_plans (1).csv'); a close spelling is accepted a little more readily here
    ('referals.csv'), as it only shapes a hint.
    """
    return table_for_stem(file.stem, cutoff=0.8)


def _did_you_mean(file: Path, suffix: str) -> str:
    table = closest_table(file)
    return f" (did you mean {table}{suffix}?)" if table else ""


@rules.finds("file-unknown-table", "file-spreadsheet", "file-duplicate-table")
def collect_files(paths: list[Path], report: ValidationReport) -> dict[str, Path]:
    """Table name -> file, for folders and files given (a workbook for each of its sheets named
    after a table); report unknown names, unreadable spreadsheets, sheets named after no table
    and duplicates."""
    found: dict[str, Path] = {}
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise UsageError(f"{path} does not exist.", hint="Give a folder of EHLD files, or the files.")
        if path.is_dir():
            candidates = sorted(
                p
                for p in path.iterdir()
                if p.is_file()
                and p.suffix.lower() in SUFFIXES + SPREADSHEET_SUFFIXES
                and not p.name.startswith((".", "~$"))
            )  # hidden files, Excel's lock files
        else:
            candidates = [path]
        for file in candidates:
            name, suffix = file.stem, file.suffix.lower()
            if is_workbook(file):
                for table_name in _workbook_tables(file, report):
                    _add_file(found, table_name, file, report)
                continue
            if name not in TABLES or suffix not in SUFFIXES:
                report.add(
                    "file-unknown-table",
                    file=file,
                    expected=_did_you_mean(file, suffix if suffix in SUFFIXES else ".csv"),
                )
                continue
            _add_file(found, name, file, report)
    return found


@rules.finds("file-duplicate-table")
def _add_file(found: dict[str, Path], name: str, file: Path, report: ValidationReport) -> None:
    if name in found:
        if found[name].resolve() != file.resolve():
            report.add("file-duplicate-table", file=file, table=name, other=found[name].name)
        return
    found[name] = file


@rules.finds("file-spreadsheet", "sheet-unknown-table", "sheet-misnamed")
def _workbook_tables(file: Path, report: ValidationReport) -> list[str]:
    """The tables of a workbook's sheets; every other sheet is listed, with the table it may be."""
    sheets = workbook_sheet_names(file)
    if sheets is None:
        # Data the analyst meant to send, most likely, but not in a form that can be read.
        report.add("file-spreadsheet", file=file, expected=": it cannot be opened as a workbook" + _or_csv(file))
        return []
    tables = []
    for sheet in sheets:
        table_name = sheet_table(sheet)
        if table_name is not None:
            tables.append(table_name)
            continue
        close = table_for_stem(sheet, cutoff=0.8)
        if close is not None:
            report.add("sheet-misnamed", file=file, value=sheet, expected=close)
        else:
            report.add("sheet-unknown-table", file=file, value=sheet, expected="")
    if not tables and not any(table_for_stem(sheet, cutoff=0.8) for sheet in sheets):
        report.add(
            "file-spreadsheet",
            file=file,
            expected=": none of its sheets is named after an EHLD table" + _or_csv(file),
        )
    return tables


def validate_paths(
    paths: list[Path] | tuple[Path, ...] | Path | str,
    *,
    detail_limit: int | None = DEFAULT_DETAIL_LIMIT,
    threads: int | None = None,
) -> ValidationReport:
    """Check EHLD files (folders or files, CSV or Parquet) against every rule.

    ``detail_limit`` caps the findings kept per rule (counts stay complete); ``None`` keeps all.
    Raises :class:`earlyhelp.errors.UsageError` only for a path that does not exist or holds no
    EHLD file; everything wrong inside a file is a finding in the report.
    """
    if isinstance(paths, (str, Path)):
        paths = [Path(paths)]
    report = ValidationReport(detail_limit=detail_limit)
    files = collect_files([Path(p) for p in paths], report)
    if not files and not report.findings:
        raise UsageError(
            f"No EHLD files (CSV or Parquet named after a table) in {', '.join(map(str, paths))}.",
            hint="Name each file after its table, e.g. referrals.csv.",
        )
    # returns first: its extract dates bound every other table's event dates.
    order = sorted(files, key=lambda n: (n != rules.RETURNS_TABLE, [t.name for t in TABLES_IN_ORDER].index(n)))
    # One step per file, then the cross-table checks; shown only on a terminal.
    with (
        tempfile.TemporaryDirectory(prefix="earlyhelp-validate-") as work,
        steps("Validating", len(order) + 1) as advance,
    ):
        work_dir = Path(work)
        sinks: dict[str, KeySink] = {}
        extract_dates: ExtractDates | None = None
        for name in order:
            path = files[name]
            table = TABLES[name]
            table_file = open_table_file(path, table, report)
            if table_file is None:
                advance(name)
                continue
            sink = KeySink(work_dir, table, table_file.columns)
            checker = RowChecker(table_file, report, extract_dates, sink)
            try:
                for batch in table_file.batches:
                    checker.check(batch)
            finally:
                sink.close()
            sinks[name] = sink
            report.files[table_file.path.name] = table_file.rows
            if name == rules.RETURNS_TABLE:
                extract_dates = _extract_returns(path, table_file.columns)
            advance(name)
        cross = CrossTableChecker(report, work_dir, threads=threads)
        # Findings name a workbook's sheet, not just the workbook.
        labels = {n: Path(sheet_label(p, _sheet_of(p, n))) if is_workbook(p) else p for n, p in files.items()}
        try:
            cross.check(sinks, labels, returns_checked=extract_dates is not None)
        finally:
            cross.close()
        advance("keys across tables")
    report.point_to_sources(files)
    return report


def _extract_returns(path: Path, columns: list[str]) -> ExtractDates | None:
    """Re-read the returns file (one row per LA, tiny) for each LA's extract date."""
    if "la_code" not in columns:
        return None
    scratch = ValidationReport(detail_limit=0)  # its findings were reported on the first pass
    table_file = open_table_file(path, TABLES[rules.RETURNS_TABLE], scratch)
    if table_file is None:
        return None
    la_codes: list[str] = []
    dates: list = []
    for batch in table_file.batches:
        la_codes += batch.columns["la_code"].to_pylist()
        dates += (
            batch.columns[rules.EXTRACT_DATE].to_pylist()
            if rules.EXTRACT_DATE in batch.columns
            else [""] * batch.num_rows
        )
    # One row per LA; with two (a key-duplicate error) the first valid date counts here.
    extract: dict[str, object] = {}
    for code, text in zip(la_codes, dates):
        if not code or extract.get(code) is not None:
            continue
        try:
            extract[code] = pc.cast(pa.array([text or None], pa.string()), pa.date32())[0].as_py()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            extract[code] = None  # not a date: reported as value-date already
    return ExtractDates(
        pa.array(list(extract), pa.string()), pa.array(list(extract.values()), pa.date32()), file_name=path.name
    )


def _or_csv(file: Path) -> str:
    table = closest_table(file)
    return f" (did you mean {table}.csv?)" if table else ""


def _sheet_of(path: Path, table_name: str) -> str:
    return (workbook_sheets(path) or {}).get(table_name, table_name)
