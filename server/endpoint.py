"""The WebSocket driver: the only place that awaits a socket.

It negotiates the subprotocol and checks the Origin before accepting, sends `hello`, then runs a
reader and a writer task for the connection. The reader decodes frames (server/wire.py), applies
the limits (frame ceiling, rates, bad-frame budget, join deadline) and hands commands to the
handlers; the writer drains the connection's outbox. Whatever goes wrong in one connection ends
that connection with a close code and never touches another (docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import random
import time
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from server import metrics
from server.codes import CloseCode, ErrorCode
from server.commands import SPECS, Join, Ping, Post, Resume
from server.connection import DIRECT_SEND, Close, Connection
from server.errors import BadFrame, CloseConnection, ProtocolError
from server.handlers import Handlers, Peer
from server.rates import ConnectionRates, Rate
from server.settings import Settings
from server.wire import SUBPROTOCOLS, Wire, command_id, parse_command

__all__ = ["Endpoint"]

log = logging.getLogger(__name__)

CLOSE_GRACE_SECONDS = 2.0
"""How long a requested close waits for the writer to flush the frames queued before it."""


class Endpoint:
    """Accepts and serves WebSocket connections for one node."""

    def __init__(self, handlers: Handlers, settings: Settings) -> None:
        self.handlers = handlers
        self.settings = settings
        self.connections: dict[str, Connection] = {}
        self.draining = False
        self._post_rate = Rate.parse(settings.post_rate)
        self._command_rate = Rate.parse(settings.command_rate)
        self._ceiling = Rate.parse(settings.frame_ceiling)

    # -- handshake ----------------------------------------------------------------------------

    def _origin_allowed(self, ws: WebSocket) -> bool:
        origin = ws.headers.get("origin")
        if origin is None:
            return True  # not a browser; browsers always send Origin
        if origin in self.settings.allowed_origins:
            return True
        host = ws.headers.get("host", "")
        return urlsplit(origin).netloc == host and host != ""

    async def __call__(self, ws: WebSocket) -> None:
        offered = ws.scope.get("subprotocols") or []
        chosen = next((p for p in offered if p in SUBPROTOCOLS), None)
        if not self._origin_allowed(ws):
            await _deny(ws, 403, "origin not allowed")
            return
        if chosen is None:
            await _deny(ws, 400, f"use a subprotocol: {' or '.join(SUBPROTOCOLS)}")
            return
        await ws.accept(subprotocol=chosen)
        if self.draining or len(self.connections) >= self.settings.max_connections:
            metrics.server_closed(CloseCode.TRY_AGAIN_LATER)
            await ws.close(CloseCode.TRY_AGAIN_LATER, "node is full; try again later")
            return
        conn = Connection(
            Wire(chosen),
            max_messages=self.settings.outbox_max_messages,
            max_bytes=self.settings.outbox_max_bytes,
        )
        conn.rates = ConnectionRates(self._post_rate, self._command_rate, self._ceiling)
        direct = ws.scope.get("extensions", {}).get(DIRECT_SEND)
        if direct is not None:
            conn.use_direct_send(direct["write"])
        client = ws.scope.get("client")
        peer = Peer(address=client[0] if client else None)
        self.connections[conn.conn_id] = conn
        metrics.connection_opened()
        try:
            self._hello(conn)
            if conn.direct:
                await self._serve_direct(ws, conn, peer)
            else:
                await self._serve(ws, conn, peer)
        finally:
            del self.connections[conn.conn_id]
            metrics.connection_closed()
            await self._goodbye(conn)

    def _hello(self, conn: Connection) -> None:
        conn.send(
            {
                "type": "hello",
                "protocol": "sharecircle.v1",
                "server": "sharecircle/0.1.0",
                "heartbeat_ms": self.settings.heartbeat_ms,
                "max_frame_bytes": self.settings.max_frame_bytes,
                "max_text_chars": self.settings.max_text_chars,
            }
        )

    async def _serve(self, ws: WebSocket, conn: Connection, peer: Peer) -> None:
        reader = asyncio.create_task(self._read(ws, conn, peer))
        writer = asyncio.create_task(self._write(ws, conn))
        asked = asyncio.create_task(conn.close_requested.wait())
        done, _ = await asyncio.wait({reader, writer, asked}, return_when=asyncio.FIRST_COMPLETED)
        if writer not in done and conn.closing is not None:
            # A close was asked for (by the reader, the hub or an overflowing outbox): let the
            # writer flush what precedes it, but never wait on a client that stopped reading. Its
            # writer is stuck in `send` (the socket never drains), so the queued Close would never
            # be reached: after the grace the writer is dropped and the socket closed directly
            # (protocol.md §6: 4008 `slow`; runner.StallProofWebSocketProtocol bounds the rest).
            with contextlib.suppress(asyncio.TimeoutError, Exception):
                await asyncio.wait_for(asyncio.shield(writer), timeout=CLOSE_GRACE_SECONDS)
            if not writer.done():
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await writer
                await self._close_stalled(ws, conn.closing)
        asked.cancel()
        for task in (reader, writer):
            task.cancel()
        for task in (reader, writer):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for task in (reader, writer):
            if task not in done:
                continue
            exc = task.exception() if not task.cancelled() else None
            if exc is not None and not isinstance(exc, (WebSocketDisconnect, OSError)):
                log.error("connection %s failed: %s", conn.conn_id, type(exc).__name__)
                with contextlib.suppress(Exception):
                    await ws.close(CloseCode.INTERNAL_ERROR, "internal error")

    async def _serve_direct(self, ws: WebSocket, conn: Connection, peer: Peer) -> None:
        """Serve a connection whose frames are written synchronously (server/connection.py).

        Nothing is left for a writer task to do, so none exists: the reading runs in the
        connection's own ASGI task, and a close the hub or a limit decides on is sent by a
        short task made only then. Two fewer tasks per idle member (docs/benchmarks.md).
        """
        closing: list[asyncio.Task[None]] = []
        conn.on_close = lambda close: closing.append(
            asyncio.ensure_future(self._close_stalled(ws, close))
        )
        try:
            await self._read(ws, conn, peer)
            if conn.closing is not None and not closing:
                conn.on_close(conn.closing)
        except (WebSocketDisconnect, OSError):
            pass
        except Exception as exc:
            log.error("connection %s failed: %s", conn.conn_id, type(exc).__name__)
            with contextlib.suppress(Exception):
                await ws.close(CloseCode.INTERNAL_ERROR, "internal error")
        finally:
            for task in closing:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    @staticmethod
    async def _close_stalled(ws: WebSocket, close: Close) -> None:
        metrics.server_closed(close.code)
        with contextlib.suppress(asyncio.TimeoutError, Exception):
            await asyncio.wait_for(ws.close(close.code, close.reason), timeout=CLOSE_GRACE_SECONDS)

    async def _goodbye(self, conn: Connection) -> None:
        for task in list(conn.tasks):
            task.cancel()
        if conn.waiting_seat is not None:
            # Left the lobby before anyone decided; the ticket lapses by itself in the engine.
            await self.handlers.service.abandon(conn, conn.waiting_seat)
            conn.waiting_seat = None
        seat = conn.seat
        if seat is None:
            return
        conn.seat = None
        try:
            await self.handlers.service.disconnected(conn, seat)
        except Exception as exc:
            log.warning("connection %s: cleanup failed: %s", conn.conn_id, type(exc).__name__)

    # -- reading --------------------------------------------------------------------------------

    async def _read(self, ws: WebSocket, conn: Connection, peer: Peer) -> None:
        bad: collections.deque[float] = collections.deque()
        deadline = time.monotonic() + self.settings.join_deadline_seconds
        while conn.closing is None:
            message = await self._receive(ws, conn, deadline)
            if message is None:
                return
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes") if message.get("bytes") is not None else message.get("text")
            conn.busy = True
            try:
                await self._frame(conn, peer, data, bad)
            except CloseConnection as exc:
                conn.close(exc.close_code, exc.reason)
                return
            finally:
                conn.busy = False
            if self.draining:
                self._move_on(conn)  # the command in flight is answered; now move
                return

    async def _receive(self, ws: WebSocket, conn: Connection, deadline: float) -> Any:
        if conn.seat is not None or conn.waiting_seat is not None:
            # Seated, or waiting in the lobby: no join deadline. The raw ASGI receive spares a
            # suspended frame per idle member (starlette's adds nothing we use here).
            return await ws._receive()
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                return await ws.receive()
        except TimeoutError:
            conn.close(CloseCode.JOIN_TIMEOUT, "join or resume within the deadline")
            return None

    async def _frame(
        self, conn: Connection, peer: Peer, data: bytes | str | None, bad: collections.deque[float]
    ) -> None:
        rates = conn.rates
        assert rates is not None
        if not await rates.frame():
            raise CloseConnection(CloseCode.RATE_LIMITED, "too many frames")
        if data is None:
            raise CloseConnection(CloseCode.UNSUPPORTED_DATA, "empty message")
        cid: str | int | None = None
        try:
            frame = conn.wire.load(data)
            cid = command_id(frame)
            cid, command = parse_command(frame, SPECS)
        except BadFrame as exc:
            self._count_bad(bad)
            conn.send({"type": "error", "id": None, "code": exc.code.value, "message": exc.message})
            return
        except ProtocolError as exc:
            self._count_bad(bad)
            conn.send({"type": "error", "id": cid, "code": exc.code.value, "message": exc.message})
            return
        metrics.command_received(command)
        if not await self._rate_ok(conn, command):
            conn.send(
                {
                    "type": "error",
                    "id": cid,
                    "code": ErrorCode.RATE_LIMITED.value,
                    "message": "Slow down a little.",
                    "retry_after_ms": 1000,
                }
            )
            return
        await self.handlers.dispatch(conn, peer, cid, command)

    def _count_bad(self, bad: collections.deque[float]) -> None:
        now = time.monotonic()
        bad.append(now)
        while bad and bad[0] < now - 60:
            bad.popleft()
        if len(bad) >= self.settings.bad_frames_before_close:
            raise CloseConnection(CloseCode.POLICY_VIOLATION, "too many invalid frames")

    async def _rate_ok(self, conn: Connection, command: object) -> bool:
        if isinstance(command, (Ping, Join, Resume)):
            return True
        if isinstance(command, Post):
            return await conn.rates.post()  # type: ignore[union-attr]
        return await conn.rates.command()  # type: ignore[union-attr]

    # -- writing --------------------------------------------------------------------------------

    async def _write(self, ws: WebSocket, conn: Connection) -> None:
        # The raw ASGI send: starlette's WebSocket.send re-checks its state machine on every
        # frame, which is measurable when one event goes to a thousand members.
        send = ws._send
        key = "bytes" if conn.wire.binary else "text"
        while True:
            batch = await conn.next_batch()
            metrics.frames_sent(len(batch))
            for item in batch:
                if isinstance(item, Close):
                    await ws.close(item.code, item.reason)
                    metrics.server_closed(item.code)  # after: a stalled close is _close_stalled's
                    return
                await send({"type": "websocket.send", key: item})

    # -- draining -------------------------------------------------------------------------------

    def drain(self, after_ms: int = 1000) -> None:
        """Tell every client to move to another node, then close them with 1012.

        A connection in the middle of a command first finishes it (its ack goes out), so
        nothing in flight is lost; the reader then moves it on (see `_read`).
        """
        self.draining = True
        for conn in list(self.connections.values()):
            if not conn.busy:
                self._move_on(conn)

    @staticmethod
    def _move_on(conn: Connection) -> None:
        # Spread reconnects over a second or so, so the other nodes are not hit all at once.
        conn.send({"type": "reconnect", "after_ms": random.randint(200, 1500)})
        conn.close(CloseCode.SERVICE_RESTART, "node is restarting; please reconnect")


async def _deny(ws: WebSocket, status: int, reason: str) -> None:
    """Refuse the handshake with an HTTP status, before anything of a room is sent."""
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        await ws.send_denial_response(PlainTextResponse(reason, status_code=status))
    else:
        await ws.close(CloseCode.POLICY_VIOLATION, reason)
