"""The one backend interface behind rooms: what both implementations promise.

A backend is the only shared state of a sharecircle cluster. Every node talks to it through this
small protocol, and `tests/rooms/test_backend_conformance.py` runs the same tests against the
in-memory and the Redis implementation, so the rooms above cannot tell which one they have.

What a backend keeps, per room:

- a **sequence**: every published event gets the next integer, cluster-wide, starting at 1;
- an **epoch**: a short random string naming the room's current history; it changes when the
  history is reset (`reset`) or found lost, so a client's `(seq, epoch)` position from before can
  never silently match the new history;
- a **replay window**: the recent events, bounded in age (`window_seconds`) and count
  (`window_max_events`); it is the only history there is (docs/privacy.md);
- the **meeting state**: one opaque blob with a version, changed only by compare-and-set, together
  with the events that describe the change (one atomic step, so events and state never disagree);
- **presence**: keys with a time-to-live, refreshed by the node that holds the connection, so a
  dead node's people vanish when their keys expire;
- **room configs**, so a room an admin creates on one node exists on all of them;
- **sessions**: one small record per session with a time-to-live, so a session revoked on one node
  (leave, removal, ban) is revoked on all of them (rooms/sessions.py).

And, beside the rooms, **private conversations** (rooms/talk.py): small records with a
time-to-live, and per conversation a sequence and a window of events, each event kept only for
the replay window and everything deleted at once by `drop_conversation`. Their events travel on
one cluster-wide conversation bus, never on a room's stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "Backend",
    "ConversationEvent",
    "Envelope",
    "Gap",
    "Position",
    "Resync",
    "Versioned",
]


@dataclass(frozen=True, slots=True)
class Position:
    """Where a reader is in a room's history: the last seq it saw, in which epoch."""

    seq: int
    epoch: str


@dataclass(frozen=True, slots=True)
class Envelope:
    """One published event as the backend stores and delivers it.

    `payload` is opaque to the backend (msgpack bytes made by the rooms layer). An empty payload
    means the event was redacted (`Backend.redact`): its seq stays, its content is gone.
    """

    seq: int
    epoch: str
    ts_ms: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class Gap:
    """Yielded by a subscription when it may have missed events (reconnect, resubscribe).

    After a Gap the subscriber must catch up from its last seen position with `replay`, or tell
    its clients to resume; pub/sub delivery is at most once.
    """

    reason: str


@dataclass(frozen=True, slots=True)
class Resync:
    """Answer of `replay` when the window cannot bridge the gap; carries the current position."""

    reason: str
    """"epoch" (history was reset or lost), "window" (events aged out or were pushed out),
    "backlog" (more than the caller's limit, though the window holds them all), or, from the
    rooms layer, "ahead" and "reseated"."""
    position: Position


@dataclass(frozen=True, slots=True)
class Versioned:
    """A room's meeting-state blob and its version (1 after the first successful commit)."""

    version: int
    data: bytes


@dataclass(frozen=True, slots=True)
class ConversationEvent:
    """One event of a private conversation: its own seq (1, 2, ... per conversation), the
    backend's time, and an opaque payload. It is never part of any room's history."""

    conversation: str
    seq: int
    ts_ms: int
    payload: bytes


