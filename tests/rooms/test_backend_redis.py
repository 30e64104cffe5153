"""What only the Redis backend has: its key layout, TTLs, lost-write detection and Redis time.

The shared behaviour is in test_backend_conformance.py; faults (restarts, outages, black holes)
are in test_backend_redis_faults.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from rooms.backends.base import Envelope, Gap, Position, Resync
from rooms.backends.redis import RedisBackend
from rooms.clock import ManualClock
from tests.support.backends import BackendFactory
from tests.support.redis_server import RedisServer

TIMEOUT = 5.0
ROOM = "night-owls"


@pytest.fixture
async def nodes(redis_server: RedisServer, clock: ManualClock) -> AsyncIterator[BackendFactory]:
    factory = BackendFactory("redis", clock, redis_server.url)
    try:
        yield factory
    finally:
        await factory.aclose()


@pytest.fixture
async def admin(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url)
    try:
        yield client
    finally:
        await client.aclose()


def node(factory: BackendFactory, **options: object) -> RedisBackend:
    backend = factory(**options)
    assert isinstance(backend, RedisBackend)
    return backend


async def receive(stream: AsyncIterator[Envelope | Gap]) -> Envelope | Gap:
    async with asyncio.timeout(TIMEOUT):
        return await anext(stream)


async def test_keys_of_a_room_share_one_hash_tag(nodes: BackendFactory, admin: Redis) -> None:
    """Every key of a room carries `{room}`, so the room fits one Redis Cluster slot."""
    backend = node(nodes)
    await backend.commit(ROOM, 0, b"state", [b"event"])
    await backend.touch_presence(ROOM, "ann", b"info", ttl=30)
    keys = {k.decode() async for k in admin.scan_iter(match=f"{nodes.key_prefix}:*")}
    suffixes = {"seq", "epoch", "stream", "payloads", "state", "presence", "presence-info"}
    assert keys == {f"{nodes.key_prefix}:{{{ROOM}}}:{s}" for s in suffixes}


async def test_content_expires_by_itself_and_the_counter_never(
    nodes: BackendFactory, admin: Redis
) -> None:
    """Stream and payloads live window + 1 s after the last write; the epoch longer; seq always."""
    backend = node(nodes, window_seconds=60, epoch_ttl_seconds=600)
    await backend.publish(ROOM, [b"x"])
    base = f"{nodes.key_prefix}:{{{ROOM}}}"
    assert 0 < await admin.pttl(f"{base}:stream") <= 61_000
    assert 0 < await admin.pttl(f"{base}:payloads") <= 61_000
    assert 61_000 < await admin.pttl(f"{base}:epoch") <= 600_000
    assert await admin.pttl(f"{base}:seq") == -1


async def test_stream_ids_are_time_and_seq(
    nodes: BackendFactory, admin: Redis, clock: ManualClock
) -> None:
    """Entry ids are `<ms>-<seq>`, so MINID trims by age; payloads are not in the stream."""
    backend = node(nodes)
    sent = await backend.publish(ROOM, [b"a", b"b"])
    rows: Any = await admin.xrange(f"{nodes.key_prefix}:{{{ROOM}}}:stream")
    assert [row[0].decode() for row in rows] == [f"{e.ts_ms}-{e.seq}" for e in sent]
    assert all(b"a" not in b"".join(fields.values()) for _, fields in rows)
    assert sent[0].ts_ms == int(clock.now() * 1000)


async def test_a_lost_counter_rotates_the_epoch(nodes: BackendFactory, admin: Redis) -> None:
    """If the seq key vanished while the epoch lives, the history is new and seq does not repeat."""
    sent = await node(nodes).publish(ROOM, [b"1", b"2", b"3"])
    await admin.delete(f"{nodes.key_prefix}:{{{ROOM}}}:seq")
    fresh = node(nodes)  # a node that saw nothing before
    (after,) = await fresh.publish(ROOM, [b"4"])
    assert after.epoch != sent[0].epoch
    assert after.seq == 4
    old = Position(3, sent[0].epoch)
    assert await fresh.replay(ROOM, old, 10) == Resync("epoch", Position(4, after.epoch))


async def test_a_counter_that_went_backwards_rotates_the_epoch(
    nodes: BackendFactory, admin: Redis
) -> None:
    """A node that saw seq 5 never accepts a counter at 2 (a failover lost writes)."""
    backend = node(nodes)
    sent = await backend.publish(ROOM, [b"1", b"2", b"3", b"4", b"5"])
    base = f"{nodes.key_prefix}:{{{ROOM}}}"
    await admin.set(f"{base}:seq", 2)
    await admin.xtrim(f"{base}:stream", maxlen=2)  # a replica that only had the first two
    (after,) = await backend.publish(ROOM, [b"6"])
    assert after.epoch != sent[0].epoch
    assert after.seq == 6


async def test_redis_time_is_used_without_a_clock(nodes: BackendFactory) -> None:
    """With no injected clock, timestamps come from Redis TIME."""
    backend = node(nodes, clock=None)
    before = int(time.time() * 1000)
    (env,) = await backend.publish(ROOM, [b"x"])
    after = int(time.time() * 1000)
    assert before - 1000 <= env.ts_ms <= after + 1000


async def test_window_age_and_claims_follow_redis_time(nodes: BackendFactory) -> None:
    """Without a clock, aging and claim expiry run on the server's time."""
    backend = node(nodes, clock=None, window_seconds=0.05)
    sent = await backend.publish(ROOM, [b"x"])
    assert await backend.claim("once", ttl=0.05) is True
    assert await backend.claim("once", ttl=0.05) is False
    await asyncio.sleep(0.1)
    assert await backend.claim("once", ttl=0.05) is True
    here = await backend.position(ROOM)
    assert await backend.replay(ROOM, Position(0, sent[0].epoch), 10) == Resync("window", here)


