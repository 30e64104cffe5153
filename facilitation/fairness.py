"""Fairness at a glance, for facilitators: who had turns in this meeting, and for how long.

Rules carried out here (the tables are in tally_rules.py):

- When a share ends, the speaker's `Turns` grow by what `TURN_COUNTS_AS` says: a share and its
  length (from the floor's start to the end of the share, or to its planned end if the clock
  ran out first), or a pass. Passing from the queue while a round runs is a pass too.
- The tally holds member ids and numbers only: no names, no content. It lives in the meeting
  state and nowhere else, and goes as `TURNS_FORGOTTEN` says.
- Facilitators see it as the `fairness` event (audience `facilitators`), sent whenever it
  changes, and in their join snapshot. Members with no `shares` have not had a turn yet.
- A round-robin round opened with `unshared_first` queues those who have not shared first,
  each group in join order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from facilitation.rules import ShareEndHow
from facilitation.state import Floor, MeetingState, Milestone, Turns
from facilitation.tally_rules import TURN_COUNTS_AS, Tally

__all__ = [
    "FairnessView",
    "TendingView",
    "forget",
    "passed",
    "reset",
    "shared",
    "unshared_first",
]


def shared(state: MeetingState, floor: Floor, how: ShareEndHow, now: float) -> MeetingState:
    """The state with the share that `floor` held, ended `how` at `now`, counted."""
    if TURN_COUNTS_AS[how] is Tally.PASS:
        return passed(state, floor.member)
    # A share cannot outlast its planned end, nor a dropped speaker's grace period, even when
    # a late tick ends it afterwards: the same meeting gives the same tally however it is ticked.
    grace = floor.away_deadline if floor.away_deadline is not None else now
    seconds = max(0.0, min(now, floor.ends_at, grace) - floor.started_at)
    turns = _turns_of(state, floor.member)
    return _put(state, replace(turns, shares=turns.shares + 1, seconds=turns.seconds + seconds))


def passed(state: MeetingState, member: str) -> MeetingState:
    """The state with one more pass for `member`."""
    turns = _turns_of(state, member)
    return _put(state, replace(turns, passes=turns.passes + 1))


def forget(state: MeetingState, member: str) -> MeetingState:
    """The state without `member`'s turns (they left)."""
    if not any(t.member == member for t in state.turns):
        return state
    return replace(state, turns=tuple(t for t in state.turns if t.member != member))


def reset(state: MeetingState) -> MeetingState:
    """The state with no turns at all (a new meeting, or the meeting ended)."""
    return replace(state, turns=()) if state.turns else state


def unshared_first(state: MeetingState, members: tuple[str, ...]) -> tuple[str, ...]:
    """`members` with those who have not shared in this meeting first (each group in order)."""
    had = {t.member for t in state.turns if t.shares}
    return tuple(m for m in members if m not in had) + tuple(m for m in members if m in had)


def _turns_of(state: MeetingState, member: str) -> Turns:
    return next((t for t in state.turns if t.member == member), Turns(member))


def _put(state: MeetingState, turns: Turns) -> MeetingState:
    if any(t.member == turns.member for t in state.turns):
        kept = tuple(turns if t.member == turns.member else t for t in state.turns)
    else:
        kept = (*state.turns, turns)
    return replace(state, turns=kept)


@dataclass(frozen=True, slots=True)
class FairnessView:
    """The tally as facilitators see it: one row per member who had a turn or passed."""

    turns: tuple[Turns, ...]

    @classmethod
    def of(cls, state: MeetingState) -> FairnessView:
        return cls(state.turns)

    def to_wire(self) -> list[dict[str, object]]:
        return [
            {
                "member": t.member,
                "shares": t.shares,
                "share_ms": round(t.seconds * 1000),
                "passes": t.passes,
            }
            for t in self.turns
        ]


@dataclass(frozen=True, slots=True)
class TendingView:
    """All facilitators hold about the meeting: the turns tally and the milestones members marked
    (a facilitator's join ack has it as `tending`; so does the `tending` event)."""

    turns: tuple[Turns, ...]
    milestones: tuple[Milestone, ...]

    @classmethod
    def of(cls, state: MeetingState) -> TendingView:
        return cls(state.turns, state.milestones)

    def to_wire(self) -> dict[str, object]:
        return {
            "fairness": FairnessView(self.turns).to_wire(),
            "milestones": [
                {"member": m.member, "days": m.days, "celebrated": m.celebrated}
                for m in self.milestones
            ],
        }
