"""Milestones, opt-in: a member marks "today is N days" for this meeting only.

Rules carried out here (the tables are in tally_rules.py):

- `milestone.set` marks (or changes) the sender's own milestone; `milestone.clear` takes it back.
  Facilitators see both (`milestone.marked`, `milestone.cleared`, audience `facilitators`) and
  find the milestones in their join snapshot; nobody else sees a milestone before it is
  celebrated.
- It is celebrated in the room (`milestone.celebrated`, to everyone) by a facilitator
  (`milestone.celebrate`), or by the format: when a part in `CELEBRATING_PARTS` (a closing)
  starts, every milestone not celebrated yet is, in the order they were marked.
- A milestone lives in the meeting state only, never in the store, and goes when the member
  leaves or the meeting leaves its format (tally_rules.TURNS_FORGOTTEN).
"""

from __future__ import annotations

from dataclasses import replace

from facilitation import commands as c
from facilitation.changes import Changes
from facilitation.errors import Refusal, Refused
from facilitation.events import MilestoneCelebrated, MilestoneCleared, MilestoneMarked
from facilitation.state import MeetingState, Milestone

__all__ = [
    "celebrate",
    "celebrate_all",
    "clear_milestone",
    "forget",
    "set_milestone",
]

_NONE_MARKED = Refused(Refusal.NOT_ALLOWED, "No milestone is marked for this meeting.")


def set_milestone(tx: Changes, command: c.MilestoneSet) -> Refused | None:
    sender = tx.sender
    kept = tuple(m for m in tx.state.milestones if m.member != sender)
    tx.state = replace(tx.state, milestones=(*kept, Milestone(sender, command.days)))
    tx.emit(MilestoneMarked(sender, command.days))
    return None


def clear_milestone(tx: Changes, command: c.MilestoneClear) -> Refused | None:
    sender = tx.sender
    if _of(tx.state, sender) is None:
        return _NONE_MARKED
    tx.state = forget(tx.state, sender)
    tx.emit(MilestoneCleared(sender))
    return None


def celebrate(tx: Changes, command: c.MilestoneCelebrate) -> Refused | None:
    """A facilitator celebrates one member's milestone (again, if they like)."""
    marked = _of(tx.state, command.member)
    if marked is None:
        return _NONE_MARKED
    _celebrate(tx, marked, by=tx.sender)
    return None


def celebrate_all(tx: Changes) -> None:
    """Celebrate every milestone not celebrated yet (a closing part started)."""
    for marked in tx.state.milestones:
        if not marked.celebrated:
            _celebrate(tx, marked, by=None)


def forget(state: MeetingState, member: str | None = None) -> MeetingState:
    """The state without `member`'s milestone (None: without any)."""
    kept = () if member is None else tuple(m for m in state.milestones if m.member != member)
    return state if kept == state.milestones else replace(state, milestones=kept)


def _celebrate(tx: Changes, marked: Milestone, *, by: str | None) -> None:
    done = replace(marked, celebrated=True)
    milestones = tuple(done if m.member == marked.member else m for m in tx.state.milestones)
    tx.state = replace(tx.state, milestones=milestones)
    tx.emit(MilestoneCelebrated(marked.member, marked.days, by))


def _of(state: MeetingState, member: str) -> Milestone | None:
    return next((m for m in state.milestones if m.member == member), None)
