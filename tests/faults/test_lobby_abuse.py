"""The lobby and joins cannot be abused (issue 13 items 3 and 4), through the protocol.

Live nodes on loopback. Client addresses come from `X-Forwarded-For`, which the node trusts
from 127.0.0.1 (FORWARDED_ALLOW_IPS), as behind nginx: each test client may be its own network.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from facilitation import join_rules
from rooms.clock import ManualClock
from tests.faults.people import invite
from tests.support.client import Client
from tests.support.live import Live, live_server, node_settings

ROOM = "daily-check-in"
SELF_LED = "night-owls"
ADMIN = "test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0"


async def _client(live: Live, address: str = "203.0.113.1") -> Client:
    return await Client.connect(live.url, additional_headers={"X-Forwarded-For": address})


async def _facilitator(live: Live, name: str, room: str = ROOM) -> tuple[Client, dict[str, Any]]:
    client = await _client(live, "198.51.100.1")
    ack = await client.join(room, name, facilitator=await invite(live.http, room, admin=ADMIN))
    return client, ack


_checks = itertools.count(1)


async def _waiting(live: Live, room: str = ROOM) -> list[dict[str, Any]]:
    """Who waits in the lobby now, as a facilitator joining at this moment is told."""
    fran, ack = await _facilitator(live, f"Check {next(_checks)}", room)
    await fran.close()
    return list(ack["waiting"])


async def _lobby_on(live: Live) -> Client:
    fran, _ = await _facilitator(live, "Fran")
    await fran.ok("lobby.set", on=True)
    return fran


async def _close(*clients: Client) -> None:
    for client in clients:
        await client.close()


async def test_join_while_waiting_is_refused_and_leaves_one_waiting_entry() -> None:
    async with live_server(node_settings()) as live:
        fran = await _lobby_on(live)
        river = await _client(live)
        first = await river.ok("join", room=ROOM, name="River")
        assert first["lobby"] is True
        for i in range(5):
            again = await river.request("join", room=ROOM, name=f"River {i}")
            assert again["type"] == "error"
            assert again["code"] == "already_joined"
        waiting = await _waiting(live)
        assert waiting == [{"ticket": first["ticket"], "name": "River"}]
        await fran.event("lobby.waiting")  # fan-out may still be on its way; never just look
        assert len(fran.named("lobby.waiting")) == 1
        await _close(fran, river)


async def test_an_abandoned_wait_is_dropped_at_once() -> None:
    """Closing the tab ends the wait now, not after the 15-minute ticket: the facilitator is
    told, the name and the place are free, and the ticket can no longer be admitted."""
    async with live_server(node_settings()) as live:
        fran = await _lobby_on(live)
        river = await _client(live)
        ticket = (await river.ok("join", room=ROOM, name="River"))["ticket"]
        await fran.event("lobby.waiting", ticket=ticket)
        await river.close()
        await fran.event("lobby.denied", ticket=ticket)
        assert await _waiting(live) == []
        gone = await fran.request("lobby.admit", ticket=ticket)
        assert gone["code"] == "not_present"
        await fran.ok("lobby.set", on=False)
        again = await _client(live)
        seated = await again.join(ROOM, "River")
        assert seated["member"]["name"] == "River"
        await _close(fran, again)


async def test_waiting_places_are_capped_per_address_and_per_room(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(join_rules, "LOBBY_MAX_WAITING", 3)
    async with live_server(node_settings(lobby_waiting_per_address=2)) as live:
        fran = await _lobby_on(live)
        home = [await _client(live, "203.0.113.7") for _ in range(3)]
        acks = [await c.request("join", room=ROOM, name=f"Home {i}") for i, c in enumerate(home)]
        assert [a.get("lobby") for a in acks[:2]] == [True, True]
        assert acks[2]["type"] == "error"
        assert acks[2]["code"] == "lobby_full"
        assert len(await _waiting(live)) == 2

        neighbour = await _client(live, "203.0.113.8")
        assert (await neighbour.ok("join", room=ROOM, name="Neighbour"))["lobby"] is True
        stranger = await _client(live, "203.0.113.9")
        full = await stranger.request("join", room=ROOM, name="Stranger")
        assert full["code"] == "lobby_full"  # the room's lobby holds 3
        assert len(await _waiting(live)) == 3

        await home[0].close()  # a place of the address and of the room is free again
        await fran.event("lobby.denied", ticket=acks[0]["ticket"])
        assert (await home[2].ok("join", room=ROOM, name="Home 2"))["lobby"] is True
        await _close(fran, *home[1:], neighbour, stranger)


async def test_a_name_probe_behind_the_lobby_learns_nothing() -> None:
    """`Bea` (in the room), its look-alikes, and `Carl` (not) get the same answer; the probe
    named Bea is let in as `Bea 2`, so the room never shows two Beas."""
    async with live_server(node_settings()) as live:
        fran, _ = await _facilitator(live, "Fran")
        bea = await _client(live, "203.0.113.2")
        await bea.join(ROOM, "Bea")
        await fran.ok("lobby.set", on=True)
        answers = []
        probes = []
        for i, name in enumerate(["Bea", "bea", "Bеa", "Carl"]):  # the third has a Cyrillic е
            probe = await _client(live, f"203.0.113.{20 + i}")
            answers.append(await probe.ok("join", room=ROOM, name=name))
            probes.append(probe)
        shapes = {(a["type"], a["lobby"], tuple(sorted(a)), str(a["room"])) for a in answers}
        assert len(shapes) == 1
        assert all(not p.events for p in probes)
        await fran.ok("lobby.admit", ticket=answers[0]["ticket"])
        admitted = await probes[0].wait_for(lambda f: f.get("type") == "admitted", frames=True)
        assert admitted["member"]["name"] == "Bea 2"
        await _close(fran, bea, *probes)


async def test_ten_joins_from_one_address_do_not_trip_raid_mode_but_ten_addresses_do() -> None:
    clock = ManualClock()  # the window never passes unless the test moves the clock
    async with live_server(node_settings(), clock=clock) as live:
        one = [await _client(live, "203.0.113.50") for _ in range(10)]
        for i, client in enumerate(one):
            ack = await client.join(SELF_LED, f"Same {i}")
            assert ack["meeting"]["lobby"] is False
        # The one address counted once; nine more networks make ten, a raid.
        many = [await _client(live, f"203.0.113.{60 + i}") for i in range(9)]
        acks = [await c.ok("join", room=SELF_LED, name=f"Other {i}") for i, c in enumerate(many)]
        assert all("lobby" not in a for a in acks[:-1])
        # The tenth network tipped the room; with no facilitator present it goes quiet rather
        # than into a lobby nobody could open: the newcomer is seated, listening for a while.
        assert "lobby" not in acks[-1]
        assert acks[-1]["meeting"]["quiet"] is True
        assert acks[-1]["member"]["listen_only"] is True
        assert acks[-1]["member"]["listen_only_until"] is not None
        assert acks[-2]["member"]["listen_only"] is False
        await _close(*one, *many)


async def test_joins_and_failed_joins_per_address_are_rate_limited() -> None:
    settings = node_settings(
        join_rate_per_address="6/minute", failed_join_rate_per_address="3/minute"
    )
    async with live_server(settings) as live:
        prober = await _client(live, "203.0.113.80")
        for _ in range(3):
            bad = await prober.request("join", room="no-such-room", name="Probe")
            assert bad["code"] == "room_not_found"
        limited = await prober.request("join", room=ROOM, name="Probe")
        assert limited["code"] == "rate_limited"
        assert limited["retry_after_ms"] >= 1000
        other = await _client(live, "203.0.113.81")
        ack = await other.join(ROOM, "Other")
        assert [m["name"] for m in ack["members"]] == ["Other"]  # the probe changed nothing

        flood = [await _client(live, "203.0.113.82") for _ in range(7)]
        said = [await c.request("join", room=ROOM, role="observer") for c in flood]
        assert [s["type"] for s in said[:6]] == ["ack"] * 6
        assert said[6]["code"] == "rate_limited"
        assert said[6]["retry_after_ms"] >= 1000
        await _close(prober, other, *flood)
