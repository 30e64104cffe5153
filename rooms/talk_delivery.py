"""Delivery of private conversations on one node: who is local, and what each local connection
has been sent (rooms/talk.py decides what is said; this hands it out).

The node listens once on the backend's conversation bus. Each event names the party keys it is
for (rooms/conversations.py Rule 4); it goes to this node's connections of those parties and to
no one else, once per connection (a seq per conversation and connection drops repeats, so a
replay after a resume or a bus gap never sends anything twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, Protocol

from rooms.backends.base import Backend, ConversationEvent, Gap
from rooms.conversations import Sent, frames_for

__all__ = ["BUS_RETRY_SECONDS", "LocalParties", "Outlet"]

log = logging.getLogger(__name__)

BUS_RETRY_SECONDS: Final = (0.1, 5.0)
"""Backoff range of the bus listener after a failure (it never gives up while the node runs)."""


class Outlet(Protocol):
    """A local connection as conversations see it: an id, and a non-blocking send."""

    @property
    def conn_id(self) -> str: ...

    def send(self, frame: Mapping[str, Any]) -> None: ...


class LocalParties:
    """This node's connections of conversation parties, and the bus that feeds them."""

    def __init__(self, backend: Backend, on_gap: Callable[[], Awaitable[None]]) -> None:
        self.backend = backend
        self._on_gap = on_gap
        self._local: dict[str, dict[str, Outlet]] = {}  # party key -> conn id -> outlet
        self._last: dict[tuple[str, str], int] = {}  # (conn id, conversation) -> last seq sent
        self._bus: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self, ready_within: float) -> None:
        """Listen on the bus; returns once subscribed (or after `ready_within` seconds)."""
        self._bus = asyncio.create_task(self._listen(), name="conversations")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(ready_within):
                await self._ready.wait()

    async def aclose(self) -> None:
        if self._bus is not None:
            self._bus.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._bus

    def attach(self, key: str, outlet: Outlet) -> None:
        self._local.setdefault(key, {})[outlet.conn_id] = outlet

    def detach(self, key: str, outlet: Outlet) -> None:
        outlets = self._local.get(key, {})
        outlets.pop(outlet.conn_id, None)
        if not outlets:
            self._local.pop(key, None)
        for pair in [p for p in self._last if p[0] == outlet.conn_id]:
            del self._last[pair]

    def here(self, key: str) -> bool:
        """Whether this party has a connection on this node."""
        return key in self._local

    def outlets(self) -> list[tuple[str, Outlet]]:
        return [(key, o) for key, outlets in self._local.items() for o in outlets.values()]

    def sent_up_to(self, outlet: Outlet, conversation: str) -> int:
        return self._last.get((outlet.conn_id, conversation), 0)

    def hand(
        self, outlet: Outlet, key: str, event: ConversationEvent, sent: Sent | None = None
    ) -> None:
        """Send one event to one connection of party `key`, if it is for them and new to it."""
        sent = sent or Sent.from_bytes(event.payload)
        pair = (outlet.conn_id, event.conversation)
        if key not in sent.to or event.seq <= self._last.get(pair, 0):
            return
        self._last[pair] = event.seq
        outlet.send(frames_for(sent, event.conversation, event.seq, event.ts_ms, key))

    def _deliver(self, event: ConversationEvent) -> None:
        sent = Sent.from_bytes(event.payload)
        for key in sent.to:
            for outlet in list(self._local.get(key, {}).values()):
                self.hand(outlet, key, event, sent)
                if sent.event == "conversation.ended":
                    self._last.pop((outlet.conn_id, event.conversation), None)

    async def _listen(self) -> None:
        """The bus, for as long as the node runs: deliver, and catch up after a gap."""
        failures = 0
        while True:
            try:
                async with self.backend.subscribe_conversations() as bus:
                    self._ready.set()
                    failures = 0
                    async for item in bus:
                        if isinstance(item, Gap):
                            await self._on_gap()
                        else:
                            self._deliver(item)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # log ids only, back off, listen again
                log.warning("conversation bus: %s", type(exc).__name__)
            failures += 1
            low, high = BUS_RETRY_SECONDS
            await asyncio.sleep(min(high, low * 2**failures))
