"""Control frames on a media connection share one bucket (docs/protocol.md §9.2): a `listen`
flip is a backend (un)subscribe, so a flood gets `rate_limited`, then the bad-frame close."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.client import Client
from tests.support.live import Live, live_server, node_settings
from tests.support.media_client import MediaClient

ADMIN = {"Authorization": "Bearer test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0"}


@pytest.fixture
async def live() -> Any:
    settings = node_settings(command_rate="3/minute", bad_frames_before_close=3)
    async with live_server(settings) as server:
        made = await server.post(
            "/api/admin/rooms", headers=ADMIN, json={"slug": "v", "voice": True}
        )
        assert made.status_code == 201, made.text
        yield server


async def test_a_listen_flood_is_refused_then_closed(live: Live) -> None:
    chat = await Client.connect(live.url)
    await chat.join("v", "Ann")
    assert chat.token is not None
    media = await MediaClient.authed(live.url, chat.token)
    for on in (True, False, True):  # within the bucket: acted on, nothing said
        await media.control("listen", on=on)
    await media.control("ping")  # a fourth control frame: over the limit, not answered
    refusal = await media.wait_control("error", code="rate_limited")
    assert refusal["retry_after_ms"] > 0
    assert not any(c.get("type") == "pong" for c in media.controls)
    await media.control("listen", on=False)
    await media.control("listen", on=True)  # the third over-limit frame closes
    assert (await media.closed())[0] == 1008
    await chat.close()
