"""The console's room views (server/staff_views.py, server/staff_rooms.py) on a rooms service
with the memory backend and a manual clock: no sockets, and time moves only by hand."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import facilitation as fx
from rooms.oncall import Alert, AlertKind, AlertStatus
from server.staff_rooms import COALESCE_SECONDS, REFRESH_SECONDS, RoomsWatch
from server.staff_views import live_alert_by_room, phase_of, room_view
from tests.rooms.service_harness import ROOM, Recorder, service, settle


def _alert(alert_id: str, room: str, status: AlertStatus, created: float) -> Alert:
    return Alert(alert_id, AlertKind.RAID, room, "", status, created, created)


def test_a_rooms_alert_is_its_oldest_live_one() -> None:
    alerts = [
        _alert("late", "dusk", AlertStatus.OPEN, 20.0),
        _alert("early", "dusk", AlertStatus.TAKEN, 10.0),
        _alert("gone", "dawn", AlertStatus.RESOLVED, 1.0),
    ]
    assert live_alert_by_room(alerts) == {"dusk": "early"}


def test_a_fresh_room_is_open_with_nobody_and_no_facilitator() -> None:
    state = fx.MeetingState.new()
    view = room_view(ROOM, state, observers=2, alert=None, now=0.0)
    assert view == {
        "slug": ROOM.slug,
        "name": ROOM.name,
        "language": ROOM.language,
        "members": 0,
        "observers": 2,
        "phase": "open",
        "facilitator_present": False,
        "self_led": ROOM.self_led,
        "waiting": 0,
        "alert": None,
    }
    assert phase_of(state, {"round": None, "part": {"title": "Reading"}}) == "Reading"


async def test_changes_are_coalesced_to_one_send_a_second_and_name_nobody() -> None:
    async with service() as (svc, clock):
        alerts: dict[str, str] = {}
        watch = RoomsWatch(svc, clock, lambda: alerts)
        sent: list[list[dict[str, Any]]] = []

        async def also() -> None:
            return None

        watch.start(sent.append, also)
        await settle()
        river = await svc.join(
            Recorder(),
            ROOM.slug,
            name="River",
            observer=False,
            facilitator=False,
            marks=frozenset(),
        )
        await settle()
        assert sent == []  # within a second of the last look: held back
        clock.advance(COALESCE_SECONDS)
        await settle(lambda: bool(sent))
        assert [(v["slug"], v["members"]) for v in sent[-1]] == [(ROOM.slug, 1)]
        assert "River" not in str(sent)
        alerts[ROOM.slug] = "alr_1"
        watch.poke(ROOM.slug)
        await settle()
        assert len(sent) == 1
        clock.advance(COALESCE_SECONDS)
        await settle(lambda: len(sent) == 2)
        assert sent[-1][0]["alert"] == "alr_1"
        watch.poke(ROOM.slug)  # nothing changed: nothing is sent
        clock.advance(COALESCE_SECONDS)
        await settle()
        await asyncio.sleep(0)
        assert len(sent) == 2
        await watch.stop()
        await svc.leave(river.seat)


async def test_a_look_reads_only_the_rooms_that_changed_until_the_full_sweep() -> None:
    async with service() as (svc, clock):
        alerts: dict[str, str] = {}
        watch = RoomsWatch(svc, clock, lambda: alerts)
        sent: list[list[dict[str, Any]]] = []

        async def also() -> None:
            return None

        watch.start(sent.append, also)
        await settle()
        alerts[ROOM.slug] = "alr_1"  # changed without a word about this room...
        watch.poke("elsewhere")  # ...while another room's look runs
        clock.advance(COALESCE_SECONDS)
        await settle()
        await asyncio.sleep(0)
        assert sent == []
        clock.advance(REFRESH_SECONDS)  # the full sweep reads every room
        await settle(lambda: bool(sent))
        assert [(v["slug"], v["alert"]) for v in sent[-1]] == [(ROOM.slug, "alr_1")]
        await watch.stop()


async def test_a_failing_look_is_logged_by_type_and_the_loop_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with service() as (svc, clock):
        alerts: dict[str, str] = {}
        watch = RoomsWatch(svc, clock, lambda: alerts)
        sent: list[list[dict[str, Any]]] = []
        failures = [RuntimeError("River said something")]

        async def also() -> None:
            if failures:
                raise failures.pop()

        watch.start(sent.append, also)
        await settle()
        watch.poke(ROOM.slug)
        clock.advance(COALESCE_SECONDS)
        await settle(lambda: not failures)
        await asyncio.sleep(0)
        assert "RuntimeError" in caplog.text
        assert "River" not in caplog.text
        alerts[ROOM.slug] = "alr_2"
        watch.poke(ROOM.slug)
        clock.advance(COALESCE_SECONDS)
        await settle(lambda: bool(sent))
        assert sent[-1][0]["alert"] == "alr_2"
        await watch.stop()
