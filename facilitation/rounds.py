"""Share rounds: raising hands, the queue, the floor and its clock.

Rules carried out here (the tables are in rules.py and speaking_rules.py):

- The queue is first come, first served, and exists without a round too: hands raised between
  rounds seed the next `hands` round. A `round_robin` round replaces it with everyone present who
  may speak, in join order.
- Whenever a round runs unpaused with the floor free, the head of the queue gets the floor at
  once (`grant`). Members who are away when their turn comes are dropped from the queue.
- When the floor is free and the queue empty, a `round_robin` or self-led round ends by itself;
  a `hands` round waits for its facilitator (`auto_end`).
- Pausing stops the speaker's clock (the remaining time is kept); resuming restarts it.
"""

from __future__ import annotations

from dataclasses import replace

from facilitation import commands as c
from facilitation import fairness
from facilitation.changes import Changes
from facilitation.errors import Refusal, Refused
from facilitation.events import (
    FloorGranted,
    HandLowered,
    HandRaised,
    RoundEnded,
    RoundOpened,
    RoundPaused,
    RoundResumed,
    ShareExtended,
)
from facilitation.rules import ENDS_WHEN_QUEUE_EMPTY, SHARE_END_HOW, ShareEndHow
from facilitation.speaking_rules import can_speak, floor_refusal
from facilitation.state import Floor, Order, Round

__all__ = [
    "auto_end",
    "end_round",
    "extend",
    "grant",
    "lower_hand",
    "open_round",
    "pass_turn",
    "pause_round",
    "queue_move",
    "queue_remove",
    "raise_hand",
    "resume_round",
    "share_done",
    "skip",
    "start_round",
]

_NO_FLOOR = Refused(Refusal.NO_FLOOR, "Nobody holds the floor.")


# --- members ----------------------------------------------------------------------------------


def raise_hand(tx: Changes, command: c.RaiseHand) -> Refused | None:
    """Join the queue (speaking_rules.FLOOR_RULES say who may); a self-led room may open a round."""
    who = tx.who(tx.sender)
    refused = floor_refusal(tx.state, who, tx.now)
    if refused is not None:
        return refused
    tx.state = replace(tx.state, queue=(*tx.state.queue, who.member))
    tx.emit(HandRaised(who.member))
    return None


def lower_hand(tx: Changes, command: c.LowerHand) -> Refused | None:
    sender = tx.sender
    if sender not in tx.state.queue:
        return Refused(Refusal.NOT_IN_QUEUE, "Your hand is not raised.")
    tx.unqueue(sender)
    return None


def pass_turn(tx: Changes, command: c.Pass) -> Refused | None:
    """ "I'll pass this time": give up the floor if it is yours, else leave the queue."""
    sender = tx.sender
    if tx.state.speaker() == sender:
        tx.end_share(SHARE_END_HOW[c.Pass])
        return None
    refused = lower_hand(tx, c.LowerHand())
    if refused is None and tx.state.round is not None:
        tx.state = fairness.passed(tx.state, sender)  # passing a turn still to come
    return refused


def share_done(tx: Changes, command: c.ShareDone) -> Refused | None:
    speaker = tx.state.speaker()
    if speaker is None:
        return _NO_FLOOR
    if speaker != tx.sender:
        return Refused(Refusal.NOT_YOUR_TURN, "Only the speaker can end their share.")
    tx.end_share(SHARE_END_HOW[c.ShareDone])
    return None


# --- facilitators -------------------------------------------------------------------------------


def open_round(tx: Changes, command: c.OpenRound) -> Refused | None:
    share = command.share_seconds or tx.state.settings.default_share_seconds
    order = Order(command.order)
    unshared_first = command.unshared_first
    start_round(
        tx, command.topic, share, order, by=tx.sender, at=tx.now, unshared_first=unshared_first
    )
    return None


def start_round(
    tx: Changes,
    topic: str,
    share_seconds: int,
    order: Order,
    *,
    by: str | None,
    at: float,
    unshared_first: bool = False,
) -> None:
    """Open a round (the floor is granted when the engine settles); a round-robin round queues
    everyone who may speak, in join order, or those who have not shared yet first."""
    rnd = Round(topic=topic, order=order, share_seconds=share_seconds, self_led=by is None)
    tx.state = replace(tx.state, round=rnd)
    tx.emit(RoundOpened(topic, share_seconds, order, by))
    if order is Order.ROUND_ROBIN:
        queue = tuple(p.member for p in tx.state.participants if can_speak(p, at))
        tx.set_queue(fairness.unshared_first(tx.state, queue) if unshared_first else queue)


