"""The crisis lane on two real nodes and one Redis: nobody else gets any of it.

A member of a self-led room with no facilitator asks to talk to someone now on node A; an on-call
staff member takes it on node B, and they talk. The others in the room (one on each node, one of
them resuming meanwhile) receive nothing of it: no frame, no room event, no seq. What was said is
in Redis only for the (4 s) replay window and all of it goes when the conversation ends; nothing
of it reaches either node's logs (docs/privacy.md, "Private conversations"). Unique marker
strings stand in for every word and name, as in test_nothing_leaks.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.faults.conftest import StartNodes
from tests.faults.people import Person, invite
from tests.privacy.test_nothing_leaks import Markers, _redis_dump
from tests.support.client import TIMEOUT, Client
from tests.support.nodes import NodeProcess
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.cluster

ROOM = "night-owls"  # self-led, and nobody seated as facilitator
WINDOW = 4  # seconds of replay window on these nodes
ADMIN = {"Authorization": "Bearer cluster-test-admin-Xe4Lq9Tz2Wm7Rk5Hc8Vb3Nf6Jy1Pd0Gs"}


@pytest.fixture
def markers() -> Markers:
    return Markers()


async def on_call_console(node: NodeProcess, name: str) -> Client:
    async with httpx.AsyncClient(base_url=node.http, timeout=TIMEOUT) as http:
        made = await http.post(
            "/api/admin/staff", headers=ADMIN, json={"name": name, "rooms": [ROOM]}
        )
        assert made.status_code == 201, made.text
        signed = await http.post(
            "/api/staff/session", json={"name": name, "secret": made.json()["key"]}
        )
        assert signed.status_code == 200, signed.text
    staff = await Client.connect(node.url)
    await staff.ok("staff.watch", staff=signed.json()["token"])
    await staff.ok("oncall.set", on=True)
    return staff


def conversation_traces(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        f
        for f in frames
        if f.get("type") in ("conversation", "staff") or "conversation" in str(f.get("event"))
    ]


async def until_gone(redis_url: str, markers: list[str]) -> bytes:
    """Redis's content once none of `markers` is in it (bounded poll: expiry is Redis time)."""
    dump = _redis_dump(redis_url)
    for _ in range(100):  # content keys expire window + 1 s after their last write
        if not [m for m in markers if m.encode() in dump]:
            break
        await asyncio.sleep(0.2)
        dump = _redis_dump(redis_url)
    return dump


async def test_a_crisis_conversation_across_nodes_reaches_the_two_of_them_only(
    redis: RedisServer, start_nodes: StartNodes, markers: Markers
) -> None:
    a, b = start_nodes(redis.url, 2, replay_window_seconds=WINDOW, log_level="debug")
    ana = await on_call_console(b, "Ana")
    river = Person(markers.new("NAMEriver"), ROOM)
    await river.join(a.url)
    sam, tom = Person("Sam", ROOM), Person("Tom", ROOM)
    await sam.join(a.url)
    await tom.join(b.url)

    asked = await river.ok("crisis.request", locale="en-US")
    assert (asked["status"], asked["on_call"]) == ("waiting", 1)
    assert asked["resources"]  # at once, whoever answers
    cv = asked["conversation"]
    alert = await ana.wait_for(
        lambda f: f.get("event") == "alert" and f["alert"]["kind"] == "crisis", frames=True
    )
    await ana.ok("alert.take", alert=alert["alert"]["id"])  # on the other node
    opened = await ana.wait_for(lambda f: f.get("event") == "conversation.opened", frames=True)
    assert opened["with"] == river.name
    await river.c.wait_for(lambda f: f.get("status") == "answered", frames=True)

    said = [markers.new("TEXTriver"), markers.new("TEXTana")]
    await river.ok("conversation.say", conversation=cv, text=f"I am {said[0]}")
    await sam.leave()  # Sam drops and comes back on the other node meanwhile
    await ana.ok("conversation.say", conversation=cv, text=f"Here {said[1]}")
    # While the window lasts, the words are in Redis (that is what the window is for)...
    assert said[1] in markers.found_in(_redis_dump(redis.url))
    await ana.wait_for(lambda f: said[0] in str(f.get("text")), frames=True)
    await river.c.wait_for(lambda f: said[1] in str(f.get("text")), frames=True)
    resumed = await sam.resume(b.url)
    assert resumed["type"] == "ack"
    assert resumed["conversations"] == []

    # ...and once it has passed they are gone, though the conversation still runs.
    assert not [m for m in said if m.encode() in await until_gone(redis.url, said)]
    await ana.ok("conversation.end", conversation=cv)
    await river.c.wait_for(lambda f: f.get("event") == "conversation.ended", frames=True)

    for person in (sam, tom):
        await person.ok("ping")
        assert conversation_traces(person.c.frames) == [], person.name
        assert not [m for m in said if m in str(person.c.frames)]  # River's name they may see
    for person in (river, sam, tom):
        await person.ok("leave")
        await person.leave()
    await ana.close()
    # Ended and left: no marker at all, names included, anywhere in Redis.
    assert not markers.found_in(await until_gone(redis.url, markers.all))
    for node in (a, b):
        logs = node.logs()
        assert "sharecircle: serving" in logs  # the capture works
        assert "no crisis number set" in logs  # serve's start-up warning (no number here)
        assert not markers.found_in(logs), markers.found_in(logs)


async def test_a_private_word_across_nodes_and_its_refusals(
    redis: RedisServer, start_nodes: StartNodes
) -> None:
    """A facilitator on one node opens a word with a member on the other; a member of another
    room and a member's own token are refused; nobody else in the room gets any of it."""
    a, b = start_nodes(redis.url, 2)
    fran = Person("Fran", "daily-check-in")
    await fran.join(b.url, facilitator=await invite(b.http, "daily-check-in"))
    ann, sam = Person("Ann", "daily-check-in"), Person("Sam", "daily-check-in")
    olga = Person("Olga", ROOM)
    for person in (ann, sam, olga):
        await person.join(a.url)
    refused = await fran.request("word.open", member=olga.member_id)
    assert refused["code"] == "member_not_found"
    refused = await sam.request("word.open", member=ann.member_id)
    assert refused["code"] == "not_facilitator"
    cv = (await fran.ok("word.open", member=ann.member_id))["conversation"]
    opened = await ann.c.wait_for(lambda f: f.get("event") == "conversation.opened", frames=True)
    assert (opened["kind"], opened["with"]) == ("word", "Fran")
    await ann.ok("conversation.say", conversation=cv, text="thanks for checking")
    await fran.c.wait_for(lambda f: f.get("text") == "thanks for checking", frames=True)
    await sam.ok("ping")
    assert conversation_traces(sam.c.frames) == []
    for person in (fran, ann, sam, olga):
        await person.leave()
