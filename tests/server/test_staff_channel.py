"""The staff channel (docs/protocol.md §9) through the real protocol: two nodes on one real
Redis and one store, consoles on either, alerts raised by the nodes' own alert desks."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from rooms.alerts import CONSOLES
from rooms.clock import ManualClock
from rooms.oncall import AlertKind, AlertStatus
from server.staff_channel import SEEN_EVERY_SECONDS, SILENT_HEARTBEATS
from tests.support.client import Client
from tests.support.live import Live, live_server, node_settings
from tests.support.redis_server import RedisServer

ADMIN = {"Authorization": "Bearer test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0"}
SECRET = "test-secret-Fh3Kq8Zm1Wx6Tc9Lr4Vn7Bj2Ys5Pg0Du"
ROOM = "night-owls"


@pytest.fixture
async def nodes(redis_server: RedisServer) -> AsyncIterator[tuple[Live, Live]]:
    """Two nodes sharing one Redis and one SQLite store (the same data directory)."""
    await _flush(redis_server)
    shared = tempfile.mkdtemp(prefix="sc-staff-", dir="/tmp")
    settings = node_settings(redis_url=redis_server.url, data_dir=shared)
    async with live_server(settings) as a, live_server(settings) as b:
        yield a, b


@pytest.fixture
async def manual() -> AsyncIterator[tuple[Live, ManualClock]]:
    """One node (memory backend) whose clock moves only by hand: the console sweep's timer."""
    clock = ManualClock()
    async with live_server(node_settings(), clock=clock) as live:
        yield live, clock


async def _flush(redis_server: RedisServer) -> None:
    import redis.asyncio as aioredis

    client = aioredis.from_url(redis_server.url)
    try:
        await client.flushall()
    finally:
        await client.aclose()


async def add_staff(live: Live, name: str, **fields: Any) -> str:
    made = await live.post("/api/admin/staff", headers=ADMIN, json={"name": name, **fields})
    assert made.status_code == 201, made.text
    return str(made.json()["key"])


async def sign_in(live: Live, name: str, **fields: Any) -> str:
    key = await add_staff(live, name, **fields)
    answer = await live.post("/api/staff/session", json={"name": name, "secret": key})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


async def console(live: Live, token: str) -> tuple[Client, dict[str, Any]]:
    client = await Client.connect(live.url)
    ack = await client.ok("staff.watch", staff=token)
    return client, ack


async def staff_event(client: Client, event: str, **match: Any) -> dict[str, Any]:
    def wanted(frame: dict[str, Any]) -> bool:
        if frame.get("type") != "staff" or frame.get("event") != event:
            return False
        return all(frame.get(k) == v for k, v in match.items())

    return await client.wait_for(wanted, frames=True)


async def alert_event(client: Client, alert_id: str, status: str) -> dict[str, Any]:
    def wanted(frame: dict[str, Any]) -> bool:
        alert = frame.get("alert") or {}
        return (
            frame.get("event") == "alert"
            and alert.get("id") == alert_id
            and (alert.get("status") == status)
        )

    found: dict[str, Any] = (await client.wait_for(wanted, frames=True))["alert"]
    return found


async def room_alert(client: Client, alert_id: str | None) -> None:
    """Wait for a `staff.rooms` whose row for ROOM shows `alert_id` as its alert."""
    await client.wait_for(
        lambda f: (
            f.get("event") == "staff.rooms"
            and any(r["slug"] == ROOM and r["alert"] == alert_id for r in f["rooms"])
        ),
        frames=True,
    )


async def refused_watch(live: Live, token: str) -> tuple[str, int | None]:
    client = await Client.connect(live.url)
    reply = await client.request("staff.watch", staff=token)
    code, _ = await client.closed()
    return str(reply.get("code")), code


def expired_staff_token(name: str, created_at: float) -> str:
    """A staff token signed with the server's secret two hours ago."""

    class TwoHoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 7200

    old = URLSafeTimedSerializer(SECRET, salt="sharecircle.staff.v1", signer=TwoHoursAgo)
    return str(old.dumps({"s": name, "c": created_at}))


# -- opening the channel -------------------------------------------------------------------------


