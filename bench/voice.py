"""Voice fan-out: one speaker heard by many listeners, next to text fan-out (issue 17 §6).

    uv run python -m bench.voice [--nodes 2] [--listeners 1000] [--seconds 20] [--fps 50]
                                 [--posts-per-second 2]

The full scenario is 1 speaker → 1,000 listeners at 50 frames/s (50,000 frames/s out). It
starts a throwaway Redis and `--nodes` real nodes (`sharecircle serve`, loopback only), makes a
room with voice on, seats a facilitator and the speaker on the first node and spreads the
listeners over all nodes (each with its chat connection and its media connection on the same
node). The facilitator opens a round that gives the speaker the floor; the speaker sends 20 ms
frames of 80 bytes (an Opus packet's size at 32 kbit/s) at `--fps`, each carrying its send
time; meanwhile the facilitator posts text at `--posts-per-second`, also stamped. Prints:

- node CPU (user + system) per listener, as a share of one core;
- audio frame latency from the speaker's send to each listener's receive: p50, p99, max;
- frames lost: expected (sent × listeners) minus received, and the nodes' own counters of
  frames dropped for slow listeners;
- text latency (p50, p99) for the same listeners, for comparison.

Numbers only, no assertions. The load generator is one Python process: at 1,000 listeners it is
often the bottleneck on a small machine (its own CPU is printed too). A quick variant for a
shared machine: `--nodes 2 --listeners 20 --seconds 3` (well under a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import struct
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import psutil

from bench import procs

ADMIN = "voice-bench-admin-Rk4Tz8Lq2Wm6Xc1Vb9Nh3Jf7Pd5Gs0Ey"
METRICS = "voice-bench-metrics-Hw2Qn7Zk4Lr9Tc3Vx6Bm1Jd8Fs5Pg0Ue"
SETTINGS = {
    "SHARECIRCLE_SECRET": "voice-bench-secret-Qm3Lx8Vr2Tk7Hn5Wc9Zp4Jf6Bd1Sg0Ye",
    "SHARECIRCLE_ADMIN_TOKEN": ADMIN,
    "SHARECIRCLE_METRICS_TOKEN": METRICS,
    "SHARECIRCLE_POST_RATE": "1000/second",
    "SHARECIRCLE_COMMAND_RATE": "1000/second",
    "SHARECIRCLE_FRAME_CEILING": "1000000/minute",
    "SHARECIRCLE_RAID_JOINS": "1000000",
    "SHARECIRCLE_MAX_CONNECTIONS_PER_ADDRESS": "0",
    "SHARECIRCLE_HANDSHAKE_RATE_PER_ADDRESS": "",
    "SHARECIRCLE_JOIN_RATE_PER_ADDRESS": "",
    "SHARECIRCLE_FAILED_JOIN_RATE_PER_ADDRESS": "",
    "SHARECIRCLE_LOBBY_WAITING_PER_ADDRESS": "0",
    "SHARECIRCLE_MAX_CONNECTIONS_PER_SESSION": "5",
    "SHARECIRCLE_LOG_LEVEL": "warning",
}
ROOM = "voice-bench"
HEADER = struct.Struct(">BBII")
STAMP = struct.Struct(">q")
PACKET_BYTES = 80


@dataclass
class Listener:
    audio_ms: list[float] = field(default_factory=list)
    text_ms: list[float] = field(default_factory=list)


def _now_ns() -> int:
    return time.monotonic_ns()  # CLOCK_MONOTONIC: one clock for every process on the machine


def _admin(port: int, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
        result: dict[str, Any] = json.loads(response.read())
        return result


def _metric(port: int, name: str) -> float:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/metrics",
        headers={"Authorization": f"Bearer {METRICS}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
        text = response.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name))


async def _reply(ws: Any, cid: int) -> dict[str, Any]:
    for _ in range(10_000):  # bounded: a join's snapshot and events come before the ack
        frame = json.loads(await ws.recv())
        if frame.get("id") == cid:
            return frame  # type: ignore[no-any-return]
    raise RuntimeError("no reply")


async def _seat(port: int, name: str, **join: Any) -> tuple[Any, dict[str, Any]]:
    from websockets.asyncio.client import connect

    ws = await connect(
        f"ws://127.0.0.1:{port}/ws",
        subprotocols=["sharecircle.v1.json"],  # type: ignore[list-item]
        open_timeout=60,
        max_queue=None,
    )
    await ws.recv()  # hello
    await ws.send(json.dumps({"type": "join", "id": 1, "room": ROOM, "name": name, **join}))
    reply = await _reply(ws, 1)
    if reply["type"] != "ack":
        raise RuntimeError(f"join refused: {reply}")
    return ws, reply


async def _media(port: int, token: str, *, listen: bool) -> Any:
    from websockets.asyncio.client import connect

    ws = await connect(
        f"ws://127.0.0.1:{port}/media",
        subprotocols=["sharecircle.v1.media"],  # type: ignore[list-item]
        open_timeout=60,
        max_queue=None,
    )
    await ws.send(json.dumps({"type": "auth", "token": token, "listen": listen}))
    ready = json.loads(await ws.recv())
    if ready.get("type") != "ready":
        raise RuntimeError(f"media refused: {ready}")
    return ws


async def _listen_chat(ws: Any, me: Listener, until: float) -> None:
    while time.monotonic() < until:
        try:
            data = await asyncio.wait_for(ws.recv(), until - time.monotonic())
        except (TimeoutError, Exception):
            return
        if '"chat.message"' in data:
            text = json.loads(data).get("text", "")
            if text.startswith("t:"):
                me.text_ms.append((_now_ns() - int(text[2:])) / 1e6)


async def _listen_audio(ws: Any, me: Listener, until: float) -> None:
    while time.monotonic() < until:
        try:
            data = await asyncio.wait_for(ws.recv(), until - time.monotonic())
        except (TimeoutError, Exception):
            return
        if isinstance(data, bytes) and data[0] == 2:
            start = HEADER.size + 1 + data[HEADER.size]
            (sent,) = STAMP.unpack_from(data, start)
            me.audio_ms.append((_now_ns() - sent) / 1e6)


async def _speak(ws: Any, fps: int, until: float) -> int:
    period, sent, seq = 1.0 / fps, 0, 0
    next_at = time.monotonic()
    while time.monotonic() < until:
        seq += 1
        packet = STAMP.pack(_now_ns()) + bytes(PACKET_BYTES - STAMP.size)
        await ws.send(HEADER.pack(1, 0, seq, seq * 20) + packet)
        sent += 1
        next_at += period
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    return sent


async def _post(ws: Any, rate: float, until: float) -> int:
    posted, cid = 0, 100
    while time.monotonic() < until and rate > 0:
        cid += 1
        await ws.send(json.dumps({"type": "post", "id": cid, "text": f"t:{_now_ns()}"}))
        posted += 1
        await asyncio.sleep(1.0 / rate)
    return posted


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


async def run(nodes: int, listeners: int, seconds: float, fps: int, posts: float) -> dict[str, Any]:
    procs.install_exit_handlers()
    redis, url = await procs.start_redis()
    ports = [procs.free_port() for _ in range(nodes)]
    children = []
    try:
        for port in ports:
            child = procs.spawn(
                f"voice-node-{port}",
                [
                    sys.executable,
                    "-m",
                    "server.cli",
                    "serve",
                    "--port",
                    str(port),
                    "--redis-url",
                    url,
                ],
                cpu=None,
                port=port,
                env=SETTINGS,
            )
            children.append(child)
            await procs.wait_port(child, "127.0.0.1", port, within_s=120)
        return await _measure(ports, children, listeners, seconds, fps, posts)
    finally:
        for child in children:
            child.stop()
        redis.stop()


async def _measure(
    ports: list[int], children: list[Any], count: int, seconds: float, fps: int, posts: float
) -> dict[str, Any]:
    first = ports[0]
    _admin(first, "/api/admin/rooms", {"slug": ROOM, "voice": True, "share_seconds": 1200})
    invite = _admin(first, f"/api/admin/rooms/{ROOM}/invites", {"role": "facilitator"})["token"]
    fac, _ = await _seat(first, "Chair", facilitator=invite)
    speaker, joined = await _seat(first, "Speaker")
    people = []
    for n in range(count):
        port = ports[n % len(ports)]
        chat, reply = await _seat(port, f"Listener {n}")
        people.append((chat, await _media(port, reply["token"], listen=True), Listener()))
    speaker_media = await _media(first, joined["token"], listen=False)
    await fac.send(
        json.dumps(
            {"type": "round.open", "id": 2, "topic": "", "order": "hands", "share_seconds": 1200}
        )
    )
    await speaker.send(json.dumps({"type": "hand.raise", "id": 3}))
    await speaker_media.send(json.dumps({"type": "speak", "on": True}))
    for _ in range(1000):  # bounded: wait for `live`
        frame = await speaker_media.recv()
        if isinstance(frame, str) and json.loads(frame).get("live") is True:
            break
    dropped0 = sum(
        _metric(p, 'sharecircle_audio_frames_dropped_total{reason="slow"}') for p in ports
    )
    cpu0 = [procs.tree_cpu_seconds(c.pid) for c in children]
    me0 = psutil.Process(os.getpid()).cpu_times()
    until = time.monotonic() + seconds
    tail = until + 1.0  # frames in flight at the end still count
    tasks = [asyncio.create_task(_listen_chat(c, who, tail)) for c, _, who in people]
    tasks += [asyncio.create_task(_listen_audio(m, who, tail)) for _, m, who in people]
    sent, posted = await asyncio.gather(_speak(speaker_media, fps, until), _post(fac, posts, until))
    await asyncio.gather(*tasks)
    cpu = sum(procs.tree_cpu_seconds(c.pid) for c in children) - sum(cpu0)
    me1 = psutil.Process(os.getpid()).cpu_times()
    dropped = sum(
        _metric(p, 'sharecircle_audio_frames_dropped_total{reason="slow"}') for p in ports
    )
    audio = [ms for *_, who in people for ms in who.audio_ms]
    text = [ms for *_, who in people for ms in who.text_ms]
    for chat, media, _ in people:
        await chat.close()
        await media.close()
    return {
        "nodes": len(ports),
        "listeners": count,
        "seconds": seconds,
        "fps": fps,
        "frames_sent": sent,
        "frames_expected": sent * count,
        "frames_received": len(audio),
        "frames_lost": sent * count - len(audio),
        "frames_dropped_slow": dropped - dropped0,
        "node_cpu_pct_per_listener": round(100 * cpu / seconds / max(count, 1), 4),
        "node_cpu_pct_total": round(100 * cpu / seconds, 1),
        "loadgen_cpu_pct": round(
            100 * ((me1.user + me1.system) - (me0.user + me0.system)) / seconds, 1
        ),
        "audio_ms": {"p50": _pct(audio, 0.5), "p99": _pct(audio, 0.99), "max": _pct(audio, 1.0)},
        "posts": posted,
        "text_ms": {"p50": _pct(text, 0.5), "p99": _pct(text, 0.99), "max": _pct(text, 1.0)},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.voice", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--listeners", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--fps", type=int, default=50)
    parser.add_argument("--posts-per-second", type=float, default=2.0)
    args = parser.parse_args(argv)
    result = asyncio.run(
        run(args.nodes, args.listeners, args.seconds, args.fps, args.posts_per_second)
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
