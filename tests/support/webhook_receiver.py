"""A real HTTP receiver for webhook tests: starlette under uvicorn on 127.0.0.1, port 0.

It records every request (path, query, headers, raw body) and answers from a script the test
sets per path (`receiver.script("/hook", Reply(503, {"Retry-After": "20"}), Reply(200))`);
with no script left it answers 200. `await receiver.wait_for(n)` waits (at most 10 s) until
`n` requests have arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["Received", "Receiver", "Reply", "webhook_receiver"]


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"


@dataclass(frozen=True)
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    """Lower-case names."""
    body: bytes


class Receiver:
    def __init__(self) -> None:
        self.url = ""
        self.requests: list[Received] = []
        self._scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self._arrived = asyncio.Condition()

    def script(self, path: str, *replies: Reply) -> None:
        self._scripts[path].extend(replies)

    def at(self, path: str) -> list[Received]:
        return [request for request in self.requests if request.path == path]

    async def wait_for(self, count: int) -> list[Received]:
        """The requests, once at least `count` arrived (at most 10 s)."""
        async with asyncio.timeout(10), self._arrived:
            await self._arrived.wait_for(lambda: len(self.requests) >= count)
        return self.requests

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        received = Received(
            request.url.path,
            dict(request.query_params),
            {k.lower(): v for k, v in request.headers.items()},
            body,
        )
        queue = self._scripts[request.url.path]
        reply = queue.popleft() if queue else Reply()
        async with self._arrived:
            self.requests.append(received)
            self._arrived.notify_all()
        return Response(reply.body, reply.status, reply.headers)


@contextlib.asynccontextmanager
async def webhook_receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = Starlette(routes=[Route("/{path:path}", receiver._handle, methods=["POST"])])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
        receiver.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        yield receiver
    finally:
        server.should_exit = True
        try:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)
        finally:
            sock.close()
