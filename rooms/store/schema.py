"""The store's tables, as SQLAlchemy Core metadata: what the queries in this package use.

The migrations in `migrations/versions/` create the same tables step by step and never import
this module (a migration is a frozen snapshot); `tests/rooms/test_store_migrations.py` checks
that the two agree. Times are Unix seconds (double precision), as everywhere in rooms/.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "ban_marks",
    "bans",
    "invites",
    "metadata",
    "moderation_log",
    "oncall_state",
    "reports",
    "rooms",
    "staff",
    "staff_rooms",
]

metadata = sa.MetaData()

rooms = sa.Table(
    "rooms",
    metadata,
    sa.Column("slug", sa.String(48), primary_key=True),
    # RoomConfig.to_mapping() as JSON, without the two fields that have their own columns:
    sa.Column("config", sa.Text, nullable=False),
    # The meeting format as JSON: a shipped format's key (a JSON string) or its table; NULL: none.
    sa.Column("format", sa.Text, nullable=True),
    sa.Column("language", sa.String(16), nullable=False, server_default="en"),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)

staff = sa.Table(
    "staff",
    metadata,
    sa.Column("name_key", sa.String(128), primary_key=True),  # rooms.names.name_key(name)
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("is_admin", sa.Boolean, nullable=False),
    sa.Column("credential", sa.String(16), nullable=False),  # "passphrase" | "key"
    sa.Column("secret_hash", sa.String(255), nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("revoked_at", sa.Double, nullable=True),
)

staff_rooms = sa.Table(
    "staff_rooms",
    metadata,
    sa.Column(
        "name_key",
        sa.String(128),
        sa.ForeignKey("staff.name_key", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("room", sa.String(48), primary_key=True),
)

invites = sa.Table(
    "invites",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("room", sa.String(48), nullable=False, index=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("expires_at", sa.Double, nullable=False),
    sa.Column("single_use", sa.Boolean, nullable=False),
    sa.Column("used_at", sa.Double, nullable=True),
    sa.Column("revoked_at", sa.Double, nullable=True),
)

bans = sa.Table(
    "bans",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("room", sa.String(48), nullable=False, index=True),
    sa.Column("until", sa.Double, nullable=False, index=True),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("removal", sa.Boolean, nullable=False),
)

ban_marks = sa.Table(
    "ban_marks",
    metadata,
    sa.Column(
        "ban_id", sa.String(32), sa.ForeignKey("bans.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("mark", sa.String(128), primary_key=True, index=True),
)

reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("room", sa.String(48), nullable=False, index=True),
    sa.Column("mid", sa.BigInteger, nullable=False),
    sa.Column("about", sa.String(64), nullable=False),
    sa.Column("about_name", sa.String(64), nullable=False),
    sa.Column("from_member", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("filed_at", sa.Double, nullable=False),
    sa.Column("expires_at", sa.Double, nullable=False, index=True),
)

moderation_log = sa.Table(
    "moderation_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("room", sa.String(48), nullable=False, index=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("target", sa.String(64), nullable=True),
    sa.Column("at", sa.Double, nullable=False, index=True),
    sa.Column("until", sa.Double, nullable=True),
)

oncall_state = sa.Table(
    "oncall_state",
    metadata,
    # One row ("alerts"): the on-call state as JSON (rooms/oncall/codec.py), swapped whole by
    # compare-and-set on `version`. It holds alert ids, kinds, rooms, opaque subjects (a member
    # id, a report id), staff names and times: never message text or display names.
    sa.Column("name", sa.String(16), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)
