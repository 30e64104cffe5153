"""A subscriber's bounded local queue, shared by both backends.

Publishers never wait for a subscriber (STYLE.md §8). When a subscriber falls `maxsize` items
behind, its backlog is thrown away and replaced by one `Gap("overflow")`: the subscriber catches up
from the replay window (which holds the same events) instead of the node holding them in memory.
"""

from __future__ import annotations

import asyncio
from collections import deque

from rooms.backends.base import Envelope, Gap

__all__ = ["Inbox"]


class Inbox:
    """An async iterator of envelopes and gaps, fed without blocking by `put`."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("queue size must be at least 1")
        self._maxsize = maxsize
        self._items: deque[Envelope | Gap] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self.overflows = 0
        """How many times this subscriber's backlog was dropped (for metrics and tests)."""

    def put(self, item: Envelope | Gap) -> None:
        """Queue an item; never blocks. A full queue becomes a single Gap."""
        if self._closed:
            return
        if isinstance(item, Gap):
            if self._items and isinstance(self._items[-1], Gap):
                return  # one pending Gap already says "catch up"
        elif len(self._items) >= self._maxsize:
            self._items.clear()
            self.overflows += 1
            item = Gap("overflow")
        self._items.append(item)
        self._wake()

    def close(self) -> None:
        """End the iteration (the subscription was left or the backend closed)."""
        self._closed = True
        self._items.clear()
        self._wake()

    @property
    def closed(self) -> bool:
        return self._closed

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def __aiter__(self) -> Inbox:
        return self

    async def __anext__(self) -> Envelope | Gap:
        while not self._items:
            if self._closed:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.popleft()
