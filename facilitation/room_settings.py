"""The room's fixed settings: what the operator chose when the room's meeting state was made.

Each field's docstring is the reference (docs/facilitation.md is generated from it). `check_settings`
refuses values out of range; `MeetingState.new` calls it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

__all__ = ["RoomSettings", "SettingsArgs", "check_settings"]


@dataclass(frozen=True, slots=True)
class RoomSettings:
    """Fixed settings of the room, chosen when its meeting state is created."""

    self_led: bool = False
    """With no facilitator present, the first raised hand opens a round and turns run alone."""
    default_share_seconds: int = 180
    """Share length of self-led rounds, and of rounds opened without `share_seconds`."""
    grace_seconds: float = 20.0
    """How long a speaker who dropped keeps the floor before their share ends."""
    seat_hold_seconds: float = 300.0
    """How long a member who dropped keeps their seat (and place in the queue)."""
    warning_seconds: float = 30.0
    """`share.warning` fires this long before a share ends."""
    raid_joins: int = 10
    """This many new identities within `raid_window_seconds` count as a raid."""
    raid_window_seconds: float = 30.0
    """The window of raid detection."""
    lobby_ticket_seconds: float = 900.0
    """A newcomer waiting in the lobby is turned away after this long."""
    removal_hold_seconds: float = 43200.0
    """How long a removed person's session stays refused (as long as a session token lives)."""
    raid_listen_only_seconds: float = 300.0
    """In quiet mode (a raid with no facilitator present), newcomers listen for this long
    (0-3600; 0: quiet mode only raises slow mode)."""


class SettingsArgs(TypedDict, total=False):
    """The keyword arguments of `MeetingState.new` that become `RoomSettings`."""

    self_led: bool
    default_share_seconds: int
    grace_seconds: float
    seat_hold_seconds: float
    warning_seconds: float
    raid_joins: int
    raid_window_seconds: float
    lobby_ticket_seconds: float
    removal_hold_seconds: float
    raid_listen_only_seconds: float


def check_settings(room: RoomSettings) -> None:
    checks = {
        "default_share_seconds": 30 <= room.default_share_seconds <= 1200,
        "grace_seconds": room.grace_seconds >= 0,
        "seat_hold_seconds": room.seat_hold_seconds >= 0,
        "warning_seconds": room.warning_seconds > 0,
        "raid_joins": room.raid_joins >= 1,
        "raid_window_seconds": room.raid_window_seconds > 0,
        "lobby_ticket_seconds": room.lobby_ticket_seconds > 0,
        "removal_hold_seconds": room.removal_hold_seconds >= 0,
        "raid_listen_only_seconds": 0 <= room.raid_listen_only_seconds <= 3600,
    }
    bad = [name for name, ok in checks.items() if not ok]
    if bad:
        raise ValueError(f"room settings out of range: {', '.join(bad)}")
