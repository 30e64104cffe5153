"""Who is connected to a room on this node: the seam between rooms and the server.

The server hands each connection to the rooms layer as a `Subscriber`: an id and five methods
that never block. Everything else the rooms layer needs to know about a connection (its seat,
whether it waits in the lobby, whether it may read facilitators-only events, whether its join has
finished) lives in an `Attendee`, the rooms layer's own record, kept per connection id in the
room's fan-out and dropped with it. Nothing here reads or writes the server's connection object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import facilitation as fx
from rooms.model import RoomConfig
from rooms.outbound import OutboundEvent

__all__ = ["Attendee", "Seat", "Subscriber"]


class Subscriber(Protocol):
    """A local connection as the rooms layer sees it. None of these methods may block."""

    @property
    def conn_id(self) -> str:
        """Unique per connection on this node; the key of its `Attendee`."""
        ...

    def deliver(self, event: OutboundEvent) -> None:
        """Queue an event for sending (the rooms layer has already picked the hidden twin)."""
        ...

    def evict(self, reason: str) -> None:
        """The person was removed or banned (`reason`): close this connection for good."""
        ...

    def lost_state(self) -> None:
        """This node missed events it cannot recover: the client must resume."""
        ...

    def admitted(self, seq: int) -> None:
        """A facilitator let this waiting person in with the event at `seq`."""
        ...

    def turned_away(self) -> None:
        """A facilitator turned this waiting person away."""
        ...


@dataclass(slots=True)
class Seat:
    """Who a connection is, in which room: set by the server from its verified session."""

    conn_id: str
    room: RoomConfig
    member_id: str
    name: str | None
    observer: bool
    joined_seq: int = 0

    @property
    def actor(self) -> fx.Actor:
        return fx.Actor(member=self.member_id, observer=self.observer)


@dataclass(slots=True, eq=False)
class Attendee:
    """The rooms layer's record of one local connection in one room."""

    sub: Subscriber
    seat: Seat
    facilitator: bool = False
    """Receives facilitators-only events as they are (everyone else gets `hidden`)."""
    waiting_ticket: str | None = None
    """Set while the person waits in the lobby: such an attendee receives nothing."""
    seated: bool = False
    """The join or resume finished; presence sweeps only judge seated attendees."""
    marks: frozenset[str] = frozenset()
    """This connection's keyed network marks. Kept here, in this node's memory only, while the
    connection lasts: never in the meeting state; a ban writes them to its store record."""

    @property
    def conn_id(self) -> str:
        return self.seat.conn_id

    @property
    def member_id(self) -> str:
        return self.seat.member_id
