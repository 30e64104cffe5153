"""Running the app under uvicorn with the limits docs/reliability.md promises.

uvicorn's defaults do not suit us (16 MiB frames, compression on, access logs with addresses),
so every node, and every test server, is configured here.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import h11
import uvicorn
from starlette.applications import Starlette
from uvicorn._types import ASGISendEvent
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Response
from websockets.protocol import State

from server.app import create_app
from server.connection import DIRECT_SEND
from server.headers import SECURITY_HEADERS, with_security_headers
from server.http_limits import MAX_HEAD_BYTES, GuardedConnection
from server.logconfig import log_config
from server.settings import Settings

__all__ = [
    "DIRECT_SEND",
    "DrainingServer",
    "HeadDeadlineH11Protocol",
    "StallProofWebSocketProtocol",
    "make_config",
    "run",
]


class HeadDeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 HTTP protocol, plus a deadline for each whole request, and request limits.

    uvicorn (0.54) never times out a request that arrives slowly: its keep-alive timer is armed
    only after a response and is cancelled by any incoming byte, so a client that sends a header
    byte every few seconds, or declares a 100 MB body and drips it, holds a connection (and a
    file descriptor) forever. Here every request, head and body (the WebSocket upgrade
    included), must be complete within `head_timeout` seconds of the connection, or of the
    previous response. A head that misses it is closed without a reply (as nginx's
    `client_header_timeout` does); a body that misses it gets 408 when no response has begun.

    Heads and bodies over the limits of `server/http_limits.py` get 431 or 413, before the app
    or the WebSocket protocol sees them, and every answer uvicorn makes itself carries the
    security headers (`server/headers.py`). h11 is chosen explicitly because only it applies
    `h11_max_incomplete_event_size`; httptools would be picked by "auto" wherever it happens
    to be installed.
    """

    head_timeout = 10.0
    """Replaced per server by `make_config` with `Settings.handshake_timeout_seconds`."""

    _head_timer: asyncio.TimerHandle | None = None
    _upgraded = False

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.conn = GuardedConnection(config.h11_max_incomplete_event_size or MAX_HEAD_BYTES)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if not self._upgraded and self.conn.their_state not in _STILL_SENDING:
            self._disarm_head_timer()  # a whole request arrived (or the connection is done)

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        # The transport now belongs to the WebSocket protocol, which has its own timeouts.
        self._upgraded = True
        self._disarm_head_timer()
        super().handle_websocket_upgrade(event)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._arm_head_timer()  # the next request on this connection gets its own deadline

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request h11 or `GuardedConnection` refused, with its status."""
        assert isinstance(self.conn, GuardedConnection)
        self._refuse(self.conn.refused_with, msg)

    def _refuse(self, status: int, msg: str) -> None:
        if self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            body = msg.encode("ascii", "replace")
            headers = with_security_headers(
                [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
            )
            for event in (
                h11.Response(status_code=status, headers=headers, reason=HTTPStatus(status).phrase),
                h11.Data(data=body),
                h11.EndOfMessage(),
            ):
                self.transport.write(self.conn.send(event) or b"")
        self.transport.close()

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_too_slow)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self._upgraded or self.transport.is_closing():
            return
        if self.conn.their_state is h11.IDLE:
            self.transport.close()  # a head too slow: no answer, as nginx does
        elif self.conn.their_state is h11.SEND_BODY:
            self._refuse(408, "request body too slow")


_STILL_SENDING = (h11.IDLE, h11.SEND_BODY)
"""The client's h11 states while its request (head, then body) is not yet complete."""


class StallProofWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol, except that it never waits forever on a peer.

    A refused upgrade request is answered and closed (see `data_received`). And closing never
    waits on a stalled peer:

    uvicorn's `send` first waits until the transport's write buffer has drained. A client that
    stopped reading never drains it, so the close frame of a 4008 `slow` close (protocol.md §6)
    would wait forever; and asyncio's `transport.close()` also waits for the buffer to flush. Here
    a close is queued behind the backlog at once (a client that starts reading again still gets
    4008 after what was already buffered), and the socket is aborted if the closing handshake has
    not finished within `close_timeout` (10 s). The same bound applies after a keepalive timeout.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every refused upgrade (the app's 403/429/503, websockets' own 4xx, uvicorn's 403 and
        # 500) is sent through `send_response`, websockets' included, so one wrapper covers all.
        self.conn.send_response = _secured(self.conn.send_response)  # type: ignore[method-assign,assignment]

    async def send(self, message: ASGISendEvent) -> None:
        stalled = not self.writable.is_set() and not self.disconnected
        if message["type"] == "websocket.close" and self.handshake_complete and stalled:
            self.writable.set()  # nothing can be sent after the close, so the flag is moot now
            await super().send(message)
            self.loop.call_later(self.close_timeout, self._abort)
            return
        await super().send(message)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        refused = self.conn.handshake_exc is not None and not self.handshake_initiated
        if refused and not self.close_sent:
            # websockets itself refused the upgrade request (a header line over 8 KiB, more than
            # 128 headers, no valid request): it queued a 431/414 response, or just an EOF. But
            # uvicorn (0.54) flushes output only for a request that parsed, so that connection
            # hung forever unanswered, and crashed uvicorn's shutdown (send_500_response after
            # EOF). Send what websockets queued and close; shutdown then skips this connection.
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.close_sent = self.handshake_complete = True
            self.transport.close()

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        if getattr(self, "scope", None) is not None:
            # The app's fan-out writes through `write_frames` (server/connection.py); the ASGI
            # task that will read this scope has been created but has not run yet.
            self.scope["extensions"][DIRECT_SEND] = {"write": self.write_frames}

    def write_frames(self, frames: list[bytes]) -> int:
        """Write complete WebSocket frames now, as one transport write, awaiting nothing.

        This is websockets' broadcast idea under ASGI, one step further: a server's frames are
        never masked, so one event's whole frame (header included, made once by websockets'
        `Frame.serialize`) is the same bytes for every member. Nobody waits on a slow socket,
        and a burst of events for one client costs one system call. Returns the bytes still
        buffered for this client (the caller closes it as `slow` past its limit), or -1 when
        the connection is no longer open for data frames.
        """
        if (
            self.close_sent
            or self.disconnected
            or not self.handshake_complete
            or self.conn.state is not State.OPEN
            or self.transport.is_closing()
        ):
            return -1
        self.transport.write(frames[0] if len(frames) == 1 else b"".join(frames))
        size: int = self.transport.get_write_buffer_size()
        return size

    def keepalive_timeout(self) -> None:
        super().keepalive_timeout()
        self.loop.call_later(self.close_timeout, self._abort)

    def _abort(self) -> None:
        if not self.disconnected:
            self.transport.abort()


def _secured(send_response: Callable[[Response], None]) -> Callable[[Response], None]:
    """`send_response` that adds the security headers to any answer but the 101 upgrade."""

    def send(response: Response) -> None:
        if response.status_code != 101:
            for name, value in SECURITY_HEADERS:
                response.headers.setdefault(name.decode(), value.decode())
        send_response(response)

    return send


def make_config(app: Starlette, settings: Settings, *, logs: bool = True) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="auto",  # uvloop where it is installed
        http=_http_protocol(settings),
        ws=StallProofWebSocketProtocol,
        ws_max_size=settings.max_frame_bytes,
        ws_max_queue=16,
        ws_per_message_deflate=False,
        ws_ping_interval=settings.ws_ping_interval,
        ws_ping_timeout=settings.ws_ping_timeout,
        access_log=False,
        server_header=False,
        date_header=False,
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        timeout_graceful_shutdown=int(settings.drain_seconds) + 5,
        log_config=log_config(settings.log_level, client_addresses=settings.log_client_addresses)
        if logs
        else None,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        # On every response uvicorn sends for the app (500s included) and on the 101 upgrade.
        headers=[(name.decode(), value.decode()) for name, value in SECURITY_HEADERS],
    )


def _http_protocol(settings: Settings) -> type[HeadDeadlineH11Protocol]:
    """The HTTP protocol class with this server's head deadline."""
    return type(
        "HeadDeadlineH11Protocol",
        (HeadDeadlineH11Protocol,),
        {"head_timeout": settings.handshake_timeout_seconds},
    )


class DrainingServer(uvicorn.Server):
    """uvicorn's Server, except that SIGTERM first gives notice, then moves every client.

    docs/operations.md "Graceful drain": on the first SIGTERM `/readyz` turns 503 while the node
    keeps serving everyone for `drain_notice_seconds` (a load balancer that routes by readiness
    sees it and stops sending newcomers); then clients are told to reconnect elsewhere, closed
    with 1012, and uvicorn shuts down. A second signal skips what is left of the notice.
    """

    _noticed = False

    def handle_exit(self, sig: int, frame: Any) -> None:
        app = self.config.app
        node = getattr(getattr(app, "state", None), "node", None)
        if node is None or sig not in (signal.SIGTERM, signal.SIGINT):
            super().handle_exit(sig, frame)
            return
        notice = node.settings.drain_notice_seconds
        if not self._noticed and notice > 0:
            self._noticed = True
            node.endpoint.unready = True
            loop = asyncio.get_running_loop()  # signal handlers run in the loop's thread
            loop.call_soon_threadsafe(loop.call_later, notice, self._leave, node, sig, frame)
            return
        self._leave(node, sig, frame)

    def _leave(self, node: Any, sig: int, frame: Any) -> None:
        node.endpoint.drain()
        if node.media is not None:
            node.media.drain()  # voice connections move too (docs/protocol.md §9)
        super().handle_exit(sig, frame)


def run(settings: Settings, sock: socket.socket | None = None) -> None:
    server = DrainingServer(make_config(create_app(settings), settings))
    server.run(sockets=[sock] if sock else None)
