"""`GET /metrics` follows real traffic on an in-process node, and never names anyone.

Counters are per process and other tests in this process move them too, so each test compares a
scrape after its traffic with one before. Gauges are read from the scraped node itself.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
from collections.abc import Callable
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from server import metrics
from tests.support.client import TIMEOUT, Client
from tests.support.live import Live, live_server, node_settings

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


AUTH = {"Authorization": "Bearer test-metrics"}  # node_settings' metrics_token


async def scrape(live: Live) -> Samples:
    response = await live.get("/metrics", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def until(
    live: Live, check: Callable[[Samples], bool], *, within: float = TIMEOUT
) -> Samples:
    """Scrape until `check` holds (gauges follow disconnects a moment later)."""
    async with asyncio.timeout(within):
        while not check(samples := await scrape(live)):  # noqa: ASYNC110 (another component)
            await asyncio.sleep(0.02)
    return samples


async def test_counters_and_gauges_follow_a_conversation() -> None:
    """Two members join and talk: connections, rooms, commands and frames all move."""
    async with live_server() as live:
        before = await scrape(live)
        alice = await Client.connect(live.url)
        bob = await Client.connect(live.url, binary=True)
        await alice.join("night-owls", "Alice")
        await bob.join("night-owls", "Bob")
        first = await alice.ok("post", text="hello from the metrics test")
        second = await bob.ok("post", text="hello back")
        await alice.event("chat.message", seq=second["seq"])
        await bob.event("chat.message", seq=first["seq"])

        during = await scrape(live)
        assert value(during, "sharecircle_connections") == 2
        assert value(during, "sharecircle_rooms_active") == 1
        assert value(during, "sharecircle_draining") == 0

        def delta(name: str, **labels: str) -> float:
            return value(during, name, **labels) - value(before, name, **labels)

        assert delta("sharecircle_connections_opened_total") == 2
        assert delta("sharecircle_commands_received_total", command="join") == 2
        assert delta("sharecircle_commands_received_total", command="post") == 2
        sent_to_clients = len(alice.frames) + len(bob.frames)
        assert delta("sharecircle_frames_sent_total") >= sent_to_clients

        await alice.close()
        await bob.close()
        after = await until(live, lambda s: value(s, "sharecircle_connections") == 0)
        assert value(after, "sharecircle_rooms_active") == 0
        closed = value(after, "sharecircle_connections_closed_total")
        assert closed - value(before, "sharecircle_connections_closed_total") == 2


async def test_metrics_name_no_one_and_quote_nothing() -> None:
    """No display name, member id, message text or address appears in the exposition."""
    async with live_server() as live:
        alice = await Client.connect(live.url)
        reply = await alice.join("night-owls", "Wrenfield")
        ack = await alice.ok("post", text="a very private sentence")
        await alice.event("chat.message", seq=ack["seq"])
        text = (await live.get("/metrics", headers=AUTH)).text
        for secret in ("Wrenfield", reply["member"]["id"], "private sentence", "127.0.0.1"):
            assert secret not in text
        labels = {
            key
            for family in text_string_to_metric_families(text)
            if family.name.startswith("sharecircle_")
            for sample in family.samples
            for key in sample.labels
        }
        assert labels <= {"command", "code", "le", "reason"}
        await alice.close()


async def test_slow_reader_is_counted_and_disconnected() -> None:
    """A member who stops reading overflows their outbox: counted, and their connection ends."""
    async with live_server(node_settings(max_text_chars=7900)) as live:
        before = await scrape(live)
        raw = await _stalled_member(live, "night-owls", "Stalled")
        bob = await Client.connect(live.url)
        try:
            await bob.join("night-owls", "Bob")
            await _post_until_overflow(live, bob)
            name = "sharecircle_send_queue_overflows_total"
            samples = await until(live, lambda s: value(s, name) > value(before, name))
            assert value(samples, name) - value(before, name) == 1
            await until(live, lambda s: value(s, "sharecircle_connections") == 1)
        finally:
            raw.close()
            await bob.close()


async def _post_until_overflow(live: Live, bob: Client) -> None:
    """Post long messages until the node marks the stalled member's outbox as overflowed."""
    async with asyncio.timeout(TIMEOUT):
        while len(_seated(live)) < 2:  # noqa: ASYNC110 (the node processes the join)
            await asyncio.sleep(0.01)
    stalled = next(c for c in _seated(live) if c.member_id != bob.member["id"])  # type: ignore[index]
    for _ in range(100):  # ~8 KB a post; the kernel buffers take a megabyte or two first
        if stalled.closing is not None:
            break
        for _ in range(19):  # pipelined: acks come back in order, so the last one vouches
            await bob.send("post", text="x" * 7900)
        await bob.ok("post", text="x" * 7900)
    assert stalled.closing is not None
    assert stalled.closing.code == 4008


