"""The servers under test: how to install, start and identify each one (scripts live here).

Every peer runs with Redis fan-out on. A `Cluster` is one throwaway Redis plus one or more server
nodes of a peer, each on a free 127.0.0.1 port; servers are pinned to `procs.SERVER_CPU`, Redis
to `procs.LOADGEN_CPU` (with the load generator).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib.metadata
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import procs
from bench.protocols import (
    SHARECIRCLE_ADMIN_TOKEN,
    SHARECIRCLE_SECRET,
    PlainWS,
    Protocol,
    ShareCircle,
    SocketIO,
)

PEERS_DIR = Path(__file__).resolve().parent
NODE_SRC = PEERS_DIR / "node"
NODE_SCRATCH = procs.SCRATCH_DIR / "node-peer"


class PeerUnavailable(RuntimeError):
    """The peer cannot run here (missing tool, failed install, server that does not start)."""


@dataclass
class Peer:
    name: str
    label: str
    make_protocol: Callable[[], Protocol]
    argv: Callable[[str, int, str], list[str]]
    env: Callable[[], dict[str, str]] = dict
    cwd: Callable[[], Path] = lambda: procs.REPO_DIR
    prepare: Callable[[], None] = lambda: None
    versions: Callable[[], dict[str, str]] = dict
    start_timeout: float = 20.0
    two_nodes: bool = True
    in_all: bool = True


def _dist_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _python_peer(script: str) -> Callable[[str, int, str], list[str]]:
    def argv(host: str, port: int, redis_url: str) -> list[str]:
        return [
            sys.executable,
            str(PEERS_DIR / script),
            "--host",
            host,
            "--port",
            str(port),
            "--redis-url",
            redis_url,
        ]

    return argv


# --- node ---------------------------------------------------------------------------------------


def node_modules_present() -> bool:
    return (NODE_SCRATCH / "node_modules" / "socket.io").is_dir() and _node_stamp_ok()


def _node_stamp() -> str:
    h = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        path = NODE_SRC / name
        if path.exists():
            h.update(path.read_bytes())
    return h.hexdigest()


def _node_stamp_ok() -> bool:
    stamp = NODE_SCRATCH / ".installed"
    return stamp.exists() and stamp.read_text().strip() == _node_stamp()


def install_node_peer(*, quiet: bool = True) -> None:
    """npm-install the pinned versions into bench/.scratch/node-peer (skipped when current).

    Uses ``npm ci`` from the committed package-lock.json when there is one; otherwise
    ``npm install`` and copies the lock file it produced back next to package.json.
    """
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise PeerUnavailable("node/npm not found on PATH")
    NODE_SCRATCH.mkdir(parents=True, exist_ok=True)
    shutil.copy2(NODE_SRC / "server.js", NODE_SCRATCH / "server.js")
    if node_modules_present():
        return
    shutil.copy2(NODE_SRC / "package.json", NODE_SCRATCH / "package.json")
    lock_src = NODE_SRC / "package-lock.json"
    if lock_src.exists():
        shutil.copy2(lock_src, NODE_SCRATCH / "package-lock.json")
        cmd = [npm, "ci", "--no-audit", "--no-fund"]
    else:
        cmd = [npm, "install", "--no-audit", "--no-fund"]
    if not quiet:
        print(f"[node-socketio] {' '.join(cmd)} in {NODE_SCRATCH}", flush=True)
    try:
        result = subprocess.run(
            cmd, cwd=NODE_SCRATCH, capture_output=True, text=True, timeout=300, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise PeerUnavailable("npm install timed out after 300 s") from exc
    if result.returncode != 0:
        raise PeerUnavailable(f"npm failed ({result.returncode}): {result.stderr.strip()[-800:]}")
    if not lock_src.exists() and (NODE_SCRATCH / "package-lock.json").exists():
        shutil.copy2(NODE_SCRATCH / "package-lock.json", lock_src)
    (NODE_SCRATCH / ".installed").write_text(_node_stamp())


def _node_versions() -> dict[str, str]:
    out: dict[str, str] = {}
    node = shutil.which("node")
    if node:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out["node"] = subprocess.run(
                [node, "--version"], capture_output=True, text=True, timeout=10, check=False
            ).stdout.strip()
    for pkg in ("socket.io", "@socket.io/redis-adapter", "redis"):
        path = NODE_SCRATCH / "node_modules" / pkg / "package.json"
        with contextlib.suppress(OSError, ValueError):
            out[pkg] = json.loads(path.read_text())["version"]
    return out


def _node_argv(host: str, port: int, redis_url: str) -> list[str]:
    node = shutil.which("node") or "node"
    return [
        node,
        str(NODE_SCRATCH / "server.js"),
        "--host",
        host,
        "--port",
        str(port),
        "--redis-url",
        redis_url,
    ]


# --- sharecircle --------------------------------------------------------------------------------


def _sharecircle_argv(host: str, port: int, redis_url: str) -> list[str]:
    script = Path(sys.executable).with_name("sharecircle")
    base = [str(script)] if script.exists() else [sys.executable, "-m", "server.cli"]
    extra = shlex.split(os.environ.get("BENCH_SHARECIRCLE_ARGS", ""))
    return [
        *base,
        "serve",
        "--host",
        host,
        "--port",
        str(port),
        "--redis-url",
        redis_url,
        *extra,
    ]


# Settings the harness gives sharecircle nodes (server/settings.py reads SHARECIRCLE_<NAME>).
# The product's abuse limits (1 post/s and 2 frames/s per connection, raid mode after 10 joins in
# 30 s, 10,000 connections per node) would otherwise be what the workloads measure; they are
# lifted so the machinery is measured. Outbox limits (slow clients closed with 4008) stay.
# A variable already set in the harness's environment wins.
SHARECIRCLE_BENCH_SETTINGS = {
    "SHARECIRCLE_POST_RATE": "1000000/second",
    "SHARECIRCLE_COMMAND_RATE": "1000000/second",
    "SHARECIRCLE_FRAME_CEILING": "100000000/minute",
    "SHARECIRCLE_RAID_JOINS": "1000000",
    "SHARECIRCLE_MAX_CONNECTIONS": "100000",
    "SHARECIRCLE_MAX_CONNECTIONS_PER_ADDRESS": "0",  # every simulated client is 127.0.0.1
    "SHARECIRCLE_HANDSHAKE_RATE_PER_ADDRESS": "",
    "SHARECIRCLE_JOIN_RATE_PER_ADDRESS": "",
    "SHARECIRCLE_FAILED_JOIN_RATE_PER_ADDRESS": "",
    "SHARECIRCLE_LOBBY_WAITING_PER_ADDRESS": "0",
    "SHARECIRCLE_LOG_LEVEL": "warning",
}


def _bench_data_dir() -> str:
    """One throwaway store directory per harness run, shared by its nodes (as on one host)."""
    if not _DATA_DIR:
        _DATA_DIR.append(tempfile.mkdtemp(prefix="sc-bench-", dir="/tmp"))
        atexit.register(shutil.rmtree, _DATA_DIR[0], True)
    return _DATA_DIR[0]


_DATA_DIR: list[str] = []


def _sharecircle_env() -> dict[str, str]:
    env = {
        "SHARECIRCLE_ADMIN_TOKEN": SHARECIRCLE_ADMIN_TOKEN,
        "SHARECIRCLE_SECRET": SHARECIRCLE_SECRET,
        "SHARECIRCLE_DATA_DIR": _bench_data_dir(),
        **SHARECIRCLE_BENCH_SETTINGS,
    }
    return {k: os.environ.get(k, v) for k, v in env.items()}


# --- the list -----------------------------------------------------------------------------------

PEERS: dict[str, Peer] = {
    p.name: p
    for p in [
        Peer(
            name="python-socketio",
            label="python-socketio (uvicorn, AsyncRedisManager)",
            make_protocol=SocketIO,
            argv=_python_peer("pysio_server.py"),
            versions=lambda: {
                "python-socketio": _dist_version("python-socketio"),
                "python-engineio": _dist_version("python-engineio"),
                "uvicorn": _dist_version("uvicorn"),
                "redis-py": _dist_version("redis"),
            },
        ),
        Peer(
            name="node-socketio",
            label="Node socket.io (@socket.io/redis-adapter)",
            make_protocol=SocketIO,
            argv=_node_argv,
            cwd=lambda: NODE_SCRATCH,
            prepare=install_node_peer,
            versions=_node_versions,
        ),
        Peer(
            name="websockets",
            label="plain websockets (broadcast + Redis subscriber)",
            make_protocol=PlainWS,
            argv=_python_peer("ws_server.py"),
            versions=lambda: {
                "websockets": _dist_version("websockets"),
                "redis-py": _dist_version("redis"),
            },
        ),
        Peer(
            name="sharecircle",
            label="sharecircle (msgpack)",
            make_protocol=ShareCircle,
            argv=_sharecircle_argv,
            env=_sharecircle_env,
            versions=lambda: {"sharecircle": _dist_version("sharecircle")},
        ),
        Peer(
            name="sharecircle-json",
            label="sharecircle (JSON subprotocol)",
            make_protocol=lambda: ShareCircle(json_wire=True),
            argv=_sharecircle_argv,
            env=_sharecircle_env,
            versions=lambda: {"sharecircle": _dist_version("sharecircle")},
            in_all=False,
        ),
    ]
}

ALIASES = {
    "pysio": "python-socketio",
    "python": "python-socketio",
    "node": "node-socketio",
    "ws": "websockets",
    "plain": "websockets",
    "sc": "sharecircle",
}


def resolve(names: str) -> list[Peer]:
    out: list[Peer] = []
    for raw in names.split(","):
        key = raw.strip()
        if not key:
            continue
        if key == "all":
            out.extend(p for p in PEERS.values() if p.in_all)
            continue
        key = ALIASES.get(key, key)
        if key not in PEERS:
            raise SystemExit(f"unknown peer {raw!r}; known: {', '.join(PEERS)}")
        out.append(PEERS[key])
    seen: set[str] = set()
    return [p for p in out if not (p.name in seen or seen.add(p.name))]  # type: ignore[func-returns-value]


class Cluster:
    """One Redis and `nodes` server processes of `peer`; stops them all on exit."""

    def __init__(self, peer: Peer, nodes: int = 1, tag: str = "") -> None:
        self.peer = peer
        self.n_nodes = nodes
        self.tag = tag
        self.redis: procs.Child | None = None
        self.redis_url = ""
        self.children: list[procs.Child] = []
        self.addrs: list[tuple[str, int]] = []

    async def __aenter__(self) -> Cluster:
        try:
            self.redis, self.redis_url = await procs.start_redis(f"{self.peer.name}-redis")
            for i in range(self.n_nodes):
                port = procs.free_port()
                child = procs.spawn(
                    f"{self.peer.name}-{self.tag or 'node'}{i}",
                    self.peer.argv("127.0.0.1", port, self.redis_url),
                    cpu=procs.SERVER_CPU,
                    port=port,
                    env=self.peer.env(),
                    cwd=self.peer.cwd(),
                )
                self.children.append(child)
                try:
                    await procs.wait_port(child, "127.0.0.1", port, self.peer.start_timeout)
                except procs.StartError as exc:
                    raise PeerUnavailable(str(exc)) from exc
                self.addrs.append(("127.0.0.1", port))
        except BaseException:
            self.stop()
            raise
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        for child in self.children:
            child.stop()
        if self.redis is not None:
            self.redis.stop()

    def check_alive(self) -> list[str]:
        """Names of server nodes that died during the workload."""
        return [f"{c.name} (exit {c.popen.returncode})" for c in self.children if not c.alive()]

    @property
    def pids(self) -> list[int]:
        return [c.pid for c in self.children]

    def all_pids(self) -> set[int]:
        """Every process of this cluster (servers, their children, Redis)."""
        roots = [*self.pids, *([self.redis.pid] if self.redis else [])]
        return {proc.pid for pid in roots for proc in procs.tree(pid)}

    def server_rss(self) -> int:
        return sum(procs.tree_rss(pid) for pid in self.pids)

    def server_cpu(self) -> float:
        return sum(procs.tree_cpu_seconds(pid) for pid in self.pids)

    def describe(self) -> dict[str, Any]:
        return {"nodes": [f"{h}:{p}" for h, p in self.addrs], "redis": self.redis_url}
