"""What both backends agree on: argument checks, the envelope's bytes, and new epochs.

An envelope crosses the wire (Redis pub/sub, or the memory backend's pretend wire) as one msgpack
array `[seq, epoch, ts_ms, payload]`. The Redis side packs it in Lua with `cmsgpack`, which has no
binary type and writes strings as msgpack `str`; so the reader unpacks with `raw=True` and accepts
`str` or `bin` for the two byte fields.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence

import msgpack

from rooms.backends.base import ConversationEvent, Envelope, Gap
from rooms.errors import BackendError

__all__ = [
    "check_blob",
    "check_name",
    "check_payloads",
    "conversation_events",
    "new_epoch",
    "pack_envelope",
    "seconds_to_ms",
    "unpack_envelope",
]


def check_name(value: str, what: str = "room") -> str:
    """A room slug or key must be a non-empty string (an empty hash tag would split a room)."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")
    return value


def check_blob(value: bytes, what: str = "blob") -> bytes:
    """Accept only bytes-like values, as Redis would store them; returns an immutable copy."""
    if not isinstance(value, bytes | bytearray | memoryview):
        raise TypeError(f"{what} must be bytes, not {type(value).__name__}")
    return bytes(value)


def check_payloads(payloads: Sequence[bytes]) -> list[bytes]:
    """Event payloads are non-empty bytes: the empty payload marks a redacted event."""
    checked = [check_blob(p, "payload") for p in payloads]
    if any(not p for p in checked):
        raise ValueError("an event payload must not be empty (empty means redacted)")
    return checked


def seconds_to_ms(seconds: float) -> int:
    """A duration in whole milliseconds, at least 1 (Redis rejects PX 0)."""
    return max(1, round(seconds * 1000))


def new_epoch() -> str:
    """A short random name for a room's history (48 random bits, URL-safe)."""
    return secrets.token_urlsafe(6)


def pack_envelope(seq: int, epoch: str, ts_ms: int, payload: bytes) -> bytes:
    """The wire form of one envelope (the memory backend's side; Redis packs in Lua)."""
    data: bytes = msgpack.packb([seq, epoch, ts_ms, payload], use_bin_type=True)
    return data


def unpack_envelope(data: bytes) -> Envelope:
    """Decode one envelope from the wire.

    Raises:
        BackendError: the bytes are not an envelope (never includes the bytes themselves).
    """
    try:
        fields = msgpack.unpackb(data, raw=True, use_list=True, strict_map_key=True)
        seq, epoch, ts_ms, payload = fields
        if not (
            type(seq) is int
            and type(ts_ms) is int
            and isinstance(epoch, bytes)
            and isinstance(payload, bytes)
        ):
            raise TypeError("bad field types")
        return Envelope(seq=seq, epoch=epoch.decode("ascii"), ts_ms=ts_ms, payload=payload)
    except Exception as exc:
        raise BackendError(f"undecodable envelope ({type(exc).__name__})") from None


async def conversation_events(
    inbox: AsyncIterator[Envelope | Gap],
) -> AsyncIterator[ConversationEvent | Gap]:
    """The conversation bus as conversation events: on the bus an envelope's `epoch` field
    carries the conversation id (both backends pack it so), and its seq is the conversation's."""
    async for item in inbox:
        if isinstance(item, Gap):
            yield item
        else:
            yield ConversationEvent(item.epoch, item.seq, item.ts_ms, item.payload)
