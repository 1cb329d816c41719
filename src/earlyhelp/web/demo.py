"""``earlyhelp serve --demo``: tiny synthetic England loaded per LA, and demo users to click through."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from earlyhelp.web import access
from earlyhelp.web.auth import add_user
from earlyhelp.web.models import User
from earlyhelp.web.storage import Storage

# Demo accounts only ever exist in a demo data folder; the password is printed on start.
DEMO_PASSWORD = "demo-password-123"


def split_by_la(folder: Path, la_code: str, out: Path) -> Path:
    """One LA's return from a folder of several LAs: rows of its la_code; partner tables' rows of
    its children (by person_id); national reference tables whole. Identity tables are left out
    (the demo needs no linkage)."""
    from earlyhelp.engine.connect import duckdb_connection
    from earlyhelp.spec import TABLES
    from earlyhelp.spec.files import sql_literal

    out.mkdir(parents=True, exist_ok=True)
    con = duckdb_connection()
    try:
        children = next(folder.glob("children.*"))
        for file in sorted(folder.iterdir()):
            name = file.name.split(".")[0]
            if name not in TABLES or TABLES[name].zone == "identity":
                continue
            table = TABLES[name]
            source = (
                f"read_parquet({sql_literal(str(file))})"
                if file.suffix == ".parquet"
                else f"read_csv({sql_literal(str(file))}, all_varchar=true)"
            )
            if table.has_la_code:
                query = f"SELECT * FROM {source} WHERE la_code = {sql_literal(la_code)}"
            elif table.has_column("person_id") and children.suffix == ".parquet":
                query = (
                    f"SELECT * FROM {source} WHERE person_id IN (SELECT person_id FROM read_parquet({sql_literal(str(children))}) "
                    f"WHERE la_code = {sql_literal(la_code)})"
                )
            else:
                query = f"SELECT * FROM {source}"
            con.execute(f"COPY ({query}) TO {sql_literal(str(out / (name + '.parquet')))} (FORMAT parquet)")
    finally:
        con.close()
    return out


def load_demo(sessions: sessionmaker[Session], storage: Storage) -> list[tuple[str, str, str]]:
    """Synthetic England (tiny) into each LA's warehouse, its results published, and demo users;
    returns (user name, role, LAs) for each demo user. Does nothing the second time."""
    from earlyhelp.synth import generate
    from earlyhelp.warehouse import load_return
    from earlyhelp.web.worker import publish_results

    synthetic = storage.data_dir / "demo-synthetic-england"
    if not synthetic.exists():
        generate(synthetic, scale="tiny")
    la_codes = _la_codes(synthetic)
    for la_code in la_codes:
        if storage.published(la_code).exists():
            continue
        split = storage.data_dir / "demo-returns" / la_code
        shutil.rmtree(split, ignore_errors=True)
        split_by_la(synthetic, la_code, split)
        load_return([split], storage.warehouse(la_code), skip_identity=True)
        publish_results(storage, la_code)
    users = [(f"analyst-{code}", access.LA_ANALYST, [code]) for code in la_codes]
    users += [
        ("partner", access.PARTNER_SUBMITTER, la_codes),
        ("partnership", access.PARTNERSHIP_VIEWER, la_codes),
        ("national", access.NATIONAL_ANALYST, []),
        ("admin", access.ADMIN, []),
    ]
    with sessions.begin() as session:
        for username, role, codes in users:
            if session.scalar(select(User).where(User.username == username)) is None:
                add_user(session, username, DEMO_PASSWORD, role, codes)
    return [(username, role, ", ".join(codes)) for username, role, codes in users]


def _la_codes(folder: Path) -> list[str]:
    from earlyhelp.engine.connect import duckdb_connection
    from earlyhelp.spec.files import sql_literal

    con = duckdb_connection()
    try:
        returns = next(folder.glob("returns.*"))
        rows = con.execute(f"SELECT DISTINCT la_code FROM {sql_literal(str(returns))} ORDER BY 1").fetchall()
    finally:
        con.close()
    return [row[0] for row in rows]
