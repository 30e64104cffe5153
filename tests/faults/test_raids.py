"""A raid: many new identities at once. The room protects itself, and facilitators can pause it.

In-process node on a manual clock: all joins land inside the raid window (30 s) because the
clock does not move unless the test moves it. Defaults: 10 new identities trigger raid mode.
"""

from __future__ import annotations

from typing import Any

from rooms.clock import ManualClock
from tests.faults.people import Person, invite
from tests.support.client import Client
from tests.support.live import live_server, node_settings

ROOM = "daily-check-in"


async def test_a_raid_turns_on_the_lobby_and_slow_mode_and_alerts_facilitators() -> None:
    clock = ManualClock()
    async with live_server(node_settings(), clock=clock) as live:
        fran = Person("Fran", ROOM)
        await fran.join(
            live.url,
            facilitator=await invite(
                live.http, ROOM, admin="test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0"
            ),
        )
        regular = Person("Regular", ROOM)
        await regular.join(live.url)

        raiders: list[Client] = []
        acks: list[dict[str, Any]] = []
        for i in range(12):  # 12 new identities from 12 networks within the window
            client = await Client.connect(
                live.url, additional_headers={"X-Forwarded-For": f"203.0.113.{i + 1}"}
            )
            acks.append(await client.ok("join", room=ROOM, name=f"Raider {i}"))
            raiders.append(client)
        alert = await fran.event("raid.alert")
        assert alert["joins"] >= 10
        assert alert["window_seconds"] == 30
        after = await fran.c.wait_for(
            lambda e: e["event"] == "meeting.state" and e["seq"] > alert["seq"]
        )
        state = after["meeting"]
        assert state["lobby"] is True
        assert state["slow_seconds"] >= 15
        parked = [a for a in acks if a.get("lobby")]
        assert parked, "joins after the trigger wait in the lobby"
        assert all("token" not in a and "members" not in a for a in parked)
        # Members see only a placeholder where the alert is (facilitators-only event).
        hidden = await regular.event("hidden", seq=alert["seq"])
        assert set(hidden) == {"type", "event", "seq", "epoch", "ts"}
        for client, ack in zip(raiders, acks, strict=True):
            if ack.get("lobby"):
                assert not client.events  # a waiting newcomer sees nothing of the room
        # Slow mode holds for seated members, not for facilitators.
        seated = next(c for c, a in zip(raiders, acks, strict=True) if not a.get("lobby"))
        await seated.ok("post", text="first")
        slow = await seated.request("post", text="second")
        assert slow["code"] == "slow_mode"
        assert slow["retry_after_ms"] >= 15_000
        await fran.ok("post", text="facilitators are exempt")
        await fran.ok("post", text="twice")

        # Pause: everyone but facilitators listens, hands are cleared, joins are held.
        await fran.ok("room.pause")
        clock.advance(16)  # past slow mode, so only the pause can refuse
        assert (await regular.request("post", text="during the pause"))["code"] == "listen_only"
        assert (await regular.request("hand.raise"))["code"] in ("listen_only", "no_round")
        newcomer = await Client.connect(live.url)
        held = await newcomer.ok("join", room=ROOM, name="Late Arrival")
        assert held.get("lobby") is True
        # ...and its undo: members speak again; the raid's lobby and slow mode stay until lifted.
        await fran.ok("room.unpause")
        said = await regular.ok("post", text="after the pause")
        await fran.event("chat.message", seq=said["seq"])
        await fran.ok("slow.set", seconds=0)
        await fran.ok("lobby.set", on=False)
        waiting = await fran.event("lobby.waiting", name="Late Arrival")
        await fran.ok("lobby.admit", ticket=waiting["ticket"])
        admitted = await newcomer.wait_for(lambda f: f.get("type") == "admitted", frames=True)
        assert admitted["member"]["name"] == "Late Arrival"
        for client in [*raiders, newcomer]:
            await client.close()
        for person in (fran, regular):
            await person.leave()
