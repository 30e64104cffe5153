"""Rule 7: who may be heard by voice, as an ordered rule list (the floor decides).

The server relays a speaker's audio frame only when `may_be_heard` says yes, and it asks for
every frame, from the meeting state the node already holds and the node's `now` (issue 17). The
list is checked in order and the first row that holds refuses; the rows carry their condition in
words, so docs/facilitation.md is generated from them (`python -m facilitation.doc_table
--write`).

In short: the member holding the floor is heard while their share lasts (not after its
`ends_at`, not while the round is paused); a facilitator is heard when no one else holds the
floor and the room's part lets facilitators speak. Nobody else, ever; observers never.
Voice is not text: crosstalk (a part's permission for everyone to *post*) does not open the
microphone, and a facilitator does not talk over a member's share (they can pause or mute).
"""

from __future__ import annotations

from facilitation.commands import Actor
from facilitation.errors import Refusal, Refused
from facilitation.part_rules import POSTING_VOICES, format_holds
from facilitation.speaking_rules import PersonRule, facilitates, is_muted
from facilitation.state import MeetingState, Participant

__all__ = ["VOICE_RULES", "holds_live_floor", "may_be_heard"]


def holds_live_floor(state: MeetingState, member: str, now: float) -> bool:
    """`member` holds the floor, the round is not paused, and the share has not reached its end."""
    rnd = state.round
    if rnd is None or rnd.paused or rnd.floor is None or rnd.floor.member != member:
        return False
    return now < rnd.floor.ends_at


def _part_silences(state: MeetingState, who: Participant) -> bool:
    """The current part gives `who` no word by its posting (crosstalk does not count)."""
    part = state.current_part()
    return part is not None and not POSTING_VOICES[part.posting].speaks(state, who)


def _someone_else_shares(state: MeetingState, member: str, now: float) -> bool:
    floor = state.floor
    return (
        floor is not None and floor.member != member and holds_live_floor(state, floor.member, now)
    )


# fmt: off
VOICE_RULES: tuple[PersonRule, ...] = (
    PersonRule("the speaker is an observer", Refusal.OBSERVER,
               "Observers listen; they cannot be heard.",
               lambda s, a, w, now: a.observer),
    PersonRule("the speaker is not seated, or away", Refusal.NOT_JOINED,
               "Join the room first.",
               lambda s, a, w, now: w is None or w.away),
    PersonRule("the speaker is listen-only", Refusal.LISTEN_ONLY,
               "You are in listen-only mode.",
               lambda s, a, w, now: w is not None and w.listen_only),
    PersonRule("the speaker is muted", Refusal.MUTED,
               "A facilitator muted you for a while.",
               lambda s, a, w, now: w is not None and is_muted(w, now)),
    PersonRule("the room is paused and the speaker is not a facilitator", Refusal.NOT_YOUR_TURN,
               "The room is paused.",
               lambda s, a, w, now: s.paused_room and not facilitates(w)),
    PersonRule("the meeting's format needs a facilitator, none is present, and the speaker "
               "does not hold the floor", Refusal.LISTEN_ONLY,
               "This meeting waits for a facilitator; you can listen meanwhile.",
               lambda s, a, w, now: format_holds(s) and not holds_live_floor(s, a.member, now)),
    PersonRule("the current part does not give the speaker the word (`POSTING_VOICES`; "
               "crosstalk does not count for voice)", Refusal.NOT_YOUR_TURN,
               "Not your turn in this part of the meeting.",
               lambda s, a, w, now: w is not None and _part_silences(s, w)),
    PersonRule("a member who does not hold the floor, or whose share has ended or is paused",
               Refusal.NOT_YOUR_TURN,
               "You can be heard while the floor is yours.",
               lambda s, a, w, now: not facilitates(w)
               and not holds_live_floor(s, a.member, now)),
    PersonRule("a facilitator while someone else's share runs", Refusal.NOT_YOUR_TURN,
               "Someone else is sharing; pause the round or mute to step in.",
               lambda s, a, w, now: facilitates(w) and _someone_else_shares(s, a.member, now)),
)
# fmt: on
"""Who may be heard: the first matching row refuses; no row matching means the frame is relayed."""


def may_be_heard(state: MeetingState, actor: Actor, now: float) -> Refused | None:
    """None when `actor`'s audio may be relayed now, else why not (the first row that holds)."""
    who = None if actor.observer else state.participant(actor.member)
    for rule in VOICE_RULES:
        if rule.applies(state, actor, who, now):
            return Refused(rule.refusal, rule.detail)
    return None
