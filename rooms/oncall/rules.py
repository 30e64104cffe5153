"""Rule 1: everything that decides when an alert escalates, who may move it, and how it may
close lives in this module, as tables. docs/safety-net.md is generated from them
(`python -m rooms.oncall.doc_table --write`) and a test fails when it is stale.

The numbers are ours (SAFETY-NET §2): a crisis chimes in the consoles at once, pages the
on-call staff after 1 min and everyone after 3 min, then every 5 min up to a cap; a raid pages
after 2 min, a report after 15 min. A taker who goes silent loses the alert (crisis 2 min,
report 30 min).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from rooms.oncall.errors import OnCallRefusal
from rooms.oncall.model import (
    AlertKind,
    AlertStatus,
    Outcome,
    PageLevel,
    Release,
    Resolve,
    Take,
    Withdraw,
)

__all__ = [
    "DEDUP_BY_SUBJECT",
    "ESCALATION",
    "KEEP_CLOSED_SECONDS",
    "OUTCOMES",
    "QUEUE_ACTION",
    "REFUSAL_IN",
    "SEVERITY",
    "SILENCE_SECONDS",
    "TRANSITIONS",
    "Escalation",
    "QueueAction",
    "Severity",
    "Step",
    "step_for",
]


@dataclass(frozen=True, slots=True)
class Step:
    """One escalation step: `after` seconds since the alert opened, reach `level`."""

    after: float
    level: PageLevel


@dataclass(frozen=True, slots=True)
class Escalation:
    """The steps of one kind of alert, then a repeat every `repeat_every` seconds at
    `repeat_level` while it stays open, until it has paged `max_pages` times."""

    steps: tuple[Step, ...]
    repeat_every: float | None
    repeat_level: PageLevel
    max_pages: int


ESCALATION: Mapping[AlertKind, Escalation] = {
    AlertKind.CRISIS: Escalation(
        steps=(
            Step(0, PageLevel.CONSOLE),
            Step(60, PageLevel.ON_CALL),
            Step(180, PageLevel.ALL_STAFF),
        ),
        repeat_every=300,
        repeat_level=PageLevel.ALL_STAFF,
        max_pages=7,
    ),
    AlertKind.RAID: Escalation(
        steps=(Step(0, PageLevel.CONSOLE), Step(120, PageLevel.ON_CALL)),
        repeat_every=300,
        repeat_level=PageLevel.ALL_STAFF,
        max_pages=3,
    ),
    AlertKind.REPORT: Escalation(
        steps=(Step(0, PageLevel.CONSOLE), Step(900, PageLevel.ON_CALL)),
        repeat_every=None,
        repeat_level=PageLevel.ON_CALL,
        max_pages=1,
    ),
    AlertKind.LOBBY: Escalation(
        steps=(Step(0, PageLevel.CONSOLE), Step(300, PageLevel.ON_CALL)),
        repeat_every=None,
        repeat_level=PageLevel.ON_CALL,
        max_pages=1,
    ),
}
"""When each kind of open alert escalates. Step 0 (the console chime) fires when it opens."""


def step_for(kind: AlertKind, index: int) -> Step | None:
    """The `index`-th escalation step (0-based) of `kind`, or None when the schedule is over.

    Repeats follow the listed steps; they stop once the alert would exceed `max_pages`.
    """
    table = ESCALATION[kind]
    if index < len(table.steps):
        return table.steps[index]
    if table.repeat_every is None:
        return None
    listed_pages = sum(1 for step in table.steps if step.level >= PageLevel.ON_CALL)
    repeat = index - len(table.steps) + 1
    if listed_pages + repeat > table.max_pages:
        return None
    return Step(table.steps[-1].after + repeat * table.repeat_every, table.repeat_level)


SILENCE_SECONDS: Mapping[AlertKind, float] = {
    AlertKind.CRISIS: 120,
    AlertKind.RAID: 600,
    AlertKind.REPORT: 1800,
    AlertKind.LOBBY: 600,
}
"""A taken alert opens again when its taker shows no sign of life for this long."""

KEEP_CLOSED_SECONDS = 900.0
"""How long a resolved or cancelled alert stays in the state (for consoles), then is forgotten.
It never comes back meanwhile: a new request with the same key opens a new alert."""

DEDUP_BY_SUBJECT: Mapping[AlertKind, bool] = {
    AlertKind.CRISIS: True,
    AlertKind.REPORT: True,
    AlertKind.RAID: False,
    AlertKind.LOBBY: False,
}
"""Whether the dedup key includes the subject (kind + room + subject) or not (kind + room).
A crisis keys on the asking member: double taps merge, two members never do. Repeats of a live
(open or taken) alert bump its count and page nobody."""


class Severity(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"


SEVERITY: Mapping[AlertKind, Severity] = {
    AlertKind.CRISIS: Severity.URGENT,
    AlertKind.RAID: Severity.HIGH,
    AlertKind.REPORT: Severity.NORMAL,
    AlertKind.LOBBY: Severity.NORMAL,
}
"""The `severity` field of the webhook and the ntfy priority."""


class QueueAction(StrEnum):
    """The one button a queue row offers."""

    TAKE_CONVERSATION = "take_conversation"
    REVIEW_REPORT = "review_report"
    JOIN_ROOM = "join_room"
    OPEN_LOBBY = "open_lobby"


QUEUE_ACTION: Mapping[AlertKind, QueueAction] = {
    AlertKind.CRISIS: QueueAction.TAKE_CONVERSATION,
    AlertKind.REPORT: QueueAction.REVIEW_REPORT,
    AlertKind.RAID: QueueAction.JOIN_ROOM,
    AlertKind.LOBBY: QueueAction.OPEN_LOBBY,
}
"""Each queue row's action; pressing it takes the alert, then opens what handles it."""

