"""Submissions have a kind: an LA's return, or a partner agency's partner-outcome extract.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot add a column with a constraint in place on every version.
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("kind", sa.String(20), nullable=False, server_default="return"))


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("kind")
