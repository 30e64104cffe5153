"""Per-node fan-out: one backend subscription per room, shared by every local connection.

The hub keeps `room -> attendees` (rooms/seat.py). The first local attendee of a room opens the
backend subscription; the last one to leave closes it. Every envelope is decoded once and handed,
as one `OutboundEvent`, to every local attendee with a non-blocking `deliver` (STYLE.md §8):
nothing in the fan-out loop awaits a socket.

The hub also guards delivery order. Envelopes carry the room's seq; the hub drops duplicates,
and when it sees a hole (a seq skipped, or a `Gap` from the backend after a reconnect) it fills it
from the replay window before delivering anything newer. If the window cannot fill it, every local
attendee is told its state is insufficient, and its client resumes (and gets an explicit
resync). So a connection either sees every event in order, or is told it did not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import msgpack

from rooms.backends.base import Backend, Envelope, Gap, Position, Resync
from rooms.errors import BackendUnavailable
from rooms.events import CHAT_MESSAGE, REDACTED, ROOM_RESET
from rooms.outbound import FACILITATORS, OutboundEvent, hidden_twin
from rooms.seat import Attendee

__all__ = ["Hub", "LocalRoom", "decode_payload"]

log = logging.getLogger(__name__)

HEAL_LIMIT = 1000
"""Most events the hub will fetch from the window to fill one hole."""

HEAL_ATTEMPTS = 4
"""Tries of one heal before the room's local attendees are told to resume (4010)."""


EventHook = Callable[["LocalRoom", OutboundEvent], None]


def decode_payload(env: Envelope) -> tuple[dict[str, Any], str | None]:
    """Turn a stored envelope into a wire frame and its audience marker."""
    frame: dict[str, Any] = {"type": "event", "seq": env.seq, "epoch": env.epoch, "ts": env.ts_ms}
    if not env.payload:
        frame["event"] = REDACTED
        return frame, None
    body = msgpack.unpackb(env.payload, raw=False)
    audience = body.pop("_a", None)
    frame.update(body)
    if frame.get("event") == CHAT_MESSAGE:
        frame["mid"] = env.seq  # a message's id is its seq (protocol.md §4.1)
    return frame, audience


class LocalRoom:
    """One room's attendees on this node, and the listener that feeds them (fan-out only)."""

    __slots__ = (
        "attendees",
        "closed",
        "expect_new_epoch",
        "failed",
        "followers",
        "hub",
        "position",
        "ready",
        "slug",
        "task",
    )

    def __init__(self, hub: Hub, slug: str) -> None:
        self.hub = hub
        self.slug = slug
        self.attendees: dict[str, Attendee] = {}
        """Local connections by conn id: the rooms layer's own record of each."""
        self.followers = 0
        """Holders that need the room's events (its hooks) without being an attendee: voice
        connections whose chat connection is on another node (server/media_rooms.py)."""
        self.position: Position | None = None
        self.ready = asyncio.Event()
        self.failed: BaseException | None = None
        self.expect_new_epoch = False
        self.task: asyncio.Task[None] | None = None
        self.closed = False
        """The last attendee left: loops that serve this room end (even if a cancellation was
        lost: Python 3.11's `asyncio.timeout` can turn one into a TimeoutError)."""

    def lose_state(self) -> None:
        """Every local connection must resume (this node cannot give them a gapless stream)."""
        for attendee in list(self.attendees.values()):
            attendee.sub.lost_state()

    # -- delivery --------------------------------------------------------------------------

    def dispatch(self, env: Envelope) -> None:
        """Deliver one envelope to every local attendee, in order, without awaiting."""
        started = time.perf_counter()
        frame, audience = decode_payload(env)
        event = OutboundEvent(env.seq, frame, audience)
        self.position = Position(env.seq, env.epoch)
        hidden = hidden_twin(event) if audience == FACILITATORS else None
        for hook in self.hub.hooks:
            hook(self, event)
        for attendee in list(self.attendees.values()):
            if attendee.waiting_ticket is None:  # protocol.md §3.4: the lobby sees nothing
                chosen = hidden if hidden is not None and not attendee.facilitator else event
                attendee.sub.deliver(chosen)
        elapsed = time.perf_counter() - started
        for observe in self.hub.fanout_observers:
            observe(elapsed)
        if event.event == ROOM_RESET:
            self.expect_new_epoch = True

    async def heal(self, upto: Envelope | None) -> None:
        """Fill the hole before `upto` from the replay window, or make attendees resume."""
        assert self.position is not None
        answer = await self.hub.backend.replay(self.slug, self.position, HEAL_LIMIT)
        if isinstance(answer, Resync):
            log.warning(
                "room %s: hole not recoverable (%s); clients resume", self.slug, answer.reason
            )
            self.position = answer.position
            self.lose_state()
            return
        for env in answer:
            if env.seq > self.position.seq:
                self.dispatch(env)

    async def handle(self, item: Envelope | Gap) -> None:
        if isinstance(item, Gap):
            await self.heal(None)
            return
        pos = self.position
        assert pos is not None
        if item.seq <= pos.seq and item.epoch == pos.epoch:
            return  # already delivered (healed earlier, or a duplicate)
        if item.epoch != pos.epoch and not self._expecting_new_epoch(item):
            # The history was rebuilt under us (reset or data loss): nobody may assume a gapless
            # sequence across it, so everyone resumes and gets an explicit resync.
            self.position = Position(item.seq, item.epoch)
            self.lose_state()
            return
        if item.epoch == pos.epoch and item.seq > pos.seq + 1:
            await self.heal(item)
            assert self.position is not None
            if item.seq <= self.position.seq:
                return
        self.dispatch(item)

    def _expecting_new_epoch(self, item: Envelope) -> bool:
        """A `room.reset` passed just before: the next epoch is expected, not a loss."""
        expected, self.expect_new_epoch = self.expect_new_epoch, False
        return expected and self.position is not None and item.seq == self.position.seq + 1

    # -- lifecycle -------------------------------------------------------------------------

    async def _handle_retrying(self, item: Envelope | Gap) -> None:
        """`handle`, retried briefly when the backend fails mid-heal.

        A heal reads the window over a command connection; when the subscriber connection died
        (a black hole, a reset), the pooled command connection often died with it, and the first
        read fails although a fresh connection would work. Sending the whole room away (4010) for
        that is needless. `handle` is idempotent (seq checks), so it simply runs again.
        """
        for attempt in range(HEAL_ATTEMPTS):
            try:
                await self.handle(item)
                return
            except BackendUnavailable:
                if attempt == HEAL_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(0.05 * 2**attempt)

    async def listen(self) -> None:
        backend = self.hub.backend
        try:
            async with backend.subscribe(self.slug) as stream:
                self.position = await backend.position(self.slug)
                self.ready.set()
                async for item in stream:
                    try:
                        await self._handle_retrying(item)
                    except BackendUnavailable:
                        log.warning("room %s: backend unavailable while healing", self.slug)
                        self.lose_state()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # never die silently (STYLE.md §7)
            log.error("room %s: listener failed: %s", self.slug, type(exc).__name__)
            self.failed = exc
            self.ready.set()
            self.lose_state()


