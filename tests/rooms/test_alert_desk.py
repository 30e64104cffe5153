"""The alert desk (rooms/alerts.py): durable on-call state with compare-and-set, changes to
every node's watchers over the backend, effects once, one tick task per node on the clock.

Every test runs on the memory backend and on this test's own real Redis; the store is a real
SQLite file (the two-node race also on the throwaway PostgreSQL). Time is the manual clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from rooms.alerts import AlertDenied, AlertDesk
from rooms.clock import ManualClock
from rooms.oncall import (
    Alert,
    AlertKind,
    AlertStatus,
    CancelReason,
    Effect,
    OnCallRefusal,
    Outcome,
    Page,
    StandDown,
    alert_view,
)
from rooms.store import SqlStore
from tests.support.backends import BackendFactory
from tests.support.stores import DIALECTS, migrated_store, store_url

TIMEOUT = 5.0
"""Upper bound on waiting for a delivery (never a timing assertion)."""


class Sink:
    """Records the pages and stand-downs a desk hands to its pager."""

    def __init__(self) -> None:
        self.effects: list[Effect] = []
        self.settled: list[str] = []

    def handle(self, effect: Effect) -> None:
        self.effects.append(effect)

    def settle(self, alert_id: str) -> None:
        self.settled.append(alert_id)

    def pages(self) -> list[Page]:
        return [e for e in self.effects if isinstance(e, Page)]


@pytest.fixture(params=("memory", "redis"))
async def nodes(
    request: pytest.FixtureRequest, clock: ManualClock
) -> AsyncIterator[BackendFactory]:
    url = request.getfixturevalue("redis").url if request.param == "redis" else None
    factory = BackendFactory(request.param, clock, url)
    try:
        yield factory
    finally:
        await factory.aclose()


@pytest.fixture
async def store(tmp_path: Path, clock: ManualClock) -> AsyncIterator[SqlStore]:
    opened = await migrated_store(f"sqlite:///{tmp_path / 'sharecircle.db'}", clock)
    try:
        yield opened
    finally:
        await opened.aclose()


async def eventually(check: Callable[[], bool | Awaitable[bool]]) -> None:
    async with asyncio.timeout(TIMEOUT):
        while True:
            result = check()
            if isinstance(result, Awaitable):
                result = await result
            if result:
                return
            await asyncio.sleep(0.01)


async def settle() -> None:
    """Let tasks woken by a clock advance run (a few loop turns; no waiting on time)."""
    for _ in range(20):
        await asyncio.sleep(0)
    await asyncio.sleep(0.05)


async def test_a_raised_alert_reaches_watchers_on_every_node(
    nodes: BackendFactory, store: SqlStore, clock: ManualClock
) -> None:
    seen: dict[str, list[Alert]] = {"a": [], "b": []}
    async with AlertDesk(store, nodes(), clock) as a, AlertDesk(store, nodes(), clock) as b:
        a.watch(seen["a"].append)
        unwatch = b.watch(seen["b"].append)
        alert = await a.raise_alert(AlertKind.REPORT, "night-owls", "rep_1")
        assert alert.id.startswith("alr_")
        assert alert.status is AlertStatus.OPEN
        await eventually(lambda: bool(seen["a"]) and bool(seen["b"]))
        assert (seen["b"][0].id, seen["b"][0].status) == (alert.id, AlertStatus.OPEN)
        again = await b.raise_alert(AlertKind.REPORT, "night-owls", "rep_1")
        assert (again.id, again.count) == (alert.id, 2)  # merged: same key
        await eventually(lambda: len(seen["a"]) == 2)
        unwatch()
        await b.withdraw(alert.id, CancelReason.SETTLED)
        await eventually(lambda: len(seen["a"]) == 3)
        assert seen["a"][-1].status is AlertStatus.CANCELLED
        assert len(seen["b"]) == 2  # unwatched


async def test_the_state_is_durable_and_refusals_are_denied(
    nodes: BackendFactory, store: SqlStore, clock: ManualClock
) -> None:
    async with AlertDesk(store, nodes(), clock) as desk:
        alert = await desk.raise_alert(AlertKind.RAID, "dusk")
        await desk.take(alert.id, "Robin")
        with pytest.raises(AlertDenied) as refused:
            await desk.resolve(alert.id, "Robin", Outcome.ADMITTED)
        assert refused.value.code is OnCallRefusal.WRONG_OUTCOME
        with pytest.raises(AlertDenied) as other:
            await desk.release(alert.id, "Sam")
        assert other.value.code is OnCallRefusal.NOT_TAKER
        with pytest.raises(AlertDenied):
            await desk.raise_alert(AlertKind.REPORT, "dusk")  # no_subject
    async with AlertDesk(store, nodes(), clock) as restarted:
        (kept,) = (await restarted.state()).alerts
        assert (kept.id, kept.status, kept.taker) == (alert.id, AlertStatus.TAKEN, "Robin")
        done = await restarted.resolve(alert.id, "Robin", Outcome.NO_ACTION)
        assert done.status is AlertStatus.RESOLVED


async def test_take_by_two_staff_at_once_has_one_winner(
    nodes: BackendFactory, store: SqlStore, clock: ManualClock
) -> None:
    async with AlertDesk(store, nodes(), clock) as a, AlertDesk(store, nodes(), clock) as b:
        alert = await a.raise_alert(AlertKind.LOBBY, "dusk")
        results = await asyncio.gather(
            a.take(alert.id, "Robin"), b.take(alert.id, "Sam"), return_exceptions=True
        )
        winners = [r for r in results if isinstance(r, Alert)]
        losers = [r for r in results if isinstance(r, AlertDenied)]
        assert len(winners) == 1, results
        assert len(losers) == 1, results
        assert losers[0].code is OnCallRefusal.ALREADY_TAKEN
        assert (await a.state()).alerts[0].taker == winners[0].taker


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_two_nodes_ticking_at_once_page_once(
    request: pytest.FixtureRequest,
    dialect: str,
    tmp_path: Path,
    nodes: BackendFactory,
    clock: ManualClock,
) -> None:
    """Both desks sleep until the report's 15-minute page; the clock passes it; one pages."""
    shared = await migrated_store(store_url(request, dialect, tmp_path), clock)
    sinks = [Sink(), Sink()]
    try:
        async with (
            AlertDesk(shared, nodes(), clock, pager=sinks[0]) as a,
            AlertDesk(shared, nodes(), clock, pager=sinks[1]),
        ):
            alert = await a.raise_alert(AlertKind.REPORT, "night-owls", "rep_7")
            await settle()
            clock.advance(14 * 60)
            await settle()
            assert not sinks[0].pages()
            assert not sinks[1].pages()
            clock.advance(61)
            await eventually(lambda: len(sinks[0].pages()) + len(sinks[1].pages()) >= 1)
            await settle()
            pages = sinks[0].pages() + sinks[1].pages()
            assert len(pages) == 1
            assert pages[0].alert.id == alert.id
            taken = await a.take(alert.id, "Robin")
            assert taken.pages == 1
            assert [type(e) for e in sinks[0].effects[-1:]] == [StandDown]
            await eventually(lambda: alert.id in sinks[0].settled and alert.id in sinks[1].settled)
    finally:
        await shared.aclose()


