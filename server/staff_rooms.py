"""Live room views for this node's staff consoles: `staff.rooms`, coalesced to at most one a
`COALESCE_SECONDS`, and the `oncall` count (docs/protocol.md §10).

Views are computed from what the rooms layer already keeps (the meeting state in the backend,
presence for observers) and the on-call alerts this node mirrors. A room with people on this
node wakes the loop at once (a hub hook on its events); rooms whose people are all on other
nodes are read again every `REFRESH_SECONDS`. Nothing runs while no console is open here.

Rule: a console gets only the rooms whose view changed since the last `staff.rooms` (its ack
had them all); clients merge by `slug`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from rooms.clock import Clock
from rooms.errors import BackendUnavailable
from rooms.events import OBSERVERS, changes_meeting
from rooms.hub import LocalRoom
from rooms.outbound import OutboundEvent
from rooms.service import RoomsService
from server.staff_views import room_view

__all__ = ["COALESCE_SECONDS", "REFRESH_SECONDS", "RoomsWatch"]

log = logging.getLogger(__name__)

COALESCE_SECONDS: Final = 1.0
"""At most one `staff.rooms` per this many seconds, however busy the rooms are."""

REFRESH_SECONDS: Final = 3.0
"""How often rooms are read again when nothing on this node said they changed."""

View = dict[str, Any]


class RoomsWatch:
    """Room views and their changes, for one node's consoles."""

    def __init__(
        self,
        service: RoomsService,
        clock: Clock,
        alert_of: Callable[[], Mapping[str, str]],
    ) -> None:
        self.service = service
        self.clock = clock
        self._alert_of = alert_of
        self._sent: dict[str, View] = {}
        """What the consoles were last told of each room."""
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        service.hub.hooks.append(self._on_event)

    def _on_event(self, local: LocalRoom, event: OutboundEvent) -> None:
        if self._task is not None and (event.event == OBSERVERS or changes_meeting(event.event)):
            self._wake.set()

    def poke(self) -> None:
        """Something outside the rooms changed a view (an alert): look again soon."""
        self._wake.set()

    async def views(self) -> list[View]:
        """Every room's view now (for a console's ack; the change tracking is left alone)."""
        alerts = self._alert_of()
        hub = self.service.hub
        now = self.clock.now()
        out = []
        for room in await self.service.catalog.all():
            _, state = await self.service.meetings.load(room, fresh=room.slug not in hub.rooms)
            observers = await self.service.presence.count_observers(room.slug)
            out.append(
                room_view(room, state, observers=observers, alert=alerts.get(room.slug), now=now)
            )
        return out

    async def changes(self) -> list[View]:
        """The views that differ from what was last sent, now remembered as sent."""
        changed = [view for view in await self.views() if self._sent.get(view["slug"]) != view]
        self._sent.update((view["slug"], view) for view in changed)
        return changed

    def start(
        self, publish: Callable[[list[View]], None], also: Callable[[], Awaitable[None]]
    ) -> None:
        """Run the loop (the first console arrived): `publish` changed views; `also` runs after
        each look (the on-call count)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(publish, also), name="staff-rooms")

    async def stop(self) -> None:
        """The last console left: stop, and forget what was sent."""
        task, self._task = self._task, None
        self._sent.clear()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(
        self, publish: Callable[[list[View]], None], also: Callable[[], Awaitable[None]]
    ) -> None:
        await self.changes()  # the consoles' acks carried the views as they are now
        last = self.clock.now()
        while True:
            await self._sleep(last + REFRESH_SECONDS)
            self._wake.clear()
            await self.clock.sleep_until(last + COALESCE_SECONDS)
            last = self.clock.now()
            try:
                changed = await self.changes()
                await also()
            except BackendUnavailable:
                log.warning("staff rooms: backend unavailable; trying again")
                continue
            if changed:
                publish(changed)

    async def _sleep(self, until: float) -> None:
        """Until `until` on the node's clock, or until woken."""
        if self._wake.is_set():
            return
        waiters = {
            asyncio.ensure_future(self._wake.wait()),
            asyncio.ensure_future(self.clock.sleep_until(until)),
        }
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
