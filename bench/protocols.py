"""Protocol adapters: how a `Member` joins a room, posts a text and reads the server's replies.

All adapters implement the same tiny semantics: a member joins one room and the server confirms
it; a post goes to every member of the room, the poster included. Chat messages themselves are
recognised by the load generator (the ``~T`` marker) before an adapter sees the frame; adapters
only handle everything else (handshakes, acks, errors, heartbeats).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

import msgpack

if TYPE_CHECKING:
    from bench.loadgen import Member


class Protocol:
    """Base adapter; subclasses override the frame handling."""

    name: ClassVar[str] = "?"

    def url(self, host: str, port: int) -> str:
        raise NotImplementedError

    def headers(self) -> dict[str, str] | None:
        return None

    async def prepare(self, nodes: list[tuple[str, int]], rooms: Iterable[str]) -> None:
        """Anything the server needs before members join (sharecircle creates its rooms)."""

    def on_connected(self, m: Member) -> None:
        raise NotImplementedError

    def on_frame(self, m: Member, binary: bool, data: bytes) -> None:
        raise NotImplementedError

    def post(self, m: Member, text: str) -> None:
        raise NotImplementedError


class SocketIO(Protocol):
    """Socket.IO v5 over Engine.IO v4, WebSocket transport only, default namespace.

    Handshake: the server opens with ``0{...}``; we connect the namespace with ``40``; the server
    confirms with ``40{...}``; we emit ``join`` with an ack id and wait for its ack ``43<id>``.
    Posts are ``42["msg","<text>"]``; the server emits ``42["msg","<text>"]`` to the room.
    Engine.IO pings (``2``) are answered with ``3``.
    """

    name = "socket.io"
    JOIN_ACK_ID = 1

    def url(self, host: str, port: int) -> str:
        return f"ws://{host}:{port}/socket.io/?EIO=4&transport=websocket"

    def on_connected(self, m: Member) -> None:
        pass  # wait for the Engine.IO open packet

    def on_frame(self, m: Member, binary: bool, data: bytes) -> None:
        if data == b"2":
            m.send_text(b"3")
        elif data[:2] == b"43":
            if data.startswith(b"43%d" % self.JOIN_ACK_ID):
                m.join_ok()
        elif data[:2] == b"40":
            room = json.dumps(m.room)
            m.send_text(f'42{self.JOIN_ACK_ID}["join",{room}]')
        elif data[:1] == b"0":
            m.send_text(b"40")
        elif data[:2] == b"44":
            m.gen.errors["connect_error"] += 1
            m.join_failed(f"namespace connect refused: {data[:80]!r}")
        elif data[:1] == b"1":
            m.gen.errors["engineio_close"] += 1

    def post(self, m: Member, text: str) -> None:
        m.send_text(f'42["msg","{text}"]')


class PlainWS(Protocol):
    """The plain `websockets` peer: ``J<room>`` joins (answered ``OK``), ``P<text>`` posts,
    the room receives ``<text>`` as a text frame."""

    name = "plain"

    def url(self, host: str, port: int) -> str:
        return f"ws://{host}:{port}/"

    def on_connected(self, m: Member) -> None:
        m.send_text("J" + m.room)

    def on_frame(self, m: Member, binary: bool, data: bytes) -> None:
        if data == b"OK":
            m.join_ok()
        else:
            m.gen.errors["unexpected_frame"] += 1

    def post(self, m: Member, text: str) -> None:
        m.send_text("P" + text)


# Environment the harness gives sharecircle servers (see docs/benchmarks.md, "sharecircle").
SHARECIRCLE_ADMIN_TOKEN = os.environ.get("BENCH_SHARECIRCLE_ADMIN_TOKEN") or secrets.token_hex(32)
SHARECIRCLE_SECRET = os.environ.get("BENCH_SHARECIRCLE_SECRET") or secrets.token_hex(32)


class ShareCircle(Protocol):
    """sharecircle protocol v1 (docs/protocol.md), ``sharecircle.v1.msgpack`` by default.

    - Rooms are created first with ``POST /api/admin/rooms`` (Bearer admin token, the server
      gets it as ``SHARECIRCLE_ADMIN_TOKEN``), open, not self-led, so members may post (open
      discussion); the answers are counted by status ("already exists" is fine: every node is
      asked).
    - On open: ``{"type": "join", "id": 1, "room": ROOM, "name": "b<idx>"}``; the ``ack`` with
      ``id`` 1 confirms it, an ``error`` with ``id`` 1 fails the join with its ``code``. The
      ``hello`` is not waited for.
    - Posts: ``{"type": "post", "id": N, "text": TEXT}``; every member, the poster included,
      receives a ``chat.message`` event carrying TEXT. Errors for posts are counted by code
      (``rate_limited``, ...), close codes by the load generator (4008 ``slow``, 1013, ...).
    - Frames are only decoded when they can be an ack or an error (a byte search first), so the
      ``member.joined`` storm of a big room costs the load generator little.
    - ``json=True`` speaks ``sharecircle.v1.json`` instead (text frames): the same maps.
    """

    name = "sharecircle"

    def __init__(self, *, json_wire: bool = False) -> None:
        self.json_wire = json_wire
        self.subprotocol = "sharecircle.v1.json" if json_wire else "sharecircle.v1.msgpack"
        self._packer = msgpack.Packer()
        if json_wire:
            self._ack, self._error, self._reconnect = b'"ack"', b'"error"', b'"reconnect"'
        else:
            self._ack, self._error, self._reconnect = b"\xa3ack", b"\xa5error", b"\xa9reconnect"
        self.room_setup: dict[str, Any] = {}

    def url(self, host: str, port: int) -> str:
        return f"ws://{host}:{port}/ws"

    def headers(self) -> dict[str, str] | None:
        return {"Sec-WebSocket-Protocol": self.subprotocol}

    async def prepare(self, nodes: list[tuple[str, int]], rooms: Iterable[str]) -> None:
        statuses: dict[str, int] = {}
        room_list = list(rooms)
        for host, port in nodes:
            for room in room_list:
                body = {"slug": room, "name": room, "description": "benchmark room"}
                status = await http_json(
                    host,
                    port,
                    "POST",
                    "/api/admin/rooms",
                    body,
                    {"Authorization": f"Bearer {SHARECIRCLE_ADMIN_TOKEN}"},
                )
                key = str(status)
                statuses[key] = statuses.get(key, 0) + 1
        self.room_setup = {"create_room_statuses": statuses}

    def _send(self, m: Member, frame: dict[str, Any]) -> None:
        if self.json_wire:
            m.send_text(json.dumps(frame, separators=(",", ":")))
        else:
            m.send_binary(self._packer.pack(frame))

    # Join errors that docs/protocol.md says to retry ("try again"), how often, and after how long.
    RETRY_CODES = frozenset({"busy", "unavailable"})
    JOIN_RETRIES = 5

    def on_connected(self, m: Member) -> None:
        m.state = 1  # the id of the join in flight; a retry gets a new one
        self._send(m, {"type": "join", "id": 1, "room": m.room, "name": m.name})

    def _retry_join(self, m: Member) -> None:
        if m.closed or m.is_joined:
            return
        m.next_id += 1
        m.state = m.next_id
        self._send(m, {"type": "join", "id": m.state, "room": m.room, "name": m.name})

    def on_frame(self, m: Member, binary: bool, data: bytes) -> None:
        if binary == self.json_wire:
            m.gen.errors["wrong_frame_type"] += 1
            return
        if self._ack not in data and self._error not in data:
            if self._reconnect in data:
                m.gen.errors["reconnect"] += 1
            return
        try:
            frame = json.loads(data) if self.json_wire else msgpack.unpackb(data)
        except Exception:
            m.gen.errors["undecodable_frame"] += 1
            return
        if not isinstance(frame, dict):
            return
        kind = frame.get("type")
        if kind == "ack" and not m.is_joined and frame.get("id") == m.state:
            m.join_ok()
        elif kind == "error":
            code = str(frame.get("code"))
            if not m.is_joined and frame.get("id") == m.state:
                m.gen.errors[f"join:{code}"] += 1
                retries = m.next_id - 2  # ids 3, 4, ... are the retries
                if code in self.RETRY_CODES and retries < self.JOIN_RETRIES:
                    delay = random.uniform(0.01, 0.05) * (2**retries)
                    asyncio.get_running_loop().call_later(delay, self._retry_join, m)
                else:
                    m.join_failed(code)
            else:
                m.gen.errors[code] += 1

    def post(self, m: Member, text: str) -> None:
        m.next_id += 1
        self._send(m, {"type": "post", "id": m.next_id, "text": text})


async def http_json(
    host: str,
    port: int,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    limit_s: float = 5.0,
) -> int:
    """A minimal HTTP/1.1 request on loopback; returns the status code (0 if none)."""
    payload = b"" if body is None else json.dumps(body).encode()
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Connection: close",
        f"Content-Length: {len(payload)}",
    ]
    if body is not None:
        lines.append("Content-Type: application/json")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
    try:
        async with asyncio.timeout(limit_s):
            reader, writer = await asyncio.open_connection(host, port)
            try:
                writer.write(request)
                await writer.drain()
                status_line = await reader.readline()
                await reader.read()
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
    except (OSError, TimeoutError):
        return 0
    parts = status_line.split()
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0
