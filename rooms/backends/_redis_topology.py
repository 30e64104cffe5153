"""How the Redis backend reaches its data: one server, a Sentinel-managed master, or a Cluster.

URL forms (docs/reliability.md, "Redis Cluster and Sentinel"):

    redis://host:port/db, rediss://..., unix:///path.sock      one server
    redis+sentinel://[user:pass@]host:port[,host:port...]/service[/db]
                                                              the master Sentinel names
    redis+cluster://[user:pass@]host:port[,host:port...]       a Redis Cluster (any known nodes)

Credentials in a Sentinel URL are for the data nodes (master and replicas), not for the sentinels.

Each kind comes with a `Router` for pub/sub: a plain server (and the Sentinel master, looked up
again on every connect, so a failover moves the connection to the new master) has one shard and
classic pub/sub; a cluster has one shard per master and sharded pub/sub (SSUBSCRIBE on the node
that owns the channel's slot).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from rooms.backends._redis_shard import PLAIN, SHARDED, Dialect, Router

__all__ = [
    "CLUSTER_SCHEMES",
    "SENTINEL_SCHEMES",
    "ClusterRouter",
    "ServerRouter",
    "close_extras",
    "open_client",
    "router_for",
]

CLUSTER_SCHEMES = frozenset({"redis+cluster"})
SENTINEL_SCHEMES = frozenset({"redis+sentinel"})


def _no_retry() -> Retry:
    """Commands are never retried: a retried script could publish twice."""
    return Retry(NoBackoff(), 0)


def open_client(
    url: str, *, command_timeout: float, connect_timeout: float
) -> Redis | RedisCluster:
    """A client for any supported URL; nothing connects yet."""
    scheme = urlsplit(url).scheme.lower()
    timeouts: dict[str, Any] = {
        "socket_timeout": command_timeout,
        "socket_connect_timeout": connect_timeout,
        "health_check_interval": 0,
    }
    if scheme in CLUSTER_SCHEMES:
        return _cluster_client(url, timeouts)
    if scheme in SENTINEL_SCHEMES:
        return _sentinel_client(url, timeouts, connect_timeout)
    # A blocking pool: past `POOL_SIZE` busy connections a command waits (up to the command
    # timeout) for one to come free, instead of failing at once with "too many connections" as
    # redis-py's default pool does (a join storm would otherwise see `unavailable`).
    pool = BlockingConnectionPool.from_url(
        url, max_connections=POOL_SIZE, timeout=command_timeout, retry=_no_retry(), **timeouts
    )
    return Redis.from_pool(pool)  # the client owns the pool and closes it with itself


POOL_SIZE = 64
"""Connections a node keeps to one Redis for commands (pub/sub has its own)."""


def _cluster_client(url: str, timeouts: dict[str, Any]) -> RedisCluster:
    parts = urlsplit(url)
    if parts.path not in ("", "/", "/0") or parts.query:
        raise ValueError("a redis+cluster URL has no database or options (cluster uses db 0)")
    user, password, hosts = _netloc(parts.netloc, default_port=6379)
    return RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in hosts],
        username=user,
        password=password,
        retry=_no_retry(),  # MOVED and ASK are still followed: they mean "not run here"
        require_full_coverage=False,  # rooms on covered slots keep working
        **timeouts,
    )


def _sentinel_client(url: str, timeouts: dict[str, Any], connect_timeout: float) -> Redis:
    parts = urlsplit(url)
    path = [unquote(p) for p in parts.path.split("/") if p]
    if not 1 <= len(path) <= 2 or (len(path) == 2 and not path[1].isdigit()) or parts.query:
        raise ValueError("a redis+sentinel URL is redis+sentinel://host:port[,...]/service[/db]")
    user, password, hosts = _netloc(parts.netloc, default_port=26379)
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        hosts,
        sentinel_kwargs={
            "socket_timeout": connect_timeout,
            "socket_connect_timeout": connect_timeout,
            "retry": _no_retry(),
        },
    )
    client: Redis = sentinel.master_for(
        path[0],
        db=int(path[1]) if len(path) == 2 else 0,
        username=user,
        password=password,
        retry=_no_retry(),
        **timeouts,
    )
    return client


def _netloc(
    netloc: str, *, default_port: int
) -> tuple[str | None, str | None, list[tuple[str, int]]]:
    """`[user[:password]@]host[:port][,host[:port]...]`, hosts possibly in IPv6 brackets."""
    user = password = None
    if "@" in netloc:
        userinfo, netloc = netloc.rsplit("@", 1)
        name, _, secret = userinfo.partition(":")
        user, password = unquote(name) or None, unquote(secret) or None
    hosts = []
    for item in netloc.split(","):
        if item.startswith("["):
            host, _, rest = item[1:].partition("]")
            port = rest.removeprefix(":")
        else:
            host, _, port = item.partition(":")
        if not host or (port and not port.isdigit()):
            raise ValueError("each host must be host[:port]")
        hosts.append((host, int(port) if port else default_port))
    return user, password, hosts


async def close_extras(client: Redis | RedisCluster) -> None:
    """Close what a client does not close itself (the Sentinel connections)."""
    pool = getattr(client, "connection_pool", None)
    if isinstance(pool, SentinelConnectionPool):
        await pool.sentinel_manager.aclose()


def decodes_responses(client: Redis | RedisCluster) -> bool:
    if isinstance(client, RedisCluster):
        return bool(client.get_connection_kwargs().get("decode_responses"))
    return bool(client.connection_pool.connection_kwargs.get("decode_responses"))


def router_for(client: Redis | RedisCluster) -> Router:
    if isinstance(client, RedisCluster):
        return ClusterRouter(client)
    return ServerRouter(client)


def _pubsub_connection(connection_class: type[Any], kwargs: dict[str, Any]) -> AbstractConnection:
    """A fresh connection for pub/sub: RESP2, no read timeout (liveness is PING/PONG)."""
    options = {
        **kwargs,
        "socket_timeout": None,
        "retry": _no_retry(),
        "health_check_interval": 0,
        "protocol": 2,
        "maint_notifications_config": None,  # RESP3-only; this connection speaks RESP2
    }
    options.pop("maint_notifications_pool_handler", None)
    connection: AbstractConnection = connection_class(**options)
    return connection


class ServerRouter:
    """One server, one shard (""), classic pub/sub.

    Behind Sentinel, the connection class asks the sentinels for the master on every connect, so
    the pub/sub connection follows a failover like the command connections do.
    """

    dialect: Dialect = PLAIN

    def __init__(self, client: Redis) -> None:
        self._client = client

    def shard_of(self, channel: str) -> str | None:
        return ""

    def connect(self, shard: str) -> AbstractConnection:
        pool = self._client.connection_pool
        return _pubsub_connection(pool.connection_class, pool.connection_kwargs)

    async def refresh(self) -> None:
        return None


class ClusterRouter:
    """One shard per master (named `host:port`), sharded pub/sub on the slot's owner."""

    dialect: Dialect = SHARDED

    def __init__(self, cluster: RedisCluster) -> None:
        self._cluster = cluster

    def shard_of(self, channel: str) -> str | None:
        if not self._cluster.nodes_manager.slots_cache:
            return None  # nothing learnt yet
        node = self._cluster.get_node_from_key(channel)  # SlotNotCoveredError if uncovered
        return None if node is None else str(node.name)

    def connect(self, shard: str) -> AbstractConnection:
        node = self._cluster.get_node(node_name=shard)
        if node is None:
            raise RedisConnectionError("the node left the cluster")
        return _pubsub_connection(node.connection_class, node.connection_kwargs)

    async def refresh(self) -> None:
        """Ask the cluster for its slots again (CLUSTER SLOTS through any reachable node)."""
        if self._cluster.nodes_manager.slots_cache:
            await self._cluster.nodes_manager.initialize()
        else:
            await self._cluster.initialize()
