"""What clients may see of the meeting, and who may post, react or get in.

`MemberView` and `MeetingView` are typed snapshots carried by events; `to_wire()` turns them into
the protocol's member object (§4.1) and public meeting view (§4.3). Times become integer
milliseconds. Nothing private ever appears in a view: no marks, no bans, no lobby names.

`may_post`, `may_react` and `admission` are for the server: posting, reacting and observer joins
do not change the meeting state, so the server asks before it publishes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from facilitation.commands import Actor
from facilitation.errors import Refusal, Refused
from facilitation.fairness import TendingView
from facilitation.join_rules import ban_refusal, may_join_locked
from facilitation.part_rules import CONTENT_NOTE_RULE, PART_POSTING_RULES, format_holds
from facilitation.rules import leads_itself
from facilitation.speaking_rules import POSTING_RULES
from facilitation.state import MeetingState, Participant

__all__ = [
    "FloorView",
    "FormatView",
    "MeetingView",
    "MemberView",
    "PartView",
    "PostAllowed",
    "RoundView",
    "admission",
    "facilitators_view",
    "may_post",
    "may_react",
    "member_view",
    "members_view",
    "ms",
    "public_view",
]


def ms(seconds: float) -> int:
    """Seconds (since the epoch, or a duration) as integer milliseconds for the wire."""
    return round(seconds * 1000)


@dataclass(frozen=True, slots=True)
class MemberView:
    """The protocol's member object (§4.1)."""

    id: str
    name: str
    role: str
    listen_only: bool
    muted_until: float | None
    away: bool
    hand: bool
    listen_only_until: float | None = None
    """A newcomer listening in quiet mode (raid.py): when they may speak."""

    @classmethod
    def of(cls, state: MeetingState, who: Participant) -> MemberView:
        return cls(
            id=who.member,
            name=who.name,
            role=str(who.role),
            listen_only=who.listen_only,
            muted_until=who.muted_until,
            away=who.away,
            hand=who.member in state.queue,
            listen_only_until=who.listen_only_until,
        )

    def to_wire(self) -> dict[str, object]:
        muted = None if self.muted_until is None else ms(self.muted_until)
        until = None if self.listen_only_until is None else ms(self.listen_only_until)
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "listen_only": self.listen_only,
            "muted_until": muted,
            "away": self.away,
            "hand": self.hand,
            "listen_only_until": until,
        }


@dataclass(frozen=True, slots=True)
class FloorView:
    member: str
    started_at: float
    ends_at: float
    remaining: float
    warned: bool

    def to_wire(self) -> dict[str, object]:
        return {
            "member": self.member,
            "started_at": ms(self.started_at),
            "ends_at": ms(self.ends_at),
            "remaining_ms": max(0, ms(self.remaining)),
            "warned": self.warned,
        }


@dataclass(frozen=True, slots=True)
class RoundView:
    topic: str
    order: str
    share_seconds: int
    queue: tuple[str, ...]
    paused: bool
    floor: FloorView | None

    def to_wire(self) -> dict[str, object]:
        return {
            "topic": self.topic,
            "order": self.order,
            "share_seconds": self.share_seconds,
            "queue": list(self.queue),
            "paused": self.paused,
            "floor": None if self.floor is None else self.floor.to_wire(),
        }


@dataclass(frozen=True, slots=True)
class MeetingView:
    """The public meeting view (protocol.md §4.3, without `version`, which the server adds)."""

    mode: str
    base_mode: str
    self_led: bool
    locked: bool
    slow_seconds: int
    lobby: bool
    paused_room: bool
    hands: tuple[str, ...]
    """Raised hands in order, whether or not a round runs (equal to `round.queue` in a round)."""
    round: RoundView | None
    quiet: bool = False
    """Quiet mode: raid protection with no facilitator present; newcomers listen a while."""
    format: FormatView | None = None
    """The room's format, if it has one."""
    part: PartView | None = None
    """The part the meeting is in, while it follows the format."""

    @classmethod
    def of(cls, state: MeetingState, now: float) -> MeetingView:
        return cls(
            mode=str(state.mode),
            base_mode=str(state.base_mode),
            # Between rounds: whether a raised hand would open a self-led round.
            self_led=state.round.self_led if state.round else leads_itself(state),
            locked=state.locked,
            slow_seconds=state.slow_seconds,
            lobby=state.lobby,
            paused_room=state.paused_room,
            hands=state.queue,
            round=_round_view(state, now),
            quiet=state.quiet is not None,
            format=FormatView.of(state),
            part=PartView.of(state),
        )

    def timeless(self) -> MeetingView:
        """The view without the ticking `remaining_ms`, to tell whether anything changed."""
        if self.round is None or self.round.floor is None:
            return self
        return replace(
            self, round=replace(self.round, floor=replace(self.round.floor, remaining=0))
        )

    def to_wire(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "base_mode": self.base_mode,
            "self_led": self.self_led,
            "locked": self.locked,
            "slow_seconds": self.slow_seconds,
            "lobby": self.lobby,
            "paused_room": self.paused_room,
            "hands": list(self.hands),
            "round": None if self.round is None else self.round.to_wire(),
            "quiet": self.quiet,
            "format": None if self.format is None else self.format.to_wire(),
            "part": None if self.part is None else self.part.to_wire(),
        }


