"""One self-healing pub/sub connection to one shard, for the rooms placed on it.

A task owns the connection. It reads replies (events, (un)subscribe confirmations, pongs) in one
child task and writes ((S)SUBSCRIBE/(S)UNSUBSCRIBE to match the rooms its owner wants here, and a
PING every `health_interval`) in another. It reports to its owner (`_redis_pubsub.PubSubListener`)
and never touches subscribers itself.

Why it is built this way (docs/reliability.md; redis-py issues 1464, 1572, 2417):

- A half-open TCP connection looks healthy forever: reads just block. So liveness is proven only by
  replies: a PING must be answered within `health_timeout`, else the connection is treated as dead.
- The task never dies silently: cancellation propagates; anything else is logged with ids and
  exception type only (never payloads), then it backs off with jitter and reconnects.
- redis-py must never reconnect the socket behind our back (it would lose the subscriptions
  silently): a closed connection ends the link, and the owner hears of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from redis.asyncio.connection import AbstractConnection
from redis.crc import key_slot
from redis.exceptions import AskError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

__all__ = [
    "PLAIN",
    "SHARDED",
    "Dialect",
    "ListenerOptions",
    "Router",
    "ShardConnection",
    "backoff",
    "describe",
]

log = logging.getLogger("rooms.backends.redis")

_PING_TOKEN = b"sc-health"


@dataclass(frozen=True, slots=True)
class Dialect:
    """Classic or sharded pub/sub: the commands and reply kinds."""

    subscribe: str
    unsubscribe: str
    message: bytes
    subscribed: bytes
    unsubscribed: bytes
    batch: bool  # several channels per command (sharded: only within one slot, so no)


PLAIN = Dialect("SUBSCRIBE", "UNSUBSCRIBE", b"message", b"subscribe", b"unsubscribe", True)
SHARDED = Dialect("SSUBSCRIBE", "SUNSUBSCRIBE", b"smessage", b"ssubscribe", b"sunsubscribe", False)


class Router(Protocol):
    """Where channels live and how to reach them (`_redis_topology.py`)."""

    dialect: Dialect

    def shard_of(self, channel: str) -> str | None:
        """The shard serving `channel` by the current topology; None if unknown yet."""
        ...

    def connect(self, shard: str) -> AbstractConnection:
        """A new, unconnected pub/sub connection to `shard` (RESP2, no read timeout)."""
        ...

    async def refresh(self) -> None:
        """Learn the topology again (the caller bounds the time)."""
        ...


@dataclass(frozen=True, slots=True)
class ListenerOptions:
    queue_size: int
    health_interval: float
    health_timeout: float
    connect_timeout: float
    reconnect_min: float
    reconnect_max: float
    on_reconnect: Callable[[], None] | None = None
    """Called when a lost pub/sub connection is back and answering (for metrics)."""


class Owner(Protocol):
    """What a shard connection reports to (the listener)."""

    def wanted(self, shard: ShardConnection) -> set[str]: ...
    def on_live(self, shard: ShardConnection, room: str) -> None: ...
    def on_message(self, shard: ShardConnection, room: str, data: bytes) -> None: ...
    def on_lost(self, shard: ShardConnection) -> None: ...
    def on_moved(self, shard: ShardConnection, rooms: list[str]) -> None: ...


class _Unresponsive(Exception):
    """No reply to PING (or a write stalled) within the health timeout."""


@dataclass(eq=False, slots=True)
class _Link:
    """One live connection and what we asked of it."""

    conn: AbstractConnection
    ping_at: float
    pong_due: float | None = None
    requested: set[str] = field(default_factory=set)
    live: set[str] = field(default_factory=set)
    leaving: dict[str, int] = field(default_factory=dict)  # UNSUBSCRIBEs not yet confirmed


class ShardConnection:
    """The connection task of one shard: started at once, ended by `stop` (cancellation)."""

    def __init__(
        self,
        name: str,
        router: Router,
        owner: Owner,
        channel_of: Callable[[str], str],
        room_of: Callable[[bytes], str | None],
        options: ListenerOptions,
    ) -> None:
        self.name = name
        self.down = False  # True after a failed or lost connection, until the next one is up
        self._router = router
        self._dialect = router.dialect
        self._owner = owner
        self._channel_of = channel_of
        self._room_of = room_of
        self._opt = options
        self._dirty = asyncio.Event()
        self._link: _Link | None = None
        self._failures = 0
        self.task = asyncio.create_task(self._run(), name=f"redis-pubsub {name or 'server'}")

    def changed(self) -> None:
        """The wanted rooms changed: (un)subscribe to match, soon."""
        self._dirty.set()

    def is_live(self, room: str) -> bool:
        return self._link is not None and room in self._link.live

    def stop(self) -> asyncio.Task[None]:
        self.task.cancel()
        return self.task

    # -- the connection's life -------------------------------------------------------------

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
                    "pub/sub connection failed: %s (%d rooms%s)",
                    describe(exc),
                    len(self._owner.wanted(self)),
                    f", shard {self.name}" if self.name else "",
                )
            self._failures += 1
            await asyncio.sleep(backoff(self._opt, self._failures))

    async def _connect_and_serve(self) -> None:
        conn: AbstractConnection | None = None
        try:
            conn = self._router.connect(self.name)
            async with asyncio.timeout(self._opt.connect_timeout):
                await conn.connect()  # type: ignore[no-untyped-call]
            loop = asyncio.get_running_loop()
            link = _Link(conn, ping_at=loop.time() + self._opt.health_interval)
            if self.down:
                count = len(self._owner.wanted(self))
                log.info("pub/sub connection restored; resubscribing %d rooms", count)
            self._link, self.down = link, False
            self._dirty.set()
            async with asyncio.TaskGroup() as group:
                group.create_task(self._read_loop(link))
                group.create_task(self._write_loop(link))
        finally:
            self._link, self.down = None, True
            self._owner.on_lost(self)
            if conn is not None:
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
                await self._send(link, [("PING", _PING_TOKEN)])
            wake = link.pong_due if link.pong_due is not None else link.ping_at
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(wake):
                    await self._dirty.wait()

    async def _sync_channels(self, link: _Link) -> None:
        wanted = self._owner.wanted(self)
        add = sorted(wanted - link.requested)
        drop = sorted(link.requested - wanted)
        commands: list[tuple[str, ...]] = []
        if add:
            link.requested.update(add)
            commands += self._commands(self._dialect.subscribe, add)
        if drop:
            link.requested.difference_update(drop)
            link.live.difference_update(drop)
            for room in drop:
                link.leaving[room] = link.leaving.get(room, 0) + 1
            commands += self._commands(self._dialect.unsubscribe, drop)
        if commands:
            await self._send(link, commands)

    def _commands(self, verb: str, rooms: list[str]) -> list[tuple[str, ...]]:
        channels = [self._channel_of(room) for room in rooms]
        if self._dialect.batch:
            return [(verb, *channels)]
        return [(verb, channel) for channel in channels]  # one slot per SSUBSCRIBE

    async def _send(self, link: _Link, commands: Sequence[tuple[str | bytes, ...]]) -> None:
        if not link.conn.is_connected:  # never let redis-py reconnect this socket behind our back
            raise ConnectionError("pub/sub connection closed")
        try:
            async with asyncio.timeout(self._opt.health_timeout):
                packed = link.conn.pack_commands(commands)
                await link.conn.send_packed_command(packed, check_health=False)
        except TimeoutError:
            raise _Unresponsive("write stalled") from None

    # -- replies ---------------------------------------------------------------------------

    async def _read_loop(self, link: _Link) -> None:
        while True:
            try:
                reply = await link.conn.read_response()
            except AskError as exc:  # MOVED or ASK: a subscribe reached a node without the slot
                self._moved(link, exc.slot_id)
                continue
            self._on_reply(link, reply)

    def _on_reply(self, link: _Link, reply: Any) -> None:
        if isinstance(reply, list) and len(reply) >= 2 and isinstance(reply[0], bytes):
            kind = reply[0]
            if kind == self._dialect.message and len(reply) == 3:
                room = self._room_of(reply[1])
                if room is not None:
                    self._owner.on_message(self, room, reply[2])
            elif kind == self._dialect.subscribed:
                self._on_subscribed(link, reply[1])
            elif kind == self._dialect.unsubscribed:
                self._on_unsubscribed(link, reply[1])
            elif kind == b"pong":
                self._on_pong(link)
        elif reply in (b"PONG", _PING_TOKEN):  # PING outside subscribed mode
            self._on_pong(link)
        else:
            log.warning("unexpected pub/sub reply of type %s", type(reply).__name__)

    def _on_pong(self, link: _Link) -> None:
        link.pong_due = None
        link.ping_at = asyncio.get_running_loop().time() + self._opt.health_interval
        if self._failures and self._opt.on_reconnect is not None:
            self._opt.on_reconnect()
        self._failures = 0

    def _on_subscribed(self, link: _Link, channel: bytes) -> None:
        room = self._room_of(channel)
        if room is None or room not in link.requested or link.leaving.get(room, 0) > 0:
            return  # a stale confirmation: an UNSUBSCRIBE of this room is still in flight
        link.live.add(room)
        self._owner.on_live(self, room)

    def _on_unsubscribed(self, link: _Link, channel: bytes) -> None:
        room = self._room_of(channel)
        if room is None:
            return
        if link.leaving.get(room, 0) > 0:
            link.leaving[room] -= 1
        elif room in link.requested:  # unasked: the server gave the slot away (Redis Cluster)
            self._moved(link, key_slot(channel))

    def _moved(self, link: _Link, slot: int) -> None:
        """The rooms of `slot` are not served here (any more); the owner finds them again."""
        gone = [r for r in link.requested if key_slot(self._channel_of(r).encode()) == slot]
        link.requested.difference_update(gone)
        link.live.difference_update(gone)
        self._owner.on_moved(self, gone)


def backoff(options: ListenerOptions, failures: int) -> float:
    """Seconds to wait after `failures` failures in a row: exponential, capped, with jitter."""
    ceiling = min(options.reconnect_max, options.reconnect_min * 2 ** min(failures - 1, 20))
    return random.uniform(ceiling / 2, ceiling)


def _leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _expected(exc: BaseException) -> bool:
    """Connection trouble (expected in operation), not a bug or a refusal (ACL, bad config)."""
    expected = RedisConnectionError | RedisTimeoutError | OSError | TimeoutError | _Unresponsive
    return isinstance(_leaf(exc), expected)


def describe(exc: BaseException) -> str:
    """Exception type (and, for bugs, where it happened), never its message: it may hold data."""
    leaf = _leaf(exc)
    if _expected(leaf):
        return type(leaf).__name__
    frames = traceback.extract_tb(leaf.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"unexpected {type(leaf).__name__}{where}"
