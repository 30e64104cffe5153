"""Rooms, staff accounts and invite records.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rooms",
        sa.Column("slug", sa.String(48), primary_key=True),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
    )
    op.create_table(
        "staff",
        sa.Column("name_key", sa.String(128), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("credential", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("revoked_at", sa.Double, nullable=True),
    )
    op.create_table(
        "staff_rooms",
        sa.Column(
            "name_key",
            sa.String(128),
            sa.ForeignKey("staff.name_key", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("room", sa.String(48), primary_key=True),
    )
    op.create_table(
        "invites",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("room", sa.String(48), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
        sa.Column("single_use", sa.Boolean, nullable=False),
        sa.Column("used_at", sa.Double, nullable=True),
        sa.Column("revoked_at", sa.Double, nullable=True),
    )
    op.create_index("ix_invites_room", "invites", ["room"])


def downgrade() -> None:
    op.drop_index("ix_invites_room", "invites")
    op.drop_table("invites")
    op.drop_table("staff_rooms")
    op.drop_table("staff")
    op.drop_table("rooms")
