"""The backend contract (rooms/backends/base.py), run against every backend.

Every test takes the `backend` or `make_backend` fixture, parametrized over memory, redis (one
server) and cluster (a three-master Redis Cluster, sharded pub/sub), so the implementations are
held to the same behaviour by the same test bodies. Time is the manual `clock`, which every
backend follows, so nothing here sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from rooms.backends.base import Backend, Envelope, Gap, Position, Resync, Versioned
from rooms.clock import ManualClock
from tests.support.backends import BackendFactory, stored_bytes

TIMEOUT = 5.0
"""Upper bound for one wait on delivery (never a timing assertion)."""

ROOM = "night-owls"


async def receive(stream: AsyncIterator[Envelope | Gap]) -> Envelope | Gap:
    async with asyncio.timeout(TIMEOUT):
        return await anext(stream)


async def receive_events(stream: AsyncIterator[Envelope | Gap], count: int) -> list[Envelope]:
    items = [await receive(stream) for _ in range(count)]
    assert all(isinstance(item, Envelope) for item in items), items
    return items  # type: ignore[return-value]


def payloads(envelopes: list[Envelope]) -> list[bytes]:
    return [e.payload for e in envelopes]


def counts(backend: Backend) -> dict[str, int]:
    return backend.subscriber_counts()  # type: ignore[attr-defined, no-any-return]


# -- sequence -----------------------------------------------------------------------------------


async def test_seq_counts_up_by_one_per_event(backend: Backend) -> None:
    """Each event gets the next seq, starting at 1; one call shares epoch and timestamp."""
    first = await backend.publish(ROOM, [b"a", b"b", b"c"])
    second = await backend.publish(ROOM, [b"d"])
    assert [e.seq for e in first + second] == [1, 2, 3, 4]
    assert payloads(first + second) == [b"a", b"b", b"c", b"d"]
    assert len({e.epoch for e in first + second}) == 1
    assert len({e.ts_ms for e in first}) == 1
    assert await backend.position(ROOM) == Position(4, first[0].epoch)


async def test_seq_is_shared_by_all_nodes(make_backend: BackendFactory) -> None:
    """Two nodes publishing in turn draw from one sequence."""
    one, two = make_backend(), make_backend()
    seqs = []
    for i in range(6):
        node = one if i % 2 else two
        seqs += [e.seq for e in await node.publish(ROOM, [b"x", b"y"])]
    assert seqs == list(range(1, 13))
    assert await one.position(ROOM) == await two.position(ROOM)


async def test_rooms_have_separate_sequences(backend: Backend) -> None:
    """Each room counts on its own."""
    await backend.publish("a", [b"1", b"2"])
    (env,) = await backend.publish("b", [b"1"])
    assert env.seq == 1


async def test_new_room_has_seq_zero_and_a_stable_epoch(make_backend: BackendFactory) -> None:
    """A room nobody published to is at seq 0 in an epoch every node agrees on."""
    one, two = make_backend(), make_backend()
    position = await one.position(ROOM)
    assert position.seq == 0
    assert position.epoch
    assert await two.position(ROOM) == position
    (env,) = await two.publish(ROOM, [b"x"])
    assert env.epoch == position.epoch


async def test_timestamps_follow_the_clock(backend: Backend, clock: ManualClock) -> None:
    """`ts_ms` is the clock's time in milliseconds."""
    clock.advance(12.5)
    (env,) = await backend.publish(ROOM, [b"x"])
    assert env.ts_ms == int(clock.now() * 1000)


async def test_publishing_nothing_does_nothing(backend: Backend) -> None:
    """An empty batch assigns no seq."""
    assert await backend.publish(ROOM, []) == []
    assert (await backend.position(ROOM)).seq == 0


