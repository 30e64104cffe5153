"""A graceful drain: SIGTERM moves a node's people to another node with nothing lost."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.support.client import Client, gapless
from tests.support.nodes import NodeProcess
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.cluster


@pytest.fixture
def pair() -> Iterator[tuple[NodeProcess, NodeProcess]]:
    with RedisServer.launch() as redis, NodeProcess(redis.url) as a, NodeProcess(redis.url) as b:
        yield a, b


async def _move(client: Client, to: NodeProcess) -> Client:
    """What a client does on `reconnect` + 1012: resume from its last event on another node."""
    frame = await client.wait_for(lambda f: f.get("type") == "reconnect", frames=True)
    assert 0 < frame["after_ms"] <= 5000
    code, _ = await client.closed()
    assert code == 1012
    last = client.events[-1]
    moved = await Client.connect(to.url)
    reply = await moved.ok("resume", token=client.token, seq=last["seq"], epoch=last["epoch"])
    assert reply["recovered"] is True
    moved.token = reply["token"]
    moved.events[:0] = client.events  # one continuous history, checked below
    return moved


async def test_draining_node_moves_its_members_without_losing_anything(
    pair: tuple[NodeProcess, NodeProcess],
) -> None:
    a, b = pair
    async with httpx.AsyncClient(base_url=a.http) as http:
        invite = await http.post(
            "/api/admin/rooms/daily-check-in/invites",
            json={"role": "facilitator"},
            headers={"Authorization": "Bearer cluster-test-admin-Xe4Lq9Tz2Wm7Rk5Hc8Vb3Nf6Jy1Pd0Gs"},
        )
    fran = await Client.connect(a.url)
    await fran.join("daily-check-in", "Fran", facilitator=invite.json()["token"])
    ann = await Client.connect(b.url)
    ben = await Client.connect(b.url)
    ann_id = (await ann.join("daily-check-in", "Ann"))["member"]["id"]
    ben_id = (await ben.join("daily-check-in", "Ben"))["member"]["id"]
    await fran.ok("round.open", topic="Courage", order="hands")
    await ann.ok("hand.raise")
    await ben.ok("hand.raise")
    await ben.event("floor.granted", member=ann_id)
    await ann.ok("post", text="my share, part one")

    b.terminate()  # SIGTERM: node B drains
    posting = asyncio.create_task(_post_many(fran, 10))
    ann2, ben2 = await asyncio.gather(_move(ann, a), _move(ben, a))
    await posting
    assert b.wait(20) is not None

    # Ann kept the floor (the grace period covers the move) and Ben his place in the queue.
    await ann2.ok("post", text="my share, part two")
    await ben2.event("chat.message", text="my share, part two")
    view = fran.named("meeting.state")[-1]["meeting"]["round"]
    assert view["floor"]["member"] == ann_id
    assert view["queue"] == [ben_id]
    # Nothing lost, nothing twice, in order: every message the facilitator sent during the move.
    for moved in (ann2, ben2):
        await moved.event("chat.message", text="during the drain 9")
        texts = [e["text"] for e in moved.events if e["event"] == "chat.message"]
        during = [t for t in texts if t.startswith("during the drain")]
        assert during == [f"during the drain {i}" for i in range(10)]
        assert gapless(moved.seqs())
    for client in (fran, ann2, ben2):
        await client.close()


async def _post_many(client: Client, count: int) -> None:
    for i in range(count):
        await client.ok("post", text=f"during the drain {i}")
        await asyncio.sleep(0.05)


async def test_a_draining_node_is_not_ready_and_refuses_new_sockets(
    pair: tuple[NodeProcess, NodeProcess],
) -> None:
    _, b = pair
    holder = await Client.connect(b.url)
    await holder.join("night-owls", "Holder")
    b.terminate()
    await holder.wait_for(lambda f: f.get("type") == "reconnect", frames=True)
    async with httpx.AsyncClient(base_url=b.http) as http:
        try:
            ready = await http.get("/readyz")
            assert ready.status_code == 503
        except httpx.TransportError:
            pass  # already gone: also not ready
    assert b.wait(20) is not None


async def test_the_drain_notice_shows_503_while_everyone_is_still_served() -> None:
    """With `drain_notice_seconds`, a readiness probe sees 503 before anyone is moved: the
    node keeps serving its people (and newcomers) until the notice ends, then moves them."""
    with RedisServer.launch() as redis, NodeProcess(redis.url, drain_notice_seconds=3) as node:
        holder = await Client.connect(node.url)
        await holder.join("night-owls", "Holder")
        node.terminate()
        async with httpx.AsyncClient(base_url=node.http) as http:
            for _ in range(100):  # bounded: the signal is handled within a few loop turns
                if (await http.get("/readyz")).status_code == 503:
                    break
                await asyncio.sleep(0.01)
            assert (await http.get("/readyz")).status_code == 503
        assert not any(f.get("type") == "reconnect" for f in holder.frames)
        await holder.ok("post", text="still served during the notice")
        newcomer = await Client.connect(node.url)
        await newcomer.ok("join", room="night-owls", name="Late")
        for client in (holder, newcomer):
            await client.wait_for(lambda f: f.get("type") == "reconnect", frames=True)
            assert (await client.closed())[0] == 1012
        assert node.wait(20) is not None
