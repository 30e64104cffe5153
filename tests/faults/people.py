"""People who outlive their connections, and the oracle that checks what each of them saw.

A `Person` joins once and may then lose any number of connections (a killed node, a 4008 or 4010
close, a dropped phone) and resume on any node. Every connection's events are kept, with how it
started (join, recovered resume, or resync), so `check_history` can prove the delivery contract of
docs/reliability.md: within one stretch of history the seqs are gapless, a recovered resume
continues exactly where the last connection stopped, and anything else is an explicit resync.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.client import TIMEOUT, Client, covered, gapless
from tests.support.clock import SharedClock

__all__ = [
    "Person",
    "SharedClock",
    "chat_texts",
    "check_history",
    "invite",
    "settle",
    "until_available",
]

TRY_AGAIN = frozenset({"busy", "unavailable"})
"""Error codes that say "try again" (docs/protocol.md): a room with many joins at once, or a
node whose Redis connection is still coming back after an outage."""


async def until_available(
    attempt: Callable[[], Awaitable[dict[str, Any]]], *, tries: int = 300
) -> dict[str, Any]:
    """Retry `attempt` while the node answers `unavailable`, bounded in count (about 30 s)."""
    for _ in range(tries):
        reply = await attempt()
        if reply.get("code") != "unavailable":
            return reply
        await asyncio.sleep(0.1)
    raise AssertionError("the node stayed unavailable")


async def invite(http: str, room: str, role: str = "facilitator", admin: str = "") -> str:
    async with httpx.AsyncClient(base_url=http, timeout=TIMEOUT) as client:
        response = await client.post(
            f"/api/admin/rooms/{room}/invites",
            json={"role": role},
            headers={
                "Authorization": f"Bearer {admin or 'cluster-test-admin-Xe4Lq9Tz2Wm7Rk5Hc8Vb3Nf6Jy1Pd0Gs'}"
            },
        )
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


@dataclass
class Stretch:
    """One connection's events and how the connection started."""

    start: str  # "join", "recovered" or "resync"
    position: int  # the seq of the reply's position
    events: list[dict[str, Any]] = field(default_factory=list)


class Person:
    """One person in one room, across connections."""

    def __init__(self, name: str, room: str, *, binary: bool = False) -> None:
        self.name = name
        self.room = room
        self.binary = binary
        self.client: Client | None = None
        self.token: str | None = None
        self.member_id: str | None = None
        self.stretches: list[Stretch] = []
        self.closes: list[int | None] = []

    # -- connecting ------------------------------------------------------------------------

    async def join(self, url: str, **fields: Any) -> dict[str, Any]:
        client = await Client.connect(url, binary=self.binary)
        for attempt in range(60):  # a documented "try again" (TRY_AGAIN), bounded
            reply = await client.request("join", room=self.room, name=self.name, **fields)
            if reply.get("code") not in TRY_AGAIN:
                break
            await asyncio.sleep(min(0.05 * (attempt + 1), 0.5))
        assert reply["type"] == "ack", reply
        client.token, client.member = reply["token"], reply["member"]
        client.position = (reply["position"]["seq"], reply["position"]["epoch"])
        self.client, self.token = client, reply["token"]
        self.member_id = reply["member"]["id"]
        self.stretches.append(Stretch("join", reply["position"]["seq"], client.events))
        return reply

    def last_position(self) -> tuple[int, str]:
        """The last (seq, epoch) this person saw, as a client would remember it."""
        for stretch in reversed(self.stretches):
            if stretch.events:
                last = stretch.events[-1]
                return last["seq"], last["epoch"]
        assert self.client is not None
        assert self.client.position is not None
        return self.client.position

    async def resume(self, url: str) -> dict[str, Any]:
        """Reconnect and resume; returns the reply (ack or error)."""
        seq, epoch = self.last_position()
        client = await Client.connect(url, binary=self.binary)
        reply = await client.request("resume", token=self.token, seq=seq, epoch=epoch)
        if reply["type"] != "ack":
            await client.close()
            return reply
        self.client, self.token = client, reply["token"]
        start = "recovered" if reply["recovered"] else "resync"
        client.position = (reply["position"]["seq"], reply["position"]["epoch"])
        self.stretches.append(Stretch(start, reply["position"]["seq"], client.events))
        return reply

    async def closed(self) -> int | None:
        """Wait for the server (or the network) to end the current connection."""
        assert self.client is not None
        code, _ = await self.client.closed()
        self.closes.append(code)
        return code

    @property
    def connected(self) -> bool:
        return self.client is not None and not self.client._reader.done()

    async def leave(self) -> None:
        if self.client is not None:
            await self.client.close()

    # -- talking ---------------------------------------------------------------------------

    @property
    def c(self) -> Client:
        assert self.client is not None
        return self.client

    async def ok(self, kind: str, **fields: Any) -> dict[str, Any]:
        return await self.c.ok(kind, **fields)

    async def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        return await self.c.request(kind, **fields)

    async def event(self, kind: str, /, **match: Any) -> dict[str, Any]:
        return await self.c.event(kind, **match)

    def events(self) -> list[dict[str, Any]]:
        return [e for s in self.stretches for e in s.events]


