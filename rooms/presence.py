"""Who is here, cluster-wide: presence entries, the observer count, and the sweep that heals.

Each node writes one presence entry per room (not one per connection) listing its local
attendees, refreshed every `presence_interval` and expiring after `presence_ttl`. When a node
dies, all of its people vanish together when that key expires; the next sweep of any node
that shares the room then marks them away. The same sweep notices a lost last message and
connections whose seat the room no longer holds for them.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import msgpack

import facilitation as fx
from rooms.backends.base import Backend, Envelope
from rooms.catalog import Catalog
from rooms.errors import BackendError
from rooms.events import OBSERVERS
from rooms.hub import Hub, LocalRoom
from rooms.live import LiveRoom
from rooms.meeting import MeetingStore
from rooms.model import RoomConfig
from rooms.seat import Attendee

__all__ = ["Presence", "Present", "publish"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Present:
    """One live connection somewhere in the cluster, as presence reports it."""

    conn_id: str
    member_id: str
    observer: bool


def presence_blob(attendees: dict[str, Attendee]) -> bytes:
    """One node's presence entry for a room: every local connection's (conn, member, observer)."""
    rows = [[a.seat.conn_id, a.seat.member_id, a.seat.observer] for a in attendees.values()]
    packed: bytes = msgpack.packb({"c": rows})
    return packed


async def publish(backend: Backend, slug: str, body: dict[str, Any]) -> list[Envelope]:
    """Publish one rooms-layer event (chat, reactions, the observer count)."""
    return await backend.publish(slug, [msgpack.packb(body, use_bin_type=True)])


class Presence:
    """Presence entries of this node's rooms, and the periodic sweep."""

    def __init__(
        self,
        backend: Backend,
        catalog: Catalog,
        hub: Hub,
        meetings: MeetingStore,
        *,
        node_id: str,
        ttl: float,
        interval: float,
    ) -> None:
        self.backend = backend
        self.catalog = catalog
        self.hub = hub
        self.meetings = meetings
        self.node_id = node_id
        self.ttl = ttl
        self.interval = interval

    # -- this node's entry ---------------------------------------------------------------------

    async def touch(self, live: LiveRoom) -> None:
        """Write this node's entry for the room; return once it includes every change so far.

        Changes that arrive while a write is in flight share the next write, so a join storm
        writes the (node-sized) entry a few times, not once per joiner.
        """
        live.presence_wanted += 1
        target = live.presence_wanted
        mine = False
        while live.presence_written < target:
            if live.presence_writer is None or live.presence_writer.done():
                live.presence_writer = asyncio.ensure_future(self._write(live))
                mine = True
            try:
                await asyncio.shield(live.presence_writer)
            except BackendError:
                if mine:
                    raise
                # A write that began before this change failed (say, during an outage that
                # has ended since): that is not this change's answer; it gets its own write.
                mine = True

    async def _write(self, live: LiveRoom) -> None:
        await asyncio.sleep(0)  # let the changes of this loop iteration join the write
        while live.presence_written < live.presence_wanted:
            target = live.presence_wanted
            local = self.hub.rooms.get(live.slug)
            if local is not None and local.attendees:
                blob = presence_blob(local.attendees)
                await self.backend.touch_presence(live.slug, self.node_id, blob, self.ttl)
            else:
                await self.backend.drop_presence(live.slug, self.node_id)
            live.presence_written = target

    async def drop(self, slug: str) -> None:
        await self.backend.drop_presence(slug, self.node_id)

    # -- the cluster's view ----------------------------------------------------------------------

    async def present(self, slug: str) -> list[Present]:
        """Every live connection in the room, on any node (expired nodes excluded)."""
        out: list[Present] = []
        for blob in (await self.backend.presence(slug)).values():
            for conn_id, member_id, observer in msgpack.unpackb(blob).get("c", []):
                out.append(Present(str(conn_id), str(member_id), bool(observer)))
        return out

    async def count_observers(self, slug: str) -> int:
        return sum(1 for p in await self.present(slug) if p.observer)

    async def publish_observers(self, slug: str) -> None:
        count = await self.count_observers(slug)
        await publish(self.backend, slug, {"event": OBSERVERS, "count": count})

    # -- the sweep ---------------------------------------------------------------------------------

    async def loop(self, live: LiveRoom, local: LocalRoom) -> None:
        """Refresh this node's entry every interval, and notice people whose node died."""
        await local.ready.wait()
        while not local.closed:
            await asyncio.sleep(self.interval)
            if local.closed:
                return
            try:
                await self.sweep(live, local)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("room %s: presence: %s", live.slug, type(exc).__name__)

    async def sweep(self, live: LiveRoom, local: LocalRoom) -> None:
        """One round: heal a lost last event, refresh, mark the vanished away, recount."""
        await self._check_position(local)
        seated = [a for a in local.attendees.values() if a.seated and not a.seat.observer]
        await self.touch(live)
        present = await self.present(live.slug)
        live_members = {p.member_id for p in present}
        room = await self.catalog.get(live.slug)
        _, state = await self.meetings.load(room)
        await self._close_outlived(local, room, state, seated)
        gone = [p.member for p in state.participants if not p.away and p.member not in live_members]
        if gone:
            await self.meetings.apply_many(room, [fx.Disconnected(member=m) for m in gone])
        count = sum(1 for p in present if p.observer)
        if count != live.observer_count:
            await publish(self.backend, live.slug, {"event": OBSERVERS, "count": count})

    async def _close_outlived(
        self, local: LocalRoom, room: RoomConfig, state: fx.MeetingState, seated: list[Attendee]
    ) -> None:
        """Close local connections whose seat the room no longer holds for them.

        A node frozen (SIGSTOP, a long VM pause) or cut off from Redis for longer than the
        presence TTL finds its people marked away, or released, by the other nodes while their
        sockets here are still open: the room moved on without them, and they would be shown as
        gone while they still read along. They are closed with 4010 and resume, which marks them
        back and gives them what they missed (or an explicit resync). Only connections seated
        before the state was loaded count, so a resume in flight is never mistaken for one.
        """

        def outlived(state: fx.MeetingState) -> list[Attendee]:
            held = {p.member for p in state.participants if not p.away}
            return [a for a in seated if a.member_id not in held and a.conn_id in local.attendees]

        if outlived(state):
            _, state = await self.meetings.load(room, fresh=True)  # never act on a stale cache
        for attendee in outlived(state):
            log.warning(
                "room %s: connection %s outlived its seat; resuming", local.slug, attendee.conn_id
            )
            attendee.sub.lost_state()

    async def _check_position(self, local: LocalRoom) -> None:
        """Notice a lost last message: pub/sub is at most once, and a hole shows only when the
        next event arrives. So every few seconds compare the room's seq with what we delivered."""
        seen = local.position
        if seen is None:
            return
        current = await self.backend.position(local.slug)
        if current.epoch == seen.epoch and current.seq > seen.seq:
            await local.heal(None)
        elif current.epoch != seen.epoch and not local.expect_new_epoch and local.position == seen:
            local.position = current
            self.meetings.invalidate(local.slug)  # the stored meeting may be gone with the history
            local.lose_state()
