"""Rooms across nodes: configuration, fan-out, meeting state by compare-and-set, backends.

Async, but no HTTP or WebSocket: the server layer drives it. See docs/architecture.md.
"""

from rooms.backends import Backend, Envelope, Gap, Position, Resync, Versioned, open_backend
from rooms.catalog import Catalog
from rooms.clock import Clock, ManualClock, OffsetFileClock, SystemClock
from rooms.errors import (
    BackendError,
    BackendUnavailable,
    Denied,
    DeniedCode,
    RoomNotFound,
    RoomsCode,
    RoomsError,
)
from rooms.hub import Hub, LocalRoom
from rooms.live import LiveRoom, LiveRooms
from rooms.meeting import Applied, MeetingStore, RoomRules
from rooms.model import RoomConfig, RoomConfigError
from rooms.names import NameRejected, check_name, name_key
from rooms.outbound import OutboundEvent
from rooms.presence import Present
from rooms.seat import Attendee, Seat, Subscriber
from rooms.seating import JoinResult, ResumeResult
from rooms.service import RoomsService, ServiceSettings
from rooms.text import TextRejected, clean_text

__all__ = [
    "Applied",
    "Attendee",
    "Backend",
    "BackendError",
    "BackendUnavailable",
    "Catalog",
    "Clock",
    "Denied",
    "DeniedCode",
    "Envelope",
    "Gap",
    "Hub",
    "JoinResult",
    "LiveRoom",
    "LiveRooms",
    "LocalRoom",
    "ManualClock",
    "MeetingStore",
    "NameRejected",
    "OffsetFileClock",
    "OutboundEvent",
    "Position",
    "Present",
    "ResumeResult",
    "Resync",
    "RoomConfig",
    "RoomConfigError",
    "RoomNotFound",
    "RoomRules",
    "RoomsCode",
    "RoomsError",
    "RoomsService",
    "Seat",
    "ServiceSettings",
    "Subscriber",
    "SystemClock",
    "TextRejected",
    "Versioned",
    "check_name",
    "clean_text",
    "name_key",
    "open_backend",
]