def chat_texts(person: Person) -> list[str]:
    return [e["text"] for e in person.events() if e["event"] == "chat.message"]


def check_history(person: Person) -> None:
    """The delivery contract for one person: gapless, or continued exactly, or resynced out loud."""
    previous: Stretch | None = None
    for stretch in person.stretches:
        seqs = covered(stretch.events)  # a folded members.changed stands for several
        assert gapless(seqs), f"{person.name}: a gap inside one connection: {seqs}"
        for a, b in itertools.pairwise(stretch.events):
            assert a["epoch"] == b["epoch"] or a["event"] == "room.reset", (
                f"{person.name}: the epoch changed without a room.reset"
            )
        if stretch.start == "recovered" and seqs:
            assert previous is not None
            expected = _last_seq(person, stretch) + 1
            assert seqs[0] == expected, (
                f"{person.name}: recovered at {seqs[0]}, expected {expected}"
            )
        if stretch.start == "resync" and seqs:
            assert seqs[0] == stretch.position + 1, f"{person.name}: resync not from its position"
        previous = stretch
    chats = [(e["epoch"], e["seq"]) for e in person.events() if e["event"] == "chat.message"]
    assert len(chats) == len(set(chats)), f"{person.name}: a chat message arrived twice"


def _last_seq(person: Person, before: Stretch) -> int:
    """The seq the person resumed from: the last event of the stretches before `before`."""
    index = person.stretches.index(before)
    for stretch in reversed(person.stretches[:index]):
        if stretch.events:
            return int(stretch.events[-1]["seq"])
    return person.stretches[index - 1].position


async def settle(people: dict[Person, str], poster: Person, *, attempts: int = 4) -> str:
    """After a loss of history, post markers until everyone receives one on a connection that
    stays up. Whoever is closed meanwhile must have been told why (4010) and resumes at its URL.

    Each node rotates the epoch when it sees its own record of the history regress, so right
    after a Redis restart a room can start a new epoch twice, and a client resync twice: both
    explicit. Returns the text of the marker everyone got.
    """
    for attempt in range(attempts):
        for person, url in people.items():
            if not person.connected:
                assert await person.closed() == 4010
                reply = await person.resume(url)
                assert reply["type"] == "ack", reply
        text = f"settled {attempt}"
        reply = await poster.request("post", text=text)
        if reply["type"] != "ack":
            continue
        got = await asyncio.gather(
            *(p.event("chat.message", seq=reply["seq"]) for p in people), return_exceptions=True
        )
        if not any(isinstance(g, BaseException) for g in got):
            return text
    raise AssertionError("the room did not settle")
