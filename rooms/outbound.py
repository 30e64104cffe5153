"""An event on its way out to many connections: decoded once, encoded once per wire format.

The hub hands the same `OutboundEvent` to every local connection of a room; each connection's
writer asks for the bytes in its own format, and the first one to ask pays for the encoding
(docs/benchmarks.md: encode once, not once per member).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from rooms.events import HIDDEN

__all__ = ["FACILITATORS", "OutboundEvent", "hidden_twin"]

FACILITATORS: Final = "f"
"""The `_a` (audience) marker of events only facilitators may read."""


class OutboundEvent:
    """A room event frame plus a per-format cache of its encoding."""

    __slots__ = ("_cache", "audience", "event", "frame", "seq")

    def __init__(self, seq: int, frame: Mapping[str, Any], audience: str | None = None) -> None:
        self.seq = seq
        self.frame = frame
        self.event: str = frame.get("event", "")
        self.audience = audience
        self._cache: dict[str, bytes | str] = {}

    def encoded(self, key: str, encode: Callable[[Mapping[str, Any]], bytes | str]) -> bytes | str:
        """The frame in the format named `key`, encoding it the first time only."""
        data = self._cache.get(key)
        if data is None:
            data = self._cache[key] = encode(self.frame)
        return data


def hidden_twin(event: OutboundEvent) -> OutboundEvent:
    """What non-facilitators receive in place of a facilitators-only event: the seq, no content."""
    frame = event.frame
    return OutboundEvent(
        event.seq,
        {
            "type": "event",
            "event": HIDDEN,
            "seq": frame["seq"],
            "epoch": frame["epoch"],
            "ts": frame["ts"],
        },
    )
