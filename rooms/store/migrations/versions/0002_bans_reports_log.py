"""Bans and removals, open reports, and the moderation log.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bans",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("room", sa.String(48), nullable=False),
        sa.Column("until", sa.Double, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("removal", sa.Boolean, nullable=False),
    )
    op.create_index("ix_bans_room", "bans", ["room"])
    op.create_index("ix_bans_until", "bans", ["until"])
    op.create_table(
        "ban_marks",
        sa.Column(
            "ban_id", sa.String(32), sa.ForeignKey("bans.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("mark", sa.String(128), primary_key=True),
    )
    op.create_index("ix_ban_marks_mark", "ban_marks", ["mark"])
    op.create_table(
        "reports",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("room", sa.String(48), nullable=False),
        sa.Column("mid", sa.BigInteger, nullable=False),
        sa.Column("about", sa.String(64), nullable=False),
        sa.Column("about_name", sa.String(64), nullable=False),
        sa.Column("from_member", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("filed_at", sa.Double, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
    )
    op.create_index("ix_reports_room", "reports", ["room"])
    op.create_index("ix_reports_expires_at", "reports", ["expires_at"])
    op.create_table(
        "moderation_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("room", sa.String(48), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("target", sa.String(64), nullable=True),
        sa.Column("at", sa.Double, nullable=False),
        sa.Column("until", sa.Double, nullable=True),
    )
    op.create_index("ix_moderation_log_room", "moderation_log", ["room"])
    op.create_index("ix_moderation_log_at", "moderation_log", ["at"])


def downgrade() -> None:
    op.drop_table("moderation_log")
    op.drop_table("reports")
    op.drop_table("ban_marks")
    op.drop_table("bans")
