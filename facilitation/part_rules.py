"""Rule 4: what each part of a meeting format lets people do (formats.py holds the data).

The tables below are written as data so that docs/facilitation.md can be generated from them
(`python -m facilitation.doc_table --write`): which postings and crosstalk each kind of part
may have, who has the word under each posting, and which postings run a share round. The
functions say when a format runs itself (parts.py), when it holds for a facilitator, and when
a raised hand opens a self-led round (self_led.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from facilitation.errors import Refusal
from facilitation.rules import leads_itself
from facilitation.speaking_rules import PersonRule
from facilitation.state import MeetingState, Mode, Order, Participant, PartKind, Posting

__all__ = [
    "CONTENT_NOTE_CHARS",
    "CONTENT_NOTE_RULE",
    "CROSSTALK_BY_POSTING",
    "ORDER_BY_POSTING",
    "PART_POSTING_RULES",
    "POSTING_BY_PART",
    "POSTING_VOICES",
    "PartRules",
    "Voice",
    "format_holds",
    "hands_open_rounds",
    "may_post_in_part",
    "needs_content_note",
    "runs_itself",
]


@dataclass(frozen=True, slots=True)
class PartRules:
    """What a kind of part may be configured to do; the first value of each is the default."""

    postings: tuple[Posting, ...]
    """Who the part may give the word to."""
    crosstalk: tuple[bool, ...]
    """Whether everyone else may post too (`(False,)`: never)."""


# fmt: off
POSTING_BY_PART: dict[PartKind, PartRules] = {
    PartKind.OPEN_TALK: PartRules((Posting.EVERYONE, Posting.FACILITATOR, Posting.NOBODY),
                                  (True, False)),
    # MEETINGS.md §3: during a reading only the reader speaks.
    PartKind.READING: PartRules((Posting.FACILITATOR, Posting.NOBODY), (False,)),
    # MEETINGS.md §3: crosstalk is never allowed during shares.
    PartKind.SHARE_ROUND: PartRules((Posting.FLOOR, Posting.IN_TURN), (False,)),
    PartKind.ANNOUNCEMENTS: PartRules((Posting.FACILITATOR,), (False, True)),
    PartKind.CLOSING: PartRules((Posting.FACILITATOR, Posting.EVERYONE), (False, True)),
}
# fmt: on
"""Each kind of part: who it may give the word to, and whether crosstalk may be on."""

CROSSTALK_BY_POSTING: dict[Posting, tuple[bool, ...]] = {
    Posting.NOBODY: (False,),
    Posting.FACILITATOR: (False, True),
    Posting.FLOOR: (False,),
    Posting.IN_TURN: (False,),
    Posting.EVERYONE: (True,),
}
"""Crosstalk each posting allows (a part's crosstalk must be allowed by its kind and this)."""

ORDER_BY_POSTING: dict[Posting, tuple[Order, ...]] = {
    Posting.FLOOR: (Order.HANDS, Order.ROUND_ROBIN),
    Posting.IN_TURN: (Order.ROUND_ROBIN,),
}
"""Postings that run a share round, and the queue orders each allows (the first is the default).

Entering a part whose posting is here opens a round with the part's share time and order."""


@dataclass(frozen=True, slots=True)
class Voice:
    """Who has the word under one posting."""

    who: str
    """In words, for docs/facilitation.md."""
    speaks: Callable[[MeetingState, Participant], bool]


# fmt: off
POSTING_VOICES: dict[Posting, Voice] = {
    Posting.NOBODY: Voice("nobody, facilitators included (a quiet moment)",
                          lambda s, w: False),
    Posting.FACILITATOR: Voice("facilitators (the reader or chair)",
                               lambda s, w: w.is_facilitator),
    Posting.FLOOR: Voice("the floor holder, and facilitators",
                         lambda s, w: w.is_facilitator or s.speaker() == w.member),
    Posting.IN_TURN: Voice("each in turn: the floor holder of a round-robin round, and facilitators",
                           lambda s, w: w.is_facilitator or s.speaker() == w.member),
    Posting.EVERYONE: Voice("everyone seated", lambda s, w: True),
}
# fmt: on
"""Who may post under each posting while crosstalk is off (crosstalk on: everyone seated)."""


def may_post_in_part(state: MeetingState, who: Participant) -> bool:
    """Whether the current part (if any) lets `who` post: they have the word, or crosstalk is on."""
    part = state.current_part()
    if part is None or part.crosstalk:
        return True
    return POSTING_VOICES[part.posting].speaks(state, who)


# fmt: off
PART_POSTING_RULES: tuple[PersonRule, ...] = (
    # MEETINGS.md §3: a format that needs a facilitator never runs alone; members listen.
    PersonRule("the meeting's format needs a facilitator, none is present, and the sender does "
               "not hold the floor", Refusal.LISTEN_ONLY,
               "This meeting waits for a facilitator; you can listen meanwhile.",
               lambda s, a, w, now: format_holds(s) and s.speaker() != a.member),
    PersonRule("the current part does not give the sender the word (`POSTING_VOICES`) and its "
               "crosstalk is off", Refusal.NOT_YOUR_TURN,
               "Not your turn in this part of the meeting; you can raise a hand, pass or react.",
               lambda s, a, w, now: w is not None and not may_post_in_part(s, w)),
)
# fmt: on
"""Who may post while a format runs: checked after `POSTING_RULES`, first matching refuses."""


CONTENT_NOTE_CHARS = 120
"""The longest content note a post may carry (characters, after normalisation)."""

# MEETINGS.md §3: in a survivors' circle a share starts with a content note, and readers open the
# body when they choose. Checked after the posting rules, and only for a post without a note.
CONTENT_NOTE_RULE = PersonRule(
    "the current part asks for content notes (`content_notes`), the sender holds the floor and "
    "is not a facilitator, and the post carries no `note`", Refusal.CONTENT_NOTE,
    "Start your share with a short content note (a few words on what it touches).",
    lambda s, a, w, now: w is not None and needs_content_note(s, w),
)  # fmt: skip
"""A share in a part with content notes: each of the speaker's posts carries one."""


def needs_content_note(state: MeetingState, who: Participant) -> bool:
    """Whether a post by `who` now must carry a content note: the part asks for them and `who`
    shares (holds the floor) rather than facilitates."""
    part = state.current_part()
    return (
        part is not None
        and part.content_notes
        and not who.is_facilitator
        and state.speaker() == who.member
    )


def runs_itself(state: MeetingState) -> bool:
    """The format moves through its parts by itself: the room leads itself (no facilitator
    present), the format may run self-led, and the room is not paused (parts.py)."""
    fmt = state.format
    return fmt is not None and fmt.self_led and leads_itself(state) and not state.paused_room


def format_holds(state: MeetingState) -> bool:
    """A meeting whose format needs a facilitator is in a part with no facilitator present:
    it stays in that part and members listen until one comes (MEETINGS.md §3)."""
    fmt = state.format
    return (
        state.part is not None
        and fmt is not None
        and not fmt.self_led
        and not state.facilitator_present()
    )


def hands_open_rounds(state: MeetingState) -> bool:
    """A raised hand opens a self-led round: the room leads itself, is open, and either has no
    format, or runs its format itself and is in a share part. (With a format but no part
    running, a hand starts the meeting instead; a format that needs a facilitator never lets
    hands open rounds.)"""
    if not leads_itself(state) or state.base_mode is not Mode.OPEN:
        return False
    if state.format is None:
        return True
    part = state.current_part()
    return runs_itself(state) and part is not None and part.share_round
