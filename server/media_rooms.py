"""A node's media connections by room: the floor check, the relay, and `live` for speakers.

`speak` is the hot path: one pure rule check (`facilitation.may_be_heard`) on the meeting state
this node already holds, then one publish to the room's audio channel. `on_event` is a hub hook:
any meeting event in a room with speakers here schedules one recheck, so a speaker hears
`live: false` the moment a share ends however it ends (and `live: true` when the floor comes),
and a person who leaves or is removed loses their media connections at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import facilitation as fx
from rooms.errors import BackendUnavailable, RoomsError
from rooms.events import MEMBER_LEFT, changes_meeting
from rooms.hub import LocalRoom
from rooms.outbound import OutboundEvent
from rooms.service import RoomsService
from rooms.voice_bus import AudioBus
from server import media_wire as wire
from server import metrics
from server.codes import CloseCode
from server.media_link import MediaLink

__all__ = ["MediaRooms"]

UNREACHABLE = (BackendUnavailable, RoomsError)
"""The meeting state cannot be read: nothing is relayed and nobody's `live` changes."""

RECHECK_ROUNDS = 8
"""A burst of events during one recheck is followed by at most this many more (bounded)."""


class MediaRooms:
    """Every media connection on this node, by room."""

    def __init__(self, service: RoomsService, bus: AudioBus) -> None:
        self.service = service
        self.bus = bus
        self.links: dict[str, dict[str, MediaLink]] = {}
        self._stops: dict[str, Callable[[], None]] = {}
        """conn_id -> stop listening (the link's own sink on the audio bus)."""
        self._follows: dict[str, Callable[[], None]] = {}
        """conn_id -> stop following the room's events (server/media.py keeps one per link)."""
        self._dirty: set[str] = set()
        self._rechecks: dict[str, asyncio.Task[None]] = {}
        service.hub.hooks.append(self.on_event)

    async def aclose(self) -> None:
        for task in list(self._rechecks.values()):
            task.cancel()
        for held in (self._stops, self._follows):
            for stop in list(held.values()):
                stop()
            held.clear()
        await self.bus.aclose()

    async def add(self, link: MediaLink) -> None:
        """Hold the link, and follow its room's events on this node (its chat connection may be
        on another node): the meeting cache stays right and removals reach the link."""
        self.links.setdefault(link.slug, {})[link.conn_id] = link
        self._follows[link.conn_id] = await self.service.hub.follow(link.slug)

    def remove(self, link: MediaLink) -> None:
        for held in (self._stops, self._follows):
            stop = held.pop(link.conn_id, None)
            if stop is not None:
                stop()
        room = self.links.get(link.slug)
        if room is not None:
            room.pop(link.conn_id, None)
            if not room:
                del self.links[link.slug]

    # -- listening --------------------------------------------------------------------------------

    async def set_listening(self, link: MediaLink, on: bool) -> None:
        link.listening = on
        if not on:
            stop = self._stops.pop(link.conn_id, None)
            if stop is not None:
                stop()
            link.audio.clear()
            return
        if link.conn_id in self._stops:
            return

        def sink(frame: bytes) -> None:
            if wire.source_of(frame) != link.member:  # nobody hears themselves
                link.push_audio(frame)

        try:
            self._stops[link.conn_id] = await self.bus.listen(link.slug, sink)
        except BackendUnavailable:
            link.tell("listening", on=False, code="unavailable")
            return
        if link.closing is not None:  # it went while the subscription was made
            self._stops.pop(link.conn_id)()

    # -- speaking ---------------------------------------------------------------------------------

    async def set_speaking(self, link: MediaLink, on: bool) -> None:
        link.speaking = on
        if not on:
            self._tell(link, None)
            return
        with contextlib.suppress(*UNREACHABLE):
            self._tell(link, await self._refusal(link))

    async def speak(self, link: MediaLink, frame: wire.AudioFrame) -> None:
        """Relay one frame if the floor lets this person be heard now; else drop it."""
        link.speaking = True
        try:
            refusal = await self._refusal(link)
        except UNREACHABLE:
            return  # no state to judge by (the backend is away): nothing is relayed
        self._tell(link, refusal)
        if refusal is not None:
            metrics.audio_refused(str(refusal.code))
            if not link.refused_told:
                link.refused_told = True
                link.tell("refused", code=str(refusal.code), message=refusal.detail)
            return
        try:
            await self.bus.publish(link.slug, wire.relayed(frame, link.member))
        except BackendUnavailable:
            return
        metrics.audio("relayed")

    async def _refusal(self, link: MediaLink) -> fx.Refused | None:
        """Why `link` may not be heard now (None: it may). Raises `UNREACHABLE` errors."""
        state = await self._state(link.slug)
        actor = fx.Actor(link.member, link.observer)
        return fx.may_be_heard(state, actor, self.service.clock.now())

    async def _state(self, slug: str) -> fx.MeetingState:
        """The meeting state this node holds (its cache, kept right by the hub, which follows
        every room with a media connection here), else a load."""
        live = self.service.rooms.get(slug)
        if live is not None and live.meeting is not None:
            return live.meeting.state
        room = await self.service.catalog.get(slug)
        return (await self.service.meetings.load(room))[1]

    @staticmethod
    def _tell(link: MediaLink, refusal: fx.Refused | None) -> None:
        """Send `live` when it changed for a speaker (`refusal` None: heard)."""
        live = link.speaking and refusal is None
        if live:
            link.refused_told = False
        if live == link.live:
            return
        link.live = live
        fields: dict[str, object] = {"live": live}
        if refusal is not None:
            fields["code"] = str(refusal.code)
        link.tell("live", **fields)

    # -- room events ------------------------------------------------------------------------------

    def on_event(self, local: LocalRoom, event: OutboundEvent) -> None:
        """Hub hook (runs before the event reaches anyone's chat connection)."""
        room = self.links.get(local.slug)
        if room is None:
            return
        if event.event == MEMBER_LEFT:
            member = str(event.frame.get("member"))
            removed = event.frame.get("reason") in ("removed", "banned")
            code = CloseCode.REMOVED if removed else CloseCode.NORMAL
            for link in [x for x in room.values() if x.member == member]:
                link.close(code, "removed" if removed else "left")
        if changes_meeting(event.event) and any(x.speaking for x in room.values()):
            self._dirty.add(local.slug)
            if local.slug not in self._rechecks:
                task = asyncio.create_task(self._recheck(local.slug))
                self._rechecks[local.slug] = task

    async def _recheck(self, slug: str) -> None:
        try:
            for _ in range(RECHECK_ROUNDS):
                if slug not in self._dirty:
                    return
                self._dirty.discard(slug)
                for link in [x for x in self.links.get(slug, {}).values() if x.speaking]:
                    with contextlib.suppress(*UNREACHABLE):
                        self._tell(link, await self._refusal(link))
        finally:
            self._rechecks.pop(slug, None)
            self._dirty.discard(slug)
