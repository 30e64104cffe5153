"""Moderation that must outlast a restart: bans, removals, reports and the log, in the store.

The meeting state (in Redis or memory) can be lost by a restart or a failover; the store
(rooms/store/) cannot. Rules carried out here (docs/privacy.md, docs/reliability.md §6):

- **Store first, then the engine.** A ban, a removal or a report is written to the store
  *before* the engine commits the command, and deleted again if the commit fails or is refused.
  So a command whose store write fails gets `unavailable` and changes nothing, anywhere; one the
  engine refuses leaves no record. The other order cannot be undone: once the room has seen a
  `member.left`, no later failure can take it back, and a ban applied but not written would be
  forgotten by the next Redis restart. A cheap dry run of the engine on the cached state comes
  first, so commands the engine would refuse (a member trying to ban) never touch the store.
- **Marks where they are needed.** A ban record holds the member mark (`m:<id>`) and the keyed
  network marks of the banned person's connections. Only the node holding a connection knows its
  network mark (`Attendee.marks`, in memory); the meeting state carries none. The issuing node
  writes the marks it holds; every other node adds its own when the ban's `member.left` passes
  through the room there.
- **Enforcement.** Joins (members and observers), resumes and re-seats ask the store by member
  mark and network marks. Per room, a node remembers for `cache_seconds` that the room has *no*
  ban at all, so a join storm in a room without bans costs no query; a room with bans is asked
  every time. Every node forgets that for a room when a removal or ban passes through it. When
  the store cannot answer, the last list this node read decides (the meeting state's own bans
  still hold too), so a database restart does not lock everyone out of their meeting.
- **The moderation log** gets the engine's `moderation` events as action, actor, target and end
  time: never a reason or any other text (the store has no parameter that could carry it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import facilitation as fx
from rooms.clock import Clock
from rooms.errors import Denied
from rooms.store.base import BanRecord, ModerationAction, NewReport, ReportRecord
from rooms.store.errors import StoreUnavailable

__all__ = ["Safety", "SafetyRecords", "member_mark"]

log = logging.getLogger(__name__)

_LOGGED: dict[str, ModerationAction] = {
    str(fx.Remove.WIRE): ModerationAction.REMOVE,
    str(fx.Ban.WIRE): ModerationAction.BAN,
    str(fx.Mute.WIRE): ModerationAction.MUTE,
    str(fx.ResetRoom.WIRE): ModerationAction.RESET,
    str(fx.RemoveMessage.WIRE): ModerationAction.REDACT,
}
"""Engine moderation actions the log records (the log's action set is fixed; `lock.set` is
mapped by its value below)."""


def member_mark(member_id: str) -> str:
    """The mark that names one session (member id) in bans, in the state and in the store."""
    return f"m:{member_id}"


class SafetyRecords(Protocol):
    """The part of the store (`rooms.store.Store`) moderation needs."""

    async def add_ban(
        self, room: str, marks: Iterable[str], until: float, *, removal: bool = False
    ) -> BanRecord: ...

    async def find_ban(self, room: str, marks: Iterable[str]) -> BanRecord | None: ...

    async def active_bans(self, room: str) -> list[BanRecord]: ...

    async def lift_ban(self, ban_id: str) -> bool: ...

    async def file_report(self, report: NewReport) -> ReportRecord: ...

    async def close_report(self, report_id: str) -> bool: ...

    async def log_action(
        self,
        room: str,
        action: ModerationAction,
        *,
        actor: str,
        target: str | None = None,
        until: float | None = None,
    ) -> None: ...


@dataclass(slots=True)
class _Known:
    """What this node last read of a room's bans, and when."""

    bans: list[BanRecord]
    read_at: float


def _refusal(record: BanRecord) -> Denied:
    if record.removal:
        return Denied(fx.Refusal.REMOVED, "A facilitator removed you from this room.")
    return Denied(fx.Refusal.BANNED, "You are banned from this room for now.")


