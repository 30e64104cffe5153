"""A test client for the media connection (docs/protocol.md §9): real binary frames.

It sends audio frames with the documented 10-byte header and keeps every relayed audio frame
and control frame it receives, in order.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass
from typing import Any

import msgpack
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.support.client import TIMEOUT

__all__ = ["Heard", "MediaClient", "media_url"]

HEADER = struct.Struct(">BBII")


def media_url(chat_url: str) -> str:
    """The node's media route next to its chat route (`.../ws` → `.../media`)."""
    return chat_url.rsplit("/", 1)[0] + "/media"


@dataclass(frozen=True, slots=True)
class Heard:
    """One relayed audio frame as a listener got it."""

    source: str
    seq: int
    ts: int
    packet: bytes


class MediaClient:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.heard: list[Heard] = []
        self._index: dict[tuple[str, int], Heard] = {}
        self.controls: list[dict[str, Any]] = []
        self._new = asyncio.Condition()
        self._seq = 0
        self.paused = asyncio.Event()
        self.paused.set()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, chat_url: str, **kwargs: Any) -> MediaClient:
        ws = await connect(
            media_url(chat_url),
            subprotocols=["sharecircle.v1.media"],  # type: ignore[list-item]
            open_timeout=TIMEOUT,
            **kwargs,
        )
        return cls(ws)

    @classmethod
    async def authed(cls, chat_url: str, token: str, *, listen: bool = False) -> MediaClient:
        client = await cls.connect(chat_url)
        await client.control("auth", token=token, listen=listen)
        await client.wait_control("ready")
        return client

    async def control(self, kind: str, **fields: Any) -> None:
        await self.ws.send(msgpack.packb({"type": kind, **fields}))

    async def say(self, packet: bytes, *, seq: int | None = None) -> int:
        """Send one audio frame; returns its seq."""
        if seq is None:
            self._seq += 1
            seq = self._seq
        await self.ws.send(HEADER.pack(1, 0, seq, seq * 20) + packet)
        return seq

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                await self.paused.wait()
                assert isinstance(data, bytes)
                if data[0] == 2:
                    _, _, seq, ts = HEADER.unpack_from(data)
                    size = data[HEADER.size]
                    start = HEADER.size + 1
                    source = data[start : start + size].decode()
                    heard = Heard(source, seq, ts, data[start + size :])
                    self.heard.append(heard)
                    self._index[(source, seq)] = heard
                else:
                    self.controls.append(msgpack.unpackb(data))
                async with self._new:
                    self._new.notify_all()
        except ConnectionClosed:
            pass
        finally:
            async with self._new:
                self._new.notify_all()

    async def _until(self, found: Any) -> Any:
        async def wait() -> Any:
            async with self._new:
                while (hit := found()) is None:
                    if self._reader.done():
                        raise AssertionError("media connection closed while waiting")
                    await self._new.wait()
                return hit

        return await asyncio.wait_for(wait(), TIMEOUT)

    async def wait_control(self, kind: str, **match: Any) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next(
                (
                    c
                    for c in self.controls
                    if c.get("type") == kind and all(c.get(k) == v for k, v in match.items())
                ),
                None,
            )

        hit: dict[str, Any] = await self._until(found)
        return hit

    async def wait_heard(self, source: str, seq: int) -> Heard:
        def found() -> Heard | None:
            return self._index.get((source, seq))

        hit: Heard = await self._until(found)
        return hit

    @property
    def open(self) -> bool:
        """The server has not closed this connection."""
        return not self._reader.done()

    def seqs_from(self, source: str) -> list[int]:
        return [h.seq for h in self.heard if h.source == source]

    async def closed(self) -> tuple[int | None, str]:
        await asyncio.wait_for(asyncio.shield(self._reader), TIMEOUT)
        await asyncio.wait_for(self.ws.wait_closed(), TIMEOUT)
        return self.ws.close_code, self.ws.close_reason or ""

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
