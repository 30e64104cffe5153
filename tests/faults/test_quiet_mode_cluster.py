"""Quiet mode on two nodes: raiders arrive through both, the on-call team is alerted, and it
ends exactly once, by itself.

Real `sharecircle serve` processes on one real Redis, one shared PostgreSQL (the alert desk's
state) and the shared clock. The two nodes race to fire the same deadlines (quiet mode's end, a
newcomer's listen-only); the room's compare-and-set lets exactly one commit win, so everyone sees
one `raid.settled` and one lift, and the raid alert a console on the other node saw is withdrawn.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from rooms.clock import ManualClock
from tests.faults.conftest import StartNodes
from tests.faults.people import SharedClock
from tests.support.client import TIMEOUT, Client
from tests.support.nodes import NodeProcess
from tests.support.postgres_server import PostgresServer
from tests.support.redis_server import RedisServer
from tests.support.stores import migrated_store

pytestmark = pytest.mark.cluster

ROOM = "night-owls"  # self-led: nobody seated as facilitator
ADMIN = {"Authorization": "Bearer cluster-test-admin-Xe4Lq9Tz2Wm7Rk5Hc8Vb3Nf6Jy1Pd0Gs"}


async def on_call_console(node: NodeProcess) -> Client:
    async with httpx.AsyncClient(base_url=node.http, timeout=TIMEOUT) as http:
        made = await http.post(
            "/api/admin/staff", headers=ADMIN, json={"name": "Ana", "rooms": [ROOM]}
        )
        assert made.status_code == 201, made.text
        signed = await http.post(
            "/api/staff/session", json={"name": "Ana", "secret": made.json()["key"]}
        )
        assert signed.status_code == 200, signed.text
    console = await Client.connect(node.url)
    await console.ok("staff.watch", staff=signed.json()["token"])
    await console.ok("oncall.set", on=True)
    return console


async def raid_alert(console: Client, status: str) -> dict[str, Any]:
    frame = await console.wait_for(
        lambda f: (
            f.get("type") == "staff"
            and f.get("event") == "alert"
            and f["alert"]["kind"] == "raid"
            and f["alert"]["status"] == status
        ),
        frames=True,
    )
    return dict(frame["alert"])


async def test_quiet_mode_across_two_nodes_alerts_on_call_and_settles_once(
    redis: RedisServer,
    postgres_server: PostgresServer,
    start_nodes: StartNodes,
    shared_clock: SharedClock,
) -> None:
    database = postgres_server.create_database()
    await (await migrated_store(database, ManualClock())).aclose()
    a, b = start_nodes(redis.url, 2, raid_joins=4, database_url=database)
    console = await on_call_console(b)
    regulars = [await Client.connect(node.url) for node in (a, b)]
    for i, client in enumerate(regulars):
        await client.join(ROOM, f"Regular {i}")
    raiders = []
    for i in range(4):  # four networks, through both nodes, inside the window
        node = (a, b)[i % 2]
        client = await Client.connect(
            node.url, additional_headers={"X-Forwarded-For": f"198.51.100.{i + 1}"}
        )
        ack = await client.join(ROOM, f"Raider {i}")
        raiders.append((client, ack))
    held, tipped = raiders[-1]
    assert tipped["meeting"]["quiet"] is True  # seated, not parked in a lobby nobody watches
    assert tipped["member"]["listen_only"] is True
    assert (await held.request("post", text="hello"))["code"] == "listen_only"
    said = await regulars[1].ok("post", text="members carry on")  # undisturbed
    await held.event("chat.message", seq=said["seq"])  # newcomers can read
    opened = await raid_alert(console, "open")  # the on-call team hears of it, on the other node
    assert opened["room"] == ROOM

    shared_clock.advance(61)  # the burst has passed
    for client in regulars:
        await client.event("raid.settled")
    settled = await raid_alert(console, "cancelled")
    assert (settled["id"], settled["reason"]) == (opened["id"], "settled")
    shared_clock.advance(240)  # the newcomer's few minutes are up
    for client in [*regulars, held]:
        await client.wait_for(
            lambda e: (
                e["event"] == "member.updated"
                and e["member"]["id"] == tipped["member"]["id"]
                and not e["member"]["listen_only"]
            )
        )
    await held.ok("post", text="hello now")
    for client in regulars:
        assert len(client.named("raid.settled")) == 1
    for client in [console, *regulars, *(c for c, _ in raiders)]:
        await client.close()
