"""What can go wrong in the facilitation engine, and how it is reported.

Expected outcomes are values, bugs are exceptions::

    Refused(code: Refusal, detail)     a value: the command was not allowed; nothing changed.
                                       `code` goes on the wire as-is (docs/protocol.md §5).
    FacilitationError (Exception)
    ├── FacilitationBug                an invariant broke: a bug on our side, never the client's
    │                                  fault (the server answers `internal`, sends no details)
    └── FormatError (also ValueError)  a meeting format (room config, admin API) is invalid;
                                       `where` names the field, `problem` says what is wrong

Every `Refusal` value is a protocol error code; a test checks that each one is listed in
docs/protocol.md §5, so a refusal can never invent a code the clients do not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["FacilitationBug", "FacilitationError", "FormatError", "Refusal", "Refused"]


class Refusal(StrEnum):
    """Why a command was refused; the values are the wire error codes."""

    BAD_REQUEST = "bad_request"
    NOT_JOINED = "not_joined"
    ROOM_LOCKED = "room_locked"
    LOBBY = "lobby"
    LOBBY_FULL = "lobby_full"
    NAME_TAKEN = "name_taken"
    BANNED = "banned"
    REMOVED = "removed"
    OBSERVER = "observer"
    LISTEN_ONLY = "listen_only"
    NOT_YOUR_TURN = "not_your_turn"
    MUTED = "muted"
    NOT_FACILITATOR = "not_facilitator"
    NO_ROUND = "no_round"
    ROUND_RUNNING = "round_running"
    NO_FLOOR = "no_floor"
    NOT_IN_QUEUE = "not_in_queue"
    ALREADY_IN_QUEUE = "already_in_queue"
    NOT_PRESENT = "not_present"
    NOT_ALLOWED = "not_allowed"
    CONTENT_NOTE = "content_note"


@dataclass(frozen=True, slots=True)
class Refused:
    """A command the rules do not allow; it changed nothing.

    Refused carries no state on purpose: the caller keeps the state it already had.
    """

    code: Refusal
    """The stable error code sent to the client."""
    detail: str
    """A human sentence for the client's error message (never message text)."""


class FacilitationError(Exception):
    """Base of every exception raised by the facilitation package."""


class FacilitationBug(FacilitationError):
    """The meeting state broke one of its invariants.

    This is never the client's fault: the caller should answer `internal` and keep the previous
    state, which is intact because states are immutable.
    """

    def __init__(self, invariant: str, detail: str = "") -> None:
        super().__init__(invariant, detail)
        self.invariant = invariant
        self.detail = detail

    def __str__(self) -> str:
        if self.detail:
            return f"facilitation invariant broken: {self.invariant} ({self.detail})"
        return f"facilitation invariant broken: {self.invariant}"


class FormatError(FacilitationError, ValueError):
    """A meeting format given as data is invalid (a configuration error, never a bug)."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(where, problem)
        self.where = where
        """The field at fault, e.g. `parts[2].posting` (empty for the format as a whole)."""
        self.problem = problem
        """What is wrong, in words."""

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}" if self.where else self.problem

    def inside(self, outer: str) -> FormatError:
        """The same error, located inside `outer` (e.g. `parts[2]`)."""
        return FormatError(f"{outer}.{self.where}" if self.where else outer, self.problem)
