"""A test client that speaks docs/protocol.md over a real WebSocket (the `websockets` library).

It keeps every event it receives, in order, and matches replies to commands by id, so tests read
like a conversation: `await alice.request("post", text="hi")` returns the ack (or error) frame.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterable
from typing import Any

import msgpack
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

__all__ = ["TIMEOUT", "Client", "covered", "gapless"]

TIMEOUT = 10.0
"""Upper bound for any single wait in a test (never a timing assertion)."""


class Client:
    """One protocol connection."""

    def __init__(self, ws: ClientConnection, binary: bool) -> None:
        self.ws = ws
        self.binary = binary
        self.hello: dict[str, Any] | None = None
        self.events: list[dict[str, Any]] = []
        self.frames: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._replies: dict[Any, asyncio.Future[dict[str, Any]]] = {}
        self._new = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())
        self.token: str | None = None
        self.member: dict[str, Any] | None = None
        self.position: tuple[int, str] | None = None

    @classmethod
    async def connect(
        cls, url: str, *, binary: bool = False, origin: str | None = None, **kwargs: Any
    ) -> Client:
        proto = "sharecircle.v1.msgpack" if binary else "sharecircle.v1.json"
        ws = await connect(
            url,
            subprotocols=[proto],  # type: ignore[list-item]
            origin=origin,  # type: ignore[arg-type]
            open_timeout=TIMEOUT,
            max_size=2**20,
            **kwargs,
        )
        client = cls(ws, binary)
        await client.wait_for(lambda f: f.get("type") == "hello", frames=True)
        return client

    # -- sending --------------------------------------------------------------------------------

    async def send_raw(self, data: bytes | str) -> None:
        await self.ws.send(data)

    async def send(self, kind: str, **fields: Any) -> Any:
        cid = next(self._ids)
        self._replies[cid] = asyncio.get_running_loop().create_future()
        frame = {"type": kind, "id": cid, **fields}
        await self.ws.send(msgpack.packb(frame) if self.binary else json.dumps(frame))
        return cid

    async def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Send a command and return its ack, error or pong frame."""
        cid = await self.send(kind, **fields)
        return await asyncio.wait_for(self._replies[cid], TIMEOUT)

    async def ok(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Send a command that must succeed."""
        reply = await self.request(kind, **fields)
        assert reply["type"] in ("ack", "pong"), reply
        return reply

    async def join(self, room: str, name: str | None = None, **fields: Any) -> dict[str, Any]:
        if name is not None:
            fields["name"] = name
        reply = await self.ok("join", room=room, **fields)
        self.token = reply["token"]
        self.member = reply["member"]
        self.position = (reply["position"]["seq"], reply["position"]["epoch"])
        return reply

    # -- receiving ------------------------------------------------------------------------------

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                frame = msgpack.unpackb(data) if isinstance(data, bytes) else json.loads(data)
                self.frames.append(frame)
                kind = frame.get("type")
                if kind == "hello":
                    self.hello = frame
                elif kind == "event":
                    self.events.append(frame)
                elif kind in ("ack", "error", "pong"):
                    fut = self._replies.get(frame.get("id"))
                    if fut is not None and not fut.done():
                        fut.set_result(frame)
                async with self._new:
                    self._new.notify_all()
        except ConnectionClosed:
            pass
        finally:
            async with self._new:
                self._new.notify_all()

    async def wait_for(self, predicate: Any, *, frames: bool = False) -> dict[str, Any]:
        """The first received event (or frame) matching `predicate`, waiting if needed."""

        def find() -> dict[str, Any] | None:
            pool = self.frames if frames else self.events
            return next((f for f in pool if predicate(f)), None)

        async def wait() -> dict[str, Any]:
            async with self._new:
                while (found := find()) is None:
                    if self._reader.done():
                        raise AssertionError("connection closed while waiting")
                    await self._new.wait()
                return found

        return await asyncio.wait_for(wait(), TIMEOUT)

    async def event(self, kind: str, /, **match: Any) -> dict[str, Any]:
        """Wait for an event by name whose fields include `match`."""
        return await self.wait_for(
            lambda f: f.get("event") == kind and all(f.get(k) == v for k, v in match.items())
        )

    def named(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("event") == name]

    def seqs(self) -> list[int]:
        """Every seq the received events stand for, in order (see `covered`)."""
        return covered(self.events)

    async def closed(self) -> tuple[int | None, str]:
        """Wait for the server to close; returns (code, reason)."""
        await asyncio.wait_for(asyncio.shield(self._reader), TIMEOUT)
        await asyncio.wait_for(self.ws.wait_closed(), TIMEOUT)
        return self.ws.close_code, self.ws.close_reason or ""

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)


def gapless(seqs: Iterable[int]) -> bool:
    """True when the seqs increase by exactly one each time."""
    items = list(seqs)
    return all(b == a + 1 for a, b in itertools.pairwise(items))


def covered(events: Iterable[dict[str, Any]]) -> list[int]:
    """The seqs events stand for: one each, except a folded `members.changed` in a resume's
    replay, which stands for `seq_from`..`seq` (protocol.md §2.3)."""
    return [s for e in events for s in range(int(e.get("seq_from", e["seq"])), int(e["seq"]) + 1)]
