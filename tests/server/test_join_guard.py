"""The join guard without sockets: buckets, lobby places and raid sources per address key."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from server.join_guard import Buckets, JoinGuard, join_guard
from server.rates import Rate
from tests.support.live import node_settings


def _guard(**overrides: object) -> JoinGuard:
    values: dict[str, object] = {
        "join_rate_per_address": "3/minute",
        "failed_join_rate_per_address": "2/minute",
        "lobby_waiting_per_address": 2,
        "raid_window_seconds": 30,
    }
    values.update(overrides)
    return join_guard(node_settings(**values))


async def test_joins_past_the_rate_are_refused_with_a_wait_and_others_are_not() -> None:
    guard = _guard()
    assert [await guard.admit("192.0.2.1") for _ in range(3)] == [None, None, None]
    assert await guard.admit("192.0.2.1") == 20_000  # one unit leaks every 60 / 3 s
    assert await guard.admit("192.0.2.2") is None


async def test_refused_joins_past_their_rate_stop_every_join_from_the_address() -> None:
    guard = _guard(join_rate_per_address=None)
    await guard.refused("192.0.2.1")
    assert await guard.admit("192.0.2.1") is None
    await guard.refused("192.0.2.1")
    assert await guard.admit("192.0.2.1") == 30_000
    assert await guard.admit("192.0.2.9") is None


async def test_no_limits_when_unset() -> None:
    guard = _guard(join_rate_per_address=None, failed_join_rate_per_address=None)
    for _ in range(50):
        await guard.refused("192.0.2.1")
        assert await guard.admit("192.0.2.1") is None


def test_lobby_places_are_held_per_room_and_address_and_released_once() -> None:
    guard = _guard()
    assert guard.reserve_place("c1", "room", "a")
    assert guard.reserve_place("c2", "room", "a")
    assert not guard.reserve_place("c3", "room", "a")
    assert guard.reserve_place("c3", "other-room", "a")
    assert guard.reserve_place("c4", "room", "b")
    guard.release_place("c1")
    guard.release_place("c1")  # idempotent: every exit path may call it
    assert guard.waiting("room", "a") == 1
    assert guard.reserve_place("c5", "room", "a")
    for conn in ("c2", "c3", "c4", "c5"):
        guard.release_place(conn)
    assert guard.waiting("room", "a") == guard.waiting("room", "b") == 0
    assert guard._held == {}


def test_a_connection_holds_one_place_at_a_time() -> None:
    guard = _guard()
    assert guard.reserve_place("c1", "room", "a")
    assert guard.reserve_place("c1", "room", "a")
    assert guard.waiting("room", "a") == 1


def test_zero_means_no_limit_on_places() -> None:
    guard = _guard(lobby_waiting_per_address=0)
    assert all(guard.reserve_place(f"c{i}", "room", "a") for i in range(100))


def test_a_network_counts_once_per_raid_window() -> None:
    guard = _guard()
    assert guard.new_source("room", "a", 100.0)
    guard.saw_join("room", "a", 100.0)
    assert not guard.new_source("room", "a", 110.0)
    assert guard.new_source("room", "b", 110.0)
    assert guard.new_source("other-room", "a", 110.0)
    assert guard.new_source("room", "a", 130.0)  # the window has passed
    assert "a" not in guard._sources["room"]  # and the memory of it is gone


async def test_idle_buckets_are_swept() -> None:
    buckets = Buckets(Rate.parse("5/second"))
    buckets._sweep_at = 4
    for i in range(4):
        buckets._buckets[f"k{i}"] = Rate.parse("5/second").bucket()  # idle: full capacity
    buckets._sweep()
    assert buckets._buckets == {}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.booleans(),
            st.sampled_from(["c1", "c2", "c3", "c4", "c5"]),
            st.sampled_from(["r1", "r2"]),
            st.sampled_from(["a", "b"]),
        ),
        max_size=40,
    )
)
def test_places_always_equal_the_connections_holding_them(
    steps: list[tuple[bool, str, str, str]],
) -> None:
    """Whatever order connections wait, move and go in, each (room, address) counts exactly the
    connections holding a place there, and never more than the limit."""
    guard = _guard(lobby_waiting_per_address=2)
    holding: dict[str, tuple[str, str]] = {}
    for reserve, conn, room, key in steps:
        if reserve:
            if guard.reserve_place(conn, room, key):
                holding[conn] = (room, key)
        else:
            guard.release_place(conn)
            holding.pop(conn, None)
        for place in {(r, k) for r in ("r1", "r2") for k in ("a", "b")}:
            held = sum(1 for p in holding.values() if p == place)
            assert guard.waiting(*place) == held <= 2
