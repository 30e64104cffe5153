"""The room as a join, an admission or a resync shows it: one wire object, with the crisis
entries that apply in the room today (server/crisis_lines.py). Pure apart from reading the clock.
"""

from __future__ import annotations

from typing import Any

from rooms.clock import Clock
from rooms.seating import JoinResult
from server.crisis_lines import CrisisLines, today

__all__ = ["RoomSnapshots", "room_snapshot"]


class RoomSnapshots:
    """Snapshots with the crisis entries resolved for the room on the node's clock's day."""

    def __init__(self, clock: Clock, crisis_lines: CrisisLines) -> None:
        self.clock = clock
        self.crisis_lines = crisis_lines

    def of(self, result: JoinResult) -> dict[str, Any]:
        day = today(self.clock.now())
        return room_snapshot(result, self.crisis_lines.resolve(None, result.seat.room, day))


def room_snapshot(result: JoinResult, crisis: list[dict[str, str]]) -> dict[str, Any]:
    room = result.seat.room
    return {
        "member": result.member,
        "room": {
            "slug": room.slug,
            "name": room.name,
            "description": room.description,
            "access": room.access,
            "self_led": room.self_led,
            "language": room.language,
            "voice": room.voice,
            "crisis": crisis,
        },
        "members": result.members,
        "member_count": result.member_count,
        "members_next": result.members_next,
        "observers": result.observers,
        "meeting": result.meeting,
        "position": {"seq": result.position.seq, "epoch": result.position.epoch},
        **({"waiting": result.waiting} if result.waiting is not None else {}),
        **({"tending": result.tending} if result.tending is not None else {}),
    }
