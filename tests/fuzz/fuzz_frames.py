"""Fuzz target: decoding a WebSocket frame and parsing it as a command.

What a client sends reaches `server.wire.Wire.load` (both subprotocols) and then
`server.wire.parse_command` with the real command table (`server.commands.SPECS`). Whatever the
bytes, only the documented exceptions may come out of them:

- `CloseConnection` (wrong frame type for the subprotocol: close 1003),
- `BadFrame` (not exactly one map),
- `BadRequest` (any other `ProtocolError`: unknown command, bad or missing fields).

Anything else would end the connection with 1011 instead of a documented error. And whatever
the server may send back must be encodable on both subprotocols: the error frame (its message
quotes client input), the echoed command id, and every field of the typed command (which is
stored, relayed to others or echoed). A JSON string holding a lone surrogate (`"\\ud800"`)
decodes fine but cannot be encoded as UTF-8 again, which once made the echo of an `id` kill
the connection's writer; that is the kind of bug this target looks for.

Each input's first byte picks the path (`MODES`), the rest is the frame. Corpus files in
`tests/fuzz/corpus/` follow that layout (`tests/fuzz/make_corpus.py` writes them).

A long run (libFuzzer options; new inputs go to the first directory, so keep it out of git):

    mkdir -p /tmp/fuzz-new
    uv run python tests/fuzz/fuzz_frames.py /tmp/fuzz-new tests/fuzz/corpus \\
        -max_total_time=600 -max_len=16384 -artifact_prefix=/tmp/fuzz-new/ -print_final_stats=1

Without atheris installed, `python tests/fuzz/fuzz_frames.py --random N` runs N seeded random
mutations of the corpus through the same check (tests/fuzz/test_fuzz_frames.py does that too).
"""

from __future__ import annotations

import dataclasses
import enum
import random
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

try:  # atheris is a dev dependency; the fallback below keeps the target usable without it
    import atheris
except ImportError:  # pragma: no cover - exercised only where atheris cannot be installed
    atheris = None

if atheris is not None and __name__ == "__main__":
    with atheris.instrument_imports(include=["server", "facilitation"]):
        from server.commands import SPECS
        from server.errors import BadFrame, BadRequest, CloseConnection, ProtocolError
        from server.wire import Wire, command_id, parse_command
else:
    from server.commands import SPECS
    from server.errors import BadFrame, BadRequest, CloseConnection, ProtocolError
    from server.wire import Wire, command_id, parse_command

__all__ = ["CORPUS", "MODES", "check_one", "mutations"]

CORPUS = Path(__file__).resolve().parent / "corpus"

MODES = ("json", "msgpack", "bytes-on-json", "text-on-msgpack")
"""First byte of an input, modulo 4: how the rest reaches `Wire.load`."""


class Escaped(AssertionError):
    """An undocumented exception escaped, or the server could not encode its own reply."""


def _as_text(data: bytes) -> str:
    # uvicorn hands the app only valid UTF-8 text (anything else closes with 1007), so the
    # text path sees what a decoder would make of these bytes.
    return data.decode("utf-8", errors="replace")


def _encodable(value: Any, what: str) -> None:
    """The value can go out on both subprotocols, as `Wire.dump` and the writer would send it."""
    try:
        text = Wire.JSON.dump(value)
        assert isinstance(text, str)
        text.encode("utf-8")  # what the WebSocket layer does with a text frame
        Wire.MSGPACK.dump(value)
    except Exception as exc:
        raise Escaped(f"{what} is not encodable: {type(exc).__name__}: {exc}") from exc


