"""Backends for tests: one factory per test that makes "nodes" sharing one store.

For `memory`, the nodes are `MemoryBackend` handles sharing one in-process store; for `redis`, they
are `RedisBackend` instances on the same server with a key prefix unique to the test (so tests never
see each other's keys and need no FLUSHALL); for `cluster`, the same on a three-master Redis
Cluster (`redis+cluster://` URL, sharded pub/sub).
"""

from __future__ import annotations

import itertools
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from rooms.backends.base import Backend
from rooms.backends.memory import MemoryBackend
from rooms.backends.redis import RedisBackend
from rooms.clock import Clock

__all__ = ["KINDS", "BackendFactory", "stored_bytes"]

KINDS = ("memory", "redis", "cluster")

_prefixes = itertools.count(1)


class BackendFactory:
    """Makes backends of one kind that see the same data, like nodes of one cluster."""

    def __init__(self, kind: str, clock: Clock | None, redis_url: str | None = None) -> None:
        if kind != "memory" and redis_url is None:
            raise ValueError(f"a {kind} factory needs a server URL")
        self.kind = kind
        self.clock = clock
        self.redis_url = redis_url
        self.key_prefix = f"t{next(_prefixes)}"
        self._made: list[Backend] = []
        self._store: MemoryBackend | None = None

    def __call__(self, **options: Any) -> Backend:
        """A new node; `options` go to the backend's constructor."""
        options.setdefault("clock", self.clock)
        backend: Backend
        if self.kind == "memory":
            backend = MemoryBackend(share_with=self._store, **options)
            self._store = self._store or backend
        else:
            assert self.redis_url is not None
            backend = RedisBackend.from_url(self.redis_url, key_prefix=self.key_prefix, **options)
        self._made.append(backend)
        return backend

    def admin(self) -> Redis | RedisCluster:
        """A plain client on the same Redis (or cluster), for looking at raw keys."""
        assert self.redis_url is not None
        if self.kind == "cluster":
            first = self.redis_url.removeprefix("redis+cluster://").split(",")[0]
            return RedisCluster.from_url(f"redis://{first}")
        return Redis.from_url(self.redis_url)

    async def aclose(self) -> None:
        for backend in self._made:
            await backend.aclose()


async def stored_bytes(factory: BackendFactory, backend: Backend) -> bytes:
    """Everything the store holds for this factory's nodes, as raw bytes, to grep for content.

    For Redis this is the `DUMP` (RDB serialization, which is also what replication ships) of
    every key under the test's prefix (on a cluster: on every master); for memory, every blob
    the shared store references.
    """
    if isinstance(backend, MemoryBackend):
        store = backend._store
        blobs: list[bytes] = list(store.configs.values())
        for room in store.rooms.values():
            blobs += [event.payload for event in room.window]
            blobs += [info for _, info in room.presence.values()]
            if room.state is not None:
                blobs.append(room.state.data)
        blobs += [record for _, record in store.talk.records.values()]
        blobs += [event.payload for kept in store.talk.events.values() for event in kept]
        return b"\n".join(blobs)
    admin = factory.admin()
    try:
        chunks: list[bytes] = []
        async for key in admin.scan_iter(match=f"{factory.key_prefix}:*"):
            dumped = await admin.dump(key)
            if dumped is not None:
                chunks.append(dumped)
        return b"\n".join(chunks)
    finally:
        await admin.aclose()


FAST_FAULTS: dict[str, float] = {
    "health_interval": 0.1,
    "health_timeout": 0.3,
    "connect_timeout": 1.0,
    "reconnect_min": 0.02,
    "reconnect_max": 0.2,
    "command_timeout": 0.5,
}
"""Redis backend options for fault tests: liveness and backoff scaled down so that a restart, a
failover or a black hole is noticed within a fraction of a second."""
