"""The audio bus on Redis: pub/sub only, one channel per room, a connection of its own.

Frames are PUBLISHed to `<prefix>:audio:{<room>}` and read by one SUBSCRIBE connection per node.
Nothing is written to a key: no list, no stream, no expiry to wait for (docs/privacy.md,
"Voice"). The channel name carries the room's slug and nothing else. A lost connection loses
the frames sent meanwhile, which is what audio should do; the reader reconnects with backoff and
subscribes to the node's rooms again. rooms/voice_bus.py has the protocol and the memory twin.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from rooms.backends import _redis_topology as topology
from rooms.errors import BackendUnavailable

__all__ = ["RedisAudioBus"]

log = logging.getLogger(__name__)

FrameSink = Callable[[bytes], None]

READ_TIMEOUT = 1.0
"""Seconds one read waits for a frame before the reader loop checks whether it should stop."""
BACKOFF = (0.1, 5.0)
"""First and longest pause between reconnect attempts."""


class RedisAudioBus:
    """`AudioBus` over Redis pub/sub. Build it with `from_url`."""

    def __init__(self, client: Redis | RedisCluster, *, key_prefix: str = "sc") -> None:
        self._redis = client
        self._prefix = key_prefix
        self._sinks: dict[str, list[FrameSink]] = {}
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._closed = False

    @classmethod
    def from_url(
        cls, url: str, *, key_prefix: str = "sc", timeout: float = 5.0, **_: Any
    ) -> RedisAudioBus:
        client = topology.open_client(url, command_timeout=timeout, connect_timeout=timeout)
        return cls(client, key_prefix=key_prefix)

    def channel(self, room: str) -> str:
        return f"{self._prefix}:audio:{{{room}}}"

    async def publish(self, room: str, frame: bytes) -> None:
        try:
            await self._redis.publish(self.channel(room), frame)
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("audio publish failed") from exc

    async def listen(self, room: str, sink: FrameSink) -> Callable[[], None]:
        sinks = self._sinks.setdefault(room, [])
        sinks.append(sink)
        if len(sinks) == 1:
            await self._subscribe(room)

        def stop() -> None:
            current = self._sinks.get(room)
            if current is None or sink not in current:
                return
            current.remove(sink)
            if not current:
                del self._sinks[room]
                if self._pubsub is not None and not self._closed:
                    task = asyncio.ensure_future(self._unsubscribe(room))
                    task.add_done_callback(_quiet)

        return stop

    async def _subscribe(self, room: str) -> None:
        if self._pubsub is None:
            self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        try:
            await self._pubsub.subscribe(self.channel(room))
        except (RedisError, OSError) as exc:
            self._sinks.pop(room, None)
            raise BackendUnavailable("audio subscribe failed") from exc
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read(), name="audio-bus")

    async def _unsubscribe(self, room: str) -> None:
        if room in self._sinks or self._pubsub is None:
            return  # someone listens again
        with contextlib.suppress(RedisError, OSError):
            await self._pubsub.unsubscribe(self.channel(room))

    async def _read(self) -> None:
        """Hand frames to the sinks until closed; on errors, reconnect with backoff."""
        pause = BACKOFF[0]
        while not self._closed and self._pubsub is not None:
            try:
                message = await self._pubsub.get_message(timeout=READ_TIMEOUT)
                pause = BACKOFF[0]
            except RuntimeError:  # no channel subscribed yet (after a reconnect with none)
                await asyncio.sleep(READ_TIMEOUT)
                continue
            except (RedisError, OSError) as exc:
                log.warning("audio bus: connection lost (%s); reconnecting", type(exc).__name__)
                await asyncio.sleep(pause)
                pause = min(pause * 2, BACKOFF[1])
                await self._resubscribe()
                continue
            if message is None or message.get("type") != "message":
                continue
            self._deliver(message)

    def _deliver(self, message: dict[str, Any]) -> None:
        channel = message["channel"]
        name = channel.decode() if isinstance(channel, bytes) else str(channel)
        room = name[name.find("{") + 1 : name.rfind("}")]
        data = message["data"]
        for sink in list(self._sinks.get(room, ())):
            sink(bytes(data))

    async def _resubscribe(self) -> None:
        old, self._pubsub = self._pubsub, self._redis.pubsub(ignore_subscribe_messages=True)
        if old is not None:
            with contextlib.suppress(Exception):
                await old.aclose()  # type: ignore[no-untyped-call]
        rooms = [self.channel(room) for room in self._sinks]
        if rooms:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.subscribe(*rooms)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._sinks.clear()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        with contextlib.suppress(Exception):
            await self._redis.aclose()


def _quiet(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved: an unsubscribe that failed needs no log
