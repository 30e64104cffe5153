"""A client that stops reading is closed with 4008 `slow` and resumes; nobody else notices.

The stalled client is a real WebSocket on a socket with a tiny receive buffer that never calls
`recv`: the kernel buffers fill, the server's transport pauses, its writer blocks and the outbox
overflows. Loops are bounded in count and every wait in time.
"""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.faults.people import Person, chat_texts, check_history
from tests.support.client import TIMEOUT, Client, gapless
from tests.support.live import Live, live_server, node_settings

ROOM = "night-owls"
BIG = 8000  # characters per message (the most a `post` may carry)


async def _stalled_member(live: Live, name: str) -> tuple[ClientConnection, dict[str, Any]]:
    """Join as `name` on a socket with a 1 KiB receive buffer, then stop reading."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    port = int(live.http.rsplit(":", 1)[1])
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    ws = await connect(
        live.url,
        sock=sock,
        subprotocols=["sharecircle.v1.json"],  # type: ignore[list-item]
        max_queue=1,  # the library stops reading the socket as soon as one frame waits
        max_size=2**20,
        ping_interval=None,
        open_timeout=TIMEOUT,
    )
    await ws.send(json.dumps({"type": "join", "id": 1, "room": ROOM, "name": name}))
    async with asyncio.timeout(TIMEOUT):
        while (frame := json.loads(await ws.recv())).get("id") != 1:
            pass
    assert frame["type"] == "ack", frame
    return ws, frame


async def _drain(ws: ClientConnection) -> list[dict[str, Any]]:
    """Read what the server had queued until it closes (bounded in frames and time)."""
    frames: list[dict[str, Any]] = []
    async with asyncio.timeout(TIMEOUT):
        for _ in range(10_000):
            try:
                frames.append(json.loads(await ws.recv()))
            except ConnectionClosed:
                break
    return frames


async def test_a_client_that_stops_reading_is_closed_with_4008_and_resumes() -> None:
    settings = node_settings(max_frame_bytes=16_384, max_text_chars=BIG)
    async with live_server(settings) as live:
        stalled, ack = await _stalled_member(live, "Stalled")
        bob, cara = Person("Bob", ROOM), Person("Cara", ROOM, binary=True)
        await bob.join(live.url)
        await cara.join(live.url)
        posted = 0
        for i in range(2000):  # kernel buffers, then the transport, then the outbox fill up
            await bob.ok("post", text=f"{i:04d}" + "x" * (BIG - 4))
            posted += 1
            if len(live.node.endpoint.connections) == 2:
                break  # the stalled connection is gone from the node
            await asyncio.sleep(0)
        else:
            raise AssertionError("the stalled client was never closed")
        # Everyone else carried on, gaplessly, and sees the stalled member go away.
        left = await cara.event("member.away", member=ack["member"]["id"])
        said = await bob.ok("post", text="still here")
        await cara.event("chat.message", seq=said["seq"])
        assert len(chat_texts(cara)) == posted + 1
        check_history(cara)

        # The stalled client reads again: what was buffered, then the 4008 close.
        frames = await _drain(stalled)
        assert stalled.close_code == 4008, (stalled.close_code, stalled.close_reason)
        events = [f for f in frames if f.get("type") == "event"]
        assert gapless(e["seq"] for e in events)
        # ...and resumes, either replayed or explicitly resynced (the backlog is megabytes).
        last = (
            events[-1]
            if events
            else {"seq": ack["position"]["seq"], "epoch": ack["position"]["epoch"]}
        )
        again = await Client.connect(live.url)
        reply = await again.ok("resume", token=ack["token"], seq=last["seq"], epoch=last["epoch"])
        assert reply["recovered"] in (True, False)
        await cara.event("member.back", member=ack["member"]["id"])
        assert left["seq"] < (await cara.event("member.back"))["seq"]
        hello = await bob.ok("post", text="welcome back")
        await again.event("chat.message", seq=hello["seq"])
        assert gapless(again.seqs())
        for client in (again,):
            await client.close()
        for person in (bob, cara):
            await person.leave()


async def test_a_resume_backlog_bigger_than_the_outbox_resyncs_instead_of_looping() -> None:
    """A resume whose missed events would overflow the outbox gets `recovered: false` at once;
    before, it was closed with 4008 on arrival and resumed into the same wall forever."""
    async with live_server(node_settings(outbox_max_messages=20)) as live:
        ann, bob = Person("Ann", ROOM), Person("Bob", ROOM)
        await ann.join(live.url)
        await bob.join(live.url)
        await ann.leave()
        await bob.event("member.away", member=ann.member_id)
        for i in range(25):
            await bob.ok("post", text=f"missed {i}")
        reply = await ann.resume(live.url)
        assert reply["recovered"] is False, reply
        said = await bob.ok("post", text="after the resync")
        await ann.event("chat.message", seq=said["seq"])
        assert ann.connected
        check_history(ann)
        # A short absence still replays exactly (the cap is half the outbox: 10 events).
        await ann.leave()
        await bob.event("member.away", member=ann.member_id)
        for i in range(3):
            await bob.ok("post", text=f"short {i}")
        reply = await ann.resume(live.url)
        assert reply["recovered"] is True, reply
        assert reply["missed"] >= 3, reply
        await ann.event("chat.message", text="short 2")
        check_history(ann)
        for person in (ann, bob):
            await person.leave()
