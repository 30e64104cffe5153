"""The same app under a plain ASGI WebSocket protocol (no direct writes): the writer-task path.

Under `sharecircle serve` frames go out through our uvicorn protocol's `write_frames`; under any
other ASGI server the endpoint falls back to one writer task per connection. Both must keep the
protocol's promises.
"""

from __future__ import annotations

import json

from tests.support.client import Client, gapless
from tests.support.live import live_server


async def test_chat_join_resume_and_close_codes_without_direct_writes() -> None:
    async with live_server(plain_asgi=True) as live:
        alice = await Client.connect(live.url)
        bob = await Client.connect(live.url, binary=True)
        await alice.join("night-owls", "Alice")
        await bob.join("night-owls", "Bob")
        for i in range(5):
            await bob.ok("post", text=f"plain {i}")
        await alice.event("chat.message", text="plain 4")
        assert gapless(alice.seqs())
        token, last = alice.token, alice.events[-1]
        await alice.close()
        await bob.ok("post", text="while away")
        again = await Client.connect(live.url)
        reply = await again.ok("resume", token=token, seq=last["seq"], epoch=last["epoch"])
        assert reply["recovered"] is True
        await again.event("chat.message", text="while away")
        await again.ok("leave")
        assert (await again.closed())[0] == 1000
        await bob.send_raw(json.dumps({"type": "ping", "id": 1}))  # text on msgpack
        assert (await bob.closed())[0] == 1003
