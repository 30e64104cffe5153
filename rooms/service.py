"""A node's rooms service: joining, resuming, chatting and running meetings.

This is what the WebSocket endpoint calls. It owns the hub (fan-out), the meeting store (state
transitions by compare-and-set), presence heartbeats and room timers. Identity and role always
come from the caller's `Seat`, which the server builds from its own session, never from a frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from dataclasses import dataclass, field
from typing import Any

import msgpack

import facilitation as fx
from rooms.backends.base import Backend, Envelope, Position, Resync
from rooms.catalog import Catalog
from rooms.clock import Clock
from rooms.errors import BackendUnavailable
from rooms.hub import Hub, LocalRoom, Subscriber, decode_payload
from rooms.meeting import Busy, MeetingRefused, MeetingStore, RoomRules
from rooms.model import RoomConfig
from rooms.names import NameRejected, check_name, name_key
from rooms.outbound import FACILITATORS, OutboundEvent, hidden_twin
from rooms.text import TextRejected, clean_text

__all__ = [
    "Denied",
    "JoinResult",
    "Present",
    "ResumeResult",
    "RoomsService",
    "Seat",
    "ServiceSettings",
]

log = logging.getLogger(__name__)


class Denied(Exception):
    """A request the rooms layer refuses; `code` is a protocol error code."""

    def __init__(self, code: str, message: str, retry_after_ms: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retry_after_ms = retry_after_ms


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """The node-level knobs the rooms service uses (documented in docs/configuration.md)."""

    node_id: str = field(default_factory=lambda: secrets.token_hex(4))
    presence_ttl: float = 20.0
    presence_interval: float = 5.0
    resume_max_events: int = 300
    resume_max_bytes: int = 128 * 1024
    """Largest backlog (estimated encoded bytes) replayed to one resuming client."""
    max_text_chars: int = 2000
    rules: RoomRules = field(default_factory=RoomRules)


@dataclass(slots=True)
class Seat:
    """Who a connection is, in which room: set by the server from its verified session."""

    conn_id: str
    room: RoomConfig
    member_id: str
    name: str | None
    observer: bool
    joined_seq: int = 0

    @property
    def actor(self) -> fx.Actor:
        return fx.Actor(member=self.member_id, observer=self.observer)


@dataclass(frozen=True, slots=True)
class JoinResult:
    seat: Seat
    member: dict[str, Any] | None
    members: list[dict[str, Any]]
    observers: int
    meeting: dict[str, Any]
    position: Position
    cursor: int
    """The seq after which this connection receives events."""
    ticket: str | None = None
    """Set when the join waits in the lobby: the person is not seated yet and sees nothing."""
    waiting: list[dict[str, Any]] | None = None
    """For facilitators: who waits in the lobby right now."""


@dataclass(frozen=True, slots=True)
class ResumeResult:
    seat: Seat
    recovered: bool
    member: dict[str, Any] | None
    missed: list[OutboundEvent]
    hidden: list[OutboundEvent | None]
    snapshot: JoinResult | None
    cursor: int
    reason: str | None = None


def _presence_blob(seats: dict[str, Seat]) -> bytes:
    """One node's presence entry for a room: every local connection's (conn, member, observer).

    One entry per node and room (not per connection) keeps presence traffic independent of the
    number of people: a node refreshes one key per room, and when it dies all of its people
    vanish together when that key expires.
    """
    rows = [[s.conn_id, s.member_id, s.observer] for s in seats.values()]
    packed: bytes = msgpack.packb({"c": rows})
    return packed


@dataclass(frozen=True, slots=True)
class Present:
    """One live connection somewhere in the cluster, as presence reports it."""

    conn_id: str
    member_id: str
    observer: bool


def _seated_member(sub: Subscriber) -> bool:
    """A member (not an observer) whose join or resume has finished on this connection."""
    seat = getattr(sub, "seat", None)
    joined = getattr(sub, "pending", None) is None  # server.connection: None once delivering
    return isinstance(seat, Seat) and not seat.observer and joined


def _backlog_bytes(envelopes: list[Envelope]) -> int:
    """Roughly what replaying these events puts in an outbox (payload plus frame fields)."""
    return sum(len(env.payload) + 128 for env in envelopes)


def _waiting(state: fx.MeetingState, member_id: str) -> bool:
    """The join was parked in the lobby rather than seated."""
    return any(w.member == member_id for w in state.waiting)


def _member(state: fx.MeetingState, member_id: str) -> dict[str, Any] | None:
    return fx.member_view(state, member_id) if state.participant(member_id) else None


def _refusal(exc: MeetingRefused) -> Denied:
    return Denied(str(exc.refusal.code), exc.refusal.detail)


class RoomsService:
    """Everything a node does for the people connected to it."""

    def __init__(
        self,
        backend: Backend,
        catalog: Catalog,
        clock: Clock,
        settings: ServiceSettings | None = None,
    ) -> None:
        self.backend = backend
        self.catalog = catalog
        self.clock = clock
        self.settings = settings or ServiceSettings()
        self.hub = Hub(backend)
        self.meetings = MeetingStore(backend, clock, self.settings.rules)
        self.hub.hooks.append(self._on_event)
        self.hub.on_room_open.append(self._start_room_tasks)
        self._observer_counts: dict[str, int] = {}
        self._members_cache: dict[str, tuple[fx.MeetingState, list[dict[str, Any]]]] = {}
        self._member_views: dict[str, dict[str, tuple[object, bool, dict[str, Any]]]] = {}

    async def aclose(self) -> None:
        await self.hub.aclose()

    # -- joining -----------------------------------------------------------------------------

    async def join(
        self,
        sub: Subscriber,
        slug: str,
        *,
        name: str | None,
        observer: bool,
        facilitator: bool,
        marks: frozenset[str],
    ) -> JoinResult:
        """Seat a new person (or count a new observer) in a room.

        Raises:
            Denied: invalid name, room locked, banned, ... (protocol error codes).
            RoomNotFound, BackendUnavailable.
        """
        room = await self.catalog.get(slug)
        if observer:
            shown = None
        else:
            try:
                shown = check_name(name or "")
            except NameRejected as exc:
                raise Denied("invalid_name", str(exc)) from None
        member_id = ("o_" if observer else "m_") + secrets.token_urlsafe(8)
        seat = Seat(sub.conn_id, room, member_id, shown, observer)
        local = await self.hub.attach(slug, sub)
        try:
            await self._touch(local, add=seat)
            if observer:
                _, state = await self.meetings.load(room, fresh=True)
                refused = fx.admission(state, marks=marks, facilitator=False, now=self.clock.now())
                if refused is not None:
                    raise Denied(str(refused.code), refused.detail)
                position = await self.backend.position(slug)
                await self._publish_observer_count(local)
                cursor = position.seq
            else:
                assert shown is not None
                ticket = secrets.token_urlsafe(8)
                command = fx.Join(
                    member=member_id,
                    name=shown,
                    name_key=name_key(shown),
                    facilitator=facilitator,
                    marks=marks | {f"m:{member_id}"},
                    ticket=ticket,
                )
                sub.waiting_ticket = ticket  # see nothing of the room unless seated
                applied = await self.meetings.apply(room, command, None)
                state = applied.state
                if _waiting(state, member_id):
                    position = await self.backend.position(slug)
                    return JoinResult(seat, None, [], 0, {}, position, position.seq, ticket)
                sub.waiting_ticket = None
                if applied.envelopes:
                    # The join's own envelopes say where this person's history starts; no
                    # extra round trip to the backend per joiner.
                    first = applied.envelopes[0]
                    cursor, position = first.seq - 1, Position(first.seq - 1, first.epoch)
                else:
                    position = await self.backend.position(slug)
                    cursor = position.seq
        except MeetingRefused as exc:
            sub.waiting_ticket = None
            await self._undo_attach(seat, sub)
            raise _refusal(exc) from None
        except BaseException:
            sub.waiting_ticket = None
            await self._undo_attach(seat, sub)
            raise
        seat.joined_seq = cursor
        return self._snapshot(seat, state, position, cursor)

    async def resume(self, sub: Subscriber, seat: Seat, after: Position) -> ResumeResult:
        """Reseat a person after a reconnect, re-running every check a join runs.

        Within the replay window the missed events are returned for sending, in order; otherwise
        the result says `recovered=False` and carries a fresh snapshot (never a silent gap).
        """
        room = await self.catalog.get(seat.room.slug)
        seat.room = room
        local = await self.hub.attach(room.slug, sub)
        try:
            await self._touch(local, add=seat)
            if seat.observer:
                _, state = await self.meetings.load(room, fresh=True)
                refused = fx.admission(
                    state,
                    marks=frozenset({f"m:{seat.member_id}"}),
                    facilitator=False,
                    now=self.clock.now(),
                )
                if refused is not None:
                    raise Denied(str(refused.code), refused.detail)
                await self._publish_observer_count(local)
            else:
                state = await self._reseat(room, seat)
        except BaseException:
            await self._undo_attach(seat, sub)
            raise
        start = Position(max(after.seq, seat.joined_seq), after.epoch)
        current = await self.backend.position(room.slug)
        answer: list[Envelope] | Resync
        if start.seq > current.seq:
            answer = Resync("ahead", current)
        else:
            answer = await self.backend.replay(room.slug, start, self.settings.resume_max_events)
            if (
                not isinstance(answer, Resync)
                and _backlog_bytes(answer) > self.settings.resume_max_bytes
            ):
                # The missed events are queued on the connection all at once. A backlog larger
                # than its outbox closed it with 4008 straight away, and the client resumed into
                # the same wall forever; an explicit resync is the honest answer (never a gap).
                answer = Resync("backlog", current)
            elif (
                not isinstance(answer, Resync)
                and answer
                and room.replay_seconds is not None
                and answer[0].ts_ms < (self.clock.now() - room.replay_seconds) * 1000
            ):
                # This room keeps less history than the node's window (never more).
                answer = Resync("window", current)
        member = _member(state, seat.member_id)
        if isinstance(answer, Resync):
            snap = self._snapshot(seat, state, answer.position, answer.position.seq)
            return ResumeResult(seat, False, member, [], [], snap, snap.cursor, answer.reason)
        missed: list[OutboundEvent] = []
        hidden: list[OutboundEvent | None] = []
        for env in answer:
            frame, audience = decode_payload(env)
            event = OutboundEvent(env.seq, frame, audience)
            missed.append(event)
            hidden.append(hidden_twin(event) if audience == FACILITATORS else None)
        cursor = answer[-1].seq if answer else start.seq
        return ResumeResult(seat, True, member, missed, hidden, None, cursor)

    async def admitted_snapshot(self, seat: Seat, seq: int) -> JoinResult:
        """What a newcomer let in from the lobby receives: the room as of their admission."""
        _, state = await self.meetings.load(seat.room, fresh=True)
        seat.joined_seq = seq
        position = await self.backend.position(seat.room.slug)
        return self._snapshot(seat, state, position, seq)

    async def _reseat(self, room: RoomConfig, seat: Seat) -> fx.MeetingState:
        # A resume re-runs its checks on the room's stored state, never on this node's cache: the
        # cache may predate a loss of Redis data (a restart: the reply showed a meeting that no
        # longer existed) or a removal whose event this node has not received yet.
        await self.meetings.load(room, fresh=True)
        try:
            applied = await self.meetings.apply(room, fx.Reconnected(member=seat.member_id), None)
            return applied.state
        except MeetingRefused as exc:
            if exc.refusal.code != "not_present":
                raise _refusal(exc) from None
        # The seat was released while they were away: seat them again as the same person.
        assert seat.name is not None
        command = fx.Join(
            member=seat.member_id,
            name=seat.name,
            name_key=name_key(seat.name),
            facilitator=False,
            marks=frozenset({f"m:{seat.member_id}"}),
            ticket=secrets.token_urlsafe(8),
        )
        try:
            applied = await self.meetings.apply(room, command, None)
        except MeetingRefused as exc:
            raise _refusal(exc) from None
        if _waiting(applied.state, seat.member_id):
            raise Denied("lobby", "The room has a waiting room; a facilitator will let you in.")
        return applied.state

    def _snapshot(
        self, seat: Seat, state: fx.MeetingState, position: Position, cursor: int
    ) -> JoinResult:
        now = self.clock.now()
        member = None if seat.observer else _member(state, seat.member_id)
        waiting = None
        if member is not None and member.get("role") == "facilitator":
            waiting = [{"ticket": w.ticket, "name": w.name} for w in state.waiting]
        return JoinResult(
            seat=seat,
            member=member,
            members=self._members(seat.room.slug, state),
            observers=self._observer_counts.get(seat.room.slug, 0),
            meeting=fx.public_view(state, now),
            # Events after this seq follow the ack (protocol.md §3.1): for a join that is the
            # seq just before the joiner's own `member.joined`.
            position=Position(cursor, position.epoch),
            cursor=cursor,
            waiting=waiting,
        )

    def _members(self, slug: str, state: fx.MeetingState) -> list[dict[str, Any]]:
        """The member list of a state, reusing the objects of people who did not change.

        A join storm asks for it once per joiner; participants are shared between states, so
        only the newcomers' entries are built again (the engine's `member_view` for them).
        """
        cached = self._members_cache.get(slug)
        if cached is not None and cached[0] is state:
            return cached[1]
        previous = self._member_views.setdefault(slug, {})
        queue = set(state.queue)
        views: list[dict[str, Any]] = []
        current: dict[str, tuple[object, bool, dict[str, Any]]] = {}
        for who in state.participants:
            hand = who.member in queue
            hit = previous.get(who.member)
            if hit is not None and hit[0] is who and hit[1] == hand:
                view = hit[2]
            else:
                view = fx.member_view(state, who.member)
            current[who.member] = (who, hand, view)
            views.append(view)
        self._member_views[slug] = current
        self._members_cache[slug] = (state, views)
        return views

    async def abandon(self, sub: Subscriber, seat: Seat) -> None:
        """A lobby wait ended without a decision (the connection went away)."""
        await self._undo_attach(seat, sub)

    async def _undo_attach(self, seat: Seat, sub: Subscriber) -> None:
        local = self.hub.rooms.get(seat.room.slug)
        self.hub.detach(seat.room.slug, sub)
        with contextlib.suppress(BackendUnavailable):
            if local is not None and seat.room.slug in self.hub.rooms:
                await self._touch(local, remove=seat)
            else:
                await self.backend.drop_presence(seat.room.slug, self.settings.node_id)

    # -- leaving -----------------------------------------------------------------------------

    async def leave(self, sub: Subscriber, seat: Seat) -> None:
        """A clean goodbye: the seat is released at once."""
        await self._undo_attach(seat, sub)
        if seat.observer:
            await self._observer_left(seat)
            return
        with contextlib.suppress(MeetingRefused):
            await self.meetings.apply(seat.room, fx.Leave(member=seat.member_id), None)

    async def disconnected(self, sub: Subscriber, seat: Seat) -> None:
        """The socket went away without a goodbye: hold the seat (the client may resume)."""
        await self._undo_attach(seat, sub)
        if seat.observer:
            await self._observer_left(seat)
            return
        present = await self.present(seat.room.slug)
        if any(p.member_id == seat.member_id for p in present):
            return  # another connection of the same person is still here
        with contextlib.suppress(MeetingRefused):
            await self.meetings.apply(seat.room, fx.Disconnected(member=seat.member_id), None)

    async def _observer_left(self, seat: Seat) -> None:
        count = await self._count_observers(seat.room.slug)
        await self._publish(seat.room.slug, {"event": "observers", "count": count})

    # -- chat ----------------------------------------------------------------------------------

    async def post(self, seat: Seat, raw_text: str) -> int:
        """Relay a message if the meeting allows this person to post now. Returns its seq."""
        try:
            text = clean_text(raw_text, max_chars=self.settings.max_text_chars)
        except TextRejected as exc:
            raise Denied("bad_request", str(exc)) from None
        state, allowed = await self._check(
            seat.room, lambda s: fx.may_post(s, seat.actor, self.clock.now())
        )
        assert isinstance(allowed, fx.PostAllowed)
        if allowed.slow_seconds > 0:
            key = f"slow:{seat.room.slug}:{seat.member_id}"
            if not await self.backend.claim(key, allowed.slow_seconds):
                raise Denied(
                    "slow_mode",
                    f"Slow mode is on: one message every {allowed.slow_seconds} seconds.",
                    retry_after_ms=allowed.slow_seconds * 1000,
                )
        who = state.participant(seat.member_id)
        name = who.name if who is not None else seat.name or ""
        body = {"event": "chat.message", "from": seat.member_id, "name": name, "text": text}
        envelopes = await self._publish(seat.room.slug, body)
        return envelopes[0].seq

    async def react(self, seat: Seat, mid: int, reaction: str, *, on: bool = True) -> int:
        """Give (or, with `on=False`, take back) a reaction; clients count distinct members."""
        await self._check(seat.room, lambda s: fx.may_react(s, seat.actor))
        body = {
            "event": "chat.reaction",
            "mid": mid,
            "from": seat.member_id,
            "reaction": reaction,
            "on": on,
        }
        envelopes = await self._publish(seat.room.slug, body)
        return envelopes[0].seq

    async def _check(self, room: RoomConfig, rule: Any) -> tuple[fx.MeetingState, object]:
        """Run a pure permission rule on the cached state, re-checking a refusal on fresh state."""
        _, state = await self.meetings.load(room)
        verdict = rule(state)
        if isinstance(verdict, fx.Refused):
            _, state = await self.meetings.load(room, fresh=True)
            verdict = rule(state)
        if isinstance(verdict, fx.Refused):
            raise Denied(str(verdict.code), verdict.detail)
        return state, verdict

    async def message(self, room: RoomConfig, mid: int) -> dict[str, Any] | None:
        """A chat message still in the window (for reports), or None."""
        current = await self.backend.position(room.slug)
        if not 0 < mid <= current.seq:
            return None
        answer = await self.backend.replay(room.slug, Position(mid - 1, current.epoch), 10_000)
        if isinstance(answer, Resync) or not answer or answer[0].seq != mid:
            return None
        frame, _ = decode_payload(answer[0])
        return frame if frame.get("event") == "chat.message" else None

    # -- meeting commands ----------------------------------------------------------------------

    async def command(self, seat: Seat, command: fx.Command) -> int | None:
        """Apply a facilitation command for this person. Returns the seq of its first event."""
        if isinstance(command, fx.Report):
            found = await self.message(seat.room, command.mid)
            if found is None:
                raise Denied("message_not_found", "That message is no longer in the room.")
            command = fx.Report(
                mid=command.mid,
                about=str(found["from"]),
                about_name=str(found["name"]),
                text=str(found["text"]),
                reason=command.reason,
            )
        try:
            applied = await self.meetings.apply(seat.room, command, seat.actor)
        except MeetingRefused as exc:
            raise _refusal(exc) from None
        except Busy:
            raise Denied("busy", "The room is very busy; please try again.") from None
        await self._after(seat.room, applied.events)
        return applied.envelopes[0].seq if applied.envelopes else None

    async def _after(self, room: RoomConfig, events: tuple[fx.Event, ...]) -> None:
        """Side effects in the backend that some engine events ask for."""
        for event in events:
            if isinstance(event, fx.ChatRemoved):
                await self.backend.redact(room.slug, event.mid)
            elif isinstance(event, fx.RoomReset):
                await self.backend.reset(room.slug)

    # -- per-room background work ---------------------------------------------------------------

    def _on_event(self, local: LocalRoom, event: OutboundEvent) -> None:
        """Hub hook: keep caches right and act on removals, for every node."""
        name = event.event
        if name == "observers":
            self._observer_counts[local.slug] = int(event.frame.get("count", 0))
            return
        if name in ("chat.message", "chat.reaction", "hidden", "redacted"):
            return
        self.meetings.invalidate(local.slug)
        if name in ("lobby.admitted", "lobby.denied"):
            ticket = event.frame.get("ticket")
            for sub in list(local.subscribers.values()):
                if ticket is not None and sub.waiting_ticket == ticket:
                    if name == "lobby.admitted":
                        sub.admitted(event.seq)
                    else:
                        sub.turned_away()
        elif name == "member.left" and event.frame.get("reason") in ("removed", "banned"):
            target = event.frame.get("member")
            for sub in self.hub.local(local.slug, str(target)):
                sub.evict(str(event.frame["reason"]))
        elif name == "member.updated":
            member = event.frame.get("member") or {}
            for sub in self.hub.local(local.slug, str(member.get("id"))):
                sub.facilitator = member.get("role") == "facilitator"

    def _start_room_tasks(self, local: LocalRoom) -> None:
        local.extra_tasks.append(
            asyncio.create_task(self._timer(local), name=f"timer:{local.slug}")
        )
        local.extra_tasks.append(
            asyncio.create_task(self._presence_loop(local), name=f"presence:{local.slug}")
        )

    async def _timer(self, local: LocalRoom) -> None:
        """Sleep until the room's next deadline, then tick it (CAS: fires once cluster-wide)."""
        await local.ready.wait()
        while True:
            try:
                room = await self.catalog.get(local.slug)
                _, state = await self.meetings.load(room)
                deadline = fx.next_deadline(state)
                local.changed.clear()
                if deadline is None:
                    await local.changed.wait()
                    continue
                # A little jitter so that nodes sharing a room do not all race for the same tick.
                await self._sleep_or_change(local, deadline + random.uniform(0, 0.05))
                if self.clock.now() >= deadline:
                    await self.meetings.apply(room, fx.Tick(), None)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("room %s: timer: %s", local.slug, type(exc).__name__)
                await asyncio.sleep(1.0)

    async def _sleep_or_change(self, local: LocalRoom, deadline: float) -> None:
        sleeper = asyncio.ensure_future(self.clock.sleep_until(deadline))
        waker = asyncio.ensure_future(local.changed.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()

    async def _presence_loop(self, local: LocalRoom) -> None:
        """Refresh this node's presence entries, and notice people whose node died."""
        await local.ready.wait()
        while True:
            await asyncio.sleep(self.settings.presence_interval)
            try:
                await self._presence_round(local)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("room %s: presence: %s", local.slug, type(exc).__name__)

    async def _presence_round(self, local: LocalRoom) -> None:
        await self._check_position(local)
        seated = [s for s in local.subscribers.values() if _seated_member(s)]  # before the load
        await self._touch(local)
        present = await self.present(local.slug)
        live = {p.member_id for p in present}
        room = await self.catalog.get(local.slug)
        _, state = await self.meetings.load(room)
        await self._close_outlived(local, room, state, seated)
        gone = [p.member for p in state.participants if not p.away and p.member not in live]
        if gone:
            await self.meetings.apply_many(room, [fx.Disconnected(member=m) for m in gone])
        count = sum(1 for p in present if p.observer)
        if count != self._observer_counts.get(local.slug, 0):
            await self._publish(local.slug, {"event": "observers", "count": count})

    async def _close_outlived(
        self, local: LocalRoom, room: RoomConfig, state: fx.MeetingState, seated: list[Subscriber]
    ) -> None:
        """Close local connections whose seat the room no longer holds for them.

        A node frozen (SIGSTOP, a long VM pause) or cut off from Redis for longer than the
        presence TTL finds its people marked away, or released, by the other nodes while their
        sockets here are still open: the room moved on without them, and they would be shown as
        gone while they still read along. They are closed with 4010 and resume, which marks them
        back and gives them what they missed (or an explicit resync). Only connections seated
        before the state was loaded count, so a resume in flight is never mistaken for one.
        """

        def outlived(state: fx.MeetingState) -> list[Subscriber]:
            held = {p.member for p in state.participants if not p.away}
            return [s for s in seated if s.member_id not in held and s.conn_id in local.subscribers]

        if outlived(state):
            _, state = await self.meetings.load(room, fresh=True)  # never act on a stale cache
        for sub in outlived(state):
            log.warning(
                "room %s: connection %s outlived its seat; resuming", local.slug, sub.conn_id
            )
            sub.lost_state()

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
            for sub in list(local.subscribers.values()):
                sub.lost_state()

    async def _touch(
        self, local: LocalRoom, *, add: Seat | None = None, remove: Seat | None = None
    ) -> None:
        """Write this node's presence entry for the room; return once it includes this change.

        Changes that arrive while a write is in flight share the next write, so a join storm
        writes the (node-sized) entry a few times, not once per joiner.
        """
        seats: dict[str, Seat] = local.seats
        if add is not None:
            seats[add.conn_id] = add
        if remove is not None:
            seats.pop(remove.conn_id, None)
        local.presence_wanted += 1
        target = local.presence_wanted
        while local.presence_written < target:
            if local.presence_writer is None or local.presence_writer.done():
                local.presence_writer = asyncio.ensure_future(self._write_presence(local))
            await asyncio.shield(local.presence_writer)

    async def _write_presence(self, local: LocalRoom) -> None:
        await asyncio.sleep(0)  # let the changes of this loop iteration join the write
        while local.presence_written < local.presence_wanted:
            target = local.presence_wanted
            if local.seats:
                blob = _presence_blob(local.seats)
                await self.backend.touch_presence(
                    local.slug, self.settings.node_id, blob, self.settings.presence_ttl
                )
            else:
                await self.backend.drop_presence(local.slug, self.settings.node_id)
            local.presence_written = target

    async def present(self, slug: str) -> list[Present]:
        """Every live connection in the room, on any node (expired nodes excluded)."""
        out: list[Present] = []
        for blob in (await self.backend.presence(slug)).values():
            for conn_id, member_id, observer in msgpack.unpackb(blob).get("c", []):
                out.append(Present(str(conn_id), str(member_id), bool(observer)))
        return out

    async def _count_observers(self, slug: str) -> int:
        return sum(1 for p in await self.present(slug) if p.observer)

    async def _publish_observer_count(self, local: LocalRoom) -> None:
        count = await self._count_observers(local.slug)
        await self._publish(local.slug, {"event": "observers", "count": count})

    async def _publish(self, slug: str, body: dict[str, Any]) -> list[Envelope]:
        return await self.backend.publish(slug, [msgpack.packb(body, use_bin_type=True)])

    # -- listing -------------------------------------------------------------------------------

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
                    "members": len(members),
                    "observers": await self._count_observers(room.slug),
                    "mode": view["mode"],
                    "round": view["round"] is not None,
                }
            )
        return out
