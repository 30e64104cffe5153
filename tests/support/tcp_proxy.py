"""A TCP proxy in the test's event loop that can black-hole its connections.

`blackhole()` makes every connection open at that moment swallow what it reads, in both directions,
while keeping both sockets open: the peers see a half-open connection (no error, no data), as
after a silent network partition. Connections opened later are forwarded normally, so a client
that notices and reconnects gets through.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

__all__ = ["BlackholeProxy"]


@dataclass(eq=False)
class _Pipe:
    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    blackholed: bool = False


class BlackholeProxy:
    """Forwards 127.0.0.1:`port` to `upstream_host`:`upstream_port`."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._server: asyncio.Server | None = None
        self._pipes: list[_Pipe] = []
        self.port = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    async def start(self) -> BlackholeProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def blackhole(self) -> int:
        """Silence every open connection; returns how many there were."""
        for pipe in self._pipes:
            pipe.blackholed = True
        return len(self._pipes)

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
        for pipe in self._pipes:
            for task in pipe.tasks:
                task.cancel()
            for writer in pipe.writers:
                writer.close()
        for pipe in self._pipes:
            await asyncio.gather(*pipe.tasks, return_exceptions=True)
            for writer in pipe.writers:
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
        self._pipes.clear()
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        pipe = _Pipe(writers=[writer])
        self._pipes.append(pipe)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._upstream)
        except OSError:
            writer.close()
            return
        pipe.writers.append(up_writer)
        pipe.tasks = [
            asyncio.create_task(self._pump(pipe, reader, up_writer)),
            asyncio.create_task(self._pump(pipe, up_reader, writer)),
        ]

    @staticmethod
    async def _pump(
        pipe: _Pipe, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                if not pipe.blackholed:
                    writer.write(data)
                    await writer.drain()
            if not pipe.blackholed:
                writer.close()
