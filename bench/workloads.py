"""The workloads. Each is one async function ``(peer, scale) -> dict`` that starts its own
servers (fresh processes and a fresh Redis, so nothing carries over), drives them with the shared
load generator and returns a JSON-ready result. Every loop is bounded in count and in time.
"""

from __future__ import annotations

import asyncio
import gc
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from bench import loadgen
from bench.drain import drain
from bench.loadgen import LoadGen, Member, latency_stats, new_sink, send_schedule, wait_delivered
from bench.peers import Cluster, Peer

SUSTAINABLE_RATIO = 0.99
SUSTAINABLE_P99_MS = 50.0


@dataclass(frozen=True)
class Scale:
    name: str
    # (a) fan-out ramp
    fanout_members: int
    fanout_publishers: int
    fanout_rates: tuple[int, ...]
    fanout_step_s: float
    fanout_drain_s: float
    fanout_budget_s: float
    # (b) idle memory
    idle_members: int
    idle_room_size: int
    idle_settle_s: float
    # (c) join storm
    storm_members: int
    storm_timeout_s: float
    # (d) many rooms
    rooms_count: int
    rooms_size: int
    rooms_period_s: float
    rooms_window_s: float
    # (e) two nodes
    two_members: int
    two_publishers: int
    two_rate: int
    two_duration_s: float
    # connecting
    connect_concurrency: int
    connect_timeout_s: float
    # (f) a drain (sharecircle only, bench/drain.py): members, once per room size
    drain_members: int = 1000
    drain_room_sizes: tuple[int, ...] = (100, 1000)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


RATES = (10, 20, 50, 100, 200, 400, 800, 1600, 3200, 6400)

FULL = Scale(
    name="full",
    fanout_members=1000,
    fanout_publishers=10,
    fanout_rates=RATES,
    fanout_step_s=5.0,
    fanout_drain_s=3.0,
    fanout_budget_s=240.0,
    idle_members=10_000,
    idle_room_size=100,
    idle_settle_s=3.0,
    storm_members=2000,
    storm_timeout_s=30.0,
    rooms_count=500,
    rooms_size=5,
    rooms_period_s=10.0,
    rooms_window_s=60.0,
    two_members=1000,
    two_publishers=10,
    two_rate=100,
    two_duration_s=5.0,
    connect_concurrency=200,
    connect_timeout_s=20.0,
)

QUICK = Scale(
    name="quick",
    fanout_members=200,
    fanout_publishers=5,
    fanout_rates=RATES,
    fanout_step_s=2.0,
    fanout_drain_s=1.5,
    fanout_budget_s=60.0,
    idle_members=2000,
    idle_room_size=100,
    idle_settle_s=1.5,
    storm_members=500,
    storm_timeout_s=20.0,
    rooms_count=100,
    rooms_size=5,
    rooms_period_s=10.0,
    rooms_window_s=20.0,
    two_members=200,
    two_publishers=5,
    two_rate=50,
    two_duration_s=3.0,
    connect_concurrency=200,
    connect_timeout_s=15.0,
    drain_members=300,
    drain_room_sizes=(100, 300),
)

SMOKE = Scale(
    name="smoke",
    fanout_members=20,
    fanout_publishers=2,
    fanout_rates=(20, 50),
    fanout_step_s=0.5,
    fanout_drain_s=0.5,
    fanout_budget_s=10.0,
    idle_members=40,
    idle_room_size=20,
    idle_settle_s=0.1,
    storm_members=30,
    storm_timeout_s=5.0,
    rooms_count=4,
    rooms_size=5,
    rooms_period_s=0.5,
    rooms_window_s=1.0,
    two_members=20,
    two_publishers=2,
    two_rate=20,
    two_duration_s=0.5,
    connect_concurrency=50,
    connect_timeout_s=5.0,
    drain_members=20,
    drain_room_sizes=(10,),
)

SCALES = {s.name: s for s in (FULL, QUICK, SMOKE)}


