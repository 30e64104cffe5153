"""Stores for tests: the same `Store` on SQLite (a file) or on the session's PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from rooms.clock import Clock
from rooms.store import Retention, SqlStore, open_store

__all__ = ["DIALECTS", "migrated_store", "store_url"]

DIALECTS = ("sqlite", "postgresql")


def store_url(request: pytest.FixtureRequest, dialect: str, directory: Path) -> str:
    """An empty database of `dialect`: a SQLite file in `directory`, or a new PostgreSQL db."""
    if dialect == "sqlite":
        return f"sqlite:///{directory / 'sharecircle.db'}"
    return str(request.getfixturevalue("postgres_server").create_database())


async def migrated_store(url: str, clock: Clock, retention: Retention | None = None) -> SqlStore:
    store = open_store(url, clock=clock, retention=retention)
    await store.check_schema(auto_upgrade=True)
    return store
