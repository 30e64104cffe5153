"""What a resuming client is sent of the events it missed: the replay, or an explicit resync.

Rules of this module:

- The missed events are sent only if they are all still in the room's window, fit the
  per-resume caps (`max_events`, `max_bytes`), and are no older than the room's own
  `replay_seconds`; otherwise the answer is a `Resync` naming why (never a silent gap).
- Facilitators-only events reach a person who is not a facilitator as their hidden twin.
"""

from __future__ import annotations

from rooms.backends.base import Backend, Envelope, Position, Resync
from rooms.clock import Clock
from rooms.hub import decode_payload
from rooms.model import RoomConfig
from rooms.outbound import FACILITATORS, OutboundEvent, hidden_twin
from rooms.seat import Attendee

__all__ = ["missed_events", "readable"]


def _backlog_bytes(envelopes: list[Envelope]) -> int:
    """Roughly what replaying these events puts in an outbox (payload plus frame fields)."""
    return sum(len(env.payload) + 128 for env in envelopes)


def readable(attendee: Attendee, env: Envelope) -> OutboundEvent:
    """A replayed event as this person may read it."""
    frame, audience = decode_payload(env)
    event = OutboundEvent(env.seq, frame, audience)
    if audience == FACILITATORS and not attendee.facilitator:
        return hidden_twin(event)
    return event


async def missed_events(
    backend: Backend,
    clock: Clock,
    room: RoomConfig,
    start: Position,
    *,
    max_events: int,
    max_bytes: int,
) -> list[Envelope] | Resync:
    """The events after `start`, or an explicit resync when they cannot all be sent."""
    current = await backend.position(room.slug)
    if start.seq > current.seq:
        return Resync("ahead", current)
    answer = await backend.replay(room.slug, start, max_events)
    if isinstance(answer, Resync):
        return answer
    if _backlog_bytes(answer) > max_bytes:
        # The missed events are queued on the connection all at once. A backlog larger
        # than its outbox closed it with 4008 straight away, and the client resumed into
        # the same wall forever; an explicit resync is the honest answer (never a gap).
        return Resync("backlog", current)
    window = room.replay_seconds
    if answer and window is not None and answer[0].ts_ms < (clock.now() - window) * 1000:
        return Resync("window", current)  # this room keeps less history than the node
    return answer