async def test_a_staff_sign_in_opens_a_console_with_rooms_alerts_and_a_fresh_token(
    nodes: tuple[Live, Live],
) -> None:
    a, _ = nodes
    token = await sign_in(a, "Ana", rooms=[ROOM])
    ana, ack = await console(a, token)
    assert ack["staff"] == {"name": "Ana", "admin": False, "rooms": [ROOM], "on_call": False}
    assert ack["on_call"] == 0
    assert ack["alerts"] == []
    owls = next(room for room in ack["rooms"] if room["slug"] == ROOM)
    assert owls["members"] == 0
    assert owls["phase"] == "open"
    assert owls["alert"] is None
    assert owls["facilitator_present"] is False
    assert ack["token"]  # re-signed now: good for another hour
    _, again = await console(a, ack["token"])  # the fresh token opens a console too
    assert again["staff"]["name"] == "Ana"
    assert (await ana.request("ping"))["type"] == "pong"
    await ana.close()


async def test_member_tokens_invites_forged_and_expired_tokens_never_open_it(
    nodes: tuple[Live, Live],
) -> None:
    """invalid_token, then close 4505, for everything that is not a live staff sign-in."""
    a, _ = nodes
    token = await sign_in(a, "Ana", rooms=[ROOM])
    member = await Client.connect(a.url)
    await member.join(ROOM, "River")
    observer = await Client.connect(a.url)
    watched = await observer.ok("join", room=ROOM, role="observer")
    invite = await a.post(
        f"/api/admin/rooms/{ROOM}/invites", headers=ADMIN, json={"role": "facilitator"}
    )
    account = await a.node.store.staff_account("Ana")
    tokens = {
        "member": member.token,
        "observer": watched["token"],
        "invite": invite.json()["token"],
        "forged": token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        "expired": expired_staff_token("Ana", account.created_at),
        "garbage": "x",
    }
    for what, bad in tokens.items():
        assert await refused_watch(a, str(bad)) == ("invalid_token", 4505), what
    await member.close()
    await observer.close()


async def test_a_console_takes_no_room_commands_and_a_member_no_staff_commands(
    nodes: tuple[Live, Live],
) -> None:
    a, _ = nodes
    ana, _ = await console(a, await sign_in(a, "Ana", admin=True))
    for kind, fields in (("post", {"text": "hi"}), ("join", {"room": ROOM, "name": "Ana"})):
        reply = await ana.request(kind, **fields)
        assert reply["code"] == "wrong_channel", reply
    assert (await ana.request("staff.watch", staff="x"))["code"] == "already_joined"
    river = await Client.connect(a.url)
    assert (await river.request("alert.take", alert="alr_1"))["code"] == "wrong_channel"
    await river.join(ROOM, "River")
    assert (await river.request("oncall.set", on=True))["code"] == "wrong_channel"
    assert (await ana.request("alert.resolve", alert="a", outcome="fine"))["code"] == "bad_request"
    await ana.close()
    await river.close()


# -- alerts across nodes -------------------------------------------------------------------------


async def test_an_alert_raised_on_one_node_reaches_a_console_on_the_other(
    nodes: tuple[Live, Live],
) -> None:
    """Raised on A, seen on B; taken on B, seen taken on A; resolved with an outcome code."""
    a, b = nodes
    ana, _ = await console(a, await sign_in(a, "Ana", admin=True))
    bo, _ = await console(b, await sign_in(b, "Bo", admin=True))
    alert = await a.node.oncall.desk.raise_alert(AlertKind.REPORT, ROOM, "rep_1")
    seen = await alert_event(bo, alert.id, "open")
    assert seen["kind"] == "report"
    assert seen["room"] == ROOM
    assert seen["action"] == "review_report"
    assert "subject" not in seen
    assert "rep_1" not in str(seen)
    await room_alert(ana, alert.id)  # the room's row points at its alert
    taken = await bo.ok("alert.take", alert=alert.id)
    assert taken["alert"]["taker"] == "Bo"
    assert (await alert_event(ana, alert.id, "taken"))["taker"] == "Bo"
    refused = await ana.request("alert.resolve", alert=alert.id, outcome="no_action")
    assert refused["code"] == "not_taker"
    wrong = await bo.request("alert.resolve", alert=alert.id, outcome="supported")
    assert wrong["code"] == "wrong_outcome"
    done = await bo.ok("alert.resolve", alert=alert.id, outcome="action_taken")
    assert done["alert"]["status"] == "resolved"
    assert done["alert"]["outcome"] == "action_taken"
    assert (await alert_event(ana, alert.id, "resolved"))["outcome"] == "action_taken"
    await room_alert(ana, None)
    await ana.close()
    await bo.close()


