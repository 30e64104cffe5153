"""Bans that outlast what the meeting state does not: Redis restarts and failovers, node restarts.

A ban is written to the durable store (SQLite embedded, PostgreSQL for several nodes) before the
engine applies it, with the banned session's member mark and the keyed network mark of their
address (rooms/safety.py). Joins, resumes and re-seats ask the store, so the issue's black-box
scenario ("banned, then Redis restarted; the banned person resumed and was seated again") ends
with the person kept out, and so does another identity from the same address. Every test client
comes from 127.0.0.1, so "the same address" is every client here: the people who must stay in
are never asked to reconnect after the ban.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from rooms.clock import SystemClock
from tests.faults.conftest import StartNodes
from tests.faults.people import Person, invite, until_available
from tests.support.client import Client
from tests.support.postgres_server import PostgresServer
from tests.support.redis_cluster import ClusterUnavailable, SentinelSetup
from tests.support.redis_server import RedisServer
from tests.support.stores import migrated_store
from tests.support.tcp_proxy import BlackholeProxy

ROOM = "daily-check-in"
REASON = "ReasonTextNeverStored"


async def _migrated(url: str) -> str:
    store = await migrated_store(url, SystemClock())
    await store.aclose()
    return url


def _db(url: str) -> str:
    """The database name in a test PostgreSQL URL (`...@/<name>?host=...`)."""
    return url.split("@/", 1)[1].split("?", 1)[0]


async def _meeting(fran_url: str, bea_url: str, http: str) -> tuple[Person, Person, Person]:
    """Fran facilitates; Bea and Cal are members (Cal's connection then drops: seat held)."""
    fran, bea, cal = Person("Fran", ROOM), Person("Bea", ROOM), Person("Cal", ROOM)
    await fran.join(fran_url, facilitator=await invite(http, ROOM))
    await bea.join(bea_url)
    await cal.join(bea_url)
    await cal.leave()  # the socket closes without a goodbye: Cal's token can still resume
    await fran.event("member.away", member=cal.member_id)
    return fran, bea, cal


async def _ban(fran: Person, bea: Person) -> None:
    await fran.ok("ban", member=bea.member_id, seconds=3600, reason=REASON)
    assert await bea.closed() == 4501


async def _kept_out(bea: Person, cal: Person, url: str, *, sessions_lost: bool = False) -> None:
    """The banned person's resume, a rejoin under a new name, and another identity's resume
    from the same address are all refused with `banned`.

    `sessions_lost`: Redis lost its data, and with it the session records behind the tokens
    (docs/reliability.md §6), so a resume is refused as `invalid_token` before any ban check;
    the person is still kept out, and a join, their only way back in, meets the ban.
    """
    resume_refusals = {"banned", "invalid_token"} if sessions_lost else {"banned"}
    for person in (bea, cal):
        reply = await until_available(lambda p=person: p.resume(url))
        assert reply["type"] == "error", reply
        assert reply["code"] in resume_refusals, reply
    newcomer = await Client.connect(url)
    refused = await until_available(lambda: newcomer.request("join", room=ROOM, name="Bea Again"))
    assert refused["type"] == "error"
    assert refused["code"] == "banned", refused
    await newcomer.close()


async def _marks_stored(pg: PostgresServer, database: str) -> None:
    """The node holding Bea's connection adds her network mark after the ban's event (bounded)."""
    query = "SELECT count(*) FROM ban_marks WHERE mark LIKE 'n:%'"
    for _ in range(100):
        if int(await asyncio.to_thread(pg.psql, query, database) or 0) > 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the network mark never reached the ban record")


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL of this test's own: it gets stopped and started again."""
    with PostgresServer.launch() as server:
        yield server


@pytest.mark.cluster
async def test_a_ban_survives_a_redis_restart_and_a_restart_of_every_node(
    redis: RedisServer, start_nodes: StartNodes, postgres_server: PostgresServer
) -> None:
    """Redis + PostgreSQL, two nodes: ban, restart Redis (empty), then restart both nodes."""
    url = await _migrated(postgres_server.create_database())
    a, b = start_nodes(redis.url, 2, database_url=url)
    fran, bea, cal = await _meeting(a.url, b.url, a.http)
    await _ban(fran, bea)
    await _marks_stored(postgres_server, _db(url))

    redis.stop()
    redis.start()  # a new, empty Redis: the meeting state and its bans are gone
    assert await fran.closed() == 4010
    await _kept_out(bea, cal, b.url, sessions_lost=True)
    await _kept_out(bea, cal, a.url, sessions_lost=True)

    for node in (a, b):
        node.kill()
    for node in (a, b):
        node.start()
    await _kept_out(bea, cal, a.url, sessions_lost=True)
    await _kept_out(bea, cal, b.url, sessions_lost=True)
    for node in (a, b):
        assert "Traceback" not in node.logs()
        assert REASON not in node.logs()
    await fran.leave()


@pytest.fixture
def sentinel() -> Iterator[SentinelSetup]:
    try:
        setup = SentinelSetup()
    except RuntimeError as exc:  # no server binary
        pytest.skip(f"cannot set up Sentinel: {exc}")
    with setup:
        yield setup


@pytest.mark.cluster
async def test_a_ban_survives_a_lossy_sentinel_failover(
    sentinel: SentinelSetup, start_nodes: StartNodes, postgres_server: PostgresServer
) -> None:
    """The replica never saw the ban (replication cut first); the master dies; the promoted
    replica's meeting has no ban, and the store keeps the person out."""
    proxy = await BlackholeProxy("127.0.0.1", sentinel.master.port).start()
    try:
        try:
            await asyncio.to_thread(sentinel.start, replicate_from=proxy.port)
        except ClusterUnavailable as exc:
            pytest.skip(f"cannot start a sentinel: {exc}")
        url = await _migrated(postgres_server.create_database())
        a, b = start_nodes(sentinel.url, 2, database_url=url)
        fran, bea, cal = await _meeting(a.url, b.url, a.http)
        assert proxy.blackhole() == 1  # the replication link, silenced
        await _ban(fran, bea)
        await _marks_stored(postgres_server, _db(url))
        sentinel.master.kill()
        assert await asyncio.to_thread(sentinel.wait_failover) == sentinel.replica.port
        await _kept_out(bea, cal, b.url, sessions_lost=True)
        await _kept_out(bea, cal, a.url, sessions_lost=True)
        await fran.leave()
    finally:
        await proxy.aclose()


async def test_a_ban_survives_a_node_restart_on_the_embedded_default(
    start_nodes: StartNodes,
) -> None:
    """In-memory backend + SQLite: the restart loses the meeting, the store keeps the ban."""
    (node,) = start_nodes(None, 1)  # type: ignore[arg-type]
    fran, bea, cal = await _meeting(node.url, node.url, node.http)
    await _ban(fran, bea)
    node.kill()
    node.start()
    await _kept_out(bea, cal, node.url, sessions_lost=True)  # the in-memory sessions went too
    assert "Traceback" not in node.logs()
    await fran.leave()


async def test_a_ban_holds_against_another_identitys_resume_from_the_same_address(
    start_nodes: StartNodes,
) -> None:
    """Without any restart: Cal's older token, from Bea's address, does not seat Cal again."""
    (node,) = start_nodes(None, 1)  # type: ignore[arg-type]
    fran, bea, cal = await _meeting(node.url, node.url, node.http)
    await _ban(fran, bea)
    reply = await cal.resume(node.url)
    assert reply["type"] == "error"
    assert reply["code"] == "banned", reply
    said = await fran.ok("post", text="the room carries on")  # the facilitator is unaffected
    assert said["seq"] > 0
    await fran.leave()


@pytest.mark.cluster
async def test_a_postgres_restart_mid_meeting_keeps_chat_and_refuses_bans_cleanly(
    redis: RedisServer, start_nodes: StartNodes, own_postgres: PostgresServer
) -> None:
    """Down: chat carries on; a ban gets `unavailable` and changes nothing. Back: it works."""
    url = await _migrated(own_postgres.create_database())
    a, b = start_nodes(redis.url, 2, database_url=url)
    fran, ann, bea = Person("Fran", ROOM), Person("Ann", ROOM), Person("Bea", ROOM)
    await fran.join(a.url, facilitator=await invite(a.http, ROOM))
    await ann.join(a.url)
    await bea.join(b.url)

    own_postgres.stop()
    said = await ann.ok("post", text="still talking")
    await bea.event("chat.message", seq=said["seq"])
    refused = await fran.request("ban", member=bea.member_id, seconds=600, reason=REASON)
    assert refused["type"] == "error", refused
    assert refused["code"] == "unavailable", refused
    still = await bea.ok("post", text="still here")  # not banned, not removed: nothing changed
    await fran.event("chat.message", seq=still["seq"])
    assert not [e for e in fran.events() if e["event"] in ("member.left", "moderation")]

    own_postgres.start()
    await fran.ok("ban", member=bea.member_id, seconds=600, reason=REASON)
    assert await bea.closed() == 4501
    left = await ann.event("member.left", member=bea.member_id)
    assert left["reason"] == "banned"
    # One record from the refused attempt would be a ban applied halfway: there is none.
    marked = f"SELECT count(*) FROM ban_marks WHERE mark = 'm:{bea.member_id}'"  # noqa: S608
    assert int(own_postgres.psql(marked, _db(url))) == 1
    for node in (a, b):
        assert "Traceback" not in node.logs()
    for person in (fran, ann):
        await person.leave()
