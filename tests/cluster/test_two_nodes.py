"""Two real `sharecircle serve` processes on one real Redis behave as one server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.support.client import Client, gapless
from tests.support.clock import SharedClock
from tests.support.nodes import NodeProcess
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.cluster


@pytest.fixture
def nodes(
    redis: RedisServer, shared_clock: SharedClock
) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    a = NodeProcess(redis.url, test_clock_file=str(shared_clock.path))
    b = NodeProcess(redis.url, test_clock_file=str(shared_clock.path))
    with a, b:
        yield a, b


async def _invite(node: NodeProcess, room: str) -> str:
    async with httpx.AsyncClient(base_url=node.http) as http:
        response = await http.post(
            f"/api/admin/rooms/{room}/invites",
            json={"role": "facilitator"},
            headers={"Authorization": "Bearer cluster-test-admin-Xe4Lq9Tz2Wm7Rk5Hc8Vb3Nf6Jy1Pd0Gs"},
        )
    token: str = response.json()["token"]
    return token


async def test_members_on_two_nodes_see_each_other(nodes: tuple[NodeProcess, NodeProcess]) -> None:
    a, b = nodes
    alice = await Client.connect(a.url)
    bob = await Client.connect(b.url, binary=True)
    await alice.join("night-owls", "Alice")
    joined = await bob.join("night-owls", "Bob")
    assert {m["name"] for m in joined["members"]} == {"Alice", "Bob"}
    await alice.event("member.joined", member=joined["member"])
    for i in range(5):
        await alice.ok("post", text=f"from A {i}")
        await bob.ok("post", text=f"from B {i}")
    for client in (alice, bob):
        await client.event("chat.message", text="from B 4")
        await client.event("chat.message", text="from A 4")
    tail_a = [(e["seq"], e.get("text")) for e in alice.events if e["event"] == "chat.message"]
    tail_b = [(e["seq"], e.get("text")) for e in bob.events if e["event"] == "chat.message"]
    assert tail_a == tail_b
    assert len(tail_a) == 10
    assert gapless(alice.seqs())
    assert gapless(bob.seqs())
    # A room created through one node's admin API exists on the other.
    async with httpx.AsyncClient(base_url=a.http) as http:
        made = await http.post(
            "/api/admin/rooms",
            json={"slug": "sunrise", "name": "Sunrise"},
            headers={"Authorization": "Bearer cluster-test-admin-Xe4Lq9Tz2Wm7Rk5Hc8Vb3Nf6Jy1Pd0Gs"},
        )
        assert made.status_code == 201
    carol = await Client.connect(b.url)
    await carol.join("sunrise", "Carol")
    for client in (alice, bob, carol):
        await client.close()


async def test_a_dead_nodes_members_leave_everyones_list(
    nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    """kill -9 a node: its people are marked away within the presence TTL, then resume elsewhere."""
    a, b = nodes
    alice = await Client.connect(a.url)
    bob = await Client.connect(b.url)
    await alice.join("night-owls", "Alice")
    joined = await bob.join("night-owls", "Bob")
    await bob.ok("post", text="before the crash")
    last = await bob.event("chat.message", text="before the crash")
    b.kill()
    away = await alice.event("member.away", member=joined["member"]["id"])
    assert away  # within presence_ttl (3 s here) plus one sweep; bounded by the client TIMEOUT
    await alice.ok("post", text="while Bob was gone")
    bob_again = await Client.connect(a.url)
    reply = await bob_again.ok("resume", token=bob.token, seq=last["seq"], epoch=last["epoch"])
    assert reply["recovered"] is True
    await bob_again.event("chat.message", text="while Bob was gone")
    await alice.close()
    await bob_again.close()


async def test_round_advances_once_per_deadline_even_when_a_timer_node_dies(
    nodes: tuple[NodeProcess, NodeProcess], shared_clock: SharedClock
) -> None:
    a, b = nodes
    fran = await Client.connect(a.url)
    await fran.join("daily-check-in", "Fran", facilitator=await _invite(a, "daily-check-in"))
    ann = await Client.connect(a.url)
    ben = await Client.connect(b.url)
    cat = await Client.connect(b.url)
    ids = []
    for client, name in ((ann, "Ann"), (ben, "Ben"), (cat, "Cat")):
        ids.append((await client.join("daily-check-in", name))["member"]["id"])
    await fran.ok("round.open", topic="Hope", share_seconds=30, order="hands")
    for client in (ann, ben, cat):
        await client.ok("hand.raise")
    await fran.event("floor.granted", member=ids[0])
    # Both nodes run the room's timer; the share must end exactly once.
    shared_clock.advance(31)
    await fran.event("floor.granted", member=ids[1])
    # Kill node A (which also had timer duty); node B alone must pass the floor on.
    a.kill()
    shared_clock.advance(31)
    await cat.event("floor.granted", member=ids[2])
    for watcher in (ben, cat):
        ended = [(e["member"], e["how"]) for e in watcher.named("share.ended")]
        assert ended == [(ids[0], "time"), (ids[1], "time")]  # each share ended once, never twice
        assert [e["member"] for e in watcher.named("floor.granted")] == ids
        assert gapless(watcher.seqs())
    await asyncio.gather(ben.close(), cat.close())


async def test_a_whole_round_across_two_nodes_looks_the_same_everywhere(
    nodes: tuple[NodeProcess, NodeProcess], shared_clock: SharedClock
) -> None:
    """Open, five shares with one pass, one extend, one skip; end. Same queue, floor, timer."""
    a, b = nodes
    fran = await Client.connect(a.url)
    await fran.join("daily-check-in", "Fran", facilitator=await _invite(b, "daily-check-in"))
    people: list[Client] = []
    for name, node in (("Ann", a), ("Ben", a), ("Cat", b), ("Dan", b), ("Eve", b)):
        client = await Client.connect(node.url)
        await client.join("daily-check-in", name)
        people.append(client)
    ids = [p.member["id"] for p in people]  # type: ignore[index]
    for person in people:
        await person.ok("hand.raise")
    await fran.event("hand.raised", member=ids[-1])
    opened = await fran.ok("round.open", topic="Acceptance", share_seconds=60, order="hands")
    await people[0].event("floor.granted", member=ids[0])
    await people[0].ok("share.done")  # Ann
    await people[1].event("floor.granted", member=ids[1])
    await people[1].ok("pass")  # Ben passes
    await people[2].event("floor.granted", member=ids[2])
    await fran.ok("share.extend", seconds=30)  # Cat gets more time, then it runs out
    await people[2].event("share.extended", member=ids[2])
    shared_clock.advance(91)
    await people[3].event("floor.granted", member=ids[3])
    await fran.ok("share.skip")  # Dan is skipped
    await people[4].event("floor.granted", member=ids[4])
    await people[4].ok("share.done")  # Eve
    await fran.ok("round.end")
    everyone = [fran, *people]
    for client in everyone:
        await client.event("round.ended")

    def meeting_history(client: Client) -> list[tuple[int, str, object]]:
        return [
            (e["seq"], e["event"], e.get("meeting") or e.get("member"))
            for e in client.events
            if e["seq"] >= opened["seq"]
            and e["event"] != "hidden"
            and (
                e["event"].startswith(("round.", "floor.", "share."))
                or e["event"] == "meeting.state"
            )
        ]

    reference = meeting_history(fran)
    hows = [e["how"] for e in fran.named("share.ended")]
    assert hows == ["done", "passed", "time", "skipped", "done"]
    for client in people:
        assert meeting_history(client) == reference
        assert gapless(client.seqs())
    for client in everyone:
        await client.close()
