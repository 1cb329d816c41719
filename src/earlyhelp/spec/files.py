"""Finding EHLD tables on disk and reading them with the spec's types.

A folder holds one file per table, named after it: ``referrals.csv`` or ``referrals.parquet``.
This module gives every stage the same typed view of a folder. ``earlyhelp validate`` is the gate
that checks every value; but reading a table whose file cannot be what it claims to be would turn
it into false zeros (a missing column reads as empty), so :meth:`EHLDFolder.register` first runs
the validator's file and header checks on each table it reads, and refuses a file that looks
meant for a table but is not named after it (``Referrals.csv``, ``cin_plans (1).csv``).
:func:`check_ehld_folder` is the one check for an empty or non-EHLD folder (exit 2).
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from earlyhelp.errors import DataError, UsageError
from earlyhelp.spec.model import TABLES, Table

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

SUFFIXES = (".csv", ".parquet")
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
VALIDATE_HINT = "Run `earlyhelp validate` on the folder to see every problem, fix them, then run this again."


def find_tables(paths: list[Path] | tuple[Path, ...] | Path) -> dict[str, Path]:
    """Map table name -> file for the EHLD files among ``paths`` (folders or files).

    Files whose name is not an EHLD table are ignored here; the validator reports them.
    """
    if isinstance(paths, (str, Path)):
        paths = [Path(paths)]
    found: dict[str, Path] = {}
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise UsageError(f"{path} does not exist.")
        candidates = sorted(path.iterdir()) if path.is_dir() else [path]
        for file in candidates:
            if file.is_file() and file.suffix.lower() in SUFFIXES and file.stem in TABLES:
                if file.stem in found and found[file.stem] != file:
                    raise UsageError(
                        f"Two files hold the table {file.stem!r}: {found[file.stem]} and {file}.",
                        hint="Keep one file per table (CSV or Parquet, not both).",
                    )
                found[file.stem] = file
    return found


def meant_for_table(file: Path) -> str | None:
    """The table a file not named exactly after one seems meant for, or None.

    Catches what Excel and Windows do to names: ``Referrals.csv``, ``cin_plans (1).csv``,
    ``Copy of children.csv``, ``cp-plans.csv``, ``referals.csv``; and a spreadsheet named after a
    table (``children.xlsx``), which must be saved as CSV before anything can read it.
    """
    suffix = file.suffix.lower()
    if suffix not in SUFFIXES + SPREADSHEET_SUFFIXES:
        return None
    if file.stem in TABLES and suffix in SUFFIXES:
        return None  # named after its table: not misnamed
    return table_for_stem(file.stem, cutoff=0.85)


def table_for_stem(stem: str, *, cutoff: float) -> str | None:
    """The table a file name (without its suffix) stands for, or None.

    Case, spaces, dots or hyphens for underscores, and the marks of a copy ("Copy of ...",
    "... - Copy", "... (1)") are forgiven; then a spelling at least ``cutoff`` alike (difflib).
    """
    stem = stem.strip().lower()
    stem = re.sub(r"^copy of\s+", "", stem)
    stem = re.sub(r"(\s*-\s*copy)?(\s*\(\d+\))?$", "", stem)
    stem = re.sub(r"[\s.-]+", "_", stem).strip("_")
    if stem in TABLES:
        return stem
    close = difflib.get_close_matches(stem, list(TABLES), n=1, cutoff=cutoff)
    return close[0] if close else None


def misnamed_files(paths: list[Path] | tuple[Path, ...] | Path) -> dict[Path, str]:
    """Files among ``paths`` (folders or files) that look meant for a table but are not named
    after it, mapped to that table. Other files (README.md, person_link.parquet) are not listed."""
    if isinstance(paths, (str, Path)):
        paths = [Path(paths)]
    found: dict[Path, str] = {}
    for raw in paths:
        path = Path(raw)
        candidates = sorted(path.iterdir()) if path.is_dir() else [path] if path.exists() else []
        for file in candidates:
            if file.is_file() and not file.name.startswith(("~$", ".")):
                table_name = meant_for_table(file)
                if table_name is not None:
                    found[file] = table_name
    return found


def _rename_advice(file: Path, table_name: str) -> str:
    if file.suffix.lower() in SPREADSHEET_SUFFIXES:
        return f"Open {file.name} in Excel and save it as 'CSV UTF-8 (comma delimited)' with the name {table_name}.csv."
    return f"Rename {file.name} to {table_name}{file.suffix.lower()} (file names are lower case)."


def check_ehld_folder(*paths: Path | str) -> EHLDFolder:
    """The EHLD folder at ``paths``, or a :class:`UsageError` (exit 2) when a path is missing or
    holds no file named after an EHLD table (an empty folder, the wrong folder, misnamed files).

    The one check every command that reads an EHLD folder shares, so an empty or wrong folder
    gives the same message and exit code everywhere.
    """
    given = [Path(p) for p in paths]
    for path in given:
        if not path.exists():
            raise UsageError(
                f"{path} does not exist.", hint="Give the folder of an EHLD return: one CSV or Parquet file per table."
            )
    folder = EHLDFolder(*given)
    if folder.tables:
        return folder
    where = ", ".join(str(p) for p in given)
    misnamed = misnamed_files(given)
    if misnamed:
        file, table_name = next(iter(misnamed.items()))
        more = f" ({len(misnamed) - 1} more file(s) like it)" if len(misnamed) > 1 else ""
        raise UsageError(
            f"{where} holds no EHLD table: no file is named exactly after a table; "
            f"{file.name} looks meant for the {table_name} table{more}.",
            hint=_rename_advice(file, table_name),
        )
    listed = [p for path in given if path.is_dir() for p in path.iterdir() if not p.name.startswith(".")]
    if given and all(p.is_dir() for p in given) and not listed:
        problem = "is empty"
    else:
        problem = "holds no EHLD table: no CSV or Parquet file is named after a table"
    raise UsageError(
        f"{where} {problem}.",
        hint="Give the folder of an EHLD return: one CSV (UTF-8) or Parquet file per table, named "
        "after it, such as referrals.csv or children.parquet.",
    )


def header_problem(path: Path, table: Table) -> DataError | None:
    """The first problem with the file or header of ``path`` that makes it unreadable as
    ``table`` (the validator's file and header checks, no row is read), or None.

    A column the file does not have reads as empty, so a missing required column, or a column
    renamed from one the spec names (``Referral Date``), would publish false zeros. A column that
    is not in the spec and resembles none that is missing (``notes``) is harmless and allowed.
    """
    # The validator owns the checks and their wording; spec is below it, so imported late.
    from earlyhelp.validate.reader import open_csv, open_parquet
    from earlyhelp.validate.report import ValidationReport

    report = ValidationReport()
    opener = open_parquet if path.suffix.lower() == ".parquet" else open_csv
    opened = opener(path, table, report)
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
    where = first.file
    if first.line is not None and path.suffix.lower() != ".parquet":
        where += f" line {first.line}"
    if first.column:
        where += f", column {first.column}"
    message = f"{where}: {first.message}"
    if first.rule_id == "column-missing":
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


def sql_literal(text: str | Path) -> str:
    """A SQL string literal (DuckDB and Spark SQL): single quotes doubled."""
    return "'" + str(text).replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    """A quoted SQL identifier: double quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def columns_in_file(path: Path) -> list[str]:
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    # Only the header line is decoded: a body in another encoding is the reader's to report,
    # with its line, not a crash here.
    with open(path, "rb") as handle:
        first_line = handle.readline()
    try:
        text = first_line.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(
            f"{path.name} line 1: the header row is not UTF-8 text.",
            hint="Save the file as 'CSV UTF-8 (comma delimited)'. " + VALIDATE_HINT,
        ) from None
    header = next(csv.reader([text]), [])
    return [name.strip() for name in header]


def csv_source_sql(path: Path, columns: list[str]) -> str:
    """DuckDB's reading of an EHLD CSV file as it is written: every one of its ``columns`` (the
    file's header, in order) as text, no guessing of types, quotes or delimiter."""
    return (
        f"read_csv({sql_literal(path)}, header=true, all_varchar=true, delim=',', "
        "quote='\"', escape='\"', auto_detect=false, "
        f"columns={{{', '.join(sql_literal(c) + ': ' + sql_literal('VARCHAR') for c in columns)}}})"
    )


def select_sql(table: Table, path: Path | None) -> str:
    """A DuckDB SELECT giving the table with every spec column, typed; absent columns are NULL."""
    if path is None:
        columns = ", ".join(f'CAST(NULL AS {c.duckdb_type}) AS "{c.name}"' for c in table.columns)
        return f"SELECT {columns} WHERE false"
    names = columns_in_file(path)
    present = set(names)
    is_csv = path.suffix.lower() == ".csv"
    exprs = []
    for column in table.columns:
        if column.name not in present:
            exprs.append(f'CAST(NULL AS {column.duckdb_type}) AS "{column.name}"')
        elif is_csv:
            exprs.append(f'CAST(NULLIF(TRIM("{column.name}"), \'\') AS {column.duckdb_type}) AS "{column.name}"')
        else:
            exprs.append(f'CAST("{column.name}" AS {column.duckdb_type}) AS "{column.name}"')
    if is_csv:
        source = csv_source_sql(path, names)
    else:
        source = f"read_parquet({sql_literal(path)})"
    return f"SELECT {', '.join(exprs)} FROM {source}"


@dataclass
class EHLDFolder:
    """The EHLD tables found in one or more folders or files."""

    paths: tuple[Path, ...]
    tables: dict[str, Path] = field(init=False)

    def __init__(self, *paths: Path | str):
        self.paths = tuple(Path(p) for p in paths)
        self.tables = find_tables(list(self.paths))

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
                hint=_rename_advice(file, table_name),
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
        from earlyhelp.validate.engine import validate_paths
        from earlyhelp.validate.rules import RULES

        files = [self.tables[name] for name in TABLES if name in set(names or TABLES) and name in self.tables]
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