async def test_drain_shows_in_metrics() -> None:
    """After a drain starts, the node reports draining and counts its 1012 closes."""
    async with live_server() as live:
        before = await scrape(live)
        alice = await Client.connect(live.url)
        await alice.join("night-owls", "Alice")
        live.node.endpoint.drain()
        assert (await alice.closed())[0] == 1012
        samples = await scrape(live)
        assert value(samples, "sharecircle_draining") == 1
        closes = value(samples, "sharecircle_server_closes_total", code="1012")
        assert closes - value(before, "sharecircle_server_closes_total", code="1012") == 1


async def test_hooks_for_the_lower_layers_record() -> None:
    """The callables meant for the hub and the Redis listener move their metrics."""
    async with live_server() as live:
        before = await scrape(live)
        metrics.backend_reconnected()
        metrics.observe_fanout(0.0004)
        after = await scrape(live)
        for name in ("sharecircle_backend_reconnects_total", "sharecircle_fanout_seconds_count"):
            assert value(after, name) - value(before, name) == 1
        bucket = {"le": "0.0005"}
        assert value(after, "sharecircle_fanout_seconds_bucket", **bucket) > value(
            before, "sharecircle_fanout_seconds_bucket", **bucket
        )


def _seated(live: Live) -> list[Any]:
    return [c for c in live.node.endpoint.connections.values() if c.member_id]


async def _stalled_member(live: Live, room: str, name: str) -> socket.socket:
    """A seated member on a raw socket with a tiny receive buffer that never reads again."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    port = int(live.http.rsplit(":", 1)[1])
    await loop.sock_connect(sock, ("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: sharecircle.v1.json\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    head = b""
    async with asyncio.timeout(TIMEOUT):
        while b"\r\n\r\n" not in head:
            head += await loop.sock_recv(sock, 1)  # byte by byte: leave the frames unread
    assert head.startswith(b"HTTP/1.1 101"), head
    join = json.dumps({"type": "join", "id": 1, "room": room, "name": name}).encode()
    await loop.sock_sendall(sock, _masked_text_frame(join))
    return sock


def _masked_text_frame(payload: bytes) -> bytes:
    assert len(payload) < 126
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + body


async def test_metrics_need_the_bearer_token() -> None:
    """Without the token (or with a wrong one) a scrape gets 401 and names the scheme."""
    async with live_server() as live:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "test-metrics"}):
            response = await live.get("/metrics", headers=headers)
            assert response.status_code == 401, headers
            assert response.headers["www-authenticate"] == "Bearer"
            assert "sharecircle_" not in response.text
        assert (await live.get("/metrics", headers=AUTH)).status_code == 200


async def test_metrics_are_off_while_no_token_is_set() -> None:
    """A node without `metrics_token` serves no metrics to anyone (403), token or not."""
    async with live_server(node_settings(metrics_token=None)) as live:
        for headers in ({}, AUTH):
            response = await live.get("/metrics", headers=headers)
            assert response.status_code == 403
            assert "metrics_token" in response.text
