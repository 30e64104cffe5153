"""Commands: what someone (or the server itself) asks the meeting to do.

One frozen dataclass per command. `WIRE` is the protocol's command `type` (docs/protocol.md §3)
or None for the commands only the server sends (presence and the clock). Commands are checked
by the engine, not here: a command object may hold out-of-range values, and `decide` refuses
them with `bad_request`, so the server can build commands straight from decoded frames.

The server derives each command's wire schema from these dataclasses and the tables in
rules.py (server/commands.py): each field is a wire field of the same name, required unless it
has a default. Fields marked `SERVER_FILLS` are the exception: the server fills them, and a
frame that carries one is refused.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar, Final

from facilitation.state import Mode, Order

__all__ = [
    "SERVER_FILLS",
    "Actor",
    "AddFacilitator",
    "Admit",
    "AssignListenOnly",
    "Ban",
    "Command",
    "Deny",
    "Disconnected",
    "EndRound",
    "Extend",
    "FormatEnd",
    "Handover",
    "Join",
    "Leave",
    "LowerHand",
    "MilestoneCelebrate",
    "MilestoneClear",
    "MilestoneSet",
    "Mute",
    "OpenRound",
    "PartGoto",
    "PartNext",
    "Pass",
    "PauseRoom",
    "PauseRound",
    "QueueMove",
    "QueueRemove",
    "RaiseHand",
    "Reconnected",
    "Remove",
    "RemoveMessage",
    "Report",
    "ResetRoom",
    "ResumeRound",
    "SetListenOnly",
    "SetLobby",
    "SetLock",
    "SetMode",
    "SetSlow",
    "ShareDone",
    "Skip",
    "Tick",
    "Unmute",
    "UnpauseRoom",
    "client_fields",
]

SERVER_FILLS: Final = MappingProxyType({"server_fills": True})
"""Field metadata: the server fills this field itself; it is no wire field, so needs a default."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who sends a command; `decide` takes None for the server itself (presence, clock)."""

    member: str
    """The sender's member id."""
    observer: bool = False
    """Observers are not participants; everything they send is refused with `observer`."""


@dataclass(frozen=True, slots=True)
class Command:
    """Base of every command."""

    WIRE: ClassVar[str | None] = None


def client_fields(kind: type[Command]) -> tuple[dataclasses.Field[object], ...]:
    """The fields of `kind` that a client sends (all but those marked `SERVER_FILLS`)."""
    return tuple(f for f in dataclasses.fields(kind) if not f.metadata.get("server_fills"))


# --- member commands (protocol.md §3.2-3.3) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class RaiseHand(Command):
    WIRE = "hand.raise"


@dataclass(frozen=True, slots=True)
class LowerHand(Command):
    WIRE = "hand.lower"


@dataclass(frozen=True, slots=True)
class Pass(Command):
    WIRE = "pass"


@dataclass(frozen=True, slots=True)
class ShareDone(Command):
    WIRE = "share.done"


@dataclass(frozen=True, slots=True)
class SetListenOnly(Command):
    WIRE = "listen_only.set"
    on: bool


@dataclass(frozen=True, slots=True)
class Report(Command):
    """A member reports a message; the server fills `about`, `about_name` and `text`."""

    WIRE = "report"
    mid: int
    about: str = field(default="", metadata=SERVER_FILLS)
    """The reported message's sender (member id)."""
    about_name: str = field(default="", metadata=SERVER_FILLS)
    text: str = field(default="", metadata=SERVER_FILLS)
    """The reported message itself, from the replay window."""
    reason: str = ""


# --- facilitator commands (protocol.md §3.4) ----------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenRound(Command):
    WIRE = "round.open"
    topic: str = ""
    share_seconds: int | None = None
    """None means the room's default share length."""
    order: Order = Order.HANDS
    unshared_first: bool = False
    """A round-robin round starts with those who have not shared in this meeting yet."""


@dataclass(frozen=True, slots=True)
class EndRound(Command):
    WIRE = "round.end"


@dataclass(frozen=True, slots=True)
class PauseRound(Command):
    WIRE = "round.pause"


@dataclass(frozen=True, slots=True)
class ResumeRound(Command):
    WIRE = "round.resume"


@dataclass(frozen=True, slots=True)
class Extend(Command):
    WIRE = "share.extend"
    seconds: int = 60


@dataclass(frozen=True, slots=True)
class Skip(Command):
    WIRE = "share.skip"


@dataclass(frozen=True, slots=True)
class QueueMove(Command):
    WIRE = "queue.move"
    member: str
    position: int
    """0-based; positions past the end move the member to the end."""


