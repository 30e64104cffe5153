"""Sessions that end (issue 13 item 1): leave, removal and ban revoke; the lifetime is absolute.

Each test runs against a live node (two nodes sharing one backend where "every node" matters),
asserts the refusal a replayed token gets, and that nothing changed for the people in the room.
Time is a manual clock; nothing sleeps.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from itsdangerous import URLSafeTimedSerializer

from rooms.backends.memory import MemoryBackend
from rooms.clock import ManualClock
from tests.faults.people import invite
from tests.support.client import Client
from tests.support.live import Live, live_server, node_settings

ROOM = "night-owls"
ADMIN = "test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0"


@pytest.fixture
async def pair() -> AsyncIterator[tuple[Live, Live]]:
    """Two nodes of one cluster sharing one in-memory backend."""
    first = MemoryBackend()
    second = MemoryBackend(share_with=first)
    async with (
        live_server(node_settings(), backend=first) as a,
        live_server(node_settings(), backend=second) as b,
    ):
        yield a, b


async def _seated(url: str, name: str, room: str = ROOM, **fields: object) -> Client:
    client = await Client.connect(url)
    await client.join(room, name, **fields)
    return client


async def _events_since(client: Client, count: int) -> list[dict[str, object]]:
    """The room events `client` received after its first `count`, up to a marker it posts
    now (every event committed before the marker arrives before it: seqs are in order)."""
    marker = await client.ok("post", text="marker")
    await client.event("chat.message", seq=marker["seq"])
    return [e for e in client.events[count:] if e["seq"] < marker["seq"]]


async def _joined(client: Client, member_id: str) -> dict[str, object]:
    return await client.wait_for(
        lambda e: e.get("event") == "member.joined" and e["member"]["id"] == member_id
    )


async def _refused_resume(url: str, token: str) -> tuple[dict[str, object], list[object]]:
    again = await Client.connect(url)
    reply = await again.request("resume", token=token, seq=0, epoch="")
    events = list(again.events)
    await again.close()
    return reply, events


async def test_a_token_replayed_after_leave_is_refused_on_every_node(
    pair: tuple[Live, Live],
) -> None:
    """After `leave` the session is over: no node seats the person again or replays anything."""
    a, b = pair
    ann = await _seated(a.url, "Ann")
    bea = await _seated(b.url, "Bea")
    await _joined(ann, bea.member["id"])  # type: ignore[index]
    token = ann.token
    assert token is not None
    await ann.ok("leave")
    await bea.event("member.left", member=ann.member["id"])  # type: ignore[index]
    said = await bea.ok("post", text="said after Ann left")
    await bea.event("chat.message", seq=said["seq"])
    seen = len(bea.events)
    for node in (a, b):
        reply, events = await _refused_resume(node.url, token)
        assert reply["type"] == "error"
        assert reply["code"] == "invalid_token", reply
        assert events == []
    assert await _events_since(bea, seen) == []  # nobody was seated again
    await bea.close()


async def test_a_token_after_removal_or_ban_is_refused_on_every_node(
    pair: tuple[Live, Live],
) -> None:
    """A removed and a banned person's tokens are refused with the reason, everywhere."""
    a, b = pair
    fran = await _seated(
        a.url,
        "Fran",
        "daily-check-in",
        facilitator=await invite(a.http, "daily-check-in", admin=ADMIN),
    )
    rude = await _seated(b.url, "Rude", "daily-check-in")
    cruel = await _seated(b.url, "Cruel", "daily-check-in")
    rude_id, cruel_id = rude.member["id"], cruel.member["id"]  # type: ignore[index]
    await fran.ok("remove", member=rude_id, reason="disruptive")
    await fran.ok("ban", member=cruel_id, seconds=600, reason="threats")
    assert (await rude.closed())[0] == 4500
    assert (await cruel.closed())[0] == 4501
    seen = len(fran.events)
    for node in (a, b):
        for person, code in ((rude, "removed"), (cruel, "banned")):
            reply, events = await _refused_resume(node.url, person.token or "")
            assert reply["code"] == code, reply
            assert events == []
    assert await _events_since(fran, seen) == []  # nobody was seated again
    await fran.close()


def _payload(token: str) -> dict[str, object]:
    """What anyone holding the token can read (the signature is not checked here)."""
    _, payload = URLSafeTimedSerializer("not-the-secret", salt="x").loads_unsafe(token)
    assert isinstance(payload, dict)
    return payload


async def test_a_resume_does_not_extend_the_lifetime_and_the_token_holds_no_name() -> None:
    """12 h after the join the session ends, however often it was resumed; the token holds
    opaque ids and the end, never the display name or the room."""
    clock = ManualClock()
    async with live_server(node_settings(), clock=clock) as live:
        ann = await _seated(live.url, "Annabel Quill")
        first = ann.token
        assert first is not None
        payload = _payload(first)
        assert set(payload) == {"m", "s", "x"}
        assert "Annabel" not in first
        assert "Annabel" not in str(payload)
        assert ROOM not in str(payload)
        await ann.close()
        clock.advance(11 * 3600)
        back = await Client.connect(live.url)
        reply = await back.ok("resume", token=first, seq=0, epoch="")
        again = reply["token"]
        assert _payload(again)["x"] == payload["x"]  # the reissued token keeps the end
        await back.close()
        clock.advance(3600 + 1)  # past 12 h since the join, 1 h since the resume
        reply, events = await _refused_resume(live.url, again)
        assert reply["code"] == "invalid_token", reply
        assert events == []
        watcher = await _seated(live.url, "Watcher")
        assert "Annabel Quill" not in {m["name"] for m in watcher.events if "name" in m}
        await watcher.close()


async def test_a_reseat_replays_nothing_said_while_away() -> None:
    """Seated again after the seat was released: a snapshot from the re-seat point, never the
    chat from while the person was gone; live events follow."""
    clock = ManualClock()
    async with live_server(node_settings(seat_hold_seconds=60), clock=clock) as live:
        ann = await _seated(live.url, "Ann")
        bea = await _seated(live.url, "Bea")
        await _joined(ann, bea.member["id"])  # type: ignore[index]
        token, position = ann.token, ann.events[-1]
        await ann.close()
        await bea.event("member.away", member=ann.member["id"])  # type: ignore[index]
        clock.advance(61)
        await bea.event("member.left", member=ann.member["id"])  # type: ignore[index]
        await bea.ok("post", text="said while Ann was gone")
        back = await Client.connect(live.url)
        reply = await back.ok("resume", token=token, seq=position["seq"], epoch=position["epoch"])
        assert reply["recovered"] is False
        assert reply["reason"] == "reseated"
        rejoined = await _joined(bea, ann.member["id"])  # type: ignore[index]
        assert reply["position"]["seq"] == rejoined["seq"] - 1
        await bea.ok("post", text="welcome back")
        await back.event("chat.message", text="welcome back")
        texts = [e.get("text") for e in back.events if e.get("event") == "chat.message"]
        assert texts == ["welcome back"]
        assert all(e["seq"] >= rejoined["seq"] for e in back.events)
        # A later resume starts at the re-seat point too.
        await back.close()
        again = await Client.connect(live.url)
        later = await again.ok("resume", token=reply["token"], seq=0, epoch=position["epoch"])
        assert later["recovered"] is True
        assert not any(e.get("text") == "said while Ann was gone" for e in again.events)
        await again.close()
        await bea.close()
