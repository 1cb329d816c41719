"""A partner agency's identity records in an LA's identity warehouse (``identity.duckdb``).

A partner (health, education, police, housing) sends ``person_identifiers`` rows of its own
source for one LA, so that linkage can give its outcome records the LA's children's
``person_id``. They go only into the identity warehouse, never the analytic one, and replace
that LA's earlier rows of the same partner sources, in one transaction.

The rows carry :data:`PARTNER_PERIOD` in the warehouse-only period column rather than a return's
period: an LA reloading its return replaces its rows of its own period (see ``periods.py``), which
must not take the partners' records with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from earlyhelp.engine.connect import duckdb_connection, duckdb_table_names
from earlyhelp.errors import DataError
from earlyhelp.link.prepare import LA_SOURCES
from earlyhelp.spec import TABLES
from earlyhelp.spec.codes import SOURCES
from earlyhelp.spec.files import sql_identifier, sql_literal
from earlyhelp.warehouse.load import (
    HISTORY_TABLE,
    Target,
    _connect,
    _in_list,
    _prepare_schema,
    _source_sql,
    check_target,
    checksum,
    recover,
)
from earlyhelp.warehouse.periods import PERIOD_COLUMN

IDENTITY_TABLE = "person_identifiers"
# Every source of the spec but the LA's own case-management ones is a partner's.
PARTNER_SOURCES = tuple(source for source in SOURCES if source not in LA_SOURCES)
PARTNER_PERIOD = "partner"


@dataclass(frozen=True)
class PartnerIdentities:
    """What a partner identity load did: rows stored per source, and rows of those sources it replaced."""

    la_code: str
    rows: dict[str, int]
    replaced: int
    loaded_at: datetime


def load_partner_identities(
    path: Path, identity_warehouse: Path, la_code: str, *, warehouse: Path | None = None
) -> PartnerIdentities:
    """Store the partner ``person_identifiers`` file ``path`` (already validated) for ``la_code``.

    Refused, with nothing stored, when a row's source is the LA's own or not a partner's, when a
    row is of another LA, or when there are no rows. Messages give counts, never a value.
    ``warehouse``: the analytic warehouse beside it, so that a load of the LA's interrupted
    between its two commits is finished before this one writes.
    """
    identity_warehouse = Path(identity_warehouse)
    target = Target(identity_warehouse, "--identity-warehouse", "identity.duckdb")
    check_target(target)
    if warehouse is not None:
        recover(Path(warehouse), identity_warehouse)
    table = TABLES[IDENTITY_TABLE]
    con = _connect(target)
    try:
        con.execute(f"CREATE OR REPLACE TEMP VIEW incoming AS {_source_sql(table, Path(path))}")
        own, unknown, other_la, total = con.execute(
            f"SELECT count(*) FILTER (WHERE source IN {_in_list(list(LA_SOURCES))}), "
            f"count(*) FILTER (WHERE source IS NULL OR source NOT IN {_in_list(list(PARTNER_SOURCES))}), "
            f"count(*) FILTER (WHERE la_code IS DISTINCT FROM {sql_literal(la_code)}), count(*) FROM incoming"
        ).fetchall()[0]
        if own:
            raise DataError(
                f"{own:,} row{'s' if own != 1 else ''} of person_identifiers "
                f"{'have' if own != 1 else 'has'} the LA's own source ({', '.join(LA_SOURCES)}); "
                "a partner's identity extract holds only its own records, so nothing was stored.",
                hint=f"Send only rows whose source is one of {', '.join(PARTNER_SOURCES)}.",
            )
        if unknown:
            raise DataError(
                f"{unknown:,} row{'s' if unknown != 1 else ''} of person_identifiers "
                f"{'have' if unknown != 1 else 'has'} no partner source, so nothing was stored.",
                hint=f"Give every row a source of {', '.join(PARTNER_SOURCES)}.",
            )
        if other_la:
            raise DataError(
                f"{other_la:,} row{'s' if other_la != 1 else ''} of person_identifiers "
                f"{'are' if other_la != 1 else 'is'} not for {la_code}; an extract here holds only "
                f"{la_code}'s records, so nothing was stored.",
                hint="Send one extract per LA, each with only that LA's rows.",
            )
        if not total:
            raise DataError("person_identifiers has no rows, so nothing was stored.")
        sources = [row[0] for row in con.execute("SELECT DISTINCT source FROM incoming ORDER BY 1").fetchall()]
        loaded_at = datetime.now(UTC)
        name = sql_identifier(IDENTITY_TABLE)
        columns = ", ".join(sql_identifier(c) for c in table.column_names)
        con.execute("BEGIN TRANSACTION")
        try:
            _prepare_schema(con, [table])
            replaced = con.execute(
                f"DELETE FROM {name} WHERE la_code = {sql_literal(la_code)} AND source IN {_in_list(sources)}"
            ).fetchall()[0][0]
            con.execute(
                f"INSERT INTO {name} ({columns}, {sql_identifier(PERIOD_COLUMN)}) "
                f"SELECT {columns}, {sql_literal(PARTNER_PERIOD)} FROM incoming"
            )
            rows = dict(
                con.execute(
                    f"SELECT source, count(*) FROM {name} WHERE la_code = {sql_literal(la_code)} "
                    f"AND source IN {_in_list(sources)} GROUP BY ALL ORDER BY 1"
                ).fetchall()
            )
            con.execute(
                f"INSERT INTO {HISTORY_TABLE} VALUES (?, ?, ?, ?, ?)",
                [
                    la_code,
                    loaded_at,
                    json.dumps([Path(path).name]),
                    json.dumps({IDENTITY_TABLE: sum(rows.values())}),
                    checksum({IDENTITY_TABLE: Path(path)}),
                ],
            )
            con.execute("COMMIT")
        except BaseException:
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass  # the failed transaction was already aborted
            raise
    except duckdb.Error:
        # DuckDB quotes the value it could not read: never repeat identity-zone content.
        raise DataError(
            f"The identity records could not be stored in {identity_warehouse.name}; nothing was stored.",
            hint="Check the disk has room and no other program has the identity warehouse open, then try again.",
        ) from None
    finally:
        con.close()
    return PartnerIdentities(la_code=la_code, rows=rows, replaced=int(replaced), loaded_at=loaded_at)


def has_partner_identities(identity_warehouse: Path, la_code: str) -> bool:
    """Whether the identity warehouse holds any partner's records for the LA (so there is linking to do)."""
    if not Path(identity_warehouse).exists():
        return False
    con = duckdb_connection(identity_warehouse, read_only=True)
    try:
        if IDENTITY_TABLE not in duckdb_table_names(con):
            return False
        return bool(
            con.execute(
                f"SELECT count(*) FROM {sql_identifier(IDENTITY_TABLE)} WHERE la_code = ? "
                f"AND source IN {_in_list(list(PARTNER_SOURCES))}",
                [la_code],
            ).fetchall()[0][0]
        )
    finally:
        con.close()
