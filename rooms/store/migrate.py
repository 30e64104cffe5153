"""Versioned schema migrations with Alembic, shipped inside this package.

The migration scripts live in `rooms/store/migrations/` and are found relative to this file, so
`sharecircle migrate` works from an installed wheel as from a checkout; no `alembic.ini` is read.
Every function takes the store's own async engine and runs Alembic on one of its connections.

Two processes may migrate one database at once (nodes sharing a SQLite file start together; two
operators run `migrate`). They are serialised: on PostgreSQL by a transaction-level advisory
lock taken before Alembic reads the revision, on SQLite (whose DDL is not transactional under
the Python driver) by an exclusive `flock` on `<database>.migrate-lock` beside the file, held
for the whole check, from the first connection (which switches a new file to WAL) to the end.
The second one then finds the schema current and does nothing.
"""

from __future__ import annotations

import asyncio
import fcntl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from rooms.store.engine import guard
from rooms.store.errors import SchemaAhead, SchemaBehind

__all__ = ["current_revision", "ensure_current", "head_revision", "revisions", "upgrade"]

_SCRIPTS = Path(__file__).resolve().parent / "migrations"
_PG_LOCK_KEY = 0x5C_5C_0001  # any fixed 64-bit number, the same for every node


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return config


def head_revision() -> str:
    """The revision this code's schema is at."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the migrations directory has no revisions"
    return head


def revisions() -> list[str]:
    """Every revision, oldest first."""
    script = ScriptDirectory.from_config(_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


async def current_revision(engine: AsyncEngine) -> str | None:
    """The database's revision, or None if it was never migrated."""

    def read(conn: Connection) -> str | None:
        return MigrationContext.configure(conn).get_current_revision()

    with guard():
        async with engine.connect() as conn:
            return await conn.run_sync(read)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate the database forward to `revision`; returns the revisions before and after."""
    async with _sqlite_file_lock(engine):
        before = await current_revision(engine)
        await _upgrade_locked(engine, revision)
        return before, await current_revision(engine)


async def _upgrade_locked(engine: AsyncEngine, revision: str = "head") -> None:
    """Run Alembic; the caller holds the SQLite file lock (PostgreSQL's lock is taken here)."""

    def run(conn: Connection, config: Config) -> None:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
        config.attributes["connection"] = conn
        command.upgrade(config, revision)

    with guard():
        async with engine.begin() as conn:
            await conn.run_sync(run, _config())


@asynccontextmanager
async def _sqlite_file_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """Hold an exclusive lock beside a SQLite file (nothing for PostgreSQL or in-memory)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or database in (None, "", ":memory:"):
        yield
        return
    with guard(), open(f"{database}.migrate-lock", "a") as handle:  # noqa: ASYNC230 (tiny file)
        await asyncio.to_thread(fcntl.flock, handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


async def ensure_current(engine: AsyncEngine, *, auto_upgrade: bool) -> None:
    """Check the schema before serving: migrate it when allowed, else refuse if it is behind.

    Raises:
        SchemaBehind: the database is not at the head revision and `auto_upgrade` is False.
        SchemaAhead: a newer version migrated the database (never downgraded automatically).
    """
    # On SQLite the whole check runs under the file lock, from the first connection (which
    # switches a new file to WAL) to the version read: before, each starter read the version
    # table outside the lock, so starters' connections met on a file another was still creating.
    # One starter at a time, start to end, leaves no such window (docs/storage.md).
    async with _sqlite_file_lock(engine):
        current, head = await current_revision(engine), head_revision()
        if current == head:
            return
        if current is not None and current not in revisions():
            raise SchemaAhead(current)
        if not auto_upgrade:
            raise SchemaBehind(current, head)
        await _upgrade_locked(engine)
