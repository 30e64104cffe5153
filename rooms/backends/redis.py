"""The Redis backend: what lets several sharecircle nodes serve the same rooms.

Every key of a room carries the hash tag `{room}`, so one room lives on one Redis Cluster slot
and its scripts stay atomic; the key layout is in `_redis_keys.py`. On Redis Cluster the channel
is a sharded one (SSUBSCRIBE / SPUBLISH): it hashes to the room's slot, so an event only travels
inside the shard that owns the room.

The scripts and their rules are in `_lua.py`; URL forms and routing (one server, Sentinel,
Cluster) in `_redis_topology.py`; the pub/sub listener in `_redis_pubsub.py` and
`_redis_shard.py`; how Redis errors become the rooms layer's in `_redis_errors.py`; private
conversations (their keys, scripts and `Backend` methods) in `_redis_talk.py`.
"""

from __future__ import annotations

import contextlib
import hashlib
import struct
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import NoScriptError, RedisClusterException, RedisError

from rooms.backends import _lua
from rooms.backends import _redis_topology as topology
from rooms.backends._redis_errors import mapped_errors, reply_bytes
from rooms.backends._redis_keys import KeyLayout
from rooms.backends._redis_pubsub import ListenerOptions, PubSubListener
from rooms.backends._redis_talk import ConversationsOnRedis, RedisConversations
from rooms.backends._wire import (
    check_blob,
    check_name,
    check_payloads,
    new_epoch,
    seconds_to_ms,
)
from rooms.backends.base import (
    Backend,
    Envelope,
    Gap,
    Position,
    Resync,
    Versioned,
)
from rooms.clock import Clock
from rooms.errors import BackendUnavailable

__all__ = ["RedisBackend"]

_SESSION_EXPIRY = struct.Struct(">q")
"""Expiry (ms, the manual clock's; 0 on Redis time) stored in front of a session record."""


def _checked_epoch_ttl(
    client: Redis | RedisCluster,
    key_prefix: str,
    window_seconds: float,
    window_max_events: int,
    queue_size: int,
    epoch_ttl_seconds: float | None,
) -> float:
    """The epoch TTL to use, once `RedisBackend`'s arguments are known to fit together.

    Raises:
        ValueError: naming the first argument that does not.
    """
    if not key_prefix or "{" in key_prefix or "}" in key_prefix:
        raise ValueError("key_prefix must be non-empty and contain no braces")
    if window_seconds <= 0 or window_max_events < 1 or queue_size < 1:
        raise ValueError("window and queue sizes must be positive")
    if topology.decodes_responses(client):
        raise ValueError("the Redis client must not decode responses")
    if epoch_ttl_seconds is None:
        epoch_ttl_seconds = max(2 * window_seconds, 86_400.0)
    if epoch_ttl_seconds < 2 * window_seconds:
        raise ValueError("epoch_ttl_seconds must be at least twice window_seconds")
    return epoch_ttl_seconds


