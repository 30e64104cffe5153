"""Per-room state: held while used, dropped with the last holder, and caches that forget."""

from __future__ import annotations

import asyncio

import msgpack

import facilitation as fx
from facilitation.serialize import PlainCache
from rooms.live import CachedMeeting, LiveRooms
from tests.facilitation.harness import Meeting


def test_a_room_lives_exactly_as_long_as_it_is_held() -> None:
    rooms = LiveRooms()
    first = rooms.hold("r")
    with rooms.using("r") as same:
        assert same is first
    assert rooms.get("r") is first
    rooms.release(first)
    assert rooms.get("r") is None
    assert len(rooms) == 0
    assert rooms.hold("r") is not first  # a new room, with none of the old caches


async def test_releasing_the_last_hold_cancels_the_rooms_tasks() -> None:
    rooms = LiveRooms()
    live = rooms.hold("r")
    task = asyncio.create_task(asyncio.Event().wait())
    live.tasks.append(task)
    rooms.release(live)
    await asyncio.sleep(0)
    assert task.cancelled()


def test_the_cache_covers_only_what_this_node_wrote() -> None:
    state = fx.MeetingState.new()
    written = CachedMeeting(3, state, epoch="e1", through_seq=10)
    assert written.covers(10, "e1")
    assert not written.covers(11, "e1")
    assert not written.covers(5, "e2")  # another epoch: the history was rebuilt
    assert not CachedMeeting(3, state).covers(1, "e1")  # read, not written: never covers


def _room_of(*names: str) -> Meeting:
    meeting = Meeting()
    for name in names:
        meeting.join(name)
    return meeting


def test_plain_cache_holds_only_the_last_states_participants() -> None:
    meeting = _room_of("ann", "ben")
    cache = PlainCache()
    first = fx.to_dict(meeting.state, cache)
    meeting.send(fx.Leave(member="ben"))
    second = fx.to_dict(meeting.state, cache)
    assert second["participants"][0] is first["participants"][0]
    assert second == fx.to_dict(meeting.state)  # the cache never changes what is written
    assert len(cache._by_member) == 1  # Ben is gone from it


async def test_following_a_room_holds_its_fan_out_without_anyone_in_it() -> None:
    """Hub.follow (voice connections whose chat is on another node): events reach the hooks,
    nobody is attached, and the subscription ends with the last follower."""
    from rooms.backends.memory import MemoryBackend
    from rooms.hub import Hub

    backend = MemoryBackend()
    hub = Hub(backend)
    seen: list[str] = []
    hub.hooks.append(lambda local, event: seen.append(event.event))
    unfollow = await hub.follow("r")
    again = await hub.follow("r")
    room = hub.rooms["r"]
    assert room.attendees == {}
    assert room.followers == 2
    await backend.publish("r", [msgpack.packb({"event": "chat.message", "text": "x"})])
    for _ in range(100):  # bounded: the listener task hands it to the hooks
        if seen:
            break
        await asyncio.sleep(0.01)
    assert seen == ["chat.message"]
    unfollow()
    unfollow()  # twice is once
    assert "r" in hub.rooms
    again()
    assert "r" not in hub.rooms
    await hub.aclose()
    await backend.aclose()
