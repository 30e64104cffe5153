"""The meeting's invariants, checked after every accepted decision.

A state that breaks one is a bug in this package, never a client's fault, so `decide` raises
`FacilitationBug` rather than publish it. The tests (including the hypothesis state machine)
call `check_invariants` on every state they see.
"""

from __future__ import annotations

from collections.abc import Callable

from facilitation.deadlines import next_deadline
from facilitation.errors import FacilitationBug
from facilitation.join_rules import LOBBY_MAX_WAITING
from facilitation.part_rules import hands_open_rounds, runs_itself
from facilitation.raid import quiet_end
from facilitation.raid_rules import RAID_QUIET_MAX_SECONDS
from facilitation.rules import ENDS_WHEN_QUEUE_EMPTY, leads_itself
from facilitation.speaking_rules import can_speak
from facilitation.state import MeetingState, Mode, Participant

__all__ = ["check_invariants"]


def check_invariants(state: MeetingState, now: float | None = None) -> None:
    """Raise `FacilitationBug` if `state` breaks an invariant.

    Args:
        state: a state produced by `decide` (or `MeetingState.new`).
        now: the time of that decision; when given, nothing may be overdue, and nobody muted
            at `now` may be queued or hold the floor.

    Raises:
        FacilitationBug: naming the first broken invariant.
    """
    checks = [check for group in _CHECKS for check in group(state, now)]
    for broken, name in checks:
        if broken:
            raise FacilitationBug(name)


_Check = tuple[bool, str]
"""One invariant: whether it is broken, and its name (the `FacilitationBug` message)."""


def _seated(state: MeetingState) -> dict[str, Participant]:
    return {p.member: p for p in state.participants}


def _at(now: float | None) -> float:
    """The time mutes are judged at: with no `now`, every mute counts as over."""
    return now if now is not None else float("-inf")


def _member_checks(state: MeetingState, now: float | None) -> list[_Check]:
    seqs = [p.joined_seq for p in state.participants]
    seated = len(_seated(state))
    return [
        (seated != len(state.participants), "member ids are unique"),
        (len({p.name_key for p in state.participants}) != seated, "names are unique"),
        (seqs != sorted(set(seqs)), "participants are in join order"),
        (any(s >= state.next_join_index for s in seqs), "join order counts up"),
        (state.base_mode is Mode.ROUND, "the base mode is open or listen_only"),
    ]


def _floor_checks(state: MeetingState, now: float | None) -> list[_Check]:
    speaker = state.speaker()
    holder = _seated(state).get(speaker) if speaker is not None else None
    return [
        (speaker is not None and holder is None, "the floor holder is seated"),
        (holder is not None and holder.listen_only, "the floor holder is not listen-only"),
        (
            holder is not None and holder.muted_until is not None and holder.muted_until > _at(now),
            "the floor holder is not muted",
        ),
    ]


def _queue_checks(state: MeetingState, now: float | None) -> list[_Check]:
    seated = _seated(state)
    queued = [seated[m] for m in state.queue if m in seated]
    speaker = state.speaker()
    return [
        (len(set(state.queue)) != len(state.queue), "the queue has no duplicates"),
        (any(m not in seated for m in state.queue), "the queue holds only seated members"),
        (any(w.listen_only for w in queued), "the queue holds no listen-only member"),
        (
            any(not can_speak(w, _at(now)) and not w.away for w in queued),
            "the queue holds no muted member",
        ),
        (speaker is not None and speaker in state.queue, "the floor holder is not queued"),
        (state.mode is Mode.LISTEN_ONLY and bool(state.queue), "a listening room has no hands"),
    ]


