"""A room's meeting format and language, each in its own column.

Rooms stored before this revision keep their config as it was: no format, language `en`.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("format", sa.Text, nullable=True))
        batch.add_column(sa.Column("language", sa.String(16), nullable=False, server_default="en"))


def downgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("language")
        batch.drop_column("format")