async def test_a_silent_taker_loses_the_alert_and_drop_reopens(
    nodes: BackendFactory, store: SqlStore, clock: ManualClock
) -> None:
    async with AlertDesk(store, nodes(), clock) as desk:
        crisis = await desk.raise_alert(AlertKind.CRISIS, "dusk", "m-1")
        await desk.take(crisis.id, "Robin")
        clock.advance(100)
        await desk.staff_seen("Robin")  # keeps it for another 2 minutes
        clock.advance(100)
        await settle()
        assert (await desk.state()).alerts[0].status is AlertStatus.TAKEN
        clock.advance(30)  # 130 s of silence: open again, by the tick task alone
        await eventually(lambda: _status(desk, crisis.id, AlertStatus.OPEN))
        await desk.take(crisis.id, "Sam")
        await desk.staff_dropped("Sam")
        assert (await desk.state()).alerts[0].status is AlertStatus.OPEN


async def test_a_take_is_handed_back_only_when_no_node_holds_a_console(
    nodes: BackendFactory, store: SqlStore, clock: ManualClock
) -> None:
    """Consoles are presence entries shared by the nodes: closing one on node A keeps what
    Robin took while node B still holds one; the last one closing hands it back."""
    async with (
        AlertDesk(store, nodes(), clock, on_call_ttl=60) as a,
        AlertDesk(store, nodes(), clock, on_call_ttl=60) as b,
    ):
        lobby = await a.raise_alert(AlertKind.LOBBY, "dusk")
        await a.console_here("Robin", "c1")
        await b.console_here("Robin", "c2")
        await b.console_here("Sam", "c3")
        await a.take(lobby.id, "Robin")
        assert not await a.console_gone("Robin", "c1")
        assert await _status(a, lobby.id, AlertStatus.TAKEN)
        assert await b.console_gone("Robin", "c2")
        assert await _status(a, lobby.id, AlertStatus.OPEN)
        await a.take(lobby.id, "Sam")
        await a.console_here("Sam", "c4")
        clock.advance(61)  # c3's node died: its entry lapsed, c4 was never refreshed either
        assert await a.console_gone("Sam", "c4")
        assert await _status(a, lobby.id, AlertStatus.OPEN)


