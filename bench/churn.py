"""A bounded churn soak: does a node keep anything for people who left? (issue 10 §7)

    uv run python -m bench.churn [--nodes 2] [--clients 120] [--rooms 12] [--phase 40]
                                 [--quiet 12] [--tracemalloc]

Starts a throwaway Redis and `--nodes` real nodes (each its own process, loopback only; with
`--nodes 1 --memory` one node on the in-process backend instead). Clients join random rooms on
random nodes, post, react, then leave cleanly or drop their socket, over and over, for two equal
phases. Each phase is followed by a quiet spell longer than the replay window, the seat hold and
the presence TTL (the nodes run with small values of those), so that everything about the
phase's people has expired by the time each node is measured. Prints, per node and phase: RSS,
asyncio tasks, gc objects, and this node's rooms bookkeeping; with `--tracemalloc`, the source
lines whose allocations grew most between the two measurements. Numbers only, no assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import random
import sys
import time
import tracemalloc
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench import procs

WINDOW_SECONDS = 4
"""Replay window, seat hold and presence TTL of the soak's nodes: all short, all expired in the
quiet spell (which must be longer)."""

SETTINGS = {
    "SHARECIRCLE_SECRET": "churn-secret",
    "SHARECIRCLE_REPLAY_WINDOW_SECONDS": str(WINDOW_SECONDS),
    "SHARECIRCLE_SEAT_HOLD_SECONDS": str(WINDOW_SECONDS),
    "SHARECIRCLE_GRACE_SECONDS": "2",
    "SHARECIRCLE_PRESENCE_TTL_SECONDS": "3",
    "SHARECIRCLE_PRESENCE_INTERVAL_SECONDS": "0.5",
    "SHARECIRCLE_POST_RATE": "1000/second",
    "SHARECIRCLE_COMMAND_RATE": "1000/second",
    "SHARECIRCLE_FRAME_CEILING": "100000/minute",
    "SHARECIRCLE_RAID_JOINS": "1000000",
    "SHARECIRCLE_LOG_LEVEL": "warning",
    "SHARECIRCLE_ADMIN_TOKEN": "churn-admin",
}


# -- the node side: a real node plus a statistics route, in its own process -----------------------


def _stats_route(app: Any) -> Any:
    from starlette.responses import JSONResponse

    previous: list[tracemalloc.Snapshot] = []

    async def stats(request: Any) -> Any:
        gc.collect()
        node = request.app.state.node
        types = Counter(type(o).__name__ for o in gc.get_objects())
        out: dict[str, Any] = {
            "rss_mb": _rss_mb(),
            "tasks": len(asyncio.all_tasks()),
            "task_kinds": Counter(
                t.get_coro().__qualname__
                for t in asyncio.all_tasks()  # type: ignore[union-attr]
            ).most_common(8),
            "gc_objects": sum(types.values()),
            "top_types": types.most_common(12),
            "live_rooms": len(node.service.rooms),
            "hub_rooms": len(node.service.hub.rooms),
            "connections": len(node.endpoint.connections),
        }
        if tracemalloc.is_tracing():
            snap = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)]
            )
            if previous:
                diff = snap.compare_to(previous[-1], "lineno")[:15]
                out["grew"] = [
                    f"{d.size_diff / 1024:+.1f} KiB {d.count_diff:+d} {d.traceback}" for d in diff
                ]
            previous[:] = [snap]
        return JSONResponse(out)

    from starlette.routing import Route

    app.router.routes.insert(0, Route("/_churn/stats", stats))
    return app


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def node_main(port: int, trace: bool) -> None:
    from server.app import create_app
    from server.runner import DrainingServer, make_config
    from server.settings import Settings

    if trace:
        tracemalloc.start(6)
    settings = Settings.load(overrides={"port": port})
    app = _stats_route(create_app(settings))
    DrainingServer(make_config(app, settings, logs=False)).run()


# -- the client side --------------------------------------------------------------------------------


@dataclass
class Tally:
    joins: int = 0
    posts: int = 0
    leaves: int = 0
    drops: int = 0
    errors: Counter[str] = field(default_factory=Counter)


async def _until_reply(ws: Any, cid: int) -> dict[str, Any]:
    while True:
        frame = json.loads(await ws.recv())
        if frame.get("id") == cid:
            return frame  # type: ignore[no-any-return]


async def _one_visit(url: str, room: str, name: str, rng: random.Random, tally: Tally) -> None:
    from websockets.asyncio.client import connect

    async with connect(url, subprotocols=["sharecircle.v1.json"], open_timeout=10) as ws:  # type: ignore[list-item]
        await ws.recv()  # hello
        await ws.send(json.dumps({"type": "join", "id": 1, "room": room, "name": name}))
        reply = await _until_reply(ws, 1)
        if reply["type"] != "ack":
            tally.errors[reply.get("code", "?")] += 1
            return
        tally.joins += 1
        mid = None
        for i in range(rng.randint(1, 3)):
            await ws.send(json.dumps({"type": "post", "id": 10 + i, "text": f"hello {i}"}))
            ack = await _until_reply(ws, 10 + i)
            mid = ack.get("seq", mid)
            tally.posts += 1
        if mid is not None and rng.random() < 0.5:
            await ws.send(json.dumps({"type": "react", "id": 20, "mid": mid, "reaction": "heart"}))
            await _until_reply(ws, 20)
        await asyncio.sleep(rng.uniform(0, 0.5))
        if rng.random() < 0.5:
            await ws.send(json.dumps({"type": "leave", "id": 30}))
            await _until_reply(ws, 30)
            tally.leaves += 1
        else:
            ws.transport.abort()  # a dropped connection: the seat is held, then released
            tally.drops += 1


async def _worker(
    n: int, urls: list[str], rooms: list[str], until: float, tally: Tally, names: Any
) -> None:
    rng = random.Random(n)
    while time.monotonic() < until:
        try:
            await _one_visit(
                rng.choice(urls), rng.choice(rooms), f"p{n} v{next(names)}", rng, tally
            )
        except Exception as exc:
            tally.errors[type(exc).__name__] += 1
            await asyncio.sleep(0.2)


async def _phase(urls: list[str], rooms: list[str], clients: int, seconds: float) -> Tally:
    tally = Tally()
    names = itertools.count()
    until = time.monotonic() + seconds
    await asyncio.gather(*(_worker(n, urls, rooms, until, tally, names) for n in range(clients)))
    return tally


def _create_rooms(port: int, count: int) -> list[str]:
    slugs = [f"churn-{i}" for i in range(count)]
    for slug in slugs:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/admin/rooms",
            data=json.dumps({"slug": slug, "name": f"Churn {slug}"}).encode(),
            headers={"Authorization": "Bearer churn-admin", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30):  # noqa: S310 (loopback)
            pass
    return slugs


def _stats(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_churn/stats", timeout=60) as r:
        return json.loads(r.read())  # type: ignore[no-any-return]


def _print_stats(label: str, ports: list[int], rows: dict[int, list[dict[str, Any]]]) -> None:
    for port in ports:
        s = _stats(port)
        rows[port].append(s)
        print(
            f"  node :{port} {label:<14} rss {s['rss_mb']:7.1f} MB  tasks {s['tasks']:5d}  "
            f"gc objects {s['gc_objects']:8d}  live rooms {s['live_rooms']}  hub rooms "
            f"{s['hub_rooms']}  connections {s['connections']}",
            flush=True,
        )
        print(f"      tasks: {s['task_kinds']}")
        for line in s.get("grew", [])[:8]:
            print(f"      grew: {line}")


async def soak(args: argparse.Namespace) -> None:
    env = {**os.environ, **SETTINGS}
    redis = None
    if not args.memory:
        redis, redis_url = await procs.start_redis("churn-redis")
        env["REDIS_URL"] = redis_url
    ports = [procs.free_port() for _ in range(args.nodes)]
    nodes = []
    for port in ports:
        argv = ["-m", "bench.churn", "node", "--port", str(port)]
        argv += ["--tracemalloc"] if args.tracemalloc else []
        nodes.append(
            await asyncio.create_subprocess_exec(sys.executable, *argv, env=env, cwd=procs.REPO_DIR)
        )
    try:
        for port in ports:
            await _wait_http(port)
        rooms = await asyncio.to_thread(_create_rooms, ports[0], args.rooms)
        urls = [f"ws://127.0.0.1:{p}/ws" for p in ports]
        rows: dict[int, list[dict[str, Any]]] = {p: [] for p in ports}
        _print_stats("start", ports, rows)
        for phase in (1, 2):
            tally = await _phase(urls, rooms, args.clients, args.phase)
            print(
                f"phase {phase}: {tally.joins} joins, {tally.posts} posts, {tally.leaves} leaves, "
                f"{tally.drops} drops, errors {dict(tally.errors)}; quiet {args.quiet} s",
                flush=True,
            )
            await asyncio.sleep(args.quiet)
            _print_stats(f"after phase {phase}", ports, rows)
        for port in ports:
            one, two = rows[port][1]["rss_mb"], rows[port][2]["rss_mb"]
            print(f"node :{port}: RSS phase 1 -> 2: {one} -> {two} MB ({(two - one) / one:+.1%})")
    finally:
        for node in nodes:
            node.terminate()
        for node in nodes:
            await asyncio.wait_for(node.wait(), 30)
        if redis is not None:
            redis.stop()


async def _wait_http(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            await asyncio.to_thread(_stats, port)
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise RuntimeError(f"node :{port} did not start")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.churn", description=__doc__.split("\n\n")[0]
    )
    sub = parser.add_subparsers(dest="cmd")
    node = sub.add_parser("node", help="(internal) one node with a statistics route")
    node.add_argument("--port", type=int, required=True)
    node.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--memory", action="store_true", help="one node, in-process backend")
    parser.add_argument("--clients", type=int, default=120)
    parser.add_argument("--rooms", type=int, default=12)
    parser.add_argument("--phase", type=float, default=40.0, help="seconds of churn per phase")
    parser.add_argument("--quiet", type=float, default=12.0, help="seconds of quiet after each")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args(argv)
    if args.cmd == "node":
        node_main(args.port, args.tracemalloc)
        return
    if args.memory:
        args.nodes = 1
    assert args.quiet > WINDOW_SECONDS + 3, "the quiet spell must outlast window, hold and TTL"
    asyncio.run(soak(args))


if __name__ == "__main__":
    main()
