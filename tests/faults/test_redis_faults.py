"""Redis goes away under a running meeting: restarted (losing everything), or silently cut off.

The restart is a real process restart of the test's own Redis, under real node processes. The cut
is a real TCP proxy that stops forwarding while keeping both sockets open (a half-open connection:
no error, no data), between an in-process node and Redis; only the PING liveness check on the
subscriber connection can notice it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from rooms.backends.redis import RedisBackend
from tests.faults.conftest import StartNodes
from tests.faults.people import (
    Person,
    chat_texts,
    check_history,
    invite,
    settle,
    until_available,
)
from tests.support.backends import FAST_FAULTS
from tests.support.client import TIMEOUT, Client
from tests.support.live import live_server, node_settings
from tests.support.redis_server import RedisServer
from tests.support.tcp_proxy import BlackholeProxy

ROOM = "daily-check-in"


async def _status(http: str, path: str) -> int:
    async with httpx.AsyncClient(base_url=http, timeout=TIMEOUT) as client:
        return (await client.get(path)).status_code


@pytest.mark.cluster
async def test_a_redis_restart_mid_meeting_ends_in_an_explicit_new_start(
    redis: RedisServer, start_nodes: StartNodes
) -> None:
    """Down: every command gets `unavailable`, nodes stay up. Back (empty): every client is told
    (4010), its resume is refused (the sessions were in Redis), it joins again in a new epoch,
    and the room works again."""
    a, b = start_nodes(redis.url, 2)
    fran = Person("Fran", ROOM)
    await fran.join(a.url, facilitator=await invite(a.http, ROOM))
    ann, ben = Person("Ann", ROOM), Person("Ben", ROOM, binary=True)
    await ann.join(a.url)
    await ben.join(b.url)
    everyone = [fran, ann, ben]
    said = await ann.ok("post", text="before the outage")
    await fran.ok("round.open", topic="Hope", share_seconds=120, order="hands")
    await ben.ok("hand.raise")
    for person in everyone:
        await person.event("floor.granted", member=ben.member_id)
        await person.event("chat.message", seq=said["seq"])
    old_epoch = ann.last_position()[1]

    redis.stop()
    for person, kind, fields in (
        (ben, "post", {"text": "into the void"}),
        (ann, "hand.raise", {}),
        (fran, "share.extend", {"seconds": 30}),
    ):
        reply = await person.request(kind, **fields)
        assert reply["type"] == "error", reply
        assert reply["code"] == "unavailable", reply
        assert "void" not in reply["message"]
    newcomer = await Client.connect(b.url)
    refused = await newcomer.request("join", room=ROOM, name="Nora")
    assert refused["code"] == "unavailable"
    await newcomer.close()
    for node in (a, b):
        assert node.proc is not None
        assert node.proc.poll() is None  # never a crash
        assert await _status(node.http, "/healthz") == 200
        assert await _status(node.http, "/readyz") == 503

    redis.start()  # a new, empty Redis: the window, the meeting and the seq counter are gone
    homes = {fran: b.url, ann: a.url, ben: a.url}
    for person, url in homes.items():
        assert await person.closed() == 4010  # told: events were lost
        reply = await until_available(lambda p=person, u=url: p.resume(u))
        # The sessions were lost with Redis too (docs/reliability.md): the resume is refused
        # out loud and the person joins again, into the new history; never a silent gap.
        assert reply["code"] == "invalid_token", reply
        fields = {"facilitator": await invite(b.http, ROOM)} if person is fran else {}
        rejoined = await person.join(url, **fields)
        assert rejoined["position"]["epoch"] != old_epoch
        assert rejoined["meeting"]["round"] is None  # the meeting state was lost with Redis
    marker = await settle(homes, poster=ann)
    for person in everyone:
        check_history(person)
        assert chat_texts(person)[0] == "before the outage"
        assert chat_texts(person)[-1] == marker
        assert not any(e.get("text") == "into the void" for e in person.events())
    for node in (a, b):
        assert "Traceback" not in node.logs()
        assert await _status(node.http, "/readyz") == 200
    for person in everyone:
        await person.leave()


FAST = FAST_FAULTS


async def _sees(person: Person, seq: int, url: str) -> None:
    """The person gets the event at `seq`: healed in place, or, if the node could not heal (its
    command connections were in the black hole too), after an explicit 4010 and a resume."""
    try:
        await person.event("chat.message", seq=seq)
        return
    except AssertionError:
        if person.connected:
            raise
    assert await person.closed() == 4010
    reply = await person.resume(url)
    assert reply["recovered"] is True, reply  # the window still holds everything
    await person.event("chat.message", seq=seq)


@pytest.fixture
async def proxy(redis: RedisServer) -> AsyncIterator[BlackholeProxy]:
    started = await BlackholeProxy("127.0.0.1", redis.port).start()
    try:
        yield started
    finally:
        await started.aclose()


async def test_a_black_holed_subscriber_connection_is_noticed_and_healed(
    redis: RedisServer, proxy: BlackholeProxy
) -> None:
    """Node A reaches Redis through a proxy that goes silent: its PING check notices, it
    reconnects, and its member gets what was said meanwhile, in order, exactly once."""
    via_proxy = RedisBackend.from_url(proxy.url, **FAST)  # type: ignore[arg-type]
    direct = RedisBackend.from_url(redis.url, **FAST)  # type: ignore[arg-type]
    try:
        async with (
            live_server(node_settings(), backend=via_proxy) as a,
            live_server(node_settings(), backend=direct) as b,
        ):
            ann, ben = Person("Ann", ROOM), Person("Ben", ROOM)
            await ann.join(a.url)
            await ben.join(b.url)
            first = await ben.ok("post", text="before the black hole")
            await ann.event("chat.message", seq=first["seq"])

            assert proxy.blackhole() >= 2  # the subscriber and the command connection(s)
            missed = [await ben.ok("post", text=f"into the hole {i}") for i in range(3)]
            for ack in missed:  # healed from the replay window once PING found the hole
                await _sees(ann, ack["seq"], a.url)
            back = await ann.ok("post", text="out of the hole")
            for person in (ann, ben):
                await person.event("chat.message", seq=back["seq"])

            for person in (ann, ben):
                check_history(person)
                assert chat_texts(person) == [
                    "before the black hole",
                    *(f"into the hole {i}" for i in range(3)),
                    "out of the hole",
                ]
            for person in (ann, ben):
                await person.leave()
    finally:
        await asyncio.gather(via_proxy.aclose(), direct.aclose())
