"""Prometheus metrics of one node, served at `GET /metrics` (text exposition format).

Only to a scraper that sends the `metrics_token` as a bearer token (docs/operations.md,
"Monitoring"): the counters say when a node is busy and how many people are on it.

Everything lives in one dedicated `CollectorRegistry` (never prometheus-client's global one), so
importing a library that registers its own metrics cannot leak into what a node exports.

What a label may carry: close codes and command names, both fixed sets from the code. Never a
member id, a display name, an address, a room slug or anything someone typed (docs/operations.md,
"Monitoring"): metrics are scraped and kept by other systems, outside our privacy rules.

Gauges that describe the node right now (open connections, active rooms, draining) are read from
the node at scrape time rather than counted up and down, so they cannot drift. Counters are
bumped by one-line calls at the obvious points of `server/endpoint.py`. Two hooks are callables
for code below the `server` layer, which may not import this module: `backend_reconnected` for
the Redis pub/sub listener and `observe_fanout` for the hub.

The registry is per process. A production process runs one node; tests that run several nodes in
one process share the counters (compare before and after) but each scrape reads its own node's
gauges.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

__all__ = [
    "REGISTRY",
    "audio",
    "audio_refused",
    "backend_reconnected",
    "command_received",
    "connection_closed",
    "connection_opened",
    "endpoint",
    "frames_sent",
    "media_opened",
    "observe_fanout",
    "render",
    "server_closed",
]

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)  # open fds, RSS, CPU: what capacity runs out of first
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

_CONNECTIONS = Gauge(
    "sharecircle_connections", "Open WebSocket connections on this node.", registry=REGISTRY
)
_ROOMS = Gauge(
    "sharecircle_rooms_active",
    "Rooms with at least one connection on this node (one backend subscription each).",
    registry=REGISTRY,
)
_DRAINING = Gauge(
    "sharecircle_draining", "1 after SIGTERM, while the node sends clients away.", registry=REGISTRY
)
_OPENED = Counter(
    "sharecircle_connections_opened",
    "WebSocket connections accepted and admitted (not refused as full or draining).",
    registry=REGISTRY,
)
_CLOSED = Counter(
    "sharecircle_connections_closed",
    "Admitted WebSocket connections that ended, for any reason.",
    registry=REGISTRY,
)
_COMMANDS = Counter(
    "sharecircle_commands_received",
    "Valid commands received from clients, by command.",
    ["command"],
    registry=REGISTRY,
)
_frames_sent = [0]
"""Counted as a plain int on the fan-out path (a Counter takes a lock on every call) and
exposed at scrape time by `_HotCounters`."""
_audio = {"relayed": 0, "delivered": 0, "slow": 0, "rate": 0}
"""Audio frames (server/media.py), counted as plain ints on the hot path like `_frames_sent`:
relayed by a speaker's node, delivered to a listener's socket queue, and dropped (a listener's
full queue: `slow`; a speaker over the frame rate: `rate`). Counts only, never a room or a person."""


class _HotCounters(Collector):
    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "sharecircle_frames_sent",
            "Frames written to client sockets (events, acks, errors, hello, pong, close).",
            value=_frames_sent[0],
        )
        yield CounterMetricFamily(
            "sharecircle_audio_frames_relayed",
            "Audio frames a speaker's node published to the room's audio channel.",
            value=_audio["relayed"],
        )
        yield CounterMetricFamily(
            "sharecircle_audio_frames_delivered",
            "Audio frames queued for a listener on this node.",
            value=_audio["delivered"],
        )
        dropped = CounterMetricFamily(
            "sharecircle_audio_frames_dropped",
            "Audio frames dropped: a slow listener's oldest (`slow`), or a speaker past the "
            "frame rate (`rate`).",
            labels=["reason"],
        )
        dropped.add_metric(["slow"], _audio["slow"])
        dropped.add_metric(["rate"], _audio["rate"])
        yield dropped


REGISTRY.register(_HotCounters())
_SERVER_CLOSES = Counter(
    "sharecircle_server_closes",
    "Connections the server closed, by close code (docs/protocol.md section 6).",
    ["code"],
    registry=REGISTRY,
)
_SLOW = Counter(
    "sharecircle_send_queue_overflows",
    "Clients closed with 4008 because their outbound queue overflowed (slow readers).",
    registry=REGISTRY,
)
_RECONNECTS = Counter(
    "sharecircle_backend_reconnects",
    "Times the backend's pub/sub connection was lost and had to be made again.",
    registry=REGISTRY,
)
_FANOUT = Histogram(
    "sharecircle_fanout_seconds",
    "Time from a backend envelope reaching the hub to its frame being queued for every "
    "local connection of the room.",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
    registry=REGISTRY,
)

_AUDIO_REFUSED = Counter(
    "sharecircle_audio_frames_refused",
    "Audio frames not relayed because the floor does not let the sender be heard, by refusal "
    "code (facilitation/voice_rules.py).",
    ["code"],
    registry=REGISTRY,
)
_MEDIA = Counter(
    "sharecircle_media_connections_opened",
    "Media connections (voice) that authenticated.",
    registry=REGISTRY,
)

_SLOW_CODE = 4008  # CloseCode.SLOW; a plain int keeps this module free of protocol imports
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


# -- the one-line calls of server/endpoint.py ---------------------------------------------------


def connection_opened() -> None:
    _OPENED.inc()


def connection_closed() -> None:
    _CLOSED.inc()


def command_received(command: object) -> None:
    """Count a decoded command; the label is its class name, a fixed set from the code."""
    _COMMANDS.labels(_command_name(type(command))).inc()


def frames_sent(count: int) -> None:
    """Count frames handed to a client socket (a close frame counts as one)."""
    _frames_sent[0] += count


def server_closed(code: int) -> None:
    """Count a close the server decided on (`code` is a `CloseCode`)."""
    _SERVER_CLOSES.labels(str(int(code))).inc()
    if code == _SLOW_CODE:
        _SLOW.inc()


def audio(what: str, count: int = 1) -> None:
    """Count audio frames: `relayed`, `delivered`, `slow` or `rate` (see `_audio`)."""
    _audio[what] += count


def audio_refused(code: str) -> None:
    """Count a speaker's frame the floor refused (`code`: a `Refusal` value, a fixed set)."""
    _AUDIO_REFUSED.labels(code).inc()