def end_round(tx: Changes, command: c.EndRound) -> Refused | None:
    """End the round at once: the share in progress ends and the queue is cleared."""
    close_round(tx, SHARE_END_HOW[c.EndRound], by=tx.sender)
    return None


def close_round(tx: Changes, how: ShareEndHow, *, by: str | None) -> None:
    """End the running round: the share in progress ends (`how`), every hand in the queue is
    lowered and announced (`Changes.set_queue`), and `round.ended` follows."""
    tx.end_share(how)
    tx.set_queue(())
    tx.state = replace(tx.state, round=None)
    tx.emit(RoundEnded(by))


def pause_round(tx: Changes, command: c.PauseRound) -> Refused | None:
    rnd = tx.state.round
    if rnd is None or rnd.paused:
        return Refused(Refusal.NOT_ALLOWED, "The round is paused already.")
    remaining = None if rnd.floor is None else rnd.floor.ends_at - tx.now
    tx.state = replace(tx.state, round=replace(rnd, paused=True, paused_remaining=remaining))
    tx.emit(RoundPaused(tx.sender))
    return None


def resume_round(tx: Changes, command: c.ResumeRound) -> Refused | None:
    rnd = tx.state.round
    if rnd is None or not rnd.paused:
        return Refused(Refusal.NOT_ALLOWED, "The round is not paused.")
    floor = rnd.floor
    if floor is not None and rnd.paused_remaining is not None:
        floor = replace(floor, ends_at=tx.now + rnd.paused_remaining)
    resumed = replace(rnd, paused=False, paused_remaining=None, floor=floor)
    tx.state = replace(tx.state, round=resumed)
    tx.emit(RoundResumed(tx.sender))
    return None


def extend(tx: Changes, command: c.Extend) -> Refused | None:
    """Add time to the current share; the warning is re-armed if the end moved far enough."""
    rnd = tx.state.round
    if rnd is None or rnd.floor is None:
        return _NO_FLOOR
    floor = rnd.floor
    ends_at = floor.ends_at + command.seconds
    paused_remaining = rnd.paused_remaining
    if paused_remaining is not None:
        paused_remaining += command.seconds
    remaining = paused_remaining if paused_remaining is not None else ends_at - tx.now
    warned = floor.warned and remaining <= tx.state.settings.warning_seconds
    floor = replace(floor, ends_at=ends_at, warned=warned)
    tx.state = replace(tx.state, round=replace(rnd, floor=floor, paused_remaining=paused_remaining))
    tx.emit(ShareExtended(floor.member, ends_at, tx.sender))
    return None


def skip(tx: Changes, command: c.Skip) -> Refused | None:
    if tx.state.speaker() is None:
        return _NO_FLOOR
    tx.end_share(SHARE_END_HOW[c.Skip])
    return None


def queue_move(tx: Changes, command: c.QueueMove) -> Refused | None:
    """Move a queued member to `position` (0-based; past the end means last)."""
    rest = [m for m in tx.state.queue if m != command.member]
    rest.insert(min(command.position, len(rest)), command.member)
    tx.state = replace(tx.state, queue=tuple(rest))
    return None


def queue_remove(tx: Changes, command: c.QueueRemove) -> Refused | None:
    tx.unqueue(command.member)
    return None


# --- settling (run by the engine after every change) ---------------------------------------


def grant(tx: Changes, at: float) -> None:
    """Give the free floor to the head of the queue, dropping those who cannot speak now."""
    while True:
        state = tx.state
        rnd = state.round
        if rnd is None or rnd.paused or rnd.floor is not None or not state.queue:
            return
        head = state.queue[0]
        tx.state = replace(state, queue=state.queue[1:])
        who = state.participant(head)
        if who is None or not can_speak(who, at):
            tx.emit(HandLowered(head))  # away when their turn came: skipped
            continue
        short = rnd.share_seconds <= state.settings.warning_seconds
        floor = Floor(head, started_at=at, ends_at=at + rnd.share_seconds, warned=short)
        tx.state = replace(tx.state, round=replace(rnd, floor=floor))
        tx.emit(FloorGranted(head, floor.ends_at))
        return


def auto_end(tx: Changes) -> None:
    """A round with nobody left to speak ends by itself if nobody is there to end it."""
    rnd = tx.state.round
    if rnd is None or rnd.floor is not None or tx.state.queue:
        return
    if rnd.self_led or ENDS_WHEN_QUEUE_EMPTY[rnd.order]:
        tx.state = replace(tx.state, round=None)
        tx.emit(RoundEnded(None))
