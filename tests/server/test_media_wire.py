"""The media connection's frames (server/media_wire.py, docs/protocol.md §9.3), without a socket."""

from __future__ import annotations

import json
import struct

import msgpack
import pytest

from server import media_wire as wire


def test_an_audio_frame_has_the_documented_ten_byte_header() -> None:
    data = struct.pack(">BBII", 0x01, 0, 7, 140) + b"opus"
    frame = wire.parse(data)
    assert frame == wire.AudioFrame(seq=7, ts=140, packet=b"opus")


def test_a_relayed_frame_names_its_speaker_and_keeps_seq_ts_and_packet() -> None:
    out = wire.relayed(wire.AudioFrame(seq=2**32 - 1, ts=5, packet=b"\x00\xff"), "m_8fK2")
    assert out[:10] == struct.pack(">BBII", 0x02, 0, 2**32 - 1, 5)
    assert out[10] == len("m_8fK2")
    assert out[11:17] == b"m_8fK2"
    assert out[17:] == b"\x00\xff"
    assert wire.source_of(out) == "m_8fK2"
    assert wire.source_of(b"\x01" + bytes(20)) is None


@pytest.mark.parametrize(
    "data",
    [
        b"",
        struct.pack(">BBII", 0x01, 0, 1, 1),  # a header and no packet
        struct.pack(">BBII", 0x01, 0, 1, 1) + bytes(wire.MAX_OPUS_BYTES + 1),
        b"\xc1",  # never valid msgpack
        msgpack.packb([1, 2]),  # not a map
        msgpack.packb({"no": "type"}),
        "not json",
        json.dumps({"type": 3}),
        "x" * (wire.MAX_CONTROL_BYTES + 1),
    ],
)
def test_anything_else_is_a_bad_frame(data: bytes | str) -> None:
    with pytest.raises(wire.MediaFrameError):
        wire.parse(data)


def test_control_frames_come_as_msgpack_or_json_and_go_back_the_same_way() -> None:
    assert wire.parse(msgpack.packb({"type": "listen", "on": True})) == {
        "type": "listen",
        "on": True,
    }
    assert wire.parse('{"type":"speak","on":false}') == {"type": "speak", "on": False}
    assert msgpack.unpackb(wire.control("live", live=True)) == {"type": "live", "live": True}
    assert json.loads(wire.control("live", text=True, live=False)) == {
        "type": "live",
        "live": False,
    }
