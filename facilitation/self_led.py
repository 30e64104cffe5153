"""The self-led policy: a room that runs its own rounds when no facilitator is there.

Rules (only for rooms created with `self_led=True`; other rooms simply wait for a facilitator):

- "Leading itself" means the room is self-led and no facilitator is present (away does not
  count as present).
- While it leads itself, a raised hand with no round running opens a round: no topic, the room's
  default share time, `hands` order, opened by nobody (`round.opened` with `by` null). The head
  of the queue (usually the person who raised their hand) gets the floor at once.
- Turns then run on the clock, and the round ends by itself when the queue empties.
- In a room with a meeting format, hands open rounds only in a share part of a format that runs
  itself (with the part's share time); see parts.py and `part_rules.hands_open_rounds`.
- Nobody gains facilitator powers: facilitator commands are refused with `not_facilitator`.
- When a facilitator becomes present, a running self-led round becomes theirs (`self_led`
  false: it no longer ends by itself unless its order says so). When the last present
  facilitator goes, the round becomes self-led again, so it can never be left waiting forever.
"""

from __future__ import annotations

from dataclasses import replace

from facilitation.changes import Changes
from facilitation.part_rules import hands_open_rounds
from facilitation.rounds import start_round
from facilitation.rules import leads_itself
from facilitation.state import Order

__all__ = ["settle"]


def settle(tx: Changes, at: float) -> None:
    """Hand a running round to (or back from) facilitators; open a round for a raised hand."""
    state = tx.state
    alone = leads_itself(state)
    rnd = state.round
    if rnd is not None:
        if rnd.self_led != alone:
            tx.state = replace(state, round=replace(rnd, self_led=alone))
    elif state.queue and hands_open_rounds(state):
        part = state.current_part()
        share = (part and part.share_seconds) or state.settings.default_share_seconds
        start_round(tx, part.title if part else "", share, Order.HANDS, by=None, at=at)
