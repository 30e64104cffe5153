"""Throwaway PostgreSQL servers for tests: Debian's binaries, a unix socket, no TCP, no fsync.

The binaries (`initdb`, `postgres`) are found on PATH or in `/usr/lib/postgresql/<version>/bin`,
where Debian's `postgresql` package puts them (`.ci/run` installs it where missing). `initdb`
refuses to run as root, so when the tests run as root the cluster is made and run as `nobody`
(through `setpriv`, which execs without forking, so the process we start *is* the postmaster and
killing it needs no helper), with its directory handed to that user.

The server listens only on a unix socket in a short `/tmp` directory (`listen_addresses=''`):
no port to race for, nothing reachable from the network. Durability is off (`fsync`,
`full_page_writes`, `synchronous_commit`): a test database is thrown away anyway.

    with PostgresServer.launch() as server:
        url = server.create_database()   # postgresql+psycopg://postgres@/db_1?host=/tmp/...
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.processes import ServerProcess

__all__ = ["PostgresServer", "PostgresUnavailable", "find_postgres_bindir"]

_UNPRIVILEGED = "nobody"
_PORT = 5432  # names the socket file only; TCP is off


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


def find_postgres_bindir() -> Path:
    """The directory holding `initdb` and `postgres` (PATH first, then Debian's layout)."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("postgres"):
        return Path(on_path).resolve().parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True
    )
    for bindir in versions:
        if (Path(bindir) / "initdb").is_file() and (Path(bindir) / "postgres").is_file():
            return Path(bindir)
    raise PostgresUnavailable(
        "no initdb/postgres on PATH or in /usr/lib/postgresql/*/bin "
        "(apt-get install postgresql; .ci/run does this)"
    )


class PostgresServer(ServerProcess):
    """One postmaster with a fresh cluster; `create_database()` gives each test its own db."""

    stop_timeout = 20.0

    def __init__(self, bindir: Path) -> None:
        super().__init__(Path(tempfile.mkdtemp(prefix="sc-pg-", dir="/tmp")))
        self.bindir = bindir
        self.data_dir = self.directory / "data"
        self._names = itertools.count(1)

    @classmethod
    def launch(cls) -> PostgresServer:
        """Make a cluster, start it and wait until it accepts connections."""
        server = cls(find_postgres_bindir())
        try:
            server._init_cluster()
            server.start()
        except BaseException:
            server.close()
            raise
        return server

    @property
    def socket_dir(self) -> str:
        return str(self.directory)

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL for `database`, over the unix socket, as the superuser."""
        return f"postgresql+psycopg://postgres@/{database}?host={self.directory}&port={_PORT}"

    def create_database(self) -> str:
        """Create an empty database and return its URL."""
        name = f"db_{next(self._names)}"
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run one statement with the psql client; returns its unaligned output."""
        psql = self.bindir / "psql"
        binary = str(psql) if psql.is_file() else "psql"
        done = subprocess.run(
            [
                binary,
                "-h",
                self.socket_dir,
                "-p",
                str(_PORT),
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-At",
                "-c",
                sql,
            ],
            capture_output=True,
            check=False,
            timeout=30,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.decode(errors='replace')}")
        return done.stdout.decode()

    def start(self, timeout: float = 30.0) -> None:
        if self.running:
            return
        log = (self.directory / "server.log").open("ab")
        self._process = subprocess.Popen(
            [
                *self._as_owner(),
                str(self.bindir / "postgres"),
                "-D",
                str(self.data_dir),
                "-k",
                self.socket_dir,
                "-p",
                str(_PORT),
                "-c",
                "listen_addresses=",
                "-c",
                "fsync=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "max_connections=200",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                break
            if self._accepts():
                return
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"postgres did not start:\n{self._log_tail()}")

    def stop(self) -> None:
        """Fast shutdown (SIGINT): sessions are ended, the data stays."""
        self._end(signal.SIGINT)

    def kill(self) -> None:
        self._end(signal.SIGKILL)

    def close(self) -> None:
        """Stop the server and delete the cluster."""
        self._end(signal.SIGQUIT)
        shutil.rmtree(self.directory, ignore_errors=True)

    # -- internals -------------------------------------------------------------------------

    def _as_owner(self) -> list[str]:
        if os.geteuid() != 0:
            return []
        return ["setpriv", f"--reuid={_UNPRIVILEGED}", "--regid=nogroup", "--clear-groups", "--"]

    def _init_cluster(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, _UNPRIVILEGED, "nogroup")
        done = subprocess.run(
            [
                *self._as_owner(),
                str(self.bindir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ],
            capture_output=True,
            check=False,
            timeout=120,
            env={**os.environ, "HOME": str(self.directory)},
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.decode(errors='replace')}")

    def _accepts(self) -> bool:
        path = self.directory / f".s.PGSQL.{_PORT}"
        if not path.exists():
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(1.0)
                conn.connect(str(path))
        except OSError:
            return False
        try:
            self.psql("SELECT 1")
        except RuntimeError:
            return False
        return True
