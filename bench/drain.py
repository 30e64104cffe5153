"""(f) A deploy's drain, sharecircle only (issue 16): does everyone come back with their history?

Two nodes on one Redis. Every member joins on node 0, in rooms of `room_size`; one poster per
room sits on node 1. Node 0 gets SIGTERM. Each member does what docs/protocol.md asks: on the
`reconnect` frame it waits `after_ms` (1-5 s, drawn by the server), connects to node 1 and
resumes from the last event it saw. One second after the SIGTERM each poster posts; once everyone
is back, each posts once more, and the run waits (bounded) until every member saw that.

Printed per layout: how many resumed with `recovered: true`, the reasons of those who did not,
how many saw the drain-time post exactly once (and how many twice or never), and the time from
the SIGTERM to the last resume ack. Numbers from a full run only mean something on an idle
machine (docs/benchmarks.md); the smoke scale only checks the shape.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import msgpack
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from bench.peers import Cluster, Peer

__all__ = ["drain"]

SUBPROTOCOL = "sharecircle.v1.msgpack"
DRAIN_POST = "posted during the drain"
LAST_POST = "posted after the drain"


@dataclass(eq=False)
class Person:
    """One simulated member: its sockets, its place in the room's stream, what it saw."""

    room: str
    name: str
    ws: ClientConnection | None = None
    token: str = ""
    seq: int = 0
    epoch: str = ""
    after_ms: int | None = None
    seen: Counter[str] = field(default_factory=Counter)
    reply: dict[str, Any] | None = None
    acked_at: float = 0.0
    replies: dict[int, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    got_last: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None


async def _open(person: Person, url: str) -> None:
    person.ws = await connect(url, subprotocols=[SUBPROTOCOL], max_size=2**22, open_timeout=20)  # type: ignore[list-item]
    person.reader = asyncio.create_task(_read(person, person.ws))


async def _read(person: Person, ws: ClientConnection) -> None:
    try:
        async for data in ws:
            frame = msgpack.unpackb(data) if isinstance(data, bytes) else json.loads(data)
            kind = frame.get("type")
            if kind == "event":
                person.seq, person.epoch = frame["seq"], frame["epoch"]
                text = frame.get("text")
                if frame.get("event") == "chat.message" and text in (DRAIN_POST, LAST_POST):
                    person.seen[text] += 1
                    if text == LAST_POST:
                        person.got_last.set()
            elif kind == "reconnect":
                person.after_ms = int(frame["after_ms"])
            elif kind in ("ack", "error"):
                waiter = person.replies.pop(frame.get("id"), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(frame)
    except (WebSocketException, OSError):
        pass


async def _request(person: Person, frame: dict[str, Any]) -> dict[str, Any]:
    assert person.ws is not None
    waiter = asyncio.get_running_loop().create_future()
    person.replies[frame["id"]] = waiter
    await person.ws.send(msgpack.packb(frame))
    return await asyncio.wait_for(waiter, 30)


async def _join(person: Person, url: str) -> None:
    await _open(person, url)
    ack = await _request(
        person, {"type": "join", "id": 1, "room": person.room, "name": person.name}
    )
    if ack["type"] != "ack":
        raise RuntimeError(f"join refused: {ack.get('code')}")
    person.token = ack["token"]
    person.seq, person.epoch = ack["position"]["seq"], ack["position"]["epoch"]


async def _move(person: Person, url: str) -> None:
    """The client's drain policy: wait for the close, then `after_ms`, then resume elsewhere."""
    assert person.reader is not None
    await asyncio.wait_for(person.reader, 60)
    await asyncio.sleep((person.after_ms or 1000) / 1000)
    await _open(person, url)
    person.reply = await _request(
        person,
        {
            "type": "resume",
            "id": 2,
            "token": person.token,
            "seq": person.seq,
            "epoch": person.epoch,
        },
    )
    person.acked_at = time.monotonic()


async def _bounded(jobs: list[Any], limit: int) -> list[BaseException | None]:
    gate = asyncio.Semaphore(limit)

    async def one(job: Any) -> BaseException | None:
        async with gate:
            try:
                await job
            except Exception as exc:
                return exc
            return None

    return list(await asyncio.gather(*(one(j) for j in jobs)))


async def _layout(peer: Peer, members: int, room_size: int, concurrency: int) -> dict[str, Any]:
    n_rooms = max(1, -(-members // room_size))
    rooms = [f"bench-drain-{room_size}-{i}" for i in range(n_rooms)]
    async with Cluster(peer, nodes=2, tag="drain") as cluster:
        await peer.make_protocol().prepare(cluster.addrs, rooms)
        url_a, url_b = (f"ws://{host}:{port}/ws" for host, port in cluster.addrs)
        people = [Person(rooms[i % n_rooms], f"m{i}") for i in range(members)]
        posters = [Person(room, f"poster-{n}") for n, room in enumerate(rooms)]
        failed = [e for e in await _bounded([_join(p, url_b) for p in posters], concurrency) if e]
        joins = await _bounded([_join(p, url_a) for p in people], concurrency)
        joined = [p for p, e in zip(people, joins, strict=True) if e is None]
        if failed or not joined:
            return {"error": f"setup failed: {len(failed)} posters, {len(joined)} members joined"}

        t0 = time.monotonic()
        cluster.children[0].popen.send_signal(signal.SIGTERM)
        moves = asyncio.gather(*(_move(p, url_b) for p in joined), return_exceptions=True)
        await asyncio.sleep(1.0)
        for n, poster in enumerate(posters):
            await _request(poster, {"type": "post", "id": 10 + n, "text": DRAIN_POST})
        move_errors = [r for r in await moves if isinstance(r, BaseException)]
        last_ack = max((p.acked_at for p in joined if p.reply), default=t0)
        for n, poster in enumerate(posters):
            await _request(poster, {"type": "post", "id": 100 + n, "text": LAST_POST})
        waits = [asyncio.wait_for(p.got_last.wait(), 10) for p in joined if p.reply]
        await asyncio.gather(*waits, return_exceptions=True)

        replies = [p.reply for p in joined if p.reply is not None]
        recovered = sum(1 for r in replies if r.get("recovered") is True)
        reasons = Counter(
            str(r.get("reason") or r.get("code")) for r in replies if not r.get("recovered")
        )
        counts = Counter(min(p.seen[DRAIN_POST], 2) for p in joined)
        result = {
            "members": len(joined),
            "rooms": n_rooms,
            "room_size": room_size,
            "recovered": recovered,
            "not_recovered": dict(reasons),
            "move_errors": len(move_errors),
            "drain_post_once": counts[1],
            "drain_post_twice": counts[2],
            "drain_post_missing": counts[0],
            "missed_max": max((int(r.get("missed", 0)) for r in replies), default=0),
            "seconds_to_last_resume": round(last_ack - t0, 2),
        }
        for person in [*joined, *posters]:
            if person.ws is not None:
                await person.ws.close()
        return result


async def drain(peer: Peer, scale: Any) -> dict[str, Any]:
    """The drain of `scale.drain_members`, once per room size in `scale.drain_room_sizes`."""
    if not peer.name.startswith("sharecircle"):
        return {"skipped": "sharecircle only (resume is its own protocol)"}
    layouts = [
        await _layout(peer, scale.drain_members, size, scale.connect_concurrency)
        for size in scale.drain_room_sizes
    ]
    return {"layouts": layouts}
