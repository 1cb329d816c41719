"""The EHLD data model: tables, columns, codes. See :mod:`earlyhelp.spec.model`."""

from earlyhelp.spec import codes
from earlyhelp.spec.files import find_tables, misnamed_files, require_ehld_tables
from earlyhelp.spec.model import (
    ANALYTIC_TABLES,
    IDENTITY_COLUMNS,
    TABLES,
    TABLES_IN_ORDER,
    Column,
    ForeignKey,
    Table,
    table,
)

__all__ = [
    "ANALYTIC_TABLES",
    "IDENTITY_COLUMNS",
    "TABLES",
    "TABLES_IN_ORDER",
    "Column",
    "ForeignKey",
    "Table",
    "codes",
    "find_tables",
    "misnamed_files",
    "require_ehld_tables",
    "table",
]
