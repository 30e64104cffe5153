"""What every part of the SQL store shares: the engine, the clock and the retention limits."""

from __future__ import annotations

import secrets

from sqlalchemy.ext.asyncio import AsyncEngine

from rooms.clock import Clock
from rooms.store.base import Retention

__all__ = ["SqlCore", "new_id"]


def new_id() -> str:
    """A random record id (64 bits, hex): unguessable, so it can sit in a signed token."""
    return secrets.token_hex(8)


class SqlCore:
    """Holds the shared resources; the store's parts are mixins over this."""

    def __init__(self, engine: AsyncEngine, clock: Clock, retention: Retention) -> None:
        self._engine = engine
        self._clock = clock
        self._retention = retention

    @property
    def dialect(self) -> str:
        """`"sqlite"` or `"postgresql"`."""
        return self._engine.dialect.name

    @property
    def engine(self) -> AsyncEngine:
        return self._engine
