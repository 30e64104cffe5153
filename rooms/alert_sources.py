"""What raises and withdraws alerts from the rooms: reports, raids and unwatched lobbies.

The rules (docs/safety-net.md, "Where alerts come from"):

- **Report** with no facilitator seated (present, not away) in the room: a `report` alert
  whose subject is the stored report's opaque id (`route_report`, called by the server after
  the report was filed and committed). With a facilitator seated, the facilitators have it.
- **Raid**: the engine's `raid.alert` in a room with no facilitator seated raises a `raid`
  alert; `raid.settled` (quiet mode ended by itself) withdraws
  it as `settled`.
- **Lobby**: newcomers waiting in a lobby with no facilitator seated raise a `lobby` alert; it is
  withdrawn `settled` when the lobby empties.
- **A facilitator seated** in the room withdraws its `raid` and `lobby` alerts (`settled`).

The hub hands every node every event of the rooms it serves; one node acts on each event
(`Backend.claim` on the room, epoch and seq), the others skip it. Which alerts are live comes
from the desk's watchers (every node sees every change), so most events cost nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

import facilitation as fx
from rooms.alerts import AlertDenied, AlertDesk
from rooms.errors import BackendUnavailable, RoomsError
from rooms.events import MEMBERS_CHANGED
from rooms.hub import LocalRoom
from rooms.oncall import Alert, AlertKind, CancelReason
from rooms.outbound import OutboundEvent
from rooms.service import RoomsService
from rooms.store.base import ReportRecord
from rooms.store.errors import StoreError

__all__ = ["WATCHED", "AlertSources", "ReportRecords"]

log = logging.getLogger(__name__)

WATCHED = frozenset(
    {
        fx.MemberJoined.NAME,
        fx.MemberUpdated.NAME,
        fx.MemberAway.NAME,
        fx.MemberBack.NAME,
        fx.MemberLeft.NAME,
        fx.LobbyWaiting.NAME,
        fx.LobbyAdmitted.NAME,
        fx.LobbyDenied.NAME,
        fx.RoomReset.NAME,
        fx.RaidAlert.NAME,
        fx.RaidSettled.NAME,
        MEMBERS_CHANGED,  # a busy room's presence, batched (rooms/presence_batch.py)
    }
)
"""Events that may change whether a room needs an alert."""
CLAIM_SECONDS = 600.0
"""How long the "this node handles that event" claim lasts (longer than any delivery lag)."""


class ReportRecords(Protocol):
    """The part of the store report routing needs."""

    async def open_reports(self, room: str | None = None) -> list[ReportRecord]: ...


class AlertSources:
    """Turns room events and reports into alerts; `attach` hooks it into the rooms service."""

    def __init__(self, desk: AlertDesk, service: RoomsService, reports: ReportRecords) -> None:
        self.desk = desk
        self.service = service
        self.reports = reports
        self._live: dict[tuple[AlertKind, str], str] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._unwatch: Callable[[], None] | None = None

    async def attach(self) -> None:
        """Learn the live alerts, follow their changes, and watch the rooms' events."""
        self._unwatch = self.desk.watch(self._saw_alert)
        for alert in (await self.desk.state()).alerts:
            self._saw_alert(alert)
        self.service.hub.hooks.append(self._on_event)

    async def aclose(self) -> None:
        """Stop following the desk and the events still being handled."""
        unwatch, self._unwatch = self._unwatch, None
        if unwatch is not None:
            unwatch()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def live(self, kind: AlertKind, room: str) -> str | None:
        """The id of the room's live alert of this kind (raid, lobby), if any."""
        return self._live.get((kind, room))

    # -- reports ----------------------------------------------------------------------------------

    async def route_report(self, room: str, mid: int, from_member: str) -> str:
        """Where a report just filed went: `"facilitators"` (one is seated) or `"on_call"` (an
        alert was raised, its subject the stored report's id)."""
        config = await self.service.catalog.get(room)
        _, state = await self.service.meetings.load(config, fresh=True)
        if state.facilitator_present():
            return "facilitators"
        try:
            filed = [
                r
                for r in await self.reports.open_reports(room)
                if r.report.mid == mid and r.report.from_member == from_member
            ]
            if filed:
                await self.desk.raise_alert(AlertKind.REPORT, room, filed[-1].id)
            else:
                log.warning("report alert not raised: the report is gone (room %s)", room)
        except (BackendUnavailable, StoreError, AlertDenied) as exc:
            # The report itself is stored; the on-call queue misses it until it is filed again.
            log.warning("report alert not raised (room %s): %s", room, type(exc).__name__)
        return "on_call"

    # -- room events ------------------------------------------------------------------------------

    def _saw_alert(self, alert: Alert) -> None:
        if alert.kind not in (AlertKind.RAID, AlertKind.LOBBY):
            return
        key = (alert.kind, alert.room)
        if not alert.status.closed:
            self._live[key] = alert.id
        elif self._live.get(key) == alert.id:
            del self._live[key]

    def _on_event(self, local: LocalRoom, event: OutboundEvent) -> None:
        if event.event not in WATCHED or self._nothing_to_do(local.slug, event):
            return
        epoch = str(event.frame.get("epoch", ""))
        self._spawn(self._handle(local.slug, event.event, f"{epoch}:{event.seq}"))

    def _nothing_to_do(self, room: str, event: OutboundEvent) -> bool:
        """Skip, without a backend call, the events of a join storm that change nothing: a
        member (not a facilitator) joining, one more newcomer in a lobby already alerted."""
        if event.event == fx.MemberJoined.NAME:
            member = event.frame.get("member")
            return not (isinstance(member, dict) and member.get("role") == "facilitator")
        if event.event == fx.LobbyWaiting.NAME:
            return self.live(AlertKind.LOBBY, room) is not None
        if event.event == MEMBERS_CHANGED:  # a batch of member joins alone changes nothing
            frame = event.frame
            joined = frame.get("joined") or []
            return not (
                frame.get("left")
                or frame.get("away")
                or frame.get("back")
                or any(isinstance(m, dict) and m.get("role") == "facilitator" for m in joined)
            )
        return False

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, room: str, name: str, position: str) -> None:
        try:
            if not await self.service.backend.claim(f"oncall-src:{room}:{position}", CLAIM_SECONDS):
                return  # another node handles this event
            await self._check(room, name)
        except (RoomsError, StoreError) as exc:
            log.warning("alert source (room %s, %s): %s", room, name, type(exc).__name__)

    async def _check(self, room: str, name: str) -> None:
        config = await self.service.catalog.get(room)
        _, state = await self.service.meetings.load(config, fresh=True)
        if name == fx.RaidSettled.NAME:
            await self._withdraw(AlertKind.RAID, room)
        if state.facilitator_present():
            await self._withdraw(AlertKind.RAID, room)
            await self._withdraw(AlertKind.LOBBY, room)
            return
        if name == fx.RaidAlert.NAME:
            self._saw_alert(await self.desk.raise_alert(AlertKind.RAID, room))
        if state.waiting and self.live(AlertKind.LOBBY, room) is None:
            self._saw_alert(await self.desk.raise_alert(AlertKind.LOBBY, room))
        elif not state.waiting:
            await self._withdraw(AlertKind.LOBBY, room)

    async def _withdraw(self, kind: AlertKind, room: str) -> None:
        alert_id = self.live(kind, room)
        if alert_id is None:
            return
        with contextlib.suppress(AlertDenied):  # already closed (another node, or staff)
            await self.desk.withdraw(alert_id, CancelReason.SETTLED)
        # Only now: were the backend away, the alert would still be live, and remembered so.
        if self._live.get((kind, room)) == alert_id:
            del self._live[(kind, room)]