async def test_two_staff_take_at_once_and_exactly_one_wins(nodes: tuple[Live, Live]) -> None:
    a, b = nodes
    ana, _ = await console(a, await sign_in(a, "Ana", admin=True))
    bo, _ = await console(b, await sign_in(b, "Bo", admin=True))
    alert = await b.node.oncall.desk.raise_alert(AlertKind.RAID, ROOM)
    await alert_event(ana, alert.id, "open")
    replies = await asyncio.gather(
        ana.request("alert.take", alert=alert.id), bo.request("alert.take", alert=alert.id)
    )
    assert sorted(r["type"] for r in replies) == ["ack", "error"]
    assert next(r for r in replies if r["type"] == "error")["code"] == "already_taken"
    winner = next(r for r in replies if r["type"] == "ack")["alert"]["taker"]
    released = await (ana if winner == "Ana" else bo).ok("alert.release", alert=alert.id)
    assert released["alert"]["status"] == "open"
    await ana.close()
    await bo.close()


async def test_a_closed_console_hands_back_what_its_staff_member_took(
    nodes: tuple[Live, Live],
) -> None:
    a, b = nodes
    ana, _ = await console(a, await sign_in(a, "Ana", admin=True))
    bo, _ = await console(b, await sign_in(b, "Bo", admin=True))
    alert = await a.node.oncall.desk.raise_alert(AlertKind.LOBBY, ROOM)
    await alert_event(ana, alert.id, "open")
    await ana.ok("alert.take", alert=alert.id)
    await alert_event(bo, alert.id, "taken")
    await ana.close()
    assert (await alert_event(bo, alert.id, "open"))["taker"] is None
    await bo.close()


# -- on call, rooms, revocation ------------------------------------------------------------------


async def test_going_on_call_is_counted_on_every_node(nodes: tuple[Live, Live]) -> None:
    a, b = nodes
    ana, _ = await console(a, await sign_in(a, "Ana", admin=True))
    bo, _ = await console(b, await sign_in(b, "Bo", admin=True))
    ack = await ana.ok("oncall.set", on=True)
    assert ack["staff"] == {"name": "Ana", "on_call": True}
    assert ack["on_call"] == 1
    await staff_event(bo, "oncall", on_call=1)
    await bo.ok("oncall.set", on=True)
    await staff_event(ana, "oncall", on_call=2)
    await ana.ok("oncall.set", on=False)
    await staff_event(bo, "oncall", on_call=1)
    _, later = await console(a, await sign_in(a, "Cy", admin=True))
    assert later["on_call"] == 1
    await ana.close()
    await bo.close()


async def test_room_views_follow_people_and_name_nobody(nodes: tuple[Live, Live]) -> None:
    a, _ = nodes
    ana, _ = await console(a, await sign_in(a, "Ana", admin=True))
    river = await Client.connect(a.url)
    await river.join(ROOM, "River")
    view = await ana.wait_for(
        lambda f: (
            f.get("event") == "staff.rooms"
            and any(r["slug"] == ROOM and r["members"] == 1 for r in f["rooms"])
        ),
        frames=True,
    )
    owls = next(r for r in view["rooms"] if r["slug"] == ROOM)
    assert owls["facilitator_present"] is False
    assert owls["observers"] == 0
    assert "River" not in str(view)
    await river.close()
    await ana.close()