def _round_checks(state: MeetingState, now: float | None) -> list[_Check]:
    rnd, floor, speaker = state.round, state.floor, state.speaker()
    holder = _seated(state).get(speaker) if speaker is not None else None
    return [
        (
            floor is not None
            and (floor.away_deadline is not None) != (holder is not None and holder.away),
            "a speaker has a grace deadline exactly while away",
        ),
        (
            rnd is not None
            and (rnd.paused_remaining is not None) != (rnd.paused and floor is not None),
            "a paused floor keeps its remaining time",
        ),
        (
            rnd is not None and not rnd.paused and floor is None and bool(state.queue),
            "a free floor goes to the head of the queue",
        ),
        (
            rnd is not None
            and floor is None
            and not state.queue
            and (rnd.self_led or ENDS_WHEN_QUEUE_EMPTY[rnd.order]),
            "an empty round ends",
        ),
        (
            rnd is not None and rnd.self_led != leads_itself(state),
            "a round is self-led exactly when nobody leads",
        ),
        (
            rnd is None and bool(state.queue) and hands_open_rounds(state),
            "a hand in a room that leads itself opens a round",
        ),
    ]


def _lobby_checks(state: MeetingState, now: float | None) -> list[_Check]:
    seated = _seated(state)
    return [
        (len({w.ticket for w in state.waiting}) != len(state.waiting), "tickets are unique"),
        (any(w.member in seated for w in state.waiting), "nobody both waits and sits"),
        (len(state.waiting) > LOBBY_MAX_WAITING, "the lobby holds at most LOBBY_MAX_WAITING"),
        (
            not state.paused_room and bool(state.pause_listen_only or state.pause_lobby),
            "pause bookkeeping exists only while paused",
        ),
        (
            any(m not in seated or not seated[m].listen_only for m in state.pause_listen_only),
            "members held by the pause are seated and listen-only",
        ),
    ]


def _quiet_checks(state: MeetingState, now: float | None) -> list[_Check]:
    quiet, held = state.quiet, [p for p in state.participants if p.listen_only_until is not None]
    end = quiet_end(state)
    return [
        (any(not p.listen_only for p in held), "a newcomer held by quiet mode is listen-only"),
        (
            any(p.member in state.pause_listen_only for p in held),
            "quiet mode and the pause never both hold one member",
        ),
        (quiet is not None and bool(state.recent_joins), "quiet mode counts no raid anew"),
        (
            quiet is not None and (end is None or end > quiet.started_at + RAID_QUIET_MAX_SECONDS),
            "quiet mode always ends",
        ),
    ]


def _deadline_checks(state: MeetingState, now: float | None) -> list[_Check]:
    return [(now is not None and _overdue(state, now), "nothing is overdue after a decision")]


def _overdue(state: MeetingState, now: float) -> bool:
    nxt = next_deadline(state)
    return nxt is not None and nxt <= now


def _tending_checks(state: MeetingState, now: float | None) -> list[_Check]:
    seated = _seated(state)
    marked = [m.member for m in state.milestones]
    counted = [t.member for t in state.turns]
    return [
        (len(set(marked)) != len(marked), "one milestone per member"),
        (any(m not in seated for m in marked), "milestones belong to people seated"),
        (len(set(counted)) != len(counted), "one tally row per member"),
        (any(m not in seated for m in counted), "turns belong to people seated"),
        (
            any(t.seconds < 0 or (t.seconds > 0 and t.shares == 0) for t in state.turns),
            "share time comes from shares",
        ),
    ]


def _part_checks(state: MeetingState, now: float | None) -> list[_Check]:
    fmt, index, part = state.format, state.part, state.current_part()
    return [
        (
            index is not None and (fmt is None or not 0 <= index < len(fmt.parts)),
            "the part index is within the format",
        ),
        ((index is None) != (state.part_started_at is None), "a running part has a start time"),
        (
            index is not None and state.round is not None and not (part and part.share_round),
            "while a part runs, rounds run only in share parts",
        ),
        (part is not None and part.share_round and part.crosstalk, "a share part has no crosstalk"),
        (
            index is None
            and bool(state.queue)
            and runs_itself(state)
            and state.base_mode is Mode.OPEN,
            "a hand in a room that runs its format itself starts the meeting",
        ),
    ]


_CHECKS: tuple[Callable[[MeetingState, float | None], list[_Check]], ...] = (
    _member_checks,
    _floor_checks,
    _queue_checks,
    _round_checks,
    _part_checks,
    _tending_checks,
    _lobby_checks,
    _quiet_checks,
    _deadline_checks,
)
"""Every invariant, group by group, in the order they are checked (the first broken is named)."""
