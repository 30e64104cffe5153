"""Everything this node keeps for one room, in one object that goes when the room is left.

A `LiveRoom` owns the room's meeting cache (state, version and the stream position it was
committed at), the lock and queue of its group commit, the observer
count, the presence write bookkeeping, and the room's background tasks. `LiveRooms` hands these
objects out by slug and counts who holds each: the fan-out holds a room while anyone here is in
it, and every load or commit holds it while it runs. When the last holder lets go, the object and
everything in it is dropped: nothing is kept for a room nobody on this node is in (issue 10 §7).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import facilitation as fx
from facilitation.serialize import PlainCache

__all__ = ["CachedMeeting", "LiveRoom", "LiveRooms"]


@dataclass(frozen=True, slots=True)
class CachedMeeting:
    """A room's meeting state as this node last read or wrote it."""

    version: int
    state: fx.MeetingState
    epoch: str | None = None
    through_seq: int = -1
    """The seq of the last event this node committed with this state (-1: read, not written).

    A meeting event at or below it, in the same epoch, is already in the state: this node's own
    echo, or an earlier commit the compare-and-set saw. Only newer ones make the cache stale.
    """

    def covers(self, seq: int, epoch: str) -> bool:
        return epoch == self.epoch and seq <= self.through_seq


class LiveRoom:
    """One room's per-node state, from its first use on this node to its last."""

    __slots__ = (
        "_holds",
        "changed",
        "lock",
        "meeting",
        "observer_count",
        "plain",
        "presence_wanted",
        "presence_writer",
        "presence_written",
        "queue",
        "slug",
        "tasks",
    )

    def __init__(self, slug: str) -> None:
        self.slug = slug
        self.meeting: CachedMeeting | None = None
        self.lock = asyncio.Lock()
        """Held by the group commit in flight (rooms/meeting.py)."""
        self.queue: list[Any] = []
        """Commands waiting for this node's next commit of the room."""
        self.plain = PlainCache()
        """What the last commit wrote of each participant (facilitation/serialize.py)."""
        self.observer_count = 0
        """The last `observers` count this node saw published."""
        self.presence_wanted = 0
        self.presence_written = 0
        self.presence_writer: asyncio.Future[None] | None = None
        self.changed = asyncio.Event()
        """Set whenever a meeting event passes; the room timer waits on it."""
        self.tasks: list[asyncio.Task[None]] = []
        """Background work of the room (timer, presence loop), started while it has attendees."""
        self._holds = 0

    def invalidate(self) -> None:
        self.meeting = None


class LiveRooms:
    """This node's `LiveRoom`s by slug, each kept exactly as long as something holds it."""

    def __init__(self) -> None:
        self._rooms: dict[str, LiveRoom] = {}
        self._stopping: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._rooms)

    def get(self, slug: str) -> LiveRoom | None:
        """The room if something holds it right now (never creates one)."""
        return self._rooms.get(slug)

    def hold(self, slug: str) -> LiveRoom:
        """Take a hold on the room (made on first hold); pair with `release`."""
        live = self._rooms.get(slug)
        if live is None:
            live = self._rooms[slug] = LiveRoom(slug)
        live._holds += 1
        return live

    def release(self, live: LiveRoom) -> None:
        """Let go of a hold; the last one drops the room and cancels its tasks."""
        live._holds -= 1
        if live._holds > 0:
            return
        if self._rooms.get(live.slug) is live:
            del self._rooms[live.slug]
        self.stop_tasks(live)

    def stop_tasks(self, live: LiveRoom) -> None:
        """Cancel the room's tasks, each referenced until it has run its cancellation (a pending
        task nobody holds is destroyed by the garbage collector mid-flight)."""
        for task in live.tasks:
            task.cancel()
            self._stopping.add(task)
            task.add_done_callback(self._stopping.discard)
        live.tasks.clear()

    @contextmanager
    def using(self, slug: str) -> Iterator[LiveRoom]:
        """Hold the room for the length of a `with` block."""
        live = self.hold(slug)
        try:
            yield live
        finally:
            self.release(live)

    def all(self) -> list[LiveRoom]:
        return list(self._rooms.values())
