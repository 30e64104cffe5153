"""A room configured with a three-part format runs a whole meeting on two real nodes.

Two `sharecircle serve` processes share one Redis and one offset-file clock; the room comes from
the nodes' configuration (`SHARECIRCLE_ROOMS`). A facilitator moves the meeting part by part;
a self-led room moves by the clock, which the test advances (nobody sleeps). Every client, on
either node, sees each part start exactly once, in order, and members post only when the part
lets them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.client import Client, gapless
from tests.support.clock import SharedClock
from tests.support.nodes import NodeProcess
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.cluster

ADMIN = {"Authorization": "Bearer cluster-test-admin-Xe4Lq9Tz2Wm7Rk5Hc8Vb3Nf6Jy1Pd0Gs"}

THREE_PARTS: dict[str, Any] = {
    "key": "three-parts",
    "title": "Three parts",
    "parts": [
        {"kind": "reading", "title": "Opening", "minutes": 2, "text": "Welcome. Passing is fine."},
        {"kind": "share_round", "title": "Shares", "minutes": 20, "share_seconds": 60},
        {"kind": "closing", "title": "Closing", "minutes": 2, "posting": "everyone"},
    ],
}
ROOMS = [
    {"slug": "led", "name": "Led", "format": THREE_PARTS},
    {"slug": "alone", "name": "Alone", "format": THREE_PARTS, "self_led": True, "language": "es"},
]
TITLES = ["Opening", "Shares", "Closing"]


@pytest.fixture
def nodes(
    redis: RedisServer, shared_clock: SharedClock
) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    settings = {"test_clock_file": str(shared_clock.path), "rooms": json.dumps(ROOMS)}
    a = NodeProcess(redis.url, **settings)
    b = NodeProcess(redis.url, **settings)
    with a, b:
        yield a, b


async def _facilitator_token(node: NodeProcess, room: str) -> str:
    async with httpx.AsyncClient(base_url=node.http) as http:
        response = await http.post(
            f"/api/admin/rooms/{room}/invites", json={"role": "facilitator"}, headers=ADMIN
        )
    token: str = response.json()["token"]
    return token


def _started(client: Client) -> list[str]:
    return [e["part"]["title"] for e in client.named("part.started")]


async def _part(client: Client, title: str) -> dict[str, Any]:
    return await client.wait_for(
        lambda e: e.get("event") == "part.started" and e["part"]["title"] == title
    )


async def _refused(client: Client, text: str) -> str | None:
    reply = await client.request("post", text=text)
    return reply.get("code") if reply["type"] == "error" else None


async def test_a_facilitator_runs_a_three_part_meeting_across_two_nodes(
    nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    a, b = nodes
    fran = await Client.connect(a.url)
    await fran.join("led", "Fran", facilitator=await _facilitator_token(b, "led"))
    ann, ben = await Client.connect(a.url), await Client.connect(b.url, binary=True)
    ann_id = (await ann.join("led", "Ann"))["member"]["id"]
    ben_id = (await ben.join("led", "Ben"))["member"]["id"]
    everyone = [fran, ann, ben]
    await ann.ok("milestone.set", days=30)
    marked = await fran.event("milestone.marked", member=ann_id)
    assert marked["days"] == 30

    await fran.ok("part.next")
    for client in everyone:
        opening = await _part(client, "Opening")
        assert opening["part"]["text"] == "Welcome. Passing is fine."  # the reading reaches all
    assert await _refused(ben, "hi") == "not_your_turn"  # a reading: only the reader posts
    assert await _refused(fran, "Welcome, everyone.") is None
    await ben.ok("hand.raise")

    await fran.ok("part.next")
    await ben.event("floor.granted", member=ben_id)  # the hand raised earlier seeds the shares
    assert await _refused(ben, "my share") is None
    assert await _refused(ann, "crosstalk") == "not_your_turn"
    await ben.ok("share.done")
    fairness = await fran.event("fairness")
    assert [(t["member"], t["shares"], t["passes"]) for t in fairness["turns"]] == [(ben_id, 1, 0)]
    assert not ann.named("fairness")  # facilitators only: the others get `hidden`

    await fran.ok("part.next")
    for client in everyone:
        await _part(client, "Closing")
        celebrated = await client.event("milestone.celebrated", member=ann_id)
        assert (celebrated["days"], celebrated["by"]) == (30, None)
    assert await _refused(ann, "thank you all") is None  # everyone may post in this closing

    await fran.ok("part.next")
    for client in everyone:
        await client.event("format.ended")
    for client in everyone:
        assert _started(client) == TITLES  # each part started once, everywhere
        assert len(client.named("format.ended")) == 1
        assert gapless(client.seqs())
    await asyncio.gather(*(c.close() for c in everyone))


async def test_a_self_led_three_part_meeting_moves_once_per_deadline_on_two_nodes(
    nodes: tuple[NodeProcess, NodeProcess], shared_clock: SharedClock
) -> None:
    """No facilitator: the first hand starts the meeting and the shared clock moves it; both
    nodes run the room's timer, and each part still starts exactly once."""
    a, b = nodes
    ann, ben = await Client.connect(a.url), await Client.connect(b.url)
    joined = await ann.join("alone", "Ann")
    assert joined["room"]["language"] == "es"
    ann_id = joined["member"]["id"]
    await ben.join("alone", "Ben")
    everyone = [ann, ben]
    await ann.ok("hand.raise")
    for client in everyone:
        await _part(client, "Opening")
    assert await _refused(ben, "hello") == "not_your_turn"  # nobody reads in a self-led opening

    shared_clock.advance(2 * 60 + 1)
    for client in everyone:
        await _part(client, "Shares")
    await ben.event("floor.granted", member=ann_id)
    assert await _refused(ann, "my share") is None
    assert await _refused(ben, "crosstalk") == "not_your_turn"
    await ann.ok("share.done")
    await ben.event("share.ended", member=ann_id)

    shared_clock.advance(20 * 60)
    for client in everyone:
        await _part(client, "Closing")
    assert await _refused(ben, "thank you") is None

    shared_clock.advance(2 * 60)
    for client in everyone:
        await client.event("format.ended")
    async with httpx.AsyncClient(base_url=b.http) as http:
        cards = {r["slug"]: r for r in (await http.get("/api/rooms")).json()}
    assert (cards["alone"]["format"], cards["alone"]["part"]) == ("Three parts", None)
    for client in everyone:
        assert _started(client) == TITLES
        assert len(client.named("format.ended")) == 1
        assert gapless(client.seqs())
    await asyncio.gather(*(c.close() for c in everyone))