async def test_a_revoked_account_closes_its_console_with_4504(nodes: tuple[Live, Live]) -> None:
    a, b = nodes
    ana, _ = await console(b, await sign_in(a, "Ana", admin=True))
    async with httpx.AsyncClient(base_url=a.http, timeout=10) as http:
        assert (await http.delete("/api/admin/staff/Ana", headers=ADMIN)).status_code == 200
    reply = await ana.request("oncall.set", on=True)
    assert reply["code"] == "invalid_token"
    assert (await ana.closed())[0] == 4504


async def test_a_console_on_another_node_keeps_what_its_staff_member_took(
    nodes: tuple[Live, Live],
) -> None:
    """Review finding 2: closing Ana's console on A hands nothing back while her console on B
    is open; closing that one does."""
    a, b = nodes
    token = await sign_in(a, "Ana", admin=True)
    ana_a, _ = await console(a, token)
    ana_b, _ = await console(b, token)
    bo, _ = await console(b, await sign_in(b, "Bo", admin=True))
    alert = await a.node.oncall.desk.raise_alert(AlertKind.LOBBY, ROOM)
    await alert_event(ana_a, alert.id, "open")
    await ana_a.ok("alert.take", alert=alert.id)
    await alert_event(bo, alert.id, "taken")
    await ana_a.close()
    desk = a.node.oncall.desk
    for _ in range(250):  # A's goodbye has run: only B's console is left for Ana
        if sum(k.endswith(":Ana") for k in await desk.backend.presence(CONSOLES)) == 1:
            break
        await asyncio.sleep(0.02)
    found = (await desk.state()).find(alert.id)
    assert found is not None
    assert (found.status, found.taker) == (AlertStatus.TAKEN, "Ana")
    await ana_b.close()
    assert (await alert_event(bo, alert.id, "open"))["taker"] is None
    await bo.close()


async def test_a_revoked_console_is_closed_without_sending_anything(
    manual: tuple[Live, ManualClock],
) -> None:
    """Review finding 3: the node's sweep reads every console's account on its own."""
    live, clock = manual
    ana, _ = await console(live, await sign_in(live, "Ana", admin=True))
    async with httpx.AsyncClient(base_url=live.http, timeout=10) as http:
        assert (await http.delete("/api/admin/staff/Ana", headers=ADMIN)).status_code == 200
    clock.advance(SEEN_EVERY_SECONDS + 1)
    assert (await ana.closed())[0] == 4504


async def test_a_console_that_stops_pinging_is_closed_silent(
    manual: tuple[Live, ManualClock],
) -> None:
    live, clock = manual
    ana, _ = await console(live, await sign_in(live, "Ana", admin=True))
    bo, _ = await console(live, await sign_in(live, "Bo", admin=True))
    heartbeat = live.node.settings.heartbeat_ms / 1000
    for _ in range(int(SILENT_HEARTBEATS)):
        clock.advance(heartbeat)
        assert (await bo.request("ping"))["type"] == "pong"  # Bo pings, Ana does not
    clock.advance(SEEN_EVERY_SECONDS + 1)  # the next sweep finds Ana silent past the bound
    assert (await ana.closed())[0] == 4011
    assert (await bo.request("ping"))["type"] == "pong"
    await bo.close()


async def test_a_room_limited_account_takes_only_its_rooms_alerts(
    nodes: tuple[Live, Live],
) -> None:
    """Review finding 4: never another room's crisis, its member's name or messages."""
    a, _ = nodes
    ana, _ = await console(a, await sign_in(a, "Ana", rooms=[ROOM]))
    boss, _ = await console(a, await sign_in(a, "Boss", admin=True))
    desk = a.node.oncall.desk
    elsewhere = await desk.raise_alert(AlertKind.LOBBY, "quiet-corner")
    refused = await ana.request("alert.take", alert=elsewhere.id)
    assert refused["code"] == "not_room_staff"
    found = (await desk.state()).find(elsewhere.id)
    assert found is not None
    assert found.status is AlertStatus.OPEN
    assert (await boss.ok("alert.take", alert=elsewhere.id))["alert"]["taker"] == "Boss"
    own = await desk.raise_alert(AlertKind.LOBBY, ROOM)
    assert (await ana.ok("alert.take", alert=own.id))["alert"]["taker"] == "Ana"
    await ana.close()
    await boss.close()
