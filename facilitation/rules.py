"""Rule 1: everything that decides whether a command is allowed lives in this module.

The tables below are the meeting's rules, written as data so that docs/facilitation.md can be
generated from them (`python -m facilitation.doc_table --write`) and a test fails when the two
disagree. `check()` applies them in a fixed order:

1. observers are refused everything (`observer`);
2. who may send it (`REQUIRED_ROLE`; server-only commands in `SYSTEM_COMMANDS` need no actor);
3. field ranges, lengths and choices (`NUMBER_BOUNDS`, `TEXT_LIMITS`, `CHOICES`) → `bad_request`;
4. which commands each room mode allows (`ALLOWED_IN_MODE`, refusal from `MODE_REFUSAL`);
5. what the target member must be (`TARGET_CHECKS`).

What a command then *does* is in engine.py and the modules it dispatches to; the refusals that
depend on the command's effect (for example `not_in_queue` for `pass`) are there too, next to
the effect, each citing its rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, cast

from facilitation import commands as c
from facilitation.commands import Actor, Command
from facilitation.errors import Refusal, Refused
from facilitation.state import MeetingState, Mode, Order, Participant, PartKind, Posting, Role

__all__ = [
    "ALLOWED_IN_MODE",
    "ALL_COMMANDS",
    "CELEBRATING_PARTS",
    "CHOICES",
    "CROSSTALK_BY_POSTING",
    "ENDS_WHEN_QUEUE_EMPTY",
    "FLOOR_RULES",
    "JOIN_RULES",
    "LOBBY_MAX_WAITING",
    "MODERATION_ACTIONS",
    "MODE_REFUSAL",
    "NUMBER_BOUNDS",
    "ORDER_BY_POSTING",
    "PART_POSTING_RULES",
    "POSTING_BY_PART",
    "POSTING_RULES",
    "POSTING_VOICES",
    "RAID_SLOW_SECONDS",
    "REQUIRED_ROLE",
    "SHARE_END_HOW",
    "SYSTEM_COMMANDS",
    "TARGET_CHECKS",
    "TARGET_REFUSAL",
    "TEXT_LIMITS",
    "TURNS_FORGOTTEN",
    "TURN_COUNTS_AS",
    "JoinRule",
    "LeaveReason",
    "PartRules",
    "PersonRule",
    "ShareEndHow",
    "Tally",
    "Target",
    "Voice",
    "ban_refusal",
    "banned",
    "can_speak",
    "check",
    "floor_refusal",
    "format_holds",
    "hands_open_rounds",
    "is_muted",
    "join_refusal",
    "leads_itself",
    "may_join_locked",
    "may_post_in_part",
    "name_in_use",
    "parks",
    "runs_itself",
]


class ShareEndHow(StrEnum):
    """`share.ended` `how` (protocol.md §4.2)."""

    DONE = "done"
    TIME = "time"
    SKIPPED = "skipped"
    PASSED = "passed"
    DISCONNECTED = "disconnected"
    LEFT = "left"


class LeaveReason(StrEnum):
    """`member.left` `reason` (protocol.md §4.1)."""

    LEFT = "left"
    TIMEOUT = "timeout"
    REMOVED = "removed"
    BANNED = "banned"


# --- who may send what --------------------------------------------------------------------

_ANYONE_SEATED = frozenset({Role.MEMBER, Role.FACILITATOR})
_FACILITATORS = frozenset({Role.FACILITATOR})

# fmt: off
REQUIRED_ROLE: dict[type[Command], frozenset[Role]] = {
    **dict.fromkeys(
        (c.RaiseHand, c.LowerHand, c.Pass, c.ShareDone, c.SetListenOnly, c.Report,
         c.MilestoneSet, c.MilestoneClear),
        _ANYONE_SEATED,
    ),
    **dict.fromkeys(
        (
            c.OpenRound, c.EndRound, c.PauseRound, c.ResumeRound, c.Extend, c.Skip,
            c.QueueMove, c.QueueRemove, c.SetMode, c.Mute, c.Unmute, c.AssignListenOnly,
            c.Remove, c.Ban, c.RemoveMessage, c.SetLock, c.SetSlow, c.AddFacilitator,
            c.Handover, c.SetLobby, c.Admit, c.Deny, c.PauseRoom, c.UnpauseRoom, c.ResetRoom,
            c.PartNext, c.PartGoto, c.FormatEnd, c.MilestoneCelebrate,
        ),
        _FACILITATORS,
    ),
}
# fmt: on
"""Roles that may send each command a person can send (anyone else: `not_facilitator`)."""

SYSTEM_COMMANDS: tuple[type[Command], ...] = (
    c.Join,
    c.Leave,
    c.Disconnected,
    c.Reconnected,
    c.Tick,
)
"""Commands only the server sends, with `actor=None` (a person sending them: `not_allowed`)."""

ALL_COMMANDS: tuple[type[Command], ...] = (*REQUIRED_ROLE, *SYSTEM_COMMANDS)

# --- which commands each room mode allows ---------------------------------------------------

_NEEDS_ROUND = frozenset({c.EndRound, c.PauseRound, c.ResumeRound, c.Extend, c.Skip, c.ShareDone})

ALLOWED_IN_MODE: dict[Mode, frozenset[type[Command]]] = {
    Mode.OPEN: frozenset(ALL_COMMANDS) - _NEEDS_ROUND,
    Mode.ROUND: frozenset(ALL_COMMANDS) - {c.OpenRound},
    # A listen-only room is listening: nobody queues to speak until a facilitator opens a round.
    Mode.LISTEN_ONLY: frozenset(ALL_COMMANDS) - _NEEDS_ROUND - {c.RaiseHand},
}
"""The commands each mode (`meeting.mode`) accepts."""

MODE_REFUSAL: dict[type[Command], Refusal] = {
    **dict.fromkeys(_NEEDS_ROUND, Refusal.NO_ROUND),
    c.OpenRound: Refusal.ROUND_RUNNING,
    c.RaiseHand: Refusal.LISTEN_ONLY,
}
"""The refusal for a command its mode does not allow."""

# --- field ranges ---------------------------------------------------------------------------

_MID = (1, 2**53 - 1)
"""A message id is the seq of its `chat.message` event; seqs start at 1."""

NUMBER_BOUNDS: dict[type[Command], dict[str, tuple[int, int]]] = {
    c.OpenRound: {"share_seconds": (30, 1200)},
    c.Extend: {"seconds": (10, 600)},
    c.Mute: {"seconds": (10, 86_400)},
    c.Ban: {"seconds": (60, 604_800)},
    c.SetSlow: {"seconds": (0, 3600)},
    c.QueueMove: {"position": (0, 1_000_000)},
    c.PartGoto: {"index": (0, 29)},
    # "Today is N days": any count a member chooses, up to a hundred years.
    c.MilestoneSet: {"days": (1, 36_500)},
    c.RemoveMessage: {"mid": _MID},
    c.Report: {"mid": _MID},
}
"""Inclusive ranges of integer fields (None means "the default" and is not checked)."""

_WORDS = (0, 200)
"""A topic or a reason: optional, short."""
_ID = (1, 64)
"""A member id or a lobby ticket that a facilitator names (the server's own are far shorter)."""

TEXT_LIMITS: dict[type[Command], dict[str, tuple[int, int]]] = {
    c.OpenRound: {"topic": _WORDS},
    c.QueueMove: {"member": _ID},
    c.QueueRemove: {"member": _ID},
    c.Mute: {"member": _ID},
    c.Unmute: {"member": _ID},
    c.AssignListenOnly: {"member": _ID},
    c.Remove: {"member": _ID, "reason": _WORDS},
    c.Ban: {"member": _ID, "reason": _WORDS},
    c.AddFacilitator: {"member": _ID},
    c.Handover: {"member": _ID},
    c.Admit: {"ticket": _ID},
    c.Deny: {"ticket": _ID},
    c.Report: {"reason": _WORDS},
    c.MilestoneCelebrate: {"member": _ID},
}
"""Inclusive ranges of text fields' lengths, in characters.

Every integer and text field a client sends has a row in `NUMBER_BOUNDS`, `TEXT_LIMITS` or
`CHOICES`: the server builds each command's wire schema from these tables (server/commands.py),
so a new command's limits are written here once."""

CHOICES: dict[type[Command], dict[str, frozenset[str]]] = {
    c.OpenRound: {"order": frozenset(Order)},
    c.SetMode: {"mode": frozenset({Mode.OPEN, Mode.LISTEN_ONLY})},
}
"""Fields that take one of a few values."""

# --- what the target member must be -------------------------------------------------------


class Target(StrEnum):
    """A condition on the member a facilitator command acts on."""

    SEATED = "seated (away is fine)"
    PRESENT = "present (not away)"
    NOT_FACILITATOR = "not a facilitator"
    NOT_SELF = "not the sender"
    QUEUED = "in the queue"


TARGET_CHECKS: dict[type[Command], tuple[Target, ...]] = {
    c.QueueMove: (Target.QUEUED,),
    c.QueueRemove: (Target.QUEUED,),
    c.Mute: (Target.SEATED, Target.NOT_FACILITATOR),
    c.Unmute: (Target.SEATED,),
    c.AssignListenOnly: (Target.SEATED, Target.NOT_FACILITATOR),
    c.Remove: (Target.SEATED, Target.NOT_FACILITATOR),
    c.Ban: (Target.SEATED, Target.NOT_FACILITATOR),
    c.AddFacilitator: (Target.SEATED, Target.NOT_FACILITATOR),
    # Handing over is the one facilitator command aimed at a fellow facilitator that is allowed.
    c.Handover: (Target.SEATED, Target.PRESENT, Target.NOT_SELF),
    c.MilestoneCelebrate: (Target.SEATED,),
}
"""Checked in order; the first that fails refuses with `TARGET_REFUSAL`."""

TARGET_REFUSAL: dict[Target, tuple[Refusal, str]] = {
    Target.SEATED: (Refusal.NOT_PRESENT, "That member is not in the room."),
    Target.PRESENT: (Refusal.NOT_PRESENT, "That member is away right now."),
    Target.NOT_FACILITATOR: (Refusal.NOT_ALLOWED, "That does not apply to a facilitator."),
    Target.NOT_SELF: (Refusal.NOT_ALLOWED, "That does not apply to yourself."),
    Target.QUEUED: (Refusal.NOT_IN_QUEUE, "That member is not in the queue."),
}

# --- people rules: ordered checks, the first that holds refuses ----------------------------


@dataclass(frozen=True, slots=True)
class PersonRule:
    """One row of an ordered rule list: `when` holds → refuse with `refusal`."""

    when: str
    """The condition in words, for docs/facilitation.md."""
    refusal: Refusal
    detail: str
    applies: Callable[[MeetingState, Actor, Participant | None, float], bool]


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
    PersonRule("the sender is listen-only", Refusal.LISTEN_ONLY,
               "You are in listen-only mode.",
               lambda s, a, w, now: w is not None and w.listen_only),
    PersonRule("the sender is muted", Refusal.MUTED,
               "A facilitator muted you for a while.",
               lambda s, a, w, now: w is not None and is_muted(w, now)),
    PersonRule("the room is `listen_only` and the sender is not a facilitator", Refusal.LISTEN_ONLY,
               "Only facilitators post in this room right now.",
               lambda s, a, w, now: s.mode is Mode.LISTEN_ONLY and not _facilitates(w)),
    PersonRule("a round runs and the sender neither holds the floor nor facilitates",
               Refusal.NOT_YOUR_TURN,
               "Someone else is sharing; you can post when the floor is yours.",
               lambda s, a, w, now: s.round is not None and s.speaker() != a.member
               and not _facilitates(w)),
)
"""Who may post (protocol.md §3.4); facilitators are also exempt from slow mode."""

