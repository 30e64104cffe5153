"""The durable store: rooms, staff, invites, bans, open reports and the moderation log.

`open_store(url, clock=..., retention=...)` gives the `Store` for a database URL:

- `sqlite:///PATH`: the embedded default, one file in the node's data directory (`sqlite://`
  opens a private in-memory database on one shared connection: for scripts, not for a node);
- `postgresql://...` (also `postgres://`): for several nodes sharing one store.

The schema is versioned with Alembic (`rooms.store.migrate`); `SqlStore.check_schema` runs at
start-up. See docs/storage.md.
"""

from __future__ import annotations

from rooms.clock import Clock, SystemClock
from rooms.store.base import (
    BanRecord,
    InviteRecord,
    InviteRole,
    ModerationAction,
    ModerationEntry,
    NewReport,
    NewStaff,
    OnCallRecord,
    ReportRecord,
    Retention,
    StaffAccount,
    Store,
    SweepResult,
)
from rooms.store.engine import make_engine
from rooms.store.errors import (
    SchemaAhead,
    SchemaBehind,
    StoreConflict,
    StoreError,
    StoreUnavailable,
)
from rooms.store.sql import SqlStore

__all__ = [
    "BanRecord",
    "InviteRecord",
    "InviteRole",
    "ModerationAction",
    "ModerationEntry",
    "NewReport",
    "NewStaff",
    "OnCallRecord",
    "ReportRecord",
    "Retention",
    "SchemaAhead",
    "SchemaBehind",
    "SqlStore",
    "StaffAccount",
    "Store",
    "StoreConflict",
    "StoreError",
    "StoreUnavailable",
    "SweepResult",
    "open_store",
]


def open_store(
    url: str, *, clock: Clock | None = None, retention: Retention | None = None
) -> SqlStore:
    """The store for `url`; nothing connects until first use (call `check_schema` first).

    Raises:
        ValueError: the URL is neither SQLite nor PostgreSQL.
    """
    return SqlStore(make_engine(url), clock or SystemClock(), retention or Retention())
