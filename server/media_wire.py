"""The media connection's frames (docs/protocol.md §9), sans-I/O: bytes in, values out.

Every message on a media connection is a binary WebSocket frame. Its first byte says what it is:

- `0x01`: an audio frame from the speaker, a fixed 10-byte header then one Opus packet:

      offset size  field
      0      1     kind = 0x01
      1      1     flags (0; reserved, ignored)
      2      4     seq: the sender's own frame counter (u32, big-endian, wraps)
      6      4     ts: the sender's capture time in ms from its own start (u32, wraps)
      10     ...   the Opus packet (1..MAX_OPUS_BYTES bytes, 20 ms mono)

- `0x02`: an audio frame relayed to a listener: the same header with kind = 0x02, then a
  1-byte length and the speaker's member id (an opaque id, never a name), then the packet.
- anything else: a control frame, a msgpack map with a `type` (§9.2).

Control frames may also be JSON maps in text frames (what the browser sends: it carries no
msgpack library); the server answers in the encoding the `auth` frame came in. The header is a
fixed binary layout encoded with `struct`; control frames use msgpack (or JSON) like the chat
connection's subprotocols. Audio payloads are opaque here and are never decoded,
stored or logged by the server.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any, Final

import msgpack

__all__ = [
    "AUDIO_IN",
    "AUDIO_OUT",
    "MAX_CONTROL_BYTES",
    "MAX_OPUS_BYTES",
    "SUBPROTOCOL",
    "AudioFrame",
    "MediaFrameError",
    "control",
    "parse",
    "relayed",
    "source_of",
]

SUBPROTOCOL: Final = "sharecircle.v1.media"
AUDIO_IN: Final = 0x01
AUDIO_OUT: Final = 0x02
HEADER: Final = struct.Struct(">BBII")
"""kind, flags, seq, ts: 10 bytes."""
MAX_OPUS_BYTES: Final = 1275
"""The largest Opus packet there is (RFC 6716 §3.2.1); a 20 ms mono frame at 32 kbit/s is ~80."""
MAX_CONTROL_BYTES: Final = 4096
MAX_SOURCE_BYTES: Final = 64


class MediaFrameError(ValueError):
    """A frame that is not a well-formed audio or control frame (answered with `bad_frame`)."""


@dataclass(frozen=True, slots=True)
class AudioFrame:
    """One audio frame from a speaker: their counters and the opaque Opus packet."""

    seq: int
    ts: int
    packet: bytes


def parse(data: bytes | str) -> AudioFrame | dict[str, Any]:
    """An audio frame or a control frame (a map with a string `type`)."""
    if not data:
        raise MediaFrameError("empty frame")
    if isinstance(data, str):
        return _json_control(data)
    if data[0] == AUDIO_IN:
        if len(data) <= HEADER.size or len(data) > HEADER.size + MAX_OPUS_BYTES:
            raise MediaFrameError("audio frame size")
        _, _, seq, ts = HEADER.unpack_from(data)
        return AudioFrame(seq, ts, bytes(data[HEADER.size :]))
    if len(data) > MAX_CONTROL_BYTES:
        raise MediaFrameError("control frame too large")
    try:
        frame = msgpack.unpackb(data, raw=False, strict_map_key=True)
    except (ValueError, msgpack.UnpackException, TypeError) as exc:
        raise MediaFrameError("not msgpack") from exc
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise MediaFrameError("a control frame is a map with a type")
    return frame


def _json_control(text: str) -> dict[str, Any]:
    if len(text) > MAX_CONTROL_BYTES:
        raise MediaFrameError("control frame too large")
    try:
        frame = json.loads(text)
    except ValueError as exc:
        raise MediaFrameError("not JSON") from exc
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise MediaFrameError("a control frame is a map with a type")
    return frame


def relayed(frame: AudioFrame, source: str) -> bytes:
    """The listener's copy of `frame`, naming its speaker (made once per frame, for everyone)."""
    ident = source.encode()
    if len(ident) > MAX_SOURCE_BYTES:
        raise MediaFrameError("source id too long")
    head = HEADER.pack(AUDIO_OUT, 0, frame.seq, frame.ts)
    return b"".join((head, bytes((len(ident),)), ident, frame.packet))


def source_of(data: bytes) -> str | None:
    """The speaker's member id of a relayed frame, or None if it is not one."""
    if len(data) <= HEADER.size or data[0] != AUDIO_OUT:
        return None
    size = data[HEADER.size]
    return data[HEADER.size + 1 : HEADER.size + 1 + size].decode(errors="replace")


def control(kind: str, *, text: bool = False, **fields: Any) -> bytes | str:
    """A control frame to send: JSON text when `text`, else msgpack."""
    body = {"type": kind, **fields}
    if text:
        return json.dumps(body, separators=(",", ":"))
    packed: bytes = msgpack.packb(body, use_bin_type=True)
    return packed
