"""The rooms a node offers when its settings name none (`Settings.rooms`)."""

from __future__ import annotations

from facilitation.shipped import SHIPPED_FORMATS
from rooms.model import RoomConfig

__all__ = ["DEFAULT_ROOMS"]

DEFAULT_ROOMS = (
    RoomConfig(
        slug="night-owls",
        name="Night Owls",
        description="For anyone awake and struggling tonight. Drop in, read, share when ready.",
        self_led=True,
    ),
    RoomConfig(
        slug="daily-check-in",
        name="Daily Check-in",
        description="A facilitated share round: how are you today, really?",
    ),
    RoomConfig(
        slug="speaker-meeting",
        name="Speaker Meeting",
        description="Listen to someone's story. Only the facilitators speak here.",
        listen_only=True,
    ),
    RoomConfig(
        slug="evening-meeting",
        name="Evening Meeting",
        description="A whole meeting in parts: opening, readings, shares, closing. "
        "It runs itself when no facilitator is here.",
        self_led=True,
        format=SHIPPED_FORMATS["twelve-step-text"],
    ),
)
