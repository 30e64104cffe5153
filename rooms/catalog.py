"""Which rooms exist: those in the configuration file, plus those an admin created.

Admin-created rooms are kept in the durable store (rooms/store/), so they survive a restart of
every node and of Redis; nodes that share the store (PostgreSQL, or one SQLite file on one host)
share the rooms. A node asked for a slug it does not know looks in the store again before saying
no. Configured rooms come from the config file on every start and are never stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from rooms.errors import RoomNotFound
from rooms.model import RoomConfig

__all__ = ["Catalog", "RoomRecords"]


class RoomRecords(Protocol):
    """The part of the store (`rooms.store.Store`) the catalog needs."""

    async def save_room(self, room: RoomConfig) -> None: ...

    async def load_rooms(self) -> list[RoomConfig]: ...


class Catalog:
    """This node's view of the rooms, refreshed from the store on a miss."""

    def __init__(self, records: RoomRecords, configured: Iterable[RoomConfig]) -> None:
        self.records = records
        self._rooms: dict[str, RoomConfig] = {r.slug: r for r in configured}
        self._configured = frozenset(self._rooms)

    async def refresh(self) -> None:
        """Read the stored rooms again. Raises `StoreUnavailable` if the store cannot answer."""
        for room in await self.records.load_rooms():
            if room.slug not in self._configured:
                self._rooms[room.slug] = room

    async def get(self, slug: str) -> RoomConfig:
        room = self._rooms.get(slug)
        if room is None:
            await self.refresh()
            room = self._rooms.get(slug)
        if room is None:
            raise RoomNotFound(slug)
        return room

    async def all(self) -> list[RoomConfig]:
        await self.refresh()
        return sorted(self._rooms.values(), key=lambda r: r.slug)

    async def create(self, room: RoomConfig) -> None:
        """Add or replace a room, for every node (configured rooms cannot be replaced)."""
        if room.slug in self._configured:
            raise ValueError(f"room {room.slug!r} is defined in the configuration file")
        await self.records.save_room(room)
        self._rooms[room.slug] = room
