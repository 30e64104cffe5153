"""What a staff console sees of rooms and alerts (docs/protocol.md §10): pure functions, no I/O.
An alert's wire form is rooms.oncall's `alert_view`.

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

__all__ = ["live_alert_by_room", "phase_of", "room_view"]


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
