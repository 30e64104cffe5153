"""What a staff console sees of rooms and alerts (docs/protocol.md §9): pure functions, no I/O.

Rule 1: a view holds counts, states and opaque ids, never a member's name, a message or a
report's text. An alert's `subject` (the asking member, the report's id) stays on the server:
whoever handles a report sees it in the room itself, as its facilitator.
Rule 2: times are milliseconds since the Unix epoch, like every timestamp on the wire.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import facilitation as fx
from rooms.model import RoomConfig
from rooms.oncall import Alert
from rooms.oncall.rules import OUTCOMES, QUEUE_ACTION

__all__ = ["alert_view", "live_alert_by_room", "phase_of", "room_view"]


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


def alert_view(alert: Alert) -> dict[str, Any]:
    """The wire form of one alert (`AlertView`)."""
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
        "action": str(QUEUE_ACTION[alert.kind]),
        "outcomes": sorted(str(outcome) for outcome in OUTCOMES[alert.kind]),
    }


def phase_of(state: fx.MeetingState, view: dict[str, Any]) -> str:
    """One word for where a room is: locked, paused, a format's part title, round or open."""
    if state.locked:
        return "locked"
    if state.paused_room:
        return "paused"
    part = view.get("part")
    if isinstance(part, dict) and part.get("title"):
        return str(part["title"])
    if view.get("round") is not None:
        return "round"
    return "open"


def room_view(
    room: RoomConfig, state: fx.MeetingState, *, observers: int, alert: str | None, now: float
) -> dict[str, Any]:
    """The wire form of one room for the console (`RoomView`): counts only, no names."""
    present = [p for p in state.participants if not p.away]
    return {
        "slug": room.slug,
        "name": room.name,
        "language": room.language,
        "members": len(present),
        "observers": observers,
        "phase": phase_of(state, fx.public_view(state, now)),
        "facilitator_present": any(p.is_facilitator for p in present),
        "self_led": room.self_led,
        "waiting": len(state.waiting),
        "alert": alert,
    }


def live_alert_by_room(alerts: Iterable[Alert]) -> dict[str, str]:
    """Each room's oldest open or taken alert id (what a room row links to)."""
    found: dict[str, tuple[float, str]] = {}
    for alert in alerts:
        if alert.status.closed:
            continue
        held = found.get(alert.room)
        if held is None or alert.created_at < held[0]:
            found[alert.room] = (alert.created_at, alert.id)
    return {room: alert_id for room, (_, alert_id) in found.items()}
