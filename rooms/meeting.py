"""Applying facilitation commands across nodes: load, decide, compare-and-set, publish.

The engine in `facilitation/` is pure; this module is its I/O driver. Every transition reads
the room's state and version, asks `decide`, and writes the new state together with its events in
one atomic `commit`. If another node changed the room in between, the commit fails and we go
round again on the fresh state, so two facilitators on two nodes (or two nodes racing on one
deadline) can never both advance a round: exactly one commit per transition wins.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import msgpack

import facilitation as fx
from facilitation.serialize import PlainCache
from rooms.backends.base import Backend, Envelope
from rooms.clock import Clock
from rooms.errors import Denied
from rooms.live import CachedMeeting, LiveRoom, LiveRooms
from rooms.model import RoomConfig
from rooms.outbound import FACILITATORS
from rooms.presence_batch import fold, runs

__all__ = ["Applied", "MeetingStore", "RoomRules", "follow_format"]


def follow_format(state: fx.MeetingState, room: RoomConfig) -> fx.MeetingState:
    """The stored meeting with the room's configured format, if it changed since the state was
    made (an admin gave the room another format, or a node upgraded a default room): taken up
    between meetings only, never in the middle of one. The next commit stores it."""
    if state.format == room.format or state.part is not None:
        return state
    return replace(state, format=room.format)


log = logging.getLogger(__name__)

MAX_ATTEMPTS = 16


@dataclass(frozen=True, slots=True)
class RoomRules:
    """Node-wide settings the engine needs when it creates a room's first state."""

    grace_seconds: float = 20.0
    seat_hold_seconds: float = 300.0
    raid_joins: int = 10
    raid_window_seconds: float = 30.0
    raid_listen_only_seconds: float = 300.0
    """Newcomers listen this long in quiet mode (a raid with no facilitator present)."""


@dataclass(frozen=True, slots=True)
class Applied:
    """The outcome of an accepted command: the state as committed and what was published."""

    state: fx.MeetingState
    version: int
    events: tuple[fx.Event, ...]
    envelopes: tuple[Envelope, ...]


def _body(event: fx.Event) -> dict[str, Any]:
    body: dict[str, Any] = fx.to_wire(event)
    if event.AUDIENCE == "facilitators":
        body["_a"] = FACILITATORS
    return body


def _pack(body: dict[str, Any]) -> bytes:
    packed: bytes = msgpack.packb(body, use_bin_type=True)
    return packed


def encode_events(events: Sequence[fx.Event], *, batch: bool) -> tuple[list[bytes], list[int]]:
    """A commit's events as stream payloads (the rooms layer's format), and for each event the
    index of its payload.

    With `batch` (a busy room), each run of presence events is one `members.changed` payload
    (rooms/presence_batch.py); otherwise every event is its own payload.
    """
    bodies = [_body(e) for e in events]
    groups = runs(bodies) if batch else [(i, i + 1) for i in range(len(bodies))]
    payloads: list[bytes] = []
    owner: list[int] = []
    for start, end in groups:
        body = bodies[start] if end - start == 1 else fold(bodies[start:end])
        owner.extend([len(payloads)] * (end - start))
        payloads.append(_pack(body))
    return payloads, owner


def encode_state(state: fx.MeetingState, cache: PlainCache | None = None) -> bytes:
    packed: bytes = msgpack.packb(fx.to_dict(state, cache), use_bin_type=True)
    return packed


@dataclass(slots=True)
class _Pending:
    """A command waiting for this node's next commit of its room."""

    command: fx.Command
    actor: fx.Actor | None
    outcome: asyncio.Future[Applied]


