"""Origin checked in full, Host checked first (issue 13 item 6), against live nodes.

A WebSocket from a browser page of another scheme, host or port gets 403 before the upgrade; a
request naming a host the node does not serve gets 400 before anything else, HTTP or WebSocket
(DNS rebinding). Nothing of a room is sent either way.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from server.origins import OriginPolicy, parse_origin
from server.settings import Settings, SettingsError
from tests.faults.raw import RawSocket
from tests.support.client import TIMEOUT, Client
from tests.support.live import Live, live_server, node_settings


async def _refused_status(url: str, origin: str) -> int:
    with pytest.raises(InvalidStatus) as refused:
        await Client.connect(url, origin=origin)
    return refused.value.response.status_code


async def test_a_foreign_scheme_or_port_origin_gets_403(live: Live) -> None:
    """For an http:// node, https://, ftp:// or another port of the same host is another site."""
    own = live.http  # http://127.0.0.1:PORT
    port = own.rsplit(":", 1)[1]
    for origin in (
        own.replace("http://", "https://"),
        own.replace("http://", "ftp://"),
        f"http://127.0.0.1:{int(port) + 1}",
        "null",
        f"{own}/path",
    ):
        assert await _refused_status(live.url, origin) == 403, origin
    page = await Client.connect(live.url, origin=own)  # the node's own origin still works
    await page.join("night-owls", "Own Page")
    await page.close()


async def test_the_public_origin_is_compared_in_full() -> None:
    """With `public_origin` set only that exact origin (and `allowed_origins`) may connect."""
    settings = node_settings(
        public_origin="https://circle.example.org",
        allowed_origins=["https://partner.example.net:8443"],
    )
    async with live_server(settings) as live:
        for origin in ("https://circle.example.org", "https://partner.example.net:8443"):
            assert await _handshake_status(live, "circle.example.org", origin) == 101, origin
        for origin in (
            "http://circle.example.org",
            "https://circle.example.org:8443",
            "https://partner.example.net",
            live.http,
        ):
            assert await _handshake_status(live, "circle.example.org", origin) == 403, origin


async def _handshake_status(live: Live, host: str, origin: str) -> int:
    """The status of a WebSocket handshake naming `host` and sent from a page at `origin`."""
    async with await RawSocket.open(live.http) as raw:
        await raw.send(RawSocket.upgrade_head(host, extra=f"Origin: {origin}\r\n"))
        async with asyncio.timeout(TIMEOUT):
            head = await raw.reader.readuntil(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1])


async def test_a_foreign_host_is_refused_before_anything_else(live: Live) -> None:
    """DNS rebinding: a page at evil.example resolving to the node, same origin as its Host."""
    port = live.http.rsplit(":", 1)[1]
    async with httpx.AsyncClient(base_url=live.http, timeout=TIMEOUT) as http:
        for path in ("/api/rooms", "/", "/healthz"):
            response = await http.get(path, headers={"Host": f"evil.example:{port}"})
            assert response.status_code == 400, path
            assert response.text == "unknown host"
            assert "content-security-policy" in response.headers
        assert (await http.get("/api/rooms")).status_code == 200
    assert await _handshake_status(live, f"evil.example:{port}", f"http://evil.example:{port}") == (
        400
    )
    assert live.node.endpoint.connections == {}


def test_trusted_hosts_default_and_forms() -> None:
    """Localhost forms, the listen host and the public host by default; ports and IPv6 parsed."""
    policy = OriginPolicy(
        listen_host="10.0.0.5",
        public_origin="https://Circle.Example.org",
        allowed_origins=[],
        trusted_hosts=[],
    )
    for host in ("localhost:8000", "127.0.0.1", "[::1]:8000", "10.0.0.5:80", "circle.example.org"):
        assert policy.host_allowed(host), host
    for host in ("", "evil.example", "10.0.0.6", "circle.example.org.evil", "a b", "x:notaport"):
        assert not policy.host_allowed(host), host
    wild = OriginPolicy(
        listen_host="0.0.0.0", public_origin=None, allowed_origins=[], trusted_hosts=["*.ex.org"]
    )
    assert wild.host_allowed("a.ex.org:443")
    assert not wild.host_allowed("localhost")
    assert not wild.host_allowed("ex.org.evil")
    assert parse_origin("HTTPS://A.example:443") == parse_origin("https://a.example")
    with pytest.raises(ValueError, match="public_origin"):
        OriginPolicy(
            listen_host="", public_origin="circle.example.org", allowed_origins=[], trusted_hosts=[]
        )


def test_a_public_origin_that_is_not_an_origin_stops_the_node() -> None:
    """A host name alone, or a path, is refused at start-up with the setting's name."""
    for name, value in (
        ("public_origin", "circle.example.org"),
        ("allowed_origins", ["https://circle.example.org/app"]),
    ):
        with pytest.raises(SettingsError, match=name):
            Settings.from_mapping({name: value})