FLOOR_RULES: tuple[PersonRule, ...] = (
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


def _facilitates(who: Participant | None) -> bool:
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


# --- what happens to shares and rounds ----------------------------------------------------

SHARE_END_HOW: dict[type[Command], ShareEndHow] = {
    c.ShareDone: ShareEndHow.DONE,
    c.Pass: ShareEndHow.PASSED,
    c.SetListenOnly: ShareEndHow.PASSED,
    c.Skip: ShareEndHow.SKIPPED,
    c.EndRound: ShareEndHow.SKIPPED,
    c.Mute: ShareEndHow.SKIPPED,
    c.AssignListenOnly: ShareEndHow.SKIPPED,
    c.Remove: ShareEndHow.SKIPPED,
    c.Ban: ShareEndHow.SKIPPED,
    c.PauseRoom: ShareEndHow.SKIPPED,
    c.Leave: ShareEndHow.LEFT,
}
"""How the current share ends when a command takes the speaker off the floor.

The clock ends shares too: `time` at the end of the share, `disconnected` when the speaker's
grace period (or seat hold) runs out (see deadlines.py)."""

ENDS_WHEN_QUEUE_EMPTY: dict[Order, bool] = {Order.HANDS: False, Order.ROUND_ROBIN: True}
"""Whether a round ends by itself once the floor is free and the queue empty.

Self-led rounds always do (nobody would be there to end them)."""

# fmt: off
MODERATION_ACTIONS: frozenset[type[Command]] = frozenset({
    c.SetMode, c.Mute, c.Unmute, c.AssignListenOnly, c.Remove, c.Ban, c.RemoveMessage,
    c.SetLock, c.SetSlow, c.AddFacilitator, c.Handover, c.SetLobby, c.Admit, c.Deny,
    c.PauseRoom, c.UnpauseRoom, c.ResetRoom,
})
# fmt: on
"""Commands that also log a facilitators-only `moderation` event (`action` = the wire name)."""

RAID_SLOW_SECONDS = 15
"""Raid protection raises slow mode to at least this."""

# --- who may join, and the lobby --------------------------------------------------------------

LOBBY_MAX_WAITING = 50
"""At most this many newcomers wait in one room's lobby (the next gets `lobby_full`).

A facilitator looks at each waiting person one by one, so a longer list is never worked
through; and the waiting list is part of the room's state, read on every command, so a flood
of joins must not grow it without end (issue 13: 20 sockets made 2,000 entries in 4 s)."""


def parks(state: MeetingState, join: c.Join) -> bool:
    """The joiner waits in the lobby rather than being seated: the lobby is on (perhaps just
    turned on by this very join's raid count) and they are not a facilitator."""
    return state.lobby and not join.facilitator


def name_in_use(state: MeetingState, name_key: str, member: str) -> bool:
    """Whether someone else is seated with that folded name (waiting names are not reserved:
    a clash is settled when the newcomer is admitted, see lobby.admit)."""
    return any(p.name_key == name_key and p.member != member for p in state.participants)


@dataclass(frozen=True, slots=True)
class JoinRule:
    """One row of `JOIN_RULES`: `when` holds → refuse the join with `refusal`."""

    when: str
    refusal: Refusal
    detail: str
    applies: Callable[[MeetingState, c.Join], bool]


# fmt: off
JOIN_RULES: tuple[JoinRule, ...] = (
    JoinRule("the room is locked and the joiner is not a facilitator", Refusal.ROOM_LOCKED,
             "The room takes no new joins right now.",
             lambda s, j: not may_join_locked(s, facilitator=j.facilitator)),
    # With the lobby on, names are not checked at the door: an outsider must not learn who is
    # in the room by trying names (issue 13). Everyone waits; names are settled at admission.
    JoinRule("the joiner would be seated now and someone seated has the same folded name",
             Refusal.NAME_TAKEN, "Someone in the room has that name right now.",
             lambda s, j: not parks(s, j) and name_in_use(s, j.name_key, j.member)),
    JoinRule("the joiner would wait and `LOBBY_MAX_WAITING` newcomers wait already",
             Refusal.LOBBY_FULL, "The waiting room is full right now; please try again later.",
             lambda s, j: parks(s, j) and len(s.waiting) >= LOBBY_MAX_WAITING),
)
# fmt: on
"""Who may join, checked after the ban check and after the join is counted for raids (a
refused join changes nothing, so it never counts); first matching row refuses."""


def join_refusal(state: MeetingState, join: c.Join) -> Refused | None:
    for rule in JOIN_RULES:
        if rule.applies(state, join):
            return Refused(rule.refusal, rule.detail)
    return None


# --- milestones and fairness: kept in the meeting state only (milestones.py, fairness.py) --


class Tally(StrEnum):
    """What an ended share adds to the speaker's turns in the facilitators' fairness view."""

    SHARE = "a share (and its length)"
    PASS = "a pass"  # noqa: S105 (a turn passed, not a password)


TURN_COUNTS_AS: dict[ShareEndHow, Tally] = {
    ShareEndHow.DONE: Tally.SHARE,
    ShareEndHow.TIME: Tally.SHARE,
    ShareEndHow.SKIPPED: Tally.SHARE,
    ShareEndHow.DISCONNECTED: Tally.SHARE,
    ShareEndHow.LEFT: Tally.SHARE,
    ShareEndHow.PASSED: Tally.PASS,
}
"""How each way a share ends counts. Passing from the queue while a round runs is a pass too."""

TURNS_FORGOTTEN: tuple[str, ...] = (
    "the member leaves the room (or is removed, or their seat hold runs out): theirs",
    "the last participant leaves: everyone's",
    "a facilitator or the clock starts a format's first part with no part running: everyone's",
    "the meeting leaves its format (`format.ended`): everyone's, milestones too",
)
"""When turns and milestones are dropped from the meeting state (they are never stored
elsewhere); a member's milestone also goes when they take it back (`milestone.clear`)."""

CELEBRATING_PARTS: frozenset[PartKind] = frozenset({PartKind.CLOSING})
"""Parts whose start celebrates every milestone not yet celebrated (`milestone.celebrated`)."""

# --- logic that does not fit a table --------------------------------------------------------


def banned(state: MeetingState, marks: frozenset[str], now: float) -> bool:
    """Whether any of `marks` is under a ban (or removal) in force at `now`."""
    return ban_refusal(state, marks, now) is not None


def ban_refusal(state: MeetingState, marks: frozenset[str], now: float) -> Refused | None:
    """The refusal for someone whose marks are under a ban or a removal, else None."""
    for ban in state.bans:
        if ban.until > now and not ban.marks.isdisjoint(marks):
            if ban.removal:
                return Refused(Refusal.REMOVED, "A facilitator removed you from this room.")
            return Refused(Refusal.BANNED, "You are banned from this room for now.")
    return None


def leads_itself(state: MeetingState) -> bool:
    """A self-led room with no facilitator present runs its own rounds (see self_led.py)."""
    return state.settings.self_led and not state.facilitator_present()


def may_join_locked(state: MeetingState, *, facilitator: bool) -> bool:
    """A locked room refuses new joins, except facilitators (who may be needed to unlock it)."""
    return facilitator or not state.locked


class _HasMember(Protocol):
    @property
    def member(self) -> str: ...


_MODE_DETAIL: dict[Refusal, str] = {
    Refusal.NO_ROUND: "No share round is running.",
    Refusal.ROUND_RUNNING: "A share round is already running.",
    Refusal.LISTEN_ONLY: "The room is listening; hands wait for a round.",
}


def check(state: MeetingState, command: Command, actor: Actor | None) -> Refused | None:
    """Apply the tables above, in the order in the module docstring.

    Returns:
        The first refusal, or None when the command may go on to its effect.
    """
    kind = type(command)
    if actor is not None and actor.observer:
        return Refused(Refusal.OBSERVER, "Observers listen; they cannot do that.")
    refused = _sender_refusal(state, kind, actor) or _field_refusal(command)
    if refused is not None:
        return refused
    if kind not in ALLOWED_IN_MODE[state.mode]:
        code = MODE_REFUSAL[kind]
        return Refused(code, _MODE_DETAIL[code])
    if kind in TARGET_CHECKS and actor is not None:
        target = cast(_HasMember, command).member
        return _target_refusal(state, TARGET_CHECKS[kind], target, actor.member)
    return None


def _sender_refusal(
    state: MeetingState, kind: type[Command], actor: Actor | None
) -> Refused | None:
    if kind in SYSTEM_COMMANDS:
        return None if actor is None else Refused(Refusal.NOT_ALLOWED, "Only the server does that.")
    who = None if actor is None else state.participant(actor.member)
    if who is None or who.away:
        return Refused(Refusal.NOT_JOINED, "Join the room first.")
    if who.role not in REQUIRED_ROLE[kind]:
        return Refused(Refusal.NOT_FACILITATOR, "Only facilitators can do that.")
    return None


def _field_refusal(command: Command) -> Refused | None:
    kind = type(command)
    for name, (low, high) in NUMBER_BOUNDS.get(kind, {}).items():
        value = getattr(command, name)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            return Refused(Refusal.BAD_REQUEST, f"`{name}` must be a whole number {low}-{high}.")
    for name, (low, high) in TEXT_LIMITS.get(kind, {}).items():
        value = getattr(command, name)
        if not isinstance(value, str) or not low <= len(value) <= high:
            return Refused(Refusal.BAD_REQUEST, f"`{name}` must have {low}-{high} characters.")
    for name, options in CHOICES.get(kind, {}).items():
        if getattr(command, name) not in options:
            return Refused(Refusal.BAD_REQUEST, f"`{name}` must be one of {sorted(options)}.")
    return None


def _target_refusal(
    state: MeetingState, checks: tuple[Target, ...], member: str, sender: str
) -> Refused | None:
    who = state.participant(member)
    failing: Mapping[Target, bool] = {
        Target.SEATED: who is None,
        Target.PRESENT: who is None or who.away,
        Target.NOT_FACILITATOR: who is not None and who.is_facilitator,
        Target.NOT_SELF: member == sender,
        Target.QUEUED: member not in state.queue,
    }
    for condition in checks:
        if failing[condition]:
            code, detail = TARGET_REFUSAL[condition]
            return Refused(code, detail)
    return None


# --- meeting formats: what each part lets people do (formats.py holds the data) -------------


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
    return runs_itself(state) and part is not None and part.posting in ORDER_BY_POSTING