def _plain(value: Any) -> Any:
    """A typed command's field as the wire would carry it."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, frozenset | set | tuple | list):
        return [_plain(v) for v in value]
    return value


def check_one(data: bytes) -> str:
    """Run one input through decode and parse; returns how it ended (for statistics)."""
    if not data:
        return "empty"
    mode, body = MODES[data[0] % 4], data[1:]
    wire = Wire.JSON if mode in ("json", "bytes-on-json") else Wire.MSGPACK
    frame_in: bytes | str = _as_text(body) if mode in ("json", "text-on-msgpack") else body
    try:
        frame = wire.load(frame_in)
    except CloseConnection as exc:
        if mode not in ("bytes-on-json", "text-on-msgpack"):
            raise Escaped(f"close {exc.close_code} for a frame of the right type") from exc
        return "close"
    except BadFrame as exc:
        _encodable(
            {"type": "error", "id": None, "code": exc.code.value, "message": exc.message}, "error"
        )
        return "bad_frame"
    except Exception as exc:
        raise Escaped(f"Wire.load raised {type(exc).__name__}: {exc}") from exc
    if mode in ("bytes-on-json", "text-on-msgpack"):
        raise Escaped("a frame of the wrong type was accepted")
    if not isinstance(frame, dict):
        raise Escaped("Wire.load returned something other than a map")
    try:
        cid = command_id(frame)
    except Exception as exc:
        raise Escaped(f"command_id raised {type(exc).__name__}") from exc
    try:
        cid, command = parse_command(frame, SPECS)
    except ProtocolError as exc:
        if not isinstance(exc, BadRequest):
            raise Escaped(f"parse_command raised {type(exc).__name__}") from exc
        _encodable(
            {"type": "error", "id": cid, "code": exc.code.value, "message": exc.message}, "error"
        )
        return "bad_request"
    except Exception as exc:
        raise Escaped(f"parse_command raised {type(exc).__name__}: {exc}") from exc
    _encodable({"type": "ack", "id": cid}, "ack")
    if dataclasses.is_dataclass(command):
        fields = {f.name: _plain(getattr(command, f.name)) for f in dataclasses.fields(command)}
        _encodable(fields, f"the fields of {type(command).__name__}")
    return "command"


# -- without atheris: seeded random mutations of the corpus ---------------------------------------


def corpus_inputs(directory: Path = CORPUS) -> list[bytes]:
    return [p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()]


def _mutate(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(7)
        pos = rng.randrange(len(buf) + 1)
        if op == 0 and buf:  # flip a bit
            i = rng.randrange(len(buf))
            buf[i] ^= 1 << rng.randrange(8)
        elif op == 1:  # insert interesting bytes
            buf[pos:pos] = rng.choice(_INTERESTING)
        elif op == 2 and buf:  # delete a run
            del buf[pos : pos + rng.randint(1, 8)]
        elif op == 3 and buf:  # duplicate a run
            i = rng.randrange(len(buf))
            buf[pos:pos] = buf[i : i + rng.randint(1, 32)]
        elif op == 4:  # splice with another input
            other = rng.choice(pool)
            buf[pos:] = other[rng.randrange(len(other) + 1) :]
        elif op == 5 and buf:  # replace a byte with a random one
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        elif op == 6 and buf:  # change the mode byte
            buf[0] = rng.randrange(256)
    return bytes(buf[:16384])


_INTERESTING = [
    b"\x00",
    b"\xff",
    b"\xc1",  # never used in msgpack
    b"\xdd\xff\xff\xff\xff",  # array32 of 4 billion
    b"\xdb\xff\xff\xff\xff",  # str32 of 4 billion
    b"\xc7\x01\x05",  # ext8 type 5
    b"\xd6\xff\x00\x00\x00\x00",  # timestamp32
    b"\x91" * 64,
    b"[" * 64,
    b'"\\ud800"',
    b'"\\udfff\\ud800"',
    b"1e400",
    b"NaN",
    b"-0",
    b"9" * 5000,
    b'{"type":',
    b'"id":',
    b"\xed\xa0\x80",  # a surrogate in (invalid) UTF-8
]


def mutations(count: int, seed: int = 1, directory: Path = CORPUS) -> Iterator[bytes]:
    """`count` deterministic mutations of the corpus (the corpus itself comes first)."""
    rng = random.Random(seed)
    pool = corpus_inputs(directory)
    yield from pool
    for _ in range(max(0, count - len(pool))):
        yield _mutate(rng, rng.choice(pool), pool)


def run_all(inputs: Iterable[bytes]) -> dict[str, int]:
    outcomes: dict[str, int] = {}
    for data in inputs:
        kind = check_one(data)
        outcomes[kind] = outcomes.get(kind, 0) + 1
    return outcomes


def _fuzz_entry(data: bytes) -> None:
    check_one(data)


def main(argv: list[str]) -> None:
    if len(argv) >= 3 and argv[1] == "--random":
        outcomes = run_all(mutations(int(argv[2])))
        print(f"ran {sum(outcomes.values())} inputs: {outcomes}")
        return
    if atheris is None:
        raise SystemExit("atheris is not installed: use --random N (or `uv sync` the dev group)")
    atheris.Setup(argv, _fuzz_entry)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
