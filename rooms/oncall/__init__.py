"""On-call alerts: a pure state machine (no I/O, no clock; `now` is passed in).

An alert (crisis request, report, raid, unwatched lobby) opens, escalates in timed steps
(`rules.ESCALATION`), is taken by one staff member, and is resolved with an outcome code or
cancelled by the server. `decide(state, command, now)` returns `Accepted(state, effects)` or
`Refused(code, detail)`; `next_deadline(state)` says when to call it again with `Tick()`.
The tables are rendered into docs/safety-net.md (`python -m rooms.oncall.doc_table --write`).
"""

from rooms.oncall.errors import MEANING, OnCallBug, OnCallError, OnCallRefusal, Refused
from rooms.oncall.machine import Accepted, check_invariants, decide, next_deadline
from rooms.oncall.model import (
    Alert,
    AlertKind,
    AlertStatus,
    CancelReason,
    Chime,
    Command,
    Effect,
    Notify,
    OnCallState,
    Outcome,
    Page,
    PageLevel,
    Raise,
    Release,
    Resolve,
    StaffDropped,
    StaffSeen,
    StandDown,
    Take,
    Tick,
    Withdraw,
)
from rooms.oncall.rules import QueueAction, Severity
from rooms.oncall.views import QueueItem, alert_view, queue

__all__ = [
    "MEANING",
    "Accepted",
    "Alert",
    "AlertKind",
    "AlertStatus",
    "CancelReason",
    "Chime",
    "Command",
    "Effect",
    "Notify",
    "OnCallBug",
    "OnCallError",
    "OnCallRefusal",
    "OnCallState",
    "Outcome",
    "Page",
    "PageLevel",
    "QueueAction",
    "QueueItem",
    "Raise",
    "Refused",
    "Release",
    "Resolve",
    "Severity",
    "StaffDropped",
    "StaffSeen",
    "StandDown",
    "Take",
    "Tick",
    "Withdraw",
    "alert_view",
    "check_invariants",
    "decide",
    "next_deadline",
    "queue",
]
