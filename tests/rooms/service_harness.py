"""A rooms service on the memory backend with recording subscribers: no sockets, no uvicorn."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from rooms.backends.memory import MemoryBackend
from rooms.catalog import Catalog
from rooms.clock import ManualClock
from rooms.model import RoomConfig
from rooms.outbound import OutboundEvent
from rooms.seat import Subscriber
from rooms.service import RoomsService, ServiceSettings

ROOM = RoomConfig(slug="quiet-room", name="Quiet room")
LOBBY_ROOM = RoomConfig(slug="front-door", name="Front door")

_ids = itertools.count()


@dataclass(eq=False)
class Recorder:
    """A Subscriber that writes down everything the rooms layer asks of it."""

    conn_id: str = field(default_factory=lambda: f"c{next(_ids)}")
    events: list[OutboundEvent] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def deliver(self, event: OutboundEvent) -> None:
        self.events.append(event)

    def evict(self, reason: str) -> None:
        self.calls.append(f"evict:{reason}")

    def lost_state(self) -> None:
        self.calls.append("lost_state")

    def admitted(self, seq: int) -> None:
        self.calls.append(f"admitted:{seq}")

    def turned_away(self) -> None:
        self.calls.append("turned_away")

    def names(self) -> list[str]:
        return [e.event for e in self.events]


_: type[Subscriber] = Recorder


@asynccontextmanager
async def service(
    *rooms: RoomConfig, settings: ServiceSettings | None = None
) -> AsyncIterator[tuple[RoomsService, ManualClock]]:
    clock = ManualClock()
    backend = MemoryBackend(clock=clock)
    catalog = Catalog(backend, rooms or (ROOM,))
    svc = RoomsService(backend, catalog, clock, settings or ServiceSettings(presence_interval=3600))
    try:
        yield svc, clock
    finally:
        await svc.aclose()
        await backend.aclose()


async def settle(predicate: object = None, rounds: int = 200) -> None:
    """Let the hub's listener deliver what was published (bounded; never a timed sleep)."""
    for _ in range(rounds):
        await asyncio.sleep(0)
        if callable(predicate) and predicate():
            return
