"""Two edges of a command's checks: a stored report's ack survives a failed routing, and a
facilitator's private word (`word.open`) checks the facilitator's credential like every power.
"""

from __future__ import annotations

from typing import Any

import pytest

from rooms.clock import ManualClock
from rooms.errors import BackendUnavailable
from tests.server.test_staff_facilitators import add_staff, joined, revoke, sign_in
from tests.support.live import Live, live_server, node_settings
from tests.support.postgres_server import PostgresServer, PostgresUnavailable
from tests.support.stores import migrated_store


@pytest.fixture
async def live() -> Any:
    async with live_server() as server:
        yield server


async def test_a_stored_reports_ack_survives_a_routing_failure(live: Live) -> None:
    """Routing raises after the report is stored: the ack still comes, saying `on_call`, so the
    client never files the same report twice."""

    async def unreachable(room: str, mid: int, from_member: str) -> str:
        raise BackendUnavailable("the backend is away")

    live.node.endpoint.handlers.route_report = unreachable
    ann = await joined(live, "night-owls", "Ann")
    ben = await joined(live, "night-owls", "Ben")
    posted = await ann.ok("post", text="words")
    ack = await ben.ok("report", mid=posted["seq"], reason="")
    assert (ack["type"], ack["routed"]) == ("ack", "on_call")
    assert len(await live.node.store.open_reports("night-owls")) == 1
    for client in (ann, ben):
        await client.close()


async def test_a_revoked_facilitators_private_word_is_refused_and_closes(live: Live) -> None:
    key = await add_staff(live, "Robin", rooms=["night-owls"])
    robin = await joined(live, "night-owls", "Robin", staff=await sign_in(live, "Robin", key))
    sam = await joined(live, "night-owls", "Sam")
    assert sam.member is not None
    await revoke(live, "/api/admin/staff/Robin")
    reply = await robin.request("word.open", member=sam.member["id"])
    assert (reply["type"], reply["code"]) == ("error", "invalid_token")
    assert (await robin.closed())[0] == 4504
    await sam.close()


async def test_a_private_word_waits_for_the_store() -> None:
    """PostgreSQL away: `word.open` is a power, so it gets `unavailable`, never runs unchecked."""
    try:
        postgres = PostgresServer.launch()
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL server binaries not installed: {exc}")
    with postgres:
        url = postgres.create_database()
        await (await migrated_store(url, ManualClock())).aclose()
        async with live_server(node_settings(database_url=url)) as live:
            key = await add_staff(live, "Robin", rooms=["night-owls"])
            robin = await joined(
                live, "night-owls", "Robin", staff=await sign_in(live, "Robin", key)
            )
            sam = await joined(live, "night-owls", "Sam")
            assert sam.member is not None
            postgres.stop()
            reply = await robin.request("word.open", member=sam.member["id"])
            assert reply["code"] == "unavailable"
            postgres.start()
            assert (await robin.ok("word.open", member=sam.member["id"]))["type"] == "ack"
            for client in (robin, sam):
                await client.close()
