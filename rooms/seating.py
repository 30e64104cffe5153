"""Seating: joining, resuming, being let in from the lobby, and leaving.

Every path here attaches the connection's `Attendee` to the room's fan-out first (so nothing
published meanwhile is missed), writes this node's presence entry, then asks the engine. A
failure on the way undoes the attachment. The snapshot a newcomer receives is the room as of
the seq just before their own `member.joined`, so the events that follow fit it exactly.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from typing import Any

import facilitation as fx
from rooms.backends.base import Backend, Envelope, Position, Resync
from rooms.catalog import Catalog
from rooms.clock import Clock
from rooms.errors import BackendUnavailable, Denied, RoomsCode
from rooms.hub import Hub
from rooms.live import LiveRooms
from rooms.meeting import MeetingStore
from rooms.model import RoomConfig
from rooms.names import NameRejected, alternates, check_name, name_key
from rooms.outbound import OutboundEvent
from rooms.presence import Presence
from rooms.replay import backlog_for
from rooms.roster import first_page
from rooms.safety import Safety, member_mark
from rooms.seat import Attendee, Seat, Subscriber

__all__ = ["JoinResult", "ResumeResult", "Seating"]


@dataclass(frozen=True, slots=True)
class JoinResult:
    seat: Seat
    member: dict[str, Any] | None
    members: list[dict[str, Any]]
    """The first page of the member list (rooms/roster.py), not the whole room."""
    observers: int
    meeting: dict[str, Any]
    position: Position
    cursor: int
    """The seq after which this connection receives events."""
    ticket: str | None = None
    """Set when the join waits in the lobby: the person is not seated yet and sees nothing."""
    waiting: list[dict[str, Any]] | None = None
    """For facilitators: who waits in the lobby right now."""
    tending: dict[str, Any] | None = None
    """For facilitators: the turns tally and the milestones (`fx.facilitators_view`)."""
    member_count: int = 0
    """Everyone seated; `members` may hold only the first page of them."""
    members_next: int | None = None
    """Where `members.page` continues (`after`), or None when `members` is everyone."""


@dataclass(frozen=True, slots=True)
class ResumeResult:
    seat: Seat
    recovered: bool
    member: dict[str, Any] | None
    missed: list[OutboundEvent]
    """What the connection missed, in order, each in the form this person may read."""
    snapshot: JoinResult | None
    cursor: int
    reason: str | None = None


def _waiting(state: fx.MeetingState, member_id: str) -> bool:
    """The join was parked in the lobby rather than seated."""
    return any(w.member == member_id for w in state.waiting)


def _member(state: fx.MeetingState, member_id: str) -> dict[str, Any] | None:
    return fx.member_view(state, member_id) if state.participant(member_id) else None


def _is_facilitator(member: dict[str, Any] | None) -> bool:
    return bool(member and member.get("role") == "facilitator")


def _checked_name(name: str | None) -> str:
    try:
        return check_name(name or "")
    except NameRejected as exc:
        raise Denied(RoomsCode.INVALID_NAME, str(exc)) from None


class Seating:
    """Join, resume, admit and leave, for the connections of this node."""

    def __init__(
        self,
        backend: Backend,
        catalog: Catalog,
        clock: Clock,
        hub: Hub,
        rooms: LiveRooms,
        meetings: MeetingStore,
        presence: Presence,
        safety: Safety,
        *,
        resume_max_events: int,
        resume_max_bytes: int,
        resume_scan_events: int,
        members_page_size: int,
    ) -> None:
        self.backend = backend
        self.catalog = catalog
        self.clock = clock
        self.hub = hub
        self.rooms = rooms
        self.meetings = meetings
        self.presence = presence
        self.safety = safety
        self.resume_max_events = resume_max_events
        self.resume_max_bytes = resume_max_bytes
        self.resume_scan_events = resume_scan_events
        self.members_page_size = members_page_size

    # -- attaching -------------------------------------------------------------------------------

    async def _attach(self, attendee: Attendee) -> None:
        """Join the room's fan-out, then make this node's presence entry include the person."""
        slug = attendee.seat.room.slug
        await self.hub.attach(slug, attendee)
        try:
            with self.rooms.using(slug) as live:
                await self.presence.touch(live)
        except BaseException:
            await self.detach(attendee.seat)
            raise

    async def detach(self, seat: Seat) -> None:
        """Leave the room's fan-out and this node's presence entry (never raises for Redis)."""
        slug = seat.room.slug
        self.hub.detach(slug, seat.conn_id)
        with contextlib.suppress(BackendUnavailable):
            if slug in self.hub.rooms:
                with self.rooms.using(slug) as live:
                    await self.presence.touch(live)
            else:
                await self.presence.drop(slug)

    async def _admit_observer(self, room: RoomConfig, marks: frozenset[str]) -> fx.MeetingState:
        """Observers are never seated, but a locked room or a ban keeps them out too."""
        _, state = await self.meetings.load(room, fresh=True)
        refused = fx.admission(state, marks=marks, facilitator=False, now=self.clock.now())
        if refused is not None:
            raise Denied.refused(refused)
        return state

    # -- joining -----------------------------------------------------------------------------------

    async def join(
        self,
        sub: Subscriber,
        slug: str,
        *,
        name: str | None,
        observer: bool,
        facilitator: bool,
        marks: frozenset[str],
        new_source: bool = True,
    ) -> JoinResult:
        """Seat a new person (or count a new observer) in a room.

        `new_source`: the joiner's network has not joined this room lately (the server keeps
        that memory); only such joins count towards raid protection.

        Raises:
            Denied: invalid name, room locked, banned, no such room, ... (protocol error codes).
            BackendUnavailable.
        """
        room = await self.catalog.get(slug)
        shown = None if observer else _checked_name(name)
        await self.safety.check(slug, marks)  # a ban from the same address (rooms/safety.py)
        member_id = ("o_" if observer else "m_") + secrets.token_urlsafe(8)
        seat = Seat(sub.conn_id, room, member_id, shown, observer)
        # A member sees nothing of the room until seated: the ticket is set from the start.
        ticket = None if observer else secrets.token_urlsafe(8)
        attendee = Attendee(sub, seat, waiting_ticket=ticket, marks=marks)
        await self._attach(attendee)
        try:
            if observer:
                state = await self._admit_observer(room, marks)
                position = await self.backend.position(slug)
                await self.presence.publish_observers(slug)  # after the cursor: they see it
                return self._seated(attendee, state, position, position.seq)
            return await self._join_member(attendee, facilitator=facilitator, new_source=new_source)
        except BaseException:
            await self.detach(seat)
            raise

    async def _join_member(
        self, attendee: Attendee, *, facilitator: bool, new_source: bool
    ) -> JoinResult:
        seat, ticket = attendee.seat, attendee.waiting_ticket
        assert seat.name is not None
        assert ticket is not None
        command = fx.Join(
            member=seat.member_id,
            name=seat.name,
            name_key=name_key(seat.name),
            facilitator=facilitator,
            # Only the member mark enters the meeting state; network marks stay on this node
            # (`Attendee.marks`) and in ban records (docs/privacy.md).
            marks=frozenset({member_mark(seat.member_id)}),
            ticket=ticket,
            new_source=new_source,
            alternates=() if facilitator else alternates(seat.name),
        )
        applied = await self.meetings.apply(seat.room, command, None)
        if _waiting(applied.state, seat.member_id):
            position = await self.backend.position(seat.room.slug)
            return JoinResult(seat, None, [], 0, {}, position, position.seq, ticket)
        position, cursor = await self._start_of(seat.room.slug, applied.envelopes)
        return self._seated(attendee, applied.state, position, cursor)

    async def _start_of(self, slug: str, envelopes: tuple[Envelope, ...]) -> tuple[Position, int]:
        """Where a joiner's history starts: just before the join's own first event."""
        if envelopes:
            # No extra round trip to the backend per joiner.
            first = envelopes[0]
            return Position(first.seq - 1, first.epoch), first.seq - 1
        position = await self.backend.position(slug)
        return position, position.seq

    def _seated(
        self, attendee: Attendee, state: fx.MeetingState, position: Position, cursor: int
    ) -> JoinResult:
        seat = attendee.seat
        seat.joined_seq = cursor
        result = self.snapshot(seat, state, position, cursor)
        attendee.facilitator = _is_facilitator(result.member)
        attendee.waiting_ticket = None
        attendee.seated = True
        return result

    async def admitted_snapshot(self, seat: Seat, seq: int) -> JoinResult:
        """What a newcomer let in from the lobby receives: the room as of their admission."""
        _, state = await self.meetings.load(seat.room, fresh=True)
        seat.joined_seq = seq
        position = await self.backend.position(seat.room.slug)
        result = self.snapshot(seat, state, position, seq)
        if result.member is not None:
            seat.name = result.member["name"]  # "River 2" if their name was taken meanwhile
        attendee = self._attendee(seat)
        if attendee is not None:
            attendee.facilitator = _is_facilitator(result.member)
            attendee.seated = True
        return result

    def _attendee(self, seat: Seat) -> Attendee | None:
        local = self.hub.rooms.get(seat.room.slug)
        return local.attendees.get(seat.conn_id) if local is not None else None

    def snapshot(
        self, seat: Seat, state: fx.MeetingState, position: Position, cursor: int
    ) -> JoinResult:
        member = None if seat.observer else _member(state, seat.member_id)
        waiting = tending = None
        if _is_facilitator(member):
            waiting = [{"ticket": w.ticket, "name": w.name} for w in state.waiting]
            tending = fx.facilitators_view(state)
        live = self.rooms.get(seat.room.slug)
        page = first_page(state, self.members_page_size)
        return JoinResult(
            seat=seat,
            member=member,
            members=page.members,
            member_count=page.count,
            members_next=page.next,
            observers=live.observer_count if live is not None else 0,
            meeting=fx.public_view(state, self.clock.now()),
            # Events after this seq follow the ack (protocol.md §3.1): for a join that is the
            # seq just before the joiner's own `member.joined`.
            position=Position(cursor, position.epoch),
            cursor=cursor,
            waiting=waiting,
            tending=tending,
        )

    # -- resuming ----------------------------------------------------------------------------------

    async def resume(
        self, sub: Subscriber, seat: Seat, after: Position, marks: frozenset[str] = frozenset()
    ) -> ResumeResult:
        """Reseat a person after a reconnect, re-running every check a join runs.

        The store's bans are checked by the session's member mark and the connection's network
        `marks`, so neither a lost meeting state nor another identity from the same address gets
        a banned person back in.

        Within the replay window the missed events are returned for sending, in order; otherwise
        the result says `recovered=False` and carries a fresh snapshot (never a silent gap).
        """
        room = await self.catalog.get(seat.room.slug)
        seat.room = room
        await self.safety.check(room.slug, marks | {member_mark(seat.member_id)})
        attendee = Attendee(sub, seat, marks=marks)
        await self._attach(attendee)
        try:
            reseated_at: Position | None = None
            if seat.observer:
                state = await self._admit_observer(room, frozenset({member_mark(seat.member_id)}))
                await self.presence.publish_observers(room.slug)
            else:
                state, reseated_at = await self._reseat(room, seat)
        except BaseException:
            await self.detach(seat)
            raise
        member = _member(state, seat.member_id)
        attendee.facilitator = _is_facilitator(member)
        attendee.seated = True
        if reseated_at is not None:
            # protocol.md §3.1 `resume`: seated again after the seat was released; what was said
            # while they were gone is not theirs. A snapshot as of the re-seat point, then live
            # events.
            seat.joined_seq = reseated_at.seq
            snap = self.snapshot(seat, state, reseated_at, reseated_at.seq)
            return ResumeResult(seat, False, member, [], snap, snap.cursor, "reseated")
        start = Position(max(after.seq, seat.joined_seq), after.epoch)
        answer = await backlog_for(
            self.backend,
            self.clock,
            room,
            attendee,
            start,
            scan_events=self.resume_scan_events,
            max_events=self.resume_max_events,
            max_bytes=self.resume_max_bytes,
        )
        if isinstance(answer, Resync):
            snap = self.snapshot(seat, state, answer.position, answer.position.seq)
            return ResumeResult(seat, False, member, [], snap, snap.cursor, answer.reason)
        cursor = answer[-1].seq if answer else start.seq
        return ResumeResult(seat, True, member, answer, None, cursor)

    async def _reseat(
        self, room: RoomConfig, seat: Seat
    ) -> tuple[fx.MeetingState, Position | None]:
        """The state after the person is back; with the re-seat point if the seat was taken anew."""
        # A resume re-runs its checks on the room's stored state, never on this node's cache: the
        # cache may predate a loss of Redis data (a restart: the reply showed a meeting that no
        # longer existed) or a removal whose event this node has not received yet.
        await self.meetings.load(room, fresh=True)
        try:
            applied = await self.meetings.apply(room, fx.Reconnected(member=seat.member_id), None)
            return applied.state, None
        except Denied as exc:
            if exc.code != fx.Refusal.NOT_PRESENT:
                raise
        # The seat was released while they were away: seat them again as the same person.
        assert seat.name is not None
        command = fx.Join(
            member=seat.member_id,
            name=seat.name,
            name_key=name_key(seat.name),
            facilitator=False,
            marks=frozenset({member_mark(seat.member_id)}),
            ticket=secrets.token_urlsafe(8),
        )
        applied = await self.meetings.apply(room, command, None)
        if _waiting(applied.state, seat.member_id):
            with contextlib.suppress(Denied):  # nobody waits on this connection: free the place
                await self.meetings.apply(room, fx.Leave(member=seat.member_id), None)
            raise Denied(
                fx.Refusal.LOBBY, "The room has a waiting room; a facilitator will let you in."
            )
        position, _ = await self._start_of(room.slug, applied.envelopes)
        return applied.state, position

    # -- leaving -----------------------------------------------------------------------------------

    async def abandon(self, seat: Seat) -> None:
        """A lobby wait ended without a decision (the connection went away): drop the ticket,
        so the waiting place (and its count towards the lobby's caps) is free at once."""
        await self.detach(seat)
        with contextlib.suppress(Denied):  # decided or lapsed meanwhile
            await self.meetings.apply(seat.room, fx.Leave(member=seat.member_id), None)

    async def leave(self, seat: Seat) -> None:
        """A clean goodbye: the seat is released at once."""
        await self.detach(seat)
        if seat.observer:
            await self.presence.publish_observers(seat.room.slug)
            return
        with contextlib.suppress(Denied):
            await self.meetings.apply(seat.room, fx.Leave(member=seat.member_id), None)

    async def disconnected(self, seat: Seat) -> None:
        """The socket went away without a goodbye: hold the seat (the client may resume)."""
        await self.detach(seat)
        if seat.observer:
            await self.presence.publish_observers(seat.room.slug)
            return
        present = await self.presence.present(seat.room.slug)
        if any(p.member_id == seat.member_id for p in present):
            return  # another connection of the same person is still here
        with contextlib.suppress(Denied):
            await self.meetings.apply(seat.room, fx.Disconnected(member=seat.member_id), None)
