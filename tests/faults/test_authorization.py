"""Who someone is comes from the server, never from a frame; removed and banned people stay out.

In-process nodes (two of them sharing one in-memory store where a test needs "every node"), a
manual clock where a ban has to run out. Every refusal is a documented code.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus

from rooms.backends.memory import MemoryBackend
from rooms.clock import ManualClock
from tests.faults.people import Person, invite
from tests.support.client import Client
from tests.support.live import Live, live_server, node_settings

ROOT = Path(__file__).resolve().parents[2]
ROOM = "daily-check-in"


@pytest.fixture
async def pair() -> AsyncIterator[tuple[Live, Live]]:
    """Two nodes of one cluster: two apps sharing one in-memory store."""
    first = MemoryBackend()
    second = MemoryBackend(share_with=first)
    async with (
        live_server(node_settings(), backend=first) as a,
        live_server(node_settings(), backend=second) as b,
    ):
        yield a, b


async def _refusal(live: Live, kind: str, **fields: object) -> str:
    """The error code a fresh connection gets for one command (fresh: three invalid frames
    within a minute close a connection with 1008)."""
    client = await Client.connect(live.url)
    reply = await client.request(kind, **fields)
    await client.close()
    assert reply["type"] == "error", reply
    return str(reply["code"])


async def _fac(live: Live, room: str = ROOM, name: str = "Fran") -> Person:
    fran = Person(name, room)
    await fran.join(
        live.url,
        facilitator=await invite(
            live.http, room, admin="test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0"
        ),
    )
    return fran


async def test_role_and_identity_never_come_from_frame_fields(live: Live) -> None:
    """Fields that would claim a role or another person's identity are refused outright."""
    fran = await _fac(live)
    for fields in (
        {"role": "facilitator"},
        {"facilitator": True},
        {"member": fran.member_id},
        {"id_override": fran.member_id},
        {"facilitator": "made-up"},
    ):
        code = await _refusal(live, "join", room=ROOM, name="Mallory", **fields)
        assert code in ("bad_request", "invalid_token"), (fields, code)

    mallory = Person("Mallory", ROOM)
    await mallory.join(live.url)
    for fields in ({"from": fran.member_id}, {"name": "Fran"}):  # two: the third would close
        assert (await mallory.request("post", text="hi", **fields))["code"] == "bad_request"
    assert (await mallory.request("round.open", topic="mine"))["code"] == "not_facilitator"
    said = await mallory.ok("post", text="only as myself")
    seen = await fran.event("chat.message", seq=said["seq"])
    assert (seen["from"], seen["name"]) == (mallory.member_id, "Mallory")
    # An invite for one room, or of one kind, opens nothing else.
    other = await invite(
        live.http, "night-owls", admin="test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0"
    )
    assert await _refusal(live, "join", room=ROOM, name="S", facilitator=other) == "invalid_token"
    for person in (fran, mallory):
        await person.leave()


async def test_a_removed_member_is_closed_everywhere_and_cannot_resume(
    pair: tuple[Live, Live],
) -> None:
    """Both of Troll's connections, on two nodes, close with 4500; the session is dead."""
    a, b = pair
    fran = await _fac(a)
    troll, kind = Person("Troll", ROOM), Person("Kind", ROOM)
    await troll.join(a.url)
    await kind.join(b.url)
    second_tab = Client(await _raw_connect(b.url), False)
    await second_tab.wait_for(lambda f: f.get("type") == "hello", frames=True)
    seq, epoch = troll.last_position()
    tab = await second_tab.ok("resume", token=troll.token, seq=seq, epoch=epoch)
    await fran.ok("remove", member=troll.member_id, reason="disruptive")
    assert (await troll.closed()) == 4500
    assert (await second_tab.closed())[0] == 4500
    left = await kind.event("member.left", member=troll.member_id)
    assert left["reason"] == "removed"
    for node in (a, b):
        for token in (troll.token, tab["token"]):
            again = await Client.connect(node.url)
            reply = await again.request("resume", token=token, seq=0, epoch="")
            assert reply["code"] == "removed", reply
            await again.close()
    said = await kind.ok("post", text="calm again")
    await fran.event("chat.message", seq=said["seq"])
    for person in (fran, kind):
        await person.leave()


async def _raw_connect(url: str) -> object:
    from websockets.asyncio.client import connect

    return await connect(url, subprotocols=["sharecircle.v1.json"])  # type: ignore[list-item]


