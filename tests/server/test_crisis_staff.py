"""The crisis lane with the on-call staff, through the protocol on one node (in-memory backend):
a member's request reaches an on-call console, taking it makes the taker the other party, and
a console drop puts the member back to `waiting`. Two nodes on Redis:
tests/cluster/test_crisis_lane.py."""

from __future__ import annotations

from typing import Any

import pytest

from rooms.clock import ManualClock
from rooms.errors import BackendUnavailable
from tests.support.client import Client
from tests.support.live import Live, live_server, node_settings
from tests.support.redis_server import RedisServer

ADMIN = {"Authorization": "Bearer test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0"}
ROOM = "night-owls"  # self-led: no facilitator seated


@pytest.fixture
async def live(clock: ManualClock) -> Any:
    async with live_server(node_settings(), clock=clock) as server:
        yield server


async def console(live: Live, name: str) -> Client:
    """A staff console of a new staff account, on call."""
    made = await live.post("/api/admin/staff", headers=ADMIN, json={"name": name, "rooms": [ROOM]})
    assert made.status_code == 201, made.text
    answer = await live.post(
        "/api/staff/session", json={"name": name, "secret": made.json()["key"]}
    )
    assert answer.status_code == 200, answer.text
    staff = await Client.connect(live.url)
    await staff.ok("staff.watch", staff=answer.json()["token"])
    await staff.ok("oncall.set", on=True)
    return staff


def frames(client: Client, event: str) -> list[dict[str, Any]]:
    return [f for f in client.frames if f.get("event") == event]


async def crisis_alert(staff: Client) -> dict[str, Any]:
    found = await staff.wait_for(
        lambda f: f.get("event") == "alert" and f["alert"]["kind"] == "crisis", frames=True
    )
    alert: dict[str, Any] = found["alert"]
    return alert


async def test_an_on_call_staff_member_answers_a_crisis_request(live: Live) -> None:
    """Waiting with 1 on call, then answered by name; messages reach the two of them only."""
    ana = await console(live, "Ana")
    river = await Client.connect(live.url)
    await river.join(ROOM, "River")
    sam = await Client.connect(live.url)
    await sam.join(ROOM, "Sam")
    asked = await river.ok("crisis.request")
    assert (asked["status"], asked["on_call"]) == ("waiting", 1)
    cv = asked["conversation"]
    alert = await crisis_alert(ana)
    await ana.ok("alert.take", alert=alert["id"])
    opened = await ana.wait_for(lambda f: f.get("event") == "conversation.opened", frames=True)
    assert opened == {**opened, "type": "staff", "kind": "crisis", "room": ROOM, "with": "River"}
    answered = await river.wait_for(lambda f: f.get("status") == "answered", frames=True)
    assert answered["by"] == "Ana"
    await river.ok("conversation.say", conversation=cv, text="I need to talk")
    await ana.ok("conversation.say", conversation=cv, text="I'm here, River")
    got = await ana.wait_for(lambda f: f.get("text") == "I need to talk", frames=True)
    assert got["from"] == "them"
    got = await river.wait_for(lambda f: f.get("text") == "I'm here, River", frames=True)
    assert (got["from"], got["name"]) == ("them", "Ana")
    await sam.ok("ping")
    assert not [f for f in sam.frames if f.get("type") in ("conversation", "staff")]
    assert not [e for e in sam.events if "conversation" in str(e.get("event"))]
    await ana.ok("conversation.end", conversation=cv)
    ended = await river.wait_for(lambda f: f.get("event") == "conversation.ended", frames=True)
    assert ended["reason"] == "other"
    for client in (ana, river, sam):
        await client.close()


async def test_a_console_drop_puts_the_member_back_to_waiting(live: Live) -> None:
    """The taker's console closes: the member is told `waiting` again, honestly."""
    ana = await console(live, "Ana")
    bo = await console(live, "Bo")
    river = await Client.connect(live.url)
    await river.join(ROOM, "River")
    await river.ok("crisis.request")
    alert = await crisis_alert(ana)
    await ana.ok("alert.take", alert=alert["id"])
    await river.wait_for(lambda f: f.get("status") == "answered", frames=True)
    await ana.close()
    again = await river.wait_for(
        lambda f: (
            f.get("event") == "conversation.status"
            and f["seq"] > 2
            and f.get("status") == "waiting"
        ),
        frames=True,
    )
    assert again["on_call"] >= 1
    for client in (bo, river):
        await client.close()


