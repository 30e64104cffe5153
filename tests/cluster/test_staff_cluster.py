"""Staff and invites across real nodes: one Redis (or a Redis Cluster) and one PostgreSQL.

What issue 12 asks of them: a revoked staff account or invite is refused on every node at once,
including a seated facilitator's next command on another node; a facilitator whose room state
was lost with Redis comes back as facilitator by signing in again; and on a 3-master Redis
Cluster, killing a master mid-meeting keeps bans and staff and ends in an explicit resync.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from rooms.clock import ManualClock
from tests.faults.people import Person, check_history
from tests.support.client import TIMEOUT, Client
from tests.support.clock import SharedClock
from tests.support.nodes import NodeProcess
from tests.support.postgres_server import PostgresServer
from tests.support.redis_cluster import (
    _REPLICATION,
    ClusterUnavailable,
    RedisClusterServers,
    _field,
    command,
)
from tests.support.redis_server import RedisServer
from tests.support.stores import migrated_store

pytestmark = pytest.mark.cluster

ROOM = "daily-check-in"
ADMIN = {"Authorization": "Bearer cluster-test-admin-Xe4Lq9Tz2Wm7Rk5Hc8Vb3Nf6Jy1Pd0Gs"}
FAILOVER_TIMEOUT = 30.0
"""Upper bound for a cluster failover on a busy machine (node timeout 1 s, then an election)."""

StartNodes = Callable[[str], tuple[NodeProcess, NodeProcess]]


@pytest.fixture
async def database(postgres_server: PostgresServer) -> str:
    """An empty PostgreSQL database, migrated as an operator would (`sharecircle migrate`)."""
    url = postgres_server.create_database()
    store = await migrated_store(url, ManualClock())
    await store.aclose()
    return url


@pytest.fixture
def start_two(database: str) -> Iterator[StartNodes]:
    """Two nodes on one Redis URL and the shared PostgreSQL, on one shared clock."""
    clock = SharedClock()
    started: list[NodeProcess] = []

    def start(redis_url: str) -> tuple[NodeProcess, NodeProcess]:
        # Every test client comes from 127.0.0.1: a network mark would ban them all.
        options = {"database_url": database, "ban_network_marks": "false"}
        nodes = [
            NodeProcess(redis_url, test_clock_file=str(clock.path), **options) for _ in range(2)
        ]
        started.extend(nodes)
        for node in nodes:
            node.start(timeout=40)
        return nodes[0], nodes[1]

    yield start
    for node in started:
        node.close()
    clock.close()


async def http(node: NodeProcess, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=node.http, timeout=TIMEOUT) as client:
        return await client.request(method, path, **kwargs)


async def add_staff(node: NodeProcess, name: str) -> str:
    made = await http(
        node, "POST", "/api/admin/staff", headers=ADMIN, json={"name": name, "rooms": [ROOM]}
    )
    assert made.status_code == 201, made.text
    return str(made.json()["key"])


async def sign_in(node: NodeProcess, name: str, key: str) -> str:
    answer = await http(node, "POST", "/api/staff/session", json={"name": name, "secret": key})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


async def facilitator_invite(node: NodeProcess) -> dict[str, Any]:
    made = await http(
        node,
        "POST",
        f"/api/admin/rooms/{ROOM}/invites",
        headers=ADMIN,
        json={"role": "facilitator"},
    )
    assert made.status_code == 200, made.text
    body: dict[str, Any] = made.json()
    return body


async def refused_join(node: NodeProcess, name: str, **fields: Any) -> str:
    client = await Client.connect(node.url)
    try:
        reply = await client.request("join", room=ROOM, name=name, **fields)
    finally:
        await client.close()
    assert reply["type"] == "error", reply
    return str(reply["code"])


# -- revocation on every node --------------------------------------------------------------------


async def test_a_revoked_account_or_invite_is_refused_on_every_node_at_once(
    redis: RedisServer, start_two: StartNodes
) -> None:
    """Revoked through node A: node B refuses the seated facilitators' next commands (4504), the
    staff token, the sign-in and the invite, with no wait in between."""
    a, b = start_two(redis.url)
    key = await add_staff(a, "Robin")
    robin = Person("Robin", ROOM)
    await robin.join(b.url, staff=await sign_in(a, "Robin", key))
    invite = await facilitator_invite(b)
    fran = Person("Fran", ROOM)
    await fran.join(a.url, facilitator=invite["token"])
    ann = Person("Ann", ROOM)
    await ann.join(a.url)
    assert (await robin.ok("lock.set", on=False))["type"] == "ack"
    staff_token = await sign_in(b, "Robin", key)

    assert (await http(a, "DELETE", "/api/admin/staff/Robin", headers=ADMIN)).status_code == 200
    reply = await robin.request("round.open", topic="Hope", share_seconds=60, order="hands")
    assert reply["code"] == "invalid_token"
    assert await robin.closed() == 4504
    await ann.event("member.left", member=robin.member_id)
    assert await refused_join(b, "Robin", staff=staff_token) == "invalid_token"
    gone = await http(b, "POST", "/api/staff/session", json={"name": "Robin", "secret": key})
    assert gone.status_code == 401

    revoked = await http(b, "DELETE", f"/api/admin/invites/{invite['id']}", headers=ADMIN)
    assert revoked.status_code == 200
    assert (await fran.request("post", text="after"))["code"] == "invalid_token"
    assert await fran.closed() == 4504
    assert await refused_join(b, "Fred", facilitator=invite["token"]) == "invalid_token"
    assert (await ann.ok("post", text="the room carries on"))["type"] == "ack"
    await ann.leave()


async def test_a_facilitator_comes_back_after_a_redis_restart_by_signing_in_again(
    redis: RedisServer, start_two: StartNodes
) -> None:
    """Redis restarts empty: the room state (and Robin's role in it) is gone, and so are the
    sessions behind everyone's tokens (docs/reliability.md §6); everyone is told (4010) and their
    resume is refused out loud; Robin signs in again and is facilitator again, with no new
    invite."""
    a, b = start_two(redis.url)
    key = await add_staff(a, "Robin")
    robin, ann = Person("Robin", ROOM), Person("Ann", ROOM)
    joined = await robin.join(a.url, staff=await sign_in(a, "Robin", key))
    assert joined["member"]["role"] == "facilitator"
    await ann.join(b.url)

    redis.restart()
    for person, url in ((robin, a.url), (ann, b.url)):
        assert await person.closed() == 4010
        reply = await _resume_when_back(person, url)
        assert reply["type"] == "error", reply
        assert reply["code"] == "invalid_token", reply  # never a silent gap
    back, again = Person("Robin", ROOM), Person("Ann", ROOM)
    rejoined = await back.join(b.url, staff=await sign_in(b, "Robin", key))
    assert rejoined["member"]["role"] == "facilitator"
    await again.join(a.url)
    opened = await back.ok("round.open", topic="Again", share_seconds=60, order="hands")
    await again.event("round.opened", seq=opened["seq"])
    for person in (back, again):
        await person.leave()


async def _resume_when_back(person: Person, url: str) -> dict[str, Any]:
    """Resume; `unavailable` (the node is still reconnecting to Redis) is a documented "try
    again", so try again, a bounded number of times."""
    deadline = time.monotonic() + FAILOVER_TIMEOUT
    while True:
        reply = await person.resume(url)
        if reply.get("code") != "unavailable":
            return reply
        assert time.monotonic() < deadline, "the node never took the resume"
        await asyncio.sleep(0.2)


# -- Redis Cluster end to end --------------------------------------------------------------------


@pytest.fixture
def cluster() -> Iterator[RedisClusterServers]:
    """A 3-master cluster of this test's own (it loses a master), with a short node timeout."""
    try:
        servers = RedisClusterServers.launch(node_timeout_ms=1000)
    except ClusterUnavailable as exc:
        pytest.skip(f"cannot start a Redis Cluster: {exc}")
    with servers:
        yield servers


def _room_master(cluster: RedisClusterServers) -> int:
    slot = command(cluster.ports[0], "CLUSTER", "KEYSLOT", f"{{{ROOM}}}")
    for port in cluster.ports:
        for start, end, *_ in command(port, "CLUSTER", "SLOTS"):  # type: ignore[misc, union-attr]
            if int(start) <= int(slot) <= int(end):  # type: ignore[call-overload]
                return port
    raise AssertionError("no master owns the room's slot")


def _replica_caught_up(master: int, replica: int) -> bool:
    """Everything the master took is on the replica (so the failover loses nothing)."""
    done = _field(master, _REPLICATION, "master_repl_offset")
    return done is not None and done == _field(replica, _REPLICATION, "slave_repl_offset")


async def _until(done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + FAILOVER_TIMEOUT
    while not done():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


async def _told_or_healed(person: Person, url: str, seq: int) -> None:
    """The person sees the event at `seq`: healed in place, or after 4010 and a resume that says
    plainly whether history was recovered. Never a silent gap (check_history proves it)."""
    try:
        await person.event("chat.message", seq=seq)
        return
    except AssertionError:
        if person.connected:
            raise
    assert await person.closed() == 4010
    reply = await _resume_when_back(person, url)
    assert reply["type"] == "ack", reply
    if reply["recovered"]:
        await person.event("chat.message", seq=seq)


async def test_a_meeting_on_a_redis_cluster_survives_losing_a_master(
    cluster: RedisClusterServers, start_two: StartNodes
) -> None:
    """Two nodes on a 3-master cluster and PostgreSQL. The room's master is killed mid-meeting:
    its replica takes over; the ban made before holds, staff still sign in and facilitate, and
    every client either heals in place or is told (4010) and resumes explicitly."""
    master = _room_master(cluster)
    replica = await asyncio.to_thread(cluster.add_replica, master)
    a, b = start_two(cluster.url)
    key = await add_staff(a, "Robin")
    robin, ann, ben, troll = (Person(n, ROOM) for n in ("Robin", "Ann", "Ben", "Troll"))
    await robin.join(a.url, staff=await sign_in(a, "Robin", key))
    await ann.join(a.url)
    await ben.join(b.url)
    await troll.join(b.url)
    await robin.ok("ban", member=troll.member_id, seconds=3600)
    assert await troll.closed() == 4501
    said = await ann.ok("post", text="before the failover")
    for person in (robin, ann, ben):
        await person.event("chat.message", seq=said["seq"])
    await _until(lambda: _replica_caught_up(master, replica.port), "the replica did not catch up")

    cluster.node(master).kill()
    await _until(lambda: _is_master(replica.port), "the replica was not promoted")
    homes = {robin: b.url, ann: b.url, ben: a.url}
    after = await _post_when_back(ben, "after the failover")
    for person, url in homes.items():
        await _told_or_healed(person, url, after)
        check_history(person)

    assert (await troll.resume(b.url))["code"] == "banned"
    staff_again = await sign_in(b, "Robin", key)  # staff live in PostgreSQL, not in Redis
    opened = await robin.ok("round.open", topic="Still here", share_seconds=60, order="hands")
    await ben.event("round.opened", seq=opened["seq"])
    assert await refused_join(a, "Robin", staff=staff_again) == "name_taken"
    for node in (a, b):
        assert "Traceback" not in node.logs()
    for person in homes:
        await person.leave()


def _is_master(port: int) -> bool:
    return _field(port, _REPLICATION, "role") == "master"


async def _post_when_back(person: Person, text: str) -> int:
    """Post until the room's new master takes writes (`unavailable`/`busy` until then)."""
    deadline = time.monotonic() + FAILOVER_TIMEOUT
    while True:
        reply = await person.request("post", text=text)
        if reply["type"] == "ack":
            return int(reply["seq"])
        assert reply["code"] in ("unavailable", "busy"), reply
        assert time.monotonic() < deadline, "the room never took a post after the failover"
        await asyncio.sleep(0.1)
