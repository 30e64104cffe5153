"""The wire layer without sockets: decoding, validation and error mapping."""

from __future__ import annotations

import json

import msgpack
import pytest

from server.codes import CloseCode, ErrorCode
from server.commands import SPECS, Join, Post, React
from server.errors import BadFrame, BadRequest, CloseConnection
from server.wire import Wire, parse_command


@pytest.mark.parametrize("wire", list(Wire))
def test_round_trip_of_a_map(wire: Wire) -> None:
    frame = {"type": "post", "id": 7, "text": "héllo 🌙"}
    assert wire.load(wire.dump(frame)) == frame


def test_text_frame_on_msgpack_closes_with_1003() -> None:
    with pytest.raises(CloseConnection) as info:
        Wire.MSGPACK.load('{"type": "ping", "id": 1}')
    assert info.value.close_code == CloseCode.UNSUPPORTED_DATA


def test_binary_frame_on_json_closes_with_1003() -> None:
    with pytest.raises(CloseConnection) as info:
        Wire.JSON.load(b"\x81\xa4type\xa4ping")
    assert info.value.close_code == CloseCode.UNSUPPORTED_DATA


@pytest.mark.parametrize(
    "data",
    [
        b"\xc1",  # never-used msgpack byte
        msgpack.packb({"type": "ping", "id": 1}) + b"\x00",  # trailing bytes
        b"\xdb\xff\xff\xff\xff",  # a str32 that claims 4 GiB
        b"\xdd\xff\xff\xff\xff",  # an array32 that claims 4 billion items
        b"\xa2\xff\xfe",  # invalid UTF-8 in a string
        msgpack.packb(msgpack.ExtType(1, b"x")),  # extension types are refused
        b"\x91" * 5000 + b"\xc0",  # absurdly deep nesting
        msgpack.packb({1: "int keys"}),
    ],
    ids=["never-used", "trailing", "huge-str", "huge-array", "bad-utf8", "ext", "deep", "int-keys"],
)
def test_undecodable_msgpack_is_a_bad_frame(data: bytes) -> None:
    with pytest.raises(BadFrame) as info:
        Wire.MSGPACK.load(data)
    assert info.value.code == ErrorCode.BAD_FRAME


@pytest.mark.parametrize(
    "data",
    ["{", "[1, 2]", '"just a string"', "NaN", '{"a": Infinity}', "[" * 100_000, "{} {}"],
    ids=["open", "list", "string", "nan", "infinity", "deep", "two-maps"],
)
def test_undecodable_json_is_a_bad_frame(data: str) -> None:
    with pytest.raises(BadFrame):
        Wire.JSON.load(data)


def test_join_parses_into_a_typed_command() -> None:
    cid, cmd = parse_command({"type": "join", "id": "a1", "room": "r", "name": "Sam"}, SPECS)
    assert cid == "a1"
    assert cmd == Join(
        room="r", name="Sam", role="member", invite=None, facilitator=None, remember=False
    )


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "post", "text": "x"}, ErrorCode.BAD_REQUEST),  # no id
        ({"type": "post", "id": True, "text": "x"}, ErrorCode.BAD_REQUEST),
        ({"type": "post", "id": "x" * 65, "text": "x"}, ErrorCode.BAD_REQUEST),
        ({"type": "post", "id": 2**60, "text": "x"}, ErrorCode.BAD_REQUEST),
        ({"type": "fly", "id": 1}, ErrorCode.UNKNOWN_COMMAND),
        ({"type": 5, "id": 1}, ErrorCode.BAD_REQUEST),
        ({"type": "post", "id": 1}, ErrorCode.BAD_REQUEST),  # missing text
        ({"type": "post", "id": 1, "text": 5}, ErrorCode.BAD_REQUEST),
        ({"type": "post", "id": 1, "text": "x", "role": "facilitator"}, ErrorCode.BAD_REQUEST),
        ({"type": "react", "id": 1, "mid": "3", "reaction": "heart"}, ErrorCode.BAD_REQUEST),
        ({"type": "react", "id": 1, "mid": 3, "reaction": "skull"}, ErrorCode.BAD_REQUEST),
        ({"type": "react", "id": 1, "mid": True, "reaction": "heart"}, ErrorCode.BAD_REQUEST),
        ({"type": "mute", "id": 1, "member": "m_1", "seconds": 10**9}, ErrorCode.BAD_REQUEST),
        ({"type": "join", "id": 1, "room": "r", "role": "facilitator"}, ErrorCode.BAD_REQUEST),
    ],
)
def test_invalid_commands_are_refused_with_a_code(
    frame: dict[str, object], code: ErrorCode
) -> None:
    with pytest.raises(BadRequest) as info:
        parse_command(frame, SPECS)
    assert info.value.code == code


def test_fields_that_claim_identity_are_unknown_fields() -> None:
    """protocol.md §2.1: a frame cannot carry who sent it; such fields are refused."""
    for field in ("member_id", "from", "role", "room"):
        with pytest.raises(BadRequest):
            parse_command({"type": "post", "id": 1, "text": "hi", field: "x"}, SPECS)


def test_integral_floats_count_as_integers() -> None:
    _, cmd = parse_command({"type": "react", "id": 1, "mid": 3.0, "reaction": "heart"}, SPECS)
    assert cmd == React(mid=3, reaction="heart")


def test_json_and_msgpack_give_the_same_command() -> None:
    frame = {"type": "post", "id": 3, "text": "same"}
    a = parse_command(Wire.JSON.load(json.dumps(frame)), SPECS)
    b = parse_command(Wire.MSGPACK.load(msgpack.packb(frame)), SPECS)
    assert a == b == (3, Post(text="same"))
