"""Backends: the shared state of a sharecircle cluster behind one interface (`Backend`).

`open_backend(url)` picks the implementation from the URL scheme:

- `memory://` — in-process, for a single node (the default) and for tests;
- `redis://`, `rediss://`, `unix://` — Redis or Valkey, for several nodes;
- `redis+sentinel://host:port[,host:port...]/service[/db]` — the master a Sentinel names,
  followed across failovers;
- `redis+cluster://host:port[,host:port...]` — a Redis Cluster (7.0+), events over sharded
  pub/sub (docs/reliability.md, "Redis Cluster and Sentinel").

The Redis module is imported only when a Redis URL is opened, so a single-node install never
loads redis-py.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from rooms.backends.base import Backend, Envelope, Gap, Position, Resync, Versioned
from rooms.voice_bus import AudioBus, MemoryAudioBus

__all__ = [
    "Backend",
    "Envelope",
    "Gap",
    "Position",
    "Resync",
    "Versioned",
    "open_audio_bus",
    "open_backend",
]

_REDIS_SCHEMES = frozenset({"redis", "rediss", "unix", "redis+sentinel", "redis+cluster"})


def open_backend(url: str, **options: Any) -> Backend:
    """Create the backend named by `url`; `options` go to its constructor.

    Memory options: `window_seconds`, `window_max_events`, `clock`, `queue_size`. Redis options:
    those of `RedisBackend.from_url`. Nothing connects until the backend is first used.

    Raises:
        ValueError: the URL's scheme is not one of memory, redis, rediss, unix, redis+sentinel,
            redis+cluster, or a sentinel or cluster URL is malformed.
    """
    scheme = urlsplit(url).scheme.lower()
    if scheme == "memory":
        from rooms.backends.memory import MemoryBackend

        return MemoryBackend(**options)
    if scheme in _REDIS_SCHEMES:
        from rooms.backends.redis import RedisBackend

        return RedisBackend.from_url(url, **options)
    raise ValueError(
        f"unsupported backend URL scheme {scheme!r} "
        "(memory, redis, rediss, unix, redis+sentinel, redis+cluster)"
    )


def open_audio_bus(url: str, **options: Any) -> AudioBus:
    """The voice audio bus for the same URL (rooms/voice_bus.py): in memory for `memory://`,
    Redis pub/sub otherwise (`_redis_audio.py`; `options` go to `RedisAudioBus.from_url`)."""
    if urlsplit(url).scheme.lower() == "memory":
        return MemoryAudioBus()
    from rooms.backends._redis_audio import RedisAudioBus

    return RedisAudioBus.from_url(url, **options)
