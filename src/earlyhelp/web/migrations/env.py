"""Alembic's environment: runs on the connection :func:`earlyhelp.web.database.migrate` hands it."""

from alembic import context

from earlyhelp.web.database import portal_tables
from earlyhelp.web.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=Base.metadata, render_as_batch=True, include_name=portal_tables
)
with context.begin_transaction():
    context.run_migrations()
