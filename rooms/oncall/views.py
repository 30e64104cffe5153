"""What a staff console shows: the queue of open alerts, oldest first, one action each, and
each alert as the staff channel carries it (`alert_view`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rooms.oncall import rules
from rooms.oncall.model import Alert, AlertKind, AlertStatus, OnCallState

__all__ = ["QueueItem", "alert_view", "queue"]


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One row of the queue: what it is, how long it has waited, and the button that handles it."""

    alert_id: str
    kind: AlertKind
    room: str
    severity: rules.Severity
    waited_s: int
    """Whole seconds since it became open (a released alert counts from its release)."""
    count: int
    """How many requests merged into it."""
    action: rules.QueueAction


def queue(state: OnCallState, now: float) -> tuple[QueueItem, ...]:
    """The open alerts, the longest-waiting first (ties: the one raised first)."""
    open_alerts = [
        (alert.opened_at, index, alert)
        for index, alert in enumerate(state.alerts)
        if alert.status is AlertStatus.OPEN
    ]
    return tuple(
        QueueItem(
            alert_id=alert.id,
            kind=alert.kind,
            room=alert.room,
            severity=rules.SEVERITY[alert.kind],
            waited_s=max(0, int(now - alert.opened_at)),
            count=alert.count,
            action=rules.QUEUE_ACTION[alert.kind],
        )
        for _, _, alert in sorted(open_alerts, key=lambda row: row[:2])
    )


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


def alert_view(alert: Alert) -> dict[str, Any]:
    """The AlertView of the staff channel (docs/protocol.md §10): ids, kind, status, times (whole
    ms since the epoch, truncated), the taker's staff name and codes, and the outcomes a
    resolve accepts. Never the subject (a member id, a report id): consoles act on the alert id,
    and the room gives facilitators a report's details."""
    return {
        "id": alert.id,
        "kind": str(alert.kind),
        "room": alert.room,
        "status": str(alert.status),
        "created_at": _ms(alert.created_at),
        "opened_at": _ms(alert.opened_at),
        "closed_at": _ms(alert.closed_at),
        "count": alert.count,
        "taker": alert.taker,
        "outcome": None if alert.outcome is None else str(alert.outcome),
        "reason": None if alert.cancel_reason is None else str(alert.cancel_reason),
        "action": str(rules.QUEUE_ACTION[alert.kind]),
        "outcomes": sorted(str(outcome) for outcome in rules.OUTCOMES[alert.kind]),
    }