async def test_nobody_on_call_is_said_plainly_and_cancel_withdraws(live: Live) -> None:
    """With no one on call the status says so; "I'm OK for now" withdraws the alert."""
    river = await Client.connect(live.url)
    await river.join(ROOM, "River")
    asked = await river.ok("crisis.request")
    assert (asked["status"], asked["on_call"]) == ("nobody_on_call", 0)
    assert asked["resources"][-1]["link"].startswith("https://")
    await river.ok("crisis.cancel", conversation=asked["conversation"])
    desk = live.node.oncall.desk
    state = await desk.state()
    crisis = [a for a in state.alerts if a.kind == "crisis"]
    assert [str(a.status) for a in crisis] == ["cancelled"]
    assert str(crisis[0].cancel_reason) == "member_ok"
    await river.close()


async def test_a_member_who_leaves_withdraws_an_unanswered_request(live: Live) -> None:
    """Leaving the room before anyone answered withdraws the alert (`member_gone`)."""
    river = await Client.connect(live.url)
    await river.join(ROOM, "River")
    await river.ok("crisis.request")
    await river.ok("leave")
    state = await live.node.oncall.desk.state()
    crisis = [a for a in state.alerts if a.kind == "crisis"]
    assert [str(a.cancel_reason) for a in crisis] == ["member_gone"]
    await river.close()


async def test_resolving_the_alert_ends_the_conversation_for_both(live: Live) -> None:
    """`alert.resolve` closes the conversation: both sides get `ended` (`resolved`), and it is
    gone (nothing more can be said in it)."""
    ana = await console(live, "Ana")
    river = await Client.connect(live.url)
    await river.join(ROOM, "River")
    cv = (await river.ok("crisis.request"))["conversation"]
    alert = await crisis_alert(ana)
    await ana.ok("alert.take", alert=alert["id"])
    await river.wait_for(lambda f: f.get("status") == "answered", frames=True)
    await ana.ok("alert.resolve", alert=alert["id"], outcome="supported")
    for side in (river, ana):
        ended = await side.wait_for(lambda f: f.get("event") == "conversation.ended", frames=True)
        assert ended["reason"] == "resolved"
    refused = await ana.request("conversation.say", conversation=cv, text="still here?")
    assert refused["code"] == "conversation_not_found"
    for client in (ana, river):
        await client.close()


async def test_a_release_hands_the_member_back_and_tells_the_console(live: Live) -> None:
    """`alert.release`: the member is `waiting` again; the console's side ends (`released`)."""
    ana = await console(live, "Ana")
    river = await Client.connect(live.url)
    await river.join(ROOM, "River")
    await river.ok("crisis.request")
    alert = await crisis_alert(ana)
    await ana.ok("alert.take", alert=alert["id"])
    await river.wait_for(lambda f: f.get("status") == "answered", frames=True)
    await ana.ok("alert.release", alert=alert["id"])
    ended = await ana.wait_for(lambda f: f.get("event") == "conversation.ended", frames=True)
    assert ended["reason"] == "released"
    again = await river.wait_for(
        lambda f: (
            f.get("event") == "conversation.status"
            and f.get("status") == "waiting"
            and f["seq"] > 2
        ),
        frames=True,
    )
    assert again["on_call"] == 1
    for client in (ana, river):
        await client.close()


async def test_what_the_member_wrote_while_waiting_reaches_the_taker(live: Live) -> None:
    """Messages sent before anyone answered are handed to the taker, marked `earlier`."""
    ana = await console(live, "Ana")
    river = await Client.connect(live.url)
    await river.join(ROOM, "River")
    cv = (await river.ok("crisis.request"))["conversation"]
    await river.ok("conversation.say", conversation=cv, text="is anyone there")
    alert = await crisis_alert(ana)
    await ana.ok("alert.take", alert=alert["id"])
    got = await ana.wait_for(lambda f: f.get("text") == "is anyone there", frames=True)
    assert got["from"] == "them"
    assert got["earlier"] <= got["ts"]
    await river.wait_for(lambda f: f.get("text") == "is anyone there", frames=True)
    await river.ok("ping")
    assert len([f for f in river.frames if f.get("text") == "is anyone there"]) == 1
    for client in (ana, river):
        await client.close()