class WorkloadFailed(RuntimeError):
    """Setup failed badly enough that the workload has no numbers (e.g. no member could join)."""


def _room(i: int) -> str:
    return f"bench-r{i}"


async def _connect_or_fail(
    gen: LoadGen, members: list[Member], scale: Scale, *, min_ok: float = 0.5
) -> loadgen.ConnectStats:
    """Connect and join; fail the workload if fewer than `min_ok` of the members got in (the
    rest go on with those who did: the result says how many, and why the others failed)."""
    stats = await gen.connect(
        members, concurrency=scale.connect_concurrency, limit_s=scale.connect_timeout_s
    )
    if stats.ok < max(1, int(len(members) * min_ok)):
        raise WorkloadFailed(
            f"only {stats.ok}/{len(members)} members joined; failures: {stats.failures}"
        )
    return stats


def _gen_counters(gen: LoadGen) -> dict[str, Any]:
    return {
        "errors": dict(gen.errors),
        "close_codes": {str(k): v for k, v in gen.closes.items()},
        "disconnects": gen.disconnects,
    }


async def _with_gen(
    peer: Peer,
    nodes: int,
    tag: str,
    body: Callable[[Cluster, LoadGen], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    async with Cluster(peer, nodes=nodes, tag=tag) as cluster:
        gen = LoadGen(peer.make_protocol(), cluster.addrs)
        gen.monitor.own_pids = cluster.all_pids
        gen.monitor.start()
        try:
            result = await body(cluster, gen)
        finally:
            await gen.monitor.stop()
            await gen.close_all()
        result["cluster"] = cluster.describe()
        died = cluster.check_alive()
        if died:
            result["server_died"] = died
        result.update(_gen_counters(gen))
        setup = getattr(gen.proto, "room_setup", None)
        if setup:
            result["room_setup"] = setup
        return result


# --- (a) fan-out ramp ---------------------------------------------------------------------------


async def fanout(peer: Peer, scale: Scale) -> dict[str, Any]:
    """One room, many members, a few publishers; open-loop ramp of the total publish rate."""

    async def body(cluster: Cluster, gen: LoadGen) -> dict[str, Any]:
        room = _room(0)
        await gen.proto.prepare(cluster.addrs, [room])
        members = gen.add_members(scale.fanout_members, lambda _i: room)
        sink = members[0].sink
        conn = await _connect_or_fail(gen, members, scale)
        joined = [m for m in members if m.is_joined]
        pubs = joined[: scale.fanout_publishers]
        n_members = len(joined)

        # Warm-up (tag 0, not reported): up to a second at the lowest rate.
        warm = min(1.0, scale.fanout_step_s)
        await _ramp_step(gen, cluster, pubs, [sink], n_members, scale.fanout_rates[0], warm, 0, 1.0)

        steps: list[dict[str, Any]] = []
        t_start = time.monotonic()
        failing_in_row = 0
        stop_reason = "all rates done"
        for tag, rate in enumerate(scale.fanout_rates, start=1):
            if time.monotonic() - t_start > scale.fanout_budget_s:
                stop_reason = f"time budget {scale.fanout_budget_s:.0f} s used"
                break
            step = await _ramp_step(
                gen,
                cluster,
                pubs,
                [sink],
                n_members,
                rate,
                scale.fanout_step_s,
                tag,
                scale.fanout_drain_s,
            )
            steps.append(step)
            died = cluster.check_alive()
            if died:
                stop_reason = f"server died: {died}"
                break
            ratio = step["delivery_ratio"] or 0.0
            p99 = step["p99_ms"] if step["p99_ms"] is not None else float("inf")
            if ratio < 0.5 or p99 > 5000:
                stop_reason = "clearly unsustainable (ratio < 0.5 or p99 > 5 s)"
                break
            if not step["valid"]:
                if not step["noisy"]:
                    stop_reason = "load generator saturated (INVALID step)"
                    break
                # INVALID because other processes took the machine: go on, a later step may
                # be valid; this one counts neither way.
                await asyncio.sleep(0.3)
                continue
            failing_in_row = 0 if step["pass"] else failing_in_row + 1
            if failing_in_row >= 2:
                stop_reason = "two failing steps in a row"
                break
            await asyncio.sleep(0.3)

        passing = [s["rate"] for s in steps if s["valid"] and s["pass"]]
        return {
            "members": n_members,
            "members_requested": scale.fanout_members,
            "publishers": len(pubs),
            "msg_bytes": loadgen.MSG_BYTES,
            "connect": conn.as_dict(),
            "steps": steps,
            "stop_reason": stop_reason,
            "max_sustainable_rate": max(passing) if passing else None,
            "criteria": {"ratio_min": SUSTAINABLE_RATIO, "p99_max_ms": SUSTAINABLE_P99_MS},
        }

    return await _with_gen(peer, 1, "fanout", body)


async def _ramp_step(
    gen: LoadGen,
    cluster: Cluster,
    pubs: list[Member],
    sinks: list[loadgen.Sink],
    n_members: int,
    rate: int,
    seconds: float,
    tag: int,
    drain_s: float,
) -> dict[str, Any]:
    n = max(1, int(rate * seconds))
    interval = 1e9 / rate
    schedule = [(int(i * interval), pubs[i % len(pubs)]) for i in range(n)]
    for s in sinks:
        del s[tag][:]
    mark = gen.monitor.mark()
    cpu0, wall0 = cluster.server_cpu(), time.monotonic()
    sent = await send_schedule(gen, schedule, tag, max_seconds=seconds * 1.5 + 1)
    cpu1, wall1 = cluster.server_cpu(), time.monotonic()
    expected = sent.sent * n_members
    delivered = await wait_delivered(sinks, tag, expected, limit_s=drain_s)
    validity = gen.monitor.since(mark)
    lat = latency_stats(s[tag] for s in sinks)
    ratio = delivered / expected if expected else None
    step = {
        "rate": rate,
        "seconds": round(sent.seconds, 3),
        "sent": sent.sent,
        "expected": expected,
        "delivered": delivered,
        "delivery_ratio": round(ratio, 4) if ratio is not None else None,
        "delivered_per_s": round(delivered / max(sent.seconds, 1e-9), 1),
        "offered_deliveries_per_s": rate * n_members,
        "p50_ms": lat["p50_ms"],
        "p99_ms": lat["p99_ms"],
        "max_ms": lat["max_ms"],
        "server_cpu_pct": round(100 * (cpu1 - cpu0) / max(wall1 - wall0, 1e-9), 1),
        "send_lag_max_ms": round(sent.send_lag_max_ms, 2),
        "errors_so_far": sum(gen.errors.values()),
        **validity,
    }
    step["pass"] = bool(
        ratio is not None
        and ratio >= SUSTAINABLE_RATIO
        and lat["p99_ms"] is not None
        and lat["p99_ms"] <= SUSTAINABLE_P99_MS
    )
    return step


# --- (b) idle memory ----------------------------------------------------------------------------


async def idle_memory(peer: Peer, scale: Scale) -> dict[str, Any]:
    """Many joined, silent members: server RSS growth per connection."""

    async def body(cluster: Cluster, gen: LoadGen) -> dict[str, Any]:
        n = scale.idle_members
        n_rooms = max(1, -(-n // scale.idle_room_size))
        rooms = [_room(i) for i in range(n_rooms)]
        await gen.proto.prepare(cluster.addrs, rooms)
        gen.plan_source_ips(n + 10)
        # Warm-up: one member joins and leaves, so lazily loaded code is not counted.
        warm = gen.add_members(1, lambda _i: rooms[0])
        await gen.connect(warm, concurrency=1, limit_s=scale.connect_timeout_s)
        gen._drop(warm[0])
        await asyncio.sleep(max(0.2, scale.idle_settle_s / 2))
        rss0 = await _rss_settled(cluster)
        members = gen.add_members(n, lambda i: rooms[i % n_rooms])
        mark = gen.monitor.mark()
        conn = await _connect_or_fail(gen, members, scale)
        await asyncio.sleep(scale.idle_settle_s)
        gc.collect()
        rss1 = await _rss_settled(cluster)
        ok = conn.ok
        return {
            "members": ok,
            "rooms": n_rooms,
            "source_ips": gen.source_ips,
            "connect": conn.as_dict(),
            "rss_before_mb": round(rss0 / 2**20, 2),
            "rss_after_mb": round(rss1 / 2**20, 2),
            "kb_per_conn": round((rss1 - rss0) / max(ok, 1) / 1024, 2),
            **gen.monitor.since(mark, check_lag=False),
        }

    return await _with_gen(peer, 1, "idle", body)


async def _rss_settled(cluster: Cluster, samples: int = 3) -> int:
    values = []
    for _ in range(samples):
        values.append(cluster.server_rss())
        await asyncio.sleep(0.1)
    return max(values)


# --- (c) join storm -----------------------------------------------------------------------------


async def join_storm(peer: Peer, scale: Scale) -> dict[str, Any]:
    """Everyone connects and joins one room at the same moment."""

    async def body(cluster: Cluster, gen: LoadGen) -> dict[str, Any]:
        room = _room(0)
        await gen.proto.prepare(cluster.addrs, [room])
        members = gen.add_members(scale.storm_members, lambda _i: room)
        mark = gen.monitor.mark()
        cpu0 = cluster.server_cpu()
        conn = await gen.connect(members, concurrency=0, limit_s=scale.storm_timeout_s)
        cpu1 = cluster.server_cpu()
        validity = gen.monitor.since(mark, check_lag=False)
        return {
            "members": scale.storm_members,
            "ok": conn.ok,
            "failed": conn.failed,
            "failures": conn.failures,
            "seconds": round(conn.seconds, 3),
            "joins_per_s": round(conn.ok / max(conn.seconds, 1e-9), 1),
            "join_ms_p50": conn.join_ms_p50,
            "join_ms_p99": conn.join_ms_p99,
            "server_cpu_s": round(cpu1 - cpu0, 3),
            **validity,
        }

    return await _with_gen(peer, 1, "storm", body)


# --- (d) many rooms -----------------------------------------------------------------------------


async def many_rooms(peer: Peer, scale: Scale) -> dict[str, Any]:
    """Many small rooms chatting at a human pace: server CPU per 1,000 members per minute."""

    async def body(cluster: Cluster, gen: LoadGen) -> dict[str, Any]:
        rooms = [_room(i) for i in range(scale.rooms_count)]
        await gen.proto.prepare(cluster.addrs, rooms)
        n = scale.rooms_count * scale.rooms_size
        members = gen.add_members(n, lambda i: rooms[i // scale.rooms_size])
        sink = members[0].sink
        conn = await _connect_or_fail(gen, members, scale)
        room_size = {r: 0 for r in rooms}
        for m in members:
            if m.is_joined:
                room_size[m.room] += 1
        joined = [m for m in members if m.is_joined]
        rnd = random.Random(1234)
        period_ns = int(scale.rooms_period_s * 1e9)
        window_ns = int(scale.rooms_window_s * 1e9)
        schedule: list[tuple[int, Member]] = []
        for m in joined:
            t = rnd.randrange(period_ns)
            while t < window_ns:
                schedule.append((t, m))
                t += period_ns
        schedule.sort(key=lambda x: x[0])
        expected = sum(room_size[m.room] for _t, m in schedule)
        await asyncio.sleep(min(0.5, scale.rooms_window_s / 4))
        tag = 1
        mark = gen.monitor.mark()
        cpu0, wall0 = cluster.server_cpu(), time.monotonic()
        sent = await send_schedule(gen, schedule, tag, max_seconds=scale.rooms_window_s + 5)
        remaining = max(0.0, scale.rooms_window_s - (time.monotonic() - wall0))
        await asyncio.sleep(remaining)
        cpu1, wall1 = cluster.server_cpu(), time.monotonic()
        delivered = await wait_delivered([sink], tag, expected, limit_s=2.0)
        validity = gen.monitor.since(mark)
        lat = latency_stats([sink[tag]])
        cpu_s = cpu1 - cpu0
        wall = wall1 - wall0
        members_k = len(joined) / 1000
        return {
            "rooms": scale.rooms_count,
            "room_size": scale.rooms_size,
            "members": len(joined),
            "period_s": scale.rooms_period_s,
            "connect": conn.as_dict(),
            "window_s": round(wall, 2),
            "sent": sent.sent,
            "expected": expected,
            "delivered": delivered,
            "delivery_ratio": round(delivered / expected, 4) if expected else None,
            "p50_ms": lat["p50_ms"],
            "p99_ms": lat["p99_ms"],
            "server_cpu_s": round(cpu_s, 3),
            "server_cpu_pct": round(100 * cpu_s / max(wall, 1e-9), 1),
            "cpu_s_per_1k_members_per_min": round(cpu_s / members_k / (wall / 60), 3)
            if members_k and wall
            else None,
            **validity,
        }

    return await _with_gen(peer, 1, "rooms", body)


# --- (e) two nodes ------------------------------------------------------------------------------


async def two_nodes(peer: Peer, scale: Scale) -> dict[str, Any]:
    """Members split over two server processes on one Redis; publishers on node 0."""
    if not peer.two_nodes:
        return {"skipped": "peer has no multi-node mode"}

    async def body(cluster: Cluster, gen: LoadGen) -> dict[str, Any]:
        room = _room(0)
        await gen.proto.prepare(cluster.addrs, [room])
        sinks = [new_sink(), new_sink()]
        members = gen.add_members(
            scale.two_members,
            lambda _i: room,
            node_of=lambda i: i % 2,
            sink_of=lambda i: sinks[i % 2],
        )
        conn = await _connect_or_fail(gen, members, scale)
        joined = [m for m in members if m.is_joined]
        pubs = [m for m in joined if m.node == 0][: scale.two_publishers]
        if not pubs:
            raise WorkloadFailed("no publisher joined on node 0")
        await asyncio.sleep(min(0.5, scale.two_duration_s / 2))
        # warm-up, then the measured run
        warm = min(1.0, scale.two_duration_s)
        await _ramp_step(gen, cluster, pubs, sinks, len(joined), scale.two_rate, warm, 0, 1.0)
        step = await _ramp_step(
            gen,
            cluster,
            pubs,
            sinks,
            len(joined),
            scale.two_rate,
            scale.two_duration_s,
            1,
            scale.fanout_drain_s,
        )
        same = latency_stats([sinks[0][1]])
        cross = latency_stats([sinks[1][1]])
        n_same = sum(1 for m in joined if m.node == 0)
        n_cross = len(joined) - n_same

        def extra(key: str) -> float | None:
            if same[key] is None or cross[key] is None:
                return None
            return round(float(cross[key]) - float(same[key]), 3)

        return {
            "members": len(joined),
            "members_per_node": [n_same, n_cross],
            "publishers": len(pubs),
            "rate": scale.two_rate,
            "connect": conn.as_dict(),
            "step": step,
            "same_node": {**same, "expected": step["sent"] * n_same},
            "cross_node": {**cross, "expected": step["sent"] * n_cross},
            "extra_p50_ms": extra("p50_ms"),
            "extra_p99_ms": extra("p99_ms"),
            "valid": step["valid"],
            "invalid_reason": step["invalid_reason"],
        }

    return await _with_gen(peer, 2, "two", body)


WORKLOADS: dict[str, Callable[[Peer, Scale], Awaitable[dict[str, Any]]]] = {
    "fanout": fanout,
    "idle": idle_memory,
    "storm": join_storm,
    "rooms": many_rooms,
    "two-nodes": two_nodes,
    "drain": drain,
}
