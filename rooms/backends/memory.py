"""The in-process backend: the embedded single-node default, and the reference for the contract.

It keeps everything in one `_Store` that several `MemoryBackend` handles can share
(`share_with=`), the way several nodes share one Redis, so the conformance tests can run their
two-node cases here too. Every method is one synchronous step between awaits, which makes each of
them atomic, like a Lua script on Redis.

It behaves as if the data crossed a wire: only bytes go in, a copy is kept, and each subscriber
gets its envelope decoded from the packed form (STYLE.md §6, the lesson of channels' deepcopy).
Time comes from the injected clock only, so tests move it by hand.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from rooms.backends._inbox import Inbox
from rooms.backends._wire import (
    check_blob,
    check_name,
    check_payloads,
    conversation_events,
    new_epoch,
    pack_envelope,
    seconds_to_ms,
    unpack_envelope,
)
from rooms.backends.base import (
    Backend,
    ConversationEvent,
    Envelope,
    Gap,
    Position,
    Resync,
    Versioned,
)
from rooms.clock import Clock, SystemClock
from rooms.errors import BackendUnavailable

__all__ = ["MemoryBackend"]


@dataclass(slots=True)
class _Event:
    seq: int
    ts_ms: int
    payload: bytes  # b"" once redacted


@dataclass(slots=True)
class _Room:
    seq: int = 0
    epoch: str = field(default_factory=new_epoch)
    window: deque[_Event] = field(default_factory=deque)
    state: Versioned | None = None
    presence: dict[str, tuple[int, bytes]] = field(default_factory=dict)  # key -> (expiry ms, info)
    inboxes: set[Inbox] = field(default_factory=set)


@dataclass(slots=True)
class _Store:
    """What all handles of one in-process "cluster" share."""

    rooms: dict[str, _Room] = field(default_factory=dict)
    claims: dict[str, int] = field(default_factory=dict)  # key -> expiry ms
    sessions: dict[str, tuple[int, bytes]] = field(
        default_factory=dict
    )  # key -> (expiry ms, record)
    configs: dict[str, bytes] = field(default_factory=dict)
    sweep_at_ms: int = 0
    talk: _Talk = field(default_factory=lambda: _Talk())


@dataclass(slots=True)
class _Talk:
    """Private conversations: records, counters, kept events, and the bus's subscribers."""

    records: dict[str, tuple[int, bytes]] = field(default_factory=dict)  # key -> (expiry, rec)
    seqs: dict[str, tuple[int, int]] = field(default_factory=dict)  # conversation -> (expiry, seq)
    events: dict[str, deque[ConversationEvent]] = field(default_factory=dict)
    inboxes: set[Inbox] = field(default_factory=set)


