"""Close codes and error codes: the one table clients can rely on (docs/protocol.md §5, §6).

Close codes 4000–4499 mean "reconnect and resume"; 4500–4999 mean "do not reconnect
automatically". A test checks that every member here appears in docs/protocol.md.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = ["CloseCode", "ErrorCode", "is_resumable"]


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
    JOIN_TIMEOUT = 4012
    RATE_LIMITED = 4029
    REMOVED = 4500
    BANNED = 4501
    SESSION_INVALID = 4502
    NOT_ADMITTED = 4503


def is_resumable(code: int) -> bool:
    """True when a client should reconnect and resume after this close code."""
    return code < 4500


class ErrorCode(StrEnum):
    """Stable machine-readable codes of error frames."""

    BAD_FRAME = "bad_frame"
    BAD_REQUEST = "bad_request"
    UNKNOWN_COMMAND = "unknown_command"
    NOT_JOINED = "not_joined"
    ALREADY_JOINED = "already_joined"
    ROOM_NOT_FOUND = "room_not_found"
    ROOM_CLOSED = "room_closed"
    ROOM_LOCKED = "room_locked"
    LOBBY = "lobby"
    INVALID_NAME = "invalid_name"
    NAME_TAKEN = "name_taken"
    INVALID_TOKEN = "invalid_token"
    REMOVED = "removed"
    BANNED = "banned"
    TOO_MANY_CONNECTIONS = "too_many_connections"
    OBSERVER = "observer"
    LISTEN_ONLY = "listen_only"
    NOT_YOUR_TURN = "not_your_turn"
    MUTED = "muted"
    SLOW_MODE = "slow_mode"
    RATE_LIMITED = "rate_limited"
    NOT_FACILITATOR = "not_facilitator"
    NO_ROUND = "no_round"
    ROUND_RUNNING = "round_running"
    NO_FLOOR = "no_floor"
    NOT_IN_QUEUE = "not_in_queue"
    ALREADY_IN_QUEUE = "already_in_queue"
    NOT_PRESENT = "not_present"
    NOT_ALLOWED = "not_allowed"
    MESSAGE_NOT_FOUND = "message_not_found"
    BUSY = "busy"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"
