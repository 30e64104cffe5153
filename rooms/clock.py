"""Time, injected: logic asks a Clock for `now` so tests can move time by hand.

Wall-clock seconds (Unix epoch) are used because deadlines are shared between nodes and shown to
clients; every node runs NTP in production.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

__all__ = ["Clock", "ManualClock", "OffsetFileClock", "SystemClock", "sleep_until_or"]


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the Unix epoch."""
        ...

    async def sleep_until(self, deadline: float) -> None:
        """Return at or after `deadline` (possibly early if woken; callers re-check)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        return time.time()

    async def sleep_until(self, deadline: float) -> None:
        delay = deadline - time.time()
        if delay > 0:
            await asyncio.sleep(delay)


class ManualClock:
    """A clock that only moves when a test calls `advance`; sleepers wake when it passes them."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start
        self._changed = asyncio.Event()

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds
        self._changed.set()
        self._changed = asyncio.Event()

    async def sleep_until(self, deadline: float) -> None:
        while self._now < deadline:
            await self._changed.wait()


class OffsetFileClock:
    """The real clock shifted by a number of seconds read from a file (tests of real processes).

    Lets a test move the time of several `sharecircle serve` processes at once, so that a share
    "expires" without anyone sleeping for it. Sleeps poll in short steps because the offset can
    jump forward at any moment. Never used unless the `test_clock_file` setting names a file.
    """

    POLL = 0.05

    def __init__(self, path: str) -> None:
        self.path = path

    def _offset(self) -> float:
        try:
            with open(self.path) as handle:
                return float(handle.read().strip() or 0)
        except (OSError, ValueError):
            return 0.0

    def now(self) -> float:
        return time.time() + self._offset()

    async def sleep_until(self, deadline: float) -> None:
        while (remaining := deadline - self.now()) > 0:  # noqa: ASYNC110 (the offset may jump)
            await asyncio.sleep(min(remaining, self.POLL))


async def sleep_until_or(clock: Clock, deadline: float, wake: asyncio.Event) -> None:
    """Sleep on `clock` until `deadline`, or until `wake` is set, whichever comes first (a
    deadline loop sleeps this way so that a change can move its deadline)."""
    sleeper = asyncio.ensure_future(clock.sleep_until(deadline))
    waker = asyncio.ensure_future(wake.wait())
    try:
        await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeper.cancel()
        waker.cancel()
