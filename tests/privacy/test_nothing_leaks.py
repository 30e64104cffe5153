"""What is said stays in the room: no word, name or reason reaches logs, errors, metrics or Redis.

A whole meeting runs on two real nodes with unique marker strings in every message, display name,
report reason and round topic, plus the requests that fail on them. Afterwards the markers are
searched for in both nodes' captured output, every error reply, both `/metrics` pages, every
key and value in Redis once the (2 s) replay window has passed, and the files of the nodes'
durable store, where only what an open report holds may appear. No client address may be logged
either. docs/privacy.md makes these promises.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis

from tests.faults.conftest import StartNodes
from tests.faults.people import Person, invite
from tests.support.client import TIMEOUT, Client
from tests.support.nodes import NodeProcess
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.cluster

ROOM = "daily-check-in"
WINDOW = 2  # seconds of replay window on these nodes


class Markers:
    """Unique strings that must never leave the room."""

    def __init__(self) -> None:
        self.all: list[str] = []
        self.reported: set[str] = set()
        """What an open report may keep in the store: the message, its writer's name, the
        reporter's reason (docs/privacy.md, "What is on disk")."""

    def new(self, kind: str) -> str:
        marker = f"{kind}{secrets.token_hex(5)}"
        self.all.append(marker)
        return marker

    def found_in(self, blob: str | bytes) -> list[str]:
        text = blob.decode("utf-8", "replace") if isinstance(blob, bytes) else blob
        return [m for m in self.all if m in text]


@pytest.fixture
def markers() -> Markers:
    return Markers()


def _redis_dump(url: str) -> bytes:
    """Every key and the serialized value of every key (what RDB and replication would carry)."""
    client = Redis.from_url(url)
    try:
        out = b""
        for key in client.scan_iter(count=1000):
            out += key + b"\n" + (client.dump(key) or b"") + b"\n"
        return out
    finally:
        client.close()


def _store_files(node: NodeProcess) -> bytes:
    """Every byte of the node's SQLite store: the database, its WAL and shared-memory files."""
    store = Path(node.settings["data_dir"])
    return b"".join(p.read_bytes() for p in sorted(store.iterdir()) if p.is_file())


def _network_marks(node: NodeProcess) -> list[str]:
    """The keyed network marks in the node's ban records (waits, bounded, for the holder node
    to add them after the ban's event)."""
    database = Path(node.settings["data_dir"]) / "sharecircle.db"
    for _ in range(100):
        with contextlib.closing(sqlite3.connect(database)) as db:
            rows = db.execute("SELECT mark FROM ban_marks WHERE mark LIKE 'n:%'").fetchall()
        if rows:
            return [str(row[0]) for row in rows]
        time.sleep(0.05)
    raise AssertionError("no network mark reached the ban record")


def _redis_values(url: str) -> bytes:
    """Every key and every value in Redis, uncompressed (strings, hashes, streams)."""
    client = Redis.from_url(url)
    try:
        out = b""
        for key in client.scan_iter(count=1000):
            kind = client.type(key)
            if kind == b"string":
                out += client.get(key) or b""
            elif kind == b"hash":
                out += b"".join(k + v for k, v in client.hgetall(key).items())
            elif kind == b"stream":
                for _, fields in client.xrange(key):
                    out += b"".join(k + v for k, v in fields.items())
            out += key + b"\n"
        return out
    finally:
        client.close()


async def _metrics(node: NodeProcess) -> str:
    async with httpx.AsyncClient(base_url=node.http, timeout=TIMEOUT) as http:
        response = await http.get("/metrics", headers=node.metrics_auth)
    assert response.status_code == 200
    return response.text


