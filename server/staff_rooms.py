"""Live room views for this node's staff consoles: `staff.rooms`, coalesced to at most one a
`COALESCE_SECONDS`, and the `oncall` count (docs/protocol.md §10).

Views are computed from what the rooms layer already keeps (the meeting state in the backend,
presence for observers) and the on-call alerts this node mirrors. A room with people on this
node wakes the loop at once (a hub hook on its events) and only that room is read again; so is
the room of an alert that changed (`poke`). Every room is read again every `REFRESH_SECONDS`
(rooms whose people are all on other nodes). Nothing runs while no console is open here.
A failing look is logged (the exception's type only) and the loop goes on.

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

REFRESH_SECONDS: Final = 10.0
"""How often every room is read again (a full sweep), whatever this node heard."""

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
        self._dirty: set[str] = set()
        """Rooms to read again at the next look (their events, their alerts)."""
        self._task: asyncio.Task[None] | None = None
        service.hub.hooks.append(self._on_event)

    def _on_event(self, local: LocalRoom, event: OutboundEvent) -> None:
        if self._task is not None and (event.event == OBSERVERS or changes_meeting(event.event)):
            self._dirty.add(local.slug)
            self._wake.set()

    def poke(self, room: str) -> None:
        """Something outside the rooms changed a room's view (its alert): look again soon."""
        if self._task is not None:
            self._dirty.add(room)
            self._wake.set()

    async def views(self, only: set[str] | None = None) -> list[View]:
        """Every room's view now (for a console's ack; the change tracking is left alone), or
        those of the rooms in `only`."""
        alerts = self._alert_of()
        hub = self.service.hub
        now = self.clock.now()
        out = []
        rooms = await self.service.catalog.all()
        for room in rooms if only is None else [r for r in rooms if r.slug in only]:
            _, state = await self.service.meetings.load(room, fresh=room.slug not in hub.rooms)
            observers = await self.service.presence.count_observers(room.slug)
            out.append(
                room_view(room, state, observers=observers, alert=alerts.get(room.slug), now=now)
            )
        return out

    async def changes(self, only: set[str] | None = None) -> list[View]:
        """The views (of `only`, or all) that differ from what was last sent, now remembered."""
        views = await self.views(only)
        changed = [view for view in views if self._sent.get(view["slug"]) != view]
        self._sent.update((view["slug"], view) for view in changed)
        return changed

    def start(
        self, publish: Callable[[list[View]], None], also: Callable[[], Awaitable[object]]
    ) -> None:
        """Run the loop (the first console arrived): `publish` changed views; `also` runs after
        each look (the on-call count)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(publish, also), name="staff-rooms")
            self._task.add_done_callback(_log_end)

    async def stop(self) -> None:
        """The last console left: stop, and forget what was sent."""
        task, self._task = self._task, None
        self._sent.clear()
        self._dirty.clear()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(
        self, publish: Callable[[list[View]], None], also: Callable[[], Awaitable[object]]
    ) -> None:
        with contextlib.suppress(Exception):  # acks carried the views: remember, send nothing
            await self.changes()
        last = swept = self.clock.now()
        while True:
            await self._sleep(swept + REFRESH_SECONDS)
            self._wake.clear()
            await self.clock.sleep_until(last + COALESCE_SECONDS)
            last = self.clock.now()
            full = last >= swept + REFRESH_SECONDS
            if full:
                swept = last
            only, self._dirty = (None if full else self._dirty), set()
            await self._look(only, publish, also)

    async def _look(
        self,
        only: set[str] | None,
        publish: Callable[[list[View]], None],
        also: Callable[[], Awaitable[object]],
    ) -> None:
        """One look (every room, or `only` those); a failure is logged and the loop goes on."""
        try:
            changed = await self.changes(only)
            await also()
        except BackendUnavailable:
            log.warning("staff rooms: backend unavailable; trying again")
            return
        except Exception as exc:  # never the loop's end; never the text (it may name people)
            log.warning("staff rooms: look failed: %s", type(exc).__name__)
            return
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


def _log_end(task: asyncio.Task[None]) -> None:
    """The loop ends only by `stop`; if it ends otherwise, say so (the type only)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("staff rooms stopped: %s", type(task.exception()).__name__)
