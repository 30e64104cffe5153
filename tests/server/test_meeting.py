"""Meetings through the protocol: share rounds, turns and moderation, enforced by the server.

The node's meeting timers follow a manual clock, so a share "expires" when the test moves the
clock, never by sleeping.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rooms.clock import ManualClock
from tests.support.client import Client
from tests.support.live import Live, live_server, node_settings


async def invite(live: Live, room: str, role: str = "facilitator") -> str:
    response = await live.post(
        f"/api/admin/rooms/{room}/invites",
        json={"role": role},
        headers={"Authorization": "Bearer test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0"},
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


async def seat(live: Live, room: str, name: str, **fields: Any) -> Client:
    client = await Client.connect(live.url)
    await client.join(room, name, **fields)
    return client


async def facilitator(live: Live, room: str, name: str = "Fran") -> Client:
    return await seat(live, room, name, facilitator=await invite(live, room))


def floor_of(event: dict[str, Any]) -> str | None:
    round_ = event["meeting"]["round"]
    return round_["floor"]["member"] if round_ and round_["floor"] else None


async def test_a_whole_share_round(live_clocked: Live, clock: ManualClock) -> None:
    """Open, five shares with one pass, one extend, one skip, one timeout; end. Everyone agrees."""
    live = live_clocked
    fran = await facilitator(live, "daily-check-in")
    assert fran.member
    assert fran.member["role"] == "facilitator"
    people = [await seat(live, "daily-check-in", n) for n in ("Ann", "Ben", "Cat", "Dan", "Eve")]
    ids = [p.member["id"] for p in people]  # type: ignore[index]
    everyone = [fran, *people]

    await fran.ok("round.open", topic="Gratitude", share_seconds=120, order="round_robin")
    for client in everyone:
        opened = await client.event("round.opened")
        assert opened["topic"] == "Gratitude"
    state = await people[0].event("floor.granted")
    queue_order = [state["member"]]
    # Round-robin: everyone seated and not listen-only, in join order (the facilitator too).
    assert state["member"] == fran.member["id"]  # type: ignore[index]
    await fran.ok("share.done")

    # Ann shares and finishes early.
    await people[0].event("floor.granted", member=ids[0])
    refused = await people[1].request("post", text="crosstalk!")
    assert refused["code"] == "not_your_turn"
    await people[0].ok("post", text="I am grateful for today.")
    await people[0].ok("share.done")

    # Ben passes.
    await people[1].event("floor.granted", member=ids[1])
    await people[1].ok("pass")

    # Cat gets an extension, hears the warning, and the floor passes when time is up.
    granted = await people[2].event("floor.granted", member=ids[2])
    await fran.ok("share.extend", seconds=60)
    extended = await people[2].event("share.extended", member=ids[2])
    assert extended["ends_at"] == granted["ends_at"] + 60_000
    clock.advance(180 - 29)
    warning = await people[2].event("share.warning", member=ids[2])
    assert warning["remaining_ms"] <= 30_000
    clock.advance(30)
    ended = await people[2].event("share.ended", member=ids[2])
    assert ended["how"] == "time"

    # Dan is skipped by the facilitator; Eve shares; the facilitator ends the round.
    await people[3].event("floor.granted", member=ids[3])
    await fran.ok("share.skip")
    skipped = await people[3].event("share.ended", member=ids[3])
    assert skipped["how"] == "skipped"
    await people[4].event("floor.granted", member=ids[4])
    await fran.ok("round.end")
    for client in everyone:
        await client.event("round.ended")
    # Everyone saw the same floor holders, in the same order, with the same seqs.
    reference = [(e["seq"], e["member"]) for e in fran.named("floor.granted")]
    assert [m for _, m in reference] == [*queue_order, *ids]
    for client in people:
        assert [(e["seq"], e["member"]) for e in client.named("floor.granted")] == reference
    last_state = people[0].named("meeting.state")[-1]
    assert last_state["meeting"]["round"] is None
    for client in everyone:
        await client.close()


async def test_only_the_floor_holder_and_facilitators_post_during_a_round(live: Live) -> None:
    fran = await facilitator(live, "daily-check-in")
    ann = await seat(live, "daily-check-in", "Ann")
    ben = await seat(live, "daily-check-in", "Ben")
    await fran.ok("round.open", topic="Check-in", order="hands")
    await ann.ok("hand.raise")
    await ben.ok("hand.raise")
    await ben.event("floor.granted", member=ann.member["id"])  # type: ignore[index]
    assert (await ben.request("post", text="me too"))["code"] == "not_your_turn"
    await ben.ok("react", mid=1, reaction="heart")  # reactions are not crosstalk
    await ann.ok("post", text="my share")
    await fran.ok("post", text="thank you, Ann")
    meeting = await ben.event("hand.raised", member=ben.member["id"])  # type: ignore[index]
    assert meeting
    for client in (fran, ann, ben):
        await client.close()


async def test_members_cannot_run_facilitator_commands(live: Live) -> None:
    ann = await seat(live, "daily-check-in", "Ann")
    ben = await seat(live, "daily-check-in", "Ben")
    target = ben.member["id"]  # type: ignore[index]
    for kind, fields in [
        ("round.open", {"topic": "mine now"}),
        ("mute", {"member": target, "seconds": 60}),
        ("remove", {"member": target, "reason": "x"}),
        ("lock.set", {"on": True}),
        ("facilitator.add", {"member": ann.member["id"]}),  # type: ignore[index]
        ("room.reset", {}),
    ]:
        reply = await ann.request(kind, **fields)
        assert reply["code"] == "not_facilitator", (kind, reply)
    await ann.close()
    await ben.close()


async def test_listen_only_room_lets_only_facilitators_post(live: Live) -> None:
    fran = await facilitator(live, "speaker-meeting")
    ann = await seat(live, "speaker-meeting", "Ann")
    assert (await ann.request("post", text="hello"))["code"] == "listen_only"
    await fran.ok("post", text="Welcome to the speaker meeting.")
    await ann.event("chat.message", text="Welcome to the speaker meeting.")
    await fran.close()
    await ann.close()


async def test_self_chosen_listen_only_blocks_posting_and_hands(live: Live) -> None:
    ann = await seat(live, "daily-check-in", "Ann")
    await ann.ok("listen_only.set", on=True)
    assert (await ann.request("post", text="hi"))["code"] == "listen_only"
    assert (await ann.request("hand.raise"))["code"] == "listen_only"
    await ann.ok("listen_only.set", on=False)
    await ann.ok("post", text="back")
    await ann.close()


async def test_self_led_room_takes_turns_without_a_facilitator(
    live_clocked: Live, clock: ManualClock
) -> None:
    live = live_clocked
    ann = await seat(live, "night-owls", "Ann")
    ben = await seat(live, "night-owls", "Ben")
    await ann.ok("hand.raise")
    opened = await ben.event("round.opened")
    assert opened["by"] is None
    await ben.event("floor.granted", member=ann.member["id"])  # type: ignore[index]
    await ben.ok("hand.raise")
    clock.advance(181)
    await ann.event("floor.granted", member=ben.member["id"])  # type: ignore[index]
    assert (await ben.request("share.skip"))["code"] == "not_facilitator"
    await ben.ok("share.done")
    await ann.event("round.ended")
    await ann.close()
    await ben.close()


async def test_moderation_mute_and_remove(live: Live) -> None:
    fran = await facilitator(live, "daily-check-in")
    troll = await seat(live, "daily-check-in", "Troll")
    other = await seat(live, "daily-check-in", "Kind")
    tid = troll.member["id"]  # type: ignore[index]
    await fran.ok("mute", member=tid, seconds=600)
    updated = await other.event("member.updated", member=await _member_obj(other, tid))
    assert updated["member"]["muted_until"] is not None
    assert (await troll.request("post", text="spam"))["code"] == "muted"
    log = await fran.event("moderation", action="mute")
    assert log["target"] == tid
    assert "text" not in log
    hidden = [e for e in other.events if e["seq"] == log["seq"]]
    assert hidden
    assert hidden[0]["event"] == "hidden"

    token = troll.token
    await fran.ok("remove", member=tid, reason="disruptive")
    assert (await troll.closed())[0] == 4500
    left = await other.event("member.left", member=tid)
    assert left["reason"] == "removed"
    again = await Client.connect(live.url)
    reply = await again.request("resume", token=token, seq=0, epoch="")
    assert reply["code"] in ("removed", "banned"), reply
    await again.close()
    await fran.close()
    await other.close()


async def _member_obj(client: Client, member_id: str) -> dict[str, Any]:
    event = await client.wait_for(
        lambda e: e.get("event") == "member.updated" and e["member"]["id"] == member_id
    )
    member: dict[str, Any] = event["member"]
    return member


async def test_message_removal_hides_it_and_drops_it_from_the_window(live: Live) -> None:
    fran = await facilitator(live, "daily-check-in")
    ann = await seat(live, "daily-check-in", "Ann")
    ben = await seat(live, "daily-check-in", "Ben")
    ack = await ann.ok("post", text="something hurtful")
    await ben.event("chat.message", seq=ack["seq"])
    token, last = ben.token, ben.events[-1]
    await ben.close()
    await fran.ok("message.remove", mid=ack["seq"])
    await ann.event("chat.removed", mid=ack["seq"])
    back = await Client.connect(live.url)
    reply = await back.ok("resume", token=token, seq=last["seq"] - 1, epoch=last["epoch"])
    assert reply["recovered"] is True
    await back.event("chat.removed", mid=ack["seq"])
    replayed = [e for e in back.events if e["seq"] == ack["seq"]]
    assert replayed == [] or replayed[0]["event"] == "redacted"
    assert not any(e.get("text") == "something hurtful" for e in back.events)
    for client in (fran, ann, back):
        await client.close()


async def test_lock_and_slow_mode(live: Live) -> None:
    fran = await facilitator(live, "daily-check-in")
    ann = await seat(live, "daily-check-in", "Ann")
    await fran.ok("slow.set", seconds=60)
    await ann.ok("post", text="one")
    slow = await ann.request("post", text="two")
    assert slow["code"] == "slow_mode"
    assert slow["retry_after_ms"] > 0
    await fran.ok("post", text="facilitators are exempt")
    await fran.ok("post", text="still exempt")
    await fran.ok("lock.set", on=True)
    late = await Client.connect(live.url)
    assert (await late.request("join", room="daily-check-in", name="Late"))["code"] == "room_locked"
    await fran.ok("lock.set", on=False)
    await late.join("daily-check-in", "Late")
    for client in (fran, ann, late):
        await client.close()


async def test_handover_and_co_facilitator(live: Live) -> None:
    fran = await facilitator(live, "daily-check-in")
    ann = await seat(live, "daily-check-in", "Ann")
    aid = ann.member["id"]  # type: ignore[index]
    await fran.ok("facilitator.add", member=aid)
    await ann.wait_for(
        lambda e: (
            e.get("event") == "member.updated"
            and e["member"]["id"] == aid
            and e["member"]["role"] == "facilitator"
        )
    )
    await ann.ok("round.open", topic="Ann runs this one")
    await ann.ok("facilitator.handover", member=fran.member["id"])  # type: ignore[index]
    await ann.wait_for(
        lambda e: (
            e.get("event") == "member.updated"
            and e["member"]["id"] == aid
            and e["member"]["role"] == "member"
        )
    )
    assert (await ann.request("round.end"))["code"] == "not_facilitator"
    await fran.close()
    await ann.close()


async def test_lobby_newcomers_see_nothing_until_admitted(live: Live) -> None:
    fran = await facilitator(live, "daily-check-in")
    ann = await seat(live, "daily-check-in", "Ann")
    await fran.ok("lobby.set", on=True)
    newcomer = await Client.connect(live.url)
    parked = await newcomer.ok("join", room="daily-check-in", name="Newt")
    assert parked["lobby"] is True
    assert "token" not in parked
    waiting = await fran.event("lobby.waiting", name="Newt")
    await ann.ok("post", text="said while Newt waits")
    assert (await newcomer.request("post", text="let me in"))["code"] == "not_joined"
    await fran.ok("lobby.admit", ticket=waiting["ticket"])
    admitted = await newcomer.wait_for(lambda f: f.get("type") == "admitted", frames=True)
    assert admitted["member"]["name"] == "Newt"
    assert admitted["token"]
    await ann.ok("post", text="welcome Newt")
    await newcomer.event("chat.message", text="welcome Newt")
    assert not any(e.get("text") == "said while Newt waits" for e in newcomer.events)
    await newcomer.ok("post", text="thanks")

    other = await Client.connect(live.url)
    await other.ok("join", room="daily-check-in", name="Otto")
    waiting = await fran.event("lobby.waiting", name="Otto")
    await fran.ok("lobby.deny", ticket=waiting["ticket"])
    await other.wait_for(lambda f: f.get("type") == "lobby.denied", frames=True)
    assert (await other.closed())[0] == 4503
    for client in (fran, ann, newcomer):
        await client.close()


async def test_waiting_in_the_lobby_is_not_a_join_timeout() -> None:
    """The join deadline is for saying who you are, not for how long facilitators take."""
    async with live_server(node_settings(join_deadline_seconds=0.3)) as live:
        fran = await facilitator(live, "daily-check-in")
        await fran.ok("lobby.set", on=True)
        newcomer = await Client.connect(live.url)
        await newcomer.ok("join", room="daily-check-in", name="Patient")
        waiting = await fran.event("lobby.waiting", name="Patient")
        await asyncio.sleep(0.6)  # twice the join deadline (a bound, not a timing assertion)
        assert (await newcomer.request("ping"))["type"] == "pong"
        second_invite = await invite(live, "daily-check-in")  # before connecting: 0.3 s deadline
        late = await Client.connect(live.url)
        joined = await late.join("daily-check-in", "Fran2", facilitator=second_invite)
        assert joined["waiting"] == [{"ticket": waiting["ticket"], "name": "Patient"}]
        await fran.ok("lobby.admit", ticket=waiting["ticket"])
        await newcomer.wait_for(lambda f: f.get("type") == "admitted", frames=True)
        for client in (fran, newcomer, late):
            await client.close()