class Safety:
    """This node's side of durable moderation (see the module docstring)."""

    def __init__(
        self, records: SafetyRecords | None, clock: Clock, *, cache_seconds: float = 30.0
    ) -> None:
        self.records = records
        """None only for a rooms service without a store (tests of the rooms layer alone):
        bans then live in the meeting state only, as before the store existed."""
        self.clock = clock
        self.cache_seconds = cache_seconds
        self._known: dict[str, _Known] = {}
        self._reading: dict[str, asyncio.Future[_Known]] = {}
        self._generation: dict[str, int] = {}

    # -- enforcement -----------------------------------------------------------------------------

    async def check(self, room: str, marks: frozenset[str]) -> None:
        """Refuse (`banned` / `removed`) marks under a ban or removal in the store.

        The room's ban list is read once per `cache_seconds`, by one query however many joins
        arrive together (a join storm used to send one query per joiner, and queued them all
        behind SQLite); a room that has bans is asked again for each check, so marks another
        node added count at once.

        Raises:
            Denied: a ban or removal in force matches one of `marks`.
        """
        if self.records is None or not marks:
            return
        now = self.clock.now()
        try:
            known = await self._bans_of(room, now)
            found = await self.records.find_ban(room, marks) if known.bans else None
        except StoreUnavailable:
            log.warning("ban check from memory: store unavailable (room %s)", room)
            last = self._known.get(room)
            found = _match(last.bans if last else [], marks, now)
        if found is not None:
            raise _refusal(found)

    async def _bans_of(self, room: str, now: float) -> _Known:
        known = self._known.get(room)
        if known is not None and now - known.read_at < self.cache_seconds:
            return known
        reading = self._reading.get(room)
        if reading is None:
            reading = self._reading[room] = asyncio.ensure_future(self._read(room, now))
        return await asyncio.shield(reading)

    async def _read(self, room: str, now: float) -> _Known:
        assert self.records is not None
        generation = self._generation.get(room, 0)
        try:
            known = _Known(await self.records.active_bans(room), now)
        finally:
            self._reading.pop(room, None)
        if self._generation.get(room, 0) == generation:
            self._known[room] = known  # no ban passed through while it was read
        return known

    def forget(self, room: str) -> None:
        """A ban or removal passed through the room: read the store again on the next check
        (and never keep a read that was in flight as it passed)."""
        self._known.pop(room, None)
        self._generation[room] = self._generation.get(room, 0) + 1

    async def add_marks(self, room: str, member: str, marks: frozenset[str]) -> None:
        """Add this node's network marks of a banned person to the store (another node banned
        them). Runs as a task after the ban's event; a failure is logged with ids only."""
        if self.records is None or not marks:
            return
        try:
            record = await self.records.find_ban(room, {member_mark(member)})
            if record is not None and not record.removal and not marks <= record.marks:
                await self.records.add_ban(room, marks, record.until)
        except StoreUnavailable:
            log.warning("ban marks not added: store unavailable (room %s)", room)
        self.forget(room)

    # -- moderation commands ---------------------------------------------------------------------

    async def guarded(
        self,
        room: str,
        command: fx.Command,
        *,
        actor: fx.Actor,
        state: fx.MeetingState,
        target_marks: frozenset[str],
        commit: Callable[[], Awaitable[tuple[fx.Event, ...]]],
    ) -> None:
        """Run `commit` (the engine command) with its durable record written first.

        `state` is the cached meeting, for the dry run; `target_marks` are the network marks this
        node holds for a ban's target. Raises `StoreUnavailable` (nothing changed), the engine's
        `Denied` (the record is deleted again), or whatever the commit raised.
        """
        if self.records is None:
            await commit()
            return
        verdict = fx.decide(state, command, actor=actor, now=self.clock.now())
        if isinstance(verdict, fx.Refused):
            raise Denied.refused(verdict)
        undo = await self._write_first(room, command, actor, state, target_marks)
        try:
            events = await commit()
        except BaseException:
            await self._undo(undo)
            raise
        await self.log_events(room, events)

    async def _write_first(
        self,
        room: str,
        command: fx.Command,
        actor: fx.Actor,
        state: fx.MeetingState,
        target_marks: frozenset[str],
    ) -> Callable[[], Awaitable[bool]] | None:
        records = self.records
        assert records is not None
        now = self.clock.now()
        record: BanRecord | None = None
        if isinstance(command, fx.Ban):
            marks = {member_mark(command.member), *target_marks}
            record = await records.add_ban(room, marks, now + command.seconds)
        elif isinstance(command, fx.Remove):
            hold = now + state.settings.removal_hold_seconds
            record = await records.add_ban(room, {member_mark(command.member)}, hold, removal=True)
        elif isinstance(command, fx.Report):
            filed = await records.file_report(_new_report(room, command, actor))
            return lambda: records.close_report(filed.id)
        if record is None:
            return None
        self.forget(room)
        ban_id = record.id
        return lambda: records.lift_ban(ban_id)

    @staticmethod
    async def _undo(undo: Callable[[], Awaitable[bool]] | None) -> None:
        if undo is None:
            return
        try:
            await undo()
        except StoreUnavailable:
            # The record outlives a command that did not happen: a ban record is then stricter
            # than the meeting, never looser; it lapses at its end time (docs/reliability.md §6).
            log.warning("moderation record not undone: store unavailable")

    async def log_events(self, room: str, events: Iterable[fx.Event]) -> None:
        """Write the moderation log for the engine's `moderation` events (never any text)."""
        if self.records is None:
            return
        for event in events:
            if not isinstance(event, fx.Moderation):
                continue
            action = _logged_action(event)
            if action is None:
                continue
            try:
                await self.records.log_action(
                    room, action, actor=event.by or "system", target=event.target, until=event.until
                )
            except StoreUnavailable:
                log.warning("moderation log entry lost: store unavailable (room %s)", room)


def _logged_action(event: fx.Moderation) -> ModerationAction | None:
    if event.action == str(fx.SetLock.WIRE):
        return ModerationAction.LOCK if event.value else ModerationAction.UNLOCK
    return _LOGGED.get(event.action)


def _match(bans: list[BanRecord], marks: frozenset[str], now: float) -> BanRecord | None:
    live = [b for b in bans if b.until > now and not b.marks.isdisjoint(marks)]
    return max(live, key=lambda b: b.until) if live else None


def _new_report(room: str, command: fx.Report, actor: fx.Actor) -> NewReport:
    return NewReport(
        room=room,
        mid=command.mid,
        about=command.about,
        about_name=command.about_name,
        from_member=actor.member,
        text=command.text,
        reason=command.reason,
    )
