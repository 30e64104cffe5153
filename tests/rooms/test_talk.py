"""rooms/talk.py on one node and the memory backend: how long a party who went away keeps
their conversations (one seat-hold wait per party, cancelled when they are back) and how long
the records outlive them if nobody ends them (a node gone); and the presence check the
conversations share with the media link. The manual clock; nothing sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from rooms.backends.memory import MemoryBackend
from rooms.clock import ManualClock
from rooms.conversations import Conversation, Party
from rooms.talk import Talk
from tests.rooms.service_harness import ROOM, Recorder, service

HOLD = 300.0
WINDOW = 300.0
LIFE = 12 * 3600.0
FAC = Party("m:fac", "Fac")
MEMBER = Party("m:river", "River")


@dataclass
class Outlet:
    conn_id: str
    got: list[Mapping[str, Any]] = field(default_factory=list)

    def send(self, frame: Mapping[str, Any]) -> None:
        self.got.append(frame)


def talk_on(backend: MemoryBackend, clock: ManualClock) -> Talk:
    return Talk(backend, clock, lifetime=LIFE, seat_hold=HOLD, window=WINDOW, max_text_chars=2000)


@pytest.fixture
async def node(clock: ManualClock) -> AsyncIterator[tuple[Talk, MemoryBackend]]:
    backend = MemoryBackend(window_seconds=WINDOW, clock=clock)
    talk = talk_on(backend, clock)
    yield talk, backend
    await talk.aclose()


async def settle() -> None:
    for _ in range(20):  # bounded: lets the spawned waits run up to their next sleep
        await asyncio.sleep(0)


async def not_here() -> bool:
    return False


async def open_word(talk: Talk) -> Conversation:
    conversation = await talk.open_word("night-owls", FAC, MEMBER)
    for party in (FAC, MEMBER):
        talk.attach(party.key, Outlet(f"c-{party.name}"))
    return conversation


async def test_back_within_the_hold_then_away_again_waits_a_whole_hold(
    node: tuple[Talk, MemoryBackend], clock: ManualClock
) -> None:
    """Away, back, away again: the first wait is cancelled, so the conversation ends a full
    seat hold after the second drop, not when the first wait would have run out."""
    talk, _ = node
    conversation = await open_word(talk)
    first = Outlet("c-River")
    talk.detach(MEMBER.key, first)
    talk.away(MEMBER.key, not_here)
    talk.away(MEMBER.key, not_here)  # a second close of the same person: still one wait
    await settle()
    clock.advance(200)
    await settle()
    second = Outlet("c-River-2")
    talk.attach(MEMBER.key, second)
    await talk.replay_to(MEMBER.key, second)
    talk.detach(MEMBER.key, second)
    talk.away(MEMBER.key, not_here)
    await settle()
    clock.advance(150)  # 350 s after the first drop, 150 s after the second
    await settle()
    assert await talk.find(conversation.id) is not None
    clock.advance(HOLD)
    await settle()
    assert await talk.find(conversation.id) is None


async def test_a_record_outlives_an_away_party_by_the_hold_and_window_only(
    node: tuple[Talk, MemoryBackend], clock: ManualClock
) -> None:
    """The node that would end it is gone: the record and the index still go after the seat
    hold plus the replay window, not after the session lifetime."""
    talk, backend = node
    conversation = await open_word(talk)
    talk.detach(MEMBER.key, Outlet("c-River"))
    talk.away(MEMBER.key, not_here)
    await settle()
    await talk.aclose()  # this node stops: nobody ends the conversation
    clock.advance(HOLD + WINDOW + 1)
    other = talk_on(backend, clock)
    assert await other.find(conversation.id) is None
    assert await other.live(MEMBER.key) == []
    await other.aclose()


async def test_a_party_who_comes_back_keeps_the_whole_lifetime(
    node: tuple[Talk, MemoryBackend], clock: ManualClock
) -> None:
    """Away then resumed: the record lives the session lifetime again."""
    talk, _ = node
    conversation = await open_word(talk)
    talk.detach(MEMBER.key, Outlet("c-River"))
    talk.away(MEMBER.key, not_here)
    await settle()
    back = Outlet("c-River-2")
    talk.attach(MEMBER.key, back)
    await talk.replay_to(MEMBER.key, back)
    clock.advance(HOLD + WINDOW + 1)
    await settle()
    assert await talk.find(conversation.id) is not None


async def test_is_present_knows_who_is_seated_in_which_room() -> None:
    """`RoomsService.is_present`: the one check the conversations and the media link share."""
    async with service() as (svc, _):
        result = await svc.join(
            Recorder(),
            ROOM.slug,
            name="River",
            observer=False,
            facilitator=False,
            marks=frozenset(),
            new_source=False,
        )
        member = result.seat.member_id
        assert await svc.is_present(ROOM.slug, member)
        assert not await svc.is_present(ROOM.slug, "m_nobody")
        assert not await svc.is_present("another-room", member)
