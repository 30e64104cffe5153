"""deploy/nginx/ in front of two real nodes on one Redis: conversations, TLS, drains, privacy.

Each test gets its own stack (tests/deploy/nginx_stack.py): a throwaway Redis, two
`sharecircle serve` processes and Debian's nginx running the site config from deploy/nginx/.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.exceptions import InvalidStatus

from server.rates import Rate
from server.settings import Settings
from tests.deploy.nginx_stack import COMMON, SITE, NginxStack, find_nginx
from tests.faults.raw import RawSocket
from tests.support.client import TIMEOUT, Client, gapless
from tests.support.nodes import NodeProcess

NGINX = find_nginx()

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx)"),
]

ALICE_SAYS = "first time here, a bit nervous"
BOB_SAYS = "welcome, glad you came tonight"


@pytest.fixture
def stack() -> Iterator[NginxStack]:
    assert NGINX is not None
    with_stack = NginxStack(NGINX).start()
    try:
        yield with_stack
    finally:
        with_stack.close()


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def connections_on(node: NodeProcess) -> float:
    """The node's own `sharecircle_connections` gauge, scraped directly (not through nginx)."""
    status, body = _get(node.http + "/metrics", node.metrics_auth)
    assert status == 200
    for family in text_string_to_metric_families(body.decode()):
        if family.name == "sharecircle_connections":
            return float(family.samples[0].value)
    raise AssertionError("no sharecircle_connections gauge")


async def _until(check: Any) -> None:
    async with asyncio.timeout(TIMEOUT):
        while not check():  # noqa: ASYNC110 (polling other processes)
            await asyncio.sleep(0.05)


def _shared_tail(a: Client, b: Client, upto: int) -> list[tuple[int, str]]:
    """The events both saw from b's first one up to `upto`, after checking they agree."""
    start = b.events[0]["seq"]
    tails = [
        [(e["seq"], e["event"]) for e in c.events if start <= e["seq"] <= upto] for c in (a, b)
    ]
    assert tails[0] == tails[1]
    assert gapless(seq for seq, _ in tails[0])
    return tails[0]


async def _converse(a: Client, b: Client) -> None:
    """Seat both in night-owls, say one thing each, and check they saw the same room."""
    await a.join("night-owls", "Alice")
    await b.join("night-owls", "Bob")
    first = await a.ok("post", text=ALICE_SAYS)
    second = await b.ok("post", text=BOB_SAYS)
    for client, ack in itertools.product((a, b), (first, second)):
        await client.event("chat.message", seq=ack["seq"])
    tail = _shared_tail(a, b, second["seq"])
    assert (first["seq"], "chat.message") in tail


def test_template_suits_the_node_timing() -> None:
    """nginx never times out a healthy socket: the node pings, and drops dead peers, first."""
    line = next(line for line in COMMON.read_text().splitlines() if "proxy_read_timeout" in line)
    seconds = int(line.split()[1].rstrip("s;"))
    settings = Settings()
    assert seconds > settings.ws_ping_interval + settings.ws_ping_timeout


async def test_members_on_two_nodes_talk_through_nginx(stack: NginxStack) -> None:
    """Two members connect through nginx, land on different nodes, and see the same events."""
    alice = await Client.connect(stack.ws_url)
    await _until(lambda: sum(connections_on(n) for n in stack.nodes) == 1)
    bob = await Client.connect(stack.ws_url, binary=True)
    await _until(lambda: sorted(connections_on(n) for n in stack.nodes) == [1, 1])
    await _converse(alice, bob)

    status, body = _get(stack.http + "/api/rooms")
    assert status == 200
    rooms = {room["slug"]: room for room in json.loads(body)}
    assert rooms["night-owls"]["members"] == 2
    assert _get(stack.http + "/metrics")[0] == 404  # scraped per node, never through the edge
    await alice.close()
    await bob.close()


async def test_browser_origin_check_works_behind_nginx(stack: NginxStack) -> None:
    """The node sees the public Host (with its port), so same-origin pages connect; others don't."""
    page = await Client.connect(stack.ws_url, origin=stack.http)
    await page.join("night-owls", "Page")
    with pytest.raises(InvalidStatus) as refused:
        await Client.connect(stack.ws_url, origin="https://elsewhere.example")
    assert refused.value.response.status_code == 403
    await page.close()


