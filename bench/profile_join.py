"""Where a join's time goes: cProfile of joins into a room of 100, one node in this process.

    uv run python -m bench.profile_join [--members 100] [--joins 20] [--top 25]

A throwaway Redis, one sharecircle node (uvicorn, in this event loop) and plain WebSocket
clients. `--members` people join first (not profiled); then `--joins` more join one after
another under cProfile, each into a room that has `--members` people or more. The report lists
the functions of the server's own packages (server/, rooms/, facilitation/) by their own time,
and the whole join's wall and CPU time (the clients run in the same process: their share is in
the totals, not in the filtered list). docs/benchmarks.md ("profile") says what it showed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import pstats
import socket
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from bench import procs
from bench.peers import SHARECIRCLE_BENCH_SETTINGS
from bench.protocols import SHARECIRCLE_ADMIN_TOKEN, SHARECIRCLE_SECRET
from server.app import create_app
from server.runner import DrainingServer, make_config
from server.settings import Settings

ROOM = "night-owls"
OURS = ("/server/", "/rooms/", "/facilitation/")


async def _join(url: str, name: str) -> ClientConnection:
    ws = await connect(url, subprotocols=["sharecircle.v1.json"])  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "join", "id": 1, "room": ROOM, "name": name}))
    for _ in range(10_000):  # bounded: the hello, then events until our ack
        frame = json.loads(await ws.recv())
        if frame.get("type") in ("ack", "error") and frame.get("id") == 1:
            if frame["type"] == "error":
                raise RuntimeError(frame["code"])
            return ws
    raise RuntimeError("no ack")


async def _run(members: int, joins: int, top: int) -> str:
    redis, redis_url = await procs.start_redis("profile-redis")
    env = {k.removeprefix("SHARECIRCLE_").lower(): v for k, v in SHARECIRCLE_BENCH_SETTINGS.items()}
    settings = Settings.from_mapping(
        {
            **env,
            "redis_url": redis_url,
            "secret": SHARECIRCLE_SECRET,
            "admin_token": SHARECIRCLE_ADMIN_TOKEN,
            "data_dir": str(procs.SCRATCH_DIR / "profile-data"),
            "log_level": "warning",
        }
    )
    app = create_app(settings)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"ws://127.0.0.1:{sock.getsockname()[1]}/ws"
    server = DrainingServer(make_config(app, settings, logs=False))
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    clients: list[ClientConnection] = []
    try:
        for _ in range(1000):  # bounded wait for start-up
            if server.started:
                break
            await asyncio.sleep(0.01)
        for i in range(members):
            clients.append(await _join(url, f"warm {i}"))
        profile = cProfile.Profile()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        profile.enable()
        for i in range(joins):
            clients.append(await _join(url, f"profiled {i}"))
        profile.disable()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("tottime").print_stats("|".join(OURS), top)
        head = (
            f"{joins} joins into a room of {members}..{members + joins - 1}: "
            f"{1000 * wall / joins:.2f} ms wall and {1000 * cpu / joins:.2f} ms CPU per join "
            "(server and clients together, under cProfile)\n"
        )
        return head + out.getvalue()
    finally:
        for ws in clients:
            await ws.close()
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, 15)
        sock.close()
        redis.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_join", description=__doc__)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--joins", type=int, default=20)
    parser.add_argument("--top", type=int, default=25)
    args: Any = parser.parse_args(argv)
    print(asyncio.run(_run(args.members, args.joins, args.top)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
