"""Limits per client address (server/limits.py): one address cannot take a node's seats.

Live nodes on loopback with the limits set low; a second client address is 127.0.0.2 (all of
127/8 is loopback), and addresses behind a proxy come from `X-Forwarded-For`, which the node
trusts from 127.0.0.1 (FORWARDED_ALLOW_IPS), as behind nginx.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from server.headers import SECURITY_HEADERS
from server.limits import AddressBook, AddressLimits, address_key
from server.rates import Rate
from tests.faults.raw import RawSocket
from tests.support.client import TIMEOUT, Client
from tests.support.live import Live, live_server, node_settings


async def _handshake(live: Live, *, source: str = "127.0.0.1", extra: str = "") -> RawSocket:
    host, port = live.http.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port), local_addr=(source, 0))
    raw = RawSocket(reader, writer)
    await raw.send(RawSocket.upgrade_head(f"{host}:{port}", extra=extra))
    return raw


async def _status(raw: RawSocket) -> tuple[int, bytes]:
    async with asyncio.timeout(TIMEOUT):
        head = await raw.reader.readuntil(b"\r\n\r\n")
    return int(head.split()[1]), head.lower()


async def _close_all(sockets: list[RawSocket]) -> None:
    for raw in sockets:
        await raw.close()


async def test_the_connection_past_the_limit_gets_503_and_others_are_unaffected() -> None:
    """Three open from one address; the fourth gets 503 before the upgrade, with Retry-After and
    the security headers. The three still talk; another address still connects; a closed
    connection frees its place."""
    settings = node_settings(max_connections_per_address=3)
    async with live_server(settings) as live:
        members = [await Client.connect(live.url) for _ in range(3)]
        for i, member in enumerate(members):
            await member.join("night-owls", f"Member {i}")
        refused = await _handshake(live)
        status, head = await _status(refused)
        assert status == 503
        assert b"retry-after: 30" in head
        for name, value in SECURITY_HEADERS:
            assert name + b": " + value in head
        assert await refused.read_until_eof() == b"too many connections from your network"
        await refused.close()

        said = await members[0].ok("post", text="still here")
        await members[2].event("chat.message", seq=said["seq"])
        other = await _handshake(live, source="127.0.0.2")
        assert (await _status(other))[0] == 101
        await other.close()

        await members[1].close()
        book = live.app.address_limits.book
        async with asyncio.timeout(TIMEOUT):
            while book.open_count("127.0.0.1") > 2:  # noqa: ASYNC110 (the node sees the close)
                await asyncio.sleep(0.01)
        again = await Client.connect(live.url)
        await again.join("night-owls", "Back Again")
        for member in (members[0], members[2], again):
            await member.close()


async def test_the_handshake_past_the_rate_gets_429() -> None:
    settings = node_settings(handshake_rate_per_address="3/minute")
    async with live_server(settings) as live:
        first = [await _handshake(live) for _ in range(3)]
        assert [(await _status(raw))[0] for raw in first] == [101, 101, 101]
        too_fast = await _handshake(live)
        status, head = await _status(too_fast)
        assert status == 429
        assert b"retry-after: 10" in head
        other = await _handshake(live, source="127.0.0.2")
        assert (await _status(other))[0] == 101
        await _close_all([*first, too_fast, other])


async def test_behind_a_proxy_the_forwarded_client_is_counted() -> None:
    """Through a trusted proxy (127.0.0.1 here) every client arrives from the proxy's address;
    the node counts the address the proxy forwards, so one client's limit is not everyone's."""
    settings = node_settings(max_connections_per_address=2)
    async with live_server(settings) as live:
        forwarded = "X-Forwarded-For: 203.0.113.7\r\n"
        held = [await _handshake(live, extra=forwarded) for _ in range(2)]
        assert [(await _status(raw))[0] for raw in held] == [101, 101]
        refused = await _handshake(live, extra=forwarded)
        assert (await _status(refused))[0] == 503
        neighbour = await _handshake(live, extra="X-Forwarded-For: 203.0.113.8\r\n")
        assert (await _status(neighbour))[0] == 101
        await _close_all([*held, refused, neighbour])


@pytest.mark.parametrize(
    ("client", "key"),
    [
        (("192.0.2.10", 5000), "192.0.2.10"),
        (("2001:db8:1:2:aaaa::1", 5000), "2001:db8:1:2::/64"),
        (("2001:db8:1:2:ffff:1:2:3", 5000), "2001:db8:1:2::/64"),  # the same household
        (("2001:db8:1:3::1", 5000), "2001:db8:1:3::/64"),  # the next one is not
        (("::ffff:192.0.2.10", 5000), "192.0.2.10"),  # an IPv4 client on a dual-stack socket
        (None, None),
        (("not an address", 0), None),
    ],
)
def test_address_keys_group_ipv6_by_64(client: Any, key: str | None) -> None:
    assert address_key(client) == key


async def test_the_book_forgets_idle_addresses() -> None:
    """A flood of addresses cannot grow the table without bound: idle entries are swept."""
    book = AddressBook(max_connections=5, handshake_rate=None)
    for i in range(5000):
        key = f"10.0.{i // 256}.{i % 256}"
        assert await book.admit(key) is None
        book.release(key)
    assert await book.admit("192.0.2.1") is None
    assert len(book._addresses) < 2100
    assert book.open_count("192.0.2.1") == 1


async def test_without_the_denial_extension_the_refusal_is_a_1013_close() -> None:
    """Under an ASGI server with no denial responses, the upgrade is accepted and closed with
    1013 and the reason (docs/protocol.md)."""
    book = AddressBook(max_connections=0, handshake_rate=Rate(1, 60))
    ran: list[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        ran.append(True)

    limits = AddressLimits(app, book)
    scope = {"type": "websocket", "client": ("192.0.2.1", 1), "extensions": {}}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await limits(scope, receive, send)
    await limits(scope, receive, send)
    assert ran == [True]
    assert sent == [
        {"type": "websocket.accept"},
        {
            "type": "websocket.close",
            "code": 1013,
            "reason": "too many connection attempts from your network",
        },
    ]
