"""The names of the events a room stream carries: one table, taken from the engine's classes.

Meeting events are the engine's (`facilitation/events.py`, each class has its wire `NAME`); the
rooms layer adds the few it publishes itself (chat, reactions, the observer count) and the two a
reader may see in place of one (`redacted` for a removed message, `hidden` for a
facilitators-only event). Code that tells events apart compares against these constants, never
against string literals.
"""

from __future__ import annotations

from typing import Final

import facilitation as fx

__all__ = [
    "CHAT_MESSAGE",
    "CHAT_REACTION",
    "HIDDEN",
    "LOBBY_ADMITTED",
    "LOBBY_DENIED",
    "MEETING_EVENTS",
    "MEMBERS_CHANGED",
    "MEMBER_LEFT",
    "MEMBER_UPDATED",
    "OBSERVERS",
    "REDACTED",
    "ROOM_EVENTS",
    "ROOM_RESET",
    "changes_meeting",
]

CHAT_MESSAGE: Final = "chat.message"
CHAT_REACTION: Final = "chat.reaction"
OBSERVERS: Final = "observers"
REDACTED: Final = "redacted"
"""A chat message removed by a facilitator: its seq stays, its content is gone."""
HIDDEN: Final = "hidden"
"""What non-facilitators receive in place of a facilitators-only event."""

ROOM_EVENTS: Final = frozenset({CHAT_MESSAGE, CHAT_REACTION, OBSERVERS, REDACTED, HIDDEN})
"""Events of the rooms layer: none of them changes the meeting state."""


def _engine_events() -> frozenset[str]:
    found: set[str] = set()
    pending: list[type[fx.Event]] = [fx.Event]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if "NAME" in vars(cls):
            found.add(cls.NAME)
    return frozenset(found)


MEETING_EVENTS: Final = _engine_events()
"""Every engine event name: each one comes from a commit of the meeting state."""

MEMBERS_CHANGED: Final = "members.changed"
"""Several presence events of one commit as one (rooms/presence_batch.py): a commit's event too."""

ROOM_RESET: Final = fx.RoomReset.NAME
LOBBY_ADMITTED: Final = fx.LobbyAdmitted.NAME
LOBBY_DENIED: Final = fx.LobbyDenied.NAME
MEMBER_LEFT: Final = fx.MemberLeft.NAME
MEMBER_UPDATED: Final = fx.MemberUpdated.NAME

assert not MEETING_EVENTS & ROOM_EVENTS, "an engine event reuses a rooms event name"
assert MEMBERS_CHANGED not in MEETING_EVENTS | ROOM_EVENTS


def changes_meeting(name: str) -> bool:
    """True for events that a commit of the meeting state published."""
    return name in MEETING_EVENTS or name == MEMBERS_CHANGED