class Backend(Protocol):
    """The contract both backends meet. All methods may raise `rooms.errors.BackendUnavailable`."""

    async def publish(self, room: str, payloads: Sequence[bytes]) -> list[Envelope]:
        """Append events to the room atomically, giving each the next seq; fan them out.

        Returns the envelopes in order. Subscribers on every node receive them in seq order.
        """
        ...

    async def commit(
        self, room: str, expected_version: int, state: bytes, payloads: Sequence[bytes]
    ) -> list[Envelope] | None:
        """Compare-and-set the meeting state and publish `payloads` in one atomic step.

        Args:
            room: the room slug.
            expected_version: the version the caller read (0 when `load_state` gave None).
            state: the new state blob; it gets version `expected_version + 1`.
            payloads: events describing the change, published only if the swap happens.

        Returns:
            The published envelopes, or None if the stored version was not `expected_version`
            (nothing was written or published then).
        """
        ...

    async def load_state(self, room: str) -> Versioned | None:
        """The room's current meeting state, or None if no commit ever happened."""
        ...

    def subscribe(self, room: str) -> AbstractAsyncContextManager[AsyncIterator[Envelope | Gap]]:
        """Receive the room's events as they are published, until the context exits.

        The iterator yields envelopes in seq order, and a `Gap` whenever delivery may have skipped
        some (after the backend reconnects). It never ends by itself while the context is open.
        Leaving the context always unsubscribes, also when the block raises.
        """
        ...

    async def replay(self, room: str, after: Position, limit: int) -> list[Envelope] | Resync:
        """Every event after `after.seq`, in order, if the window still holds all of them.

        Returns `Resync` when `after.epoch` is not the current epoch (`epoch`), when events
        after `after.seq` have left the window (`window`), or when more than `limit` would be
        returned (`backlog`, or `window` if that is more than the window holds). An empty
        list means the reader is up to date. Redacted events come back with an empty payload.
        """
        ...

    async def position(self, room: str) -> Position:
        """The room's latest seq (0 if none yet) and current epoch (created if none yet)."""
        ...

    async def redact(self, room: str, seq: int) -> bool:
        """Remove an event's content from the window; False if it is no longer there."""
        ...

    async def reset(self, room: str) -> Position:
        """Wipe the room's window and start a new epoch; the seq keeps counting up."""
        ...

    async def touch_presence(self, room: str, key: str, info: bytes, ttl: float) -> None:
        """Create or refresh a presence entry that disappears `ttl` seconds from now."""
        ...

    async def drop_presence(self, room: str, key: str) -> None:
        """Remove a presence entry at once (a clean leave)."""
        ...

    async def presence(self, room: str) -> dict[str, bytes]:
        """The room's unexpired presence entries."""
        ...

    async def claim(self, key: str, ttl: float) -> bool:
        """Set `key` if absent, expiring after `ttl` seconds; True if this caller set it.

        Used for cluster-wide "at most once per N seconds" rules (slow mode, one-shot work).
        """
        ...

    async def put_session(self, key: str, record: bytes, ttl: float) -> None:
        """Create or replace a session record that disappears `ttl` seconds from now."""
        ...

    async def get_session(self, key: str) -> bytes | None:
        """The session record, or None if it was never made, expired or was dropped."""
        ...

    async def drop_session(self, key: str) -> None:
        """Remove a session record at once (revocation); no error if it is already gone."""
        ...

    async def save_room(self, slug: str, config: bytes) -> None:
        """Store (or replace) a room's configuration blob."""
        ...

    async def load_rooms(self) -> dict[str, bytes]:
        """Every stored room configuration, by slug."""
        ...

    async def put_conversation(self, key: str, record: bytes, ttl: float) -> None:
        """Create or replace a conversation record (or index) that disappears after `ttl`."""
        ...

    async def get_conversation(self, key: str) -> bytes | None:
        """The conversation record, or None if it was never made, expired or was dropped."""
        ...

    async def append_conversation(
        self, conversation: str, payload: bytes, ttl: float
    ) -> int | None:
        """Give `payload` the conversation's next seq, keep it for the replay window, and send it
        on the conversation bus, atomically. `ttl` bounds how long the seq counter lives.

        Returns the seq, or None when the conversation has no record (it ended): nothing is
        kept or sent then.
        """
        ...

    async def replay_conversation(self, conversation: str, after: int) -> list[ConversationEvent]:
        """The conversation's events after seq `after` that are still in the window, in order."""
        ...

    async def drop_conversation(self, conversation: str) -> None:
        """Delete the record, the seq counter and every kept event of a conversation at once."""
        ...

    def subscribe_conversations(
        self,
    ) -> AbstractAsyncContextManager[AsyncIterator[ConversationEvent | Gap]]:
        """Receive every conversation event appended on any node, until the context exits; a
        `Gap` when some may have been missed (catch up with `replay_conversation`)."""
        ...

    async def ping(self) -> None:
        """Return when the backend answered; raise `BackendUnavailable` otherwise."""
        ...

    async def aclose(self) -> None:
        """Release connections and background tasks. Idempotent."""
        ...