async def test_a_banned_member_cannot_resume_or_rejoin_from_their_network() -> None:
    """A ban holds against the session and the network mark (everyone here is 127.0.0.1), for
    members and observers, and lifts when its time is up; people already seated stay."""
    clock = ManualClock()
    async with live_server(node_settings(), clock=clock) as live:
        fran = await _fac(live)
        troll, kind = Person("Troll", ROOM), Person("Kind", ROOM)
        await troll.join(live.url)
        await kind.join(live.url)
        await fran.ok("ban", member=troll.member_id, seconds=600, reason="threats")
        assert (await troll.closed()) == 4501
        again = await Client.connect(live.url)
        assert (await again.request("resume", token=troll.token, seq=0, epoch=""))["code"] == (
            "banned"
        )
        for fields in ({"name": "Troll Again"}, {"role": "observer"}):
            reply = await again.request("join", room=ROOM, **fields)
            assert reply["code"] == "banned", (fields, reply)
        await again.close()
        said = await kind.ok("post", text="still seated, still heard")  # same address, not banned
        await fran.event("chat.message", seq=said["seq"])
        clock.advance(601)  # the ban runs out
        later = Person("Someone New", ROOM)
        await later.join(live.url)
        for person in (fran, kind, later):
            await person.leave()


async def test_a_closed_room_needs_its_own_invite(live: Live) -> None:
    made = await live.post(
        "/api/admin/rooms",
        json={"slug": "inner-circle", "name": "Inner Circle", "access": "closed"},
        headers={"Authorization": "Bearer test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0"},
    )
    assert made.status_code == 201, made.text
    member_invite = (
        await live.post(
            "/api/admin/rooms/inner-circle/invites",
            json={"role": "member"},
            headers={"Authorization": "Bearer test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0"},
        )
    ).json()
    assert member_invite["link"].startswith("/#")  # a fragment: never sent to any server
    elsewhere = await invite(
        live.http,
        "night-owls",
        role="member",
        admin="test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0",
    )
    facilitator_kind = await invite(
        live.http, "inner-circle", admin="test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0"
    )
    client = await Client.connect(live.url)
    for fields, code in (
        ({}, "room_closed"),
        ({"role": "observer"}, "room_closed"),
    ):
        reply = await client.request("join", room="inner-circle", name="Curious", **fields)
        assert reply["code"] == code, (fields, reply)
    await client.close()
    client = await Client.connect(live.url)
    for token in ("forged", elsewhere):
        reply = await client.request("join", room="inner-circle", name="Curious", invite=token)
        assert reply["code"] == "invalid_token"
    await client.close()
    client = await Client.connect(live.url)
    reply = await client.request(
        "join", room="inner-circle", name="Curious", invite=facilitator_kind
    )
    assert reply["code"] == "invalid_token"  # a facilitator invite is not a member invite
    await client.close()

    insider = Person("Insider", "inner-circle")
    await insider.join(live.url, invite=member_invite["token"])
    await insider.ok("post", text="inner words")
    listed = {r["slug"]: r for r in (await live.get("/api/rooms")).json()}
    assert listed["inner-circle"]["access"] == "closed"
    assert "Insider" not in str(listed)
    assert "inner words" not in str(listed)
    # The session, not the invite, brings Insider back.
    await insider.leave()
    reply = await insider.resume(live.url)
    assert reply["recovered"] is True
    await insider.leave()


async def test_only_allowed_origins_may_open_a_websocket() -> None:
    settings = node_settings(allowed_origins=["https://circle.example"])
    async with live_server(settings) as live:
        host = live.http.removeprefix("http://")
        for origin in (
            "https://evil.example",
            "null",
            f"http://{host}.evil.example",
            "https://circle.example.evil.example",
        ):
            with pytest.raises(InvalidStatus) as info:
                await Client.connect(live.url, origin=origin)
            assert info.value.response.status_code == 403, origin
        for origin in ("https://circle.example", live.http):
            ok = await Client.connect(live.url, origin=origin)
            await ok.close()


def test_no_token_ever_travels_in_a_url() -> None:
    """Credentials go in the first frame (protocol.md §1); invite links carry them in the
    fragment, which browsers never send. Nothing builds or reads a query-string credential."""
    query_credential = re.compile(r"[?&](token|invite|facilitator|session|secret)=", re.I)
    reads_query = re.compile(r"(location\.search|searchParams\.get|query_params|query_string)")
    sources = [*ROOT.glob("web_client/*.js"), *ROOT.glob("web_client/*.html")]
    sources += [*ROOT.glob("server/*.py"), *ROOT.glob("rooms/**/*.py")]
    assert sources
    for path in sources:
        text = path.read_text()
        for line in text.splitlines():
            for match in query_credential.finditer(line):
                before = line[: match.start()]
                query, fragment = before.rfind("?"), before.rfind("#")
                in_query = match.group()[0] == "?" or query > fragment or fragment == -1
                assert not in_query, f"{path}: {line.strip()}"
        for match in reads_query.finditer(text):
            line = text[: match.start()].count("\n") + 1
            context = text.splitlines()[line - 1]
            # Only allowed: keeping the page's own (credential-free) query when the fragment
            # holding an invite is scrubbed from the address bar.
            assert "replaceState" in context, f"{path}:{line}: {context.strip()}"
