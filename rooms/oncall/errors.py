"""What the on-call machine refuses, and what it treats as a bug::

Refused(code: OnCallRefusal, detail)   a value: the command was not allowed; nothing changed.
                                       `code` is stable and may go to a staff console as-is.
OnCallError (Exception)
└── OnCallBug                          an invariant broke (a bug, never the caller's fault)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["MEANING", "OnCallBug", "OnCallError", "OnCallRefusal", "Refused"]


class OnCallRefusal(StrEnum):
    """Why an on-call command was refused (the values are stable codes)."""

    UNKNOWN_ALERT = "unknown_alert"
    ALREADY_TAKEN = "already_taken"
    NOT_TAKEN = "not_taken"
    ALERT_CLOSED = "alert_closed"
    NOT_TAKER = "not_taker"
    WRONG_OUTCOME = "wrong_outcome"
    IN_CONVERSATION = "in_conversation"
    """(Not `busy`: that wire code means "the room, or the alert desk, was changing; try again".)"""
    ID_IN_USE = "id_in_use"
    NO_SUBJECT = "no_subject"


MEANING: dict[OnCallRefusal, str] = {
    OnCallRefusal.UNKNOWN_ALERT: (
        "No alert has this id (never raised, or closed long enough ago to be forgotten)."
    ),
    OnCallRefusal.ALREADY_TAKEN: (
        "Someone else took it first: taking is atomic and has one winner."
    ),
    OnCallRefusal.NOT_TAKEN: ("The alert is open: take it before resolving or releasing it."),
    OnCallRefusal.ALERT_CLOSED: ("It was resolved or cancelled; a closed alert never comes back."),
    OnCallRefusal.NOT_TAKER: ("Only the staff member who took it may resolve or release it."),
    OnCallRefusal.WRONG_OUTCOME: ("This outcome code does not apply to this kind of alert."),
    OnCallRefusal.IN_CONVERSATION: (
        "The staff member is already in a crisis conversation (one at a time)."
    ),
    OnCallRefusal.ID_IN_USE: ("A new alert was raised with the id of an existing one."),
    OnCallRefusal.NO_SUBJECT: (
        "Crisis requests and reports need a subject (the asking member, the reported thing)."
    ),
}
"""What each refusal means, for staff consoles and docs/safety-net.md."""


@dataclass(frozen=True, slots=True)
class Refused:
    """A command the rules do not allow; it changed nothing (it carries no state)."""

    code: OnCallRefusal
    detail: str


class OnCallError(Exception):
    """Base of the exceptions raised by rooms.oncall."""


class OnCallBug(OnCallError):
    """The on-call state broke an invariant; the previous state is still valid."""

    def __init__(self, invariant: str, detail: str = "") -> None:
        super().__init__(invariant, detail)
        self.invariant = invariant
        self.detail = detail

    def __str__(self) -> str:
        suffix = f" ({self.detail})" if self.detail else ""
        return f"on-call invariant broken: {self.invariant}{suffix}"
