"""One WebSocket connection's outbound side: a bounded outbox the fan-out never waits on.

The hub calls `deliver` for every room event, already in the form this person may read (the
rooms layer picks the `hidden` placeholder for non-facilitators); the outbox encodes it through
the event's per-format cache and appends the bytes without awaiting anything. This object is the
rooms layer's `Subscriber` (rooms/seat.py) and knows nothing of seats or sessions. A writer task drains the outbox to
the socket. When the outbox passes its message or byte limit the client is not keeping up: the
connection is closed with 4008 `slow` and the client resumes from its last seq (STYLE.md §8).
"""

from __future__ import annotations

import asyncio
import collections
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from websockets.frames import Frame, Opcode

from rooms.outbound import OutboundEvent
from rooms.seat import Subscriber
from server import metrics
from server.codes import CloseCode
from server.wire import Wire

__all__ = ["DIRECT_SEND", "Close", "Connection"]

DIRECT_SEND = "sharecircle.direct_send"
"""ASGI scope extension of our uvicorn protocol (server/runner.py): `{"write": write_frames}`."""

DirectWrite = Callable[[list[bytes]], int]

JOINING_BUFFER = 8192
"""Most events kept for a connection while its join or resume is being decided."""


def _framer(wire: Wire) -> Callable[[Mapping[str, Any]], bytes]:
    """Encode a map and wrap it in a complete, unmasked WebSocket frame (websockets' own code).

    Only valid because compression is off: no extension may rewrite frames on this connection.
    """
    opcode = Opcode.BINARY if wire.binary else Opcode.TEXT
    dump = wire.dumper

    def frame(value: Mapping[str, Any]) -> bytes:
        data = dump(value)
        payload = data if isinstance(data, bytes) else data.encode()
        return Frame(opcode, payload).serialize(mask=False)

    return frame


@dataclass(frozen=True, slots=True)
class Close:
    """Queued after the frames that must go out first; the writer then closes the socket."""

    code: CloseCode
    reason: str


