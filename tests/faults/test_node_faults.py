"""A node dies (kill -9) or freezes (SIGSTOP) in the middle of a meeting: nothing is lost.

Real `sharecircle serve` processes on one real Redis; the faults are real signals. Presence
entries live `presence_ttl_seconds` = 3 s (tests/support/nodes.py), so a dead node's people are
marked away within a few seconds of Redis time; every wait is bounded by the client TIMEOUT.
"""

from __future__ import annotations

import pytest

from tests.faults.conftest import StartNodes
from tests.faults.people import Person, SharedClock, chat_texts, check_history, invite
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.cluster

ROOM = "daily-check-in"


async def test_a_killed_node_mid_round_loses_nothing(
    redis: RedisServer, start_nodes: StartNodes, shared_clock: SharedClock
) -> None:
    """kill -9 the node of the speaker and the facilitator: the round goes on, they resume elsewhere."""
    a, b = start_nodes(redis.url, 2)
    fran = Person("Fran", ROOM)
    await fran.join(a.url, facilitator=await invite(a.http, ROOM))
    ann, dan = Person("Ann", ROOM), Person("Dan", ROOM, binary=True)
    ben, cat = Person("Ben", ROOM), Person("Cat", ROOM, binary=True)
    for person, node in ((ann, a), (dan, a), (ben, b), (cat, b)):
        await person.join(node.url)
    everyone = [fran, ann, dan, ben, cat]
    await fran.ok("round.open", topic="Hope", share_seconds=120, order="hands")
    for person in (ann, ben, cat):
        await person.ok("hand.raise")
    for person in everyone:
        await person.event("floor.granted", member=ann.member_id)
    first = await ann.ok("post", text="part one of my share")
    for person in everyone:
        await person.event("chat.message", seq=first["seq"])

    a.kill()  # no goodbye: Fran, Ann and Dan simply vanish
    for person in (fran, ann, dan):
        assert (await person.closed()) == 1006
        await ben.event("member.away", member=person.member_id)  # within the presence TTL
        await cat.event("member.away", member=person.member_id)
    # The room carries on on node B meanwhile.
    await cat.ok("pass")
    reacted = await ben.ok("react", mid=first["seq"], reaction="hug")

    for person in (fran, ann, dan):
        reply = await person.resume(b.url)
        assert reply["recovered"] is True, reply
        await person.event("chat.reaction", seq=reacted["seq"])  # missed while away, replayed
        await ben.event("member.back", member=person.member_id)
    # The speaker kept the floor through the grace period and finishes her share.
    second = await ann.ok("post", text="part two of my share")
    await ann.ok("share.done")
    for person in everyone:
        await person.event("floor.granted", member=ben.member_id)
    shared_clock.advance(121)  # Ben's time runs out, on node B alone now
    for person in everyone:
        await person.event("share.ended", member=ben.member_id, how="time")
        await person.event("chat.message", seq=second["seq"])

    for person in everyone:
        check_history(person)
        assert chat_texts(person) == ["part one of my share", "part two of my share"]
        granted = [e["member"] for e in person.events() if e["event"] == "floor.granted"]
        assert granted == [ann.member_id, ben.member_id]
    for person in everyone:
        await person.leave()


async def test_a_frozen_node_wakes_up_and_its_people_resume(
    redis: RedisServer, start_nodes: StartNodes
) -> None:
    """SIGSTOP a node past the presence TTL: the room goes on without it; after SIGCONT its
    people are closed with a resumable code, resume, and get what they missed exactly once."""
    a, b = start_nodes(redis.url, 2)
    fran = Person("Fran", ROOM)
    await fran.join(b.url, facilitator=await invite(b.http, ROOM))
    ann, dan = Person("Ann", ROOM), Person("Dan", ROOM, binary=True)
    ben = Person("Ben", ROOM)
    for person, node in ((ann, a), (dan, a), (ben, b)):
        await person.join(node.url)
    everyone = [fran, ann, dan, ben]
    before = await ann.ok("post", text="before the freeze")
    for person in everyone:
        await person.event("chat.message", seq=before["seq"])

    a.freeze()
    try:
        for person in (ann, dan):
            await ben.event("member.away", member=person.member_id)  # TTL passed: marked away
        during = [await ben.ok("post", text="while A sleeps"), await fran.ok("slow.set", seconds=5)]
        await fran.event("chat.message", seq=during[0]["seq"])
    finally:
        a.thaw()

    # Node A notices its people's seats were given up while it slept: they are closed with a
    # resumable code (never left silently behind), resume, and are marked back.
    for person in (ann, dan):
        code = await person.closed()
        assert code is not None
        assert code < 4500, code  # resumable
        assert code not in (1000, 1011), code
        reply = await person.resume(a.url)
        assert reply["recovered"] is True, reply
        await fran.event("member.back", member=person.member_id)
    after = await fran.ok("post", text="welcome back")
    for person in everyone:
        await person.event("chat.message", seq=after["seq"])
        check_history(person)
        assert chat_texts(person) == ["before the freeze", "while A sleeps", "welcome back"]
        assert any(e["event"] == "moderation" or e["event"] == "hidden" for e in person.events())
    for person in everyone:
        await person.leave()
