"""A node's rooms service: the one object the server calls, and a thin one.

It builds the parts and wires them together; each job lives in its own module:

- seating (rooms/seating.py): join, resume, admission from the lobby, leave;
- chat (rooms/chat.py): post, react, and the commands about messages (report, remove);
- presence (rooms/presence.py): this node's entries, the observer count, the periodic sweep;
- timers (rooms/timers.py): each room's deadline loop;
- sessions (rooms/sessions.py): the record behind each session token, revoked on leave,
  removal and ban;
- the meeting store (rooms/meeting.py): every state change, by compare-and-set;
- the hub (rooms/hub.py): fan-out; and `LiveRooms` (rooms/live.py): per-room state;
- safety (rooms/safety.py): bans, removals, reports and the moderation log in the store;
- talk (rooms/talk.py): private conversations (the crisis lane, a private word).

Identity and role always come from the caller's `Seat`, which the server builds from its own
session, never from a frame. The service also reacts to room events for every node (the hub
hook below): it keeps caches right, lets people in from the lobby and closes removed members.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import facilitation as fx
from rooms.backends.base import Backend, Position
from rooms.catalog import Catalog
from rooms.chat import Chat
from rooms.clock import Clock
from rooms.errors import Denied
from rooms.events import (
    LOBBY_ADMITTED,
    LOBBY_DENIED,
    MEMBER_LEFT,
    MEMBER_UPDATED,
    OBSERVERS,
    changes_meeting,
)
from rooms.hub import Hub, LocalRoom
from rooms.live import LiveRooms
from rooms.meeting import Applied, MeetingStore, RoomRules
from rooms.outbound import OutboundEvent
from rooms.presence import Presence, Present
from rooms.roster import MembersPage, page_after
from rooms.safety import Safety, SafetyRecords
from rooms.seat import Seat, Subscriber
from rooms.seating import JoinResult, ResumeResult, Seating
from rooms.sessions import Sessions
from rooms.talk import Talk
from rooms.timers import RoomTimer

__all__ = [
    "Denied",
    "JoinResult",
    "MembersPage",
    "Present",
    "ResumeResult",
    "RoomsService",
    "Seat",
    "ServiceSettings",
]

DURABLE = (fx.Ban, fx.Remove, fx.Report)
"""Commands whose record is written to the store before the engine commits them."""

REMOVAL_REASONS = frozenset({fx.LeaveReason.REMOVED, fx.LeaveReason.BANNED})
"""`member.left` reasons that end the person's connections for good."""


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """The node-level knobs the rooms service uses (documented in docs/configuration.md)."""

    node_id: str = field(default_factory=lambda: secrets.token_hex(4))
    presence_ttl: float = 20.0
    presence_interval: float = 5.0
    resume_max_events: int = 300
    resume_max_bytes: int = 128 * 1024
    """Largest backlog (estimated encoded bytes) replayed to one resuming client."""
    resume_scan_events: int = 2000
    """Most missed events read for one resume before folding presence (the window's size)."""
    members_page_size: int = 50
    """Members in a join ack's first page and, at most, in one `members.page`."""
    batch_presence_from: int = 50
    """Rooms of this many people or more get a commit's presence events as one event."""
    max_text_chars: int = 2000
    ban_cache_seconds: float = 30.0
    """How long a node trusts that a room has no ban at all (a ban passing through resets it)."""
    session_lifetime: float = 12 * 3600.0
    """Absolute lifetime of a session (a resume never extends it)."""
    replay_window: float = 300.0
    """The backend's replay window (`replay_window_seconds`): with the seat hold, how long a
    private conversation's record outlives a party who went away (rooms/talk_records.py)."""
    rules: RoomRules = field(default_factory=RoomRules)