async def test_one_pubsub_connection_serves_every_room(nodes: BackendFactory, admin: Redis) -> None:
    """A node uses one pub/sub connection for all rooms and subscribes each channel once."""
    backend = node(nodes)
    name = f"{nodes.key_prefix}-pubsub"
    await admin.client_setname(name)
    rooms = ["a", "b", "c"]
    channels = [f"{nodes.key_prefix}:{{{r}}}:events" for r in rooms]
    async with (
        backend.subscribe("a"),
        backend.subscribe("a"),
        backend.subscribe("b"),
        backend.subscribe("c"),
    ):
        counts = dict(await admin.pubsub_numsub(*channels))
        assert [counts[c.encode()] for c in channels] == [1, 1, 1]
        assert backend.subscriber_counts() == {"a": 2, "b": 1, "c": 1}
    async with asyncio.timeout(TIMEOUT):  # UNSUBSCRIBE goes out asynchronously: poll for it
        while any(n for _, n in await admin.pubsub_numsub(*channels)):  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_an_undecodable_message_becomes_a_gap(
    nodes: BackendFactory, admin: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """Garbage on a room's channel is skipped with a Gap and a log line without its content."""
    backend = node(nodes)
    async with backend.subscribe(ROOM) as stream:
        await admin.publish(f"{nodes.key_prefix}:{{{ROOM}}}:events", b"\xc1garbage-text")
        assert await receive(stream) == Gap("undecodable")
        sent = await backend.publish(ROOM, [b"fine"])
        assert await receive(stream) == sent[0]
    assert "undecodable" in caplog.text
    assert "garbage-text" not in caplog.text


async def test_a_client_that_decodes_responses_is_refused() -> None:
    """The backend needs raw bytes from Redis."""
    client = Redis.from_url("redis://127.0.0.1:1", decode_responses=True)
    try:
        with pytest.raises(ValueError, match="decode"):
            RedisBackend(client)
    finally:
        await client.aclose()


@pytest.mark.parametrize("prefix", ["", "a{b", "x}"])
async def test_key_prefixes_with_braces_are_refused(prefix: str) -> None:
    """A brace in the prefix would break the room's hash tag."""
    with pytest.raises(ValueError, match="prefix"):
        RedisBackend.from_url("redis://127.0.0.1:1", key_prefix=prefix)


async def test_subscriptions_work_over_tcp(clock: ManualClock) -> None:
    """The pub/sub connection is built for TCP URLs as well as unix sockets."""
    with RedisServer.launch(tcp=True) as server:
        factory = BackendFactory("redis", clock, server.url)
        try:
            backend = factory()
            async with backend.subscribe(ROOM) as stream:
                sent = await backend.publish(ROOM, [b"over tcp"])
                assert await receive(stream) == sent[0]
        finally:
            await factory.aclose()