@dataclass(frozen=True, slots=True)
class FormatView:
    """The room's format in brief (the parts themselves appear one at a time, as `part`)."""

    key: str
    title: str
    self_led: bool
    parts: int

    @classmethod
    def of(cls, state: MeetingState) -> FormatView | None:
        fmt = state.format
        if fmt is None:
            return None
        return cls(fmt.key, fmt.title, fmt.self_led, len(fmt.parts))

    def to_wire(self) -> dict[str, object]:
        return {
            "key": self.key,
            "title": self.title,
            "self_led": self.self_led,
            "parts": self.parts,
        }


@dataclass(frozen=True, slots=True)
class PartView:
    """The current part and its rules, as clients show it (and the join card explains it)."""

    index: int
    count: int
    kind: str
    title: str
    posting: str
    crosstalk: bool
    order: str | None
    share_seconds: int | None
    """The share length its round uses (the room default filled in); None without a round."""
    minutes: int | None
    text: str
    content_notes: bool
    started_at: float
    planned_end: float | None
    holds: bool
    """The format needs a facilitator and none is present: the meeting waits, members listen."""

    @classmethod
    def of(cls, state: MeetingState) -> PartView | None:
        part, index, started = state.current_part(), state.part, state.part_started_at
        if part is None or index is None or started is None or state.format is None:
            return None
        share = part.share_seconds or state.settings.default_share_seconds
        return cls(
            index=index,
            count=len(state.format.parts),
            kind=str(part.kind),
            title=part.title,
            posting=str(part.posting),
            crosstalk=part.crosstalk,
            order=None if part.order is None else str(part.order),
            share_seconds=share if part.share_round else None,
            minutes=part.minutes,
            text=part.text,
            content_notes=part.content_notes,
            started_at=started,
            planned_end=None if part.minutes is None else started + part.minutes * 60,
            holds=format_holds(state),
        )

    def to_wire(self) -> dict[str, object]:
        return {
            "index": self.index,
            "count": self.count,
            "kind": self.kind,
            "title": self.title,
            "posting": self.posting,
            "crosstalk": self.crosstalk,
            "order": self.order,
            "share_seconds": self.share_seconds,
            "minutes": self.minutes,
            "text": self.text,
            "content_notes": self.content_notes,
            "started_at": ms(self.started_at),
            "planned_end": None if self.planned_end is None else ms(self.planned_end),
            "holds": self.holds,
        }


def _round_view(state: MeetingState, now: float) -> RoundView | None:
    rnd = state.round
    if rnd is None:
        return None
    floor = None
    if rnd.floor is not None:
        f = rnd.floor
        remaining = rnd.paused_remaining if rnd.paused_remaining is not None else f.ends_at - now
        floor = FloorView(f.member, f.started_at, f.ends_at, remaining, f.warned)
    return RoundView(rnd.topic, str(rnd.order), rnd.share_seconds, state.queue, rnd.paused, floor)


def public_view(state: MeetingState, now: float) -> dict[str, object]:
    """The public meeting view (§4.3) as a JSON-ready dict, without `version`."""
    return MeetingView.of(state, now).to_wire()


def facilitators_view(state: MeetingState) -> dict[str, object]:
    """What only facilitators see of the meeting now: the turns tally (fairness.py) and the
    milestones members marked (milestones.py). Member ids and numbers, no content."""
    return TendingView.of(state).to_wire()


def member_view(state: MeetingState, member: str) -> dict[str, object]:
    """One seated participant as the protocol's member object.

    Raises:
        KeyError: `member` is not seated.
    """
    who = state.participant(member)
    if who is None:
        raise KeyError(member)
    return MemberView.of(state, who).to_wire()


def members_view(state: MeetingState) -> list[dict[str, object]]:
    """Every seated participant (never observers), in join order."""
    return [MemberView.of(state, p).to_wire() for p in state.participants]


@dataclass(frozen=True, slots=True)
class PostAllowed:
    """The actor may post; `slow_seconds` is the slow-mode interval the server applies to them."""

    slow_seconds: int


def may_post(
    state: MeetingState, actor: Actor, now: float, *, note: str = ""
) -> Refused | PostAllowed:
    """Whether `actor` may post a chat message now (protocol.md §3.4, speaking_rules.POSTING_RULES),
    carrying the content note `note` ("" for none: part_rules.CONTENT_NOTE_RULE)."""
    who = None if actor.observer else state.participant(actor.member)
    rules = (*POSTING_RULES, *PART_POSTING_RULES, *(() if note.strip() else (CONTENT_NOTE_RULE,)))
    for rule in rules:
        if rule.applies(state, actor, who, now):
            return Refused(rule.refusal, rule.detail)
    assert who is not None  # POSTING_RULES refuse anyone not seated
    return PostAllowed(0 if who.is_facilitator else state.slow_seconds)


def may_react(state: MeetingState, actor: Actor) -> Refused | None:
    """Reactions are open to everyone seated, even listen-only or muted; never to observers."""
    if actor.observer:
        return Refused(Refusal.OBSERVER, "Observers listen; they cannot react.")
    who = state.participant(actor.member)
    if who is None or who.away:
        return Refused(Refusal.NOT_JOINED, "Join the room first.")
    return None


def admission(
    state: MeetingState, *, marks: frozenset[str], facilitator: bool, now: float
) -> Refused | None:
    """Whether an observer may come in (seated joins go through `decide(Join(...))` instead)."""
    refusal = ban_refusal(state, marks, now)
    if refusal is not None:
        return refusal
    if not may_join_locked(state, facilitator=facilitator):
        return Refused(Refusal.ROOM_LOCKED, "The room takes no new joins right now.")
    if state.lobby and not facilitator:
        return Refused(Refusal.LOBBY, "Newcomers wait to be let in.")
    return None
