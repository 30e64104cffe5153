"""The Redis backend's room subscriptions: which rooms this node listens to, and on which shard.

A *shard* is where a room's channel lives: the one server (plain Redis, or the master Sentinel
names), or, on Redis Cluster, the master that owns the hash slot of the room's channel. A `Router`
(`_redis_topology.py`) names a channel's shard; one `ShardConnection` (`_redis_shard.py`) per shard
in use carries the subscriptions of every room placed there. So a plain server is served by one
connection, and a cluster by one per master that owns a subscribed room.

Local subscribers only change the wanted set and wait for their room's confirmation; events go to
their bounded `Inbox`es without awaiting. A placer task learns the topology again when a
connection is lost, a slot moves away (the server sends an unasked `sunsubscribe`) or a subscribe
is redirected (`MOVED`), and moves rooms to the shard that serves them now.

Rules (docs/reliability.md):

- Pub/sub is at most once: after any reconnect or move, a room is subscribed again and only
  *then* gets a `Gap("reconnect")`, so a subscriber that replays after the Gap misses nothing.
- Per room, the events between two Gaps come over one connection from one server, which sends
  them in the order its scripts ran: seq order. A straggler from a room's previous shard is
  dropped; the Gap from its new shard covers it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from rooms.backends._inbox import Inbox
from rooms.backends._redis_shard import ListenerOptions, Router, ShardConnection, backoff, describe
from rooms.backends._wire import unpack_envelope
from rooms.backends.base import Gap
from rooms.errors import BackendError, BackendUnavailable

__all__ = ["ListenerOptions", "PubSubListener"]

log = logging.getLogger("rooms.backends.redis")


@dataclass(eq=False, slots=True)
class _Room:
    inboxes: set[Inbox] = field(default_factory=set)
    waiter: asyncio.Future[None] | None = None
    needs_gap: bool = False  # deliver Gap("reconnect") when the room is next confirmed
    shard: str | None = None  # where it is (to be) subscribed; None until placed


class PubSubListener:
    """Reference-counted room subscriptions over one self-healing connection per shard."""

    def __init__(
        self,
        router: Router,
        channel_of: Callable[[str], str],
        room_of: Callable[[bytes], str | None],
        on_seen: Callable[[str, int], None],
        options: ListenerOptions,
    ) -> None:
        self._router = router
        self._channel_of = channel_of
        self._room_of = room_of
        self._on_seen = on_seen
        self._opt = options
        self._rooms: dict[str, _Room] = {}
        self._shards: dict[str, ShardConnection] = {}
        self._retired: set[asyncio.Task[None]] = set()
        self._placing = asyncio.Event()
        self._placer: asyncio.Task[None] | None = None
        self._closed = False

    # -- the subscriber side ---------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def subscribe(self, room: str) -> AsyncIterator[Inbox]:
        if self._closed:
            raise BackendUnavailable("backend closed")
        inbox = Inbox(self._opt.queue_size)
        sub = self._rooms.get(room)
        if sub is None:
            sub = self._rooms[room] = _Room()
            self._place(room, sub)
        sub.inboxes.add(inbox)
        try:
            await self._until_live(room, sub)
            yield inbox
        finally:
            self._leave(room, sub, inbox)

    def counts(self) -> dict[str, int]:
        return {room: len(sub.inboxes) for room, sub in self._rooms.items()}

    def placement(self) -> dict[str, str | None]:
        """The shard each subscribed room is placed on (None while unknown)."""
        return {room: sub.shard for room, sub in self._rooms.items()}

    async def _until_live(self, room: str, sub: _Room) -> None:
        """Wait (bounded) until Redis confirmed the room's subscribe; else promise a Gap."""
        shard = self._shards.get(sub.shard) if sub.shard is not None else None
        if shard is not None and shard.is_live(room):
            return
        if shard is not None and shard.down:
            sub.needs_gap = True
            return
        if sub.waiter is None or sub.waiter.done():
            sub.waiter = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(self._opt.connect_timeout + self._opt.health_timeout):
                await asyncio.shield(sub.waiter)
        except TimeoutError:
            sub.needs_gap = True

    def _leave(self, room: str, sub: _Room, inbox: Inbox) -> None:
        sub.inboxes.discard(inbox)
        inbox.close()
        if not sub.inboxes and self._rooms.get(room) is sub:
            del self._rooms[room]
            if sub.shard in self._shards:
                self._shards[sub.shard].changed()

    async def aclose(self) -> None:
        self._closed = True
        tasks = [shard.stop() for shard in self._shards.values()] + list(self._retired)
        if self._placer is not None:
            self._placer.cancel()
            tasks.append(self._placer)
        self._shards.clear()
        self._placer = None
        if tasks:
            await asyncio.wait(tasks)
        for sub in self._rooms.values():
            for inbox in sub.inboxes:
                inbox.close()
        self._rooms.clear()

    # -- what the shard connections report (the `Owner` protocol) ---------------------------

    def wanted(self, shard: ShardConnection) -> set[str]:
        return {room for room, sub in self._rooms.items() if sub.shard == shard.name}

    def on_live(self, shard: ShardConnection, room: str) -> None:
        sub = self._rooms.get(room)
        if sub is None or sub.shard != shard.name or self._shards.get(shard.name) is not shard:
            return
        _wake(sub)
        if sub.needs_gap:
            sub.needs_gap = False
            for inbox in sub.inboxes:
                inbox.put(Gap("reconnect"))

    def on_message(self, shard: ShardConnection, room: str, data: bytes) -> None:
        sub = self._rooms.get(room)
        if sub is None or sub.shard != shard.name or self._shards.get(shard.name) is not shard:
            return  # not ours, or a straggler from before a move: the move's Gap covers it
        try:
            envelope = unpack_envelope(data)
        except BackendError:
            log.error("room %s: undecodable event skipped", room)
            for inbox in sub.inboxes:
                inbox.put(Gap("undecodable"))
            return
        self._on_seen(room, envelope.seq)
        for inbox in sub.inboxes:
            inbox.put(envelope)

    def on_lost(self, shard: ShardConnection) -> None:
        if self._shards.get(shard.name) is not shard:
            return  # a retired shard
        for sub in self._rooms.values():
            if sub.shard == shard.name:
                sub.needs_gap = True
                _wake(sub)
        self._replace_soon()  # the shard may have moved (failover): look again

    def on_moved(self, shard: ShardConnection, rooms: list[str]) -> None:
        for room in rooms:
            sub = self._rooms.get(room)
            if sub is not None and sub.shard == shard.name:
                sub.needs_gap = True
        self._replace_soon()

    # -- placement -------------------------------------------------------------------------

    def _place(self, room: str, sub: _Room) -> None:
        """Put a room on its shard by the known topology, or ask the placer to find it."""
        try:
            name = self._router.shard_of(self._channel_of(room))
        except Exception:  # an uncovered slot, a topology not loaded yet: the placer retries
            name = None
        sub.shard = name
        if name is None:
            self._replace_soon()
            return
        shard = self._shards.get(name)
        if shard is None:
            shard = self._shards[name] = ShardConnection(
                name, self._router, self, self._channel_of, self._room_of, self._opt
            )
        shard.changed()

    def _replace_soon(self) -> None:
        self._placing.set()
        if self._placer is None and not self._closed:
            self._placer = asyncio.create_task(self._place_loop(), name="redis-pubsub-placer")

    async def _place_loop(self) -> None:
        """Learn the topology again on demand and move rooms whose shard changed; never return."""
        failures = 0
        while True:
            await self._placing.wait()
            self._placing.clear()
            try:
                async with asyncio.timeout(self._opt.connect_timeout):
                    await self._router.refresh()
                failed = False
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # STYLE.md §7: log with ids only, retry, never die
                log.warning("pub/sub topology refresh failed: %s", describe(exc))
                failed = True
            unplaced = self._replace_all()
            failures = failures + 1 if failed or unplaced else 0
            if unplaced:
                self._placing.set()
            await asyncio.sleep(backoff(self._opt, max(failures, 1)))  # bounds the refresh rate

    def _replace_all(self) -> bool:
        """Move every room to the shard the topology names now; stop shards left without rooms.

        Returns whether some room could not be placed (its subscribers will get a Gap).
        """
        unplaced = False
        for room, sub in self._rooms.items():
            old = sub.shard
            self._place(room, sub)
            if sub.shard is None:
                unplaced = sub.needs_gap = True
                _wake(sub)
            if old is not None and old != sub.shard:
                sub.needs_gap = True  # it may miss events while it moves
                if old in self._shards:
                    self._shards[old].changed()
                log.info("room %s: pub/sub moved from %s to %s", room, old, sub.shard)
        in_use = {sub.shard for sub in self._rooms.values()}
        for name in [name for name in self._shards if name not in in_use]:
            task = self._shards.pop(name).stop()
            self._retired.add(task)
            task.add_done_callback(self._retired.discard)
        return unplaced


def _wake(sub: _Room) -> None:
    if sub.waiter is not None and not sub.waiter.done():
        sub.waiter.set_result(None)
