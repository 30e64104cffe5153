"""Real `sharecircle serve` processes for cluster, fault and deploy tests.

Each node is a separate OS process (never another task in the test's event loop), listening on
a free loopback port, with its stdout and stderr kept in a file so that tests can check what it
logged (docs/privacy.md: nothing people said, no addresses).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

__all__ = ["NodeProcess", "free_port"]

ROOT = Path(__file__).resolve().parents[2]

_CLUSTER_DATA: dict[str, Path] = {}
"""One data directory per Redis URL: the nodes of one test cluster share one SQLite store (as
nodes on one host may), so a room made through one node's admin API exists on the others."""


def _data_dir(redis_url: str | None) -> Path:
    if redis_url is None:
        directory = Path(tempfile.mkdtemp(prefix="sc-data-", dir="/tmp"))
    else:
        directory = _CLUSTER_DATA.setdefault(
            redis_url, Path(tempfile.mkdtemp(prefix="sc-data-", dir="/tmp"))
        )
    atexit.register(shutil.rmtree, directory, True)
    return directory


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class NodeProcess:
    """One node; start it, then use `.url` (WebSocket) and `.http`."""

    def __init__(self, redis_url: str | None, *, port: int | None = None, **settings: Any) -> None:
        self.port = port or free_port()
        self.redis_url = redis_url
        self.settings = {
            "secret": "cluster-test-secret-Mb6Rt1Ck9Xw4Zq7Hf2Ln5Vj8Gp3Sy0E",
            "admin_token": "cluster-test-admin-Xe4Lq9Tz2Wm7Rk5Hc8Vb3Nf6Jy1Pd0Gs",
            "presence_ttl_seconds": "3",
            "presence_interval_seconds": "0.5",
            "post_rate": "1000/second",
            "command_rate": "1000/second",
            "frame_ceiling": "100000/minute",
            "drain_seconds": "3",
            "metrics_token": "cluster-test-metrics",
            # Every test client comes from 127.0.0.1 (limits per address: no limit).
            "max_connections_per_address": "0",
            "handshake_rate_per_address": "",
            "join_rate_per_address": "",
            "failed_join_rate_per_address": "",
            "lobby_waiting_per_address": "0",
            **{k: str(v) for k, v in settings.items()},
        }
        if "database_url" not in self.settings and "data_dir" not in self.settings:
            self.settings["data_dir"] = str(_data_dir(redis_url))
        self.proc: subprocess.Popen[bytes] | None = None
        handle, name = tempfile.mkstemp(prefix="sharecircle-node-", suffix=".log")
        os.close(handle)
        self.log_path = Path(name)

    @property
    def metrics_auth(self) -> dict[str, str]:
        """Headers that let a test scrape this node's `/metrics`."""
        return {"Authorization": f"Bearer {self.settings['metrics_token']}"}

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> NodeProcess:
        """Start the node and wait until `/readyz` answers. The bound is generous: a node imports
        the store, migrates and starts its desk, which took 14-20 s on a 2-core machine under
        load; on an idle one it takes about a second."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHARECIRCLE_")}
        env.pop("REDIS_URL", None)
        env.update({f"SHARECIRCLE_{k.upper()}": v for k, v in self.settings.items()})
        args = [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port)]
        if self.redis_url:
            args += ["--redis-url", self.redis_url]
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"node exited early:\n{self.logs()[-3000:]}")
            if self.ready():
                return self
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"node did not become ready:\n{self.logs()[-3000:]}")

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.http + "/readyz", timeout=1) as response:  # noqa: S310
                return bool(response.status == 200)
        except OSError:
            return False

    def signal(self, sig: signal.Signals) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def kill(self) -> None:
        """kill -9: no goodbye to anyone."""
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGKILL)
        self.wait(10)

    def freeze(self) -> None:
        self.signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.signal(signal.SIGCONT)

    def terminate(self) -> None:
        """SIGTERM: the graceful drain."""
        self.signal(signal.SIGTERM)

    def wait(self, timeout: float = 20.0) -> int | None:
        if self.proc is None:
            return None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.kill()
        self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> NodeProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
