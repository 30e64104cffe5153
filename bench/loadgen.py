"""The one shared load generator: many picows WebSocket clients in one asyncio process.

Every member of every workload is a `Member` (a picows listener). A protocol adapter
(`bench.protocols`) turns "join this room", "post this text" and the server's replies into frames.

Chat messages are recognised without decoding the frame: the text every publisher sends starts
with the marker ``~T`` followed by the send time, so a byte search finds it inside a socket.io
JSON array, a msgpack map or a bare text frame alike. The send time is this process's
``time.perf_counter_ns()`` (one process, one monotonic clock), so
``latency = receive time - embedded send time`` needs no clock sync.

Message text layout (64 ASCII characters)::

    ~T<19-digit send ns>~<3-digit tag>~<4-digit publisher>~<8-digit seq>~xxxxxxxxxxxxxxxxxxxxxxxx

The tag names the measurement (a ramp step), so late deliveries are charged to the step whose
message they carry. Each member appends its latencies to its own *sink*: a list of ``array('q')``
indexed by tag, shared by the members of one group (all, or one node's members).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from picows import WSListener, WSMsgType, WSTransport, ws_connect

from bench import procs

if TYPE_CHECKING:
    from bench.protocols import Protocol

MARK = b"~T"
MSG_BYTES = 64
MAX_TAGS = 1000
now_ns = time.perf_counter_ns

# A step is INVALID (the load generator, not the server, was the limit) past these: the load
# generator process's own CPU, the whole load-generator core (it shares it with Redis and with
# the kernel's loopback work, which no process is charged for), and event-loop lag.
GEN_CPU_LIMIT_PCT = 90.0
GEN_CORE_LIMIT_PCT = 95.0
GEN_LAG_LIMIT_MS = 20.0


def make_text(tag: int, ts_ns: int, pub: int, seq: int) -> str:
    """The 64-character message text carrying its own send time."""
    head = f"~T{ts_ns:019d}~{tag % MAX_TAGS:03d}~{pub % 10000:04d}~{seq % 100_000_000:08d}~"
    return head.ljust(MSG_BYTES, "x")


Sink = list[array]  # type: ignore[type-arg]


def new_sink() -> Sink:
    return [array("q") for _ in range(MAX_TAGS)]


class JoinError(Exception):
    """The server refused or never confirmed a member's join."""


class Member(WSListener):
    """One client connection: a member of one room, on one server node."""

    def __init__(self, gen: LoadGen, idx: int, room: str, node: int, sink: Sink) -> None:
        super().__init__()
        self.gen = gen
        self.proto = gen.proto
        self.idx = idx
        self.room = room
        self.name = f"b{idx}"
        self.node = node
        self.sink = sink
        self.transport: WSTransport | None = None
        self.joined: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed = False
        self.is_joined = False
        self.next_id = 2
        self.state: Any = None  # protocol-specific

    # --- called by protocol adapters -------------------------------------------------------
    def send_text(self, data: bytes | str) -> None:
        if self.transport is not None and not self.closed:
            payload = data.encode() if isinstance(data, str) else data
            self.transport.send(WSMsgType.TEXT, payload)

    def send_binary(self, data: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.send(WSMsgType.BINARY, data)

    def join_ok(self) -> None:
        self.is_joined = True
        if not self.joined.done():
            self.joined.set_result(None)

    def join_failed(self, reason: str) -> None:
        if not self.joined.done():
            self.joined.set_exception(JoinError(reason))

    # --- picows callbacks ------------------------------------------------------------------
    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        self.proto.on_connected(self)

    def on_ws_frame(self, transport: WSTransport, frame: Any) -> None:
        data = frame.get_payload_as_bytes()
        i = data.find(MARK)
        # A binary frame (msgpack) can hold the marker's two bytes by chance, inside a number:
        # only a whole, well-formed marker counts; anything else is an ordinary frame.
        while i >= 0:
            stamp, tag = data[i + 2 : i + 21], data[i + 22 : i + 25]
            if stamp.isdigit() and tag.isdigit() and data[i + 21 : i + 22] == b"~":
                self.sink[int(tag)].append(now_ns() - int(stamp))
                return
            i = data.find(MARK, i + 1)
        msg_type = frame.msg_type
        if msg_type is WSMsgType.TEXT or msg_type is WSMsgType.BINARY:
            self.proto.on_frame(self, msg_type is WSMsgType.BINARY, data)
        elif msg_type is WSMsgType.CLOSE:
            code = frame.get_close_code()
            self.gen.closes[getattr(code, "value", code)] += 1

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.closed = True
        if not self.gen.closing:
            self.gen.disconnects += 1
        self.join_failed("disconnected before the join was confirmed")


@dataclass
class ConnectStats:
    attempted: int = 0
    ok: int = 0
    failed: int = 0
    seconds: float = 0.0
    join_ms_p50: float | None = None
    join_ms_p99: float | None = None
    failures: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "attempted": self.attempted,
            "ok": self.ok,
            "failed": self.failed,
            "seconds": round(self.seconds, 3),
            "join_ms_p50": self.join_ms_p50,
            "join_ms_p99": self.join_ms_p99,
            "failures": self.failures,
        }


