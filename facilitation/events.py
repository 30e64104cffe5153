"""Events: what happened, as frozen values, and their wire form.

Each event class carries `NAME` (the protocol's `event`, docs/protocol.md §4) and `AUDIENCE`
(`"all"`, or `"facilitators"` for the ones everyone else receives as `hidden`). Fields hold
typed values (seconds as floats, enums, view snapshots); `to_wire()` turns them into the
protocol's JSON-ready fields: times become integer milliseconds and a few fields are renamed
(`field(metadata=...)` says which). No moderation event ever carries message text; only
`report.filed` does, by design.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import Enum
from typing import ClassVar, Literal

from facilitation.fairness import FairnessView, TendingView
from facilitation.rules import LeaveReason, ShareEndHow
from facilitation.state import Order
from facilitation.views import MeetingView, MemberView, PartView, ms

__all__ = [
    "Audience",
    "ChatRemoved",
    "Event",
    "FairnessChanged",
    "FloorGranted",
    "FormatEnded",
    "HandLowered",
    "HandRaised",
    "LobbyAdmitted",
    "LobbyDenied",
    "LobbyWaiting",
    "MeetingStateChanged",
    "MemberAway",
    "MemberBack",
    "MemberJoined",
    "MemberLeft",
    "MemberUpdated",
    "MilestoneCelebrated",
    "MilestoneCleared",
    "MilestoneMarked",
    "Moderation",
    "PartStarted",
    "RaidAlert",
    "RaidSettled",
    "ReportFiled",
    "RoomReset",
    "RoundEnded",
    "RoundOpened",
    "RoundPaused",
    "RoundResumed",
    "ShareEnded",
    "ShareExtended",
    "ShareWarning",
    "TendingShared",
    "to_wire",
]

Audience = Literal["all", "facilitators"]


# Field metadata read by `to_wire`: "ms" sends seconds as integer milliseconds; "wire" renames.
_MS: dict[str, object] = {"ms": True}


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every event."""

    NAME: ClassVar[str]
    AUDIENCE: ClassVar[Audience] = "all"


# --- presence (§4.1) -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberJoined(Event):
    NAME = "member.joined"
    member: MemberView


@dataclass(frozen=True, slots=True)
class MemberUpdated(Event):
    """Role, listen-only or mute changed; carries the whole member object after the change."""

    NAME = "member.updated"
    member: MemberView


@dataclass(frozen=True, slots=True)
class MemberAway(Event):
    NAME = "member.away"
    member: str


@dataclass(frozen=True, slots=True)
class MemberBack(Event):
    NAME = "member.back"
    member: str


@dataclass(frozen=True, slots=True)
class MemberLeft(Event):
    """Also tells the server to close the person's sockets when `reason` is removed/banned."""

    NAME = "member.left"
    member: str
    reason: LeaveReason


@dataclass(frozen=True, slots=True)
class ChatRemoved(Event):
    NAME = "chat.removed"
    mid: int


@dataclass(frozen=True, slots=True)
class RoomReset(Event):
    NAME = "room.reset"


# --- meeting (§4.2) -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeetingStateChanged(Event):
    """The public view after a change; at most one per decision, always last."""

    NAME = "meeting.state"
    meeting: MeetingView


@dataclass(frozen=True, slots=True)
class RoundOpened(Event):
    NAME = "round.opened"
    topic: str
    share_seconds: int
    order: Order
    by: str | None
    """The facilitator, or None for a self-led round."""


@dataclass(frozen=True, slots=True)
class RoundEnded(Event):
    NAME = "round.ended"
    by: str | None
    """The facilitator, or None when the round ended by itself."""


@dataclass(frozen=True, slots=True)
class RoundPaused(Event):
    NAME = "round.paused"
    by: str


@dataclass(frozen=True, slots=True)
class RoundResumed(Event):
    NAME = "round.resumed"
    by: str


@dataclass(frozen=True, slots=True)
class HandRaised(Event):
    NAME = "hand.raised"
    member: str


@dataclass(frozen=True, slots=True)
class HandLowered(Event):
    """A member left the queue while staying seated (lowered, passed, skipped when away...)."""

    NAME = "hand.lowered"
    member: str


@dataclass(frozen=True, slots=True)
class FloorGranted(Event):
    NAME = "floor.granted"
    member: str
    ends_at: float = field(metadata=_MS)


@dataclass(frozen=True, slots=True)
class ShareWarning(Event):
    NAME = "share.warning"
    member: str
    remaining: float = field(metadata={"ms": True, "wire": "remaining_ms"})


@dataclass(frozen=True, slots=True)
class ShareExtended(Event):
    NAME = "share.extended"
    member: str
    ends_at: float = field(metadata=_MS)
    by: str


