"""Joining and chatting through the protocol, on both subprotocols."""

from __future__ import annotations

import pytest

from tests.support.client import Client, gapless
from tests.support.live import Live


@pytest.mark.parametrize("binary", [False, True], ids=["json", "msgpack"])
async def test_two_members_chat(live: Live, binary: bool) -> None:
    """Both see each other's message with the same seq, and the sender gets an ack."""
    alice = await Client.connect(live.url, binary=binary)
    bob = await Client.connect(live.url, binary=not binary)
    assert alice.hello
    assert alice.hello["protocol"] == "sharecircle.v1"
    a = await alice.join("night-owls", "Alice")
    b = await bob.join("night-owls", "Bob")
    assert a["member"]["name"] == "Alice"
    assert {m["name"] for m in b["members"]} == {"Alice", "Bob"}
    await alice.event("member.joined", member=b["member"])
    ack = await alice.ok("post", text="hello from the night")
    for client in (alice, bob):
        message = await client.event("chat.message", seq=ack["seq"])
        assert message["text"] == "hello from the night"
        assert message["from"] == a["member"]["id"]
        assert message["mid"] == ack["seq"]
    await alice.close()
    await bob.close()


async def test_sequence_numbers_increase_by_one(live: Live) -> None:
    """Every event a seated member receives has the next seq."""
    alice = await Client.connect(live.url)
    bob = await Client.connect(live.url)
    await alice.join("night-owls", "Alice")
    await bob.join("night-owls", "Bob")
    for i in range(5):
        await bob.ok("post", text=f"message {i}")
    await alice.event("chat.message", text="message 4")
    assert gapless(alice.seqs())
    assert alice.seqs()[-1] == bob.seqs()[-1]
    await alice.close()
    await bob.close()


async def test_newcomer_does_not_receive_earlier_messages(live: Live) -> None:
    """What was said before someone joined is never sent to them."""
    alice = await Client.connect(live.url)
    await alice.join("night-owls", "Alice")
    await alice.ok("post", text="said before Bob came")
    bob = await Client.connect(live.url)
    await bob.join("night-owls", "Bob")
    await alice.ok("post", text="said after")
    await bob.event("chat.message", text="said after")
    assert not any(e.get("text") == "said before Bob came" for e in bob.events)
    await alice.close()
    await bob.close()


async def test_reactions_reach_everyone(live: Live) -> None:
    alice = await Client.connect(live.url)
    bob = await Client.connect(live.url)
    await alice.join("night-owls", "Alice")
    await bob.join("night-owls", "Bob")
    ack = await alice.ok("post", text="first time here")
    await bob.ok("react", mid=ack["seq"], reaction="heart")
    reaction = await alice.event("chat.reaction", mid=ack["seq"])
    assert reaction["reaction"] == "heart"
    assert reaction["on"] is True
    await bob.ok("react", mid=ack["seq"], reaction="heart", on=False)
    withdrawn = await alice.event("chat.reaction", mid=ack["seq"], on=False)
    assert withdrawn["from"] == reaction["from"]
    await alice.close()
    await bob.close()


async def test_observer_is_counted_never_listed_and_cannot_post(live: Live) -> None:
    alice = await Client.connect(live.url)
    await alice.join("night-owls", "Alice")
    watcher = await Client.connect(live.url)
    joined = await watcher.ok("join", room="night-owls", role="observer")
    assert joined["member"] is None
    assert [m["name"] for m in joined["members"]] == ["Alice"]
    counted = await alice.event("observers", count=1)
    assert "name" not in counted
    for kind, fields in [
        ("post", {"text": "can I talk?"}),
        ("hand.raise", {}),
        ("react", {"mid": 1, "reaction": "heart"}),
    ]:
        reply = await watcher.request(kind, **fields)
        assert reply["code"] == "observer", reply
    await alice.ok("post", text="observers still hear this")
    await watcher.event("chat.message", text="observers still hear this")
    await watcher.close()
    await alice.event("observers", count=0)
    await alice.close()


async def test_names_must_be_unique_and_clean(live: Live) -> None:
    alice = await Client.connect(live.url)
    await alice.join("night-owls", "River")
    impostor = await Client.connect(live.url)
    for name, code in [
        ("river", "name_taken"),
        ("Rivеr", "name_taken"),
        ("Ri\x07ver", "invalid_name"),
        ("Facilitator", "invalid_name"),
    ]:
        reply = await impostor.request("join", room="night-owls", name=name)
        assert reply["code"] == code, (name, reply)
    await impostor.join("night-owls", "Rover")
    await alice.close()
    await impostor.close()


async def test_commands_before_joining_are_refused(live: Live) -> None:
    client = await Client.connect(live.url)
    reply = await client.request("post", text="hi")
    assert reply["code"] == "not_joined"
    reply = await client.request("join", room="no-such-room", name="Sam")
    assert reply["code"] == "room_not_found"
    assert (await client.request("ping"))["type"] == "pong"
    await client.close()


async def test_leave_releases_the_seat_and_name(live: Live) -> None:
    alice = await Client.connect(live.url)
    bob = await Client.connect(live.url)
    a = await alice.join("night-owls", "Alice")
    await bob.join("night-owls", "Bob")
    await alice.ok("leave")
    assert (await alice.closed())[0] == 1000
    left = await bob.event("member.left", member=a["member"]["id"])
    assert left["reason"] == "left"
    again = await Client.connect(live.url)
    await again.join("night-owls", "Alice")
    await bob.close()
    await again.close()


async def test_room_list_shows_counts_and_mode(live: Live) -> None:
    alice = await Client.connect(live.url)
    await alice.join("night-owls", "Alice")
    response = await live.get("/api/rooms")
    rooms = {r["slug"]: r for r in response.json()}
    assert rooms["night-owls"]["members"] == 1
    assert rooms["night-owls"]["mode"] == "open"
    assert rooms["speaker-meeting"]["mode"] == "listen_only"
    assert "Alice" not in response.text
    await alice.close()
