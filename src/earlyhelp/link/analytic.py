"""Carry ``person_id`` into the analytic zone (rewriting the files in place, atomically).

* ``children.person_id``: from the ``la_csc`` (else ``la_early_help``) identity record whose
  ``source_record_id`` is the ``child_id`` (the convention of ``earlyhelp.spec.model``).
* Partner outcome tables hold the partner's ``source_record_id`` in ``person_id`` until linked;
  it becomes the linked ``person_id``. A value that is already a ``person_id`` from the previous
  run is mapped to its successor, so running ``earlyhelp link`` twice is safe.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from earlyhelp.link.io import in_order, read_table, write_table
from earlyhelp.link.prepare import LA_SOURCES
from earlyhelp.spec import find_tables

PARTNER_TABLE_SOURCE = {
    "school_attendance": "education",
    "health_events": "health",
    "police_notifications": "police",
}


def _numbered(data: pa.Table, column: str) -> pa.Table:
    """The column with its row number: DuckDB need not keep row order, so order by it."""
    return pa.table({column: data.column(column).cast(pa.string()), "rn": pa.array(range(data.num_rows), pa.int64())})


def _rewrite(path: Path, data: pa.Table, person_id: pa.Array) -> None:
    if path.suffix.lower() == ".csv":
        person_id = person_id.fill_null("")
    if "person_id" in data.column_names:
        data = data.set_column(data.column_names.index("person_id"), "person_id", person_id)
    else:
        data = data.append_column("person_id", person_id)
    write_table(data, path.parent, path.stem, path.suffix.lower().lstrip("."))


def update_analytic_tables(
    con: duckdb.DuckDBPyConnection, folder: Path, previous_link: pa.Table | None
) -> dict[str, int]:
    """Rewrite ``person_id`` in the folder's children and partner tables; counts per table.

    Needs the temp table ``person_link`` on ``con``. Keys ``<table>`` count rows given a person,
    ``<table>_unresolved`` rows whose reference matched no identity record.
    """
    tables = find_tables(folder)
    counts: dict[str, int] = {}
    if previous_link is not None:
        con.register("previous_link_arrow", previous_link)
        con.sql("""
            CREATE OR REPLACE TEMP TABLE successor AS
            SELECT old_id, arg_max(new_id, records) AS new_id FROM (
                SELECT o.person_id AS old_id, n.person_id AS new_id, count(*) AS records
                FROM previous_link_arrow o JOIN person_link n USING (source, source_record_id)
                GROUP BY ALL) GROUP BY old_id
        """)
        con.unregister("previous_link_arrow")
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE successor (old_id VARCHAR, new_id VARCHAR)")

    if "children" in tables:
        path = tables["children"]
        data = read_table(path)
        con.register("analytic_arrow", _numbered(data, "child_id"))
        la_sources = ", ".join(f"'{s}'" for s in LA_SOURCES)
        mapped = in_order(
            con,
            f"""
            WITH la AS (
                SELECT source_record_id, arg_min(person_id, source) AS person_id
                FROM person_link WHERE source IN ({la_sources}) GROUP BY source_record_id)
            SELECT a.rn, la.person_id
            FROM analytic_arrow a
            LEFT JOIN la ON la.source_record_id = a.child_id
        """,
            "rn",
        ).column("person_id")
        con.unregister("analytic_arrow")
        _rewrite(path, data, mapped.combine_chunks())
        counts["children"] = mapped.length() - mapped.null_count
        counts["children_unresolved"] = mapped.null_count

    for name, source in PARTNER_TABLE_SOURCE.items():
        if name not in tables:
            continue
        path = tables[name]
        data = read_table(path)
        con.register("analytic_arrow", _numbered(data, "person_id"))
        result = in_order(
            con,
            f"""
            WITH partner AS (SELECT source_record_id, person_id FROM person_link WHERE source = '{source}')
            SELECT a.rn, coalesce(p.person_id, s.new_id, a.person_id) AS person_id,
                   p.person_id IS NULL AND s.new_id IS NULL AS unresolved
            FROM analytic_arrow a
            LEFT JOIN partner p ON p.source_record_id = a.person_id
            LEFT JOIN successor s ON s.old_id = a.person_id
        """,
            "rn",
        )
        con.unregister("analytic_arrow")
        _rewrite(path, data, result.column("person_id").combine_chunks())
        unresolved = sum(result.column("unresolved").to_pylist())
        counts[name] = result.num_rows - unresolved
        counts[f"{name}_unresolved"] = unresolved
    return counts
