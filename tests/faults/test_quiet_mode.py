"""A raid on a room with no facilitator present, through the protocol (issue 14 item 6).

Members are undisturbed, newcomers can read, and the room returns to normal by itself. In-process
node on a manual clock: the raid's joins all land inside its window, and the test moves the clock
to let the burst pass and the newcomers' few minutes run out.
"""

from __future__ import annotations

from typing import Any

from rooms.clock import ManualClock
from tests.support.client import Client
from tests.support.live import live_server, node_settings

ROOM = "night-owls"


async def _network(url: str, i: int) -> Client:
    return await Client.connect(url, additional_headers={"X-Forwarded-For": f"198.51.100.{i + 1}"})


async def test_a_raid_on_a_room_nobody_facilitates_quiets_it_and_passes() -> None:
    clock = ManualClock()
    async with live_server(node_settings(), clock=clock) as live:
        regular = await _network(live.url, 200)
        await regular.join(ROOM, "Regular")
        raiders: list[Client] = []
        acks: list[dict[str, Any]] = []
        for i in range(10):  # 10 networks within the window, with no facilitator present
            client = await _network(live.url, i)
            acks.append(await client.join(ROOM, f"Raider {i}"))
            raiders.append(client)
        tipped, held = acks[-1], raiders[-1]
        assert "lobby" not in tipped  # seated, not parked in a lobby nobody could open
        assert tipped["meeting"]["quiet"] is True
        assert tipped["member"]["listen_only"] is True
        assert tipped["member"]["listen_only_until"] == (clock.now() + 300) * 1000

        # Members already seated are undisturbed; the newcomer reads but cannot post yet.
        said = await regular.ok("post", text="still here")
        await held.event("chat.message", seq=said["seq"])
        refused = await held.request("post", text="let me in")
        assert refused["code"] == "listen_only"
        assert "quiet mode" in refused["message"]
        assert (await held.request("listen_only.set", on=False))["code"] == "not_allowed"
        quiet = await regular.wait_for(
            lambda e: e["event"] == "meeting.state" and e["meeting"]["quiet"]
        )
        assert quiet["meeting"]["lobby"] is False
        assert quiet["meeting"]["slow_seconds"] >= 15

        clock.advance(61)  # no raid join for two windows: the burst has passed
        settled = await regular.event("raid.settled")
        assert settled["slow_seconds"] == 0
        after = await regular.wait_for(
            lambda e: e["event"] == "meeting.state" and e["seq"] > settled["seq"]
        )
        assert after["meeting"]["quiet"] is False
        assert after["meeting"]["slow_seconds"] == 0

        clock.advance(240)  # the newcomer's own few minutes are up
        lifted = await held.wait_for(
            lambda e: (
                e["event"] == "member.updated"
                and e["member"]["id"] == tipped["member"]["id"]
                and not e["member"]["listen_only"]
            )
        )
        assert lifted["member"]["listen_only_until"] is None
        await held.ok("post", text="hello, everyone")
        for client in [regular, *raiders]:
            await client.close()