class RoomsService:
    """Everything a node does for the people connected to it."""

    def __init__(
        self,
        backend: Backend,
        catalog: Catalog,
        clock: Clock,
        settings: ServiceSettings | None = None,
        *,
        store: SafetyRecords | None = None,
    ) -> None:
        self.backend = backend
        self.catalog = catalog
        self.clock = clock
        self.settings = s = settings or ServiceSettings()
        self.hub = Hub(backend)
        self.rooms = LiveRooms()
        self.meetings = MeetingStore(
            backend, clock, s.rules, self.rooms, batch_presence_from=s.batch_presence_from
        )
        self.presence = Presence(
            backend,
            catalog,
            self.hub,
            self.meetings,
            node_id=s.node_id,
            ttl=s.presence_ttl,
            interval=s.presence_interval,
        )
        self.timers = RoomTimer(catalog, self.meetings, clock)
        self.chat = Chat(backend, self.meetings, clock, max_text_chars=s.max_text_chars)
        self.safety = Safety(store, clock, cache_seconds=s.ban_cache_seconds)
        self.seating = Seating(
            backend,
            catalog,
            clock,
            self.hub,
            self.rooms,
            self.meetings,
            self.presence,
            self.safety,
            resume_max_events=s.resume_max_events,
            resume_max_bytes=s.resume_max_bytes,
            resume_scan_events=s.resume_scan_events,
            members_page_size=s.members_page_size,
        )
        self.sessions = Sessions(backend, clock, lifetime=s.session_lifetime)
        self.talk = Talk(
            backend,
            clock,
            lifetime=s.session_lifetime,
            seat_hold=s.rules.seat_hold_seconds,
            window=s.replay_window,
            max_text_chars=s.max_text_chars,
        )
        self._stopping: set[asyncio.Task[None]] = set()
        self.hub.hooks.append(self._on_event)
        self.hub.on_room_open.append(self._room_opened)
        self.hub.on_room_close.append(self._room_closed)

    async def aclose(self) -> None:
        await self.talk.aclose()
        await self.hub.aclose()

    # -- seating ---------------------------------------------------------------------------------

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
        """Seat a new person (or count a new observer); see `Seating.join`."""
        return await self.seating.join(
            sub,
            slug,
            name=name,
            observer=observer,
            facilitator=facilitator,
            marks=marks,
            new_source=new_source,
        )

    async def resume(
        self, sub: Subscriber, seat: Seat, after: Position, marks: frozenset[str] = frozenset()
    ) -> ResumeResult:
        """Reseat a person after a reconnect; see `Seating.resume`."""
        return await self.seating.resume(sub, seat, after, marks)

    async def admitted_snapshot(self, seat: Seat, seq: int) -> JoinResult:
        return await self.seating.admitted_snapshot(seat, seq)

    async def abandon(self, seat: Seat) -> None:
        """A lobby wait ended without a decision (the connection went away); see
        `Seating.abandon`."""
        await self.seating.abandon(seat)

    async def leave(self, seat: Seat) -> None:
        """A clean goodbye: the seat is released and the session ends (no resume after it)."""
        await self.sessions.revoke(seat.member_id)
        await self.seating.leave(seat)

    async def disconnected(self, seat: Seat) -> None:
        await self.seating.disconnected(seat)

    async def present(self, slug: str) -> list[Present]:
        return await self.presence.present(slug)

    async def is_present(self, slug: str, member: str) -> bool:
        """This person has a chat connection in the room: here, or on any node (presence)."""
        if self.hub.local(slug, member):
            return True
        return any(p.member_id == member for p in await self.present(slug))

    async def members_page(self, seat: Seat, after: int, limit: int) -> MembersPage:
        """More of the member list, in join order after join position `after`
        (rooms/roster.py); at most `members_page_size` at a time."""
        _, state = await self.meetings.load(seat.room)
        return page_after(state, after, min(limit, self.settings.members_page_size))

    # -- chat and meeting commands ---------------------------------------------------------------

    async def post(self, seat: Seat, raw_text: str, *, note: str = "") -> int:
        return await self.chat.post(seat, raw_text, note=note)

    async def react(self, seat: Seat, mid: int, reaction: str, *, on: bool = True) -> int:
        return await self.chat.react(seat, mid, reaction, on=on)

    async def command(self, seat: Seat, command: fx.Command) -> int | None:
        """Apply a facilitation command for this person. Returns the seq of its first event.

        A ban, a removal or a report is written to the store first (rooms/safety.py): if the
        store cannot be reached the command changes nothing and raises `StoreUnavailable`.

        Raises:
            Denied: the engine's refusal, a report of a message no longer kept, or `busy`.
            BackendUnavailable: Redis, or (for a command that needs it) the store, is away.
        """
        command = await self.chat.complete(seat.room, command)
        done: list[Applied] = []

        async def commit() -> tuple[fx.Event, ...]:
            done.append(await self.meetings.apply(seat.room, command, seat.actor))
            return done[0].events

        if isinstance(command, DURABLE):
            _, state = await self.meetings.load(seat.room, fresh=True)
            await self.safety.guarded(
                seat.room.slug,
                command,
                actor=seat.actor,
                state=state,
                target_marks=self._marks_of(seat.room.slug, command),
                commit=commit,
            )
        else:
            await commit()
            # The log never holds a command up: a mute must not wait for the database. Only
            # moderation is logged, so a hand or a post spawns nothing.
            if any(isinstance(event, fx.Moderation) for event in done[0].events):
                self._background(self.safety.log_events(seat.room.slug, done[0].events))
        applied = done[0]
        await self._end_sessions_of_removed(applied.events)
        await self.chat.after(seat.room, applied.events)
        return applied.envelopes[0].seq if applied.envelopes else None

    def _marks_of(self, slug: str, command: fx.Command) -> frozenset[str]:
        """The network marks this node holds for a ban's target (their local connections)."""
        if not isinstance(command, fx.Ban):
            return frozenset()
        return self._local_marks(slug, command.member)

    def _local_marks(self, slug: str, member: str) -> frozenset[str]:
        return frozenset().union(*(a.marks for a in self.hub.local(slug, member)))

    async def _end_sessions_of_removed(self, events: tuple[fx.Event, ...]) -> None:
        """A removed or banned person's session ends on every node (it is in the backend)."""
        for event in events:
            if isinstance(event, fx.MemberLeft) and event.reason in REMOVAL_REASONS:
                await self.sessions.revoke(event.member, str(event.reason))

    # -- per-room lifetime and events ------------------------------------------------------------

    def _room_opened(self, local: LocalRoom) -> None:
        live = self.rooms.hold(local.slug)
        slug = local.slug
        live.tasks.append(asyncio.create_task(self.timers.run(live, local), name=f"timer:{slug}"))
        live.tasks.append(
            asyncio.create_task(self.presence.loop(live, local), name=f"presence:{slug}")
        )

    def _room_closed(self, local: LocalRoom) -> None:
        live = self.rooms.get(local.slug)
        if live is None:
            return
        self.rooms.stop_tasks(live)  # the fan-out closed: its loops end now, whoever holds it
        self.rooms.release(live)

    def _on_event(self, local: LocalRoom, event: OutboundEvent) -> None:
        """Hub hook: keep caches right and act on admissions and removals, for every node."""
        name = event.event
        live = self.rooms.get(local.slug)
        if name == OBSERVERS:
            if live is not None:
                live.observer_count = int(event.frame.get("count", 0))
            return
        if not changes_meeting(name):
            return
        self.meetings.saw_event(local.slug, event.seq, str(event.frame.get("epoch")))
        if live is not None:
            live.changed.set()
        if name in (LOBBY_ADMITTED, LOBBY_DENIED):
            _lobby_decided(local, event)
        elif name == MEMBER_LEFT and event.frame.get("reason") in REMOVAL_REASONS:
            self._removed(local, str(event.frame.get("member")), str(event.frame["reason"]))
        elif name == MEMBER_UPDATED:
            member = event.frame.get("member") or {}
            for attendee in self.hub.local(local.slug, str(member.get("id"))):
                attendee.facilitator = member.get("role") == "facilitator"

    def _removed(self, local: LocalRoom, member: str, reason: str) -> None:
        """A removal or ban passed through the room: every node re-reads the store's bans, and
        the node holding the person's connections adds their network marks to a ban's record
        (only it knows them), then closes them."""
        self.safety.forget(local.slug)
        marks = self._local_marks(local.slug, member)
        if reason == fx.LeaveReason.BANNED and marks:
            self._background(self.safety.add_marks(local.slug, member, marks))
        for attendee in self.hub.local(local.slug, member):
            attendee.sub.evict(reason)

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run store work that nothing waits for, referenced until it is done."""
        task = asyncio.create_task(work)
        self._stopping.add(task)
        task.add_done_callback(self._stopping.discard)

    # -- listing ---------------------------------------------------------------------------------

    async def summaries(self) -> list[dict[str, Any]]:
        """What `GET /api/rooms` shows: no names, no content; counts and mode only."""
        out = []
        for room in await self.catalog.all():
            _, state = await self.meetings.load(room, fresh=room.slug not in self.hub.rooms)
            view = fx.public_view(state, self.clock.now())
            members = [m for m in fx.members_view(state) if not m["away"]]
            out.append(
                {
                    "slug": room.slug,
                    "name": room.name,
                    "description": room.description,
                    "access": room.access,
                    "self_led": room.self_led,
                    "language": room.language,
                    "voice": room.voice,
                    "format": None if room.format is None else room.format.title,
                    "part": _part_title(view),
                    "members": len(members),
                    "observers": await self.presence.count_observers(room.slug),
                    "mode": view["mode"],
                    "round": view["round"] is not None,
                    "facilitator_present": state.facilitator_present(),
                }
            )
        return out


def _part_title(view: dict[str, Any]) -> str | None:
    """The title of the part the meeting is in, if it follows a format now."""
    part = view.get("part")
    return part["title"] if isinstance(part, dict) else None


def _lobby_decided(local: LocalRoom, event: OutboundEvent) -> None:
    """A facilitator decided on a waiting person: let them in, or turn them away."""
    ticket = event.frame.get("ticket")
    if ticket is None:
        return
    for attendee in list(local.attendees.values()):
        if attendee.waiting_ticket != ticket:
            continue
        attendee.waiting_ticket = None
        if event.event == LOBBY_ADMITTED:
            attendee.sub.admitted(event.seq)
        else:
            attendee.sub.turned_away()