def media_opened() -> None:
    _MEDIA.inc()


# -- hooks for the layers below `server` (wired as callables; they may not import us) ------------


def backend_reconnected() -> None:
    """Call after the backend's pub/sub connection was lost and re-established."""
    _RECONNECTS.inc()


def observe_fanout(seconds: float) -> None:
    """Record how long one envelope took from arrival in the hub to the last local outbox."""
    _FANOUT.observe(seconds)


# -- exposition ----------------------------------------------------------------------------------


def render(node: Any) -> bytes:
    """The exposition text, with this node's gauges read just now."""
    _CONNECTIONS.set(len(node.endpoint.connections))
    _ROOMS.set(len(node.service.hub.rooms))
    _DRAINING.set(1 if node.endpoint.unready else 0)
    return generate_latest(REGISTRY)


async def endpoint(request: Request) -> Response:
    """`GET /metrics`, for whoever sends `Authorization: Bearer <metrics_token>` (Prometheus's
    `authorization` scrape setting); 403 while no token is configured, 401 without the token."""
    node = request.app.state.node
    expected = node.settings.metrics_token
    if not expected:
        return PlainTextResponse("metrics are off: set metrics_token\n", status_code=403)
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        return PlainTextResponse(
            "unauthorized\n", status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    return Response(render(node), media_type=CONTENT_TYPE_LATEST)


def _command_name(kind: type) -> str:
    return _CAMEL.sub("_", kind.__name__).lower()
