"""Whole HTTP requests are bounded (size, header count, time), and every refusal carries the
security headers: raw sockets against a live node on loopback (server/http_limits.py,
server/runner.py)."""

from __future__ import annotations

import asyncio
import time

import pytest

from server.headers import SECURITY_HEADERS
from tests.faults.raw import RawSocket
from tests.support.client import Client
from tests.support.live import Live, live_server, node_settings

DEADLINE = 0.5


@pytest.fixture
async def live() -> Live:  # type: ignore[misc]
    async with live_server(node_settings(handshake_timeout_seconds=DEADLINE)) as server:
        yield server


def _head(answer: bytes) -> dict[bytes, bytes]:
    lines = answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, v in (line.split(b":", 1) for line in lines)}


def _has_security_headers(answer: bytes) -> bool:
    head = _head(answer)
    return all(head.get(name) == value for name, value in SECURITY_HEADERS)


async def _still_serves(live: Live) -> None:
    assert (await live.get("/healthz")).status_code == 200
    client = await Client.connect(live.url)
    await client.join("night-owls", "Still Here")
    await client.close()


@pytest.mark.parametrize("path", ["/api/rooms", "/ws"])
async def test_five_thousand_headers_in_one_packet_get_431(live: Live, path: str) -> None:
    """h11 alone parsed a 60 KB head that arrived whole; now more than 100 headers, or a head
    over 16 KiB, is refused with 431 before the app or the WebSocket protocol sees it."""
    host = live.http.removeprefix("http://")
    padding = "".join(f"X-H{i}: v\r\n" for i in range(5000))
    if path == "/ws":
        request = RawSocket.upgrade_head(host, extra=padding)
    else:
        request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{padding}\r\n".encode()
    assert len(request) > 50_000
    async with await RawSocket.open(live.http) as raw:
        raw.writer.write(request)  # one write: the whole head at once
        answer = await raw.read_until_eof()
    assert answer.startswith(b"HTTP/1.1 431"), answer[:80]
    assert _has_security_headers(answer)
    await _still_serves(live)


async def test_101_headers_are_too_many_and_100_are_not(live: Live) -> None:
    host = live.http.removeprefix("http://")
    for count, status in ((98, b"200"), (101, b"431")):  # Host + 98 + Connection = 100
        padding = "".join(f"X-H{i}: v\r\n" for i in range(count))
        request = f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n{padding}Connection: close\r\n\r\n"
        async with await RawSocket.open(live.http) as raw:
            await raw.send(request.encode())
            answer = await raw.read_until_eof()
        assert answer.startswith(b"HTTP/1.1 " + status), (count, answer[:40])


async def test_a_declared_huge_body_gets_413_at_once(live: Live) -> None:
    host = live.http.removeprefix("http://")
    head = (
        f"POST /api/admin/rooms HTTP/1.1\r\nHost: {host}\r\nContent-Length: 100000000\r\n"
        "Content-Type: application/json\r\n\r\n"
    )
    async with await RawSocket.open(live.http) as raw:
        await raw.send(head.encode() + b"{")
        answer = await raw.read_until_eof()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:60]
    assert _has_security_headers(answer)


async def test_a_chunked_body_over_64_kib_is_refused(live: Live) -> None:
    host = live.http.removeprefix("http://")
    head = f"POST /api/admin/rooms HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunk = b"%x\r\n%s\r\n" % (16384, b"a" * 16384)
    async with await RawSocket.open(live.http) as raw:
        await raw.send(head.encode() + chunk * 5)
        answer = await raw.read_until_eof()
    # The app may have answered 401 (no admin token) before the body was all there.
    assert answer.startswith((b"HTTP/1.1 413", b"HTTP/1.1 401")), answer[:60]
    await _still_serves(live)


async def test_a_dripping_body_is_cut_off_at_the_request_deadline(live: Live) -> None:
    """`Content-Length: 65000` (allowed) sent a byte at a time: the node answers 408 and closes
    within the deadline (0.5 s here, `handshake_timeout_seconds`, 10 s by default), instead of
    holding the connection for as long as the client drips. Others are served meanwhile."""
    host = live.http.removeprefix("http://")
    head = (
        f"POST /api/admin/rooms HTTP/1.1\r\nHost: {host}\r\nContent-Length: 65000\r\n"
        "Authorization: Bearer test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0\r\n\r\n"  # so the app waits for the body
    )
    async with await RawSocket.open(live.http) as raw:
        await raw.send(head.encode())
        started = time.monotonic()

        async def drip() -> None:
            for _ in range(200):
                raw.writer.write(b"a")
                await asyncio.sleep(0.05)

        dripping = asyncio.create_task(drip())
        try:
            await _still_serves(live)
            answer = await raw.read_until_eof()
        finally:
            dripping.cancel()
            await asyncio.gather(dripping, return_exceptions=True)
        waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer[:60]
    assert _has_security_headers(answer)
    assert waited < DEADLINE + 3  # bounded by the deadline, not by the 10 s of dripping


async def test_uvicorns_own_400_carries_the_security_headers(live: Live) -> None:
    async with await RawSocket.open(live.http) as raw:
        await raw.send(b"NOT HTTP AT ALL\r\n\r\n")
        answer = await raw.read_until_eof()
    assert answer.startswith(b"HTTP/1.1 400"), answer[:60]
    assert _has_security_headers(answer)


async def test_a_refused_upgrade_carries_the_security_headers(live: Live) -> None:
    """The endpoint's own denial (a foreign Origin gets 403) goes through the same headers."""
    host = live.http.removeprefix("http://")
    async with await RawSocket.open(live.http) as raw:
        await raw.send(RawSocket.upgrade_head(host, extra="Origin: https://evil.example\r\n"))
        answer = await raw.read_until_eof()
    assert answer.startswith(b"HTTP/1.1 403"), answer[:60]
    assert _has_security_headers(answer)


async def test_pages_carry_each_security_header_once(live: Live) -> None:
    response = await live.get("/api/rooms")
    for name, value in SECURITY_HEADERS:
        assert response.headers.get_list(name.decode()) == [value.decode()]
