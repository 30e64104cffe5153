"""Throwaway Redis Cluster and Sentinel setups for tests: real processes on loopback, no disk.

`RedisClusterServers.launch(masters=3)` starts `masters` cluster-enabled servers on free
127.0.0.1 ports, each in its own short `/tmp` directory, joins them with
`redis-cli --cluster create ... --cluster-replicas 0 --cluster-yes` and waits (bounded) until every
node reports `cluster_state:ok`. `.url` is `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,...`.
`add_replica(port)` adds a replica to one master (for failover tests), `move_slot(...)` migrates a
slot with its keys, `node(port).kill()` kills a node at once.

`SentinelSetup.launch()` starts a master, one replica (`--replicaof`) and one sentinel
(`redis-server --sentinel`) watching the master as `mymaster` with quorum 1 and short timeouts,
and waits until the sentinel knows the replica. `.url` is
`redis+sentinel://127.0.0.1:SENTINEL_PORT/mymaster`.

The server binary is the one `find_server_binary()` picks; the CLI is `redis-cli` (or
`valkey-cli`) next to it, else on PATH. Every wait is bounded; a setup that cannot start raises
`ClusterUnavailable` with the tail of the logs, so callers can skip with that reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import redis

from tests.support.redis_server import find_server_binary

__all__ = ["ClusterUnavailable", "NodeProcess", "RedisClusterServers", "SentinelSetup", "command"]

SERVICE = "mymaster"
_REPLICATION = ("INFO", "replication")
_NO_DISK = ["--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0"]
"""No persistence; a replica's full sync starts at once (the default waits 5 s for others)."""


class ClusterUnavailable(RuntimeError):
    """The processes could not be started or did not converge in time."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _find_cli(server_binary: str) -> str:
    here = Path(server_binary).parent
    for name in ("redis-cli", "valkey-cli"):
        candidate = here / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    for name in ("redis-cli", "valkey-cli"):
        found = shutil.which(name)
        if found:
            return found
    raise ClusterUnavailable("no redis-cli or valkey-cli next to the server binary or on PATH")


def command(port: int, *args: str | int, timeout: float = 1.0) -> object:
    """Run one command on 127.0.0.1:port with a short-lived sync client (decoded replies).

    Raises:
        redis.RedisError: the node is not reachable or refused the command.
    """
    with redis.Redis(
        host="127.0.0.1",
        port=port,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        decode_responses=True,
        retry=None,
    ) as client:
        return client.execute_command(*args)


def _answer(port: int, *args: str | int) -> object:
    """The reply, or None if the node cannot answer (for polling)."""
    try:
        return command(port, *args)
    except redis.RedisError:
        return None


def _field(port: int, section: tuple[str, ...], name: str) -> object:
    """One field of an INFO-like reply (parsed to a dict by redis-py), None if unreachable."""
    try:
        reply = command(port, *section)
    except redis.RedisError:
        return None
    if isinstance(reply, str):  # CLUSTER INFO comes back as "name:value" lines
        reply = dict(line.split(":", 1) for line in reply.splitlines() if ":" in line)
    return reply.get(name) if isinstance(reply, dict) else None


class NodeProcess:
    """One server process on a fixed loopback port, in its own directory."""

    def __init__(self, binary: str, directory: Path, port: int, extra: list[str]) -> None:
        self.binary = binary
        self.directory = directory
        self.port = port
        self.extra = extra
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        """Start the process and wait until it answers PING.

        If it exits at once (probably another process took its port first), it is tried again
        on fresh ports: only call this before the ports were handed out.
        """
        if self.running:
            return
        for attempt in range(3):
            if self._spawn_and_wait(timeout):
                return
            if self.running or attempt == 2:
                break
            self.kill()  # reap it
            self.port = _free_port()
            if "--cluster-port" in self.extra:
                self.extra[self.extra.index("--cluster-port") + 1] = str(_free_port())
        self.kill()
        raise ClusterUnavailable(f"{self.binary} on port {self.port} did not start:\n{self.log()}")

    def _spawn_and_wait(self, timeout: float) -> bool:
        self._process = subprocess.Popen(
            [
                *self.prefix_args(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--logfile",
                str(self.directory / "server.log"),
                *self.extra,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.running:
            with contextlib.suppress(redis.RedisError):
                if command(self.port, "PING") is True:
                    return True
            time.sleep(0.02)
        return False

    def prefix_args(self) -> list[str]:
        return [self.binary]

    def kill(self) -> None:
        """Die at once (SIGKILL), as a crashed node would."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def log(self) -> str:
        try:
            return "\n".join((self.directory / "server.log").read_text().splitlines()[-15:])
        except OSError:
            return "(no log)"