class Connection:
    """A connection's outbox, as the hub and the command handlers see it."""

    # One of these lives as long as each member stays: no per-instance dict.
    __slots__ = (
        "_bytes",
        "_direct",
        "_dump",
        "_format",
        "_max_bytes",
        "_max_messages",
        "_queue",
        "_ready",
        "_start",
        "_unsent",
        "closing",
        "conn_id",
        "cursor",
        "on_admitted",
        "on_close",
        "pending",
        "wire",
    )

    def __init__(self, wire: Wire, *, max_messages: int, max_bytes: int) -> None:
        self.conn_id = secrets.token_hex(8)
        self.wire = wire
        self._format = wire.value  # the key of the per-format encoding cache on each event
        self._dump = wire.dumper
        self.cursor = -1
        """Last seq handed to this client; -1 while joining (events are buffered then)."""
        self.pending: list[OutboundEvent] | None = []
        self._direct: DirectWrite | None = None
        self.on_close: Callable[[Close], None] | None = None
        """Called once a close is decided (the driver sends it, or ends its writer)."""
        self._unsent: list[bytes] = []
        self._start: tuple[int, list[OutboundEvent]] = (-1, [])
        self._queue: collections.deque[bytes | str | Close] = collections.deque()
        self._bytes = 0
        self._max_messages = max_messages
        self._max_bytes = max_bytes
        self._ready = asyncio.Event()
        self.closing: Close | None = None
        self.on_admitted: Callable[[int], None] | None = None
        """Called when a facilitator lets this waiting person in (the driver seats them)."""

    # -- hub side (never awaits) --------------------------------------------------------------

    def deliver(self, event: OutboundEvent) -> None:
        if self.pending is not None:
            # While a join or resume is decided the cursor is unknown, so everything is kept
            # (shared event objects, not copies); most of it is older than the cursor and
            # dropped on start. A join storm can pass thousands of `member.joined` meanwhile.
            if len(self.pending) >= JOINING_BUFFER:
                self.close(CloseCode.SLOW, "too many events while joining")
            else:
                self.pending.append(event)
            return
        if event.seq <= self.cursor:
            return
        self.cursor = event.seq
        self._put(event.encoded(self._format, self._dump))

    def evict(self, reason: str) -> None:
        code = CloseCode.BANNED if reason == "banned" else CloseCode.REMOVED
        self.close(code, f"{reason} by a facilitator")

    def lost_state(self) -> None:
        self.close(CloseCode.INSUFFICIENT_STATE, "events were lost; please resume")

    def admitted(self, seq: int) -> None:
        """Let in from the lobby: buffer from here; the handler sends the room, then the events."""
        self.pending = []
        if self.on_admitted is not None:
            self.on_admitted(seq)

    def turned_away(self) -> None:
        self.send({"type": "lobby.denied"})
        self.close(CloseCode.NOT_ADMITTED, "a facilitator did not let you in this time")

    # -- handler side ---------------------------------------------------------------------------

    def prepare_delivery(self, cursor: int, backlog: list[OutboundEvent]) -> None:
        """Remember where delivery starts once the join/resume ack has been queued."""
        self._start = (cursor, backlog)

    def start_delivery(self) -> None:
        """End the joining phase: send the backlog, then buffered events newer than the cursor."""
        cursor, backlog = self._start
        buffered, self.pending = self.pending or [], None
        # The backlog (a resume's missed events) ends at `cursor`; buffered live events up to
        # it are duplicates of the backlog and are dropped by the seq check in `deliver`.
        self.cursor = backlog[0].seq - 1 if backlog else cursor
        for event in [*backlog, *buffered]:
            self.deliver(event)

    def reset_delivery(self) -> None:
        """A join failed: drop what was buffered for it and go back to joining."""
        self.pending = []
        self.cursor = -1

    def send(self, frame: Mapping[str, Any]) -> None:
        """Queue a reply frame (ack, error, hello, pong) behind what is already queued."""
        self._put(self._dump(frame))

    def close(self, code: CloseCode, reason: str) -> None:
        """Close after the frames already queued (slow clients: at once)."""
        if self.closing is not None:
            return
        if self._direct is not None and code != CloseCode.SLOW:
            self._flush()  # what was promised before the close goes out first
            if self.closing is not None:
                return  # that flush found the client too slow and closed it already
        self.closing = Close(code, reason)
        if code == CloseCode.SLOW:
            self._queue.clear()
            self._bytes = 0
        self._unsent.clear()
        if self._direct is None:
            self._queue.append(self.closing)  # the writer task sends it after what precedes it
            self._ready.set()
        if self.on_close is not None:
            self.on_close(self.closing)

    @property
    def direct(self) -> bool:
        return self._direct is not None

    def use_direct_send(self, write: DirectWrite) -> None:
        """Write frames synchronously through the server protocol (see `_flush`).

        From here on, what is queued is whole WebSocket frames: each event's is made once per
        format and cached on the event, so every member gets the very same bytes.
        """
        self._direct = write
        self._format = f"{self.wire.value}+frame"
        self._dump = _framer(self.wire)

    def _put(self, data: bytes | str) -> None:
        if self.closing is not None:
            return
        if self._direct is not None:
            # Collect this loop iteration's frames; one flush per burst writes them together.
            self._unsent.append(data)  # type: ignore[arg-type]  # framed bytes in direct mode
            if len(self._unsent) == 1:
                _flusher().add(self)
            return
        self._queue.append(data)
        self._bytes += len(data)
        if len(self._queue) > self._max_messages or self._bytes > self._max_bytes:
            self.close(CloseCode.SLOW, "client is not reading fast enough")
            return
        self._ready.set()

    def _flush(self) -> None:
        """Hand the collected frames to the socket in one write, never awaiting.

        The transport buffers what the client has not read yet; past `max_bytes` of backlog
        the client is not keeping up and is closed as `slow` (it can resume).
        """
        if not self._unsent or self._direct is None:
            return
        frames, self._unsent = self._unsent, []
        buffered = self._direct(frames)
        metrics.frames_sent(len(frames))
        if buffered > self._max_bytes:
            self.close(CloseCode.SLOW, "client is not reading fast enough")

    # -- writer side ----------------------------------------------------------------------------

    async def next_batch(self) -> list[bytes | str | Close]:
        """Wait for queued frames and take them all (one wake-up per burst, not per frame)."""
        while not self._queue:
            self._ready.clear()
            await self._ready.wait()
        batch = list(self._queue)
        self._queue.clear()
        self._bytes = 0
        return batch


class _Flusher:
    """Flushes every connection that collected frames, once per event-loop iteration.

    Fan-out appends the same bytes to many connections; scheduling one callback for all of
    them (instead of waking a writer task per connection) is most of what keeps a busy room
    cheap, and frames that arrive in the same iteration leave in one write.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.dirty: list[Connection] = []

    def add(self, conn: Connection) -> None:
        if not self.dirty:
            self.loop.call_soon(self.flush)
        self.dirty.append(conn)

    def flush(self) -> None:
        dirty, self.dirty = self.dirty, []
        for conn in dirty:
            conn._flush()


_FLUSHERS: dict[asyncio.AbstractEventLoop, _Flusher] = {}


def _flusher() -> _Flusher:
    loop = asyncio.get_running_loop()
    flusher = _FLUSHERS.get(loop)
    if flusher is None:
        for old in [lp for lp in _FLUSHERS if lp.is_closed()]:
            del _FLUSHERS[old]
        flusher = _FLUSHERS[loop] = _Flusher(loop)
    return flusher


_: type[Subscriber] = Connection  # the rooms layer's seam, checked statically
