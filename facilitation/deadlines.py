"""Deadlines are data: the state says when it next needs the clock, and what happens then.

The engine never sleeps. The server sleeps until `next_deadline(state)` and then calls
`decide(state, Tick(), actor=None, now=...)`. `decide` fires every deadline due at `now`, each at
its own time and in time order (ties in `DeadlineKind` order), settling the meeting after each
one, so one late tick gives exactly the result a punctual clock would have given.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from enum import StrEnum

from facilitation.changes import Changes
from facilitation.errors import FacilitationBug
from facilitation.events import ShareWarning
from facilitation.lobby import drop_ticket
from facilitation.part_rules import runs_itself
from facilitation.parts import planned_end
from facilitation.raid import lift_listen_only, quiet_end, settle_quiet
from facilitation.raid_rules import RAID_QUIET_MAX_SECONDS, RAID_QUIET_WINDOWS
from facilitation.rules import LeaveReason, ShareEndHow
from facilitation.state import MeetingState

__all__ = ["DEADLINES", "Deadline", "DeadlineKind", "due", "fire", "next_deadline", "pending"]


class DeadlineKind(StrEnum):
    """What a deadline is for; the declaration order breaks ties between equal times."""

    SHARE_WARNING = "share warning"
    SHARE_END = "share end"
    SPEAKER_GRACE = "speaker grace"
    SEAT_HOLD = "seat hold"
    MUTE_END = "mute end"
    BAN_END = "ban end"
    LOBBY_TICKET = "lobby ticket"
    PART_END = "part end"
    QUIET_LISTEN = "quiet listen-only"
    QUIET_END = "quiet mode end"


DEADLINES: dict[DeadlineKind, tuple[str, str]] = {
    DeadlineKind.SHARE_WARNING: (
        "share end − `warning_seconds` (round not paused)",
        "`share.warning` once; re-armed by an extension past the warning time",
    ),
    DeadlineKind.SHARE_END: (
        "share end (round not paused)",
        "`share.ended` `time`; the floor passes on",
    ),
    DeadlineKind.SPEAKER_GRACE: (
        "speaker dropped + `grace_seconds`",
        "`share.ended` `disconnected`; the floor passes on; the seat is still held",
    ),
    DeadlineKind.SEAT_HOLD: (
        "member dropped + `seat_hold_seconds`",
        "`member.left` `timeout`; out of the queue",
    ),
    DeadlineKind.MUTE_END: ("the mute's end", "`member.updated` (no longer muted)"),
    DeadlineKind.BAN_END: ("the ban's end", "the ban is forgotten"),
    DeadlineKind.LOBBY_TICKET: (
        "started waiting + `lobby_ticket_seconds`",
        "`lobby.denied`: the server turns the newcomer away",
    ),
    DeadlineKind.PART_END: (
        "part started + its planned minutes (only while the format runs itself and nobody "
        "holds the floor)",
        "`part.started` for the next part (`format.ended` after the last); any round ends",
    ),
    DeadlineKind.QUIET_LISTEN: (
        "a newcomer's `listen_only_until` (seated in quiet mode + `raid_listen_only_seconds`)",
        "`member.updated`: they may speak (in a paused room, from the unpause)",
    ),
    DeadlineKind.QUIET_END: (
        f"the last raid-counted join + {RAID_QUIET_WINDOWS} × `raid_window_seconds` (at the "
        f"latest quiet mode's start + {RAID_QUIET_MAX_SECONDS} s)",
        "`raid.settled`; slow mode goes back unless a facilitator set it meanwhile",
    ),
}
"""When each deadline falls, and what happens then."""

_RANK = {kind: i for i, kind in enumerate(DeadlineKind)}


@dataclass(frozen=True, slots=True)
class Deadline:
    """One thing the clock will do, at `at`, to `key` (a member id, a ticket, or "")."""

    at: float
    kind: DeadlineKind
    key: str = ""

    def sort_key(self) -> tuple[float, int, str]:
        return (self.at, _RANK[self.kind], self.key)


def pending(state: MeetingState) -> Iterator[Deadline]:
    """Every deadline the state is waiting for, in no particular order."""
    settings = state.settings
    rnd = state.round
    floor = state.floor
    if rnd is not None and floor is not None:
        if not rnd.paused:
            if not floor.warned:
                yield Deadline(floor.ends_at - settings.warning_seconds, DeadlineKind.SHARE_WARNING)
            yield Deadline(floor.ends_at, DeadlineKind.SHARE_END)
        if floor.away_deadline is not None:
            yield Deadline(floor.away_deadline, DeadlineKind.SPEAKER_GRACE, floor.member)
    for p in state.participants:
        if p.away_since is not None:
            yield Deadline(
                p.away_since + settings.seat_hold_seconds, DeadlineKind.SEAT_HOLD, p.member
            )
        if p.muted_until is not None:
            yield Deadline(p.muted_until, DeadlineKind.MUTE_END, p.member)
        if p.listen_only_until is not None:
            yield Deadline(p.listen_only_until, DeadlineKind.QUIET_LISTEN, p.member)
    for ban in state.bans:
        yield Deadline(ban.until, DeadlineKind.BAN_END)
    for w in state.waiting:
        yield Deadline(w.since + settings.lobby_ticket_seconds, DeadlineKind.LOBBY_TICKET, w.ticket)
    part_end = _part_end(state)
    if part_end is not None:
        yield Deadline(part_end, DeadlineKind.PART_END)
    quiet = quiet_end(state)
    if quiet is not None:
        yield Deadline(quiet, DeadlineKind.QUIET_END)


def _part_end(state: MeetingState) -> float | None:
    """A part that runs itself ends at its planned end; a share in progress ends first."""
    if state.floor is not None or not runs_itself(state):
        return None
    return planned_end(state)


def next_deadline(state: MeetingState) -> float | None:
    """When the server should next call `decide(state, Tick(), ...)`, or None if never.

    Returns:
        The earliest of: share warning, share end, speaker grace expiry, seat-hold expiry of
        away members, mute ends, ban ends, lobby ticket expiry, the planned end of a part
        of a format that runs itself, newcomers' quiet-mode listen-only ends and the end of
        quiet mode. (Raid counting needs no wake-up: old joins are forgotten when the next
        join is counted.)
    """
    # The same instants as `pending`, without building a Deadline for each: this runs on every
    # command, and after a network blip every away member of a big room has one.
    settings = state.settings
    times: list[float] = []
    rnd, floor = state.round, state.floor
    if rnd is not None and floor is not None:
        if not rnd.paused:
            times.append(
                floor.ends_at - settings.warning_seconds if not floor.warned else floor.ends_at
            )
        if floor.away_deadline is not None:
            times.append(floor.away_deadline)
    hold = settings.seat_hold_seconds
    away = [p.away_since for p in state.participants if p.away_since is not None]
    if away:
        times.append(min(away) + hold)
    muted = [p.muted_until for p in state.participants if p.muted_until is not None]
    if muted:
        times.append(min(muted))
    held = [p.listen_only_until for p in state.participants if p.listen_only_until is not None]
    if held:
        times.append(min(held))
    if state.bans:
        times.append(min(b.until for b in state.bans))
    if state.waiting:
        times.append(min(w.since for w in state.waiting) + settings.lobby_ticket_seconds)
    part_end = _part_end(state)
    if part_end is not None:
        times.append(part_end)
    quiet = quiet_end(state)
    if quiet is not None:
        times.append(quiet)
    return min(times, default=None)


def due(state: MeetingState, now: float) -> Deadline | None:
    """The first deadline to fire at `now`, if any is due."""
    earliest = next_deadline(state)
    if earliest is None or earliest > now:
        return None  # the common case, found without building and sorting every deadline
    first = min(pending(state), key=Deadline.sort_key)
    return first if first.at <= now else None


def fire(tx: Changes, deadline: Deadline) -> None:
    """Carry out one deadline at its own time (the engine settles the meeting afterwards)."""
    at = deadline.at
    state = tx.state
    match deadline.kind:
        case DeadlineKind.SHARE_WARNING:
            rnd = state.round
            if rnd is None or rnd.floor is None:
                raise FacilitationBug("a share warning is due only while someone shares")
            floor = rnd.floor
            tx.state = replace(state, round=replace(rnd, floor=replace(floor, warned=True)))
            tx.emit(ShareWarning(floor.member, floor.ends_at - at))
        case DeadlineKind.SHARE_END:
            tx.end_share(ShareEndHow.TIME)
        case DeadlineKind.SPEAKER_GRACE:
            tx.end_share(ShareEndHow.DISCONNECTED)
        case DeadlineKind.SEAT_HOLD:
            tx.unseat(deadline.key, LeaveReason.TIMEOUT, ShareEndHow.DISCONNECTED)
        case DeadlineKind.MUTE_END:
            tx.update(replace(tx.who(deadline.key), muted_until=None))
        case DeadlineKind.BAN_END:
            tx.state = replace(state, bans=tuple(b for b in state.bans if b.until > at))
        case DeadlineKind.LOBBY_TICKET:
            drop_ticket(tx, deadline.key)
        case DeadlineKind.PART_END:
            pass  # the engine's settle step that follows moves the part on (parts.settle)
        case DeadlineKind.QUIET_LISTEN:
            lift_listen_only(tx, deadline.key)
        case DeadlineKind.QUIET_END:
            settle_quiet(tx)