async def test_tls_block_serves_wss(stack: NginxStack) -> None:
    """With the TLS block switched on, a member over wss:// talks with one over ws://."""
    if stack.cert is None:
        pytest.skip("openssl is not installed: no certificate for the TLS block")
    alice = await Client.connect(stack.wss_url, ssl=stack.ssl_context())
    bob = await Client.connect(stack.ws_url)
    await _converse(alice, bob)
    await alice.close()
    await bob.close()


async def test_nginx_logs_carry_no_address_query_or_text(stack: NginxStack) -> None:
    """After real traffic, nginx's logs show requests but no client address, query or words."""
    alice = await Client.connect(stack.ws_url + "?probe=q7query")
    bob = await Client.connect(stack.ws_url)
    await _converse(alice, bob)
    assert _get(stack.http + "/api/rooms?probe=q7query")[0] == 200
    await alice.close()
    await bob.close()

    def logged_sockets() -> int:
        return stack.log_text().count('"GET /ws" 101')

    await _until(lambda: logged_sockets() == 2)  # a socket's line is written when it closes
    text = stack.log_text()
    assert '"GET /api/rooms" 200' in text
    for secret in ("127.0.0.1", "q7query", ALICE_SAYS, BOB_SAYS, "Alice", "Bob", "client:"):
        assert secret not in text
    for node in stack.nodes:
        assert ALICE_SAYS not in node.logs()
        assert BOB_SAYS not in node.logs()


async def test_drained_node_sends_its_members_through_nginx_to_the_other(
    stack: NginxStack,
) -> None:
    """SIGTERM: the member is told to reconnect, nginx routes them on, and the resume recovers."""
    alice = await Client.connect(stack.ws_url)
    await _until(lambda: sum(connections_on(n) for n in stack.nodes) == 1)
    draining = next(n for n in stack.nodes if connections_on(n) == 1)
    bob = await Client.connect(stack.ws_url)
    await _converse(alice, bob)
    token, last = alice.token, alice.events[-1]

    draining.terminate()
    code, _ = await alice.closed()
    assert code == 1012
    assert any(f.get("type") == "reconnect" for f in alice.frames)
    assert draining.wait(20) is not None
    missed = await bob.ok("post", text="said while Alice was moving")

    again = await Client.connect(stack.ws_url)  # nginx skips the stopped node
    reply = await again.ok("resume", token=token, seq=last["seq"], epoch=last["epoch"])
    assert reply["recovered"] is True
    message = await again.event("chat.message", seq=missed["seq"])
    assert message["text"] == "said while Alice was moving"
    assert gapless([last["seq"], *again.seqs()])
    await again.close()
    await bob.close()


def test_template_limits_per_address_match_the_node_defaults() -> None:
    """nginx refuses what the nodes would: the same connection count and handshake rate."""
    site, common = SITE.read_text(), COMMON.read_text()
    settings = Settings()
    conn = re.search(r"^\s*limit_conn sharecircle_conn (\d+);", common, re.M)
    assert conn is not None
    assert int(conn.group(1)) == settings.max_connections_per_address
    rate = re.search(r"zone=sharecircle_handshakes:\S+ rate=(\d+)r/s;", site)
    burst = re.search(r"limit_req zone=sharecircle_handshakes burst=(\d+) nodelay;", common)
    assert rate is not None
    assert burst is not None
    node_rate = Rate.parse(settings.handshake_rate_per_address or "")
    assert int(burst.group(1)) == node_rate.count
    assert int(rate.group(1)) == node_rate.count / node_rate.seconds
    assert "limit_conn_status 503;" in site
    assert "limit_req_status 429;" in site


async def test_nginx_refuses_a_handshake_flood_from_one_address(stack: NginxStack) -> None:
    """30 handshakes at once from one address through nginx: the burst of 20 (and perhaps a
    refill or two) is let through, the rest get 429 from nginx; the nodes were never asked."""
    host, port = stack.http.removeprefix("http://").split(":")
    statuses = []
    for _ in range(30):
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(RawSocket.upgrade_head(f"{host}:{port}"))
        async with asyncio.timeout(10):
            head = await reader.readuntil(b"\r\n\r\n")
        statuses.append(int(head.split()[1]))
        writer.close()
    assert statuses[:20] == [101] * 20
    assert statuses.count(429) >= 5
    assert set(statuses) == {101, 429}
