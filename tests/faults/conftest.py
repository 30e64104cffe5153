"""Fixtures for fault tests: a Redis of the test's own (it gets stopped and restarted), a shared
clock for real node processes, and a way to start several nodes at once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.faults.people import SharedClock
from tests.support.live import Live, live_server
from tests.support.nodes import NodeProcess

StartNodes = Callable[..., list[NodeProcess]]


@pytest.fixture
def start_nodes(shared_clock: SharedClock) -> Iterator[StartNodes]:
    """`start_nodes(redis_url, count, **settings)`: real `sharecircle serve` processes, started in
    parallel, all on the shared clock; every one is killed at the end of the test."""
    started: list[NodeProcess] = []

    def start(redis_url: str, count: int, **settings: Any) -> list[NodeProcess]:
        nodes = [
            NodeProcess(redis_url, test_clock_file=str(shared_clock.path), **settings)
            for _ in range(count)
        ]
        started.extend(nodes)
        with ThreadPoolExecutor(max_workers=count) as pool:
            list(pool.map(NodeProcess.start, nodes))
        return nodes

    yield start
    for node in started:
        node.close()


@pytest.fixture
async def live() -> AsyncIterator[Live]:
    """An in-process node on the in-memory backend with the real clock."""
    async with live_server() as server:
        yield server
