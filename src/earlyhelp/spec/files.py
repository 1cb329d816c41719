"""Finding EHLD tables on disk and reading them with the spec's types.

A folder holds one file per table, named after it: ``referrals.csv`` or ``referrals.parquet``,
or a workbook (``.xlsx`` and the other formats in ``WORKBOOK_SUFFIXES``) with one sheet per table,
named after it (case and spaces forgiven: ``Referrals``). This module finds the tables (:func:`find_tables`), the files misnamed for one
(:func:`misnamed_files`), and gives each table's typed SELECT (:func:`select_sql`). Stages read
a folder through ``earlyhelp.validate.folder.EHLDFolder``, which runs the validator's file and
header checks first; the spec is the base layer and imports no other stage.
"""

from __future__ import annotations

import csv
import difflib
import re
from pathlib import Path

from earlyhelp.errors import DataError, UsageError
from earlyhelp.spec.model import TABLES, Table

SUFFIXES = (".csv", ".parquet")
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
# Workbooks read sheet by sheet (python-calamine reads every one of these formats).
WORKBOOK_SUFFIXES = SPREADSHEET_SUFFIXES


def sheet_table(sheet_name: str) -> str | None:
    """The table a workbook sheet holds: its name, forgiving case, spaces and hyphens."""
    name = re.sub(r"[\s-]+", "_", sheet_name.strip().lower())
    return name if name in TABLES else None


def workbook_sheets(path: Path) -> dict[str, str] | None:
    """Table name -> sheet name for the sheets of the workbook at ``path`` named after a table
    (the first such sheet of each table), or None when the file cannot be read as a workbook."""
    names = workbook_sheet_names(path)
    if names is None:
        return None
    found: dict[str, str] = {}
    for sheet in names:
        table_name = sheet_table(sheet)
        if table_name is not None:
            found.setdefault(table_name, sheet)
    return found


def workbook_sheet_names(path: Path) -> list[str] | None:
    """Every sheet name of the workbook at ``path``, or None when it cannot be read as one."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError):
        return None
    try:
        return list(workbook.sheet_names)
    finally:
        workbook.close()


def is_workbook(path: Path) -> bool:
    return path.suffix.lower() in WORKBOOK_SUFFIXES


VALIDATE_HINT = "Run `earlyhelp validate` on the folder to see every problem, fix them, then run this again."


def find_tables(paths: list[Path] | tuple[Path, ...] | Path, *, workbooks: bool = False) -> dict[str, Path]:
    """Map table name -> file for the EHLD files among ``paths`` (folders or files).

    Files whose name is not an EHLD table are ignored here; the validator reports them. With
    ``workbooks``, a workbook maps each table one of its sheets is named after to the workbook's
    path (for readers that read through ``earlyhelp.validate.folder``, which reads sheets; a stage
    that reads or rewrites the files itself, such as linkage, leaves workbooks out).
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
            if not file.is_file() or file.name.startswith(("~$", ".")):
                continue
            if is_workbook(file):
                names = list(workbook_sheets(file) or ()) if workbooks else []
            elif file.suffix.lower() in SUFFIXES and file.stem in TABLES:
                names = [file.stem]
            else:
                continue
            for name in names:
                if name in found and found[name] != file:
                    raise UsageError(
                        f"Two files hold the table {name!r}: {found[name]} and {file}.",
                        hint="Keep one file or sheet per table (CSV, Parquet or a workbook's sheet, not two).",
                    )
                found[name] = file
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
    if is_workbook(file) and workbook_sheets(file):
        return None  # a workbook whose sheets hold tables: its name does not matter
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


def rename_advice(file: Path, table_name: str) -> str:
    if file.suffix.lower() in SPREADSHEET_SUFFIXES:
        return (
            f"Name the sheet that holds the table {table_name} (one sheet per table), or open {file.name} in "
            f"Excel and save it as 'CSV UTF-8 (comma delimited)' with the name {table_name}.csv."
        )
    return f"Rename {file.name} to {table_name}{file.suffix.lower()} (file names are lower case)."


def require_ehld_tables(*paths: Path | str, workbooks: bool = False) -> dict[str, Path]:
    """The EHLD tables at ``paths`` (as :func:`find_tables`), or a :class:`UsageError` (exit 2)
    when a path is missing or holds no file named after an EHLD table (an empty folder, the
    wrong folder, misnamed files).

    The one check every command that reads an EHLD folder shares (through
    ``earlyhelp.validate.folder.check_ehld_folder``), so an empty or wrong folder gives the
    same message and exit code everywhere.
    """
    given = [Path(p) for p in paths]
    for path in given:
        if not path.exists():
            raise UsageError(
                f"{path} does not exist.", hint="Give the folder of an EHLD return: one CSV or Parquet file per table."
            )
    tables = find_tables(given, workbooks=workbooks)
    if tables:
        return tables
    where = ", ".join(str(p) for p in given)
    misnamed = misnamed_files(given)
    if misnamed:
        file, table_name = next(iter(misnamed.items()))
        more = f" ({len(misnamed) - 1} more file(s) like it)" if len(misnamed) > 1 else ""
        raise UsageError(
            f"{where} holds no EHLD table: no file is named exactly after a table; "
            f"{file.name} looks meant for the {table_name} table{more}.",
            hint=rename_advice(file, table_name),
        )
    listed = [p for path in given if path.is_dir() for p in path.iterdir() if not p.name.startswith(".")]
    if given and all(p.is_dir() for p in given) and not listed:
        problem = "is empty"
    else:
        problem = "holds no EHLD table: no CSV or Parquet file is named after a table"
    raise UsageError(
        f"{where} {problem}.",
        hint="Give the folder of an EHLD return: one CSV (UTF-8) or Parquet file per table, named "
        "after it, such as referrals.csv or children.parquet, or an Excel workbook with one sheet per "
        "table, named after it.",
    )


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
    if path.suffix.lower() == ".csv":
        return text_select_sql(table, names, csv_source_sql(path, names))
    present = set(names)
    exprs = [
        f'CAST("{column.name}" AS {column.duckdb_type}) AS "{column.name}"'
        if column.name in present
        else f'CAST(NULL AS {column.duckdb_type}) AS "{column.name}"'
        for column in table.columns
    ]
    return f"SELECT {', '.join(exprs)} FROM read_parquet({sql_literal(path)})"


def text_select_sql(table: Table, names: list[str], source: str) -> str:
    """The typed SELECT over ``source``, whose columns ``names`` hold text as written in a CSV
    file (an empty or blank value is NULL)."""
    present = set(names)
    exprs = [
        f'CAST(NULLIF(TRIM("{column.name}"), \'\') AS {column.duckdb_type}) AS "{column.name}"'
        if column.name in present
        else f'CAST(NULL AS {column.duckdb_type}) AS "{column.name}"'
        for column in table.columns
    ]
    return f"SELECT {', '.join(exprs)} FROM {source}"