async def _status(desk: AlertDesk, alert_id: str, status: AlertStatus) -> bool:
    found = (await desk.state()).find(alert_id)
    return found is not None and found.status is status


async def test_the_on_call_roster_lapses_without_a_heartbeat(
    nodes: BackendFactory, store: SqlStore, clock: ManualClock
) -> None:
    counts: list[int] = []
    async with (
        AlertDesk(store, nodes(), clock, on_call_ttl=60) as a,
        AlertDesk(store, nodes(), clock, on_call_ttl=60) as b,
    ):
        b.watch_on_call(counts.append)
        await a.set_on_call("Robin", True)
        await b.set_on_call("Sam", True)
        assert await a.on_call() == frozenset({"Robin", "Sam"})
        await eventually(lambda: counts[-1:] == [2])
        await b.set_on_call("Sam", False)
        await eventually(lambda: counts[-1:] == [1])
        clock.advance(45)
        await a.set_on_call("Robin", True)  # heartbeat
        clock.advance(45)
        assert await b.on_call() == frozenset({"Robin"})
        clock.advance(20)
        assert await b.on_call() == frozenset()


async def test_the_queue_and_the_view_consoles_get(
    nodes: BackendFactory, store: SqlStore, clock: ManualClock
) -> None:
    """Oldest first, one action each; the view never holds the subject."""
    async with AlertDesk(store, nodes(), clock) as desk:
        first = await desk.raise_alert(AlertKind.REPORT, "dusk", "rep_secret_id")
        clock.advance(10)
        second = await desk.raise_alert(AlertKind.RAID, "dawn")
        clock.advance(5)
        assert [(q.alert_id, q.waited_s) for q in await desk.queue()] == [
            (first.id, 15),
            (second.id, 5),
        ]
        view = alert_view(await desk.take(first.id, "Robin"))
        assert view == {
            "id": first.id,
            "kind": "report",
            "room": "dusk",
            "status": "taken",
            "created_at": int(first.created_at * 1000),
            "opened_at": int(first.opened_at * 1000),
            "closed_at": None,
            "count": 1,
            "taker": "Robin",
            "outcome": None,
            "reason": None,
            "action": "review_report",
            "outcomes": ["action_taken", "no_action"],
        }
        assert "rep_secret_id" not in str(view)