class Mark(NamedTuple):
    samples: int
    wall: float
    cpu: float
    gen_core: tuple[int, int]
    srv_core: tuple[int, int]
    epoch: float
    others: dict[int, tuple[float, float]]


class LoopMonitor:
    """Measures the load generator itself: event-loop lag and CPU use of this process."""

    INTERVAL = 0.01

    # Other processes using more than this much CPU (% of one core) during a step make it NOISY:
    # the numbers stand, but the machine was not quiet.
    NOISE_LIMIT_PCT = 10.0

    def __init__(self) -> None:
        self.samples: array = array("d")  # type: ignore[type-arg]
        self._task: asyncio.Task[None] | None = None
        self.own_pids: Callable[[], set[int]] = set

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        interval = self.INTERVAL
        while True:
            t0 = loop.time()
            await asyncio.sleep(interval)
            self.samples.append(max(0.0, loop.time() - t0 - interval))

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # we are being cancelled ourselves (Ctrl-C): do not swallow it

    def mark(self) -> Mark:
        return Mark(
            len(self.samples),
            time.monotonic(),
            time.process_time(),
            procs.cpu_ticks(procs.LOADGEN_CPU),
            procs.cpu_ticks(procs.SERVER_CPU),
            time.time(),
            procs.cpu_by_pid(),
        )

    def since(self, mark: Mark, *, check_lag: bool = True) -> dict[str, Any]:
        """Load-generator CPU % (of one core), its core's load and loop lag since `mark`,
        with the verdict; also the server core's load, for information."""
        start_idx = mark.samples
        wall = max(1e-9, time.monotonic() - mark.wall)
        cpu_pct = 100.0 * (time.process_time() - mark.cpu) / wall
        core_pct = procs.busy_pct(mark.gen_core, procs.cpu_ticks(procs.LOADGEN_CPU))
        srv_core_pct = procs.busy_pct(mark.srv_core, procs.cpu_ticks(procs.SERVER_CPU))
        exclude = {os.getpid(), os.getppid(), *self.own_pids()}
        noise_pct = 100.0 * procs.foreign_cpu_seconds(mark.others, mark.epoch, exclude) / wall
        lags = np.frombuffer(self.samples, dtype=np.float64)[start_idx:]
        lag_p99 = float(np.percentile(lags, 99)) * 1000 if lags.size else 0.0
        lag_max = float(lags.max()) * 1000 if lags.size else 0.0
        reasons = []
        noisy = noise_pct > self.NOISE_LIMIT_PCT
        if cpu_pct > GEN_CPU_LIMIT_PCT:
            reasons.append(f"gen CPU {cpu_pct:.0f}%>{GEN_CPU_LIMIT_PCT:.0f}%")
        if procs.PINNED and core_pct is not None and core_pct > GEN_CORE_LIMIT_PCT:
            reasons.append(
                f"gen core {core_pct:.0f}%>{GEN_CORE_LIMIT_PCT:.0f}%"
                + (f" (other processes {noise_pct:.0f}%)" if noisy else "")
            )
        if check_lag and lag_p99 > GEN_LAG_LIMIT_MS:
            reasons.append(f"loop lag p99 {lag_p99:.0f}ms>{GEN_LAG_LIMIT_MS:.0f}ms")
        return {
            "gen_cpu_pct": round(cpu_pct, 1),
            "gen_core_busy_pct": core_pct,
            "server_core_busy_pct": srv_core_pct,
            "other_procs_cpu_pct": round(noise_pct, 1),
            "noisy": noisy,
            "gen_lag_p99_ms": round(lag_p99, 2),
            "gen_lag_max_ms": round(lag_max, 2),
            "valid": not reasons,
            "invalid_reason": "; ".join(reasons) or None,
        }


def latency_stats(arrays: Iterable[array]) -> dict[str, Any]:  # type: ignore[type-arg]
    parts = [np.frombuffer(a, dtype=np.int64) for a in arrays if len(a)]
    if not parts:
        return {"count": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}
    lat = np.concatenate(parts) / 1e6
    return {
        "count": int(lat.size),
        "p50_ms": round(float(np.percentile(lat, 50)), 3),
        "p99_ms": round(float(np.percentile(lat, 99)), 3),
        "max_ms": round(float(lat.max()), 3),
    }


