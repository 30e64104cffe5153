"""`decide`: the one entry point that changes a meeting.

How a decision runs (h11 style: rules as tables, effects as small functions, a fixed point for
the clock):

1. Fire every deadline due at `now`, each at its own time, settling after each one
   (`_catch_up`). Their events come first.
2. Check the command against the rule tables (`rules.check`); a refusal ends here and returns
   `Refused`. Nothing changed: states are immutable and `Refused` carries none.
3. Apply the command's effect (`HANDLERS`), which may still refuse on the state it finds.
4. Settle the meeting: a format that runs itself starts or moves on (parts.py), self-led
   hand-off and self-opened rounds, floor to the head of the queue, empty rounds ending by
   themselves, repeated until the format stops moving (`_settle`). Then catch up again, in case the command made
   a deadline due at once.
5. If the turns tally changed, append one facilitators-only `fairness` event (fairness.py). If
   the public meeting view (ignoring the ticking `remaining_ms`) changed, append exactly one
   `meeting.state` event, last. Check the invariants; a broken one raises `FacilitationBug`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from facilitation import commands as c
from facilitation import lobby, milestones, moderation, parts, presence, rounds, self_led
from facilitation.changes import Changes
from facilitation.commands import Actor, Command
from facilitation.deadlines import due, fire
from facilitation.errors import FacilitationBug, Refused
from facilitation.events import Event, FairnessChanged, MeetingStateChanged
from facilitation.fairness import FairnessView
from facilitation.invariants import check_invariants
from facilitation.rules import check
from facilitation.state import MeetingState
from facilitation.views import MeetingView

__all__ = ["HANDLERS", "Accepted", "decide"]


@dataclass(frozen=True, slots=True)
class Accepted:
    """The command happened: the new state and what to publish, in order."""

    state: MeetingState
    events: tuple[Event, ...]


Handler = Callable[[Changes, Any], Refused | None]


def _tick(tx: Changes, command: c.Tick) -> Refused | None:
    return None  # the deadlines already fired in step 1


HANDLERS: dict[type[Command], Handler] = {
    c.RaiseHand: rounds.raise_hand,
    c.LowerHand: rounds.lower_hand,
    c.Pass: rounds.pass_turn,
    c.ShareDone: rounds.share_done,
    c.SetListenOnly: moderation.set_listen_only,
    c.Report: moderation.report,
    c.OpenRound: parts.open_round,
    c.EndRound: rounds.end_round,
    c.PauseRound: rounds.pause_round,
    c.ResumeRound: rounds.resume_round,
    c.Extend: rounds.extend,
    c.Skip: rounds.skip,
    c.QueueMove: rounds.queue_move,
    c.QueueRemove: rounds.queue_remove,
    c.SetMode: moderation.set_mode,
    c.Mute: moderation.mute,
    c.Unmute: moderation.unmute,
    c.AssignListenOnly: moderation.assign_listen_only,
    c.Remove: moderation.remove,
    c.Ban: moderation.ban,
    c.RemoveMessage: moderation.remove_message,
    c.SetLock: moderation.set_lock,
    c.SetSlow: moderation.set_slow,
    c.AddFacilitator: moderation.add_facilitator,
    c.Handover: moderation.handover,
    c.SetLobby: lobby.set_lobby,
    c.Admit: lobby.admit,
    c.Deny: lobby.deny,
    c.PauseRoom: moderation.pause_room,
    c.UnpauseRoom: moderation.unpause_room,
    c.ResetRoom: moderation.reset_room,
    c.Join: presence.join,
    c.Leave: presence.leave,
    c.Disconnected: presence.disconnected,
    c.Reconnected: presence.reconnected,
    c.Tick: _tick,
    c.PartNext: parts.part_next,
    c.PartGoto: parts.part_goto,
    c.FormatEnd: parts.format_end,
    c.MilestoneSet: milestones.set_milestone,
    c.MilestoneClear: milestones.clear_milestone,
    c.MilestoneCelebrate: milestones.celebrate,
}
"""The effect of each command, once `rules.check` let it through."""

# Each deadline that fires removes itself, and the queue that feeds new ones is finite, so the
# catch-up loop always ends; this bound only turns a bug into an exception instead of a hang.
_MAX_FIRINGS = 100_000


def decide(
    state: MeetingState, command: Command, *, actor: Actor | None, now: float
) -> Accepted | Refused:
    """Apply `command`, sent by `actor` (None for the server) at `now`.

    Args:
        state: the meeting as last accepted.
        command: what is asked.
        actor: the sender; None for presence and clock commands. Observers are refused.
        now: seconds since the Unix epoch, from the caller's clock.

    Returns:
        `Accepted` with the new state and the events to publish (due deadlines' events first,
        `meeting.state` last if the public view changed), or `Refused` with a protocol code.

    Raises:
        FacilitationBug: the result would break an invariant (a bug; `state` is still valid).
    """
    tx = Changes(state, now, None if actor is None else actor.member)
    _catch_up(tx, now)
    refused = check(tx.state, command, actor) or HANDLERS[type(command)](tx, command)
    if refused is not None:
        return refused
    _settle(tx, now)
    _catch_up(tx, now)
    if tx.state.turns != state.turns:
        tx.emit(FairnessChanged(FairnessView.of(tx.state)))
    after = MeetingView.of(tx.state, now)
    if after.timeless() != MeetingView.of(state, now).timeless():
        tx.emit(MeetingStateChanged(after))
    if CHECK_INVARIANTS:
        check_invariants(tx.state, now)
    return Accepted(tx.state, tuple(tx.events))


CHECK_INVARIANTS = False
"""Check every invariant after every accepted command. The tests switch it on (and the
hypothesis state machine checks them itself); a server leaves it off, because the checks cost
time in proportion to the room's size on every command, and the engine is tested."""


def _catch_up(tx: Changes, now: float) -> None:
    for _ in range(_MAX_FIRINGS):
        deadline = due(tx.state, now)
        if deadline is None:
            return
        fire(tx, deadline)
        _settle(tx, deadline.at)
    raise FacilitationBug("deadlines settle", f"still firing after {_MAX_FIRINGS}")


# Each pass that moves the format starts the next part or leaves the format (which lowers every
# hand, so nothing starts it again), so a settle moves through at most every part once.
_MAX_PART_MOVES = 100


def _settle(tx: Changes, at: float) -> None:
    # parts.settle runs first so that a part whose time is up ends before the floor passes on.
    for _ in range(_MAX_PART_MOVES):
        moved = parts.settle(tx, at)
        self_led.settle(tx, at)
        rounds.grant(tx, at)
        rounds.auto_end(tx)
        if not moved and not parts.move_due(tx.state, at):
            return
    raise FacilitationBug("parts settle", f"still moving after {_MAX_PART_MOVES}")