async def _meeting(a: NodeProcess, b: NodeProcess, markers: Markers) -> list[dict[str, Any]]:
    """A meeting full of markers; returns every error frame anyone received."""
    fran = Person(markers.new("NAMEfran"), ROOM)
    await fran.join(a.url, facilitator=await invite(a.http, ROOM))
    ann = Person(markers.new("NAMEann"), ROOM)
    ben = Person(markers.new("NAMEben"), ROOM, binary=True)
    await ann.join(a.url)
    await ben.join(b.url)
    people = [fran, ann, ben]
    said = [await p.ok("post", text=f"I feel {markers.new('TEXT')} today") for p in people]
    reason = markers.new("REASON")
    markers.reported = {markers.all[-2], ben.name, reason}  # ben's message, name; the reason
    await ann.ok("report", mid=said[2]["seq"], reason=f"because {reason}")
    await fran.event("report.filed", mid=said[2]["seq"])
    await fran.ok("round.open", topic=f"topic {markers.new('TOPIC')}", share_seconds=60)
    await ben.ok("hand.raise")
    await ben.event("floor.granted", member=ben.member_id)
    await ben.ok("post", text=f"my share {markers.new('SHARE')}")
    await ben.ok("share.done")
    await fran.ok("round.end")
    # Requests that fail while carrying markers: their errors must not quote them.
    refusals = [
        await ann.request("post", text=f"{markers.new('LONG')} " + "x" * 2100),
        await ann.request("report", mid=said[2]["seq"], reason=markers.new("LONGREASON") * 30),
    ]
    stranger = await Client.connect(b.url)
    for name in (ann.name, f"{markers.new('BADNAME')}\u0007", markers.new("LONGNAME") * 3):
        refusals.append(await stranger.request("join", room=ROOM, name=name))
    await stranger.close()
    errors = [r for r in refusals if r["type"] == "error"]
    assert len(errors) == len(refusals)
    errors += [f for p in people for f in p.c.frames if f.get("type") == "error"]
    # A ban with a reason: the store keeps the marks and the end time, never the words.
    dee = Person(markers.new("NAMEdee"), ROOM)
    await dee.join(b.url)
    await fran.ok("ban", member=dee.member_id, seconds=600, reason=markers.new("BANREASON"))
    assert await dee.closed() == 4501
    for person in people:
        await person.ok("leave")
        await person.leave()
    return errors


async def test_no_marker_reaches_logs_errors_metrics_or_redis(
    redis: RedisServer, start_nodes: StartNodes, markers: Markers
) -> None:
    a, b = start_nodes(redis.url, 2, replay_window_seconds=WINDOW, log_level="debug")
    errors = await _meeting(a, b, markers)

    assert not markers.found_in(str(errors)), errors
    # Network marks live in ban records only: never in the meeting state, never in Redis.
    marks = _network_marks(a)
    in_redis = _redis_values(redis.url)
    assert not [m for m in marks if m.encode() in in_redis]
    assert b"127.0.0.1" not in in_redis
    for node in (a, b):
        assert not markers.found_in(await _metrics(node))
    # While the window lasts, the words are in Redis (that is what the window is for)...
    assert markers.found_in(_redis_dump(redis.url))
    # ...and once it has passed they are gone: expiry, not a cleanup job. Bounded wait.
    for _ in range(50):  # content keys expire window + 1 s after the last write
        if not markers.found_in(_redis_dump(redis.url)):
            break
        await asyncio.sleep(0.2)
    assert not markers.found_in(_redis_dump(redis.url))
    for node in (a, b):
        on_disk = _store_files(node)
        assert set(markers.found_in(on_disk)) <= markers.reported
        assert markers.reported <= set(markers.found_in(on_disk))  # the open report is kept
        assert b"127.0.0.1" not in on_disk  # marks are keyed hashes, never the address
    for node in (a, b):
        logs = node.logs()
        assert "sharecircle: serving" in logs  # the capture works
        assert not markers.found_in(logs), markers.found_in(logs)
        assert "127.0.0.1" not in logs.replace(f"http://127.0.0.1:{node.port}/", "")


async def test_a_room_reset_wipes_the_window_at_once(
    redis: RedisServer, start_nodes: StartNodes, markers: Markers
) -> None:
    """A facilitator's `room.reset` removes what was said from Redis immediately."""
    (a,) = start_nodes(redis.url, 1)
    fran = Person("Fran", ROOM)
    await fran.join(a.url, facilitator=await invite(a.http, ROOM))
    ann = Person("Ann", ROOM)
    await ann.join(a.url)
    await ann.ok("post", text=f"a secret {markers.new('RESET')}")
    assert markers.found_in(_redis_dump(redis.url))
    await fran.ok("room.reset")
    await ann.event("room.reset")
    assert not markers.found_in(_redis_dump(redis.url))
    for person in (fran, ann):
        await person.leave()


async def test_the_page_loads_nothing_from_anywhere_else(live: Any) -> None:
    """The Content-Security-Policy allows only the server's own origin ('self')."""
    response = await live.get("/")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    directives = dict(
        (parts[0], parts[1:]) for parts in (d.split() for d in csp.split(";") if d.strip())
    )
    assert directives["default-src"] == ["'self'"]
    for name, sources in directives.items():
        allowed = {"'self'", "'none'"} | ({"data:"} if name == "img-src" else set())
        assert set(sources) <= allowed, (name, sources)
    assert directives["connect-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert response.headers["referrer-policy"] == "no-referrer"
