"""Many people on three nodes, and a reconnect storm: everyone gets everything, exactly once.

Three real node processes on one Redis. One big room (60 members, spread over the nodes, both
encodings) and four small ones; everyone posts a little. The oracle is strict: every client's
seqs are gapless and every chat message of its room arrives exactly once. Then 40 members drop at
once and resume at once on other nodes while the room keeps talking: every one of them recovers
(`recovered: true`) and ends with every message exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpx
import pytest

from tests.faults.conftest import StartNodes
from tests.faults.people import Person, check_history
from tests.support.client import TIMEOUT
from tests.support.nodes import NodeProcess
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.cluster

BIG = "night-owls"
BIG_SIZE = 60
SMALL_ROOMS = [f"small-{i}" for i in range(4)]
SMALL_SIZE = 3
STORM = 40


async def _bounded(aws: Iterable[Awaitable[Any]], limit: int = 8) -> list[Any]:
    """Run with at most `limit` at a time, the whole batch bounded in time."""
    gate = asyncio.Semaphore(limit)

    async def one(aw: Awaitable[Any]) -> Any:
        async with gate:
            return await aw

    async with asyncio.timeout(TIMEOUT * 6):
        return list(await asyncio.gather(*(one(aw) for aw in aws)))


async def _make_room(node: NodeProcess, slug: str) -> None:
    async with httpx.AsyncClient(base_url=node.http, timeout=TIMEOUT) as http:
        made = await http.post(
            "/api/admin/rooms",
            json={"slug": slug, "name": slug, "self_led": True},
            headers={"Authorization": "Bearer cluster-test-admin-Xe4Lq9Tz2Wm7Rk5Hc8Vb3Nf6Jy1Pd0Gs"},
        )
        assert made.status_code == 201, made.text


def _received_chats(person: Person) -> list[tuple[str, int]]:
    return [(e["epoch"], e["seq"]) for e in person.events() if e["event"] == "chat.message"]


async def _everyone_has(people: list[Person], acks: list[dict[str, Any]]) -> None:
    """Wait until every person holds every acked message (bounded), then check exactly-once."""
    wanted = {a["seq"] for a in acks}
    for person in people:
        last = max(wanted)
        await person.event("chat.message", seq=last)
        got = [seq for _, seq in _received_chats(person) if seq in wanted]
        assert sorted(got) == sorted(wanted), f"{person.name}: {len(got)} of {len(wanted)}"


async def test_many_members_on_three_nodes_get_every_message_exactly_once(
    redis: RedisServer, start_nodes: StartNodes
) -> None:
    nodes = start_nodes(redis.url, 3, raid_joins=10_000)  # a planned crowd, not a raid
    for slug in SMALL_ROOMS:
        await _make_room(nodes[0], slug)
    big = [Person(f"Big {i:02d}", BIG, binary=i % 2 == 1) for i in range(BIG_SIZE)]
    small = {slug: [Person(f"{slug} {j}", slug) for j in range(SMALL_SIZE)] for slug in SMALL_ROOMS}
    everyone = big + [p for people in small.values() for p in people]
    home = {p: nodes[i % 3] for i, p in enumerate(everyone)}
    await _bounded(p.join(home[p].url) for p in everyone)

    # Everyone posts twice; all acks are collected per room.
    def post(person: Person, i: int) -> Callable[[], Awaitable[dict[str, Any]]]:
        return lambda: person.ok("post", text=f"{person.name} says {i}")

    acks = await _bounded(post(p, i)() for i in range(2) for p in everyone)
    by_room: dict[str, list[dict[str, Any]]] = {}
    for person, ack in zip((p for _ in range(2) for p in everyone), acks, strict=True):
        by_room.setdefault(person.room, []).append(ack)
    await _everyone_has(big, by_room[BIG])
    for slug, people in small.items():
        await _everyone_has(people, by_room[slug])
    for person in everyone:
        check_history(person)

    # The storm: 40 members drop at once and resume at once, each on another node, while the
    # ones who stayed keep talking.
    stormers, stayers = big[:STORM], big[STORM:]
    await asyncio.gather(*(p.leave() for p in stormers))
    during = [await p.ok("post", text=f"during the storm from {p.name}") for p in stayers[:5]]

    async def come_back(person: Person, i: int) -> dict[str, Any]:
        return await person.resume(nodes[(nodes.index(home[person]) + 1 + i % 2) % 3].url)

    replies = await _bounded((come_back(p, i) for i, p in enumerate(stormers)), limit=STORM)
    for person, reply in zip(stormers, replies, strict=True):
        assert reply["type"] == "ack", (person.name, reply)
        assert reply["recovered"] is True, (person.name, reply)
    after = [await p.ok("post", text=f"after the storm from {p.name}") for p in stormers[:3]]
    await _everyone_has(big, by_room[BIG] + during + after)
    for person in big:
        check_history(person)
    for person in everyone:
        await person.leave()
