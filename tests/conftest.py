"""Fixtures shared by every test package: a real throwaway Redis (and Redis Cluster), a real
throwaway PostgreSQL, backends, a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from rooms.backends.base import Backend
from rooms.clock import ManualClock
from tests.support.backends import KINDS, BackendFactory
from tests.support.clock import SharedClock
from tests.support.postgres_server import PostgresServer, PostgresUnavailable
from tests.support.redis_cluster import ClusterUnavailable, RedisClusterServers
from tests.support.redis_server import RedisServer


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A Redis (or Valkey) server for the whole session, on a unix socket; `.url` to connect.

    Tests that stop or restart a server must launch their own (`RedisServer.launch()`).
    """
    with RedisServer.launch() as server:
        yield server


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    """This test's own Redis, on a unix socket and a loopback TCP port (a proxy can sit in
    front): it may be stopped, killed or restarted."""
    with RedisServer.launch(tcp=True) as server:
        yield server


@pytest.fixture
def shared_clock() -> Iterator[SharedClock]:
    """This test's clock for real node processes (`test_clock_file`): `advance(seconds)` moves
    every node's time, so shares end without anyone sleeping."""
    clock = SharedClock()
    yield clock
    clock.close()


@pytest.fixture(scope="session")
def redis_tcp_server() -> Iterator[RedisServer]:
    """Like `redis_server`, but also on a free 127.0.0.1 port: `.url` is `redis://127.0.0.1:PORT`,
    reachable from other processes (multi-node tests). Shared: never stop or restart it.
    """
    with RedisServer.launch(tcp=True) as server:
        yield server


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisClusterServers]:
    """A three-master Redis Cluster (no replicas) for the whole session, on free 127.0.0.1
    ports; `.url` is `redis+cluster://127.0.0.1:P1,...`. Shared: never stop a node or move a
    slot in it; tests that do launch their own (`RedisClusterServers.launch()`).
    """
    try:
        servers = RedisClusterServers.launch()
    except ClusterUnavailable as exc:
        pytest.skip(f"cannot start a Redis Cluster: {exc}")
    with servers:
        yield servers


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL for the whole session, on a unix socket, fsync off;
    `.create_database()` gives a test an empty database of its own."""
    try:
        server = PostgresServer.launch()
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL server binaries not installed: {exc}")
    with server:
        yield server


@pytest.fixture
def clock() -> ManualClock:
    """Time that moves only when the test calls `clock.advance(seconds)`."""
    return ManualClock()


@pytest.fixture(params=KINDS)
async def make_backend(
    request: pytest.FixtureRequest, clock: ManualClock
) -> AsyncIterator[BackendFactory]:
    """Makes nodes of one cluster (memory, redis or a Redis Cluster, per param) that share data;
    all on `clock`."""
    url = None
    if request.param == "redis":
        url = request.getfixturevalue("redis_server").url
    elif request.param == "cluster":
        url = request.getfixturevalue("redis_cluster").url
    factory = BackendFactory(request.param, clock, url)
    try:
        yield factory
    finally:
        await factory.aclose()


@pytest.fixture
def backend(make_backend: BackendFactory) -> Backend:
    """A fresh backend (memory, redis or cluster, per param) on the manual clock."""
    return make_backend()


@pytest.fixture(autouse=True, scope="session")
def _check_engine_invariants() -> Iterator[None]:
    """Every transition in every in-process test is checked against the engine's invariants."""
    import facilitation.engine

    facilitation.engine.CHECK_INVARIANTS = True
    yield
    facilitation.engine.CHECK_INVARIANTS = False
