"""An EHLD folder read behind the validator's file and header checks.

Every stage reads EHLD tables through :class:`EHLDFolder`. ``earlyhelp validate`` is the gate
that checks every value; but reading a table whose file cannot be what it claims to be would turn
it into false zeros (a missing column reads as empty), so :meth:`EHLDFolder.register` first runs
the validator's file and header checks on each table it reads, and refuses a file that looks
meant for a table but is not named after it (``Referrals.csv``, ``cin_plans (1).csv``).
:func:`check_ehld_folder` is the one check for an empty or non-EHLD folder (exit 2).

The spec finds the files and types their columns (:mod:`earlyhelp.spec.files`); the checks and
their wording are the validator's, so this lives here and the spec imports nothing from it.

A workbook's sheet, and a CSV file as Excel saves it (dates dd/mm/yyyy, a blank last column, a
totals row), are read by the validator's own reader, which undoes what Excel did
(:mod:`earlyhelp.validate.excel`), into a text Parquet file that :func:`select_sql` then types
like a CSV file: every reader (this folder's views, ``earlyhelp load``) gets the rows ``validate``
checked. Other files are read by DuckDB directly, as before.
"""

from __future__ import annotations

import atexit
import csv
import difflib
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from earlyhelp.errors import DataError
from earlyhelp.spec.files import (
    VALIDATE_HINT,
    columns_in_file,
    find_tables,
    is_workbook,
    misnamed_files,
    rename_advice,
    require_ehld_tables,
    sql_literal,
    text_select_sql,
)
from earlyhelp.spec.files import select_sql as spec_select_sql
from earlyhelp.spec.model import TABLES, Table
from earlyhelp.validate.engine import validate_paths
from earlyhelp.validate.excel import DAY_FIRST, is_blank_header, is_totals_row
from earlyhelp.validate.reader import open_table_file
from earlyhelp.validate.report import ValidationReport
from earlyhelp.validate.rules import RULES

if TYPE_CHECKING:  # pragma: no cover
    import duckdb


def check_ehld_folder(*paths: Path | str) -> EHLDFolder:
    """The EHLD folder at ``paths``, or a :class:`~earlyhelp.errors.UsageError` (exit 2) when a
    path is missing or holds no file named after an EHLD table (see
    :func:`earlyhelp.spec.files.require_ehld_tables`)."""
    require_ehld_tables(*paths, workbooks=True)
    return EHLDFolder(*paths)


def header_problem(path: Path, table: Table) -> DataError | None:
    """The first problem with the file or header of ``path`` that makes it unreadable as
    ``table`` (the validator's file and header checks, no row is read), or None.

    A column the file does not have reads as empty, so a missing required column, or a column
    renamed from one the spec names (``Referral Date``), would publish false zeros. A column that
    is not in the spec and resembles none that is missing (``notes``) is harmless and allowed.
    """
    report = ValidationReport()
    opened = open_table_file(path, table, report, header_only=True)
    if opened is not None:
        opened.batches = iter(())  # nothing beyond the header is read here
    absent = [c for c in table.column_names if opened is None or c not in opened.columns]
    problems = []
    for finding in report.sorted_findings():
        if finding.severity != "error":
            continue
        if finding.rule_id == "column-unknown" and not _resembles(finding.column, absent):
            continue
        problems.append(finding)
    if not problems:
        return None
    first = problems[0]
    # A Parquet file's column names are not a row of it, so no line is given for them.
    if path.suffix.lower() == ".parquet":
        where = first.file + (f", column {first.column}" if first.column else "")
    else:
        where = first.location()
    message = f"{where}: {first.message}"
    if first.rule_id == "column-missing" and first.column:
        renamed = [f for f in problems if f.rule_id == "column-unknown" and _resembles(f.column, [first.column])]
        if renamed:
            message += f" The header has {renamed[0].column!r}: is that it?"
            problems.remove(renamed[0])
    if len(problems) > 1:
        message += f" ({len(problems) - 1} more problem(s) in this file's header.)"
    return DataError(message, hint=f"{first.hint} {VALIDATE_HINT}")


def _resembles(name: str | None, columns: list[str]) -> bool:
    if not name or not columns:
        return False
    normal = name.strip().lower().replace(" ", "_").replace("-", "_")
    return normal in columns or bool(difflib.get_close_matches(normal, columns, n=1, cutoff=0.75))


