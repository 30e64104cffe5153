"""The rooms layer on its own: seating, chat, per-room lifetime and the seam, without sockets."""

from __future__ import annotations

import pytest

import facilitation as fx
from rooms.errors import Denied, RoomNotFound, RoomsCode
from rooms.events import CHAT_MESSAGE, HIDDEN, MEETING_EVENTS, ROOM_EVENTS
from tests.rooms.service_harness import LOBBY_ROOM, ROOM, Recorder, service, settle


async def _join(svc, name: str, *, facilitator: bool = False, room=ROOM):  # type: ignore[no-untyped-def]
    sub = Recorder()
    result = await svc.join(
        sub, room.slug, name=name, observer=False, facilitator=facilitator, marks=frozenset()
    )
    return sub, result


async def test_a_joiner_is_seated_and_sees_what_follows_their_snapshot() -> None:
    """The snapshot ends just before the joiner's own member.joined; later posts arrive."""
    async with service() as (svc, _):
        ann, joined = await _join(svc, "Ann")
        assert joined.member is not None
        assert joined.member["name"] == "Ann"
        ben, _ = await _join(svc, "Ben")
        seq = await svc.post(joined.seat, "hello")
        await settle(lambda: CHAT_MESSAGE in ben.names())
        assert [e.seq for e in ben.events if e.event == CHAT_MESSAGE] == [seq]
        assert "member.joined" in ann.names()


async def test_a_bad_name_is_one_typed_refusal() -> None:
    async with service() as (svc, _):
        with pytest.raises(Denied) as info:
            await _join(svc, "\u200b")
        assert info.value.code is RoomsCode.INVALID_NAME
        assert len(svc.rooms) == 0
        assert not svc.hub.rooms


async def test_an_unknown_room_is_a_denial_too() -> None:
    async with service() as (svc, _):
        with pytest.raises(RoomNotFound) as info:
            await svc.join(
                Recorder(),
                "nowhere",
                name="A",
                observer=False,
                facilitator=False,
                marks=frozenset(),
            )
        assert info.value.code is RoomsCode.ROOM_NOT_FOUND


async def test_engine_refusals_keep_the_engines_code() -> None:
    """An observer may not raise a hand: the Refusal goes up unchanged inside Denied."""
    async with service() as (svc, _):
        sub = Recorder()
        watcher = await svc.join(
            sub, ROOM.slug, name=None, observer=True, facilitator=False, marks=frozenset()
        )
        with pytest.raises(Denied) as info:
            await svc.command(watcher.seat, fx.RaiseHand())
        assert info.value.code is fx.Refusal.OBSERVER


async def test_everything_about_a_room_goes_when_its_last_person_leaves() -> None:
    """The per-room object (caches, lock, queue, tasks) is dropped with the room's fan-out."""
    async with service() as (svc, _):
        _, ann = await _join(svc, "Ann")
        _, ben = await _join(svc, "Ben")
        live = svc.rooms.get(ROOM.slug)
        assert live is not None
        assert len(live.tasks) == 2
        tasks = list(live.tasks)
        await svc.leave(ann.seat)
        assert svc.rooms.get(ROOM.slug) is live
        await svc.disconnected(ben.seat)
        assert svc.rooms.get(ROOM.slug) is None
        assert not svc.hub.rooms
        await settle(lambda: all(t.done() for t in tasks))
        assert all(t.done() for t in tasks)


async def test_a_nodes_own_echo_does_not_reload_the_meeting() -> None:
    """The cache knows the seq it wrote: its own events keep it, a newer one drops it."""
    async with service() as (svc, _):
        ann, joined = await _join(svc, "Ann")
        live = svc.rooms.get(ROOM.slug)
        assert live is not None
        await svc.command(joined.seat, fx.RaiseHand())
        await settle(lambda: "hand.raised" in ann.names())
        cached = live.meeting
        assert cached is not None
        assert cached.through_seq >= 1
        echo = next(e for e in ann.events if e.event == "hand.raised")
        svc.meetings.saw_event(ROOM.slug, echo.seq, str(echo.frame["epoch"]))
        assert live.meeting is cached
        svc.meetings.saw_event(ROOM.slug, cached.through_seq + 1, str(echo.frame["epoch"]))
        assert live.meeting is None


async def test_facilitators_only_events_reach_others_as_hidden() -> None:
    """The rooms layer picks the form each attendee may read (the server never decides it)."""
    async with service() as (svc, _):
        fran, _ = await _join(svc, "Fran", facilitator=True)
        ann, ann_join = await _join(svc, "Ann")
        seq = await svc.post(ann_join.seat, "something hard")
        await svc.command(
            ann_join.seat, fx.Report(mid=seq, about="", about_name="", text="", reason="worried")
        )
        await settle(lambda: "report.filed" in fran.names() and HIDDEN in ann.names())
        assert "report.filed" not in ann.names()


async def test_lobby_waiters_see_nothing_until_admitted() -> None:
    async with service(ROOM, LOBBY_ROOM) as (svc, _):
        _, fran = await _join(svc, "Fran", facilitator=True, room=LOBBY_ROOM)
        await svc.command(fran.seat, fx.SetLobby(on=True))
        nora, parked = await _join(svc, "Nora", room=LOBBY_ROOM)
        assert parked.ticket is not None
        await svc.post(fran.seat, "private to the seated")
        await svc.command(fran.seat, fx.Admit(ticket=parked.ticket))
        await settle(lambda: any(c.startswith("admitted:") for c in nora.calls))
        assert CHAT_MESSAGE not in nora.names()
        assert [c for c in nora.calls if c.startswith("admitted:")]


def test_the_event_table_comes_from_the_engine() -> None:
    assert fx.MemberJoined.NAME in MEETING_EVENTS
    assert fx.RoomReset.NAME in MEETING_EVENTS
    assert not MEETING_EVENTS & ROOM_EVENTS


async def test_an_abandoned_wait_drops_the_ticket_and_a_clash_at_admission_gets_a_number() -> None:
    """Issue 13: a closed lobby connection frees its place at once; a newcomer whose name was
    taken while they waited is seated as "Nora 2", and their seat carries that name."""
    async with service(ROOM, LOBBY_ROOM) as (svc, _):
        fran_sub, fran = await _join(svc, "Fran", facilitator=True, room=LOBBY_ROOM)
        await svc.command(fran.seat, fx.SetLobby(on=True))
        _, gone = await _join(svc, "Nora", room=LOBBY_ROOM)
        await svc.abandon(gone.seat)
        _, state = await svc.meetings.load(LOBBY_ROOM, fresh=True)
        assert state.waiting == ()
        nora, parked = await _join(svc, "Nora", room=LOBBY_ROOM)
        await svc.command(fran.seat, fx.SetLobby(on=False))
        _, seated = await _join(svc, "nora", room=LOBBY_ROOM)  # the lobby is off: seated now
        assert parked.ticket is not None
        await svc.command(fran.seat, fx.Admit(ticket=parked.ticket))
        await settle(lambda: any(c.startswith("admitted:") for c in nora.calls))
        seq = int(next(c for c in nora.calls if c.startswith("admitted:")).split(":")[1])
        snapshot = await svc.admitted_snapshot(parked.seat, seq)
        assert snapshot.member is not None
        assert snapshot.member["name"] == parked.seat.name == "Nora 2"
        assert seated.member is not None
        assert seated.member["name"] == "nora"
        assert "lobby.denied" in fran_sub.names()
