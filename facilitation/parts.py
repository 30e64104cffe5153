"""Moving through a meeting's format, part by part.

Rules carried out here (the tables are in part_rules.py and tally_rules.py, the data in formats.py):

- A facilitator moves the meeting with one action: `part.next` (with no part running it starts
  the first; after the last part the meeting leaves its format), `part.goto` (any part, to skip
  or go back) or `format.end` (stop following the format). Each start is one `part.started`
  event carrying the part's view (title, rules, text), so clients show its text as it starts.
- Leaving a part ends any round that runs (the share in progress ends `skipped`, hands are
  cleared, as with `round.end`). Hands raised in other parts are kept: they seed the next share
  part. Entering a share part opens its round with the part's share time and order (a
  `hands` part that runs itself waits for the first hand instead of opening an empty round).
  While a part runs, rounds run only in share parts (`round.open` elsewhere: `not_allowed`).
- A format runs itself (`part_rules.runs_itself`: a self-led room with no facilitator present, a
  format that may run self-led, the room not paused). Then, at each settle:
  - with no part running, the first raised hand starts the meeting at its first part (the
    hand stays queued for the first share part);
  - a part ends at its planned end (`part_started_at + minutes`), but never cuts a share in
    progress: the share finishes and nobody new gets the floor before the part ends;
  - a round-robin share part also ends as soon as its round has ended (everyone had a turn);
  - after the last part the meeting leaves its format, and raised hands are lowered.
  Each clock-driven start happens at the deadline's own time, so a late tick gives the same
  parts at the same times, and the same tick twice moves the meeting once.
- A format that may not run self-led (`Format.self_led` false) holds whenever no facilitator is
  present: it stays in its part, hands open no rounds, and members listen (part_rules.format_holds).
- Entering the format (a first part with none running) starts a new turns tally (fairness.py);
  a part in `tally_rules.CELEBRATING_PARTS` celebrates the milestones not yet celebrated, right after
  its `part.started` (milestones.py); leaving the format forgets the tally and the milestones.
"""

from __future__ import annotations

from dataclasses import replace

from facilitation import commands as c
from facilitation import fairness, milestones, rounds
from facilitation.changes import Changes
from facilitation.errors import FacilitationBug, Refusal, Refused
from facilitation.events import FormatEnded, PartStarted
from facilitation.part_rules import runs_itself
from facilitation.rules import ShareEndHow
from facilitation.state import MeetingState, Mode, Order
from facilitation.tally_rules import CELEBRATING_PARTS
from facilitation.views import PartView

__all__ = [
    "format_end",
    "move_due",
    "open_round",
    "part_goto",
    "part_next",
    "planned_end",
    "settle",
    "start_part",
]

_NO_FORMAT = Refused(Refusal.NOT_ALLOWED, "This room has no meeting format.")


# --- facilitators -------------------------------------------------------------------------------


def part_next(tx: Changes, command: c.PartNext) -> Refused | None:
    """The next part; the first with none running; after the last, the meeting ends."""
    fmt = tx.state.format
    if fmt is None:
        return _NO_FORMAT
    index = 0 if tx.state.part is None else tx.state.part + 1
    if index < len(fmt.parts):
        start_part(tx, index, at=tx.now, by=tx.sender)
    else:
        finish(tx, by=tx.sender)
    return None


def part_goto(tx: Changes, command: c.PartGoto) -> Refused | None:
    fmt = tx.state.format
    if fmt is None:
        return _NO_FORMAT
    if not 0 <= command.index < len(fmt.parts):
        detail = f"`index` must be 0-{len(fmt.parts) - 1} for this format."
        return Refused(Refusal.BAD_REQUEST, detail)
    start_part(tx, command.index, at=tx.now, by=tx.sender)
    return None


def format_end(tx: Changes, command: c.FormatEnd) -> Refused | None:
    if tx.state.part is None:
        return Refused(Refusal.NOT_ALLOWED, "The meeting is not following its format.")
    finish(tx, by=tx.sender)
    return None


def open_round(tx: Changes, command: c.OpenRound) -> Refused | None:
    """`round.open`, which while a part runs belongs to share parts (and takes their length)."""
    if tx.state.part is not None:
        part = tx.state.current_part()
        if part is None or not part.share_round:
            return Refused(Refusal.NOT_ALLOWED, "This part of the meeting has no share round.")
        if command.share_seconds is None and part.share_seconds is not None:
            command = replace(command, share_seconds=part.share_seconds)
    return rounds.open_round(tx, command)


# --- moving -------------------------------------------------------------------------------------


def start_part(tx: Changes, index: int, *, at: float, by: str | None) -> None:
    """Leave the current part (ending any round) and start part `index` at `at`."""
    _end_round(tx, by)
    if tx.state.part is None:
        tx.state = fairness.reset(tx.state)  # a new meeting: nobody has had a turn in it yet
    tx.state = replace(tx.state, part=index, part_started_at=at)
    part, view = tx.state.current_part(), PartView.of(tx.state)
    if part is None or view is None:
        raise FacilitationBug("a started part exists", str(index))
    tx.emit(PartStarted(view, by))
    if part.kind in CELEBRATING_PARTS:
        milestones.celebrate_all(tx)
    if not part.share_round or part.order is None:
        return
    if by is None and part.order is Order.HANDS and not tx.state.queue:
        return  # running itself: the first hand opens the round (self_led.settle)
    share = part.share_seconds or tx.state.settings.default_share_seconds
    rounds.start_round(tx, part.title, share, part.order, by=by, at=at)


def finish(tx: Changes, *, by: str | None) -> None:
    """Leave the format: any round ends, hands are lowered, no part runs."""
    _end_round(tx, by)
    tx.set_queue(())
    tx.state = replace(tx.state, part=None, part_started_at=None)
    tx.state = milestones.forget(fairness.reset(tx.state))  # gone with the meeting
    tx.emit(FormatEnded(by))


def _end_round(tx: Changes, by: str | None) -> None:
    if tx.state.round is not None:
        rounds.close_round(tx, ShareEndHow.SKIPPED, by=by)


# --- running itself (called by the engine's settle loop) --------------------------------------


def planned_end(state: MeetingState) -> float | None:
    """When the current part is planned to end, if it has planned minutes."""
    part, started = state.current_part(), state.part_started_at
    if part is None or part.minutes is None or started is None:
        return None
    return started + part.minutes * 60


def move_due(state: MeetingState, at: float) -> bool:
    """Whether a format that runs itself must start or move on at `at` (see the module rules)."""
    if not runs_itself(state):
        return False
    part = state.current_part()
    if part is None:
        return bool(state.queue) and state.base_mode is Mode.OPEN
    if part.order is Order.ROUND_ROBIN and state.round is None:
        return True
    end = planned_end(state)
    return end is not None and at >= end and state.floor is None


def settle(tx: Changes, at: float) -> bool:
    """Make the one move due at `at`, if any; True if the meeting moved."""
    state = tx.state
    if not move_due(state, at):
        return False
    fmt = state.format
    if fmt is None:
        raise FacilitationBug("a format runs itself only if there is one")
    index = 0 if state.part is None else state.part + 1
    if index < len(fmt.parts):
        start_part(tx, index, at=at, by=None)
    else:
        finish(tx, by=None)
    return True
