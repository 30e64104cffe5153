"""How Redis trouble reaches the rooms layer: `BackendUnavailable` or `BackendError`.

Connection loss, timeouts, failovers and cluster reshuffles are `BackendUnavailable` (the
caller retries later); any other Redis error, or a reply of an unexpected shape, is
`BackendError` (a bug).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from redis.exceptions import (
    ClusterError,
    MasterDownError,
    ReadOnlyError,
    RedisClusterException,
    RedisError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rooms.errors import BackendError, BackendUnavailable

__all__ = ["UNAVAILABLE", "mapped_errors", "reply_bytes"]

UNAVAILABLE = (
    RedisConnectionError,  # includes BusyLoadingError (a restarted server loading)
    RedisTimeoutError,
    ReadOnlyError,  # talking to a replica after a failover
    MasterDownError,
    TryAgainError,
    ClusterError,  # includes ClusterDownError; also a redirect loop during resharding
    RedisClusterException,  # no reachable node, an uncovered slot (not a RedisError)
    OSError,
    TimeoutError,
)
"""What makes Redis unavailable for now rather than wrong."""


def reply_bytes(value: object) -> bytes:
    """A reply field as bytes (replies are bytes: the client never decodes)."""
    if isinstance(value, bytes):
        return value
    raise BackendError(f"unexpected reply field of type {type(value).__name__}")


@contextlib.contextmanager
def mapped_errors() -> Iterator[None]:
    """Redis trouble becomes `BackendUnavailable` (retry later) or `BackendError` (a bug)."""
    try:
        yield
    except UNAVAILABLE as exc:
        raise BackendUnavailable(f"redis unavailable ({type(exc).__name__})") from exc
    except RedisError as exc:
        raise BackendError(f"redis error ({type(exc).__name__})") from exc