class LoadGen:
    """Members, their connections and the counters every workload reads."""

    def __init__(self, proto: Protocol, nodes: Sequence[tuple[str, int]]) -> None:
        self.proto = proto
        self.nodes = list(nodes)
        self.members: list[Member] = []
        self.errors: Counter[str] = Counter()
        self.closes: Counter[int] = Counter()
        self.disconnects = 0
        self.closing = False
        self.monitor = LoopMonitor()
        self.source_ips = 1

    def add_members(
        self,
        count: int,
        room_of: Callable[[int], str],
        *,
        node_of: Callable[[int], int] = lambda _i: 0,
        sink_of: Callable[[int], Sink] | None = None,
    ) -> list[Member]:
        shared = new_sink()
        start = len(self.members)
        made = []
        for i in range(start, start + count):
            sink = sink_of(i) if sink_of is not None else shared
            made.append(Member(self, i, room_of(i), node_of(i), sink))
        self.members.extend(made)
        return made

    def plan_source_ips(self, total: int, per_ip: int = 20_000) -> int:
        """Spread more than `per_ip` connections over 127.0.0.x source addresses."""
        self.source_ips = max(1, min(250, -(-total // per_ip)))
        return self.source_ips

    async def _connect_one(self, m: Member, limit_s: float) -> float:
        host, port = self.nodes[m.node]
        kwargs: dict[str, Any] = {}
        if self.source_ips > 1:
            kwargs["local_addr"] = (f"127.0.0.{1 + m.idx % self.source_ips}", 0)
        t0 = time.monotonic()
        async with asyncio.timeout(limit_s):
            await ws_connect(
                lambda: m,
                self.proto.url(host, port),
                extra_headers=self.proto.headers(),
                websocket_handshake_timeout=limit_s,
                enable_auto_pong=True,
                max_frame_size=16 * 1024 * 1024,
                read_buffer_init_size=4096,
                **kwargs,
            )
            await m.joined
        return time.monotonic() - t0

    async def connect(
        self, members: Sequence[Member], *, concurrency: int, limit_s: float
    ) -> ConnectStats:
        """Connect and join `members`, at most `concurrency` in flight (0: all at once), each
        within `limit_s` seconds (connect, handshake and join)."""
        stats = ConnectStats(attempted=len(members))
        sem = asyncio.Semaphore(concurrency) if concurrency > 0 else None
        durations: list[float] = []
        failures: Counter[str] = Counter()

        async def one(m: Member) -> None:
            try:
                if sem is None:
                    durations.append(await self._connect_one(m, limit_s))
                else:
                    async with sem:
                        durations.append(await self._connect_one(m, limit_s))
            except TimeoutError:
                failures["timeout"] += 1
                self._drop(m)
            except JoinError as exc:
                failures[f"join: {exc}"] += 1
                self._drop(m)
            except Exception as exc:
                failures[type(exc).__name__] += 1
                self._drop(m)

        t0 = time.monotonic()
        await asyncio.gather(*(one(m) for m in members))
        stats.seconds = time.monotonic() - t0
        stats.ok = len(durations)
        stats.failed = len(members) - stats.ok
        stats.failures = dict(failures)
        if durations:
            d = np.array(durations) * 1000
            stats.join_ms_p50 = round(float(np.percentile(d, 50)), 2)
            stats.join_ms_p99 = round(float(np.percentile(d, 99)), 2)
        return stats

    def _drop(self, m: Member) -> None:
        m.closed = True
        if m.transport is not None:
            with contextlib.suppress(Exception):
                m.transport.disconnect(graceful=False)
        if not m.joined.done():
            m.joined.cancel()
        elif not m.joined.cancelled():
            m.joined.exception()  # retrieved: no "exception was never retrieved" at exit

    async def close_all(self) -> None:
        self.closing = True
        for m in self.members:
            if m.transport is not None and not m.closed:
                with contextlib.suppress(Exception):
                    m.transport.disconnect(graceful=False)
            if not m.joined.done():
                m.joined.cancel()
        await asyncio.sleep(0.05)
        self.members.clear()


@dataclass
class SendStats:
    sent: int
    seconds: float
    send_lag_max_ms: float


async def send_schedule(
    gen: LoadGen, schedule: Sequence[tuple[int, Member]], tag: int, *, max_seconds: float
) -> SendStats:
    """Open loop: post for each `(offset_ns, member)` at start + offset, whatever the replies.

    Sends never wait for the server (picows buffers), so the schedule does not slow down when the
    server does. The embedded time is the moment of the actual send; how late that is against
    the schedule (timer granularity, a busy loop) is reported as send lag, and a load generator
    that falls behind fails the loop-lag check, which marks the step INVALID.
    """
    post = gen.proto.post
    start = now_ns() + 2_000_000
    deadline = start + int(max_seconds * 1e9)
    n = len(schedule)
    i = 0
    sent = 0
    max_lag = 0
    while i < n:
        now = now_ns()
        if now > deadline:
            break
        due = start + schedule[i][0]
        if due > now:
            await asyncio.sleep(min((due - now) / 1e9, 0.05))
            continue
        while i < n:
            offset, m = schedule[i]
            due = start + offset
            if due > now:
                break
            ts = now_ns()
            max_lag = max(max_lag, ts - due)
            post(m, make_text(tag, ts, m.idx, i))
            sent += 1
            i += 1
        await asyncio.sleep(0)
    return SendStats(sent=sent, seconds=(now_ns() - start) / 1e9, send_lag_max_ms=max_lag / 1e6)


async def wait_delivered(sinks: Sequence[Sink], tag: int, expected: int, *, limit_s: float) -> int:
    """Wait until `expected` deliveries of `tag` arrived in `sinks` or `limit_s` passed."""
    deadline = time.monotonic() + limit_s
    while True:
        got = sum(len(s[tag]) for s in sinks)
        if got >= expected or time.monotonic() >= deadline:
            return got
        await asyncio.sleep(0.02)
