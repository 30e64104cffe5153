"""Private conversations through the protocol on one node (in-memory backend): the crisis lane's
ack, a facilitator's private word and its refusals, messages to the two parties only, resume.

The two-node version with Redis, on-call staff and the privacy checks is
tests/cluster/test_crisis_lane.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from rooms.clock import ManualClock
from tests.faults.people import invite
from tests.support.client import Client
from tests.support.live import Live, live_server, node_settings

ADMIN = "test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0"
ROOM = "daily-check-in"


@pytest.fixture
async def live(clock: ManualClock) -> Any:
    async with live_server(node_settings(crisis_line_number="0800 111 0 111"), clock=clock) as s:
        yield s


async def joined(live: Live, name: str, room: str = ROOM, **fields: Any) -> Client:
    client = await Client.connect(live.url)
    await client.join(room, name, **fields)
    return client


def conversation_frames(client: Client) -> list[dict[str, Any]]:
    return [f for f in client.frames if f.get("type") in ("conversation", "staff")]


async def test_a_crisis_request_gives_resources_and_an_honest_status(live: Live) -> None:
    """The ack carries the crisis entries (tel: links) at once; with nobody on call it says so."""
    ann = await joined(live, "Ann")
    reply = await ann.ok("crisis.request", locale="en-GB")
    assert reply["conversation"].startswith("cv_")
    assert reply["status"] == "nobody_on_call"
    assert reply["on_call"] == 0
    assert reply["resources"][0]["link"] == "tel:08001110111"
    again = await ann.ok("crisis.request")
    assert again["conversation"] == reply["conversation"]  # a double tap: the same conversation
    status = await ann.wait_for(lambda f: f.get("event") == "conversation.status", frames=True)
    assert status["type"] == "conversation"
    assert status["status"] == "nobody_on_call"
    await ann.ok("crisis.cancel", conversation=reply["conversation"])
    await ann.wait_for(lambda f: f.get("event") == "conversation.ended", frames=True)
    refused = await ann.request("conversation.say", conversation=reply["conversation"], text="x")
    assert refused["code"] == "conversation_not_found"
    await ann.close()


async def test_an_observer_can_ask_for_help(live: Live) -> None:
    """Observers use the crisis lane too."""
    olly = await Client.connect(live.url)
    await olly.join(ROOM, role="observer")
    reply = await olly.ok("crisis.request")
    assert reply["resources"]
    await olly.close()


async def test_the_join_ack_and_config_carry_crisis_entries(live: Live) -> None:
    """`room.crisis` in the join ack and `crisis` in /api/config are never empty, with links."""
    ann = await joined(live, "Ann")
    assert ann.frames[1]["room"]["crisis"][0]["link"] == "tel:08001110111"
    config = (await live.get("/api/config")).json()
    assert config["crisis"][0]["link"] == "tel:08001110111"
    assert config["crisis_number"] == "0800 111 0 111"
    await ann.close()


async def test_a_private_word_reaches_the_two_of_them_only(live: Live) -> None:
    """A facilitator opens a word with a member; messages reach both, and nobody else."""
    fran = await joined(live, "Fran", facilitator=await invite(live.http, ROOM, admin=ADMIN))
    ann = await joined(live, "Ann")
    ben = await joined(live, "Ben")
    assert ann.member is not None
    opened = await fran.ok("word.open", member=ann.member["id"])
    cv = opened["conversation"]
    note = await ann.wait_for(lambda f: f.get("event") == "conversation.opened", frames=True)
    assert note == {**note, "type": "conversation", "kind": "word", "with": "Fran"}
    await fran.ok("conversation.say", conversation=cv, text="Are you all right?")
    said = await ann.ok("conversation.say", conversation=cv, text="Yes, thank you")
    assert said["seq"] >= 2
    for who, mine in ((fran, "Are you all right?"), (ann, "Yes, thank you")):
        got = await who.wait_for(
            lambda f, mine=mine: f.get("event") == "conversation.message" and f["text"] == mine,
            frames=True,
        )
        assert got["from"] == "me"
    theirs = await fran.wait_for(
        lambda f: f.get("event") == "conversation.message" and f["from"] == "them", frames=True
    )
    assert theirs["name"] == "Ann"
    stranger = await ben.request("conversation.say", conversation=cv, text="let me in")
    assert stranger["code"] == "conversation_not_found"
    await ann.ok("conversation.end", conversation=cv)
    await fran.wait_for(lambda f: f.get("event") == "conversation.ended", frames=True)
    await ben.ok("ping")
    assert conversation_frames(ben) == []
    assert not [e for e in ben.events if "conversation" in str(e.get("event"))]
    for client in (fran, ann, ben):
        await client.close()


async def test_a_private_word_is_refused_outside_the_rules(live: Live) -> None:
    """Members and observers get `not_facilitator`; another room's member or an unknown id,
    `member_not_found`; a forged facilitator invite never seats anyone."""
    fran = await joined(live, "Fran", facilitator=await invite(live.http, ROOM, admin=ADMIN))
    ann = await joined(live, "Ann")
    other = await joined(live, "Olga", room="night-owls")
    assert ann.member is not None
    assert other.member is not None
    refused = await ann.request("word.open", member=ann.member["id"])
    assert refused["code"] == "not_facilitator"
    refused = await fran.request("word.open", member=other.member["id"])
    assert refused["code"] == "member_not_found"
    refused = await fran.request("word.open", member="m_nobody")
    assert refused["code"] == "member_not_found"
    forger = await Client.connect(live.url)
    forged = await forger.request("join", room=ROOM, name="Fake", facilitator="forged.token")
    assert forged["code"] == "invalid_token"
    assert fran.token is not None
    tampered = fran.token[:-4] + ("AAAA" if not fran.token.endswith("AAAA") else "BBBB")
    forged = await forger.request("resume", token=tampered, seq=0, epoch="x")
    assert forged["code"] == "invalid_token"
    refused = await forger.request("word.open", member=ann.member["id"])
    assert refused["code"] == "not_joined"  # a forged token seats nobody
    olly = await Client.connect(live.url)
    await olly.join(ROOM, role="observer")
    refused = await olly.request("word.open", member=ann.member["id"])
    assert refused["code"] == "not_facilitator"
    for client in (fran, ann, other, forger, olly):
        await client.close()


async def test_a_resume_replays_missed_conversation_events_to_that_person(live: Live) -> None:
    """A member who reconnects gets their conversation's missed messages, and the list."""
    fran = await joined(live, "Fran", facilitator=await invite(live.http, ROOM, admin=ADMIN))
    ann = await joined(live, "Ann")
    assert ann.member is not None
    cv = (await fran.ok("word.open", member=ann.member["id"]))["conversation"]
    await ann.wait_for(lambda f: f.get("event") == "conversation.opened", frames=True)
    token, position = ann.token, ann.position
    assert position is not None
    await ann.close()
    await fran.ok("conversation.say", conversation=cv, text="still there?")
    back = await Client.connect(live.url)
    reply = await back.ok("resume", token=token, seq=position[0], epoch=position[1])
    assert reply["conversations"] == [{"conversation": cv, "kind": "word", "with": "Fran"}]
    missed = await back.wait_for(lambda f: f.get("event") == "conversation.message", frames=True)
    assert missed["text"] == "still there?"
    assert missed["from"] == "them"
    for client in (fran, back):
        await client.close()


