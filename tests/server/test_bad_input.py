"""Malformed input gets a documented error or close code; the room and everyone else carry on."""

from __future__ import annotations

import json

import msgpack
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.support.client import Client
from tests.support.live import Live, live_server, node_settings


async def _room_with_bystander(live: Live) -> Client:
    bystander = await Client.connect(live.url)
    await bystander.join("night-owls", "Bystander")
    return bystander


async def _bystander_still_fine(live: Live, bystander: Client) -> None:
    friend = await Client.connect(live.url)
    await friend.join("night-owls", "Friend")
    ack = await friend.ok("post", text="still here")
    await bystander.event("chat.message", seq=ack["seq"])
    await friend.close()
    await bystander.close()


async def test_undecodable_frames_get_errors_then_a_policy_close(live: Live) -> None:
    bystander = await _room_with_bystander(live)
    client = await Client.connect(live.url)
    await client.send_raw("this is not json")
    err = await client.wait_for(lambda f: f.get("type") == "error", frames=True)
    assert err["code"] == "bad_frame"
    assert err["id"] is None
    assert (await client.request("ping"))["type"] == "pong"  # the connection carries on
    await client.send_raw("[1, 2, 3]")
    await client.send_raw('{"type": "post"')
    assert await client.closed() == (1008, "too many invalid frames")
    await _bystander_still_fine(live, bystander)


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "warp", "id": 1},
        {"type": "post", "id": 1, "text": ["not", "a", "string"]},
        {"type": "post", "id": {"nested": True}, "text": "x"},
        {"type": "join", "id": 1, "room": "night-owls", "name": "Sam", "admin": True},
    ],
)
async def test_invalid_commands_get_error_frames(live: Live, frame: dict[str, object]) -> None:
    client = await Client.connect(live.url, binary=True)
    await client.send_raw(msgpack.packb(frame))
    err = await client.wait_for(lambda f: f.get("type") == "error", frames=True)
    assert err["code"] in ("unknown_command", "bad_request")
    assert (await client.request("ping"))["type"] == "pong"
    await client.close()


async def test_oversized_frame_closes_with_1009(live: Live) -> None:
    bystander = await _room_with_bystander(live)
    client = await Client.connect(live.url)
    await client.join("night-owls", "Big")
    await client.send_raw(json.dumps({"type": "post", "id": 1, "text": "x" * 20_000}))
    code, _ = await client.closed()
    assert code == 1009
    await _bystander_still_fine(live, bystander)


async def test_binary_on_the_json_subprotocol_closes_with_1003(live: Live) -> None:
    client = await Client.connect(live.url)
    await client.send_raw(b"\x81\xa4type\xa4ping")
    assert (await client.closed())[0] == 1003


async def test_text_on_the_msgpack_subprotocol_closes_with_1003(live: Live) -> None:
    client = await Client.connect(live.url, binary=True)
    await client.send_raw('{"type": "ping", "id": 1}')
    assert (await client.closed())[0] == 1003


async def test_overlong_message_text_is_refused(live: Live) -> None:
    client = await Client.connect(live.url)
    await client.join("night-owls", "Sam")
    reply = await client.request("post", text="x" * 2001)
    assert reply["code"] == "bad_request"
    await client.close()


async def test_no_join_within_the_deadline_closes_with_4012() -> None:
    async with live_server(node_settings(join_deadline_seconds=0.3)) as live:
        client = await Client.connect(live.url)
        assert (await client.closed())[0] == 4012


async def test_handshake_without_subprotocol_is_refused(live: Live) -> None:
    with pytest.raises(InvalidStatus) as info:
        async with connect(live.url):
            pass
    assert info.value.response.status_code == 400


async def test_handshake_from_a_foreign_origin_is_refused(live: Live) -> None:
    with pytest.raises(InvalidStatus) as info:
        await Client.connect(live.url, origin="https://evil.example")
    assert info.value.response.status_code == 403
    same = await Client.connect(live.url, origin=live.http)
    await same.close()


async def test_garbage_burst_from_one_client_does_not_disturb_a_room(live: Live) -> None:
    """A flood of junk frames ends that client only; others keep chatting."""
    bystander = await _room_with_bystander(live)
    client = await Client.connect(live.url, binary=True)
    for blob in (b"\xc1", b"\xdd\xff\xff\xff\xff", b"\x91" * 3000, b"\x00\x00"):
        await client.send_raw(blob)
    code, _ = await client.closed()
    assert code == 1008
    await _bystander_still_fine(live, bystander)


async def test_post_rate_limit_answers_rate_limited_and_the_ceiling_closes() -> None:
    settings = node_settings(
        post_rate="3/minute", command_rate="100/second", frame_ceiling="20/minute"
    )
    async with live_server(settings) as live:
        client = await Client.connect(live.url)
        await client.join("night-owls", "Quick")
        codes = [(await client.request("post", text=f"m{i}"))["type"] for i in range(4)]
        assert codes == ["ack", "ack", "ack", "error"]
        limited = client.frames[-1]
        assert limited["code"] == "rate_limited"
        assert limited["retry_after_ms"] > 0
        for _ in range(30):  # a bounded flood of pings past the frame ceiling
            try:
                await client.send("ping")
            except Exception:
                break
        assert (await client.closed())[0] == 4029
