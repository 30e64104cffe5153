"""A decision in progress, and the small edits every rule module shares.

`Changes` is the one mutable object in the package: `decide` makes a fresh one per call, the
rule modules replace its (immutable) state and append events, and it never escapes `decide`.
That keeps each handler a short list of edits instead of threading `(state, events)` tuples
through every helper, while states stay frozen values.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from facilitation import fairness
from facilitation.errors import FacilitationBug
from facilitation.events import (
    Event,
    HandLowered,
    HandRaised,
    MemberJoined,
    MemberLeft,
    MemberUpdated,
    ShareEnded,
)
from facilitation.rules import LeaveReason, ShareEndHow
from facilitation.state import MeetingState, Participant, Role
from facilitation.views import MemberView

__all__ = ["Changes"]


@dataclass(slots=True)
class Changes:
    """The state so far and the events so far, for one call of `decide`."""

    state: MeetingState
    now: float
    """The time of the command (deadlines fire at their own time, passed explicitly)."""
    actor: str | None = None
    """The sender's member id, None for the server."""
    events: list[Event] = field(default_factory=list)

    @property
    def sender(self) -> str:
        """The sender of a person's command (rules.check made sure there is one)."""
        if self.actor is None:
            raise FacilitationBug("a person's command has a sender")
        return self.actor

    def emit(self, *events: Event) -> None:
        self.events.extend(events)

    def who(self, member: str) -> Participant:
        """A participant the rules already know is seated."""
        p = self.state.participant(member)
        if p is None:
            raise FacilitationBug("a checked member is seated", member)
        return p

    def update(self, new: Participant, *, announce: bool = True) -> None:
        """Replace a participant; `member.updated` unless told otherwise."""
        self.state = self.state.with_participant(new)
        if announce:
            self.emit(MemberUpdated(MemberView.of(self.state, new)))

    def end_share(self, how: ShareEndHow) -> None:
        """End the current share (the floor becomes free; the round goes on)."""
        rnd = self.state.round
        if rnd is None or rnd.floor is None:
            return
        self.emit(ShareEnded(rnd.floor.member, how))
        counted = fairness.shared(self.state, rnd.floor, how, self.now)
        self.state = replace(counted, round=replace(rnd, floor=None, paused_remaining=None))

    def unqueue(self, member: str, *, announce: bool = True) -> None:
        """Take `member` out of the queue (`hand.lowered` if they stay seated)."""
        if member in self.state.queue:
            queue = tuple(m for m in self.state.queue if m != member)
            self.state = replace(self.state, queue=queue)
            if announce:
                self.emit(HandLowered(member))

    def set_queue(self, queue: tuple[str, ...]) -> None:
        """Replace the queue, announcing every hand it lowers or raises among those seated.

        Every change to a member's `hand` is told by `hand.lowered`/`hand.raised` (or by
        `floor.granted`, which takes the head of the queue), so a member list kept from events
        stays true (protocol.md §4.2).
        """
        before = self.state.queue
        self.state = replace(self.state, queue=queue)
        seated = {p.member for p in self.state.participants}
        self.emit(*(HandLowered(m) for m in before if m not in queue and m in seated))
        self.emit(*(HandRaised(m) for m in queue if m not in before and m in seated))

    def take_off_floor(self, member: str, how: ShareEndHow, *, announce: bool = True) -> None:
        """`member` may no longer speak: end their share and lower their hand."""
        if self.state.speaker() == member:
            self.end_share(how)
        self.unqueue(member, announce=announce)

    def release_from_pause(self, member: str) -> None:
        """The room unpause will no longer touch `member`'s listen-only setting."""
        held = self.state.pause_listen_only
        if member in held:
            self.state = replace(self.state, pause_listen_only=held - {member})

    def unseat(self, member: str, reason: LeaveReason, how: ShareEndHow) -> None:
        """Remove a participant from the room (`member.left`)."""
        self.take_off_floor(member, how, announce=False)
        self.release_from_pause(member)
        people = tuple(p for p in self.state.participants if p.member != member)
        milestones = tuple(m for m in self.state.milestones if m.member != member)
        state = replace(self.state, participants=people, milestones=milestones)
        # Their turns go with them; when the last one leaves, the meeting is over.
        self.state = fairness.forget(state, member) if people else fairness.reset(state)
        self.emit(MemberLeft(member, reason))

    def seat(
        self, member: str, name: str, name_key: str, role: Role, marks: frozenset[str]
    ) -> Participant:
        """Give a newcomer a seat (`member.joined`). Members listen only in a paused room (the
        unpause lets them speak) and in quiet mode (for `raid_listen_only_seconds`, raid.py)."""
        state = self.state
        hold = state.settings.raid_listen_only_seconds
        quiet = state.quiet is not None and role is Role.MEMBER and hold > 0
        held = state.paused_room and role is Role.MEMBER and not quiet
        who = Participant(
            member=member,
            name=name,
            name_key=name_key,
            role=role,
            joined_seq=state.next_join_index,
            listen_only=held or quiet,
            marks=marks,
            listen_only_until=self.now + hold if quiet else None,
        )
        pause_held = state.pause_listen_only | {member} if held else state.pause_listen_only
        self.state = replace(
            state,
            participants=(*state.participants, who),
            next_join_index=state.next_join_index + 1,
            pause_listen_only=pause_held,
        )
        self.emit(MemberJoined(MemberView.of(self.state, who)))
        return who
