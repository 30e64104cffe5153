"""Errors of the rooms layer: one refusal type, and the backend's failures.

RoomsError
├── Denied                    a request the rules refuse; `code` goes onto the wire as it is
│   └── RoomNotFound          no room with that slug (code `room_not_found`)
└── BackendError              the backend misbehaved (a bug or an unexpected reply)
    └── BackendUnavailable    the backend cannot be reached right now; retry later

A refusal has exactly one form above the engine: `Denied`, whose code is the engine's
`Refusal` (passed through unchanged), a `RoomsCode` for what only this layer checks, or the
on-call machine's `OnCallRefusal` (rooms/alerts.py `AlertDenied`). The
server maps `Denied` to an error frame in one place and builds its `ErrorCode` from both enums.
"""

from __future__ import annotations

from enum import StrEnum

import facilitation as fx
from rooms.oncall.errors import OnCallRefusal

__all__ = [
    "BackendError",
    "BackendUnavailable",
    "Denied",
    "DeniedCode",
    "RoomNotFound",
    "RoomsCode",
    "RoomsError",
]


class RoomsCode(StrEnum):
    """Refusals that only the rooms layer gives (the engine's own are `facilitation.Refusal`)."""

    ROOM_NOT_FOUND = "room_not_found"
    INVALID_NAME = "invalid_name"
    SLOW_MODE = "slow_mode"
    MESSAGE_NOT_FOUND = "message_not_found"
    BUSY = "busy"
    UNAVAILABLE = "unavailable"
    MEMBER_NOT_FOUND = "member_not_found"
    """A private word names nobody seated in this room (rooms/conversations.py Rule 1)."""
    CONVERSATION_NOT_FOUND = "conversation_not_found"
    """No such conversation, it ended, or the sender is not one of its two parties."""


DeniedCode = fx.Refusal | RoomsCode | OnCallRefusal
"""Every code a `Denied` may carry (`OnCallRefusal`: the alert desk's, rooms/alerts.py)."""


class RoomsError(Exception):
    """Base of every error raised by the rooms layer."""


class Denied(RoomsError):
    """A request the rooms layer (or the engine under it) refuses; nothing changed."""

    def __init__(self, code: DeniedCode, message: str, retry_after_ms: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retry_after_ms = retry_after_ms

    @classmethod
    def refused(cls, refused: fx.Refused) -> Denied:
        """The engine's refusal value, as the one refusal type above it."""
        return cls(refused.code, refused.detail)

    @classmethod
    def busy(cls) -> Denied:
        """Too many concurrent changes to one room: the client may retry (the one mapping)."""
        return cls(RoomsCode.BUSY, "The room is very busy; please try again.")


class RoomNotFound(Denied):
    """No room with that slug exists."""

    def __init__(self, slug: str) -> None:
        super().__init__(RoomsCode.ROOM_NOT_FOUND, "There is no room with that name.")
        self.slug = slug


class BackendError(RoomsError):
    """The backend gave an answer we cannot use."""


class BackendUnavailable(BackendError):
    """The backend did not answer (connection refused, timed out, or being failed over)."""
