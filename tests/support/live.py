"""A real sharecircle node inside the test's event loop: uvicorn on a pre-bound loopback socket.

Used by the server-level tests; the cluster tests start real `sharecircle serve` processes
instead (tests/support/nodes.py).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from rooms.backends.base import Backend
from rooms.clock import Clock
from server.app import create_app
from server.runner import DrainingServer, make_config
from server.settings import Settings

__all__ = ["Live", "live_server", "node_settings"]


def _throwaway_dir() -> str:
    directory = tempfile.mkdtemp(prefix="sc-live-", dir="/tmp")
    atexit.register(shutil.rmtree, directory, True)
    return directory


def node_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "secret": "test-secret-Fh3Kq8Zm1Wx6Tc9Lr4Vn7Bj2Ys5Pg0Du",
        "admin_token": "test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0",
        "presence_interval_seconds": 0.2,
        "join_deadline_seconds": 5.0,
        "post_rate": "1000/second",
        "command_rate": "1000/second",
        "frame_ceiling": "10000/minute",
        # A SQLite store of this node's own, in a throwaway directory (the real default's setup:
        # a file, WAL, a connection pool), removed when the test process ends.
        "data_dir": _throwaway_dir(),
        "metrics_token": "test-metrics",
        # Every test client comes from 127.0.0.1; tests/faults/test_address_limits.py sets them.
        "max_connections_per_address": 0,
        "handshake_rate_per_address": None,
        # ...and tests/faults/test_lobby_abuse.py sets the join limits per address.
        "join_rate_per_address": None,
        "failed_join_rate_per_address": None,
        "lobby_waiting_per_address": 0,
    }
    values.update(overrides)
    return Settings.from_mapping(values)


@dataclass
class Live:
    url: str
    http: str
    app: Any
    server: DrainingServer

    @property
    def node(self) -> Any:
        return self.app.state.node

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.http, timeout=10) as client:
            return await client.get(path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.http, timeout=10) as client:
            return await client.post(path, **kwargs)


@contextlib.asynccontextmanager
async def live_server(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    backend: Backend | None = None,
    plain_asgi: bool = False,
) -> AsyncIterator[Live]:
    """A node in this event loop. `plain_asgi` runs it on uvicorn's own WebSocket protocol,
    without our direct-write extension, as under any other ASGI server (the writer-task path)."""
    settings = settings or node_settings()
    app = create_app(settings, clock=clock, backend=backend)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = make_config(app, settings, logs=False)
    if plain_asgi:
        config.ws = "websockets-sansio"
    server = DrainingServer(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
        yield Live(f"ws://127.0.0.1:{port}/ws", f"http://127.0.0.1:{port}", app, server)
    finally:
        server.should_exit = True
        try:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 15)
        finally:
            sock.close()
