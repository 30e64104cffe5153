"""Rooms across nodes: configuration, fan-out, meeting state by compare-and-set, backends.

Async, but no HTTP or WebSocket: the server layer drives it. See docs/architecture.md.
"""

from rooms.backends import Backend, Envelope, Gap, Position, Resync, Versioned, open_backend
from rooms.catalog import Catalog
from rooms.clock import Clock, ManualClock, OffsetFileClock, SystemClock
from rooms.errors import BackendError, BackendUnavailable, RoomNotFound, RoomsError
from rooms.hub import Hub, LocalRoom, Subscriber
from rooms.meeting import Applied, Busy, MeetingRefused, MeetingStore, RoomRules
from rooms.model import RoomConfig, RoomConfigError
from rooms.names import NameRejected, check_name, name_key
from rooms.outbound import OutboundEvent
from rooms.service import Denied, JoinResult, ResumeResult, RoomsService, Seat, ServiceSettings
from rooms.text import TextRejected, clean_text

__all__ = [
    "Applied",
    "Backend",
    "BackendError",
    "BackendUnavailable",
    "Busy",
    "Catalog",
    "Clock",
    "Denied",
    "Envelope",
    "Gap",
    "Hub",
    "JoinResult",
    "LocalRoom",
    "ManualClock",
    "MeetingRefused",
    "MeetingStore",
    "NameRejected",
    "OffsetFileClock",
    "OutboundEvent",
    "Position",
    "ResumeResult",
    "Resync",
    "RoomConfig",
    "RoomConfigError",
    "RoomNotFound",
    "RoomRules",
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
