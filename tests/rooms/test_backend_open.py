"""`open_backend` picks the implementation from the URL scheme and connects lazily."""

from __future__ import annotations

import pytest

from rooms import backends
from rooms.backends import open_backend
from rooms.backends.memory import MemoryBackend
from rooms.backends.redis import RedisBackend
from rooms.clock import ManualClock


async def test_memory_urls_open_the_memory_backend(clock: ManualClock) -> None:
    """`memory://` gives an in-process backend, with options passed through."""
    backend = open_backend("memory://", window_seconds=60, clock=clock)
    assert isinstance(backend, MemoryBackend)
    (env,) = await backend.publish("room", [b"x"])
    assert env.ts_ms == int(clock.now() * 1000)
    await backend.aclose()


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:1/0", "rediss://cache.example:6380", "unix:///tmp/none.sock"]
)
async def test_redis_urls_open_the_redis_backend_without_connecting(url: str) -> None:
    """Redis URLs give a RedisBackend; nothing connects until it is used."""
    backend = open_backend(url, key_prefix="x", window_seconds=30)
    assert isinstance(backend, RedisBackend)
    await backend.aclose()


@pytest.mark.parametrize(
    "url",
    [
        "redis+cluster://127.0.0.1:1",
        "redis+cluster://user:secret@10.0.0.1:7000,10.0.0.2:7001,[::1]:7002/",
        "redis+sentinel://127.0.0.1:1/mymaster",
        "redis+sentinel://:secret@s1:26379,s2,[::1]:26380/mymaster/2",
    ],
)
async def test_cluster_and_sentinel_urls_open_the_redis_backend_without_connecting(
    url: str,
) -> None:
    """Cluster and Sentinel URLs (several hosts, optional credentials) give a RedisBackend."""
    backend = open_backend(url, key_prefix="x")
    assert isinstance(backend, RedisBackend)
    await backend.aclose()


@pytest.mark.parametrize(
    "url",
    [
        "redis+cluster://127.0.0.1:7000/3",  # a cluster has only db 0
        "redis+cluster://127.0.0.1:x",
        "redis+sentinel://127.0.0.1:26379",  # no service name
        "redis+sentinel://127.0.0.1:26379/mymaster/zero",
        "redis+sentinel://127.0.0.1:26379/a/1/extra",
    ],
)
def test_malformed_cluster_and_sentinel_urls_are_refused(url: str) -> None:
    """A bad host list, database or service name is a configuration error."""
    with pytest.raises(ValueError, match=r"redis\+cluster|redis\+sentinel|host"):
        open_backend(url)


async def test_room_names_with_braces_are_refused_by_redis() -> None:
    """A brace in a room name would break the hash tag that keeps the room in one slot."""
    backend = open_backend("redis://127.0.0.1:1")
    with pytest.raises(ValueError, match="braces"):
        await backend.position("}x")
    await backend.aclose()


@pytest.mark.parametrize("url", ["postgres://db/x", "memcached://m", "nonsense"])
def test_unknown_schemes_are_refused(url: str) -> None:
    """Any other scheme is a configuration error."""
    with pytest.raises(ValueError, match="scheme"):
        open_backend(url)


def test_the_package_exports_the_interface() -> None:
    """`rooms.backends` re-exports the base types, `open_backend` and `open_audio_bus`."""
    assert sorted(backends.__all__) == [
        "Backend",
        "Envelope",
        "Gap",
        "Position",
        "Resync",
        "Versioned",
        "open_audio_bus",
        "open_backend",
    ]
