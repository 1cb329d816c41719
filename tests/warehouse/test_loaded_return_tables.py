"""warehouse.loaded_return_tables: which tables each LA's loaded returns had files for, together."""

from __future__ import annotations

import duckdb
from tests.warehouse.test_warehouse_load import LA, OTHER_LA, copy_sample

from earlyhelp import sample
from earlyhelp.warehouse import HISTORY_TABLE, load_return, loaded_return_tables


def test_each_la_has_the_tables_of_all_its_returns_together(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    # A's first return has no looked-after episodes, its second (another source) has only those.
    load_return([copy_sample(tmp_path / "a1", drop=("looked_after_episodes",))], warehouse, skip_identity=True)
    load_return([copy_sample(tmp_path / "b", OTHER_LA, drop=("family_goals",))], warehouse, skip_identity=True)
    everything = {f.stem for f in sample.path().glob("*.csv")} - {"person_identifiers"}
    assert {"looked_after_episodes", "family_goals"} <= everything
    assert loaded_return_tables(warehouse) == {
        LA: frozenset(everything - {"looked_after_episodes"}),
        OTHER_LA: frozenset(everything - {"family_goals"}),
    }
    only_cla = copy_sample(tmp_path / "a2")
    for file in only_cla.glob("*.csv"):
        if file.stem not in ("looked_after_episodes", "children", "returns"):
            file.unlink()
    load_return([only_cla], warehouse, skip_identity=True)
    assert loaded_return_tables(warehouse)[LA] == frozenset(everything)


def test_a_warehouse_without_history_or_with_an_unreadable_row_cannot_tell(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE TABLE referrals (la_code VARCHAR)")
    con.close()
    assert loaded_return_tables(warehouse) == {}
    con = duckdb.connect(str(warehouse))
    con.execute(f"CREATE TABLE {HISTORY_TABLE} (la_code VARCHAR, loaded_at TIMESTAMP, files VARCHAR)")
    con.execute(
        f"INSERT INTO {HISTORY_TABLE} VALUES ('{LA}', '2026-01-01', 'not json'), "
        f"('{OTHER_LA}', '2026-01-01', '[\"referrals.csv\"]')"
    )
    con.close()
    assert loaded_return_tables(warehouse) == {OTHER_LA: frozenset({"referrals"})}
