"""Per-connection rate limits: leaky buckets from aiolimiter, one set per connection.

Each connection gets its own small buckets (no shared store, no background expiry), so checking
a frame costs the same with ten connections or ten thousand. Limits are written as in the
settings: `"5/5seconds"`, `"120/minute"`, `"10/second"`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final

from aiolimiter import AsyncLimiter

__all__ = [
    "SWEEP_AT_LEAST",
    "ConnectionRates",
    "Rate",
    "RateSyntaxError",
    "take_now",
    "wait_ms",
]

_UNITS: Final = {"second": 1.0, "minute": 60.0, "hour": 3600.0}
_SYNTAX: Final = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(second|minute|hour)s?\s*$")


class RateSyntaxError(ValueError):
    """A rate setting is not of the form `N/[M]unit`."""


@dataclass(frozen=True, slots=True)
class Rate:
    count: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        match = _SYNTAX.match(text)
        if match is None:
            raise RateSyntaxError(f"{text!r}: write a rate as N/second, N/minute or N/Mseconds")
        count, many, unit = match.groups()
        seconds = (int(many) if many else 1) * _UNITS[unit]
        if int(count) < 1 or seconds <= 0:
            raise RateSyntaxError(f"{text!r}: the count and the period must be positive")
        return cls(int(count), seconds)

    def bucket(self) -> AsyncLimiter:
        return AsyncLimiter(self.count, self.seconds)


class ConnectionRates:
    """The buckets of one connection: posts, other commands, and every frame."""

    __slots__ = ("_ceiling", "_commands", "_posts", "_rates")

    def __init__(self, posts: Rate, commands: Rate, ceiling: Rate) -> None:
        self._rates = (posts, commands)
        self._ceiling = ceiling.bucket()
        # Made on first use: a member who only listens never needs them.
        self._posts: AsyncLimiter | None = None
        self._commands: AsyncLimiter | None = None

    async def frame(self) -> bool:
        return await take_now(self._ceiling) is None

    async def post(self) -> int | None:
        """None if a post may go now, else the milliseconds to wait (`retry_after_ms`)."""
        if self._posts is None:
            self._posts = self._rates[0].bucket()
        return await take_now(self._posts)

    async def command(self) -> int | None:
        """None if a command may run now, else the milliseconds to wait (`retry_after_ms`)."""
        if self._commands is None:
            self._commands = self._rates[1].bucket()
        return await take_now(self._commands)


SWEEP_AT_LEAST: Final = 1024
"""Entries a table of buckets per address keeps before idle ones are swept (so a flood of
addresses cannot grow it without end; server/limits.py, server/join_guard.py)."""


def wait_ms(bucket: AsyncLimiter) -> int | None:
    """None if the bucket has room right now, else the milliseconds until it has.

    A leaky bucket refuses while its level is above `max_rate - 1`, and leaks one unit every
    `time_period / max_rate` seconds: after that long it has room again, whatever it holds.
    So that is the wait we tell the client (docs/protocol.md §5, `retry_after_ms`).
    """
    if bucket.has_capacity():
        return None
    return math.ceil(bucket.time_period / bucket.max_rate * 1000)


async def take_now(bucket: AsyncLimiter) -> int | None:
    """Take one unit if the bucket has room right now (never wait); else `wait_ms`."""
    wait = wait_ms(bucket)
    if wait is None:
        await bucket.acquire()  # returns at once: there is capacity
    return wait
