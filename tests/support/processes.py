"""What every throwaway server the tests start has in common: its child process, how it ends,
the tail of its log for a failure message, and `with` support that closes it.

`RedisServer` and `PostgresServer` differ in how they start, what "ready" means and which signal
stops them; the rest is here once.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Self

__all__ = ["ServerProcess"]


class ServerProcess:
    """A server process of the tests' own, with its files in `directory` (`server.log` there)."""

    stop_timeout = 10.0
    """Seconds a stop signal gets before the process is killed."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def close(self) -> None:  # pragma: no cover - each server says how it closes
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _end(self, sig: signal.Signals) -> None:
        """Send `sig`, wait a bounded time (then kill), and forget the process."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
        self._reap()

    def _reap(self) -> None:
        if self._process is not None:
            self._process.wait()
            self._process = None

    def _log_tail(self) -> str:
        try:
            return "\n".join((self.directory / "server.log").read_text().splitlines()[-20:])
        except OSError:
            return "(no log)"
