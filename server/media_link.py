"""One media connection as the node holds it: who it is, what it wants, and its two queues.

Audio may be lost; control may not. A listener's audio waits in a bounded queue that drops its
oldest frame when full (counted as `slow`), so a listener who falls behind loses audio and is
never closed for it; control frames (`live`, `refused`, `pong`) wait in their own small queue
and go first. One writer task per connection sends both (server/media.py); the chat connection
is another socket altogether and never waits for either.
"""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass, field
from typing import Final

from aiolimiter import AsyncLimiter

from server import media_wire as wire
from server import metrics

__all__ = ["CLOSE", "Close", "MediaLink", "RateBucket"]


@dataclass(frozen=True, slots=True)
class Close:
    code: int
    reason: str


CLOSE: Final = Close(1000, "goodbye")
MAX_CONTROL_QUEUE: Final = 64
"""Control frames waiting for a client that does not read them; past it the client is closed
with 4008 `slow` (only a client flooding pings or bad frames gets anywhere near it)."""
SLOW_CLOSE: Final = 4008


class RateBucket:
    """A token bucket on the loop's clock: `rate` frames a second, up to `burst` at once."""

    __slots__ = ("_at", "_burst", "_rate", "_tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self._rate, self._burst, self._tokens = rate, burst, burst
        self._at = 0.0

    def take(self, now: float) -> bool:
        if self._at:
            self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


@dataclass(eq=False, slots=True)
class MediaLink:
    """One authenticated media connection."""

    conn_id: str
    slug: str
    member: str
    observer: bool
    queue_frames: int
    bucket: RateBucket
    controls: AsyncLimiter
    """Control frames (`listen`, `speak`, `ping`), at the chat connection's `command_rate`:
    each `listen` flip is a backend (un)subscribe, so a flood of them is refused."""
    text: bool = False
    """Control frames go as JSON text (the client's `auth` came as text), else msgpack."""
    listening: bool = False
    speaking: bool = False
    """The person shares by voice (asked for it, or sent audio): `live` changes are sent."""
    live: bool = False
    """What the last `live` frame told them."""
    refused_told: bool = False
    """The refusal was answered once already in this spell of not being heard."""
    audio: collections.deque[bytes] = field(default_factory=collections.deque)
    control: collections.deque[bytes | str | Close] = field(default_factory=collections.deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    closing: Close | None = None
    bad_frames: int = 0

    def push_audio(self, frame: bytes) -> None:
        """Queue a relayed frame; a full queue loses its oldest (never blocks, never closes)."""
        if self.closing is not None:
            return
        if len(self.audio) >= self.queue_frames:
            self.audio.popleft()
            metrics.audio("slow")
        self.audio.append(frame)
        metrics.audio("delivered")
        self.wake.set()

    def tell(self, kind: str, **fields: object) -> None:
        """Queue a control frame in this connection's encoding."""
        if self.closing is not None:
            return
        if len(self.control) >= MAX_CONTROL_QUEUE:
            self.close(SLOW_CLOSE, "slow")
            return
        self.control.append(wire.control(kind, text=self.text, **fields))
        self.wake.set()

    def close(self, code: int, reason: str) -> None:
        if self.closing is not None:
            return
        self.closing = Close(code, reason)
        self.audio.clear()
        self.control.append(self.closing)
        self.wake.set()

    def next_item(self) -> bytes | str | Close | None:
        """Control first, then the oldest audio frame; None when both are empty."""
        if self.control:
            return self.control.popleft()
        if self.audio:
            return self.audio.popleft()
        self.wake.clear()
        return None