@dataclass(frozen=True, slots=True)
class ShareEnded(Event):
    NAME = "share.ended"
    member: str
    how: ShareEndHow


@dataclass(frozen=True, slots=True)
class PartStarted(Event):
    """The meeting entered a part of its format; clients show (the server posts) its text."""

    NAME = "part.started"
    part: PartView
    by: str | None
    """The facilitator, or None when the format moved on by itself."""


@dataclass(frozen=True, slots=True)
class FormatEnded(Event):
    """The meeting left its format (after the last part, or a facilitator stopped it)."""

    NAME = "format.ended"
    by: str | None


@dataclass(frozen=True, slots=True)
class MilestoneCelebrated(Event):
    """A member's milestone, celebrated in the room (by a facilitator, or a closing part)."""

    NAME = "milestone.celebrated"
    member: str
    days: int
    by: str | None
    """The facilitator, or None when a closing part started."""


# --- facilitators only (§4.4) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Moderation(Event):
    """The moderation log. Never message text: `value` is a setting, a reason, a ticket or a mid."""

    NAME = "moderation"
    AUDIENCE = "facilitators"
    action: str
    """The command's wire name (`mute`, `lock.set`...)."""
    by: str | None
    """The facilitator, or None for raid protection."""
    target: str | None = None
    until: float | None = field(default=None, metadata=_MS)
    value: int | bool | str | None = None


@dataclass(frozen=True, slots=True)
class ReportFiled(Event):
    NAME = "report.filed"
    AUDIENCE = "facilitators"
    mid: int
    from_member: str = field(metadata={"wire": "from"})
    about: str
    about_name: str
    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class LobbyWaiting(Event):
    NAME = "lobby.waiting"
    AUDIENCE = "facilitators"
    ticket: str
    name: str


@dataclass(frozen=True, slots=True)
class LobbyAdmitted(Event):
    """The server seats the waiting connection `ticket` as `member`."""

    NAME = "lobby.admitted"
    AUDIENCE = "facilitators"
    ticket: str
    member: str


@dataclass(frozen=True, slots=True)
class LobbyDenied(Event):
    """The server turns the waiting connection away (denied, expired, or it left)."""

    NAME = "lobby.denied"
    AUDIENCE = "facilitators"
    ticket: str


@dataclass(frozen=True, slots=True)
class RaidAlert(Event):
    """A raid was detected (raid.py). `self_led`: no facilitator was present, so the room went
    into quiet mode and the server raises an on-call alert; false: the lobby went on."""

    NAME = "raid.alert"
    AUDIENCE = "facilitators"
    joins: int
    window_seconds: float
    self_led: bool = False


@dataclass(frozen=True, slots=True)
class RaidSettled(Event):
    """Quiet mode ended by itself; the server withdraws its on-call alert (`settled`)."""

    NAME = "raid.settled"
    slow_seconds: int
    """Slow mode now (given back, or as a facilitator set it meanwhile)."""


@dataclass(frozen=True, slots=True)
class MilestoneMarked(Event):
    """A member marked (or changed) their milestone for this meeting."""

    NAME = "milestone.marked"
    AUDIENCE = "facilitators"
    member: str
    days: int


@dataclass(frozen=True, slots=True)
class MilestoneCleared(Event):
    """A member took their milestone back."""

    NAME = "milestone.cleared"
    AUDIENCE = "facilitators"
    member: str


@dataclass(frozen=True, slots=True)
class FairnessChanged(Event):
    """Who had turns in this meeting changed: the whole tally (fairness.py), no content."""

    NAME = "fairness"
    AUDIENCE = "facilitators"
    turns: FairnessView


@dataclass(frozen=True, slots=True)
class TendingShared(Event):
    """Someone became a facilitator mid-meeting: facilitators get all they hold (the tally and
    the milestones), as a facilitator's join ack has it, so the newcomer sees it at once."""

    NAME = "tending"
    AUDIENCE = "facilitators"
    tending: TendingView


# --- wire form --------------------------------------------------------------------------------


def to_wire(event: Event) -> dict[str, object]:
    """`{"event": NAME, ...fields}` with JSON- and msgpack-ready values.

    Times are integer milliseconds; member objects and the meeting view use their protocol
    shapes; enums become their string values.
    """
    out: dict[str, object] = {"event": event.NAME}
    for f in fields(event):
        value = getattr(event, f.name)
        name = f.metadata.get("wire") or f.name
        if f.metadata.get("ms") and value is not None:
            out[name] = ms(value)
        else:
            out[name] = _plain(value)
    return out


def _plain(value: object) -> object:
    if isinstance(value, MemberView | MeetingView | PartView | FairnessView | TendingView):
        return value.to_wire()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
