"""The store's on-call state (migration 0004), on SQLite and on a throwaway PostgreSQL: read
whole, swapped by compare-and-set, kept across a reopen; and the JSON it is kept as."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rooms.clock import ManualClock
from rooms.oncall import Alert, AlertKind, AlertStatus, CancelReason, OnCallState, Outcome
from rooms.oncall.codec import state_from_json, state_to_json
from rooms.store import OnCallRecord, SqlStore
from tests.support.stores import DIALECTS, migrated_store, store_url


@pytest.fixture(params=DIALECTS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_url(request, request.param, tmp_path)


@pytest.fixture
async def store(url: str, clock: ManualClock) -> AsyncIterator[SqlStore]:
    opened = await migrated_store(url, clock)
    try:
        yield opened
    finally:
        await opened.aclose()


def _state() -> OnCallState:
    return OnCallState(
        (
            Alert("alr_1", AlertKind.REPORT, "night-owls", "rep_9", AlertStatus.OPEN, 10.0, 10.0),
            Alert(
                "alr_2", AlertKind.RAID, "dusk", "", AlertStatus.RESOLVED, 1.0, 2.0, count=3,
                steps_done=2, pages=1, taker="Robin", outcome=Outcome.NO_ACTION, closed_at=5.0,
            ),
            Alert(
                "alr_3", AlertKind.LOBBY, "dusk", "", AlertStatus.CANCELLED, 1.0, 1.0,
                cancel_reason=CancelReason.SETTLED, closed_at=4.0,
            ),
        )
    )  # fmt: skip


def test_the_state_round_trips_through_json() -> None:
    state = _state()
    assert state_from_json(state_to_json(state)) == state
    assert state_from_json("") == OnCallState()
    for broken in ('{"alerts": [{"id": "x"}]}', "[]", '{"alerts": 3}'):
        with pytest.raises(ValueError, match="not an on-call"):
            state_from_json(broken)


async def test_a_fresh_store_has_no_on_call_state(store: SqlStore) -> None:
    assert await store.load_oncall() == OnCallRecord(0, "")


async def test_the_state_is_swapped_only_from_the_version_read(store: SqlStore) -> None:
    """Compare-and-set: each swap names the version it read; a stale one changes nothing."""
    first = state_to_json(_state())
    assert await store.swap_oncall(0, first) is True
    assert await store.swap_oncall(0, "stale") is False
    assert await store.load_oncall() == OnCallRecord(1, first)
    assert await store.swap_oncall(1, state_to_json(OnCallState())) is True
    assert await store.swap_oncall(1, "stale") is False
    assert (await store.load_oncall()).version == 2


async def test_two_nodes_swapping_at_once_get_one_win(url: str, clock: ManualClock) -> None:
    """Two stores on one database (two nodes) swap from the same version: exactly one wins,
    also for the very first write (an insert on both)."""
    nodes = [await migrated_store(url, clock) for _ in range(2)]
    try:
        for version in (0, 1):
            wins = await asyncio.gather(
                *(s.swap_oncall(version, f"n{i}") for i, s in enumerate(nodes))
            )
            assert sorted(wins) == [False, True]
        assert (await nodes[0].load_oncall()).version == 2
    finally:
        for node in nodes:
            await node.aclose()


async def test_the_state_survives_reopening(url: str, clock: ManualClock) -> None:
    first = await migrated_store(url, clock)
    await first.swap_oncall(0, state_to_json(_state()))
    await first.aclose()
    second = await migrated_store(url, clock)
    try:
        assert state_from_json((await second.load_oncall()).state) == _state()
    finally:
        await second.aclose()