class MemoryBackend:
    """`Backend` in process memory.

    Args:
        window_seconds: how long events stay replayable.
        window_max_events: how many events a room's window holds at most.
        clock: where time comes from (default: the system clock).
        queue_size: how far a subscriber may fall behind before its backlog becomes a `Gap`.
        share_with: another handle whose data and pub/sub this one shares, like a second node on
            the same Redis. Window settings are per handle, as they are per Redis client.
    """

    def __init__(
        self,
        *,
        window_seconds: float = 300.0,
        window_max_events: int = 500,
        clock: Clock | None = None,
        queue_size: int = 1000,
        share_with: MemoryBackend | None = None,
    ) -> None:
        if window_seconds <= 0 or window_max_events < 1 or queue_size < 1:
            raise ValueError("window and queue sizes must be positive")
        self._window_ms = seconds_to_ms(window_seconds)
        self._max_events = window_max_events
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._queue_size = queue_size
        self._store: _Store = share_with._store if share_with is not None else _Store()
        self._inboxes: dict[Inbox, str] = {}
        self._closed = False

    # -- events ----------------------------------------------------------------------------

    async def publish(self, room: str, payloads: Sequence[bytes]) -> list[Envelope]:
        r = self._room(room)
        return self._append(r, check_payloads(payloads))

    async def commit(
        self, room: str, expected_version: int, state: bytes, payloads: Sequence[bytes]
    ) -> list[Envelope] | None:
        r = self._room(room)
        state = check_blob(state, "state")
        checked = check_payloads(payloads)
        current = r.state.version if r.state is not None else 0
        if current != expected_version:
            return None
        r.state = Versioned(version=expected_version + 1, data=state)
        return self._append(r, checked)

    async def load_state(self, room: str) -> Versioned | None:
        return self._room(room).state

    @contextlib.asynccontextmanager
    async def subscribe(self, room: str) -> AsyncIterator[AsyncIterator[Envelope | Gap]]:
        r = self._room(room)
        inbox = Inbox(self._queue_size)
        r.inboxes.add(inbox)
        self._inboxes[inbox] = room
        try:
            yield inbox
        finally:
            r.inboxes.discard(inbox)
            self._inboxes.pop(inbox, None)
            inbox.close()

    def subscriber_counts(self) -> dict[str, int]:
        """Open subscriptions of this handle, by room (for health checks and tests)."""
        counts: dict[str, int] = {}
        for room in self._inboxes.values():
            counts[room] = counts.get(room, 0) + 1
        return counts

    # -- history ---------------------------------------------------------------------------

    async def replay(self, room: str, after: Position, limit: int) -> list[Envelope] | Resync:
        r = self._room(room)
        here = Position(r.seq, r.epoch)
        if after.epoch != r.epoch or after.seq > r.seq:
            return Resync("epoch", here)
        if after.seq == r.seq:
            return []
        if r.seq - after.seq > limit:  # more than asked for: "window" only if it holds fewer
            return Resync("window" if r.seq - after.seq > self._max_events else "backlog", here)
        self._trim(r)
        if not r.window or r.window[0].seq > after.seq + 1:
            return Resync("window", here)
        return [Envelope(e.seq, r.epoch, e.ts_ms, e.payload) for e in r.window if e.seq > after.seq]

    async def position(self, room: str) -> Position:
        r = self._room(room)
        return Position(r.seq, r.epoch)

    async def redact(self, room: str, seq: int) -> bool:
        r = self._room(room)
        self._trim(r)
        if not r.window or not r.window[0].seq <= seq <= r.seq:
            return False
        r.window[seq - r.window[0].seq].payload = b""
        return True

    async def reset(self, room: str) -> Position:
        r = self._room(room)
        r.window.clear()
        old = r.epoch
        while r.epoch == old:
            r.epoch = new_epoch()
        return Position(r.seq, r.epoch)

    # -- presence, claims, configs ---------------------------------------------------------

    async def touch_presence(self, room: str, key: str, info: bytes, ttl: float) -> None:
        r = self._room(room)
        r.presence[check_name(key, "key")] = (self._now_ms() + seconds_to_ms(ttl), check_blob(info))

    async def drop_presence(self, room: str, key: str) -> None:
        self._room(room).presence.pop(key, None)

    async def presence(self, room: str) -> dict[str, bytes]:
        r = self._room(room)
        self._expire_presence(r, self._now_ms())
        return {key: info for key, (_, info) in r.presence.items()}

    async def claim(self, key: str, ttl: float) -> bool:
        self._check_open()
        now = self._now_ms()
        expiry = self._store.claims.get(check_name(key, "key"))
        if expiry is not None and expiry > now:
            return False
        self._store.claims[key] = now + seconds_to_ms(ttl)
        return True

    async def put_session(self, key: str, record: bytes, ttl: float) -> None:
        self._check_open()
        expiry = self._now_ms() + seconds_to_ms(ttl)
        self._store.sessions[check_name(key, "key")] = (expiry, check_blob(record, "record"))

    async def get_session(self, key: str) -> bytes | None:
        self._check_open()
        found = self._store.sessions.get(check_name(key, "key"))
        if found is None or found[0] <= self._now_ms():
            return None
        return found[1]

    async def drop_session(self, key: str) -> None:
        self._check_open()
        self._store.sessions.pop(check_name(key, "key"), None)

    async def save_room(self, slug: str, config: bytes) -> None:
        self._check_open()
        self._store.configs[check_name(slug)] = check_blob(config, "config")

    async def load_rooms(self) -> dict[str, bytes]:
        self._check_open()
        return dict(self._store.configs)

    # -- private conversations -------------------------------------------------------------

    async def put_conversation(self, key: str, record: bytes, ttl: float) -> None:
        self._check_open()
        expiry = self._now_ms() + seconds_to_ms(ttl)
        self._talk().records[check_name(key, "key")] = (expiry, check_blob(record, "record"))

    async def get_conversation(self, key: str) -> bytes | None:
        found = self._talk().records.get(check_name(key, "key"))
        if found is None or found[0] <= self._now_ms():
            return None
        return found[1]

    async def append_conversation(
        self, conversation: str, payload: bytes, ttl: float
    ) -> int | None:
        talk = self._talk()
        (payload,) = check_payloads([payload])
        if await self.get_conversation(check_name(conversation, "conversation")) is None:
            return None
        now = self._now_ms()
        _, last = talk.seqs.get(conversation, (0, 0))
        talk.seqs[conversation] = (now + seconds_to_ms(ttl), last + 1)
        event = ConversationEvent(conversation, last + 1, now, payload)
        kept = talk.events.setdefault(conversation, deque())
        kept.append(event)
        self._trim_talk(kept, now)
        wire = pack_envelope(event.seq, conversation, now, payload)
        for inbox in list(talk.inboxes):
            inbox.put(unpack_envelope(wire))
        return event.seq

    async def replay_conversation(self, conversation: str, after: int) -> list[ConversationEvent]:
        kept = self._talk().events.get(check_name(conversation, "conversation"))
        if not kept:
            return []
        self._trim_talk(kept, self._now_ms())
        return [event for event in kept if event.seq > after]

    async def drop_conversation(self, conversation: str) -> None:
        talk = self._talk()
        for table in (talk.records, talk.seqs, talk.events):
            table.pop(check_name(conversation, "conversation"), None)

    @contextlib.asynccontextmanager
    async def subscribe_conversations(
        self,
    ) -> AsyncIterator[AsyncIterator[ConversationEvent | Gap]]:
        talk = self._talk()
        inbox = Inbox(self._queue_size)
        talk.inboxes.add(inbox)
        try:
            yield conversation_events(inbox)
        finally:
            talk.inboxes.discard(inbox)
            inbox.close()

    def _talk(self) -> _Talk:
        self._check_open()
        self._sweep()
        return self._store.talk

    def _trim_talk(self, kept: deque[ConversationEvent], now: int) -> None:
        cutoff = now - self._window_ms
        while kept and (kept[0].ts_ms < cutoff or len(kept) > self._max_events):
            kept.popleft()

    async def ping(self) -> None:
        self._check_open()

    async def aclose(self) -> None:
        self._closed = True
        for inbox, room in list(self._inboxes.items()):
            inbox.close()
            r = self._store.rooms.get(room)
            if r is not None:
                r.inboxes.discard(inbox)
        self._inboxes.clear()

    # -- internals -------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise BackendUnavailable("backend closed")

    def _now_ms(self) -> int:
        return int(self._clock.now() * 1000)

    def _room(self, room: str) -> _Room:
        self._check_open()
        self._sweep()
        r = self._store.rooms.get(check_name(room))
        if r is None:
            r = self._store.rooms[room] = _Room()
        return r

    def _append(self, r: _Room, payloads: list[bytes]) -> list[Envelope]:
        if not payloads:
            return []
        ts = self._now_ms()
        if r.window:
            ts = max(ts, r.window[-1].ts_ms)  # never backwards, as Redis stream ids
        out: list[Envelope] = []
        for payload in payloads:
            r.seq += 1
            r.window.append(_Event(r.seq, ts, payload))
            out.append(Envelope(r.seq, r.epoch, ts, payload))
        self._trim(r)
        for env in out:
            wire = pack_envelope(env.seq, env.epoch, env.ts_ms, env.payload)
            for inbox in list(r.inboxes):
                inbox.put(unpack_envelope(wire))
        return out

    def _trim(self, r: _Room) -> None:
        """Drop events older than the window or beyond its count (STYLE.md §9)."""
        cutoff = self._now_ms() - self._window_ms
        while r.window and (r.window[0].ts_ms < cutoff or len(r.window) > self._max_events):
            r.window.popleft()

    def _expire_presence(self, r: _Room, now: int) -> None:
        for key in [k for k, (expiry, _) in r.presence.items() if expiry <= now]:
            del r.presence[key]

    def _sweep(self) -> None:
        """Now and then, forget aged content of every room, so idle rooms' history goes too."""
        now = self._now_ms()
        store = self._store
        if now < store.sweep_at_ms:
            return
        store.sweep_at_ms = now + max(1000, self._window_ms // 10)
        for r in store.rooms.values():
            self._trim(r)
            self._expire_presence(r, now)
        for key in [k for k, expiry in store.claims.items() if expiry <= now]:
            del store.claims[key]
        for key in [k for k, (expiry, _) in store.sessions.items() if expiry <= now]:
            del store.sessions[key]
        talk = store.talk
        for key in [k for k, (expiry, _) in talk.records.items() if expiry <= now]:
            del talk.records[key]
        for key in [k for k, (expiry, _) in talk.seqs.items() if expiry <= now]:
            del talk.seqs[key]
        for key, kept in list(talk.events.items()):
            self._trim_talk(kept, now)
            if not kept:
                del talk.events[key]


_: type[Backend] = MemoryBackend
