"""The Redis backend under real faults: restarts that lose data, outages, a black-holed connection.

Each test gets its own server (the session's `redis_server` must stay up for other tests). Nothing
is mocked: the server process is really stopped or restarted, and the black hole is a real TCP
proxy that stops forwarding while keeping both sockets open.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from rooms.backends.base import Envelope, Gap, Position, Resync
from rooms.backends.redis import RedisBackend
from rooms.errors import BackendUnavailable
from tests.support.backends import FAST_FAULTS
from tests.support.redis_server import RedisServer
from tests.support.tcp_proxy import BlackholeProxy

TIMEOUT = 5.0
"""Upper bound for any single wait (never a timing assertion)."""

ROOM = "night-owls"

FAST = FAST_FAULTS


@pytest.fixture
def server() -> Iterator[RedisServer]:
    with RedisServer.launch() as own:
        yield own


@pytest.fixture
def tcp_server() -> Iterator[RedisServer]:
    with RedisServer.launch(tcp=True) as own:
        yield own


@pytest.fixture
async def connect() -> AsyncIterator[Callable[[str], RedisBackend]]:
    made: list[RedisBackend] = []

    def make(url: str) -> RedisBackend:
        backend = RedisBackend.from_url(url, **FAST)  # type: ignore[arg-type]
        made.append(backend)
        return backend

    try:
        yield make
    finally:
        for backend in made:
            await backend.aclose()


async def receive(stream: AsyncIterator[Envelope | Gap]) -> Envelope | Gap:
    async with asyncio.timeout(TIMEOUT):
        return await anext(stream)


async def test_a_restart_gives_subscribers_a_gap_then_new_events(
    server: RedisServer, connect: Callable[[str], RedisBackend]
) -> None:
    """After Redis restarts, each subscriber gets Gap("reconnect") and then live events again."""
    backend = connect(server.url)
    async with backend.subscribe(ROOM) as stream, backend.subscribe(ROOM) as other:
        (first,) = await backend.publish(ROOM, [b"before"])
        assert await receive(stream) == first
        assert await receive(other) == first
        for round_ in range(2):
            server.restart()
            assert await receive(stream) == Gap("reconnect")
            assert await receive(other) == Gap("reconnect")
            (event,) = await backend.publish(ROOM, [b"after %d" % round_])
            assert await receive(stream) == event
            assert await receive(other) == event


async def test_a_restart_that_lost_data_never_reuses_a_position(
    server: RedisServer, connect: Callable[[str], RedisBackend]
) -> None:
    """Data lost in a restart means a new epoch; no (seq, epoch) pair is ever handed out twice."""
    seen = connect(server.url)
    before = await seen.publish(ROOM, [b"1", b"2", b"3"])
    server.restart()
    fresh = connect(server.url)  # knows nothing: the counter restarts, in a new epoch
    after_fresh = await fresh.publish(ROOM, [b"x"])
    after_seen = await seen.publish(ROOM, [b"y"])  # saw seq 3: moves past it, new epoch again
    pairs = [(e.seq, e.epoch) for e in before + after_fresh + after_seen]
    assert len(set(pairs)) == len(pairs)
    assert after_fresh[0].epoch != before[0].epoch
    assert after_seen[0].seq == 4
    now = await seen.position(ROOM)
    assert await seen.replay(ROOM, Position(3, before[0].epoch), 10) == Resync("epoch", now)


async def test_every_method_raises_backend_unavailable_while_redis_is_down(
    server: RedisServer, connect: Callable[[str], RedisBackend]
) -> None:
    """With Redis stopped, calls fail fast with BackendUnavailable, and work again after."""
    backend = connect(server.url)
    await backend.publish(ROOM, [b"warm up the pool"])
    position = await backend.position(ROOM)
    server.stop()
    calls: list[Callable[[], Awaitable[object]]] = [
        backend.ping,
        lambda: backend.publish(ROOM, [b"x"]),
        lambda: backend.commit(ROOM, 0, b"s", [b"x"]),
        lambda: backend.load_state(ROOM),
        lambda: backend.replay(ROOM, position, 10),
        lambda: backend.position(ROOM),
        lambda: backend.redact(ROOM, 1),
        lambda: backend.reset(ROOM),
        lambda: backend.touch_presence(ROOM, "ann", b"i", 10),
        lambda: backend.drop_presence(ROOM, "ann"),
        lambda: backend.presence(ROOM),
        lambda: backend.claim("k", 10),
        lambda: backend.save_room(ROOM, b"cfg"),
        backend.load_rooms,
    ]
    for call in calls:
        async with asyncio.timeout(TIMEOUT):
            with pytest.raises(BackendUnavailable):
                await call()
    server.start()
    await backend.ping()


async def test_a_subscription_opened_during_an_outage_starts_with_a_gap(
    server: RedisServer, connect: Callable[[str], RedisBackend]
) -> None:
    """Subscribing while Redis is down returns; once it is back, a Gap, then live events."""
    backend = connect(server.url)
    server.stop()
    async with asyncio.timeout(TIMEOUT):
        subscription = backend.subscribe(ROOM)
        stream = await subscription.__aenter__()
    try:
        server.start()
        assert await receive(stream) == Gap("reconnect")
        (event,) = await backend.publish(ROOM, [b"back"])
        assert await receive(stream) == event
    finally:
        await subscription.__aexit__(None, None, None)


async def test_a_black_holed_connection_is_found_by_ping_and_replaced(
    tcp_server: RedisServer,
    connect: Callable[[str], RedisBackend],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A half-open pub/sub connection (no error, no data) is declared dead when PONGs stop."""
    caplog.set_level(logging.WARNING, logger="rooms.backends.redis")
    proxy = await BlackholeProxy("127.0.0.1", tcp_server.port).start()
    try:
        listener = connect(proxy.url)
        publisher = connect(tcp_server.url)
        async with listener.subscribe(ROOM) as stream:
            (first,) = await publisher.publish(ROOM, [b"first"])
            assert await receive(stream) == first
            await listener.ping()  # opens a command connection, to be black-holed too
            assert proxy.blackhole() == 2
            (missed,) = await publisher.publish(ROOM, [b"lost in the hole"])
            assert await receive(stream) == Gap("reconnect")
            assert "_Unresponsive" in caplog.text
            with pytest.raises(BackendUnavailable):
                await listener.ping()  # bounded by command_timeout, then a clean error
            assert await listener.replay(ROOM, Position(first.seq, first.epoch), 10) == [missed]
            (later,) = await publisher.publish(ROOM, [b"later"])
            assert await receive(stream) == later
    finally:
        await proxy.aclose()


async def test_a_reconnect_is_reported_once_the_new_connection_answers(
    server: RedisServer,
) -> None:
    """The `on_reconnect` hook (the backend-reconnects metric) fires after a lost connection."""
    reconnects: list[int] = []
    reported = asyncio.Event()

    def on_reconnect() -> None:
        reconnects.append(1)
        reported.set()

    backend = RedisBackend.from_url(server.url, on_reconnect=on_reconnect, **FAST)  # type: ignore[arg-type]
    try:
        async with backend.subscribe(ROOM) as stream:
            (first,) = await backend.publish(ROOM, [b"before"])
            assert await receive(stream) == first
            assert reconnects == []
            server.restart()
            assert await receive(stream) == Gap("reconnect")
            async with asyncio.timeout(TIMEOUT):
                await reported.wait()  # the first PONG on the new connection reports it
            assert len(reconnects) == 1
    finally:
        await backend.aclose()
