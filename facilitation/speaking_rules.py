"""Rule 2: who may post a chat message and who may raise a hand, as ordered rule lists.

Each list is checked in order and the first row that holds refuses; the rows carry their
condition in words, so docs/facilitation.md is generated from them (`python -m
facilitation.doc_table --write`). While a meeting format runs, part_rules.PART_POSTING_RULES
are checked after `POSTING_RULES` (views.py applies both).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from facilitation.commands import Actor
from facilitation.errors import Refusal, Refused
from facilitation.state import MeetingState, Mode, Participant

__all__ = [
    "FLOOR_RULES",
    "POSTING_RULES",
    "QUIET_NEWCOMER",
    "PersonRule",
    "can_speak",
    "facilitates",
    "floor_refusal",
    "is_muted",
]


@dataclass(frozen=True, slots=True)
class PersonRule:
    """One row of an ordered rule list: `when` holds → refuse with `refusal`."""

    when: str
    """The condition in words, for docs/facilitation.md."""
    refusal: Refusal
    detail: str
    applies: Callable[[MeetingState, Actor, Participant | None, float], bool]


QUIET_NEWCOMER = (
    "The room is in quiet mode for a few minutes: newcomers can read everything, and can post "
    "and raise a hand once their few minutes are up."
)
"""The refusal detail for a newcomer held by quiet mode (raid.py)."""


def is_muted(who: Participant, now: float) -> bool:
    return who.muted_until is not None and who.muted_until > now


# fmt: off
POSTING_RULES: tuple[PersonRule, ...] = (
    # protocol.md §3.4: observers never post.
    PersonRule("the sender is an observer", Refusal.OBSERVER,
               "Observers listen; they cannot post.",
               lambda s, a, w, now: a.observer),
    PersonRule("the sender is not seated, or away", Refusal.NOT_JOINED,
               "Join the room first.",
               lambda s, a, w, now: w is None or w.away),
    # A newcomer in quiet mode (raid.py) is told why, and that it ends by itself.
    PersonRule("the sender is a newcomer listening in quiet mode (`listen_only_until` set)",
               Refusal.LISTEN_ONLY, QUIET_NEWCOMER,
               lambda s, a, w, now: w is not None and w.listen_only_until is not None),
    PersonRule("the sender is listen-only", Refusal.LISTEN_ONLY,
               "You are in listen-only mode.",
               lambda s, a, w, now: w is not None and w.listen_only),
    PersonRule("the sender is muted", Refusal.MUTED,
               "A facilitator muted you for a while.",
               lambda s, a, w, now: w is not None and is_muted(w, now)),
    PersonRule("the room is `listen_only` and the sender is not a facilitator", Refusal.LISTEN_ONLY,
               "Only facilitators post in this room right now.",
               lambda s, a, w, now: s.mode is Mode.LISTEN_ONLY and not facilitates(w)),
    PersonRule("a round runs and the sender neither holds the floor nor facilitates",
               Refusal.NOT_YOUR_TURN,
               "Someone else is sharing; you can post when the floor is yours.",
               lambda s, a, w, now: s.round is not None and s.speaker() != a.member
               and not facilitates(w)),
)
"""Who may post (protocol.md §3.4); facilitators are also exempt from slow mode."""

FLOOR_RULES: tuple[PersonRule, ...] = (
    PersonRule("the member is a newcomer listening in quiet mode (`listen_only_until` set)",
               Refusal.LISTEN_ONLY, QUIET_NEWCOMER,
               lambda s, a, w, now: w is not None and w.listen_only_until is not None),
    PersonRule("the member is listen-only", Refusal.LISTEN_ONLY,
               "Leave listen-only mode to raise your hand.",
               lambda s, a, w, now: w is not None and w.listen_only),
    # Muted members cannot post, so they cannot hold the floor either.
    PersonRule("the member is muted", Refusal.MUTED,
               "A facilitator muted you for a while.",
               lambda s, a, w, now: w is not None and is_muted(w, now)),
    PersonRule("the member holds the floor", Refusal.NOT_ALLOWED,
               "You hold the floor already.",
               lambda s, a, w, now: w is not None and s.speaker() == w.member),
    PersonRule("the member's hand is raised", Refusal.ALREADY_IN_QUEUE,
               "Your hand is already raised.",
               lambda s, a, w, now: w is not None and w.member in s.queue),
)
"""Who may raise a hand (a seated, present member; observers never reach this)."""
# fmt: on


def facilitates(who: Participant | None) -> bool:
    """Seated as a facilitator (None: not seated)."""
    return who is not None and who.is_facilitator


def can_speak(who: Participant, now: float) -> bool:
    """Whether `who` may be queued or hold the floor at all (present, not listen-only, not muted)."""
    return not who.away and not who.listen_only and not is_muted(who, now)


def floor_refusal(state: MeetingState, who: Participant, now: float) -> Refused | None:
    """Why `who` cannot raise a hand now, or None if they can."""
    actor = Actor(who.member)
    for rule in FLOOR_RULES:
        if rule.applies(state, actor, who, now):
            return Refused(rule.refusal, rule.detail)
    return None
