"""Rule 1: whether a command is allowed at all lives in this module.

The meeting's rules are written as data so that docs/facilitation.md can be generated from them
(`python -m facilitation.doc_table --write`) and a test fails when the two disagree. They are
split by what they decide:

- this module: who may send each command, which room mode allows it, its field ranges, what
  its target must be, and how it ends a share; `check()` applies these;
- speaking_rules.py: who may post a chat message and who may raise a hand;
- join_rules.py: who may join a room, bans, and the lobby;
- raid_rules.py: what a raid does, with or without a facilitator present (quiet mode);
- part_rules.py: what each part of a meeting format lets people do;
- tally_rules.py: what the meeting counts for fairness, and milestones;
- voice_rules.py: who may be heard by voice (checked on every audio frame).

`check()` applies this module's tables in a fixed order:

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

from collections.abc import Mapping
from enum import StrEnum
from typing import Protocol, cast

from facilitation import commands as c
from facilitation.commands import Actor, Command
from facilitation.errors import Refusal, Refused
from facilitation.state import MeetingState, Mode, Order, Role

__all__ = [
    "ALLOWED_IN_MODE",
    "ALL_COMMANDS",
    "CHOICES",
    "ENDS_WHEN_QUEUE_EMPTY",
    "MODERATION_ACTIONS",
    "MODE_REFUSAL",
    "NUMBER_BOUNDS",
    "REQUIRED_ROLE",
    "SHARE_END_HOW",
    "SYSTEM_COMMANDS",
    "TARGET_CHECKS",
    "TARGET_REFUSAL",
    "TEXT_LIMITS",
    "LeaveReason",
    "ShareEndHow",
    "Target",
    "check",
    "leads_itself",
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

# --- logic that does not fit a table --------------------------------------------------------


def leads_itself(state: MeetingState) -> bool:
    """A self-led room with no facilitator present runs its own rounds (see self_led.py)."""
    return state.settings.self_led and not state.facilitator_present()


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
