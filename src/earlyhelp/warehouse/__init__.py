"""The DuckDB warehouse: validated EHLD returns, every LA together, one table per EHLD table.

>>> from earlyhelp.warehouse import load_return
>>> result = load_return([Path("my_return")], Path("warehouse.duckdb"), skip_identity=True)
"""

from earlyhelp.warehouse.identity import PARTNER_SOURCES, PartnerIdentities, load_partner_identities
from earlyhelp.warehouse.load import (
    HISTORY_TABLE,
    IDENTITY_TABLES,
    PROVENANCE_COLUMN,
    PROVENANCE_TABLES,
    LoadResult,
    ReturnRejected,
    history_tables,
    load_return,
    loaded_return_tables,
)

__all__ = [
    "HISTORY_TABLE",
    "IDENTITY_TABLES",
    "PARTNER_SOURCES",
    "PROVENANCE_COLUMN",
    "PROVENANCE_TABLES",
    "LoadResult",
    "PartnerIdentities",
    "ReturnRejected",
    "history_tables",
    "load_partner_identities",
    "load_return",
    "loaded_return_tables",
]
