"""The portal's database: SQLite in the data folder by default, PostgreSQL (psycopg 3) when
EARLYHELP_DATABASE_URL names one; the schema comes from the Alembic migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from earlyhelp.errors import UsageError

MIGRATIONS = Path(__file__).parent / "migrations"
# The tables huey's SQL storage makes (and owns) in the portal's PostgreSQL database: no table
# of the portal's may take one of these names.
QUEUE_TABLES = ("kv", "schedule", "task", "counter")


def portal_tables(name: str | None, kind: str, _parent: object) -> bool:
    """For Alembic: not huey's queue tables, which huey makes itself beside the portal's."""
    return not (kind == "table" and name in QUEUE_TABLES)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and a busy timeout so the worker thread and the
    web threads can share the file."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_settings(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest migration (nothing to do when it is there already)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except Exception as error:
        if type(error).__module__.startswith(("sqlalchemy", "psycopg")):
            raise UsageError(
                f"The portal's database cannot be used ({type(error).__name__}).",
                hint="Check EARLYHELP_DATABASE_URL (for PostgreSQL: postgresql://user@host:port/database) "
                "and that the server is running.",
            ) from None
        raise


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
