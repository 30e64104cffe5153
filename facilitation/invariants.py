"""The meeting's invariants, checked after every accepted decision.

A state that breaks one is a bug in this package, never a client's fault, so `decide` raises
`FacilitationBug` rather than publish it. The tests (including the hypothesis state machine)
call `check_invariants` on every state they see.
"""

from __future__ import annotations

from collections.abc import KeysView

from facilitation.deadlines import next_deadline
from facilitation.errors import FacilitationBug
from facilitation.join_rules import LOBBY_MAX_WAITING
from facilitation.part_rules import hands_open_rounds, runs_itself
from facilitation.rules import ENDS_WHEN_QUEUE_EMPTY, leads_itself
from facilitation.speaking_rules import can_speak
from facilitation.state import MeetingState, Mode

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
    for broken, name in _checks(state, now):
        if broken:
            raise FacilitationBug(name)


def _checks(state: MeetingState, now: float | None) -> list[tuple[bool, str]]:
    seated = {p.member: p for p in state.participants}
    speaker = state.speaker()
    rnd = state.round
    floor = state.floor
    holder = seated.get(speaker) if speaker is not None else None
    at = now if now is not None else float("-inf")
    seqs = [p.joined_seq for p in state.participants]
    return [
        (len(seated) != len(state.participants), "member ids are unique"),
        (len({p.name_key for p in state.participants}) != len(seated), "names are unique"),
        (seqs != sorted(set(seqs)), "participants are in join order"),
        (any(s >= state.next_join_index for s in seqs), "join order counts up"),
        (state.base_mode is Mode.ROUND, "the base mode is open or listen_only"),
        (speaker is not None and holder is None, "the floor holder is seated"),
        (holder is not None and holder.listen_only, "the floor holder is not listen-only"),
        (
            holder is not None and holder.muted_until is not None and holder.muted_until > at,
            "the floor holder is not muted",
        ),
        (len(set(state.queue)) != len(state.queue), "the queue has no duplicates"),
        (any(m not in seated for m in state.queue), "the queue holds only seated members"),
        (
            any(seated[m].listen_only for m in state.queue if m in seated),
            "the queue holds no listen-only member",
        ),
        (
            any(
                not can_speak(seated[m], at) and not seated[m].away
                for m in state.queue
                if m in seated
            ),
            "the queue holds no muted member",
        ),
        (speaker is not None and speaker in state.queue, "the floor holder is not queued"),
        (state.mode is Mode.LISTEN_ONLY and bool(state.queue), "a listening room has no hands"),
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
        *_part_checks(state),
        *_tending_checks(state, seated.keys()),
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
        (now is not None and _overdue(state, now), "nothing is overdue after a decision"),
    ]


def _overdue(state: MeetingState, now: float) -> bool:
    nxt = next_deadline(state)
    return nxt is not None and nxt <= now


def _tending_checks(state: MeetingState, seated: KeysView[str]) -> list[tuple[bool, str]]:
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


def _part_checks(state: MeetingState) -> list[tuple[bool, str]]:
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
