"""Close codes and error codes: the one table clients can rely on (docs/protocol.md §5, §6).

Close codes 4000–4499 mean "reconnect and resume"; 4500–4999 mean "do not reconnect
automatically". A test checks that every member here appears in docs/protocol.md.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import cast

import facilitation as fx
from rooms.errors import DeniedCode, RoomsCode
from rooms.oncall import OnCallRefusal

__all__ = ["CloseCode", "ErrorCode", "ServerCode", "WireCode", "is_resumable"]


class CloseCode(IntEnum):
    """Why the server closed a WebSocket."""

    NORMAL = 1000
    UNSUPPORTED_DATA = 1003
    POLICY_VIOLATION = 1008
    TOO_BIG = 1009
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    SLOW = 4008
    INSUFFICIENT_STATE = 4010
    SILENT = 4011
    JOIN_TIMEOUT = 4012
    RATE_LIMITED = 4029
    REMOVED = 4500
    BANNED = 4501
    SESSION_INVALID = 4502
    NOT_ADMITTED = 4503
    REVOKED = 4504
    UNAUTHORIZED = 4505


def is_resumable(code: int) -> bool:
    """True when a client should reconnect and resume after this close code."""
    return code < 4500


class ServerCode(StrEnum):
    """Error codes only the server layer gives (the wire, sessions, tokens, rate limits)."""

    BAD_FRAME = "bad_frame"
    UNKNOWN_COMMAND = "unknown_command"
    ALREADY_JOINED = "already_joined"
    ROOM_CLOSED = "room_closed"
    INVALID_TOKEN = "invalid_token"
    TOO_MANY_CONNECTIONS = "too_many_connections"
    RATE_LIMITED = "rate_limited"
    WRONG_CHANNEL = "wrong_channel"
    INTERNAL = "internal"
    NOT_ROOM_STAFF = "not_room_staff"
    """`alert.take` of an alert in a room the staff account may not facilitate (§10)."""
    VOICE_OFF = "voice_off"
    """A media connection for a room without voice (docs/protocol.md §9)."""


WireCode = ServerCode | DeniedCode | OnCallRefusal
"""Any code an error frame may carry: the server's own, the rooms layer's, the engine's or the
on-call machine's (staff channel)."""


def _all_codes(*sources: type[StrEnum]) -> type[StrEnum]:
    # Named by value: two layers may reuse a member name (BUSY) for different codes.
    members = [(code.value.upper(), code.value) for source in sources for code in source]
    values = [value for _, value in members]
    duplicated = sorted({v for v in values if values.count(v) > 1})
    if duplicated:  # two layers must never give one code two meanings
        raise ValueError(f"error codes defined twice: {duplicated}")
    return cast("type[StrEnum]", StrEnum("ErrorCode", members))


ErrorCode = _all_codes(fx.Refusal, RoomsCode, OnCallRefusal, ServerCode)
"""Every stable code of error frames (docs/protocol.md §5), built from the three layers' enums.

The engine's `Refusal`, the rooms layer's `RoomsCode` and the on-call machine's `OnCallRefusal`
(staff channel) go onto the wire as they are; this
union is the one table the docs are checked against, so it cannot drift from them.
"""
