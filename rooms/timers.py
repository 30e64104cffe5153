"""Room timers: each room with people on this node sleeps until its next deadline, then ticks.

The engine says when (`next_deadline`); this task only waits and applies `Tick`. Several nodes
may wait on the same room, and the compare-and-set makes the tick fire once cluster-wide. A
meeting event wakes the timer early (`LiveRoom.changed`), because it may move the deadline.
"""

from __future__ import annotations

import asyncio
import logging
import random

import facilitation as fx
from rooms.catalog import Catalog
from rooms.clock import Clock, sleep_until_or
from rooms.hub import LocalRoom
from rooms.live import LiveRoom
from rooms.meeting import MeetingStore

__all__ = ["RoomTimer"]

log = logging.getLogger(__name__)

JITTER_SECONDS = 0.05
"""Spread of the wake-up, so that nodes sharing a room do not all race for the same tick."""


class RoomTimer:
    """Runs the deadline loop of each room that has people on this node."""

    def __init__(self, catalog: Catalog, meetings: MeetingStore, clock: Clock) -> None:
        self.catalog = catalog
        self.meetings = meetings
        self.clock = clock

    async def run(self, live: LiveRoom, local: LocalRoom) -> None:
        """Sleep until the room's next deadline, then tick it (CAS: fires once cluster-wide)."""
        await local.ready.wait()
        while not local.closed:
            try:
                await self._step(live, local)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("room %s: timer: %s", live.slug, type(exc).__name__)
                await asyncio.sleep(1.0)

    async def _step(self, live: LiveRoom, local: LocalRoom) -> None:
        room = await self.catalog.get(live.slug)
        _, state = await self.meetings.load(room)
        deadline = fx.next_deadline(state)
        live.changed.clear()
        if local.closed:
            return  # closed while loading (see LocalRoom.closed)
        if deadline is None:
            await live.changed.wait()
            return
        await sleep_until_or(self.clock, deadline + random.uniform(0, JITTER_SECONDS), live.changed)
        if self.clock.now() >= deadline:
            await self.meetings.apply(room, fx.Tick(), None)
