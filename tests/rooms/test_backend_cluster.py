"""What only the Redis Cluster mode has: slot layout, sharded pub/sub, slot moves and failover.

The shared behaviour runs on the cluster too (the `cluster` kind of test_backend_conformance.py).
Tests that only look use the session's `redis_cluster`; tests that move a slot or kill a node
launch their own cluster, so the shared one never changes shape.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot
from redis.exceptions import ResponseError

from rooms.backends.base import Envelope, Gap, Position
from rooms.backends.redis import RedisBackend
from tests.support.backends import FAST_FAULTS
from tests.support.redis_cluster import ClusterUnavailable, RedisClusterServers, command
from tests.support.streams import publish_when_back, receive, until, until_gap

TIMEOUT = 5.0
"""Upper bound for one wait on delivery (never a timing assertion)."""

FAILOVER_TIMEOUT = 20.0
"""Upper bound for a cluster failover (node timeout 1 s, then an election)."""

ROOM = "night-owls"

FAST = FAST_FAULTS


def channel(prefix: str, room: str) -> str:
    return f"{prefix}:{{{room}}}:events"


@pytest.fixture
async def connect() -> AsyncIterator[Callable[..., RedisBackend]]:
    made: list[RedisBackend] = []

    def make(url: str, **options: Any) -> RedisBackend:
        backend = RedisBackend.from_url(url, **{**FAST, **options})
        made.append(backend)
        return backend

    try:
        yield make
    finally:
        for backend in made:
            await backend.aclose()


@pytest.fixture
async def admin(redis_cluster: RedisClusterServers) -> AsyncIterator[RedisCluster]:
    client = RedisCluster(host="127.0.0.1", port=redis_cluster.ports[0])
    await client.initialize()
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def own_cluster() -> Iterator[RedisClusterServers]:
    """A cluster of this test's own, that it may reshape or break."""
    try:
        servers = RedisClusterServers.launch(node_timeout_ms=1000)
    except ClusterUnavailable as exc:
        pytest.skip(f"cannot start a Redis Cluster: {exc}")
    with servers:
        yield servers


async def owner_port(servers: RedisClusterServers, key: str) -> int:
    client = RedisCluster(host="127.0.0.1", port=servers.ports[0])
    try:
        await client.initialize()
        return int(client.get_node_from_key(key).port)
    finally:
        await client.aclose()


def rooms_on_every_master(admin: RedisCluster, prefix: str) -> dict[str, str]:
    """One room name per master, by the slot of its channel: master name -> room."""
    found: dict[str, str] = {}
    masters = {node.name for node in admin.get_primaries()}
    index = 0
    while set(found) != masters:
        room = f"room-{index}"
        found.setdefault(admin.get_node_from_key(channel(prefix, room)).name, room)
        index += 1
    return found


# -- layout and sharded pub/sub -----------------------------------------------------------------


async def test_a_script_may_spublish_only_to_its_own_slot(admin: RedisCluster) -> None:
    """The server lets a script SPUBLISH on a channel of its keys' slot (what publish relies on),
    and refuses a channel of another slot."""
    script = "redis.call('SET', KEYS[1], '1'); return redis.call('SPUBLISH', ARGV[1], 'x')"
    key = "probe:{a}:seq"
    assert await admin.eval(script, 1, key, "probe:{a}:events") == 0  # no subscribers
    with pytest.raises(ResponseError, match="non local"):
        await admin.eval(script, 1, key, "probe:{b}:events")
    await admin.delete(key)


async def test_a_rooms_keys_and_channel_share_one_slot(
    redis_cluster: RedisClusterServers,
    connect: Callable[..., RedisBackend],
    admin: RedisCluster,
) -> None:
    """Every key of a room, and its channel, hash to one slot, held by one master."""
    backend = connect(redis_cluster.url, key_prefix="layout")
    await backend.commit(ROOM, 0, b"state", [b"event"])
    await backend.touch_presence(ROOM, "ann", b"info", ttl=30)
    await backend.claim("slow:ann", ttl=30)
    await backend.save_room(ROOM, b"config")
    keys = {k.decode() async for k in admin.scan_iter(match="layout:*")}
    room_keys = {k for k in keys if k.startswith(f"layout:{{{ROOM}}}:")}
    assert keys - room_keys == {"layout:claim:slow:ann", "layout:rooms"}
    assert len(room_keys) == 7
    slots = {key_slot(k.encode()) for k in room_keys}
    assert slots == {key_slot(channel("layout", ROOM).encode())}


async def test_events_go_over_sharded_pubsub_on_the_rooms_master(
    redis_cluster: RedisClusterServers,
    connect: Callable[..., RedisBackend],
    admin: RedisCluster,
) -> None:
    """The subscription is an SSUBSCRIBE on the master of the room's slot only, and publishing
    uses SPUBLISH: a classic subscriber on that very master hears nothing of it."""
    backend = connect(redis_cluster.url, key_prefix="sharded")
    name = channel("sharded", ROOM)
    owner = admin.get_node_from_key(name)
    classic = Redis(host=owner.host, port=owner.port).pubsub()
    await classic.subscribe(name)
    assert (await classic.get_message(timeout=TIMEOUT))["type"] == "subscribe"  # type: ignore[index]
    try:
        async with backend.subscribe(ROOM) as stream:
            assert backend.pubsub_placement() == {ROOM: owner.name}
            for node in admin.get_primaries():
                counts = await admin.execute_command(
                    "PUBSUB", "SHARDNUMSUB", name, target_nodes=node
                )
                assert counts[1] == (1 if node.name == owner.name else 0)
            sent = await backend.publish(ROOM, [b"sharded"])
            assert await receive(stream) == sent[0]
            await admin.execute_command("PUBLISH", name, b"marker", target_nodes=owner)
            message = await classic.get_message(timeout=TIMEOUT)
            assert message is not None
            assert message["data"] == b"marker"  # the event did not come this way
    finally:
        await classic.aclose()