async def test_payloads_must_be_non_empty_bytes(backend: Backend) -> None:
    """Only bytes go in (as Redis would store them); the empty payload means "redacted"."""
    with pytest.raises(TypeError):
        await backend.publish(ROOM, ["text"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="empty"):
        await backend.publish(ROOM, [b"ok", b""])
    assert (await backend.position(ROOM)).seq == 0


async def test_binary_payloads_arrive_unchanged(backend: Backend) -> None:
    """Every byte value survives storage, delivery and replay."""
    blob = bytes(range(256)) * 3
    start = await backend.position(ROOM)
    async with backend.subscribe(ROOM) as stream:
        (sent,) = await backend.publish(ROOM, [blob])
        assert await receive(stream) == sent
    assert await backend.replay(ROOM, start, 10) == [sent]
    assert sent.payload == blob


# -- subscriptions ------------------------------------------------------------------------------


async def test_delivery_order_is_publish_order(backend: Backend) -> None:
    """A subscriber receives exactly the published envelopes, in seq order."""
    async with backend.subscribe(ROOM) as stream:
        sent = []
        for i in range(5):
            sent += await backend.publish(ROOM, [b"%d" % i, b"%d+" % i])
        assert await receive_events(stream, len(sent)) == sent


async def test_events_reach_subscribers_on_other_nodes(make_backend: BackendFactory) -> None:
    """An event published on one node is delivered to subscribers on another."""
    one, two = make_backend(), make_backend()
    async with one.subscribe(ROOM) as stream:
        sent = await two.publish(ROOM, [b"hello"])
        assert await receive_events(stream, 1) == sent


async def test_every_subscriber_gets_every_event(make_backend: BackendFactory) -> None:
    """Several subscribers, on one node and on two, each receive the whole stream."""
    one, two = make_backend(), make_backend()
    async with one.subscribe(ROOM) as a, one.subscribe(ROOM) as b, two.subscribe(ROOM) as c:
        assert counts(one) == {ROOM: 2}
        sent = await one.publish(ROOM, [b"1", b"2"]) + await two.publish(ROOM, [b"3"])
        for stream in (a, b, c):
            assert await receive_events(stream, 3) == sent


async def test_subscribers_only_get_their_room(backend: Backend) -> None:
    """Events of another room are not delivered."""
    async with backend.subscribe(ROOM) as stream:
        await backend.publish("elsewhere", [b"other"])
        sent = await backend.publish(ROOM, [b"mine"])
        assert await receive_events(stream, 1) == sent


async def test_leaving_the_block_unsubscribes(backend: Backend) -> None:
    """After the block, the subscription is gone and its iterator has ended."""
    async with backend.subscribe(ROOM) as stream:
        assert counts(backend) == {ROOM: 1}
    assert counts(backend) == {}
    await backend.publish(ROOM, [b"late"])
    with pytest.raises(StopAsyncIteration):
        await receive(stream)


async def test_an_exception_in_the_block_still_unsubscribes(backend: Backend) -> None:
    """Leaving the block by an exception unsubscribes too."""

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with backend.subscribe(ROOM):
            raise Boom
    assert counts(backend) == {}


async def test_resubscribing_after_leaving_works(backend: Backend) -> None:
    """A room can be left and joined again, and the new subscription gets the new events.

    An event published just before subscribing may still be in flight on a shared pub/sub
    connection and arrive too; readers drop what they have by seq, so that is allowed.
    """
    async with backend.subscribe(ROOM) as stream:
        await backend.publish(ROOM, [b"one"])
        await receive(stream)
    await backend.publish(ROOM, [b"between"])
    async with backend.subscribe(ROOM) as stream:
        (sent,) = await backend.publish(ROOM, [b"three"])
        item = await receive(stream)
        while item != sent:
            assert isinstance(item, Envelope)
            assert item.seq < sent.seq
            item = await receive(stream)


async def test_a_slow_subscriber_gets_a_gap_not_a_blocked_publisher(
    make_backend: BackendFactory,
) -> None:
    """When a subscriber's queue overflows, its backlog becomes one Gap; publishers never wait."""
    node = make_backend(queue_size=2)
    async with node.subscribe(ROOM) as slow, node.subscribe(ROOM) as fast:
        sent = []
        for i in range(4):  # one at a time: a batch could fit the overflow between deliveries
            sent += await node.publish(ROOM, [b"%d" % i])
            await receive(fast)  # delivered to `fast` means offered to `slow` too
        assert await receive(slow) == Gap("overflow")
        assert await receive_events(slow, 1) == sent[3:]


async def test_closing_the_backend_ends_its_subscriptions(backend: Backend) -> None:
    """`aclose` ends open subscriptions, and is idempotent."""
    async with backend.subscribe(ROOM) as stream:
        await backend.aclose()
        with pytest.raises(StopAsyncIteration):
            await receive(stream)
    await backend.aclose()


# -- meeting state ------------------------------------------------------------------------------


async def test_commit_creates_and_then_replaces_the_state(backend: Backend) -> None:
    """Version 1 after the first commit, +1 per commit, with its events published."""
    assert await backend.load_state(ROOM) is None
    first = await backend.commit(ROOM, 0, b"state-1", [b"opened"])
    assert first is not None
    assert [e.seq for e in first] == [1]
    assert await backend.load_state(ROOM) == Versioned(1, b"state-1")
    second = await backend.commit(ROOM, 1, b"state-2", [b"e1", b"e2"])
    assert second is not None
    assert [e.seq for e in second] == [2, 3]
    assert await backend.load_state(ROOM) == Versioned(2, b"state-2")


async def test_commit_without_events_changes_only_the_state(backend: Backend) -> None:
    """A commit with no payloads swaps the state and publishes nothing."""
    assert await backend.commit(ROOM, 0, b"quiet", []) == []
    assert await backend.load_state(ROOM) == Versioned(1, b"quiet")
    assert (await backend.position(ROOM)).seq == 0


async def test_a_conflicting_commit_writes_and_publishes_nothing(backend: Backend) -> None:
    """A stale expected version returns None and leaves state, seq and subscribers untouched."""
    await backend.commit(ROOM, 0, b"v1", [b"first"])
    async with backend.subscribe(ROOM) as stream:
        assert await backend.commit(ROOM, 0, b"stale", [b"must-not-appear"]) is None
        assert await backend.commit(ROOM, 5, b"future", [b"must-not-appear"]) is None
        assert await backend.load_state(ROOM) == Versioned(1, b"v1")
        assert (await backend.position(ROOM)).seq == 1
        sentinel = await backend.publish(ROOM, [b"sentinel"])
        assert await receive_events(stream, 1) == sentinel


async def test_concurrent_commits_let_exactly_one_win(make_backend: BackendFactory) -> None:
    """Two nodes committing on the same version at once: one succeeds, one gets None."""
    one, two = make_backend(), make_backend()
    for version in range(5):
        results = await asyncio.gather(
            one.commit(ROOM, version, b"one", [b"by-one"]),
            two.commit(ROOM, version, b"two", [b"by-two"]),
        )
        winners = [r for r in results if r is not None]
        assert len(winners) == 1
        assert [e.seq for e in winners[0]] == [version + 1]
    state = await one.load_state(ROOM)
    assert state is not None
    assert state.version == 5


async def test_commit_and_publish_share_the_sequence(backend: Backend) -> None:
    """Committed events and published events are numbered in one sequence."""
    await backend.publish(ROOM, [b"chat"])
    committed = await backend.commit(ROOM, 0, b"s", [b"meeting"])
    assert committed is not None
    assert committed[0].seq == 2


# -- replay -------------------------------------------------------------------------------------


async def test_replay_returns_exactly_the_missed_events(backend: Backend) -> None:
    """Replaying after a position gives every later event, in order, and nothing else."""
    sent = await backend.publish(ROOM, [b"a", b"b"]) + await backend.publish(ROOM, [b"c", b"d"])
    epoch = sent[0].epoch
    assert await backend.replay(ROOM, Position(1, epoch), 100) == sent[1:]
    assert await backend.replay(ROOM, Position(0, epoch), 100) == sent


async def test_replay_when_up_to_date_is_empty(backend: Backend) -> None:
    """A reader at the latest seq has nothing to catch up on."""
    await backend.publish(ROOM, [b"a"])
    assert await backend.replay(ROOM, await backend.position(ROOM), 100) == []


async def test_replay_from_another_epoch_resyncs(backend: Backend) -> None:
    """A position from another history gets Resync("epoch") with the current position."""
    await backend.publish(ROOM, [b"a"])
    here = await backend.position(ROOM)
    assert await backend.replay(ROOM, Position(0, "other"), 100) == Resync("epoch", here)


async def test_replay_from_beyond_the_latest_seq_resyncs(backend: Backend) -> None:
    """A position ahead of the room cannot belong to this history."""
    await backend.publish(ROOM, [b"a"])
    here = await backend.position(ROOM)
    assert await backend.replay(ROOM, Position(7, here.epoch), 100) == Resync("epoch", here)


async def test_replay_of_aged_out_events_resyncs(backend: Backend, clock: ManualClock) -> None:
    """Events older than the window are gone; bridging them gives Resync("window")."""
    old = await backend.publish(ROOM, [b"old-1", b"old-2"])
    clock.advance(200)
    recent = await backend.publish(ROOM, [b"new-1"])
    clock.advance(150)  # old events are 350 s old (> 300), the recent one 150 s
    here = await backend.position(ROOM)
    assert await backend.replay(ROOM, Position(0, here.epoch), 100) == Resync("window", here)
    assert await backend.replay(ROOM, Position(1, here.epoch), 100) == Resync("window", here)
    assert await backend.replay(ROOM, Position(old[-1].seq, here.epoch), 100) == recent


async def test_window_keeps_at_most_its_event_count(make_backend: BackendFactory) -> None:
    """The window holds the newest `window_max_events` events."""
    node = make_backend(window_max_events=3)
    sent = await node.publish(ROOM, [b"1", b"2"]) + await node.publish(ROOM, [b"3", b"4", b"5"])
    epoch = sent[0].epoch
    assert await node.replay(ROOM, Position(2, epoch), 100) == sent[2:]
    here = Position(5, epoch)
    assert await node.replay(ROOM, Position(1, epoch), 100) == Resync("window", here)


async def test_replay_beyond_the_limit_resyncs(backend: Backend) -> None:
    """More missed events than `limit` is a resync, not a partial answer; its reason is
    `backlog` while the window still holds them all (issue 16: it said `window`)."""
    sent = await backend.publish(ROOM, [b"1", b"2", b"3", b"4"])
    here = await backend.position(ROOM)
    assert await backend.replay(ROOM, Position(0, here.epoch), 3) == Resync("backlog", here)
    assert await backend.replay(ROOM, Position(1, here.epoch), 3) == sent[1:]


# -- redaction and reset ------------------------------------------------------------------------


async def test_redaction_leaves_an_empty_placeholder(backend: Backend) -> None:
    """A redacted event keeps its seq in the window, with an empty payload."""
    sent = await backend.publish(ROOM, [b"keep", b"secret words", b"keep too"])
    assert await backend.redact(ROOM, 2) is True
    assert await backend.redact(ROOM, 2) is True  # still in the window, still empty
    replayed = await backend.replay(ROOM, Position(0, sent[0].epoch), 10)
    assert isinstance(replayed, list)
    assert [(e.seq, e.payload) for e in replayed] == [(1, b"keep"), (2, b""), (3, b"keep too")]


async def test_redacted_content_is_gone_from_the_store(
    make_backend: BackendFactory, backend: Backend
) -> None:
    """After redaction the text is nowhere in what the backend stores (Redis: in no raw key)."""
    secret = b"my sponsor's phone number is 555-0199"
    await backend.publish(ROOM, [b"hello", secret, b"bye"])
    assert secret in await stored_bytes(make_backend, backend)
    assert await backend.redact(ROOM, 2)
    assert secret not in await stored_bytes(make_backend, backend)


async def test_redacting_an_unknown_or_aged_event_is_false(
    backend: Backend, clock: ManualClock
) -> None:
    """Only events still in the window can be redacted."""
    await backend.publish(ROOM, [b"a"])
    assert await backend.redact(ROOM, 2) is False
    assert await backend.redact(ROOM, 0) is False
    clock.advance(301)
    assert await backend.redact(ROOM, 1) is False


async def test_aged_out_content_is_gone_from_the_store(
    make_backend: BackendFactory, backend: Backend, clock: ManualClock
) -> None:
    """Content that left the window is deleted, not just hidden."""
    secret = b"aged secret"
    await backend.publish(ROOM, [secret])
    clock.advance(301)
    await backend.publish(ROOM, [b"new"])
    assert secret not in await stored_bytes(make_backend, backend)


async def test_reset_rotates_the_epoch_and_wipes_the_window(backend: Backend) -> None:
    """After reset: a new epoch, the same seq, an empty window; old positions resync."""
    sent = await backend.publish(ROOM, [b"a", b"b", b"c"])
    old = Position(3, sent[0].epoch)
    new = await backend.reset(ROOM)
    assert new.seq == 3
    assert new.epoch != old.epoch
    assert await backend.position(ROOM) == new
    assert await backend.replay(ROOM, old, 10) == Resync("epoch", new)
    assert await backend.replay(ROOM, new, 10) == []
    assert await backend.replay(ROOM, Position(0, new.epoch), 10) == Resync("window", new)
    (after,) = await backend.publish(ROOM, [b"d"])
    assert (after.seq, after.epoch) == (4, new.epoch)


async def test_reset_is_seen_by_every_node(make_backend: BackendFactory) -> None:
    """The new epoch is the room's epoch on all nodes."""
    one, two = make_backend(), make_backend()
    await one.publish(ROOM, [b"a"])
    new = await two.reset(ROOM)
    assert await one.position(ROOM) == new


# -- presence, claims, room configs -------------------------------------------------------------


async def test_presence_entries_expire_after_their_ttl(
    backend: Backend, clock: ManualClock
) -> None:
    """An entry is listed until its TTL passes; refreshing extends it and updates its info."""
    await backend.touch_presence(ROOM, "ann", b"ann-info", ttl=10)
    await backend.touch_presence(ROOM, "bob", b"bob-info", ttl=30)
    assert await backend.presence(ROOM) == {"ann": b"ann-info", "bob": b"bob-info"}
    clock.advance(9)
    await backend.touch_presence(ROOM, "ann", b"ann-2", ttl=10)
    clock.advance(9)
    assert await backend.presence(ROOM) == {"ann": b"ann-2", "bob": b"bob-info"}
    clock.advance(2)
    assert await backend.presence(ROOM) == {"bob": b"bob-info"}
    clock.advance(11)
    assert await backend.presence(ROOM) == {}


async def test_presence_is_per_room_and_shared_by_nodes(make_backend: BackendFactory) -> None:
    """Entries touched on one node are listed on another, in their room only."""
    one, two = make_backend(), make_backend()
    await one.touch_presence(ROOM, "ann", b"1", ttl=30)
    await one.touch_presence("other", "bob", b"2", ttl=30)
    assert await two.presence(ROOM) == {"ann": b"1"}


async def test_dropping_presence_removes_the_entry_at_once(backend: Backend) -> None:
    """A clean leave does not wait for the TTL; dropping a missing key is harmless."""
    await backend.touch_presence(ROOM, "ann", b"1", ttl=30)
    await backend.touch_presence(ROOM, "bob", b"2", ttl=30)
    await backend.drop_presence(ROOM, "ann")
    await backend.drop_presence(ROOM, "nobody")
    assert await backend.presence(ROOM) == {"bob": b"2"}


async def test_a_claim_is_held_until_its_ttl_passes(
    make_backend: BackendFactory, clock: ManualClock
) -> None:
    """Only the first claimer wins, on any node, until the claim expires."""
    one, two = make_backend(), make_backend()
    assert await one.claim("slow:ann", ttl=10) is True
    assert await one.claim("slow:ann", ttl=10) is False
    assert await two.claim("slow:ann", ttl=10) is False
    assert await two.claim("slow:bob", ttl=10) is True
    clock.advance(10.5)
    assert await two.claim("slow:ann", ttl=10) is True
    assert await one.claim("slow:ann", ttl=10) is False


async def test_concurrent_claims_have_one_winner(make_backend: BackendFactory) -> None:
    """Claims racing from two nodes: exactly one True."""
    one, two = make_backend(), make_backend()
    results = await asyncio.gather(*(n.claim("tick:1", ttl=5) for n in (one, two, one, two)))
    assert sorted(results) == [False, False, False, True]


async def test_a_session_record_is_shared_replaced_dropped_and_expires(
    make_backend: BackendFactory, clock: ManualClock
) -> None:
    """A session record made on one node is read, replaced and revoked on any node; it is
    gone when its ttl passes."""
    one, two = make_backend(), make_backend()
    assert await one.get_session("m:ann") is None
    await one.put_session("m:ann", b"first", ttl=60)
    await one.put_session("m:bob", b"bob", ttl=30)
    assert await two.get_session("m:ann") == b"first"
    await two.put_session("m:ann", b"second", ttl=60)
    assert await one.get_session("m:ann") == b"second"
    await two.drop_session("m:ann")
    await two.drop_session("m:nobody")
    assert await one.get_session("m:ann") is None
    clock.advance(30.5)
    assert await one.get_session("m:bob") is None


async def test_room_configs_are_saved_replaced_and_shared(make_backend: BackendFactory) -> None:
    """`save_room` stores or replaces a config; every node loads all of them."""
    one, two = make_backend(), make_backend()
    assert await one.load_rooms() == {}
    await one.save_room("night-owls", b"cfg-1")
    await two.save_room("morning", b"cfg-2")
    await one.save_room("night-owls", b"cfg-3")
    assert await two.load_rooms() == {"night-owls": b"cfg-3", "morning": b"cfg-2"}


async def test_ping_answers(backend: Backend) -> None:
    """A reachable backend answers ping."""
    await backend.ping()


async def test_a_reserved_name_carries_events_and_presence_across_nodes(
    make_backend: BackendFactory, clock: ManualClock
) -> None:
    """The alert desk uses names no room slug can have (`~oncall`, `~oncall-roster`, as in
    rooms/alerts.py) for its pub/sub channel and its roster; they work like any room's."""
    one, two = make_backend(), make_backend()
    async with two.subscribe("~oncall") as stream:
        await one.publish("~oncall", [b'{"on_call":1}'])
        (got,) = await receive_events(stream, 1)
        assert got.payload == b'{"on_call":1}'
    await one.touch_presence("~oncall-roster", "Robin", b"1", ttl=90)
    assert await two.presence("~oncall-roster") == {"Robin": b"1"}
    assert await two.presence("night-owls") == {}
    clock.advance(91)
    assert await two.presence("~oncall-roster") == {}