class _Group:
    """Processes started together and torn down together, with their directories."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="sc-cl-", dir="/tmp"))
        self.binary = find_server_binary()
        self.processes: list[NodeProcess] = []

    def _node(self, name: str, extra: list[str]) -> NodeProcess:
        directory = self.root / name
        directory.mkdir()
        node = NodeProcess(self.binary, directory, _free_port(), extra)
        self.processes.append(node)
        return node

    def close(self) -> None:
        for process in self.processes:
            process.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def logs(self) -> str:
        return "\n".join(f"--- {p.address}\n{p.log()}" for p in self.processes)


class RedisClusterServers(_Group):
    """A small real Redis Cluster: `masters` primaries covering all 16384 slots.

    `node_timeout_ms` is the cluster's `cluster-node-timeout`: how long a silent master takes to
    be declared failed (and, if it has a replica, failed over). The default is long enough for
    a busy test machine; failover tests pass a shorter one.
    """

    def __init__(self, masters: int = 3, node_timeout_ms: int = 5000) -> None:
        super().__init__()
        self.node_timeout_ms = node_timeout_ms
        self.masters = [self._cluster_node() for _ in range(masters)]
        self.replicas: list[NodeProcess] = []

    @classmethod
    def launch(
        cls, masters: int = 3, *, node_timeout_ms: int = 5000, timeout: float = 20.0
    ) -> RedisClusterServers:
        """Start the nodes, create the cluster and wait until it is ok everywhere."""
        servers = cls(masters, node_timeout_ms)
        try:
            for node in servers.masters:
                node.start()
            servers._create(timeout)
        except BaseException:
            servers.close()
            raise
        return servers

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(node.address for node in self.masters)

    @property
    def ports(self) -> list[int]:
        return [node.port for node in self.masters]

    def node(self, port: int) -> NodeProcess:
        """The process listening on `port` (a master or a replica)."""
        return next(p for p in self.processes if p.port == port)

    def add_replica(self, master_port: int, timeout: float = 20.0) -> NodeProcess:
        """Start one more node as a replica of the master on `master_port`; wait until synced."""
        replica = self._cluster_node()
        self.replicas.append(replica)
        replica.start()
        master_id = str(command(master_port, "CLUSTER", "MYID"))
        bus_port = self.node(master_port).extra[
            self.node(master_port).extra.index("--cluster-port") + 1
        ]
        command(replica.port, "CLUSTER", "MEET", "127.0.0.1", master_port, bus_port)
        self._wait(
            lambda: master_id in str(_answer(replica.port, "CLUSTER", "NODES")),
            timeout,
            "the new node did not meet the cluster",
        )
        command(replica.port, "CLUSTER", "REPLICATE", master_id)
        replica_id = str(command(replica.port, "CLUSTER", "MYID"))
        self._wait(
            lambda: (
                _field(replica.port, _REPLICATION, "master_link_status") == "up"
                and all(self._knows(node, replica_id, master_id) for node in self.masters)
            ),
            timeout,
            "the replica did not sync, or not every master knows it",
        )
        return replica

    def wait_ok(self, ports: list[int], timeout: float = 20.0) -> None:
        """Wait until every node on `ports` says `cluster_state:ok`."""
        self._wait(
            lambda: all(self._ok(self.node(port)) for port in ports),
            timeout,
            "cluster did not reach cluster_state:ok",
        )

    def move_slot(self, slot: int, source_port: int, target_port: int) -> None:
        """Migrate `slot` with its keys from one master to another (as a resharding does)."""
        source_id = command(source_port, "CLUSTER", "MYID")
        target_id = command(target_port, "CLUSTER", "MYID")
        command(target_port, "CLUSTER", "SETSLOT", slot, "IMPORTING", str(source_id))
        command(source_port, "CLUSTER", "SETSLOT", slot, "MIGRATING", str(target_id))
        keys = command(source_port, "CLUSTER", "GETKEYSINSLOT", slot, 10_000)
        if isinstance(keys, list) and keys:
            command(source_port, "MIGRATE", "127.0.0.1", target_port, "", 0, 5000, "KEYS", *keys)
        others = [port for port in self.ports if port not in (source_port, target_port)]
        for port in [target_port, source_port, *others]:
            command(port, "CLUSTER", "SETSLOT", slot, "NODE", str(target_id))

    def _cluster_node(self) -> NodeProcess:
        index = len(self.processes)
        extra = [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            f"nodes-{index}.conf",
            "--cluster-port",  # the bus port: the default (port + 10000) may not exist
            str(_free_port()),
            "--cluster-node-timeout",
            str(self.node_timeout_ms),
            *_NO_DISK,
        ]
        return self._node(f"n{index}", extra)

    def _create(self, timeout: float) -> None:
        args = ["--cluster", "create", *(n.address for n in self.masters)]
        self._cli([*args, "--cluster-replicas", "0", "--cluster-yes"], timeout)
        self.wait_ok(self.ports, timeout)

    def _cli(self, args: list[str], timeout: float) -> None:
        try:
            done = subprocess.run(
                [_find_cli(self.binary), *args], capture_output=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise ClusterUnavailable(f"redis-cli {args[1]} timed out") from None
        if done.returncode != 0:
            output = (done.stdout + done.stderr).decode(errors="replace")[-2000:]
            raise ClusterUnavailable(f"redis-cli {args[1]} failed:\n{output}")

    def _wait(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done():
                return
            time.sleep(0.05)
        raise ClusterUnavailable(f"{what} within {timeout} s:\n{self.logs()}")

    @staticmethod
    def _knows(node: NodeProcess, replica_id: str, master_id: str) -> bool:
        """Whether `node` knows the replica as one of that master's (a master that does not
        would refuse it its vote in a failover) and says the cluster is ok."""
        nodes = str(_answer(node.port, "CLUSTER", "NODES"))
        listed = any(
            line.startswith(replica_id) and f" {master_id} " in line for line in nodes.splitlines()
        )
        return listed and RedisClusterServers._ok(node)

    @staticmethod
    def _ok(node: NodeProcess) -> bool:
        return _field(node.port, ("CLUSTER", "INFO"), "cluster_state") == "ok"

    def __enter__(self) -> RedisClusterServers:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _SentinelProcess(NodeProcess):
    def prefix_args(self) -> list[str]:
        return [self.binary, str(self.directory / "sentinel.conf"), "--sentinel"]


class SentinelSetup(_Group):
    """One master, one replica, one sentinel (quorum 1) that fails over within a few seconds.

    `SentinelSetup()` only picks ports (`master.port` is known), `start()` runs everything;
    `launch()` does both. `start(replicate_from=PORT)` makes the replica replicate through
    127.0.0.1:PORT (a proxy to the master) instead of from the master directly, so a test can cut
    replication and make the replica miss writes.
    """

    def __init__(self) -> None:
        super().__init__()
        self.master = self._node("master", _NO_DISK)
        self.replica = self._node("replica", _NO_DISK)
        directory = self.root / "sentinel"
        directory.mkdir()
        self.sentinel = _SentinelProcess(self.binary, directory, _free_port(), [])
        self.processes.append(self.sentinel)

    @classmethod
    def launch(cls, timeout: float = 15.0) -> SentinelSetup:
        """Start master, replica and sentinel; wait until the replica is in sync and known."""
        setup = cls()
        setup.start(timeout=timeout)
        return setup

    def start(self, *, replicate_from: int | None = None, timeout: float = 15.0) -> None:
        """Start everything (closing it all if that fails) and wait until it converged."""
        try:
            self.master.start()
            source = self.master.port if replicate_from is None else replicate_from
            self.replica.extra = [*_NO_DISK, "--replicaof", "127.0.0.1", str(source)]
            self.replica.start()
            (self.sentinel.directory / "sentinel.conf").write_text(
                f"sentinel monitor {SERVICE} 127.0.0.1 {self.master.port} 1\n"
                f"sentinel down-after-milliseconds {SERVICE} 1000\n"
                f"sentinel failover-timeout {SERVICE} 3000\n"
                f"sentinel parallel-syncs {SERVICE} 1\n"
            )
            self.sentinel.start()
            self._wait_known(timeout)
        except BaseException:
            self.close()
            raise

    @property
    def url(self) -> str:
        return f"redis+sentinel://127.0.0.1:{self.sentinel.port}/{SERVICE}"

    def master_port(self) -> int | None:
        """The port the sentinel currently names as master, or None if it cannot say."""
        try:
            reply = command(self.sentinel.port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)
        except redis.RedisError:
            return None
        return int(reply[1]) if isinstance(reply, list | tuple) and len(reply) == 2 else None

    def wait_failover(self, timeout: float = 20.0) -> int:
        """Wait until the sentinel names the replica as master and it accepts writes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            named = self.master_port() == self.replica.port
            if named and _field(self.replica.port, _REPLICATION, "role") == "master":
                return self.replica.port
            time.sleep(0.1)
        raise ClusterUnavailable(f"no failover within {timeout} s:\n{self.logs()}")

    def _wait_known(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            linked = _field(self.replica.port, _REPLICATION, "master_link_status") == "up"
            if linked and self._sentinel_knows_replica():
                return
            time.sleep(0.05)
        raise ClusterUnavailable(f"sentinel setup did not converge:\n{self.logs()}")

    def _sentinel_knows_replica(self) -> bool:
        try:
            replicas = command(self.sentinel.port, "SENTINEL", "REPLICAS", SERVICE)
        except redis.RedisError:
            return False
        return isinstance(replicas, list) and any(
            isinstance(r, dict) and str(r.get("port")) == str(self.replica.port) for r in replicas
        )

    def __enter__(self) -> SentinelSetup:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
