"""Raw TCP for what no well-behaved WebSocket library will send: broken frames, huge or slow heads.

Everything is bounded: reads wait at most `TIMEOUT` and read at most `limit` bytes.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import struct

from tests.support.client import TIMEOUT

__all__ = ["RawSocket", "masked_frame", "parse_close"]


def masked_frame(opcode: int, payload: bytes) -> bytes:
    """One final client frame (clients must mask), any payload length."""
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 2**16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return head + mask + body


def parse_close(data: bytes) -> int | None:
    """The code of the first close frame (opcode 8) in unmasked server frames, if any."""
    i = 0
    while i + 2 <= len(data):
        opcode, length = data[i] & 0x0F, data[i + 1] & 0x7F
        i += 2
        if length == 126:
            length, i = struct.unpack("!H", data[i : i + 2])[0], i + 2
        elif length == 127:
            length, i = struct.unpack("!Q", data[i : i + 8])[0], i + 8
        if opcode == 8 and length >= 2:
            code: int = struct.unpack("!H", data[i : i + 2])[0]
            return code
        i += length
    return None


class RawSocket:
    """A TCP connection to a node that speaks only what the test writes."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, http_url: str) -> RawSocket:
        host, port = http_url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        return cls(reader, writer)

    @staticmethod
    def upgrade_head(host: str, *, extra: str = "") -> bytes:
        key = base64.b64encode(os.urandom(16)).decode()
        return (
            f"GET /ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: sharecircle.v1.json\r\n{extra}\r\n"
        ).encode()

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def handshake(self, host: str) -> bytes:
        await self.send(self.upgrade_head(host))
        async with asyncio.timeout(TIMEOUT):
            head = await self.reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        return head

    async def read_until_eof(self, limit: int = 1 << 20) -> bytes:
        """Everything the server sends until it closes the connection.

        A reset counts as a close: a server that closes with our unread bytes still in its
        receive buffer makes the kernel answer with RST.
        """
        data = b""
        async with asyncio.timeout(TIMEOUT):
            with contextlib.suppress(ConnectionResetError):
                while len(data) < limit and (chunk := await self.reader.read(65536)):
                    data += chunk
        return data

    async def __aenter__(self) -> RawSocket:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()
