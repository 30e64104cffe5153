"""What a resuming client is sent of the events it missed: the replay, or an explicit resync.

Rules of this module:

- The missed events are read from the room's window (up to `scan_events`, the window's own
  size) and sent only if they are all still there and no older than the room's own
  `replay_seconds`; otherwise the answer is a `Resync` naming why (never a silent gap).
- What is sent must fit the per-resume caps (`max_events`, `max_bytes`): the backlog is queued
  at once and must fit the outbox. Over them, the presence churn is folded (each run of
  presence events as one `members.changed`, rooms/presence_batch.py); chat and meeting events
  are never folded, so if they alone are over the caps the answer is `Resync("backlog")`.
- Facilitators-only events reach a person who is not a facilitator as their hidden twin.
"""

from __future__ import annotations

import msgpack

from rooms.backends.base import Backend, Envelope, Position, Resync
from rooms.clock import Clock
from rooms.hub import decode_payload
from rooms.model import RoomConfig
from rooms.outbound import FACILITATORS, OutboundEvent, hidden_twin
from rooms.presence_batch import fold_runs
from rooms.seat import Attendee

__all__ = ["backlog_for", "fitted", "missed_events", "readable"]

FRAME_OVERHEAD = 128
"""Bytes counted per queued frame on top of its body (type, seq, epoch, ts, the outbox's own)."""


def _backlog_bytes(events: list[OutboundEvent]) -> int:
    """Roughly what replaying these events puts in an outbox."""
    return sum(len(msgpack.packb(e.frame)) + FRAME_OVERHEAD for e in events)


def _fits(events: list[OutboundEvent], max_events: int, max_bytes: int) -> bool:
    return len(events) <= max_events and _backlog_bytes(events) <= max_bytes


def readable(attendee: Attendee, env: Envelope) -> OutboundEvent:
    """A replayed event as this person may read it."""
    frame, audience = decode_payload(env)
    event = OutboundEvent(env.seq, frame, audience)
    if audience == FACILITATORS and not attendee.facilitator:
        return hidden_twin(event)
    return event


def fitted(
    events: list[OutboundEvent], *, max_events: int, max_bytes: int
) -> list[OutboundEvent] | None:
    """The backlog as sent: whole if it fits the caps, else with its presence churn folded;
    None if even that is over them (the caller resyncs with `backlog`)."""
    if _fits(events, max_events, max_bytes):
        return events
    folded = fold_runs(events)
    return folded if _fits(folded, max_events, max_bytes) else None


async def missed_events(
    backend: Backend, clock: Clock, room: RoomConfig, start: Position, *, scan_events: int
) -> list[Envelope] | Resync:
    """The events after `start`, or an explicit resync when the window no longer holds them."""
    current = await backend.position(room.slug)
    if start.seq > current.seq:
        return Resync("ahead", current)
    answer = await backend.replay(room.slug, start, scan_events)
    if isinstance(answer, Resync):
        return answer
    window = room.replay_seconds
    if answer and window is not None and answer[0].ts_ms < (clock.now() - window) * 1000:
        return Resync("window", current)  # this room keeps less history than the node
    return answer


async def backlog_for(
    backend: Backend,
    clock: Clock,
    room: RoomConfig,
    attendee: Attendee,
    start: Position,
    *,
    scan_events: int,
    max_events: int,
    max_bytes: int,
) -> list[OutboundEvent] | Resync:
    """What a resuming connection is sent of the events after `start`, as it may read them
    (presence folded if needed), or the explicit resync that replaces them."""
    answer = await missed_events(backend, clock, room, start, scan_events=scan_events)
    if isinstance(answer, Resync):
        return answer
    events = [readable(attendee, env) for env in answer]
    missed = fitted(events, max_events=max_events, max_bytes=max_bytes)
    if missed is None:  # the window holds it all, but more than one resume may carry
        return Resync("backlog", Position(answer[-1].seq, answer[-1].epoch))
    return missed
