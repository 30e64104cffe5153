"""Frames on the wire: decode a WebSocket message into a typed command, encode replies.

Two subprotocols carry the same maps (docs/protocol.md §1): JSON in text frames and msgpack in
binary frames. This module is sans-I/O: it never touches a socket. Everything past it works with
the frozen command values it returns, never with raw dicts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import msgpack

from server.codes import CloseCode, ServerCode
from server.errors import BadFrame, BadRequest, CloseConnection

__all__ = [
    "JSON_SUBPROTOCOL",
    "MSGPACK_SUBPROTOCOL",
    "SUBPROTOCOLS",
    "CommandSpec",
    "Field",
    "Wire",
    "parse_command",
]

JSON_SUBPROTOCOL: Final = "sharecircle.v1.json"
MSGPACK_SUBPROTOCOL: Final = "sharecircle.v1.msgpack"


class Wire(StrEnum):
    """The two encodings; the value is the subprotocol name."""

    JSON = JSON_SUBPROTOCOL
    MSGPACK = MSGPACK_SUBPROTOCOL

    @property
    def binary(self) -> bool:
        return self.value == MSGPACK_SUBPROTOCOL

    def load(self, data: bytes | str) -> dict[str, Any]:
        """Decode one frame into a map with a string `type`.

        Raises:
            CloseConnection: text on the binary subprotocol or binary on the text one (1003).
            BadFrame: anything else that is not exactly one map.
        """
        if isinstance(data, str) == self.binary:
            # protocol.md §1: the frame type must match the subprotocol.
            raise CloseConnection(CloseCode.UNSUPPORTED_DATA, "wrong frame type for subprotocol")
        try:
            frame = _decode_json(data) if isinstance(data, str) else _decode_msgpack(data)
        except Exception as exc:  # any decoder failure is the client's fault, never ours
            raise BadFrame(f"not a valid {self.name} frame") from exc
        if not isinstance(frame, dict):
            raise BadFrame("a frame must be a map")
        return frame

    def dump(self, frame: Mapping[str, Any]) -> bytes | str:
        """Encode one frame for this subprotocol."""
        return self.dumper(frame)

    @property
    def dumper(self) -> Callable[[Mapping[str, Any]], bytes | str]:
        """`dump` as a plain function, for hot paths that encode many frames."""
        return _dump_msgpack if self.value == MSGPACK_SUBPROTOCOL else _dump_json


def _dump_msgpack(frame: Mapping[str, Any]) -> bytes:
    packed: bytes = msgpack.packb(frame, use_bin_type=True)
    return packed


def _dump_json(frame: Mapping[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


SUBPROTOCOLS: Final = tuple(w.value for w in Wire)


def _reject_ext(code: int, data: bytes) -> Any:
    raise ValueError("extension types are not accepted")


def _reject_constant(name: str) -> Any:
    raise ValueError("NaN and Infinity are not JSON")


def _decode_msgpack(data: bytes) -> Any:
    # unpackb raises ExtraData on trailing bytes and caps every declared length at the size of
    # the frame itself, so a frame that declares a huge array or string cannot make us allocate it.
    return msgpack.unpackb(
        data,
        raw=False,
        strict_map_key=True,
        ext_hook=_reject_ext,
        use_list=True,
    )


def _decode_json(data: str) -> Any:
    frame = json.loads(data, parse_constant=_reject_constant)
    if "\\u" in data:
        # A JSON escape can spell a lone UTF-16 surrogate ("\ud800"), which is not a character:
        # it decodes, but can never be encoded as UTF-8 again, so echoing it (an `id`) or relaying
        # it killed the connection's writer with 1011. Found by tests/fuzz/fuzz_frames.py. Such a
        # frame is undecodable (bad_frame); the re-encode only runs when an escape is present.
        json.dumps(frame, ensure_ascii=False).encode("utf-8")
    return frame


# ---------------------------------------------------------------------------------------------
# Command schemas: each command is a frozen dataclass built from a validated map.

MAX_INT: Final = 2**53 - 1


@dataclass(frozen=True, slots=True)
class Field:
    """How one field of a command is checked.

    `kind` is one of "str", "int", "bool", "id" (a client id); `choices` restricts strings.
    Lengths are counted in characters before normalisation; the rooms layer checks content.
    """

    name: str
    kind: str
    required: bool = True
    default: Any = None
    lo: int = 0
    hi: int = MAX_INT
    choices: frozenset[str] | None = None

    def check(self, value: Any) -> Any:
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise BadRequest(f"{self.name} must be true or false")
            return value
        if self.kind == "int":
            if isinstance(value, float) and math.isfinite(value) and value.is_integer():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise BadRequest(f"{self.name} must be an integer")
            if not self.lo <= value <= self.hi:
                raise BadRequest(f"{self.name} must be between {self.lo} and {self.hi}")
            return value
        if not isinstance(value, str):
            raise BadRequest(f"{self.name} must be a string")
        if not self.lo <= len(value) <= self.hi:
            raise BadRequest(f"{self.name} must have {self.lo} to {self.hi} characters")
        if self.choices is not None and value not in self.choices:
            raise BadRequest(f"{self.name} must be one of {', '.join(sorted(self.choices))}")
        return value


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A command's name, its fields, and how to build its typed value from them."""

    name: str
    fields: tuple[Field, ...]
    build: Callable[..., object]


def _check_id(frame: Mapping[str, Any]) -> str | int:
    cid = frame.get("id")
    if isinstance(cid, bool) or cid is None:
        raise BadRequest("every command needs an id (string or integer)")
    if isinstance(cid, int) and 0 <= cid <= MAX_INT:
        return cid
    if isinstance(cid, str) and 1 <= len(cid) <= 64:
        return cid
    raise BadRequest("id must be a string of 1-64 characters or an integer from 0 to 2^53-1")


def command_id(frame: Mapping[str, Any]) -> str | int | None:
    """The frame's id if it is a valid one, for echoing it in an error reply."""
    try:
        return _check_id(frame)
    except BadRequest:
        return None


def parse_command(
    frame: Mapping[str, Any], specs: Mapping[str, CommandSpec]
) -> tuple[str | int, object]:
    """Validate a decoded frame against its command's spec.

    Returns:
        The client's command id and the typed command value.

    Raises:
        BadRequest: missing id, unknown command (code `unknown_command`), missing, unknown or
            ill-typed fields.
    """
    cid = _check_id(frame)
    name = frame.get("type")
    if not isinstance(name, str):
        raise BadRequest("every command needs a string type")
    spec = specs.get(name)
    if spec is None:
        raise BadRequest(f"no such command: {name[:40]!r}", ServerCode.UNKNOWN_COMMAND)
    known = {"type", "id"} | {f.name for f in spec.fields}
    extra = [k for k in frame if k not in known]
    if extra:
        raise BadRequest(f"unknown field: {str(extra[0])[:40]!r}")
    values: dict[str, Any] = {}
    for f in spec.fields:
        if f.name in frame and frame[f.name] is not None:
            values[f.name] = f.check(frame[f.name])
        elif f.required:
            raise BadRequest(f"missing field: {f.name}")
        else:
            values[f.name] = f.default
    return cid, spec.build(**values)
