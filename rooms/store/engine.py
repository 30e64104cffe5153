"""Engines for the two dialects, and the mapping of driver errors to the store's errors.

- SQLite through aiosqlite (the standard library's sqlite3 on a thread): nothing to install.
  Every connection turns on foreign keys, `secure_delete` (deleted rows are overwritten with
  zeros, so a closed report's text does not linger in free pages) and a busy timeout (several
  processes on one host may share the file); files use WAL so readers never wait for a writer.
- PostgreSQL through psycopg 3: libpq underneath, so operators' usual connection settings work
  (`sslmode`, service files, `~/.pgpass`, several hosts with `target_session_attrs=read-write`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from rooms.store.errors import StoreError, StoreUnavailable

__all__ = ["connect", "guard", "make_engine", "normalise_url", "transaction"]

_SQLITE_BUSY_MS = 30_000


def normalise_url(url: str) -> sa.URL:
    """The URL with our driver for its dialect: `sqlite:` → aiosqlite, `postgres(ql):` → psycopg.

    Raises:
        ValueError: neither SQLite nor PostgreSQL.
    """
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise ValueError("not a database URL (sqlite:///PATH or postgresql://...)") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    raise ValueError(f"unsupported database {backend!r} (sqlite or postgresql)")


def make_engine(url: str) -> AsyncEngine:
    """An async engine for `url` (see `normalise_url`); nothing connects until first use."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "postgresql":
        return create_async_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5)
    in_memory = parsed.database in (None, "", ":memory:")
    options: dict[str, Any] = {"poolclass": StaticPool} if in_memory else {}
    engine = create_async_engine(parsed, **options)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas(in_memory))
    return engine


def _sqlite_pragmas(in_memory: bool) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA secure_delete = ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    return on_connect


@contextmanager
def guard() -> Iterator[None]:
    """Turn driver errors into the store's: unreachable → `StoreUnavailable`, else `StoreError`."""
    try:
        yield
    except (sa.exc.OperationalError, sa.exc.InterfaceError, OSError) as exc:
        raise StoreUnavailable(f"database unavailable: {type(exc).__name__}") from exc
    except sa.exc.DBAPIError as exc:
        if exc.connection_invalidated:
            raise StoreUnavailable("database connection lost") from exc
        raise StoreError(f"database error: {type(exc.orig).__name__}") from exc


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection in a transaction, committed on success, errors mapped by `guard`."""
    with guard():
        async with engine.begin() as conn:
            yield conn


@asynccontextmanager
async def connect(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for reads (rolled back at the end), errors mapped by `guard`."""
    with guard():
        async with engine.connect() as conn:
            yield conn
