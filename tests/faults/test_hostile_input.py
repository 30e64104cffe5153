"""Hostile bytes and hostile handshakes: a documented answer each time, and the node carries on.

Extends tests/server/test_bad_input.py (undecodable frames, wrong frame type, oversized frames,
join deadline, subprotocol and Origin checks) with what a library client cannot easily send:
nesting bombs, absurd declared lengths, invalid UTF-8, lone surrogates, huge or slow HTTP heads.
"""

from __future__ import annotations

import asyncio
import json

import msgpack
import pytest

from tests.faults.raw import RawSocket, masked_frame, parse_close
from tests.support.client import Client
from tests.support.live import Live, live_server, node_settings

ROOM = "night-owls"


@pytest.fixture
async def live() -> Live:  # type: ignore[misc]
    async with live_server(node_settings(handshake_timeout_seconds=0.5)) as server:
        yield server


async def _room_still_works(live: Live) -> None:
    """Two fresh members can still join and hear each other."""
    a, b = await Client.connect(live.url), await Client.connect(live.url, binary=True)
    await a.join(ROOM, "Still A")
    await b.join(ROOM, "Still B")
    said = await a.ok("post", text="the room is fine")
    await b.event("chat.message", seq=said["seq"])
    await a.close()
    await b.close()


@pytest.mark.parametrize(
    ("binary", "frame"),
    [
        (False, '{"type":"post","id":1,"text":' + "[" * 3000 + "]" * 3000 + "}"),
        (False, "[" * 8000),
        (False, '{"type":"ping","id":' + "9" * 5000 + "}"),
        (False, '{"type":"ping","id":1e400}'),
        (False, '{"type":"ping","id":"\\ud800"}'),  # a lone surrogate: not a character
        (True, b"\x91" * 8000 + b"\xc0"),
        (True, b"\xdd\xff\xff\xff\xff"),  # an array declaring 4 billion items
        (True, b"\x82\xa4type\xa4post\xa4text\xdb\xff\xff\xff\xf0abc"),  # a 4 GB string
        (True, b"\x82\xa4type\xa4ping\xa2id\xc7\x01\x05\x00"),  # an extension type
    ],
    ids=[
        "json-nested-text",
        "json-deep-array",
        "json-huge-int",
        "json-infinity",
        "json-lone-surrogate",
        "msgpack-deep",
        "msgpack-absurd-array",
        "msgpack-absurd-string",
        "msgpack-ext",
    ],
)
async def test_bombs_get_an_error_frame_and_the_connection_carries_on(
    live: Live, binary: bool, frame: str | bytes
) -> None:
    client = await Client.connect(live.url, binary=binary)
    await client.send_raw(frame)
    err = await client.wait_for(lambda f: f.get("type") == "error", frames=True)
    assert err["code"] in ("bad_frame", "bad_request")
    assert (await client.request("ping"))["type"] == "pong"
    await client.close()


async def test_a_lone_surrogate_never_reaches_anyone(live: Live) -> None:
    """Text or ids holding "\\ud800" are refused at the edge; once, an echoed id killed the
    connection's writer (1011) and could not be relayed to JSON clients at all."""
    bystander = await Client.connect(live.url)
    await bystander.join(ROOM, "Bystander")
    for raw in (
        '{"type":"post","id":"\\ud800","text":"hi"}',
        '{"type":"post","id":5,"text":"hi \\udfff there"}',
        '{"type":"report","id":6,"mid":1,"reason":"\\ud800"}',
    ):
        sender = await Client.connect(live.url)
        await sender.send_raw(raw)
        err = await sender.wait_for(lambda f: f.get("type") == "error", frames=True)
        assert err["code"] == "bad_frame"
        assert (await sender.request("ping"))["type"] == "pong"
        await sender.close()
    client = await Client.connect(live.url)
    await client.join(ROOM, "Sender")
    pair = await client.ok("post", text="an emoji \U0001f600 is fine")
    seen = await bystander.event("chat.message", seq=pair["seq"])
    assert seen["text"] == "an emoji \U0001f600 is fine"
    await client.close()
    await bystander.close()


async def test_unknown_fields_never_pass_silently(live: Live) -> None:
    """A field the command does not have is refused, every time, and nothing is posted or
    changed; such commands are decodable, so they never count towards the 1008 close."""
    client = await Client.connect(live.url, binary=True)
    await client.join(ROOM, "Typo")
    commands = (("post", {"text": "hi", "txt": "typo"}), ("hand.raise", {"urgent": 1}))
    for kind, fields in (*commands, ("ping", {"extra": 1})):
        reply = await client.request(kind, **fields)
        assert reply["code"] == "bad_request", reply
    assert not client.named("chat.message")
    assert (await client.request("ping"))["type"] == "pong"  # still open
    await client.close()


