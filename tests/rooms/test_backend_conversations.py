"""The private-conversation part of the backend contract, run against every backend.

A conversation's events never enter a room's stream: they have their own seq, are kept only for
the replay window, travel on the one conversation bus to every node, and are all gone the moment
the conversation is dropped. The manual `clock` ages them; nothing here sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from rooms.backends.base import Backend, ConversationEvent, Gap, Position
from rooms.clock import ManualClock
from tests.support.backends import BackendFactory, stored_bytes

TIMEOUT = 5.0
"""Upper bound for one wait on delivery (never a timing assertion)."""

CV = "cv_test1"
LIFE = 3600.0


async def receive(stream: AsyncIterator[ConversationEvent | Gap]) -> ConversationEvent:
    async with asyncio.timeout(TIMEOUT):
        item = await anext(stream)
    assert isinstance(item, ConversationEvent), item
    return item


async def test_a_record_is_kept_until_its_ttl(backend: Backend, clock: ManualClock) -> None:
    """A conversation record reads back until its time-to-live passes."""
    await backend.put_conversation(CV, b"record", 60)
    assert await backend.get_conversation(CV) == b"record"
    clock.advance(61)
    assert await backend.get_conversation(CV) is None


async def test_events_count_per_conversation_and_reach_every_node(
    make_backend: BackendFactory,
) -> None:
    """Each conversation has its own seq from 1; its events reach the bus on every node."""
    one, two = make_backend(), make_backend()
    await one.put_conversation(CV, b"r", LIFE)
    await one.put_conversation("cv_other", b"r", LIFE)
    async with two.subscribe_conversations() as bus:
        assert await one.append_conversation(CV, b"hello", LIFE) == 1
        assert await two.append_conversation(CV, b"again", LIFE) == 2
        assert await one.append_conversation("cv_other", b"elsewhere", LIFE) == 1
        got = [await receive(bus) for _ in range(3)]
    assert [(e.conversation, e.seq, e.payload) for e in got] == [
        (CV, 1, b"hello"),
        (CV, 2, b"again"),
        ("cv_other", 1, b"elsewhere"),
    ]


async def test_nothing_is_appended_to_a_conversation_without_a_record(backend: Backend) -> None:
    """An ended (or never opened) conversation takes no events."""
    assert await backend.append_conversation(CV, b"late", LIFE) is None
    assert await backend.replay_conversation(CV, 0) == []


async def test_replay_gives_what_is_still_in_the_window(
    backend: Backend, clock: ManualClock
) -> None:
    """Replay returns the events after a seq, in order, until they age out of the window."""
    await backend.put_conversation(CV, b"r", LIFE)
    for text in (b"a", b"b", b"c"):
        await backend.append_conversation(CV, text, LIFE)
    assert [e.payload for e in await backend.replay_conversation(CV, 1)] == [b"b", b"c"]
    clock.advance(301)  # the factory's window is the default 300 s
    assert await backend.replay_conversation(CV, 0) == []
    assert await backend.append_conversation(CV, b"d", LIFE) == 4  # the seq never restarts
    assert [e.seq for e in await backend.replay_conversation(CV, 0)] == [4]


async def test_an_event_past_the_window_is_not_kept_once_read(
    make_backend: BackendFactory, clock: ManualClock
) -> None:
    """Past the window an event is neither replayed nor stored (Redis as memory: no grace)."""
    backend = make_backend()
    await backend.put_conversation(CV, b"r", LIFE)
    await backend.append_conversation(CV, b"words-MARK", LIFE)
    clock.advance(300.5)  # the factory's window is the default 300 s
    assert await backend.replay_conversation(CV, 0) == []
    assert b"MARK" not in await stored_bytes(make_backend, backend)


async def test_dropping_a_conversation_removes_every_trace(
    make_backend: BackendFactory,
) -> None:
    """After `drop_conversation` neither the record nor any event is stored anywhere."""
    backend = make_backend()
    await backend.put_conversation(CV, b"record-MARK", LIFE)
    await backend.append_conversation(CV, b"words-MARK", LIFE)
    assert b"words-MARK" in await stored_bytes(make_backend, backend)
    await backend.drop_conversation(CV)
    assert await backend.get_conversation(CV) is None
    assert await backend.replay_conversation(CV, 0) == []
    assert b"MARK" not in await stored_bytes(make_backend, backend)
    assert await backend.append_conversation(CV, b"after", LIFE) is None


async def test_conversations_never_touch_a_room_stream(backend: Backend) -> None:
    """A conversation's events give no room a seq, a window entry or an epoch change."""
    before = await backend.position("night-owls")
    await backend.put_conversation(CV, b"r", LIFE)
    await backend.append_conversation(CV, b"private", LIFE)
    after = await backend.position("night-owls")
    assert after == Position(before.seq, before.epoch)
