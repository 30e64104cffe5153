"""The WebSocket driver: the only place that awaits a socket.

It negotiates the subprotocol and checks the Origin before accepting, sends `hello`, then reads
frames in the connection's own ASGI task and feeds them to the connection's sans-I/O `Session`
(server/session.py), which says what to do: queue a reply, run a command through the handlers,
or close. Output goes through the connection's outbox (server/connection.py): written directly
to the socket under our uvicorn protocol (server/runner.py), or by one writer task under any
other ASGI server. Whatever goes wrong in one connection ends that connection with a close code
and never touches another (docs/reliability.md).

After the handshake the driver talks plain ASGI (`receive`/`send`); starlette's `WebSocket`
is used for the handshake only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from server import metrics
from server.codes import CloseCode, ServerCode
from server.commands import ConversationSay, Join, Ping, Post, Resume
from server.connection import DIRECT_SEND, Close, Connection
from server.errors import ProtocolError
from server.handlers import Handlers, Peer
from server.origins import OriginPolicy, deny
from server.rates import ConnectionRates, Rate
from server.session import CloseWith, Phase, Reply, Session, Step, error_frame
from server.settings import Settings
from server.staff_channel import StaffChannel
from server.staff_commands import StaffWatch
from server.wire import SUBPROTOCOLS, Wire

__all__ = ["RECONNECT_AFTER_MS", "Endpoint", "Link"]

log = logging.getLogger(__name__)

CLOSE_GRACE_SECONDS = 2.0
"""How long a requested close waits for the writer to flush the frames queued before it."""

RECONNECT_AFTER_MS = (1000, 5000)
"""A drain's `reconnect.after_ms` is drawn from this range (protocol.md §4.6), so the other nodes
are not hit all at once; the web client spreads its reconnect over the same 1–5 s."""


@dataclass(eq=False, slots=True)
class Link:
    """One open WebSocket as the driver holds it: outbox, session, rate buckets, tasks."""

    conn: Connection
    session: Session
    rates: ConnectionRates
    peer: Peer
    tasks: set[asyncio.Task[None]] | None = None
    """Work started for this connection (an admission); cancelled when it ends."""

    @property
    def member_id(self) -> str | None:
        return self.session.member_id

    @property
    def closing(self) -> Close | None:
        return self.conn.closing

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        if self.tasks is None:
            self.tasks = set()  # made on first use: most connections never need one
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


class Endpoint:
    """Accepts and serves WebSocket connections for one node."""

    def __init__(
        self, handlers: Handlers, settings: Settings, staff: StaffChannel | None = None
    ) -> None:
        self.handlers = handlers
        self.settings = settings
        self.staff = staff
        """The staff channel (server/staff_channel.py); None: `staff.watch` is `unavailable`."""
        self.connections: dict[str, Link] = {}
        self.unready = False
        """A drain was announced: `/readyz` answers 503 while everyone is still served."""
        self.draining = False
        self._post_rate = Rate.parse(settings.post_rate)
        self._command_rate = Rate.parse(settings.command_rate)
        self._ceiling = Rate.parse(settings.frame_ceiling)
        self.origins = OriginPolicy.from_settings(settings)

    # -- handshake ----------------------------------------------------------------------------

    def _origin_allowed(self, ws: WebSocket) -> bool:
        # server/origins.py: the full origin (scheme, host, port), never the host alone.
        return self.origins.origin_allowed(
            ws.headers.get("origin"),
            scheme=str(ws.scope.get("scheme", "ws")),
            host_header=ws.headers.get("host", ""),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ws = WebSocket(scope, receive, send)
        offered = scope.get("subprotocols") or []
        chosen = next((p for p in offered if p in SUBPROTOCOLS), None)
        if not self._origin_allowed(ws):
            await deny(scope, receive, send, 403, "origin not allowed")
            return
        if chosen is None:
            await deny(scope, receive, send, 400, f"use a subprotocol: {' or '.join(SUBPROTOCOLS)}")
            return
        await ws.accept(subprotocol=chosen)
        if self.draining or len(self.connections) >= self.settings.max_connections:
            metrics.server_closed(CloseCode.TRY_AGAIN_LATER)
            await ws.close(CloseCode.TRY_AGAIN_LATER, "node is full; try again later")
            return
        link = self._link(scope, Wire(chosen))
        self.connections[link.conn.conn_id] = link
        metrics.connection_opened()
        try:
            self._hello(link.conn)
            await self._serve(link, receive, send)
        finally:
            del self.connections[link.conn.conn_id]
            metrics.connection_closed()
            await self._goodbye(link)

    def _link(self, scope: Scope, wire: Wire) -> Link:
        conn = Connection(
            wire,
            max_messages=self.settings.outbox_max_messages,
            max_bytes=self.settings.outbox_max_bytes,
        )
        direct = scope.get("extensions", {}).get(DIRECT_SEND)
        if direct is not None:
            conn.use_direct_send(direct["write"])
        session = Session(
            wire,
            join_deadline=asyncio.get_running_loop().time() + self.settings.join_deadline_seconds,
            bad_frames_before_close=self.settings.bad_frames_before_close,
        )
        client = scope.get("client")
        rates = ConnectionRates(self._post_rate, self._command_rate, self._ceiling)
        link = Link(conn, session, rates, Peer(address=client[0] if client else None))
        conn.on_admitted = lambda seq: link.spawn(self.handlers.admit(session, conn, seq))
        return link

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

    # -- the one serve path -------------------------------------------------------------------

    async def _serve(self, link: Link, receive: Receive, send: Send) -> None:
        """Read until the client goes; a writer task exists only without direct writes."""
        conn = link.conn
        writer = None if conn.direct else asyncio.create_task(self._write(conn, send))
        closers: list[asyncio.Task[None]] = []

        def closing(close: Close) -> None:
            link.session.try_step(Step.CLOSE)
            closers.append(asyncio.ensure_future(self._send_close(send, close, writer)))

        conn.on_close = closing
        if conn.closing is not None:
            closing(conn.closing)
        try:
            await self._read(link, receive)
        except OSError:
            pass
        except Exception as exc:
            log.error("connection %s failed: %s", conn.conn_id, type(exc).__name__)
            await _close(send, CloseCode.INTERNAL_ERROR, "internal error")
        finally:
            for task in closers:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if writer is not None:
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await writer

    async def _send_close(
        self, send: Send, close: Close, writer: asyncio.Task[None] | None
    ) -> None:
        """Send a decided close after what was queued before it, never waiting on a stalled client.

        With a writer task the Close is queued behind the frames: let the writer flush them, but
        a client that stopped reading leaves it stuck in `send` forever, so after the grace the
        writer is dropped and the close sent directly (protocol.md §6: 4008 `slow`;
        runner.StallProofWebSocketProtocol bounds the rest). Direct writes have flushed already.
        """
        if writer is not None:
            with contextlib.suppress(asyncio.TimeoutError, Exception):
                await asyncio.wait_for(asyncio.shield(writer), timeout=CLOSE_GRACE_SECONDS)
            if writer.done():
                return  # it sent the Close itself
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer
        metrics.server_closed(close.code)
        with contextlib.suppress(asyncio.TimeoutError, Exception):
            await asyncio.wait_for(_close(send, close.code, close.reason), CLOSE_GRACE_SECONDS)

    async def _goodbye(self, link: Link) -> None:
        for task in list(link.tasks or ()):
            task.cancel()
        session = link.session
        if self.staff is not None:
            try:
                await self.staff.goodbye(link.conn.conn_id)
            except Exception as exc:
                log.warning(
                    "connection %s: console goodbye failed: %s",
                    link.conn.conn_id,
                    type(exc).__name__,
                )
        waiting, session.lobby_seat = session.lobby_seat, None
        self.handlers.joins.release_place(link.conn.conn_id)
        if waiting is not None:
            # Left the lobby before anyone decided: the ticket goes now, freeing the name.
            try:
                await self.handlers.service.abandon(waiting)
            except Exception as exc:
                log.warning(
                    "connection %s: abandon failed: %s", link.conn.conn_id, type(exc).__name__
                )
        seated, session.seat = session.seat, None
        if seated is None:
            return
        self.handlers.conversations.closed(seated, link.conn)
        try:
            await self.handlers.service.disconnected(seated)
        except Exception as exc:
            log.warning("connection %s: cleanup failed: %s", link.conn.conn_id, type(exc).__name__)

    # -- reading --------------------------------------------------------------------------------

    async def _read(self, link: Link, receive: Receive) -> None:
        session, conn = link.session, link.conn
        while session.reading:
            message = await self._receive(link, receive)
            if message is None or message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes") if message.get("bytes") is not None else message.get("text")
            session.busy = True
            try:
                await self._frame(link, data)
            finally:
                session.busy = False
            if self.draining and session.reading:
                self._move_on(link)  # the command in flight is answered; now move
            if conn.closing is not None:
                session.try_step(Step.CLOSE)

    async def _receive(self, link: Link, receive: Receive) -> Any:
        session = link.session
        if not session.waits_for_join:
            return await receive()  # seated, or in the lobby: no join deadline
        try:
            async with asyncio.timeout_at(session.deadline):
                return await receive()
        except TimeoutError:
            link.conn.close(CloseCode.JOIN_TIMEOUT, "join or resume within the deadline")
            return None

    async def _frame(self, link: Link, data: bytes | str | None) -> None:
        conn = link.conn
        if not await link.rates.frame():
            conn.close(CloseCode.RATE_LIMITED, "too many frames")
            return
        intent = link.session.receive(data, asyncio.get_running_loop().time())
        if isinstance(intent, Reply):
            conn.send(intent.frame)
            return
        if isinstance(intent, CloseWith):
            conn.close(intent.code, intent.reason)
            return
        metrics.command_received(intent.command)
        wait = await self._rate_wait(link, intent.command)
        if wait is not None:
            limited = ProtocolError(
                ServerCode.RATE_LIMITED, "Slow down a little.", retry_after_ms=wait
            )
            conn.send(error_frame(intent.cid, limited))
            return
        if link.session.phase is Phase.WATCHING or isinstance(intent.command, StaffWatch):
            await self._staff_dispatch(link, intent.cid, intent.command)
            return
        await self.handlers.dispatch(link.session, conn, link.peer, intent.cid, intent.command)

    async def _staff_dispatch(self, link: Link, cid: str | int, command: object) -> None:
        """A staff console's command (protocol.md §10), or its `staff.watch`."""
        if self.staff is None:
            absent = ProtocolError(ServerCode.WRONG_CHANNEL, "This node has no staff channel.")
            link.conn.send(error_frame(cid, absent))
            return
        await self.staff.dispatch(link.session, link.conn, cid, command)

    @staticmethod
    async def _rate_wait(link: Link, command: object) -> int | None:
        """None when the command may run now, else the milliseconds until its bucket has room."""
        if isinstance(command, (Ping, Join, Resume, StaffWatch)):
            return None
        if isinstance(command, (Post, ConversationSay)):  # a private message counts as a post
            return await link.rates.post()
        return await link.rates.command()

    # -- writing (only without direct writes) ---------------------------------------------------

    async def _write(self, conn: Connection, send: Send) -> None:
        key = "bytes" if conn.wire.binary else "text"
        try:
            while True:
                batch = await conn.next_batch()
                metrics.frames_sent(len(batch))
                for item in batch:
                    if isinstance(item, Close):
                        await _close(send, item.code, item.reason)
                        metrics.server_closed(item.code)  # after: a stalled close is not here
                        return
                    await send({"type": "websocket.send", key: item})
        except (OSError, asyncio.CancelledError):
            raise
        except Exception as exc:
            log.error("connection %s: writer failed: %s", conn.conn_id, type(exc).__name__)
            with contextlib.suppress(Exception):
                await _close(send, CloseCode.INTERNAL_ERROR, "internal error")

    # -- draining -------------------------------------------------------------------------------

    def drain(self) -> None:
        """Tell every client to move to another node, then close them with 1012.

        A connection in the middle of a command first finishes it (its ack goes out), so
        nothing in flight is lost; the reader then moves it on (see `_read`).
        """
        self.unready = self.draining = True
        for link in list(self.connections.values()):
            if not link.session.busy:
                self._move_on(link)

    @staticmethod
    def _move_on(link: Link) -> None:
        if not link.session.try_step(Step.DRAIN):
            return  # already closing
        link.conn.send({"type": "reconnect", "after_ms": random.randint(*RECONNECT_AFTER_MS)})
        link.conn.close(CloseCode.SERVICE_RESTART, "node is restarting; please reconnect")


async def _close(send: Send, code: int, reason: str) -> None:
    await send({"type": "websocket.close", "code": code, "reason": reason})