async def test_leaving_ends_the_conversation_for_both(live: Live) -> None:
    """A clean leave ends a private word at once."""
    fran = await joined(live, "Fran", facilitator=await invite(live.http, ROOM, admin=ADMIN))
    ann = await joined(live, "Ann")
    assert ann.member is not None
    await fran.ok("word.open", member=ann.member["id"])
    await ann.ok("leave")
    ended = await fran.wait_for(lambda f: f.get("event") == "conversation.ended", frames=True)
    assert ended["reason"] == "gone"
    await fran.close()


async def test_a_member_away_past_the_seat_hold_ends_it(live: Live, clock: ManualClock) -> None:
    """A dropped connection keeps the conversation for the seat hold, then it ends."""
    fran = await joined(live, "Fran", facilitator=await invite(live.http, ROOM, admin=ADMIN))
    ann = await joined(live, "Ann")
    assert ann.member is not None
    await fran.ok("word.open", member=ann.member["id"])
    await ann.close()
    for _ in range(200):  # bounded: the node notices the drop, then the clock passes the hold
        clock.advance(30)
        await fran.ok("ping")
        if [f for f in fran.frames if f.get("event") == "conversation.ended"]:
            break
    ended = await fran.wait_for(lambda f: f.get("event") == "conversation.ended", frames=True)
    assert ended["reason"] == "gone"
    await fran.close()


async def test_private_messages_are_rate_limited_as_posts(clock: ManualClock) -> None:
    """`conversation.say` draws from the same per-connection bucket as `post`."""
    settings = node_settings(post_rate="2/minute")
    async with live_server(settings, clock=clock) as live:
        fran = await joined(live, "Fran", facilitator=await invite(live.http, ROOM, admin=ADMIN))
        ann = await joined(live, "Ann")
        assert ann.member is not None
        cv = (await fran.ok("word.open", member=ann.member["id"]))["conversation"]
        await fran.ok("post", text="hello room")
        await fran.ok("conversation.say", conversation=cv, text="one")
        limited = await fran.request("conversation.say", conversation=cv, text="two")
        assert limited["code"] == "rate_limited"
        assert limited["retry_after_ms"] > 0
        for client in (fran, ann):
            await client.close()
