"""The Redis backend's one pub/sub connection, shared by every room this node listens to.

A single listener task owns the connection. It reads replies (events, subscribe confirmations,
pongs) in one child task and writes (SUBSCRIBE/UNSUBSCRIBE to match the rooms wanted, and a PING
every `health_interval`) in another. Local subscribers only change the wanted set and wait for
their room's confirmation; events go to their bounded `Inbox`es without awaiting.

Why it is built this way (RELIABILITY.md; redis-py issues 1464, 1572, 2417):

- A half-open TCP connection looks healthy forever: reads just block. So liveness is proven only by
  replies: a PING must be answered within `health_timeout`, else the connection is treated as dead.
- The listener never dies silently: cancellation propagates; anything else is logged with ids and
  exception type only (never payloads), then it backs off with jitter and reconnects.
- Pub/sub is at most once: after any reconnect, each room is resubscribed and only *then* gets a
  `Gap("reconnect")`, so a subscriber that replays after the Gap misses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import traceback
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rooms.backends._inbox import Inbox
from rooms.backends._wire import unpack_envelope
from rooms.backends.base import Gap
from rooms.errors import BackendError, BackendUnavailable

__all__ = ["PubSubListener"]

log = logging.getLogger("rooms.backends.redis")

_PING_TOKEN = b"sc-health"


class _Unresponsive(Exception):
    """No reply to PING (or a write stalled) within the health timeout."""


@dataclass(eq=False, slots=True)
class _Room:
    inboxes: set[Inbox] = field(default_factory=set)
    waiter: asyncio.Future[None] | None = None
    needs_gap: bool = False  # deliver Gap("reconnect") when the room is next confirmed


@dataclass(eq=False, slots=True)
class _Link:
    """One live pub/sub connection and what we asked of it."""

    conn: AbstractConnection
    ping_at: float
    pong_due: float | None = None
    requested: set[str] = field(default_factory=set)
    live: set[str] = field(default_factory=set)
    leaving: dict[str, int] = field(default_factory=dict)  # UNSUBSCRIBEs not yet confirmed


@dataclass(frozen=True, slots=True)
class ListenerOptions:
    queue_size: int
    health_interval: float
    health_timeout: float
    connect_timeout: float
    reconnect_min: float
    reconnect_max: float


class PubSubListener:
    """Reference-counted room subscriptions over one self-healing pub/sub connection."""

    def __init__(
        self,
        new_connection: Callable[[], AbstractConnection],
        channel_of: Callable[[str], str],
        room_of: Callable[[bytes], str | None],
        on_seen: Callable[[str, int], None],
        options: ListenerOptions,
    ) -> None:
        self._new_connection = new_connection
        self._channel_of = channel_of
        self._room_of = room_of
        self._on_seen = on_seen
        self._opt = options
        self._rooms: dict[str, _Room] = {}
        self._link: _Link | None = None
        self._dirty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._down = False  # True after a failed or lost connection, until the next one is up
        self._failures = 0
        self._closed = False

    # -- the subscriber side ---------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def subscribe(self, room: str) -> AsyncIterator[Inbox]:
        if self._closed:
            raise BackendUnavailable("backend closed")
        inbox = Inbox(self._opt.queue_size)
        sub = self._rooms.get(room)
        if sub is None:
            sub = self._rooms[room] = _Room()
            self._dirty.set()
        sub.inboxes.add(inbox)
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="redis-pubsub-listener")
        try:
            await self._until_live(room, sub)
            yield inbox
        finally:
            self._leave(room, sub, inbox)

    def counts(self) -> dict[str, int]:
        return {room: len(sub.inboxes) for room, sub in self._rooms.items()}

    async def _until_live(self, room: str, sub: _Room) -> None:
        """Wait (bounded) until Redis confirmed the room's SUBSCRIBE; else promise a Gap."""
        link = self._link
        if link is not None and room in link.live:
            return
        if self._down:
            sub.needs_gap = True
            return
        if sub.waiter is None or sub.waiter.done():
            sub.waiter = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(self._opt.connect_timeout + self._opt.health_timeout):
                await asyncio.shield(sub.waiter)
        except TimeoutError:
            sub.needs_gap = True

    def _leave(self, room: str, sub: _Room, inbox: Inbox) -> None:
        sub.inboxes.discard(inbox)
        inbox.close()
        if not sub.inboxes and self._rooms.get(room) is sub:
            del self._rooms[room]
            self._dirty.set()

    async def aclose(self) -> None:
        self._closed = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])
        for sub in self._rooms.values():
            for inbox in sub.inboxes:
                inbox.close()
        self._rooms.clear()

    # -- the connection side ---------------------------------------------------------------

    async def _run(self) -> None:
        """Connect, serve until the connection fails, back off, repeat; never return."""
        while True:
            try:
                await self._connect_and_serve()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # STYLE.md §7: log with ids only, retry, never die
                level = logging.WARNING if _expected(exc) else logging.ERROR
                log.log(
                    level,
                    "pub/sub connection failed: %s (%d rooms)",
                    _describe(exc),
                    len(self._rooms),
                )
            self._failures += 1
            ceiling = min(
                self._opt.reconnect_max,
                self._opt.reconnect_min * 2 ** min(self._failures - 1, 20),
            )
            await asyncio.sleep(random.uniform(ceiling / 2, ceiling))

    async def _connect_and_serve(self) -> None:
        conn = self._new_connection()
        try:
            async with asyncio.timeout(self._opt.connect_timeout):
                await conn.connect()  # type: ignore[no-untyped-call]
            loop = asyncio.get_running_loop()
            link = _Link(conn, ping_at=loop.time() + self._opt.health_interval)
            if self._down:
                log.info("pub/sub connection restored; resubscribing %d rooms", len(self._rooms))
            self._link, self._down = link, False
            self._dirty.set()
            async with asyncio.TaskGroup() as group:
                group.create_task(self._read_loop(link))
                group.create_task(self._write_loop(link))
        finally:
            self._link, self._down = None, True
            for sub in self._rooms.values():
                sub.needs_gap = True
                if sub.waiter is not None and not sub.waiter.done():
                    sub.waiter.set_result(None)
            await conn.disconnect(nowait=True)

    async def _write_loop(self, link: _Link) -> None:
        """Keep the subscribed channels equal to the wanted rooms, and prove liveness by PING."""
        loop = asyncio.get_running_loop()
        while True:
            self._dirty.clear()
            await self._sync_channels(link)
            now = loop.time()
            if link.pong_due is not None and now >= link.pong_due:
                raise _Unresponsive("no PONG in time")
            if link.pong_due is None and now >= link.ping_at:
                link.pong_due = now + self._opt.health_timeout
                await self._send(link, "PING", _PING_TOKEN)
            wake = link.pong_due if link.pong_due is not None else link.ping_at
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(wake):
                    await self._dirty.wait()

    async def _sync_channels(self, link: _Link) -> None:
        wanted = set(self._rooms)
        add = sorted(wanted - link.requested)
        drop = sorted(link.requested - wanted)
        if add:
            link.requested.update(add)
            await self._send(link, "SUBSCRIBE", *map(self._channel_of, add))
        if drop:
            link.requested.difference_update(drop)
            link.live.difference_update(drop)
            for room in drop:
                link.leaving[room] = link.leaving.get(room, 0) + 1
            await self._send(link, "UNSUBSCRIBE", *map(self._channel_of, drop))

    async def _send(self, link: _Link, *args: str | bytes) -> None:
        if not link.conn.is_connected:  # never let redis-py reconnect this socket behind our back
            raise ConnectionError("pub/sub connection closed")
        try:
            async with asyncio.timeout(self._opt.health_timeout):
                await link.conn.send_command(*args, check_health=False)
        except TimeoutError:
            raise _Unresponsive("write stalled") from None

    async def _read_loop(self, link: _Link) -> None:
        while True:
            reply = await link.conn.read_response()
            self._on_reply(link, reply)

    def _on_reply(self, link: _Link, reply: Any) -> None:
        if isinstance(reply, list) and len(reply) >= 2 and isinstance(reply[0], bytes):
            kind = reply[0]
            if kind == b"message" and len(reply) == 3:
                self._on_message(reply[1], reply[2])
            elif kind == b"subscribe":
                self._on_subscribed(link, reply[1])
            elif kind == b"unsubscribe":
                room = self._room_of(reply[1])
                if room is not None and link.leaving.get(room, 0) > 0:
                    link.leaving[room] -= 1
            elif kind == b"pong":
                self._on_pong(link)
        elif reply in (b"PONG", _PING_TOKEN):  # PING outside subscribed mode
            self._on_pong(link)
        else:
            log.warning("unexpected pub/sub reply of type %s", type(reply).__name__)

    def _on_pong(self, link: _Link) -> None:
        link.pong_due = None
        link.ping_at = asyncio.get_running_loop().time() + self._opt.health_interval
        self._failures = 0

    def _on_subscribed(self, link: _Link, channel: bytes) -> None:
        room = self._room_of(channel)
        if room is None or room not in link.requested or link.leaving.get(room, 0) > 0:
            return  # a stale confirmation: an UNSUBSCRIBE of this room is still in flight
        link.live.add(room)
        sub = self._rooms.get(room)
        if sub is None:
            return
        if sub.waiter is not None and not sub.waiter.done():
            sub.waiter.set_result(None)
        if sub.needs_gap:
            sub.needs_gap = False
            for inbox in sub.inboxes:
                inbox.put(Gap("reconnect"))

    def _on_message(self, channel: bytes, data: bytes) -> None:
        room = self._room_of(channel)
        sub = self._rooms.get(room) if room is not None else None
        if room is None or sub is None:
            return
        try:
            envelope = unpack_envelope(data)
        except BackendError:
            log.error("room %s: undecodable event skipped", room)
            for inbox in sub.inboxes:
                inbox.put(Gap("undecodable"))
            return
        self._on_seen(room, envelope.seq)
        for inbox in sub.inboxes:
            inbox.put(envelope)


def _leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _expected(exc: BaseException) -> bool:
    """Connection trouble (expected in operation), not a bug or a refusal (ACL, bad config)."""
    expected = RedisConnectionError | RedisTimeoutError | OSError | TimeoutError | _Unresponsive
    return isinstance(_leaf(exc), expected)


def _describe(exc: BaseException) -> str:
    """Exception type (and, for bugs, where it happened), never its message: it may hold data."""
    leaf = _leaf(exc)
    if _expected(leaf):
        return type(leaf).__name__
    frames = traceback.extract_tb(leaf.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"unexpected {type(leaf).__name__}{where}"