class Hub:
    """This node's rooms with at least one local attendee."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.rooms: dict[str, LocalRoom] = {}
        self.hooks: list[EventHook] = []
        self.fanout_observers: list[Callable[[float], None]] = []
        """Called with the seconds one event took from arrival to every local outbox."""
        self.on_room_open: list[Callable[[LocalRoom], None]] = []
        self.on_room_close: list[Callable[[LocalRoom], None]] = []
        """Called when the last local attendee of a room detached (its fan-out is gone)."""

    def _open(self, slug: str) -> LocalRoom:
        room = self.rooms.get(slug)
        if room is None or room.failed is not None:
            if room is not None:
                self._close(room)
            room = LocalRoom(self, slug)
            self.rooms[slug] = room
            room.task = asyncio.create_task(room.listen(), name=f"hub:{slug}")
            for opened in self.on_room_open:
                opened(room)
        return room

    async def attach(self, slug: str, attendee: Attendee) -> LocalRoom:
        """Add an attendee; returns once the room's backend subscription is live."""
        room = self._open(slug)
        room.attendees[attendee.conn_id] = attendee
        await room.ready.wait()
        if room.failed is not None:
            self.detach(slug, attendee.conn_id)
            raise BackendUnavailable("could not subscribe to the room")
        return room

    def detach(self, slug: str, conn_id: str) -> None:
        """Remove an attendee; the last one out closes the room's subscription."""
        room = self.rooms.get(slug)
        if room is None:
            return
        room.attendees.pop(conn_id, None)
        if not room.attendees and not room.followers:
            self._close(room)

    async def follow(self, slug: str) -> Callable[[], None]:
        """Follow a room's events on this node with no attendee in it (hooks and the meeting
        cache stay right; nothing is delivered, nothing counts as presence). Returns the
        function that stops following; the subscription closes when nobody holds it."""
        room = self._open(slug)
        room.followers += 1
        stopped = False

        def unfollow() -> None:
            nonlocal stopped
            if stopped:
                return
            stopped = True
            room.followers -= 1
            if not room.attendees and not room.followers and self.rooms.get(slug) is room:
                self._close(room)

        await room.ready.wait()
        if room.failed is not None:
            unfollow()
            raise BackendUnavailable("could not subscribe to the room")
        return unfollow

    def _close(self, room: LocalRoom) -> None:
        room.closed = True
        if self.rooms.get(room.slug) is room:
            del self.rooms[room.slug]
        if room.task is not None:
            room.task.cancel()
        for closed in self.on_room_close:
            closed(room)

    def local(self, slug: str, member_id: str) -> list[Attendee]:
        """This node's attendees of one member in one room (a person may have several tabs)."""
        room = self.rooms.get(slug)
        if room is None:
            return []
        return [a for a in room.attendees.values() if a.member_id == member_id]

    async def aclose(self) -> None:
        rooms = list(self.rooms.values())
        for room in rooms:
            self._close(room)
        tasks = [r.task for r in rooms if r.task is not None]
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
