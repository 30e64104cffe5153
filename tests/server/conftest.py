from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from rooms.clock import ManualClock
from tests.support.live import Live, live_server


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def live() -> AsyncIterator[Live]:
    """A node on the in-memory backend with the real clock."""
    async with live_server() as server:
        yield server


@pytest.fixture
async def live_clocked(clock: ManualClock) -> AsyncIterator[Live]:
    """A node whose meeting timers follow the manual clock."""
    async with live_server(clock=clock) as server:
        yield server