async def test_one_pubsub_connection_per_master_in_use(
    redis_cluster: RedisClusterServers,
    connect: Callable[..., RedisBackend],
    admin: RedisCluster,
) -> None:
    """Rooms on the same master share its connection; each master in use gets one."""
    backend = connect(redis_cluster.url, key_prefix="perm")
    by_master = rooms_on_every_master(admin, "perm")
    first_master, first_room = next(iter(by_master.items()))
    neighbour = next(
        f"more-{i}"
        for i in range(10_000)
        if admin.get_node_from_key(channel("perm", f"more-{i}")).name == first_master
    )
    rooms = [*by_master.values(), neighbour]
    masters = admin.get_primaries()
    async with contextlib.AsyncExitStack() as exits:
        streams = [await exits.enter_async_context(backend.subscribe(r)) for r in rooms]
        placement = backend.pubsub_placement()
        assert set(placement.values()) == set(by_master)
        assert placement[neighbour] == placement[first_room]
        for room, stream in zip(rooms, streams, strict=True):
            sent = await backend.publish(room, [room.encode()])
            assert await receive(stream) == sent[0]
        expected = {node.name: [2 if node.name == first_master else 1] for node in masters}
        async with asyncio.timeout(TIMEOUT):  # connections of earlier tests may still be closing
            while await sharded_clients(admin, masters) != expected:  # noqa: ASYNC110
                await asyncio.sleep(0.02)


async def sharded_clients(admin: RedisCluster, masters: list[Any]) -> dict[str, list[int]]:
    """For each master, the shard-channel count of each connection with shard subscriptions."""
    found = {}
    for node in masters:
        clients = await admin.client_list(_type="pubsub", target_nodes=node)
        found[node.name] = [int(c["ssub"]) for c in clients if int(c.get("ssub", 0)) > 0]
    return found


# -- faults: a slot moves, a master fails -------------------------------------------------------


@pytest.mark.cluster
async def test_a_moved_slot_gives_a_gap_and_the_room_follows_it(
    own_cluster: RedisClusterServers, connect: Callable[..., RedisBackend]
) -> None:
    """When the room's slot migrates, the subscription follows it to the new master: a Gap, then
    live events from there; a node with a stale slot map is redirected (MOVED) the same way."""
    backend = connect(own_cluster.url)
    stale = connect(own_cluster.url)
    await stale.position(ROOM)  # learns the slot map before the move
    name = channel("sc", ROOM)
    source = await owner_port(own_cluster, name)
    target = next(port for port in own_cluster.ports if port != source)
    async with backend.subscribe(ROOM) as stream:
        (first,) = await backend.publish(ROOM, [b"before"])
        assert await receive(stream) == first
        await asyncio.to_thread(own_cluster.move_slot, key_slot(name.encode()), source, target)
        assert await receive(stream) == Gap("reconnect")
        (second,) = await backend.publish(ROOM, [b"after"])
        assert await receive(stream) == second
        assert backend.pubsub_placement() == {ROOM: f"127.0.0.1:{target}"}
        assert await backend.replay(ROOM, Position(first.seq, first.epoch), 10) == [second]
        async with stale.subscribe(ROOM) as late:
            assert stale.pubsub_placement() == {ROOM: f"127.0.0.1:{target}"}
            (third,) = await backend.publish(ROOM, [b"third"])
            assert await receive(stream) == third
            item = await receive(late)
            if item == Gap("reconnect"):  # from the MOVED on the way: harmless, it replays
                item = await receive(late)
            assert item == third


@pytest.mark.cluster
async def test_a_failed_master_is_replaced_and_the_room_follows(
    own_cluster: RedisClusterServers, connect: Callable[..., RedisBackend]
) -> None:
    """kill -9 of the room's master: its replica takes over, the subscription moves there with a
    Gap, publishing works again, the replicated history carries on in the same epoch, and no
    (seq, epoch) pair is ever handed out twice."""
    name = channel("sc", ROOM)
    master = await owner_port(own_cluster, name)
    replica = await asyncio.to_thread(own_cluster.add_replica, master)
    backend = connect(own_cluster.url)
    async with backend.subscribe(ROOM) as stream:
        sent = await backend.publish(ROOM, [b"1", b"2"])
        assert [await receive(stream) for _ in sent] == sent
        assert await asyncio.to_thread(command, master, "WAIT", 1, 5000) == 1  # replicated
        own_cluster.node(master).kill()
        async with asyncio.timeout(FAILOVER_TIMEOUT):
            after = await publish_when_back(backend, ROOM, b"3")
            items = await until_gap(stream)
        (final,) = await backend.publish(ROOM, [b"4"])
        items += await until(stream, final)
        assert backend.pubsub_placement() == {ROOM: f"127.0.0.1:{replica.port}"}

    assert [e for e in items if isinstance(e, Envelope)] in ([final], [after, final])
    assert after.epoch == sent[0].epoch
    assert after.seq == sent[-1].seq + 1
    # what a hub does after the Gap: catch up from the last event it saw
    assert await backend.replay(ROOM, Position(sent[-1].seq, sent[-1].epoch), 10) == [after, final]
