"""What a staff console shows: the queue of open alerts, oldest first, one action each."""

from __future__ import annotations

from dataclasses import dataclass

from rooms.oncall import rules
from rooms.oncall.model import AlertKind, AlertStatus, OnCallState

__all__ = ["QueueItem", "queue"]


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
