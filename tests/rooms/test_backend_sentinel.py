"""The Redis backend behind Sentinel: the contract through a `redis+sentinel://` URL, and failover.

Each test starts its own master, replica and sentinel (quorum 1, down after 1 s). The failover
test makes the replica miss the last write first (its replication runs through a proxy that is
then black-holed), so the promoted master has really lost a write, as an asynchronous replica
can, and the epoch rule has something to notice.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from rooms.backends import open_backend
from rooms.backends.base import Envelope, Position, Resync, Versioned
from rooms.backends.redis import RedisBackend
from tests.support.backends import FAST_FAULTS
from tests.support.redis_cluster import ClusterUnavailable, SentinelSetup, command
from tests.support.streams import publish_when_back, receive, until, until_gap
from tests.support.tcp_proxy import BlackholeProxy

TIMEOUT = 5.0
"""Upper bound for one wait on delivery (never a timing assertion)."""

FAILOVER_TIMEOUT = 20.0
"""Upper bound for the sentinel to notice the dead master (1 s) and promote the replica."""

ROOM = "night-owls"

FAST = FAST_FAULTS


@pytest.fixture
def setup() -> Iterator[SentinelSetup]:
    """Processes picked but not started: each test starts them as it needs."""
    try:
        own = SentinelSetup()
    except RuntimeError as exc:  # no server binary
        pytest.skip(f"cannot set up Sentinel: {exc}")
    with own:
        yield own


async def start(setup: SentinelSetup, *, replicate_from: int | None = None) -> None:
    try:
        await asyncio.to_thread(setup.start, replicate_from=replicate_from)
    except ClusterUnavailable as exc:
        pytest.skip(f"cannot start a sentinel: {exc}")


@pytest.fixture
async def connect() -> AsyncIterator[Callable[[str], RedisBackend]]:
    made: list[RedisBackend] = []

    def make(url: str) -> RedisBackend:
        backend = open_backend(url, **FAST)
        assert isinstance(backend, RedisBackend)
        made.append(backend)
        return backend

    try:
        yield make
    finally:
        for backend in made:
            await backend.aclose()


@pytest.mark.cluster
async def test_the_contract_holds_through_a_sentinel_url(
    setup: SentinelSetup, connect: Callable[[str], RedisBackend]
) -> None:
    """Two nodes on the master Sentinel names: shared seq, delivery, state, replay, presence."""
    await start(setup)
    one, two = connect(setup.url), connect(setup.url)
    await one.ping()
    async with one.subscribe(ROOM) as stream:
        sent = await two.publish(ROOM, [b"a", b"b"]) + await one.publish(ROOM, [b"c"])
        assert [e.seq for e in sent] == [1, 2, 3]
        assert [await receive(stream) for _ in sent] == sent
    committed = await one.commit(ROOM, 0, b"state", [b"opened"])
    assert committed is not None
    assert await two.load_state(ROOM) == Versioned(1, b"state")
    assert await two.replay(ROOM, Position(1, sent[0].epoch), 10) == sent[1:] + committed
    await one.touch_presence(ROOM, "ann", b"info", ttl=30)
    assert await two.presence(ROOM) == {"ann": b"info"}
    assert await one.claim("slow:ann", ttl=30) is True
    assert await two.claim("slow:ann", ttl=30) is False
    await two.save_room(ROOM, b"config")
    assert await one.load_rooms() == {ROOM: b"config"}


@pytest.mark.cluster
async def test_a_failover_moves_the_backend_to_the_new_master(
    setup: SentinelSetup, connect: Callable[[str], RedisBackend]
) -> None:
    """kill -9 of the master: the sentinel promotes the replica, commands and the subscription
    follow it (a Gap first), the write the replica missed rotates the epoch, and no (seq, epoch)
    pair is ever handed out twice."""
    proxy = await BlackholeProxy("127.0.0.1", setup.master.port).start()
    try:
        await start(setup, replicate_from=proxy.port)
        backend = connect(setup.url)
        async with backend.subscribe(ROOM) as stream:
            kept = await backend.publish(ROOM, [b"1", b"2"])
            assert [await receive(stream) for _ in kept] == kept
            await replicated(setup, kept[-1].seq)
            assert proxy.blackhole() == 1  # the replication link, silenced
            lost = await backend.publish(ROOM, [b"the replica never sees this"])
            assert await receive(stream) == lost[0]
            setup.master.kill()
            async with asyncio.timeout(FAILOVER_TIMEOUT):
                after = await publish_when_back(backend, ROOM, b"on the new master")
                items = await until_gap(stream)
            assert setup.master_port() == setup.replica.port
            (final,) = await backend.publish(ROOM, [b"final"])
            items += await until(stream, final)

        assert [e for e in items if isinstance(e, Envelope)] in ([final], [after, final])
        pairs = [(e.seq, e.epoch) for e in [*kept, *lost, after, final]]
        assert len(set(pairs)) == len(pairs)
        assert after.seq == lost[0].seq + 1  # the seq never goes back...
        assert after.epoch != lost[0].epoch  # ...and lost history means a new epoch
        now = await backend.position(ROOM)
        before = Position(lost[0].seq, lost[0].epoch)
        assert await backend.replay(ROOM, before, 10) == Resync("epoch", now)
        fresh = connect(setup.url)
        assert await fresh.position(ROOM) == now
    finally:
        await proxy.aclose()


async def replicated(setup: SentinelSetup, seq: int) -> None:
    """Wait until the replica holds the room's counter at `seq`."""
    key = f"sc:{{{ROOM}}}:seq"
    async with asyncio.timeout(TIMEOUT):
        while await asyncio.to_thread(command, setup.replica.port, "GET", key) != str(seq):  # noqa: ASYNC110
            await asyncio.sleep(0.02)
