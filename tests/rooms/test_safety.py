"""Durable moderation in the rooms layer, without sockets: a real SQLite store, the memory backend.

The store is written before the engine commits (rooms/safety.py): a refused command leaves no
record; reports are kept with their text, the moderation log without any; network marks reach a
ban record and never the meeting state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

import facilitation as fx
from rooms.backends.memory import MemoryBackend
from rooms.catalog import Catalog
from rooms.clock import ManualClock
from rooms.errors import Denied
from rooms.service import RoomsService, ServiceSettings
from rooms.store import ModerationAction, SqlStore, open_store
from rooms.store.errors import StoreUnavailable
from tests.rooms.service_harness import ROOM, Recorder, settle
from tests.support.stores import migrated_store

NET = frozenset({"n:0123456789abcdef01234567"})


DEAD_DATABASE = "postgresql+psycopg://postgres@/none?host=/nonexistent-sharecircle&port=5432"
"""A database that cannot be reached: nothing listens on that socket."""


@asynccontextmanager
async def service(
    tmp_path: Path, *, dead: bool = False
) -> AsyncIterator[tuple[RoomsService, SqlStore, ManualClock]]:
    clock = ManualClock()
    backend = MemoryBackend(clock=clock)
    store = await migrated_store(f"sqlite:///{tmp_path / 'sharecircle.db'}", clock)
    safety = open_store(DEAD_DATABASE, clock=clock) if dead else store
    catalog = Catalog(store, (ROOM,))
    settings = ServiceSettings(presence_interval=3600)
    svc = RoomsService(backend, catalog, clock, settings, store=safety)
    try:
        yield svc, store, clock
    finally:
        await svc.aclose()
        await backend.aclose()
        await store.aclose()
        await safety.aclose()


async def _join(svc: RoomsService, name: str, *, facilitator: bool = False, marks=NET):  # type: ignore[no-untyped-def]
    sub = Recorder()
    result = await svc.join(
        sub, ROOM.slug, name=name, observer=False, facilitator=facilitator, marks=marks
    )
    return sub, result


async def test_a_ban_record_holds_the_marks_and_the_state_holds_no_network_mark(
    tmp_path: Path,
) -> None:
    async with service(tmp_path) as (svc, store, _):
        _, fran = await _join(svc, "Fran", facilitator=True, marks=frozenset())
        bea_sub, bea = await _join(svc, "Bea")
        _, state = await svc.meetings.load(ROOM, fresh=True)
        assert all(p.marks == {f"m:{p.member}"} for p in state.participants)
        await svc.command(fran.seat, fx.Ban(member=bea.seat.member_id, seconds=600, reason="X"))
        await settle(lambda: "evict:banned" in bea_sub.calls)
        (record,) = await store.active_bans(ROOM.slug)
        assert record.marks == {f"m:{bea.seat.member_id}", *NET}
        assert not record.removal
        (entry,) = await store.moderation_log(ROOM.slug)
        assert (entry.action, entry.actor, entry.target) == (
            ModerationAction.BAN,
            fran.seat.member_id,
            bea.seat.member_id,
        )
        with pytest.raises(Denied) as info:
            await _join(svc, "Bea Again")
        assert info.value.code is fx.Refusal.BANNED


async def test_a_ban_in_the_store_refuses_a_resume_when_the_meeting_forgot_it(
    tmp_path: Path,
) -> None:
    """The meeting state is lost (as in a Redis restart); the store still says `banned`."""
    async with service(tmp_path) as (svc, store, clock):
        _, bea = await _join(svc, "Bea")
        await svc.disconnected(bea.seat)
        await store.add_ban(ROOM.slug, {f"m:{bea.seat.member_id}"}, clock.now() + 600)
        svc.safety.forget(ROOM.slug)
        with pytest.raises(Denied) as info:
            await svc.resume(Recorder(), bea.seat, bea.position)
        assert info.value.code is fx.Refusal.BANNED


async def test_a_refused_ban_leaves_no_record(tmp_path: Path) -> None:
    """A member may not ban: the dry run refuses before anything is written."""
    async with service(tmp_path) as (svc, store, _):
        _, ann = await _join(svc, "Ann")
        _, bea = await _join(svc, "Bea")
        with pytest.raises(Denied) as info:
            await svc.command(ann.seat, fx.Ban(member=bea.seat.member_id, seconds=600))
        assert info.value.code is fx.Refusal.NOT_FACILITATOR
        assert await store.active_bans(ROOM.slug) == []
        assert await store.moderation_log(ROOM.slug) == []


async def test_a_ban_with_the_store_down_changes_nothing(tmp_path: Path) -> None:
    """Joins still work (the meeting's own bans hold); a ban is `unavailable` and not applied."""
    async with service(tmp_path, dead=True) as (svc, _, _):
        _, fran = await _join(svc, "Fran", facilitator=True, marks=frozenset())
        bea_sub, bea = await _join(svc, "Bea")
        with pytest.raises(StoreUnavailable):
            await svc.command(fran.seat, fx.Ban(member=bea.seat.member_id, seconds=600))
        _, state = await svc.meetings.load(ROOM, fresh=True)
        assert state.participant(bea.seat.member_id) is not None
        assert state.bans == ()
        assert "evict:banned" not in bea_sub.calls


async def test_a_report_is_kept_with_its_text_until_closed(tmp_path: Path) -> None:
    async with service(tmp_path) as (svc, store, _):
        _, fran = await _join(svc, "Fran", facilitator=True, marks=frozenset())
        _, ann = await _join(svc, "Ann")
        _, ben = await _join(svc, "Ben")
        mid = await svc.post(ben.seat, "words that hurt")
        await svc.command(ann.seat, fx.Report(mid=mid, reason="unkind"))
        (report,) = await store.open_reports(ROOM.slug)
        assert report.report.text == "words that hurt"
        assert report.report.from_member == ann.seat.member_id
        assert report.report.about == ben.seat.member_id
        assert await store.close_report(report.id)
        assert await store.open_reports(ROOM.slug) == []
        assert fran.seat.member_id  # the facilitator got the event (tested elsewhere)


async def test_a_ban_takes_effect_on_every_node_and_the_holder_adds_the_mark(
    tmp_path: Path,
) -> None:
    """Two nodes on one backend and one store. Node two remembered "no bans here"; the ban
    issued on node one passes through node two's room, which forgets that and adds the network
    mark only it knows (Bea's connection is there)."""
    async with service(tmp_path) as (one, store, clock):
        two = RoomsService(
            one.backend, one.catalog, clock, ServiceSettings(presence_interval=3600), store=store
        )
        try:
            _, fran = await _join(one, "Fran", facilitator=True, marks=frozenset())
            bea_sub, bea = await _join(two, "Bea")
            _, cal = await _join(two, "Cal", marks=frozenset({"n:another-address"}))
            assert two.safety._known[ROOM.slug].bans == []  # node two: no bans, remembered
            await one.command(fran.seat, fx.Ban(member=bea.seat.member_id, seconds=600))
            (record,) = await store.active_bans(ROOM.slug)
            assert record.marks == {f"m:{bea.seat.member_id}"}  # node one does not know NET
            await settle(lambda: "evict:banned" in bea_sub.calls)
            for _ in range(200):  # the holder's write is a task after the event (bounded)
                if len(await store.active_bans(ROOM.slug)) == 2:
                    break
                await settle()
            marks = {m for b in await store.active_bans(ROOM.slug) for m in b.marks}
            assert marks == {f"m:{bea.seat.member_id}", *NET}
            with pytest.raises(Denied) as info:
                await _join(two, "Bea Again")
            assert info.value.code is fx.Refusal.BANNED
            assert cal.seat.member_id  # another address is not affected
            await _join(two, "Dan", marks=frozenset({"n:another-address"}))
        finally:
            await two.aclose()
