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


@pytest.mark.parametrize("url", ["postgres://db/x", "memcached://m", "nonsense"])
def test_unknown_schemes_are_refused(url: str) -> None:
    """Any other scheme is a configuration error."""
    with pytest.raises(ValueError, match="scheme"):
        open_backend(url)


def test_the_package_exports_the_interface() -> None:
    """`rooms.backends` re-exports the base types and `open_backend`."""
    assert sorted(backends.__all__) == [
        "Backend",
        "Envelope",
        "Gap",
        "Position",
        "Resync",
        "Versioned",
        "open_backend",
    ]