@dataclass(frozen=True, slots=True)
class QueueRemove(Command):
    WIRE = "queue.remove"
    member: str


@dataclass(frozen=True, slots=True)
class SetMode(Command):
    WIRE = "mode.set"
    mode: Mode


@dataclass(frozen=True, slots=True)
class Mute(Command):
    WIRE = "mute"
    member: str
    seconds: int


@dataclass(frozen=True, slots=True)
class Unmute(Command):
    WIRE = "unmute"
    member: str


@dataclass(frozen=True, slots=True)
class AssignListenOnly(Command):
    WIRE = "listen_only.assign"
    member: str
    on: bool


@dataclass(frozen=True, slots=True)
class Remove(Command):
    WIRE = "remove"
    member: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Ban(Command):
    WIRE = "ban"
    member: str
    seconds: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RemoveMessage(Command):
    WIRE = "message.remove"
    mid: int


@dataclass(frozen=True, slots=True)
class SetLock(Command):
    WIRE = "lock.set"
    on: bool


@dataclass(frozen=True, slots=True)
class SetSlow(Command):
    WIRE = "slow.set"
    seconds: int


@dataclass(frozen=True, slots=True)
class AddFacilitator(Command):
    WIRE = "facilitator.add"
    member: str


@dataclass(frozen=True, slots=True)
class Handover(Command):
    WIRE = "facilitator.handover"
    member: str


@dataclass(frozen=True, slots=True)
class SetLobby(Command):
    WIRE = "lobby.set"
    on: bool


@dataclass(frozen=True, slots=True)
class Admit(Command):
    WIRE = "lobby.admit"
    ticket: str


@dataclass(frozen=True, slots=True)
class Deny(Command):
    WIRE = "lobby.deny"
    ticket: str


@dataclass(frozen=True, slots=True)
class PauseRoom(Command):
    WIRE = "room.pause"


@dataclass(frozen=True, slots=True)
class UnpauseRoom(Command):
    WIRE = "room.unpause"


@dataclass(frozen=True, slots=True)
class ResetRoom(Command):
    WIRE = "room.reset"


# --- presence and clock: sent by the server itself (actor None) --------------------------


@dataclass(frozen=True, slots=True)
class Join(Command):
    """Someone asks for a seat. `ticket` is a fresh id for the lobby, used if they must wait."""

    member: str
    name: str
    name_key: str
    facilitator: bool = False
    marks: frozenset[str] = frozenset()
    ticket: str = ""
    new_source: bool = True
    """The join comes from a network the node has not seen join this room within the raid
    window: only such joins count towards raid protection (the node keeps that memory)."""
    alternates: tuple[tuple[str, str], ...] = ()
    """(name, folded name) pairs to seat a waiting newcomer under if their name is taken by
    the time they are admitted (the server folds names; the engine only picks a free one)."""


@dataclass(frozen=True, slots=True)
class Leave(Command):
    """The member left on purpose (or a lobby ticket's connection went away)."""

    member: str


@dataclass(frozen=True, slots=True)
class Disconnected(Command):
    """The member's last connection dropped; their seat is held."""

    member: str


@dataclass(frozen=True, slots=True)
class Reconnected(Command):
    member: str


@dataclass(frozen=True, slots=True)
class Tick(Command):
    """Fire the deadlines that are due; the server sends it at `next_deadline(state)`."""


# --- meeting formats (protocol.md §3.5; parts.py) ----------------------------------------


@dataclass(frozen=True, slots=True)
class PartNext(Command):
    """Move to the next part of the room's format (with no part running: start at the first;
    after the last: the meeting ends)."""

    WIRE = "part.next"


@dataclass(frozen=True, slots=True)
class PartGoto(Command):
    """Move to the part at `index` (0-based), skipping or going back."""

    WIRE = "part.goto"
    index: int


@dataclass(frozen=True, slots=True)
class FormatEnd(Command):
    """Stop following the format: the meeting leaves its parts (any round ends)."""

    WIRE = "format.end"


# --- milestones (protocol.md §3.6; milestones.py) ----------------------------------------


@dataclass(frozen=True, slots=True)
class MilestoneSet(Command):
    """Mark "today is `days` days" for this meeting only (facilitators see it; it is
    celebrated by a facilitator or when a closing part starts)."""

    WIRE = "milestone.set"
    days: int


@dataclass(frozen=True, slots=True)
class MilestoneClear(Command):
    """Take your milestone back."""

    WIRE = "milestone.clear"


@dataclass(frozen=True, slots=True)
class MilestoneCelebrate(Command):
    """A facilitator celebrates a member's milestone in the room."""

    WIRE = "milestone.celebrate"
    member: str
