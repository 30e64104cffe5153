"""Per-node fan-out: one backend subscription per room, shared by every local connection.

The hub keeps `room -> set of subscribers`. The first local subscriber of a room opens the
backend subscription; the last one to leave closes it. Every envelope is decoded once and handed,
as one `OutboundEvent`, to every local subscriber with a non-blocking `deliver` (STYLE.md §8):
nothing in the fan-out loop awaits a socket.

The hub also guards delivery order. Envelopes carry the room's seq; the hub drops duplicates,
and when it sees a hole (a seq skipped, or a `Gap` from the backend after a reconnect) it fills it
from the replay window before delivering anything newer. If the window cannot fill it, every local
subscriber is told its state is insufficient, and its client resumes (and gets an explicit
resync). So a connection either sees every event in order, or is told it did not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

import msgpack

from rooms.backends.base import Backend, Envelope, Gap, Position, Resync
from rooms.errors import BackendUnavailable
from rooms.outbound import FACILITATORS, OutboundEvent, hidden_twin

__all__ = ["Hub", "LocalRoom", "Subscriber"]

log = logging.getLogger(__name__)

HEAL_LIMIT = 1000
"""Most events the hub will fetch from the window to fill one hole."""

HEAL_ATTEMPTS = 4
"""Tries of one heal before the room's local subscribers are told to resume (4010)."""


class Subscriber(Protocol):
    """A local connection as the hub sees it. None of these methods may block."""

    conn_id: str
    member_id: str | None
    facilitator: bool
    waiting_ticket: str | None
    """Set while the person waits in the lobby; such a subscriber must receive nothing."""

    def deliver(self, event: OutboundEvent, hidden: OutboundEvent | None) -> None:
        """Queue an event (or, for non-facilitators, its hidden twin) for sending."""
        ...

    def evict(self, reason: str) -> None:
        """The person was removed or banned (`reason`): close this connection for good."""
        ...

    def lost_state(self) -> None:
        """This node missed events it cannot recover: the client must resume."""
        ...

    def admitted(self, seq: int) -> None:
        """A facilitator let this waiting person in with the event at `seq`."""
        ...

    def turned_away(self) -> None:
        """A facilitator turned this waiting person away."""
        ...


EventHook = Callable[["LocalRoom", OutboundEvent], None]


def decode_payload(env: Envelope) -> tuple[dict[str, Any], str | None]:
    """Turn a stored envelope into a wire frame and its audience marker."""
    frame: dict[str, Any] = {"type": "event", "seq": env.seq, "epoch": env.epoch, "ts": env.ts_ms}
    if not env.payload:
        frame["event"] = "redacted"
        return frame, None
    body = msgpack.unpackb(env.payload, raw=False)
    audience = body.pop("_a", None)
    frame.update(body)
    if frame.get("event") == "chat.message":
        frame["mid"] = env.seq  # a message's id is its seq (protocol.md §4.1)
    return frame, audience


class LocalRoom:
    """One room's subscribers on this node, and the listener that feeds them."""

    def __init__(self, hub: Hub, slug: str) -> None:
        self.hub = hub
        self.slug = slug
        self.subscribers: dict[str, Subscriber] = {}
        self.seats: dict[str, Any] = {}
        """Seated local connections by conn id (the rooms service keeps it, for presence)."""
        self.presence_wanted = 0
        self.presence_written = 0
        self.presence_writer: asyncio.Future[None] | None = None
        self.position: Position | None = None
        self.ready = asyncio.Event()
        self.changed = asyncio.Event()
        """Set whenever a committed (meeting) event passes; room timers wait on it."""
        self.failed: BaseException | None = None
        self.expect_new_epoch = False
        self.task: asyncio.Task[None] | None = None
        self.extra_tasks: list[asyncio.Task[None]] = []

    # -- delivery --------------------------------------------------------------------------

    def dispatch(self, env: Envelope) -> None:
        """Deliver one envelope to every local subscriber, in order, without awaiting."""
        started = time.perf_counter()
        frame, audience = decode_payload(env)
        event = OutboundEvent(env.seq, frame, audience)
        self.position = Position(env.seq, env.epoch)
        hidden = hidden_twin(event) if audience == FACILITATORS else None
        for hook in self.hub.hooks:
            hook(self, event)
        for sub in list(self.subscribers.values()):
            sub.deliver(event, hidden)
        elapsed = time.perf_counter() - started
        for observe in self.hub.fanout_observers:
            observe(elapsed)
        if event.event == "room.reset":
            self.expect_new_epoch = True
        if event.event not in ("chat.message", "chat.reaction", "observers"):
            self.changed.set()

    async def heal(self, upto: Envelope | None) -> None:
        """Fill the hole before `upto` from the replay window, or make subscribers resume."""
        assert self.position is not None
        answer = await self.hub.backend.replay(self.slug, self.position, HEAL_LIMIT)
        if isinstance(answer, Resync):
            log.warning(
                "room %s: hole not recoverable (%s); clients resume", self.slug, answer.reason
            )
            self.position = answer.position
            for sub in list(self.subscribers.values()):
                sub.lost_state()
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
            for sub in list(self.subscribers.values()):
                sub.lost_state()
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
                        for sub in list(self.subscribers.values()):
                            sub.lost_state()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # never die silently (STYLE.md §7)
            log.error("room %s: listener failed: %s", self.slug, type(exc).__name__)
            self.failed = exc
            self.ready.set()
            for sub in list(self.subscribers.values()):
                sub.lost_state()


class Hub:
    """This node's rooms with at least one local subscriber."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.rooms: dict[str, LocalRoom] = {}
        self.hooks: list[EventHook] = []
        self.fanout_observers: list[Callable[[float], None]] = []
        """Called with the seconds one event took from arrival to every local outbox."""
        self.on_room_open: list[Callable[[LocalRoom], None]] = []

    async def attach(self, slug: str, sub: Subscriber) -> LocalRoom:
        """Add a subscriber; returns once the room's backend subscription is live."""
        room = self.rooms.get(slug)
        if room is None or room.failed is not None:
            room = LocalRoom(self, slug)
            self.rooms[slug] = room
            room.task = asyncio.create_task(room.listen(), name=f"hub:{slug}")
            for opened in self.on_room_open:
                opened(room)
        room.subscribers[sub.conn_id] = sub
        await room.ready.wait()
        if room.failed is not None:
            self.detach(slug, sub)
            raise BackendUnavailable("could not subscribe to the room")
        return room

    def detach(self, slug: str, sub: Subscriber) -> None:
        """Remove a subscriber; the last one out closes the room's subscription."""
        room = self.rooms.get(slug)
        if room is None:
            return
        room.subscribers.pop(sub.conn_id, None)
        if not room.subscribers:
            del self.rooms[slug]
            for task in [room.task, *room.extra_tasks]:
                if task is not None:
                    task.cancel()

    def local(self, slug: str, member_id: str) -> list[Subscriber]:
        room = self.rooms.get(slug)
        if room is None:
            return []
        return [s for s in room.subscribers.values() if s.member_id == member_id]

    async def aclose(self) -> None:
        tasks = [t for r in self.rooms.values() for t in [r.task, *r.extra_tasks] if t]
        self.rooms.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
