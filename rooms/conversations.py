"""Private conversations as rules and values: who may open one, who may speak in it, what the
member is told, and what each side is sent. Pure: no I/O, no clock (`now` is passed in).

One kind of conversation, two ways to open it (docs/protocol.md §3.5):

- **crisis**: a member or an observer seated in a room asks to talk to someone now; the other
  party is whichever on-call staff member takes the CRISIS alert (none until then);
- **word**: a facilitator in a room opens a private word with a member seated in that room.

Rule 1: who may open which kind is `OPENERS`; a word's target must be seated in the opener's
room (`word_refusal`). Rule 2: only the conversation's two parties may say anything in it or end
it (`Conversation.party`). Rule 3: the member is told the truth about who is coming (`status`):
`answered` only once someone took it, `waiting` with the number on call, `nobody_on_call` when
that number is 0. Rule 4: an event reaches only the parties it names (`Sent.to`); nothing of a
conversation is ever a room event.

rooms/talk.py carries these out: the backend keeps the record and the events (for the replay
window only), the bus delivers them, and the server sends `frames_for` to each local party.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Final

import msgpack

import facilitation as fx
from rooms.errors import DeniedCode, RoomsCode

__all__ = [
    "OPENERS",
    "Conversation",
    "Ended",
    "Kind",
    "Opener",
    "Party",
    "Sent",
    "Status",
    "frames_for",
    "member_key",
    "staff_key",
    "status",
    "word_refusal",
]


class Kind(StrEnum):
    CRISIS = "crisis"
    WORD = "word"


class Opener(StrEnum):
    """Who is asking to open a conversation, as the server knows them (never from a frame)."""

    MEMBER = "member"
    OBSERVER = "observer"
    FACILITATOR = "facilitator"


class Status(StrEnum):
    """What the member of a crisis conversation is told about who is coming (Rule 3)."""

    WAITING = "waiting"
    NOBODY_ON_CALL = "nobody_on_call"
    ANSWERED = "answered"
    ENDED = "ended"


class Ended(StrEnum):
    """Why a conversation ended (`conversation.ended` `reason`)."""

    BY_MEMBER = "member"
    """The member ended it, or said "I'm OK for now"."""
    BY_OTHER = "other"
    """The staff member or facilitator ended it."""
    GONE = "gone"
    """A party left the room, or was away for longer than the seat hold."""
    RESOLVED = "resolved"
    """The staff member closed the crisis alert."""


OPENERS: Final[dict[Kind, frozenset[Opener]]] = {
    Kind.CRISIS: frozenset({Opener.MEMBER, Opener.OBSERVER, Opener.FACILITATOR}),
    Kind.WORD: frozenset({Opener.FACILITATOR}),
}
"""Rule 1: who may open each kind. Anyone seated can ask for help; only a facilitator of the
room opens a private word."""


def member_key(member_id: str) -> str:
    """The party key of a person seated in a room (member, observer or facilitator)."""
    return f"m:{member_id}"


def staff_key(staff: str) -> str:
    """The party key of a staff account on the staff channel."""
    return f"s:{staff}"


@dataclass(frozen=True, slots=True)
class Party:
    key: str
    """`m:<member id>` or `s:<staff account>`: never shown to the other side."""
    name: str
    """The display name the other side sees."""


@dataclass(frozen=True, slots=True)
class Conversation:
    """One conversation's record (kept in the backend with a time-to-live, never on disk)."""

    id: str
    kind: Kind
    room: str
    member: Party
    """The member side: who asked (crisis) or who was asked (word)."""
    other: Party | None
    """The staff member who took it (crisis) or the facilitator (word); None while waiting."""
    alert: str | None = None
    """The CRISIS alert's id (crisis only)."""

    def party(self, key: str) -> Party | None:
        """Rule 2: the party with this key, if it is one of the two."""
        if key == self.member.key:
            return self.member
        if self.other is not None and key == self.other.key:
            return self.other
        return None

    def peer_of(self, key: str) -> Party | None:
        return self.other if key == self.member.key else self.member

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.member.key,) if self.other is None else (self.member.key, self.other.key)

    def answered_by(self, other: Party | None) -> Conversation:
        return replace(self, other=other)

    def to_bytes(self) -> bytes:
        data: bytes = msgpack.packb(
            {
                "id": self.id,
                "kind": str(self.kind),
                "room": self.room,
                "member": [self.member.key, self.member.name],
                "other": None if self.other is None else [self.other.key, self.other.name],
                "alert": self.alert,
            }
        )
        return data

    @classmethod
    def from_bytes(cls, data: bytes) -> Conversation:
        raw = msgpack.unpackb(data)
        other = raw["other"]
        return cls(
            id=raw["id"],
            kind=Kind(raw["kind"]),
            room=raw["room"],
            member=Party(*raw["member"]),
            other=None if other is None else Party(*other),
            alert=raw["alert"],
        )


def status(conversation: Conversation, on_call: int) -> Status:
    """Rule 3: what the member is told now."""
    if conversation.other is not None:
        return Status.ANSWERED
    return Status.WAITING if on_call > 0 else Status.NOBODY_ON_CALL


def word_refusal(
    opener: Opener, opener_id: str, target: fx.Participant | None
) -> tuple[DeniedCode, str] | None:
    """Rule 1 for a private word: None when allowed, else the refusal code and a sentence."""
    if opener not in OPENERS[Kind.WORD]:
        return (
            fx.Refusal.NOT_FACILITATOR,
            "Only a facilitator of this room can open a private word.",
        )
    if target is None:
        return RoomsCode.MEMBER_NOT_FOUND, "That person is not in this room."
    if target.member == opener_id:
        return fx.Refusal.BAD_REQUEST, "A private word is with someone else."
    return None


# -- what travels on the bus, and what each party is sent ------------------------------------


@dataclass(frozen=True, slots=True)
class Sent:
    """One conversation event as the backend keeps and the bus carries it (msgpack)."""

    event: str
    """`conversation.opened`, `conversation.status`, `conversation.message`, `conversation.ended`."""
    to: tuple[str, ...]
    """Rule 4: the party keys it is for."""
    fields: dict[str, Any]
    sender: str = ""
    """The party key of a message's writer."""

    def to_bytes(self) -> bytes:
        data: bytes = msgpack.packb(
            {"e": self.event, "to": list(self.to), "f": self.fields, "s": self.sender}
        )
        return data

    @classmethod
    def from_bytes(cls, data: bytes) -> Sent:
        raw = msgpack.unpackb(data)
        return cls(raw["e"], tuple(raw["to"]), dict(raw["f"]), raw["s"])


def frames_for(sent: Sent, conversation: str, seq: int, ts_ms: int, viewer: str) -> dict[str, Any]:
    """The frame one party receives for one event (Rule 4: callers check `viewer in sent.to`).

    A staff connection is told a conversation opened with a `staff` frame (the console lists it
    beside the alerts); everything else is a `conversation` frame, with `from: "me" | "them"` on
    messages so no party key ever leaves the server.
    """
    kind = "staff" if sent.event == "conversation.opened" and viewer.startswith("s:") else None
    frame: dict[str, Any] = {
        "type": kind or "conversation",
        "event": sent.event,
        "conversation": conversation,
        "seq": seq,
        "ts": ts_ms,
        **sent.fields,
    }
    if sent.event == "conversation.message":
        frame["from"] = "me" if sent.sender == viewer else "them"
    return frame
