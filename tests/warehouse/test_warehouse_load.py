"""Loading returns into the DuckDB warehouse: all or nothing, replace by LA, history, identity apart."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from earlyhelp import sample
from earlyhelp.errors import DataError, EarlyhelpError, UsageError
from earlyhelp.spec import TABLES
from earlyhelp.warehouse import HISTORY_TABLE, PROVENANCE_COLUMN, PROVENANCE_TABLES, ReturnRejected, load_return
from earlyhelp.warehouse.periods import PERIOD_COLUMN, PERIOD_TABLES

LA = "E06000001"
OTHER_LA = "E06000002"


def data_lines(path: Path) -> int:
    """Records in a sample CSV (it has no quoted line breaks and no blank lines): lines minus header."""
    return len(path.read_text(encoding="utf-8").splitlines()) - 1


def copy_sample(folder: Path, la_code: str = LA, drop: tuple[str, ...] = ()) -> Path:
    folder.mkdir(parents=True)
    for file in sample.path().glob("*.csv"):
        if file.stem not in drop:
            (folder / file.name).write_text(file.read_text(encoding="utf-8").replace(LA, la_code), encoding="utf-8")
    return folder


def query(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def counts(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            name: con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]
            for name in TABLES
            if TABLES[name].zone != "identity"
        }
    finally:
        con.close()


def test_sample_loads_with_spec_types_history_and_idempotence(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    result = load_return([sample.path()], warehouse, skip_identity=True)
    assert result.la_codes == [LA] and result.skipped_identity
    expected = {f.stem: data_lines(f) for f in sample.path().glob("*.csv") if f.stem != "person_identifiers"}
    loaded = counts(warehouse)
    assert {k: v for k, v in loaded.items() if v} == expected
    assert result.rows == expected
    # Tables are named and typed exactly as the spec says, identity tables absent.
    tables = {row[0] for row in query(warehouse, "SHOW TABLES")}
    assert "person_identifiers" not in tables and HISTORY_TABLE in tables
    columns = query(
        warehouse,
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "ORDER BY table_name, ordinal_position",
    )
    for name, table in TABLES.items():
        if table.zone != "identity":
            # Partner and linkage tables carry one warehouse-only column, last: their return's LAs;
            # record tables theirs: the period of the return each row came from.
            extra = [(PROVENANCE_COLUMN, "VARCHAR[]")] if name in PROVENANCE_TABLES else []
            extra += [(PERIOD_COLUMN, "VARCHAR")] if name in PERIOD_TABLES else []
            assert [(c, t) for n, c, t in columns if n == name] == [
                (c.name, c.duckdb_type) for c in table.columns
            ] + extra
    assert query(
        warehouse, "SELECT referral_date, referral_nfa FROM referrals WHERE referral_id = 'E06000001-R0001'"
    ) == [(__import__("datetime").date(2021, 6, 27), False)]
    history = query(warehouse, f"SELECT la_code, checksum, rows_per_table FROM {HISTORY_TABLE}")
    digest = hashlib.sha256()
    for file in sorted(sample.path().glob("*.csv"), key=lambda f: f.stem):
        digest.update(file.stem.encode() + b"\0" + file.read_bytes() + b"\0")
    assert history[0][:2] == (LA, digest.hexdigest())
    assert '"referrals": 52' in history[0][2]

    # Loading the same return again changes nothing but the history.
    load_return([sample.path()], warehouse, skip_identity=True)
    assert counts(warehouse) == loaded
    assert query(warehouse, f"SELECT count(*), count(DISTINCT checksum) FROM {HISTORY_TABLE}") == [(2, 1)]

    # A failing return changes nothing at all.
    before = counts(warehouse)
    bad = copy_sample(tmp_path / "bad")
    referrals = bad / "referrals.csv"
    referrals.write_text(referrals.read_text().replace("2021-06-27", "27/06/2021", 1))
    (bad / "children.csv").write_text("")  # and an empty file
    with pytest.raises(ReturnRejected) as rejected:
        load_return([bad], warehouse, skip_identity=True)
    assert rejected.value.report.summary() == {"value-date-ambiguous": 1, "file-empty": 1}
    assert rejected.value.exit_code == 1
    assert counts(warehouse) == before
    assert query(warehouse, f"SELECT count(*) FROM {HISTORY_TABLE}") == [(2,)]


def test_another_la_is_added_and_a_reload_replaces_only_that_la(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    load_return([sample.path()], warehouse, skip_identity=True)
    load_return([copy_sample(tmp_path / "b", OTHER_LA)], warehouse, skip_identity=True)
    referrals = data_lines(sample.path() / "referrals.csv")
    assert query(warehouse, "SELECT la_code, count(*) FROM referrals GROUP BY ALL ORDER BY 1") == [
        (LA, referrals),
        (OTHER_LA, referrals),
    ]
    # The first LA sends its return again without looked-after episodes: a return that has no file
    # for them says nothing about them (they may come from another source), so they stay.
    smaller = copy_sample(tmp_path / "a2", LA, drop=("looked_after_episodes",))
    load_return([smaller], warehouse, skip_identity=True)
    cla = data_lines(sample.path() / "looked_after_episodes.csv")
    assert query(warehouse, "SELECT la_code, count(*) FROM looked_after_episodes GROUP BY ALL ORDER BY 1") == [
        (LA, cla),
        (OTHER_LA, cla),
    ]
    # A header-only file says the return has none: the LA's old ones of that period go.
    header = (sample.path() / "looked_after_episodes.csv").read_text(encoding="utf-8").splitlines()[0]
    (smaller / "looked_after_episodes.csv").write_text(header + "\n", encoding="utf-8")
    load_return([smaller], warehouse, skip_identity=True)
    assert query(warehouse, "SELECT la_code, count(*) FROM looked_after_episodes GROUP BY ALL") == [(OTHER_LA, cla)]
    assert query(warehouse, "SELECT la_code, count(*) FROM referrals GROUP BY ALL ORDER BY 1") == [
        (LA, referrals),
        (OTHER_LA, referrals),
    ]


def test_identifiers_go_only_to_a_separate_identity_warehouse(tmp_path):
    warehouse, identity = tmp_path / "w.duckdb", tmp_path / "identity.duckdb"
    with pytest.raises(UsageError, match="identifiers"):
        load_return([sample.path()], warehouse)
    assert not warehouse.exists()
    with pytest.raises(UsageError):
        load_return([sample.path()], warehouse, identity_warehouse=warehouse)
    result = load_return([sample.path()], warehouse, identity_warehouse=identity)
    people = data_lines(sample.path() / "person_identifiers.csv")
    assert result.identity_rows == people
    assert query(identity, "SELECT count(*) FROM person_identifiers") == [(people,)]
    assert "person_identifiers" not in {row[0] for row in query(warehouse, "SHOW TABLES")}
    assert {row[0] for row in query(identity, "SHOW TABLES")} == {
        "person_identifiers",
        "episode_postcodes",
        HISTORY_TABLE,
    }


def test_bom_blank_lines_and_quoted_breaks_load_like_the_validator_reads_them(tmp_path):
    folder = copy_sample(tmp_path / "r")
    goals = folder / "family_goals.csv"
    lines = goals.read_text().splitlines()
    goals.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines[:3] + [""] + lines[3:]) + "\r\n").encode())
    warehouse = tmp_path / "w.duckdb"
    load_return([folder], warehouse, skip_identity=True)
    assert query(warehouse, "SELECT count(*) FROM family_goals") == [(len(lines) - 1,)]


def test_cli_load(tmp_path):
    from earlyhelp.cli import main

    warehouse = tmp_path / "w.duckdb"
    runner = CliRunner()
    ok = runner.invoke(main, ["load", str(sample.path()), "--warehouse", str(warehouse), "--skip-identity"])
    assert ok.exit_code == 0, ok.output
    assert f"for {LA} into" in ok.stdout and "referrals" in ok.stdout
    assert f"The warehouse now covers {LA} from 2019-04-01 to 2023-03-31." in ok.stdout
    bad = copy_sample(tmp_path / "bad")
    (bad / "returns.csv").write_text(
        "la_code,period_start,period_end,extract_date\nE06000001,2019-04-01,2023-03-31,2020-01-01\n"
    )
    rejected = runner.invoke(main, ["load", str(bad), "--warehouse", str(warehouse), "--skip-identity"])
    assert isinstance(rejected.exception, DataError)
    assert "after-extract-date" in rejected.stdout and "There is a problem" in rejected.stdout
    shutil.rmtree(bad)


def test_a_return_covering_two_las_loads_both_with_a_history_row_each(tmp_path):
    both = tmp_path / "both"
    both.mkdir()
    for file in sample.path().glob("*.csv"):
        text = file.read_text(encoding="utf-8")
        header, _, body = text.partition("\n")
        (both / file.name).write_text(header + "\n" + body + body.replace(LA, OTHER_LA), encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"
    result = load_return([both], warehouse, skip_identity=True)
    assert result.la_codes == [LA, OTHER_LA]
    children = data_lines(sample.path() / "children.csv")
    assert query(warehouse, "SELECT la_code, count(*) FROM children GROUP BY ALL ORDER BY 1") == [
        (LA, children),
        (OTHER_LA, children),
    ]
    assert query(warehouse, f"SELECT la_code FROM {HISTORY_TABLE} ORDER BY 1") == [(LA,), (OTHER_LA,)]


# ---------------------------------------------------------------- partner tables: provenance
ATTENDANCE_HEADER = "person_id,academic_year,sessions_possible,sessions_missed\n"


def with_attendance(folder: Path, rows: list[str]) -> Path:
    (folder / "school_attendance.csv").write_text(ATTENDANCE_HEADER + "".join(r + "\n" for r in rows))
    return folder


def attendance(warehouse: Path) -> list[tuple]:
    return query(
        warehouse, f"SELECT person_id, sessions_missed, {PROVENANCE_COLUMN} FROM school_attendance ORDER BY person_id"
    )


def test_partner_provenance_tables_are_those_without_la_code_that_returns_bring():
    # Worked from the spec: partner outcomes and linkage output lack la_code; deflators is
    # national reference data and is still replaced whole.
    assert {"school_attendance", "health_events", "police_notifications", "person_link"} == PROVENANCE_TABLES


def test_loading_another_la_keeps_the_first_las_partner_rows_and_a_reload_replaces_only_its_own(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    load_return(
        [with_attendance(copy_sample(tmp_path / "a"), ["SA-1,2021,300,10", "SA-2,2021,300,20"])],
        warehouse,
        skip_identity=True,
    )
    load_return(
        [with_attendance(copy_sample(tmp_path / "b", OTHER_LA), ["SB-1,2021,300,30"])], warehouse, skip_identity=True
    )
    # The reviewer's scenario: before the fix only SB-1 was left although A's load is in the history.
    assert attendance(warehouse) == [("SA-1", 10, [LA]), ("SA-2", 20, [LA]), ("SB-1", 30, [OTHER_LA])]
    history = query(warehouse, f"SELECT la_code, rows_per_table FROM {HISTORY_TABLE} ORDER BY loaded_at")
    assert [(la, json.loads(rows)["school_attendance"]) for la, rows in history] == [(LA, 2), (OTHER_LA, 1)]

    # LA A reloads with one corrected row: its two old rows go, B's row stays.
    load_return([with_attendance(copy_sample(tmp_path / "a2"), ["SA-3,2022,310,5"])], warehouse, skip_identity=True)
    assert attendance(warehouse) == [("SA-3", 5, [LA]), ("SB-1", 30, [OTHER_LA])]

    # A return without the table leaves the LA's partner rows as they are.
    load_return([copy_sample(tmp_path / "a3")], warehouse, skip_identity=True)
    assert attendance(warehouse) == [("SA-3", 5, [LA]), ("SB-1", 30, [OTHER_LA])]

    # Every stage reads the warehouse by the spec's column names: the extra column is invisible.
    from earlyhelp.engine import create_engine

    with create_engine("duckdb") as engine:
        engine.register_ehld(warehouse, ["school_attendance"])
        read = engine.sql("SELECT * FROM school_attendance ORDER BY person_id")
    assert read.column_names == list(TABLES["school_attendance"].column_names)
    assert read.column("person_id").to_pylist() == ["SA-3", "SB-1"]


def test_partner_rows_loaded_for_two_las_together_are_not_split_by_a_return_for_one(tmp_path):
    both = tmp_path / "both"
    both.mkdir()
    for file in sample.path().glob("*.csv"):
        header, _, body = file.read_text(encoding="utf-8").partition("\n")
        (both / file.name).write_text(header + "\n" + body + body.replace(LA, OTHER_LA), encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"
    load_return([with_attendance(both, ["S-1,2021,300,10"])], warehouse, skip_identity=True)
    assert attendance(warehouse) == [("S-1", 10, [LA, OTHER_LA])]
    before = counts(warehouse)
    # Replacing S-1 would drop B's share of it, keeping it would double A's: refused, nothing changed.
    with pytest.raises(UsageError, match=f"one return for {LA}, {OTHER_LA}; this return covers only {LA},"):
        load_return([with_attendance(copy_sample(tmp_path / "a"), ["SA-9,2022,300,1"])], warehouse, skip_identity=True)
    assert counts(warehouse) == before and attendance(warehouse) == [("S-1", 10, [LA, OTHER_LA])]
    assert query(warehouse, f"SELECT count(*) FROM {HISTORY_TABLE}") == [(2,)]
    # Reloading both together replaces the row.
    load_return([with_attendance(both, ["S-2,2022,300,2"])], warehouse, skip_identity=True)
    assert attendance(warehouse) == [("S-2", 2, [LA, OTHER_LA])]


def test_a_warehouse_written_before_provenance_gets_it_from_the_load_history(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    load_return([with_attendance(copy_sample(tmp_path / "a"), ["SA-1,2021,300,10"])], warehouse, skip_identity=True)
    # As the loader used to write it: no provenance column.
    con = duckdb.connect(str(warehouse))
    con.execute(f"ALTER TABLE school_attendance DROP COLUMN {PROVENANCE_COLUMN}")
    con.close()
    load_return(
        [with_attendance(copy_sample(tmp_path / "b", OTHER_LA), ["SB-1,2021,300,30"])], warehouse, skip_identity=True
    )
    # A's row came with A's load (the history's latest load holding school_attendance): kept.
    assert attendance(warehouse) == [("SA-1", 10, [LA]), ("SB-1", 30, [OTHER_LA])]


# ---------------------------------------------------------------- all or nothing across both files
def snapshot(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows, sorted: equal snapshots mean an unchanged database."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [row[0] for row in con.execute("SHOW TABLES").fetchall()]
        # As text: load_history's TIMESTAMPTZ would need pytz to become Python values.
        return {
            name: sorted(con.execute(f'SELECT COLUMNS(*)::VARCHAR FROM "{name}"').fetchall(), key=repr)
            for name in names
        }
    finally:
        con.close()


def test_a_failure_in_either_database_leaves_both_as_they_were(tmp_path, monkeypatch):
    from earlyhelp.warehouse import load as load_module

    warehouse, identity = tmp_path / "w.duckdb", tmp_path / "identity.duckdb"
    second = copy_sample(tmp_path / "b", OTHER_LA)

    real_source_sql = load_module._source_sql

    def fail_on(table_name):
        # Reading the table's file into the database fails, as on a full disk.
        def source_sql(table, path):
            if table.name == table_name:
                raise duckdb.IOException("disk full")
            return real_source_sql(table, path)

        return source_sql

    # A first load that fails creates neither file.
    monkeypatch.setattr(load_module, "_source_sql", fail_on("referrals"))
    with pytest.raises(EarlyhelpError, match="rolled back: nothing changed"):
        load_return([sample.path()], warehouse, identity_warehouse=identity)
    assert not warehouse.exists() and not identity.exists()
    monkeypatch.undo()

    load_return([sample.path()], warehouse, identity_warehouse=identity)
    analytic_before, identity_before = snapshot(warehouse), snapshot(identity)
    people = data_lines(sample.path() / "person_identifiers.csv")
    assert len(identity_before["person_identifiers"]) == people

    # The analytic load fails after the identity load was staged: neither changes.
    monkeypatch.setattr(load_module, "_source_sql", fail_on("family_goals"))
    with pytest.raises(EarlyhelpError, match="rolled back"):
        load_return([second], warehouse, identity_warehouse=identity)
    assert snapshot(warehouse) == analytic_before and snapshot(identity) == identity_before

    # The identity load fails: neither changes.
    monkeypatch.setattr(load_module, "_source_sql", fail_on("person_identifiers"))
    with pytest.raises(EarlyhelpError, match="rolled back"):
        load_return([second], warehouse, identity_warehouse=identity)
    assert snapshot(warehouse) == analytic_before and snapshot(identity) == identity_before
    monkeypatch.undo()

    # The analytic commit fails after the identity one succeeded: the identity load is undone.
    real_commit = load_module._StagedLoad.commit

    def commit(self):
        if self.path == warehouse:
            raise duckdb.IOException("disk full")
        real_commit(self)

    monkeypatch.setattr(load_module._StagedLoad, "commit", commit)
    with pytest.raises(EarlyhelpError, match="rolled back"):
        load_return([second], warehouse, identity_warehouse=identity)
    assert snapshot(warehouse) == analytic_before and snapshot(identity) == identity_before
    monkeypatch.undo()

    # And the same load then goes through: both LAs' identities, one history row each.
    load_return([second], warehouse, identity_warehouse=identity)
    assert query(identity, "SELECT la_code, count(*) FROM person_identifiers GROUP BY ALL ORDER BY 1") == [
        (LA, people),
        (OTHER_LA, people),
    ]
    assert query(identity, f"SELECT la_code FROM {HISTORY_TABLE} ORDER BY 1") == [(LA,), (OTHER_LA,)]


def test_loading_shows_one_progress_step_per_table_of_each_database(tmp_path, recorded_progress):
    from earlyhelp.warehouse import load as load_module

    bars = recorded_progress(load_module)
    load_return([sample.path()], tmp_path / "w.duckdb", identity_warehouse=tmp_path / "i.duckdb")
    analytic = [name for name, table in TABLES.items() if table.zone != "identity"]
    # The identity database first (its tables), then every analytic warehouse table.
    identity = ["person_identifiers", "episode_postcodes"]
    assert bars == [("Loading", len(identity) + len(analytic), [*identity, *analytic])]


def test_a_warehouse_made_before_the_ssda903_columns_gets_them_on_the_next_load(tmp_path):
    warehouse, identity = tmp_path / "w.duckdb", tmp_path / "i.duckdb"
    load_return([sample.path()], warehouse, identity_warehouse=identity)
    con = duckdb.connect(str(warehouse))
    for table, columns in (
        ("children", ["mother"]),
        ("looked_after_episodes", ["placement_provider", "reason_place_change", "urn"]),
    ):
        for column in columns:
            con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    con.close()
    load_return([sample.path()], warehouse, identity_warehouse=identity)
    for table in ("children", "looked_after_episodes"):
        columns = [
            row[0] for row in query(warehouse, f"SELECT column_name FROM duckdb_columns() WHERE table_name = '{table}'")
        ]
        # The spec's columns in its order; the warehouse-only source_period stays where it was.
        assert [c for c in columns if c != PERIOD_COLUMN] == list(TABLES[table].column_names)
        assert PERIOD_COLUMN in columns
    assert query(warehouse, "SELECT count(*) FROM children") == [(data_lines(sample.path() / "children.csv"),)]
