"""Which rooms exist: those in the configuration file, plus those an admin created.

Admin-created rooms are stored in the backend so that every node of a cluster knows them; a node
that is asked for a slug it does not know looks again in the backend before saying no.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from rooms.backends.base import Backend
from rooms.errors import RoomNotFound
from rooms.model import RoomConfig

__all__ = ["Catalog"]


class Catalog:
    """This node's view of the rooms, refreshed from the backend on a miss."""

    def __init__(self, backend: Backend, configured: Iterable[RoomConfig]) -> None:
        self.backend = backend
        self._rooms: dict[str, RoomConfig] = {r.slug: r for r in configured}
        self._configured = frozenset(self._rooms)

    async def refresh(self) -> None:
        stored = await self.backend.load_rooms()
        for slug, blob in stored.items():
            if slug not in self._configured:
                self._rooms[slug] = RoomConfig.from_mapping(json.loads(blob))

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
        await self.backend.save_room(room.slug, json.dumps(room.to_mapping()).encode())
        self._rooms[room.slug] = room