class MeetingStore:
    """Reads and changes rooms' meeting state through the backend, with a per-room cache.

    The cache, the commit lock and the command queue of a room live in its `LiveRoom`, which
    this store holds only while it works on the room: a room nobody here is in keeps nothing.
    """

    def __init__(
        self,
        backend: Backend,
        clock: Clock,
        rules: RoomRules,
        rooms: LiveRooms,
        *,
        batch_presence_from: int = 50,
    ) -> None:
        self.backend = backend
        self.clock = clock
        self.rules = rules
        self.rooms = rooms
        self.batch_presence_from = batch_presence_from
        """Rooms of this many people or more get a commit's presence events as one event."""

    def fresh_state(self, room: RoomConfig) -> fx.MeetingState:
        return fx.MeetingState.new(
            self_led=room.self_led,
            default_share_seconds=room.share_seconds,
            base_mode="listen_only" if room.listen_only else "open",
            grace_seconds=self.rules.grace_seconds,
            seat_hold_seconds=self.rules.seat_hold_seconds,
            raid_joins=self.rules.raid_joins,
            raid_window_seconds=self.rules.raid_window_seconds,
            raid_listen_only_seconds=self.rules.raid_listen_only_seconds,
            format=room.format,
        )

    def invalidate(self, slug: str) -> None:
        live = self.rooms.get(slug)
        if live is not None:
            live.invalidate()

    def saw_event(self, slug: str, seq: int, epoch: str) -> None:
        """A meeting event passed: the cache is stale unless it already includes that event."""
        live = self.rooms.get(slug)
        if live is not None and live.meeting is not None and not live.meeting.covers(seq, epoch):
            live.invalidate()

    async def load(self, room: RoomConfig, *, fresh: bool = False) -> tuple[int, fx.MeetingState]:
        """The room's state and version; from this node's cache unless `fresh`."""
        with self.rooms.using(room.slug) as live:
            return await self._load(live, room, fresh=fresh)

    async def _load(
        self, live: LiveRoom, room: RoomConfig, *, fresh: bool
    ) -> tuple[int, fx.MeetingState]:
        if not fresh and live.meeting is not None:
            return live.meeting.version, live.meeting.state
        stored = await self.backend.load_state(room.slug)
        if stored is None:
            cached = CachedMeeting(0, self.fresh_state(room))
        else:
            data = msgpack.unpackb(stored.data, raw=False)
            state = follow_format(fx.from_dict(data), room)
            cached = CachedMeeting(stored.version, state)
        live.meeting = cached
        return cached.version, cached.state

    async def apply(self, room: RoomConfig, command: fx.Command, actor: fx.Actor | None) -> Applied:
        """Decide and commit `command`, retrying on conflicts with other nodes.

        Commands for one room that arrive on this node while a commit is in flight are decided
        one after another on the same state and written together in one compare-and-set (a
        group commit). Each still gets its own outcome and its own envelopes, in order. So a
        join storm costs a handful of commits instead of one per joiner, and compare-and-set
        only ever races other nodes, never this node's own connections.

        Raises:
            Denied: the engine said no (nothing changed), or the room changed under us too
                many times in a row (`busy`).
        """
        item = _Pending(command, actor, asyncio.get_running_loop().create_future())
        with self.rooms.using(room.slug) as live:
            live.queue.append(item)
            try:
                async with live.lock:
                    if not item.outcome.done():
                        batch, live.queue = live.queue, []
                        await self._apply_or_fail(live, room, batch)
            except asyncio.CancelledError:
                item.outcome.cancel()  # nobody will read it: a later batch skips it
                raise
        return item.outcome.result()

    async def _apply_or_fail(self, live: LiveRoom, room: RoomConfig, batch: list[_Pending]) -> None:
        try:
            await self._apply_batch(live, room, batch)
        except BaseException as exc:
            for pending in batch:
                if not pending.outcome.done():
                    pending.outcome.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise

    async def _apply_batch(self, live: LiveRoom, room: RoomConfig, batch: list[_Pending]) -> None:
        fresh = False
        for _ in range(MAX_ATTEMPTS):
            version, start = await self._load(live, room, fresh=fresh)
            decided, state = self._decide(start, batch)
            if not fresh and any(isinstance(r, fx.Refused) for _, r in decided):
                fresh = True  # refuse only on the freshest state, never on a stale cache
                continue
            events = [e for _, r in decided if isinstance(r, fx.Accepted) for e in r.events]
            envelopes: list[Envelope] = []
            busy = len(state.participants) >= self.batch_presence_from
            payloads, owner = encode_events(events, batch=busy)
            if events or state != start:
                blob = encode_state(state, live.plain)
                committed = await self.backend.commit(room.slug, version, blob, payloads)
                if committed is None:
                    fresh = True
                    continue
                envelopes, version = committed, version + 1
                live.meeting = _written(version, state, envelopes)
            _settle(decided, state, version, envelopes, owner)
            return
        raise Denied.busy()

    def _decide(
        self, state: fx.MeetingState, batch: list[_Pending]
    ) -> tuple[list[tuple[_Pending, fx.Accepted | fx.Refused]], fx.MeetingState]:
        now = self.clock.now()
        decided: list[tuple[_Pending, fx.Accepted | fx.Refused]] = []
        for pending in batch:
            result = fx.decide(state, pending.command, actor=pending.actor, now=now)
            if isinstance(result, fx.Accepted):
                state = result.state
            decided.append((pending, result))
        return decided, state

    async def apply_many(
        self, room: RoomConfig, commands: Sequence[fx.Command]
    ) -> list[Applied | Denied]:
        """System commands (presence sweeps), queued together so that they share a group commit
        (a node's worth of people marked away is one `members.changed` in a busy room);
        refusals are returned, not raised."""

        async def one(command: fx.Command) -> Applied | Denied:
            try:
                return await self.apply(room, command, None)
            except Denied as exc:
                return exc

        return list(await asyncio.gather(*(one(c) for c in commands)))


def _written(version: int, state: fx.MeetingState, envelopes: list[Envelope]) -> CachedMeeting:
    """The cache after this node's own commit: it knows the events it already contains."""
    if not envelopes:
        return CachedMeeting(version, state)
    last = envelopes[-1]
    return CachedMeeting(version, state, last.epoch, last.seq)


def _settle(
    decided: list[tuple[_Pending, fx.Accepted | fx.Refused]],
    state: fx.MeetingState,
    version: int,
    envelopes: list[Envelope],
    owner: list[int],
) -> None:
    """Give each command of a committed batch its own outcome and its own envelopes (an
    envelope that carries several commands' presence events is each of theirs)."""
    offset = 0
    for pending, result in decided:
        if isinstance(result, fx.Refused):
            if not pending.outcome.done():
                pending.outcome.set_exception(Denied.refused(result))
            continue
        indices = dict.fromkeys(owner[offset : offset + len(result.events)])
        mine = tuple(envelopes[i] for i in indices) if envelopes else ()
        offset += len(result.events)
        if not pending.outcome.done():  # its caller was cancelled; the commit stands
            pending.outcome.set_result(Applied(state, version, result.events, mine))
