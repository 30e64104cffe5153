"""On-call on a real node: reports with nobody seated go to the alert desk and survive a
restart, the directory shows who is watching, unwatched lobbies raise an alert that a
facilitator's arrival withdraws, and an unclaimed alert pages a real loopback receiver once,
retried while it fails, signed, with no text or names. Time is the manual clock."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from rooms.clock import ManualClock
from rooms.oncall import AlertKind, AlertStatus, CancelReason, OnCallState
from tests.support.client import Client
from tests.support.live import Live, live_server, node_settings
from tests.support.webhook_receiver import Receiver, Reply, webhook_receiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ADMIN = "test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0"
MARKERS = ("MARKER", "Annmarker", "Benmarker", "night-owls")


@pytest.fixture
def clock() -> ManualClock:
    # Real time at the start: the receiver checks signatures with the library's own clock.
    return ManualClock(start=float(int(time.time())))


@pytest.fixture
async def hook() -> AsyncIterator[Receiver]:
    async with webhook_receiver() as receiver:
        yield receiver


async def until(condition: Callable[[], Any]) -> Any:
    """Wait (at most 5 s) for another task's progress; never a timing assertion."""
    async with asyncio.timeout(5):
        while True:
            result = condition()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return result
            await asyncio.sleep(0.01)


async def seat(live: Live, room: str, name: str, **fields: Any) -> Client:
    client = await Client.connect(live.url)
    await client.join(room, name, **fields)
    return client


async def facilitator(live: Live, room: str, name: str = "Fran") -> Client:
    response = await live.post(
        f"/api/admin/rooms/{room}/invites",
        json={"role": "facilitator"},
        headers={"Authorization": f"Bearer {ADMIN}"},
    )
    assert response.status_code == 200, response.text
    return await seat(live, room, name, facilitator=response.json()["token"])


async def report_unwatched(live: Live) -> dict[str, Any]:
    """Ann posts in the self-led room with nobody facilitating; Ben reports it."""
    ann = await seat(live, "night-owls", "Annmarker")
    ben = await seat(live, "night-owls", "Benmarker")
    posted = await ann.ok("post", text="MARKER words that hurt")
    ack = await ben.ok("report", mid=posted["seq"], reason="MARKER reason")
    await ann.close()
    await ben.close()
    return ack


def room_row(rows: list[dict[str, Any]], slug: str) -> dict[str, Any]:
    return next(row for row in rows if row["slug"] == slug)


async def test_a_report_with_nobody_seated_goes_on_call_and_survives_a_restart(
    tmp_path: Path, clock: ManualClock
) -> None:
    settings = node_settings(data_dir=str(tmp_path))
    async with live_server(settings, clock=clock) as live:
        ack = await report_unwatched(live)
        assert ack["routed"] == "on_call"
        (record,) = await live.node.store.open_reports("night-owls")
        (alert,) = (await live.node.oncall.desk.state()).alerts
        assert (alert.kind, alert.room, alert.subject) == (
            AlertKind.REPORT,
            "night-owls",
            record.id,
        )
        row = room_row((await live.get("/api/rooms")).json(), "night-owls")
        assert (row["facilitator_present"], row["on_call"]) == (False, False)
        await live.node.oncall.desk.set_on_call("Robin", True)
        row = room_row((await live.get("/api/rooms")).json(), "night-owls")
        assert row["on_call"] is True
        stored = (await live.node.store.load_oncall()).state
        assert not any(marker in stored for marker in ("MARKER", "Annmarker", "Benmarker"))
    async with live_server(settings, clock=clock) as restarted:
        state: OnCallState = await restarted.node.oncall.desk.state()
        assert [(a.id, a.status) for a in state.alerts] == [(alert.id, AlertStatus.OPEN)]


async def test_a_report_with_a_facilitator_seated_goes_to_the_facilitators(
    live: Live,
) -> None:
    fran = await facilitator(live, "daily-check-in")
    ann = await seat(live, "daily-check-in", "Ann")
    posted = await ann.ok("post", text="words")
    ack = await fran.ok("report", mid=posted["seq"], reason="")
    assert ack["routed"] == "facilitators"
    assert (await live.node.oncall.desk.state()).alerts == ()
    row = room_row((await live.get("/api/rooms")).json(), "daily-check-in")
    assert row["facilitator_present"] is True
    for client in (fran, ann):
        await client.close()


async def test_an_unwatched_lobby_raises_an_alert_a_facilitator_withdraws(live: Live) -> None:
    fran = await facilitator(live, "daily-check-in")
    await fran.ok("lobby.set", on=True)
    await fran.ok("leave")
    newcomer = await Client.connect(live.url)
    parked = await newcomer.ok("join", room="daily-check-in", name="Newt")
    assert parked["lobby"] is True
    desk = live.node.oncall.desk

    async def lobby_alert() -> Any:
        alerts = (await desk.state()).alerts
        return next((a for a in alerts if a.kind is AlertKind.LOBBY), None)

    alert = await until(lobby_alert)
    assert (alert.room, alert.status) == ("daily-check-in", AlertStatus.OPEN)
    back = await facilitator(live, "daily-check-in", "Gail")

    async def withdrawn() -> bool:
        found = (await desk.state()).find(alert.id)
        return found is not None and found.cancel_reason is CancelReason.SETTLED

    await until(withdrawn)
    for client in (newcomer, back):
        await client.close()


def verified(request: Any) -> dict[str, Any]:
    """The body, once its Standard Webhooks signature checks out (for the header's time)."""
    stamp = int(request.headers["webhook-timestamp"])
    if abs(stamp - time.time()) < 240:
        return dict(Webhook(SECRET).verify(request.body, request.headers))
    expected = Webhook(SECRET).sign(
        request.headers["webhook-id"], datetime.fromtimestamp(stamp, UTC), request.body.decode()
    )
    assert expected in request.headers["webhook-signature"].split(" ")
    return dict(json.loads(request.body))


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)
    await asyncio.sleep(0.1)


async def test_an_unclaimed_report_pages_once_retrying_while_the_receiver_fails(
    clock: ManualClock, hook: Receiver
) -> None:
    hook.script("/hook", Reply(500), Reply(500), Reply(200))
    endpoint = {"name": "relay", "receiver": "generic", "url": hook.url + "/hook"}
    settings = node_settings(
        paging_endpoints=[{**endpoint, "secrets": [SECRET]}], paging_allow_private=True
    )
    async with live_server(settings, clock=clock) as live:
        await report_unwatched(live)
        pager = live.node.oncall.pager
        await settle()
        clock.advance(14 * 60)  # a report pages after 15 min
        await settle()
        assert hook.requests == []
        clock.advance(61)
        await hook.wait_for(1)
        await until(lambda: any(pager.next_attempts().values()))
        clock.advance(5)
        await hook.wait_for(2)
        await until(lambda: any(pager.next_attempts().values()))
        clock.advance(30)
        await hook.wait_for(3)
        clock.advance(30 * 60)  # nothing more: a report pages once, and it was delivered
        await settle()
    assert len(hook.requests) == 3
    assert len({r.headers["webhook-id"] for r in hook.requests}) == 1
    for request in hook.requests:
        body = verified(request)
        assert body["type"] == "alert.unclaimed"
        assert body["data"]["kind"] == "report"
        assert body["data"]["room"].startswith("rm_")
        raw = request.body.decode() + json.dumps(request.headers)
        assert not any(marker in raw for marker in MARKERS)
