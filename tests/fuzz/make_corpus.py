"""Write the fuzz seed corpus: a valid frame of every command in both encodings, plus nasty cases.

    uv run python -m tests.fuzz.make_corpus

Each file is one input of `fuzz_frames.py`: a mode byte (see `MODES`), then the frame. File names
are stable (`<mode>-<name>`), so regenerating changes nothing unless the command table changed;
`tests/fuzz/test_fuzz_frames.py` checks that every command has a seed in both encodings.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import msgpack

from server.commands import SPECS
from server.wire import CommandSpec, Field
from tests.fuzz.fuzz_frames import CORPUS, MODES


def sample(field: Field) -> Any:
    """A value that passes the field's check."""
    if field.kind == "bool":
        return True
    if field.kind == "int":
        return field.lo
    if field.choices:
        return sorted(field.choices)[0]
    return "x" * max(field.lo, 1)


def valid_frame(spec: CommandSpec) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": spec.name, "id": 7}
    frame.update({f.name: sample(f) for f in spec.fields})
    return frame


def nasty() -> Iterator[tuple[str, str, bytes | str]]:
    """(name, mode, frame) of inputs that have hurt decoders elsewhere."""
    yield "json", "deep-array", "[" * 5000 + "]" * 5000
    yield "json", "deep-object", '{"a":' * 3000 + "1" + "}" * 3000
    yield "json", "lone-surrogate-id", '{"type":"ping","id":"\\ud800"}'
    yield "json", "lone-surrogate-text", '{"type":"post","id":1,"text":"hi \\udfff"}'
    yield "json", "surrogate-pair", '{"type":"post","id":1,"text":"\\ud83d\\ude00"}'
    yield "json", "huge-int", '{"type":"react","id":1,"mid":' + "9" * 4400 + ',"reaction":"hug"}'
    yield "json", "big-float", '{"type":"share.extend","id":1e400,"seconds":1e400}'
    yield "json", "nan", '{"type":"ping","id":NaN}'
    yield "json", "bool-id", '{"type":"ping","id":true}'
    yield "json", "negative-id", '{"type":"ping","id":-1}'
    yield "json", "duplicate-keys", '{"type":"ping","type":"post","id":1,"id":2,"text":"x"}'
    yield "json", "unknown-field", '{"type":"ping","id":1,"role":"facilitator"}'
    yield "json", "trailing", '{"type":"ping","id":1} {"type":"ping","id":2}'
    yield "json", "not-a-map", "[1,2,3]"
    yield "json", "empty", ""
    yield "json", "nul", '{"type":"post","id":1,"text":"\\u0000"}'
    yield "json", "type-not-string", '{"type":["post"],"id":1}'
    yield "msgpack", "absurd-array", b"\xdd\xff\xff\xff\xff"
    yield "msgpack", "absurd-map", b"\xdf\xff\xff\xff\xff"
    yield "msgpack", "absurd-str", b"\x81\xa4type\xdb\xff\xff\xff\xff"
    yield "msgpack", "absurd-bin", b"\x81\xa4type\xc6\xff\xff\xff\xff"
    yield "msgpack", "deep-array", b"\x91" * 5000 + b"\xc0"
    yield "msgpack", "ext-type", b"\x82\xa4type\xa4ping\xa2id\xc7\x01\x05\x00"
    yield "msgpack", "timestamp-id", b"\x82\xa4type\xa4ping\xa2id\xd6\xff\x00\x00\x00\x01"
    yield "msgpack", "int-key", b"\x82\x01\x02\xa4type\xa4ping"
    yield "msgpack", "bin-key", b"\x83\xc4\x04type\xa4ping\xa4type\xa4ping\xa2id\x01"
    yield "msgpack", "bad-utf8", b"\x82\xa4type\xa3\xed\xa0\x80\xa2id\x01"
    yield "msgpack", "never-used", b"\xc1"
    yield "msgpack", "trailing", msgpack.packb({"type": "ping", "id": 1}) + b"\x00"
    yield "msgpack", "float-id", msgpack.packb({"type": "ping", "id": 1.5})
    yield "msgpack", "uint64", msgpack.packb({"type": "ping", "id": 2**64 - 1})
    yield "bytes-on-json", "binary-frame", b"\x81\xa4type\xa4ping"
    yield "text-on-msgpack", "text-frame", '{"type":"ping","id":1}'


def entries() -> Iterator[tuple[str, bytes]]:
    for spec in SPECS.values():
        frame = valid_frame(spec)
        yield f"json-{spec.name}", _encode("json", json.dumps(frame))
        yield f"msgpack-{spec.name}", _encode("msgpack", msgpack.packb(frame))
    for mode, name, data in nasty():
        yield f"{mode}-{name}", _encode(mode, data)


def _encode(mode: str, data: bytes | str) -> bytes:
    body = data.encode("utf-8") if isinstance(data, str) else data
    return bytes([MODES.index(mode)]) + body


def main() -> None:
    shutil.rmtree(CORPUS, ignore_errors=True)
    CORPUS.mkdir()
    count = 0
    for name, data in entries():
        (CORPUS / name).write_bytes(data)
        count += 1
    print(f"wrote {count} seeds to {CORPUS}")


if __name__ == "__main__":
    main()