async def test_every_decodable_command_gets_exactly_one_reply(live: Live) -> None:
    """Three commands with an unknown field, sent back to back: three `bad_request` replies,
    one per id, and the connection stays open (protocol.md §3: one ack or error per id)."""
    client = await Client.connect(live.url)
    await client.join(ROOM, "Newer client")
    for cid in (101, 102, 103):
        await client.send_raw(json.dumps({"type": "post", "id": cid, "text": "x", "new": True}))
    replies = [
        await client.wait_for(lambda f, cid=cid: f.get("id") == cid, frames=True)
        for cid in (101, 102, 103)
    ]
    assert [r["code"] for r in replies] == ["bad_request"] * 3
    assert sum(1 for f in client.frames if f.get("id") in (101, 102, 103)) == 3
    assert (await client.request("ping"))["type"] == "pong"
    await client.close()


async def test_invalid_utf8_in_a_text_frame_closes_with_1007(live: Live) -> None:
    """The WebSocket layer (uvicorn) refuses it before the app sees it: close 1007. uvicorn logs
    the decode error at ERROR with a traceback; it names a byte offset, never the text."""
    async with await RawSocket.open(live.http) as raw:
        await raw.handshake(live.http.removeprefix("http://"))
        await raw.send(masked_frame(0x1, b'{"type":"ping","id":"\xff\xfe"}'))
        assert parse_close(await raw.read_until_eof()) == 1007
    await _room_still_works(live)


@pytest.mark.parametrize("size", [20_000, 200_000])
async def test_an_oversized_handshake_head_is_refused_and_closed(live: Live, size: int) -> None:
    """A huge header gets a 4xx (431 from websockets, or 400 from h11) and the socket closes;
    before, uvicorn never sent websockets' 431 and the connection hung open forever. (A reset
    instead of the answer means the node closed with our unread bytes in its buffer.)"""
    host = live.http.removeprefix("http://")
    async with await RawSocket.open(live.http) as raw:
        raw.writer.write(RawSocket.upgrade_head(host, extra=f"X-Padding: {'a' * size}\r\n"))
        answer = await raw.read_until_eof()
    assert answer == b"" or answer.startswith((b"HTTP/1.1 431", b"HTTP/1.1 400")), answer[:60]
    await _room_still_works(live)


async def test_too_many_headers_are_refused(live: Live) -> None:
    extra = "".join(f"X-H{i}: v\r\n" for i in range(200))
    async with await RawSocket.open(live.http) as raw:
        await raw.send(RawSocket.upgrade_head(live.http.removeprefix("http://"), extra=extra))
        assert (await raw.read_until_eof()).startswith((b"HTTP/1.1 431", b"HTTP/1.1 400"))


async def test_a_slow_handshake_is_cut_off_and_others_are_served_meanwhile(live: Live) -> None:
    """Slowloris: a head that never completes, and one that trickles in a byte at a time, are
    closed unanswered at `handshake_timeout_seconds` (0.5 s here; 10 s by default); uvicorn alone
    would keep both forever. Meanwhile the node serves everyone else."""
    host = live.http.removeprefix("http://")
    head = RawSocket.upgrade_head(host)
    async with (
        await RawSocket.open(live.http) as stuck,
        await RawSocket.open(live.http) as trickler,
    ):
        await stuck.send(b"GET /ws HTTP/1.1\r\nHost: " + host.encode() + b"\r\n")

        async def trickle() -> None:
            for byte in head[:-2]:  # never the final blank line
                trickler.writer.write(bytes([byte]))
                await trickler.writer.drain()
                await asyncio.sleep(0.01)

        dribble = asyncio.create_task(trickle())
        try:
            await _room_still_works(live)  # served while both hold their connections open
            assert await stuck.read_until_eof() == b""  # closed, no response
            assert await trickler.read_until_eof() == b""
        finally:
            dribble.cancel()
            await asyncio.gather(dribble, return_exceptions=True)


async def test_query_string_credentials_are_ignored(live: Live) -> None:
    """Nothing in the URL is ever read: a token in the query string seats nobody."""
    owner = await Client.connect(live.url)
    await owner.join(ROOM, "Owner")
    stranger = await Client.connect(f"{live.url}?token={owner.token}&room={ROOM}")
    reply = await stranger.request("post", text="am I in?")
    assert reply["code"] == "not_joined"
    await stranger.close()
    await owner.close()


async def test_json_and_msgpack_carry_the_same_refusals(live: Live) -> None:
    """The same invalid command gets the same code on both subprotocols."""
    bad = {"type": "react", "id": 3, "mid": "one", "reaction": "hug"}
    codes = []
    for binary in (False, True):
        client = await Client.connect(live.url, binary=binary)
        await client.send_raw(msgpack.packb(bad) if binary else json.dumps(bad))
        codes.append((await client.wait_for(lambda f: f.get("id") == 3, frames=True))["code"])
        await client.close()
    assert codes == ["bad_request", "bad_request"]
