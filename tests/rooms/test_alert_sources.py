"""Alert sources on a rooms service (memory backend, SQLite store, manual clock): a raid with
nobody facilitating raises a raid alert, which the engine's `raid.settled` withdraws when the
burst passes; newcomers held in a lobby nobody watches raise a lobby alert, which a facilitator's
arrival withdraws."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import facilitation as fx
from rooms.alert_sources import WATCHED, AlertSources
from rooms.alerts import AlertDesk
from rooms.backends.memory import MemoryBackend
from rooms.catalog import Catalog
from rooms.clock import ManualClock
from rooms.errors import BackendUnavailable
from rooms.events import MEMBERS_CHANGED
from rooms.meeting import RoomRules
from rooms.model import RoomConfig
from rooms.oncall import Alert, AlertKind, AlertStatus, CancelReason
from rooms.outbound import OutboundEvent
from rooms.seating import JoinResult
from rooms.service import RoomsService, ServiceSettings
from tests.rooms.service_harness import Recorder
from tests.support.stores import migrated_store

ROOM = RoomConfig(slug="front-door", name="Front door")


class FlakyDesk(AlertDesk):
    """An alert desk whose `withdraw` fails (the backend away) while `failing` is set."""

    failing = False
    failed: asyncio.Event | None = None

    async def withdraw(self, alert_id: str, reason: CancelReason) -> None:
        if self.failing:
            if self.failed is not None:
                self.failed.set()
            raise BackendUnavailable("withdraw: backend away (test)")
        await super().withdraw(alert_id, reason)


@pytest.fixture
async def rig(
    tmp_path: Path, clock: ManualClock
) -> AsyncIterator[tuple[RoomsService, AlertSources]]:
    backend = MemoryBackend(clock=clock)
    store = await migrated_store(f"sqlite:///{tmp_path / 'sc.db'}", clock)
    rules = RoomRules(raid_joins=3, raid_window_seconds=30)
    service = RoomsService(
        backend,
        Catalog(backend, (ROOM,)),  # type: ignore[arg-type]
        clock,
        ServiceSettings(presence_interval=3600, rules=rules),
        store=store,
    )
    desk = FlakyDesk(store, backend, clock)
    sources = AlertSources(desk, service, store)
    await desk.start()
    await sources.attach()
    try:
        yield service, sources
    finally:
        await sources.aclose()
        await desk.aclose()
        await service.aclose()
        await backend.aclose()
        await store.aclose()


async def join(service: RoomsService, name: str, *, facilitator: bool = False) -> JoinResult:
    return await service.join(
        Recorder(), ROOM.slug, name=name, observer=False, facilitator=facilitator, marks=frozenset()
    )


async def alert_of(sources: AlertSources, kind: AlertKind) -> Alert:
    async with asyncio.timeout(5):
        while True:
            found = [a for a in (await sources.desk.state()).alerts if a.kind is kind]
            if found:
                return found[-1]
            await asyncio.sleep(0.01)


async def closed(sources: AlertSources, alert_id: str) -> Alert:
    async with asyncio.timeout(5):
        while True:
            found = (await sources.desk.state()).find(alert_id)
            if found is not None and found.status.closed:
                return found
            await asyncio.sleep(0.01)


async def test_a_raid_with_nobody_facilitating_raises_an_alert_that_settles_by_itself(
    rig: tuple[RoomsService, AlertSources], clock: ManualClock
) -> None:
    service, sources = rig
    for name in ("Ann", "Ben", "Cat"):  # the third new identity in the window is a raid
        await join(service, name)
    raid = await alert_of(sources, AlertKind.RAID)
    assert (raid.room, raid.status) == (ROOM.slug, AlertStatus.OPEN)
    dan = await join(service, "Dan")  # quiet mode, not a lobby: Dan is seated, listen-only
    assert dan.ticket is None
    assert dan.member is not None
    assert dan.member["listen_only"]
    assert sources.live(AlertKind.LOBBY, ROOM.slug) is None
    clock.advance(2 * 30 + 1)  # no raid-counted join for twice the window: the burst passed
    assert (await closed(sources, raid.id)).cancel_reason is CancelReason.SETTLED


async def test_a_lobby_nobody_watches_raises_an_alert_a_facilitator_settles(
    rig: tuple[RoomsService, AlertSources],
) -> None:
    service, sources = rig
    fran = await join(service, "Fran", facilitator=True)
    await service.command(fran.seat, fx.SetLobby(on=True))
    await service.leave(fran.seat)
    await join(service, "Dan")  # waits in a lobby nobody watches
    lobby = await alert_of(sources, AlertKind.LOBBY)
    assert lobby.status is AlertStatus.OPEN
    await join(service, "Fran", facilitator=True)
    assert (await closed(sources, lobby.id)).cancel_reason is CancelReason.SETTLED
    assert sources.live(AlertKind.LOBBY, ROOM.slug) is None


async def test_a_failed_withdraw_keeps_the_alert_live_until_it_succeeds(
    rig: tuple[RoomsService, AlertSources],
) -> None:
    """The live map forgets an alert only once the desk withdrew it (review finding 10)."""
    service, sources = rig
    desk = sources.desk
    assert isinstance(desk, FlakyDesk)
    fran = await join(service, "Fran", facilitator=True)
    await service.command(fran.seat, fx.SetLobby(on=True))
    await service.leave(fran.seat)
    await join(service, "Dan")
    lobby = await alert_of(sources, AlertKind.LOBBY)
    desk.failing, desk.failed = True, asyncio.Event()
    fran = await join(service, "Fran", facilitator=True)
    async with asyncio.timeout(5):
        await desk.failed.wait()
    await asyncio.sleep(0.05)  # the source's handler has returned (it logs and gives up)
    assert sources.live(AlertKind.LOBBY, ROOM.slug) == lobby.id
    assert (await desk.state()).find(lobby.id) == lobby  # still open: nothing was lost
    desk.failing = False
    await service.leave(fran.seat)
    await join(service, "Fran", facilitator=True)  # the next look withdraws it
    assert (await closed(sources, lobby.id)).cancel_reason is CancelReason.SETTLED
    assert sources.live(AlertKind.LOBBY, ROOM.slug) is None


async def test_a_closed_source_stops_following_the_desk(
    rig: tuple[RoomsService, AlertSources],
) -> None:
    _, sources = rig
    await sources.aclose()
    heard: list[Alert] = []
    came = asyncio.Event()

    def hear(alert: Alert) -> None:
        heard.append(alert)
        came.set()

    sources.desk.watch(hear)
    raid = await sources.desk.raise_alert(AlertKind.RAID, ROOM.slug)
    async with asyncio.timeout(5):
        await came.wait()
    assert heard[-1].id == raid.id
    assert sources.live(AlertKind.RAID, ROOM.slug) is None


def test_a_busy_room_s_batched_presence_is_watched_unless_only_members_joined(
    rig: tuple[RoomsService, AlertSources],
) -> None:
    """In a room of `presence_batch_members` or more, presence comes as one `members.changed`:
    a facilitator arriving or anyone leaving in it may settle or raise an alert; a batch of
    member joins alone changes nothing and costs no backend call."""
    _, sources = rig

    def batch(**fields: Any) -> OutboundEvent:
        frame = {"event": MEMBERS_CHANGED, "joined": [], "left": [], "away": [], "back": []}
        return OutboundEvent(7, frame | fields)

    member = {"id": "m_1", "role": "member"}
    facilitator = {"id": "m_2", "role": "facilitator"}
    assert MEMBERS_CHANGED in WATCHED
    assert sources._nothing_to_do(ROOM.slug, batch(joined=[member]))
    assert not sources._nothing_to_do(ROOM.slug, batch(joined=[member, facilitator]))
    assert not sources._nothing_to_do(ROOM.slug, batch(left=[{"member": "m_1"}]))
    assert not sources._nothing_to_do(ROOM.slug, batch(away=["m_2"]))
