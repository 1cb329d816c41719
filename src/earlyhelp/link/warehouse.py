"""Linkage over an LA's warehouses: ``identity.duckdb`` in, ``person_id`` into ``warehouse.duckdb``.

:func:`link` works on folders of files; the portal keeps each LA's data in two DuckDB files
(``earlyhelp.warehouse.load_return``). :func:`link_warehouse` copies the identity records and
the analytic tables that take a ``person_id`` (``children`` and the partner outcome tables) into
a private scratch folder, runs :func:`link` over them (DuckDB engine), and puts the rewritten
tables back into the analytic warehouse in one transaction. ``person_link``, the model and the
quality report stay in ``out``, beside the identity warehouse: the next run keeps their
person_ids. The caller serialises it with every other writer of the two files.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import duckdb

from earlyhelp.engine.connect import duckdb_connection, duckdb_table_names
from earlyhelp.errors import DataError
from earlyhelp.link.analytic import PARTNER_TABLE_SOURCE
from earlyhelp.link.pipeline import LinkResult, link
from earlyhelp.spec import TABLES
from earlyhelp.spec.files import sql_identifier, sql_literal

ANALYTIC_TABLES = ("children", *PARTNER_TABLE_SOURCE)
SCRATCH_PREFIX = ".link-"


def link_warehouse(
    warehouse: Path, identity_warehouse: Path, out: Path, *, secret: str | None = None, threshold: float = 0.9
) -> LinkResult:
    """Link the identity warehouse's records; give the analytic warehouse's children and partner
    outcome rows their ``person_id``. ``secret`` as for :func:`link` (default: the environment)."""
    warehouse, identity_warehouse, out = Path(warehouse), Path(identity_warehouse), Path(out)
    if not identity_warehouse.exists():
        raise DataError("There are no identity records to link yet.")
    out.mkdir(parents=True, exist_ok=True)
    # Splink's training notes are for the model's author; the portal's logs hold no more than that.
    logging.getLogger("splink").setLevel(logging.ERROR)
    for stale in out.glob(f"{SCRATCH_PREFIX}*"):
        # A run killed midway left its copy of the identifiers: the caller serialises runs, so none is live.
        shutil.rmtree(stale, ignore_errors=True)
    scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=out))  # mode 700: identifiers pass through it
    try:
        identities, analytic = scratch / "identities", scratch / "analytic"
        identities.mkdir()
        analytic.mkdir()
        columns = ", ".join(sql_identifier(c) for c in TABLES["person_identifiers"].column_names)
        con = duckdb_connection(identity_warehouse, read_only=True)
        try:
            if "person_identifiers" not in duckdb_table_names(con):
                raise DataError("There are no identity records to link yet.")
            target = sql_literal(str(identities / "person_identifiers.parquet"))
            con.execute(f"COPY (SELECT {columns} FROM person_identifiers) TO {target} (FORMAT parquet)")
        finally:
            con.close()
        exported: list[str] = []
        if warehouse.exists():
            con = duckdb_connection(warehouse, read_only=True)
            try:
                present = duckdb_table_names(con)
                for name in ANALYTIC_TABLES:
                    if name in present:
                        # Every column, the warehouse's own among them: the table is put back whole.
                        target = sql_literal(str(analytic / f"{name}.parquet"))
                        con.execute(f"COPY (SELECT * FROM {sql_identifier(name)}) TO {target} (FORMAT parquet)")
                        exported.append(name)
            finally:
                con.close()
        result = link(identities, out, "duckdb", threshold, analytic=analytic if exported else None, secret=secret)
        if exported:
            _put_back(warehouse, analytic, exported)
        return result
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _put_back(warehouse: Path, folder: Path, tables: list[str]) -> None:
    """Replace each table with its rewritten copy, all in one transaction."""
    con = duckdb_connection(warehouse, stage="load")
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            for name in tables:
                source = sql_literal(str(folder / f"{name}.parquet"))
                con.execute(f"DELETE FROM {sql_identifier(name)}")
                con.execute(f"INSERT INTO {sql_identifier(name)} BY NAME SELECT * FROM read_parquet({source})")
            con.execute("COMMIT")
        except BaseException:
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass  # already aborted
            raise
    finally:
        con.close()
