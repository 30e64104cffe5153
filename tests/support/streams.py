"""Reading a backend subscription in fault tests: bounded waits, catching up after a Gap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from rooms.backends.base import Backend, Envelope, Gap
from rooms.errors import BackendUnavailable

__all__ = ["TIMEOUT", "publish_when_back", "receive", "until", "until_gap"]

TIMEOUT = 5.0
"""Upper bound for one wait on delivery (never a timing assertion)."""


async def receive(stream: AsyncIterator[Envelope | Gap]) -> Envelope | Gap:
    async with asyncio.timeout(TIMEOUT):
        return await anext(stream)


async def publish_when_back(backend: Backend, room: str, payload: bytes) -> Envelope:
    """Publish, retrying while the backend is unavailable (the caller bounds the time)."""
    while True:
        try:
            (sent,) = await backend.publish(room, [payload])
            return sent
        except BackendUnavailable:
            await asyncio.sleep(0.1)


async def until_gap(stream: AsyncIterator[Envelope | Gap]) -> list[Envelope | Gap]:
    """Everything up to and including the next Gap("reconnect") (the caller bounds the time)."""
    items = [await anext(stream)]
    while items[-1] != Gap("reconnect"):
        items.append(await anext(stream))
    return items


async def until(stream: AsyncIterator[Envelope | Gap], last: Envelope) -> list[Envelope | Gap]:
    """Everything up to and including `last`, each wait bounded."""
    items = [await receive(stream)]
    while items[-1] != last:
        items.append(await receive(stream))
    return items
