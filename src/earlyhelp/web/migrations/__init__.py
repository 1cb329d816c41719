"""Alembic migrations of the portal's database (run by :func:`earlyhelp.web.database.migrate`)."""