OUTCOMES: Mapping[AlertKind, frozenset[Outcome]] = {
    AlertKind.CRISIS: frozenset({Outcome.SUPPORTED, Outcome.REFERRED, Outcome.NO_RESPONSE}),
    AlertKind.REPORT: frozenset({Outcome.ACTION_TAKEN, Outcome.NO_ACTION}),
    AlertKind.RAID: frozenset({Outcome.ACTION_TAKEN, Outcome.NO_ACTION}),
    AlertKind.LOBBY: frozenset({Outcome.ADMITTED, Outcome.NO_ACTION}),
}
"""The outcome codes a taker may close each kind with."""

TRANSITIONS: Mapping[type, Mapping[AlertStatus, AlertStatus]] = {
    Take: {AlertStatus.OPEN: AlertStatus.TAKEN},
    Release: {AlertStatus.TAKEN: AlertStatus.OPEN},
    Resolve: {AlertStatus.TAKEN: AlertStatus.RESOLVED},
    Withdraw: {AlertStatus.OPEN: AlertStatus.CANCELLED, AlertStatus.TAKEN: AlertStatus.CANCELLED},
}
"""Which status each command moves an existing alert from, and to. A status missing from a row
is refused with `REFUSAL_IN[status]`. Not in this table: `Raise` (merges into the live alert
with its key or opens a new one; refused only for `no_subject` or `id_in_use`), `StaffDropped` and the
silence deadline (each moves the staff member's `taken` alerts back to `open`), `StaffSeen`."""

REFUSAL_IN: Mapping[AlertStatus, OnCallRefusal] = {
    AlertStatus.OPEN: OnCallRefusal.NOT_TAKEN,
    AlertStatus.TAKEN: OnCallRefusal.ALREADY_TAKEN,
    AlertStatus.RESOLVED: OnCallRefusal.ALERT_CLOSED,
    AlertStatus.CANCELLED: OnCallRefusal.ALERT_CLOSED,
}
"""The refusal for a command whose `TRANSITIONS` row has no entry for the alert's status."""