async def test_the_resources_come_even_when_redis_is_away(redis: RedisServer) -> None:
    """Redis stops after the member joined: the crisis ack still carries the resources."""
    settings = node_settings(redis_url=redis.url, crisis_line_number="988")
    async with live_server(settings) as node:
        river = await Client.connect(node.url)
        await river.join(ROOM, "River")
        redis.stop()
        try:
            asked = await river.ok("crisis.request")
        finally:
            redis.start()
        assert asked["conversation"] is None
        assert asked["status"] == "nobody_on_call"
        assert asked["resources"][0]["link"] == "tel:988"
        await river.close()


async def test_a_member_away_past_the_seat_hold_withdraws_the_request(
    live: Live, clock: ManualClock
) -> None:
    """A dropped member who does not come back within the seat hold: `member_gone`."""
    river = await Client.connect(live.url)
    await river.join(ROOM, "River")
    await river.ok("crisis.request")
    await river.close()
    sam = await Client.connect(live.url)  # a round trip of Sam's lets the node's tasks run
    await sam.join(ROOM, "Sam")
    desk = live.node.oncall.desk
    for _ in range(200):  # bounded: the node notices the drop, then the clock passes the hold
        clock.advance(30)
        state = await desk.state()
        crisis = [a for a in state.alerts if a.kind == "crisis"]
        if crisis and crisis[0].status.closed:
            break
        await sam.ok("ping")
    assert [str(a.cancel_reason) for a in crisis] == ["member_gone"]
    await sam.close()


async def test_a_second_taker_gets_only_the_waiting_time_messages_once(live: Live) -> None:
    """Take, talk, release, take again: the second taker never sees what the member said to
    the first, and each message written while nobody was there reaches them once."""
    ana = await console(live, "Ana")
    bo = await console(live, "Bo")
    river = await Client.connect(live.url)
    await river.join(ROOM, "River")
    cv = (await river.ok("crisis.request"))["conversation"]
    await river.ok("conversation.say", conversation=cv, text="waiting one")
    alert = await crisis_alert(ana)
    await ana.ok("alert.take", alert=alert["id"])
    await ana.wait_for(lambda f: f.get("text") == "waiting one", frames=True)
    await river.ok("conversation.say", conversation=cv, text="only for ana")
    await ana.wait_for(lambda f: f.get("text") == "only for ana", frames=True)
    await ana.ok("alert.release", alert=alert["id"])
    await river.wait_for(
        lambda f: f.get("status") == "waiting" and f.get("seq", 0) > 2, frames=True
    )
    await river.ok("conversation.say", conversation=cv, text="waiting two")
    await bo.ok("alert.take", alert=alert["id"])
    await bo.wait_for(lambda f: f.get("text") == "waiting two", frames=True)
    for _ in range(3):  # round trips: anything else would have arrived by now
        await bo.ok("ping")
    texts = [f["text"] for f in bo.frames if f.get("event") == "conversation.message"]
    assert sorted(texts) == ["waiting one", "waiting two"]
    for client in (ana, bo, river):
        await client.close()


async def test_a_take_that_cannot_attach_the_taker_leaves_the_alert_open(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backend fails while the taker becomes the party: the take is refused and the alert
    is released again, never `taken` by someone the member cannot reach."""
    ana = await console(live, "Ana")
    river = await Client.connect(live.url)
    await river.join(ROOM, "River")
    await river.ok("crisis.request")
    alert = await crisis_alert(ana)
    records = live.node.service.talk.records

    async def away(*_: object, **__: object) -> None:
        raise BackendUnavailable("test: the backend is away")

    with monkeypatch.context() as patch:
        patch.setattr(records, "save", away)
        refused = await ana.request("alert.take", alert=alert["id"])
    assert refused["type"] == "error", refused
    state = await live.node.oncall.desk.state()
    found = state.find(alert["id"])
    assert found is not None
    assert str(found.status) == "open"
    assert found.taker is None
    await ana.ok("alert.take", alert=alert["id"])  # and it can be taken for real
    await river.wait_for(lambda f: f.get("status") == "answered", frames=True)
    for client in (ana, river):
        await client.close()