@dataclass
class EHLDFolder:
    """The EHLD tables found in one or more folders or files."""

    paths: tuple[Path, ...]
    tables: dict[str, Path] = field(init=False)

    def __init__(self, *paths: Path | str):
        self.paths = tuple(Path(p) for p in paths)
        self.tables = find_tables(list(self.paths), workbooks=True)

    def __contains__(self, name: str) -> bool:
        return name in self.tables

    def select_sql(self, name: str) -> str:
        return select_sql(TABLES[name], self.tables.get(name))

    def check(self, names: list[str] | None = None) -> None:
        """Raise :class:`DataError` (exit 1) when a file looks meant for a table but is not named
        after it (so that table would silently read as empty), or when the file of a table among
        ``names`` (default: all) fails the validator's file and header checks."""
        wanted = set(names or TABLES)
        # Every misnamed file, not only those of the tables read: it means the folder is not the
        # return the analyst thinks it is.
        for file, table_name in misnamed_files(list(self.paths)).items():
            if table_name in self.tables:
                raise DataError(
                    f"{file.name} looks like a second file for the {table_name} table, beside "
                    f"{self.tables[table_name].name}; only {self.tables[table_name].name} would be read.",
                    hint=f"Keep one file per table: move {file.name} out of the folder, or merge it "
                    f"into {self.tables[table_name].name}.",
                )
            raise DataError(
                f"{file.name} is not named after a table, so the {table_name} table would be read "
                "as having no records.",
                hint=rename_advice(file, table_name),
            )
        for name in [n for n in TABLES if n in wanted and n in self.tables]:
            problem = header_problem(self.tables[name], TABLES[name])
            if problem is not None:
                raise problem

    def diagnose(self, names: list[str] | None = None) -> DataError | None:
        """Why the tables ``names`` (default: all) could not be read with the spec's types: the
        validator's first error in a file or a row (a line that is not UTF-8, a date written
        01/05/2019, ...), with its file, line and column; None when it finds none.

        It reads every row, so it is for after a read has failed, to replace the database's
        message (which names no line, and whose text may quote a value) with the validator's.
        """
        # A workbook holds several tables: validated once.
        files = list(
            dict.fromkeys(self.tables[name] for name in TABLES if name in set(names or TABLES) and name in self.tables)
        )
        if not files:
            return None
        # Cross-table (key) rules need the whole folder; only what is wrong inside a file counts.
        in_file = {rule_id for rule_id, rule in RULES.items() if rule.scope in ("file", "header", "row")}
        report = validate_paths(files, detail_limit=1)
        errors = [f for f in report.sorted_findings() if f.severity == "error" and f.rule_id in in_file]
        if not errors:
            return None
        first = errors[0]
        total = sum(
            count
            for rule_id, count in report.counts.items()
            if rule_id in in_file and RULES[rule_id].severity == "error"
        )
        more = f" (and {total - 1:,} more error(s) in these files.)" if total > 1 else ""
        return DataError(f"{first.location()}: {first.message}{more}", hint=f"{first.hint} {VALIDATE_HINT}")

    def register(self, con: duckdb.DuckDBPyConnection, names: list[str] | None = None) -> None:
        """Create a typed view per table on ``con``; a table with no file is an empty view.

        Checks the tables first (:meth:`check`): a file that cannot be what its name says is a
        :class:`DataError`, never a table of NULLs.
        """
        self.check(names)
        for name in names or list(TABLES):
            con.execute(f'CREATE OR REPLACE VIEW "{name}" AS {self.select_sql(name)}')


def select_sql(table: Table, path: Path | None) -> str:
    """A DuckDB SELECT giving the table from ``path`` with every spec column, typed; absent
    columns (and a missing file) are NULL. A workbook's sheet and an Excel-saved CSV file are
    read as the validator reads them (see the module's docstring)."""
    if path is None or not needs_reader(path, table):
        return spec_select_sql(table, path)
    text = _text_parquet(path, table)
    if text is None:  # not readable at all: DuckDB's reading fails, and the validator says why
        return spec_select_sql(table, path) if not is_workbook(path) else spec_select_sql(table, None)
    names = list(pq_schema_names(text))
    return text_select_sql(table, names, f"read_parquet({sql_literal(text)})")


def pq_schema_names(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    return list(pq.read_schema(path).names)


_DATE_TEXT = re.compile(DAY_FIRST.replace("^", "").replace("$", "").encode())
TAIL_BYTES = 1 << 13


def needs_reader(path: Path, table: Table) -> bool:
    """Whether the file must be read by the validator's reader to be read as ``validate`` reads
    it: a workbook, or a CSV file with a column without a name, a date written dd/mm/yyyy, or
    (judged from its last line) a totals row at the end."""
    if is_workbook(path):
        return True
    if path.suffix.lower() != ".csv":
        return False
    try:
        names = columns_in_file(path)
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(max(0, size - TAIL_BYTES))
            tail = handle.read()
    except (DataError, OSError):
        return False  # the header check reports it
    if any(is_blank_header(name) for name in names):
        return True
    if any(table.has_column(n) and table.column(n).type == "date" for n in names) and _has_day_first(path):
        return True
    last = [line for line in tail.decode("utf-8", "replace").splitlines() if line.strip(" ,")]
    if not last or (len(last) == 1 and size > TAIL_BYTES):
        return False
    cells = next(csv.reader([last[-1]]), [])
    return is_totals_row({n: c.strip() for n, c in zip(names, cells) if table.has_column(n)}, table)


def _has_day_first(path: Path) -> bool:
    import mmap

    with open(path, "rb") as handle:
        try:
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                return mapped.find(b"/") >= 0 and _DATE_TEXT.search(mapped) is not None
        except ValueError:  # an empty file
            return False


# The text Parquet files, by (file, size, modification time, table): a file is read once per run.
_TEXT_FILES: dict[tuple[str, int, int, str], Path] = {}
_text_folder: Path | None = None


def _text_parquet(path: Path, table: Table) -> Path | None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    global _text_folder
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, table.name)
    if key in _TEXT_FILES and _TEXT_FILES[key].exists():
        return _TEXT_FILES[key]
    opened = open_table_file(path, table, ValidationReport(detail_limit=0))
    if opened is None:
        return None
    batches = list(opened.batches)
    columns = {
        name: pa.concat_arrays([b.columns[name] for b in batches]) if batches else pa.array([], pa.string())
        for name in opened.columns
    }
    if _text_folder is None:
        # It may hold identifiers (person_identifiers, when a caller reads it): private to the
        # user, and removed when the process ends.
        _text_folder = Path(tempfile.mkdtemp(prefix="earlyhelp-excel-"))
        atexit.register(shutil.rmtree, _text_folder, ignore_errors=True)
    target = _text_folder / f"{len(_TEXT_FILES)}-{table.name}.parquet"
    pq.write_table(pa.table(columns or {"__none": pa.array([], pa.string())}), target)
    _TEXT_FILES[key] = target
    return target
