"""Rules across rows and tables: unique keys, foreign keys and no-further-action follow-up.

The key columns of every table were streamed to Parquet while the rows were checked, so these
rules are DuckDB queries (group-bys and anti-joins) over narrow files. DuckDB runs them under its
share of the memory limit (``earlyhelp.engine.config``) and spills to a temporary folder, so ten million keys do not need ten million
Python objects or gigabytes of memory.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from earlyhelp.engine.connect import duckdb_connection
from earlyhelp.spec import TABLES, ForeignKey, Table
from earlyhelp.spec.files import sql_identifier, sql_literal
from earlyhelp.validate import rules
from earlyhelp.validate.checks import LINE, KeySink
from earlyhelp.validate.report import ValidationReport, shortened


def describe_key(columns: tuple[str, ...], values: tuple) -> str:
    """'referral_id R1 (la_code E06000001)': the last key column first, the scope after it.

    Each value is shortened on its own, so the description is never cut in the middle of an
    identifier, and the report shows it whole.
    """
    last = f"{columns[-1]} {shortened(values[-1])}"
    if len(columns) == 1:
        return last
    scope = ", ".join(f"{c} {shortened(v)}" for c, v in zip(columns[:-1], values[:-1]))
    return f"{last} ({scope})"


class CrossTableChecker:
    def __init__(self, report: ValidationReport, work_dir: Path, threads: int | None = None):
        self.report = report
        self.work_dir = work_dir
        self.threads = threads
        self._con: duckdb.DuckDBPyConnection | None = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        # Connected on first use: a return whose files could not be read needs no database.
        if self._con is None:
            self._con = duckdb_connection(
                stage="validate_keys", spill=self.work_dir / "spill", threads=self.threads, keep_insertion_order=False
            )
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()

    def _source(self, sink: KeySink) -> str:
        return f"read_parquet({sql_literal(sink.path)})"

    def _report_query(
        self,
        rule_id: str,
        sql: str,
        *,
        file: Path,
        table: str,
        column: str,
        describe,
        expected=None,
        other=None,
        composed: bool = False,
    ) -> None:
        """Run ``sql`` (rows of line, key values...), counting all and keeping the capped detail."""
        keep = self.report.wants_detail(rule_id)
        # The kept rows in line order; one more than kept tells whether a count is needed.
        limit = "" if keep is None else f" LIMIT {int(keep) + 1}"
        rows = self.con.execute(f"SELECT * FROM ({sql}) ORDER BY 1{limit}").fetchall()
        if not rows:
            return
        if keep is not None and len(rows) > keep:
            total = self.con.execute(f"SELECT count(*) FROM ({sql})").fetchall()[0][0]
            rows = rows[:keep]
        else:
            total = len(rows)
        for row in rows:
            self.report.add(
                rule_id,
                file=file,
                table=table,
                line=row[0],
                column=column,
                value=describe(row),
                expected=expected(row) if callable(expected) else expected,
                other=other(row) if callable(other) else other,
                composed=composed,
            )
        self.report.add_count(rule_id, total - len(rows))

    @rules.finds("key-table-missing")
    def check(self, sinks: dict[str, KeySink], files: dict[str, Path], *, returns_checked: bool) -> None:
        """``returns_checked``: references to the returns table were checked while streaming."""
        for name, sink in sinks.items():
            table = TABLES[name]
            for unique in table.unique:
                if all(c in sink.columns for c in unique):
                    self._check_unique(table, unique, sink, files[name])
            for fk in table.foreign_keys:
                if not all(c in sink.columns for c in fk.columns):
                    continue
                if fk.references not in files:
                    self.report.add("key-table-missing", file=files[name], table=name, expected=fk.references)
                    continue
                if fk.references == rules.RETURNS_TABLE and returns_checked:
                    continue
                target = sinks.get(fk.references)
                if target is None or not all(c in target.columns for c in fk.referenced_columns):
                    continue  # the referenced file could not be read; already reported
                self._check_foreign(table, fk, sink, target, files[name], files[fk.references])
            if name in rules.NFA_FOLLOW_UP_TABLES and rules.NFA_TABLE in sinks:
                self._check_nfa_follow_up(table, sink, sinks[rules.NFA_TABLE], files[name])

    @rules.finds("key-duplicate")
    def _check_unique(self, table: Table, unique: tuple[str, ...], sink: KeySink, file: Path) -> None:
        cols = ", ".join(sql_identifier(c) for c in unique)
        filled = " AND ".join(f"{sql_identifier(c)} <> ''" for c in unique)
        # Group on a 64-bit hash of the last key column first (ids are unique nationally by
        # convention, so this is selective, and fixed-width grouping is fast and lean). Only when
        # a hash repeats are the rows read again and compared on the whole key, so no collision
        # can cause a finding and a clean table is read once.
        last = sql_identifier(unique[-1])
        repeated = self.con.execute(
            f"SELECT h FROM (SELECT hash({last}) AS h FROM {self._source(sink)} WHERE {filled} "
            f"GROUP BY ALL HAVING count(*) > 1) LIMIT 1"
        ).fetchall()
        if not repeated:
            return
        sql = (
            f"WITH h AS (SELECT hash({last}) AS h FROM {self._source(sink)} WHERE {filled} "
            f"GROUP BY ALL HAVING count(*) > 1), "
            f"k AS (SELECT {cols}, {LINE} FROM {self._source(sink)} WHERE {filled} "
            f"AND hash({last}) IN (SELECT h FROM h)), "
            f"d AS (SELECT {cols}, min({LINE}) AS first_line FROM k GROUP BY ALL HAVING count(*) > 1) "
            f"SELECT k.{LINE}, {', '.join('k.' + sql_identifier(c) for c in unique)}, d.first_line "
            f"FROM k JOIN d USING ({cols}) WHERE k.{LINE} > d.first_line"
        )
        self._report_query(
            "key-duplicate",
            sql,
            file=file,
            table=table.name,
            column=unique[-1],
            describe=lambda row: describe_key(unique, row[1:-1]),
            composed=True,
            expected=", ".join(unique),
            other=lambda row: row[-1],
        )

    @rules.finds("key-foreign")
    def _check_foreign(
        self, table: Table, fk: ForeignKey, sink: KeySink, target: KeySink, file: Path, target_file: Path
    ) -> None:
        filled = " AND ".join(f"{sql_identifier(c)} <> ''" for c in fk.columns)
        child_hash = f"hash({', '.join(sql_identifier(c) for c in fk.columns)})"
        parent_hash = f"hash({', '.join(sql_identifier(c) for c in fk.referenced_columns)})"
        # Anti-join on a 64-bit hash of the key: fixed width, so fast and lean at 10M rows. A row
        # reported is certainly unmatched; a missing key would go unreported only if its hash
        # collided with an existing key's (odds about rows x keys / 2^64).
        sql = (
            f"SELECT {LINE}, {', '.join(sql_identifier(c) for c in fk.columns)} "
            f"FROM {self._source(sink)} WHERE {filled} AND {child_hash} NOT IN "
            f"(SELECT {parent_hash} FROM {self._source(target)})"
        )
        self._report_query(
            "key-foreign",
            sql,
            file=file,
            table=table.name,
            column=fk.columns[-1],
            describe=lambda row: describe_key(fk.columns, row[1:]),
            composed=True,
            expected=target_file.name,
        )

    @rules.finds("nfa-follow-up")
    def _check_nfa_follow_up(self, table: Table, sink: KeySink, referrals: KeySink, file: Path) -> None:
        fk = next(fk for fk in table.foreign_keys if fk.references == rules.NFA_TABLE)
        if (
            not all(c in sink.columns for c in fk.columns)
            or rules.NFA_FLAG not in referrals.columns
            or not all(c in referrals.columns for c in fk.referenced_columns)
        ):
            return
        match = " AND ".join(
            f"p.{sql_identifier(r)} = c.{sql_identifier(c)}" for c, r in zip(fk.columns, fk.referenced_columns)
        )
        sql = (
            f"SELECT c.{LINE}, c.{sql_identifier(fk.columns[-1])} FROM {self._source(sink)} c "
            f"WHERE EXISTS (SELECT 1 FROM {self._source(referrals)} p "
            f"WHERE {match} AND lower(p.{sql_identifier(rules.NFA_FLAG)}) = 'true')"
        )
        self._report_query(
            "nfa-follow-up", sql, file=file, table=table.name, column=fk.columns[-1], describe=lambda row: row[1]
        )