class RedisBackend(ConversationsOnRedis):
    """`Backend` on Redis (or Valkey) via redis-py asyncio. Build it with `from_url`.

    Args:
        client: a `redis.asyncio.Redis` (one server, or a Sentinel `master_for` client) or a
            `redis.asyncio.cluster.RedisCluster`, with `decode_responses=False`; closed by
            `aclose`. With a cluster, events go over sharded pub/sub.
        window_seconds: how long events stay replayable.
        window_max_events: how many events a room's window holds at most.
        key_prefix: first part of every key and channel (no braces).
        epoch_ttl_seconds: how long an idle room keeps its epoch (default one day, at least
            twice the window); after that the next event starts a new epoch.
        queue_size: how far a local subscriber may fall behind before it gets a `Gap`.
        health_interval: seconds between PINGs on the pub/sub connection.
        health_timeout: seconds a PING may go unanswered before the connection counts as dead.
        connect_timeout: bound on (re)connecting the pub/sub connection.
        reconnect_min, reconnect_max: backoff range between pub/sub reconnect attempts.
        clock: None to take time from Redis `TIME` (one clock for the cluster); tests pass a
            manual clock, which then governs window age, presence and claim expiry.
    """

    def __init__(
        self,
        client: Redis | RedisCluster,
        *,
        window_seconds: float = 300.0,
        window_max_events: int = 500,
        key_prefix: str = "sc",
        epoch_ttl_seconds: float | None = None,
        queue_size: int = 1000,
        health_interval: float = 5.0,
        health_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        reconnect_min: float = 0.1,
        reconnect_max: float = 5.0,
        clock: Clock | None = None,
        on_reconnect: Callable[[], None] | None = None,
    ) -> None:
        epoch_ttl_seconds = _checked_epoch_ttl(
            client, key_prefix, window_seconds, window_max_events, queue_size, epoch_ttl_seconds
        )
        self._redis = client
        self._keys = KeyLayout(key_prefix)
        self._clock = clock
        self._window_ms = seconds_to_ms(window_seconds)
        self._max_events = window_max_events
        self._content_ttl_ms = self._window_ms + 1000
        self._epoch_ttl_ms = seconds_to_ms(epoch_ttl_seconds)
        self._high: dict[str, int] = {}  # highest seq seen per room: detects lost writes
        self._cluster = isinstance(client, RedisCluster)
        self._scripts: dict[str, tuple[str, str]] = {}  # source -> (text to run, its SHA1)
        self._closed = False
        self._listener = PubSubListener(
            topology.router_for(client),
            self._keys.channel,
            self._keys.room_of_channel,
            self._seen,
            ListenerOptions(
                queue_size=queue_size,
                health_interval=health_interval,
                health_timeout=health_timeout,
                connect_timeout=connect_timeout,
                reconnect_min=reconnect_min,
                reconnect_max=reconnect_max,
                on_reconnect=on_reconnect,
            ),
        )
        self._talk = RedisConversations(  # private conversations (`ConversationsOnRedis`)
            self._keys,
            self._script,
            self._now_arg,
            self._subscribe_open,
            window_ms=self._window_ms,
            max_events=window_max_events,
        )

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        window_seconds: float = 300.0,
        window_max_events: int = 500,
        key_prefix: str = "sc",
        epoch_ttl_seconds: float | None = None,
        queue_size: int = 1000,
        command_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        health_interval: float = 5.0,
        health_timeout: float = 5.0,
        reconnect_min: float = 0.1,
        reconnect_max: float = 5.0,
        clock: Clock | None = None,
        on_reconnect: Callable[[], None] | None = None,
    ) -> RedisBackend:
        """A backend for a `redis://`, `rediss://`, `unix://`, `redis+sentinel://` or
        `redis+cluster://` URL (forms in `_redis_topology.py`); connects lazily.

        `command_timeout` bounds each command; commands are not retried (a retried script could
        publish twice), so a failure surfaces at once as `BackendUnavailable`. On a cluster,
        MOVED and ASK redirects are still followed (the command did not run).
        """
        client = topology.open_client(
            url, command_timeout=command_timeout, connect_timeout=connect_timeout
        )
        return cls(
            client,
            window_seconds=window_seconds,
            window_max_events=window_max_events,
            key_prefix=key_prefix,
            epoch_ttl_seconds=epoch_ttl_seconds,
            queue_size=queue_size,
            health_interval=health_interval,
            health_timeout=health_timeout,
            connect_timeout=connect_timeout,
            reconnect_min=reconnect_min,
            reconnect_max=reconnect_max,
            clock=clock,
            on_reconnect=on_reconnect,
        )

    # -- events ----------------------------------------------------------------------------

    async def publish(self, room: str, payloads: Sequence[bytes]) -> list[Envelope]:
        checked = check_payloads(payloads)
        if not checked:
            check_name(room)
            return []
        reply = await self._room_script(_lua.PUBLISH, room, [self._keys.channel(room), *checked])
        return self._envelopes(room, reply, checked)

    async def commit(
        self, room: str, expected_version: int, state: bytes, payloads: Sequence[bytes]
    ) -> list[Envelope] | None:
        checked = check_payloads(payloads)
        args = [
            self._keys.channel(room),
            int(expected_version),
            check_blob(state, "state"),
            *checked,
        ]
        reply = await self._room_script(_lua.COMMIT, room, args)
        if reply is None:
            return None
        return self._envelopes(room, reply, checked) if checked else []

    async def load_state(self, room: str) -> Versioned | None:
        self._check_open()
        with mapped_errors():
            version, data = await self._redis.hmget(self._keys.room(room, "state"), ["v", "d"])
        if version is None:
            return None
        return Versioned(version=int(version), data=reply_bytes(data))

    @contextlib.asynccontextmanager
    async def subscribe(self, room: str) -> AsyncIterator[AsyncIterator[Envelope | Gap]]:
        """See `Backend.subscribe`; returns once Redis confirmed the subscription.

        If Redis cannot confirm it in time (it is down), the block still opens, and the stream
        starts with a `Gap` once the subscription is live. Events published just before the
        block opened may still arrive (they were in flight on the shared connection); readers
        drop them by seq.
        """
        check_name(room)
        self._check_open()
        async with self._listener.subscribe(room) as inbox:
            yield inbox

    def subscriber_counts(self) -> dict[str, int]:
        """Open subscriptions of this instance, by room (for health checks and tests)."""
        return self._listener.counts()

    def pubsub_placement(self) -> dict[str, str | None]:
        """The pub/sub shard of each subscribed room: "" for one server, `host:port` of the
        owning master on a cluster, None while unknown (for health checks and tests)."""
        return self._listener.placement()

    # -- history ---------------------------------------------------------------------------

    async def replay(self, room: str, after: Position, limit: int) -> list[Envelope] | Resync:
        args = [after.epoch, int(after.seq), int(limit)]
        reply = await self._room_script(_lua.REPLAY, room, args)
        status, epoch, seq = reply[0], reply[1].decode(), int(reply[2])
        self._seen(room, seq)
        if status != b"ok":
            return Resync(status.decode(), Position(seq, epoch))
        rows = reply[3:]
        return [
            Envelope(int(rows[i]), epoch, int(rows[i + 1]), bytes(rows[i + 2]))
            for i in range(0, len(rows), 3)
        ]

    async def position(self, room: str) -> Position:
        seq, epoch = await self._room_script(_lua.POSITION, room, [])
        self._seen(room, int(seq))
        return Position(int(seq), epoch.decode())

    async def redact(self, room: str, seq: int) -> bool:
        return bool(await self._room_script(_lua.REDACT, room, [int(seq)]))

    async def reset(self, room: str) -> Position:
        seq, epoch = await self._room_script(_lua.RESET, room, [])
        self._seen(room, int(seq))
        return Position(int(seq), epoch.decode())

    # -- presence, claims, configs ---------------------------------------------------------

    async def touch_presence(self, room: str, key: str, info: bytes, ttl: float) -> None:
        args = [check_name(key, "key"), check_blob(info, "info"), seconds_to_ms(ttl)]
        await self._presence_script(_lua.TOUCH_PRESENCE, room, args)

    async def drop_presence(self, room: str, key: str) -> None:
        await self._presence_script(_lua.DROP_PRESENCE, room, [key])

    async def presence(self, room: str) -> dict[str, bytes]:
        flat = await self._presence_script(_lua.PRESENCE, room, [])
        return {flat[i].decode(): bytes(flat[i + 1]) for i in range(0, len(flat), 2)}

    async def claim(self, key: str, ttl: float) -> bool:
        keys = [self._keys.claim(key)]
        reply = await self._script(_lua.CLAIM, keys, [self._now_arg(), seconds_to_ms(ttl)])
        return bool(reply)

    async def put_session(self, key: str, record: bytes, ttl: float) -> None:
        name, ttl_ms = self._keys.session(key), seconds_to_ms(ttl)
        # Redis expires the key by its own time; the expiry kept in front of the record lets
        # a test's manual clock end it too (as it ends claims and presence).
        expiry = 0 if self._clock is None else int(self._clock.now() * 1000) + ttl_ms
        value = _SESSION_EXPIRY.pack(expiry) + check_blob(record, "record")
        self._check_open()
        with mapped_errors():
            await self._redis.set(name, value, px=ttl_ms)

    async def get_session(self, key: str) -> bytes | None:
        name = self._keys.session(key)
        self._check_open()
        with mapped_errors():
            found = await self._redis.get(name)
        if found is None:
            return None
        value = reply_bytes(found)
        (expiry,) = _SESSION_EXPIRY.unpack_from(value)
        if self._clock is not None and expiry <= self._clock.now() * 1000:
            return None
        return value[_SESSION_EXPIRY.size :]

    async def drop_session(self, key: str) -> None:
        name = self._keys.session(key)
        self._check_open()
        with mapped_errors():
            await self._redis.delete(name)

    async def save_room(self, slug: str, config: bytes) -> None:
        check_name(slug)
        self._check_open()
        with mapped_errors():
            await self._redis.hset(self._keys.rooms, slug, check_blob(config, "config"))

    async def load_rooms(self) -> dict[str, bytes]:
        self._check_open()
        with mapped_errors():
            stored = await self._redis.hgetall(self._keys.rooms)
        return {reply_bytes(slug).decode(): reply_bytes(config) for slug, config in stored.items()}

    async def ping(self) -> None:
        """On a cluster, every master must answer (each one serves some rooms)."""
        self._check_open()
        with mapped_errors():
            if isinstance(self._redis, RedisCluster):
                await self._redis.ping(target_nodes=RedisCluster.PRIMARIES)
            else:
                await self._redis.ping()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._listener.aclose()
        with contextlib.suppress(RedisError, RedisClusterException, OSError):
            await self._redis.aclose()
        with contextlib.suppress(RedisError, OSError):
            await topology.close_extras(self._redis)

    # -- internals -------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise BackendUnavailable("backend closed")

    @contextlib.asynccontextmanager
    async def _subscribe_open(self, tag: str) -> AsyncIterator[AsyncIterator[Envelope | Gap]]:
        self._check_open()
        async with self._listener.subscribe(tag) as inbox:
            yield inbox

    def _seen(self, room: str, seq: int) -> None:
        if seq > self._high.get(room, 0):
            self._high[room] = seq

    def _now_arg(self) -> int | str:
        return "" if self._clock is None else int(self._clock.now() * 1000)

    def _envelopes(self, room: str, reply: list[Any], payloads: list[bytes]) -> list[Envelope]:
        epoch, ts_ms, first = reply[0].decode(), int(reply[1]), int(reply[2])
        self._seen(room, first + len(payloads) - 1)
        return [Envelope(first + i, epoch, ts_ms, p) for i, p in enumerate(payloads)]

    async def _room_script(self, source: str, room: str, args: list[Any]) -> Any:
        keys = [self._keys.room(room, n) for n in ("seq", "epoch", "stream", "payloads", "state")]
        common = [
            self._now_arg(),
            self._window_ms,
            self._max_events,
            self._content_ttl_ms,
            self._epoch_ttl_ms,
            new_epoch(),
            self._high.get(room, 0),
        ]
        return await self._script(source, keys, [*common, *args])

    async def _presence_script(self, source: str, room: str, args: list[Any]) -> Any:
        keys = [self._keys.room(room, "presence"), self._keys.room(room, "presence-info")]
        return await self._script(source, keys, [self._now_arg(), *args])

    async def _script(self, source: str, keys: list[str], args: list[Any]) -> Any:
        """Run a script by EVALSHA, or by EVAL if that server does not know it (yet, or again).

        EVAL goes to the same node as EVALSHA (the keys' slot), so a cluster never needs every
        master up to load a script, and NOSCRIPT means nothing ran: the fallback cannot run a
        script twice. On a cluster the scripts publish with SPUBLISH (`_lua.sharded`).
        """
        self._check_open()
        script = self._scripts.get(source)
        if script is None:
            text = _lua.sharded(source) if self._cluster else source
            script = self._scripts[source] = (
                text,
                hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest(),
            )
        text, sha = script
        with mapped_errors():
            try:
                return await self._redis.execute_command("EVALSHA", sha, len(keys), *keys, *args)
            except NoScriptError:
                return await self._redis.execute_command("EVAL", text, len(keys), *keys, *args)


_: type[Backend] = RedisBackend
