"""The pager against a real HTTP receiver on 127.0.0.1, with time moved by hand.

The on-call machine decides when to page; the pager delivers, retries on the manual clock,
stops when the alert is taken, and never carries message text, names or member ids.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

import rooms.oncall as oc
from rooms.clock import ManualClock
from server.paging import (
    DestinationRefused,
    Endpoint,
    EndpointHealth,
    Pager,
    PagingSettings,
    check_destination,
)
from server.paging_formats import Receiver
from tests.support.webhook_receiver import Received, Reply, webhook_receiver
from tests.support.webhook_receiver import Receiver as Hook

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ROOM = "MARKER-ROOM-night-owls"
MEMBER = "MARKER-MEMBER-river"
STAFF = "MARKER-STAFF-ash"
MARKERS = ("MARKER", "night-owls", "river", "ash")


def generic(hook: Hook, path: str = "/hook", **kw: object) -> Endpoint:
    return Endpoint("generic", hook.url + path, Receiver.GENERIC, secrets=(SECRET,), **kw)  # type: ignore[arg-type]


@asynccontextmanager
async def pager_for(
    *endpoints: Endpoint, clock: ManualClock, allow_private: bool = True
) -> AsyncIterator[Pager]:
    settings = PagingSettings(
        endpoints=endpoints,
        room_key=b"test-room-key",
        console_url="https://circle.example.org/staff",
        allow_private_addresses=allow_private,
    )
    async with Pager(settings, clock=clock, rng=random.Random(7)) as pager:
        yield pager


@pytest.fixture
def clock() -> ManualClock:
    # Real time at the start: the receiver checks signatures with the library's own clock.
    return ManualClock(start=float(int(time.time())))


@pytest.fixture
async def hook() -> AsyncIterator[Hook]:
    async with webhook_receiver() as receiver:
        yield receiver


async def until(condition: Callable[[], bool]) -> None:
    """Wait (at most 5 s) for the pager's task to reach a state; no clock is involved."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 (another task's progress, no event to await)
            await asyncio.sleep(0.005)


def signed(request: Received) -> dict[str, object]:
    """Check the signature with the standardwebhooks library; return the body."""
    stamp = int(request.headers["webhook-timestamp"])
    if abs(stamp - time.time()) < 240:
        verified: dict[str, object] = Webhook(SECRET).verify(request.body, request.headers)
        return verified
    # The manual clock ran ahead of real time: the library's 5-min window would reject the
    # timestamp, so recompute the signature for the header's own timestamp with the library.
    expected = Webhook(SECRET).sign(
        request.headers["webhook-id"], datetime.fromtimestamp(stamp, UTC), request.body.decode()
    )
    assert expected in request.headers["webhook-signature"].split(" ")
    loaded: dict[str, object] = json.loads(request.body)
    return loaded


class Desk:
    """The on-call machine with its effects handed to the pager, as the server will do it."""

    def __init__(self, pager: Pager, clock: ManualClock) -> None:
        self.pager, self.clock = pager, clock
        self.state = oc.OnCallState()

    def do(self, command: oc.Command) -> tuple[oc.Effect, ...]:
        result = oc.decide(self.state, command, self.clock.now())
        assert isinstance(result, oc.Accepted), result
        self.state = result.state
        for effect in result.effects:
            self.pager.handle(effect)
        return result.effects

    def advance(self, seconds: float) -> tuple[oc.Effect, ...]:
        self.clock.advance(seconds)
        return self.do(oc.Tick())


def page(level: oc.PageLevel = oc.PageLevel.ON_CALL, kind: oc.AlertKind = oc.AlertKind.CRISIS,
         now: float = 0.0) -> oc.Page:  # fmt: skip
    alert = oc.Alert("alr_1", kind, ROOM, MEMBER, oc.AlertStatus.OPEN, now, now, pages=1)
    return oc.Page(level, alert, 60)


async def test_the_webhook_fires_once_after_the_set_time(clock: ManualClock, hook: Hook) -> None:
    async with pager_for(generic(hook), clock=clock) as pager:
        desk = Desk(pager, clock)
        desk.do(oc.Raise("alr_1", oc.AlertKind.CRISIS, ROOM, MEMBER))
        desk.advance(59)
        assert pager.next_attempts() == {}
        assert hook.requests == []
        desk.advance(1)
        [first] = await hook.wait_for(1)
        body = signed(first)
        assert body["type"] == "alert.unclaimed"
        assert body["data"] == {
            "alert_id": "alr_1",
            "kind": "crisis",
            "severity": "urgent",
            "room": body["data"]["room"],  # type: ignore[index]
            "waited_s": 60,
            "level": 1,
            "console_url": "https://circle.example.org/staff/alerts/alr_1",
        }
        assert desk.do(oc.Tick()) == ()
        await pager.drain()
        assert len(hook.requests) == 1


async def test_it_retries_while_the_receiver_fails(clock: ManualClock, hook: Hook) -> None:
    hook.script("/hook", Reply(503), Reply(500), Reply(200))
    async with pager_for(generic(hook), clock=clock) as pager:
        start = clock.now()
        pager.handle(page(now=start))
        await hook.wait_for(1)
        await until(lambda: list(pager.next_attempts().values()) == [start + 5])
        assert pager.health()["generic"].health is EndpointHealth.FAILING
        clock.advance(5)
        await hook.wait_for(2)
        await until(lambda: list(pager.next_attempts().values()) == [start + 35])
        clock.advance(30)
        await hook.wait_for(3)
        await pager.drain()
    assert pager.health()["generic"].health is EndpointHealth.OK
    ids = {r.headers["webhook-id"] for r in hook.requests}
    assert len(ids) == 1, "every retry carries the same webhook-id"
    stamps = [int(r.headers["webhook-timestamp"]) for r in hook.requests]
    assert stamps == [int(start), int(start) + 5, int(start) + 35]
    for request in hook.requests:
        signed(request)


@pytest.mark.parametrize(
    ("reply", "wait"),
    [
        (Reply(429, {"Retry-After": "20"}), 20),
        (Reply(503, {"Retry-After": "600"}), 60),
        (Reply(502, {"Retry-After": "2"}), 2),
    ],
)
async def test_retry_after_is_honoured_up_to_a_minute(
    clock: ManualClock, hook: Hook, reply: Reply, wait: float
) -> None:
    hook.script("/hook", reply)
    async with pager_for(generic(hook), clock=clock) as pager:
        start = clock.now()
        pager.handle(page(now=start))
        await hook.wait_for(1)
        await until(lambda: list(pager.next_attempts().values()) == [start + wait])
        clock.advance(wait)
        await hook.wait_for(2)
        await pager.drain()


async def test_taking_the_alert_stops_the_retries_and_stands_down(
    clock: ManualClock, hook: Hook
) -> None:
    hook.script("/hook", Reply(503))
    async with pager_for(generic(hook), clock=clock) as pager:
        desk = Desk(pager, clock)
        desk.do(oc.Raise("alr_1", oc.AlertKind.CRISIS, ROOM, MEMBER))
        desk.advance(60)
        await hook.wait_for(1)
        await until(lambda: bool(pager.next_attempts()))
        desk.do(oc.Take("alr_1", STAFF))
        await hook.wait_for(2)
        await pager.drain()
        assert signed(hook.requests[1])["type"] == "alert.taken"
        desk.do(oc.StaffSeen(STAFF))
        clock.advance(600)
        await pager.drain()
        assert pager.next_attempts() == {}
        assert len(hook.requests) == 2


async def test_a_resolve_tells_the_pagers_to_stand_down(clock: ManualClock, hook: Hook) -> None:
    async with pager_for(generic(hook), clock=clock) as pager:
        desk = Desk(pager, clock)
        desk.do(oc.Raise("alr_1", oc.AlertKind.RAID, ROOM))
        desk.advance(120)
        await hook.wait_for(1)
        desk.do(oc.Take("alr_1", STAFF))
        desk.do(oc.Resolve("alr_1", STAFF, oc.Outcome.NO_ACTION))
        await hook.wait_for(3)
        await pager.drain()
    types = sorted(str(signed(r)["type"]) for r in hook.requests)
    assert types == ["alert.resolved", "alert.taken", "alert.unclaimed"]
    assert len({r.headers["webhook-id"] for r in hook.requests}) == 3


async def test_a_newer_page_replaces_a_pending_retry(clock: ManualClock, hook: Hook) -> None:
    hook.script("/hook", Reply(503))
    async with pager_for(generic(hook), clock=clock) as pager:
        start = clock.now()
        pager.handle(page(now=start))
        await hook.wait_for(1)
        await until(lambda: list(pager.next_attempts().values()) == [start + 5])
        newer = page(oc.PageLevel.ALL_STAFF, now=start)
        pager.handle(oc.Page(newer.level, replace(newer.alert, pages=2), 180))
        await hook.wait_for(2)
        await pager.drain()
        clock.advance(60)
        await pager.drain()
    assert [signed(r)["data"]["level"] for r in hook.requests] == [1, 2]  # type: ignore[index]
    assert pager.next_attempts() == {}


async def test_410_disables_the_endpoint(clock: ManualClock, hook: Hook) -> None:
    hook.script("/hook", Reply(410))
    async with pager_for(generic(hook), clock=clock) as pager:
        pager.handle(page(now=clock.now()))
        await hook.wait_for(1)
        await pager.drain()
        assert pager.health()["generic"].health is EndpointHealth.DISABLED
        pager.handle(page(oc.PageLevel.ALL_STAFF, now=clock.now()))
        await pager.drain()
    assert len(hook.requests) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_other_4xx_flags_the_endpoint_broken(
    clock: ManualClock, hook: Hook, status: int
) -> None:
    hook.script("/hook", Reply(status))
    async with pager_for(generic(hook), clock=clock) as pager:
        pager.handle(page(now=clock.now()))
        await pager.drain()
        state = pager.health()["generic"]
    assert (state.health, state.last_status) == (EndpointHealth.BROKEN, status)
    assert len(hook.requests) == 1


async def test_a_redirect_fails_and_is_not_followed(clock: ManualClock, hook: Hook) -> None:
    hook.script("/hook", Reply(302, {"Location": hook.url + "/elsewhere"}))
    async with pager_for(generic(hook), clock=clock) as pager:
        start = clock.now()
        pager.handle(page(now=start))
        await hook.wait_for(1)
        await until(lambda: list(pager.next_attempts().values()) == [start + 5])
    assert hook.at("/elsewhere") == []


async def test_loopback_is_refused_unless_allowed(clock: ManualClock, hook: Hook) -> None:
    port = hook.url.rsplit(":", 1)[1]
    endpoint = Endpoint("local", f"https://127.0.0.1:{port}/hook", secrets=(SECRET,))
    async with pager_for(endpoint, clock=clock, allow_private=False) as pager:
        pager.handle(page(now=clock.now()))
        await pager.drain()
        assert pager.health()["local"].health is EndpointHealth.BROKEN
    assert hook.requests == []
    with pytest.raises(ValueError, match="https"):
        PagingSettings(endpoints=(generic(hook),))


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/x",
        "https://localhost/x",
        "https://10.1.2.3/x",
        "https://192.168.0.4/x",
        "https://169.254.169.254/latest",
        "https://[::1]/x",
        "https://[fd00::1]/x",
    ],
)
async def test_private_destinations_are_refused(url: str) -> None:
    with pytest.raises(DestinationRefused, match="non-public"):
        await check_destination(url, allow_private=False)
    await check_destination(url, allow_private=True)


async def test_a_public_address_passes_the_check() -> None:
    await check_destination("https://93.184.216.34/hook", allow_private=False)


async def test_on_call_pages_skip_all_staff_endpoints(clock: ManualClock, hook: Hook) -> None:
    wide = Endpoint("wide", hook.url + "/wide", Receiver.SLACK, min_level=oc.PageLevel.ALL_STAFF)
    async with pager_for(generic(hook), wide, clock=clock) as pager:
        pager.handle(page(oc.PageLevel.ON_CALL, now=clock.now()))
        await pager.drain()
        assert hook.at("/wide") == []
        pager.handle(page(oc.PageLevel.ALL_STAFF, now=clock.now()))
        await pager.drain()
    assert len(hook.at("/wide")) == 1
    assert len(hook.at("/hook")) == 2


async def test_endpoint_test_sends_one_test_event(clock: ManualClock, hook: Hook) -> None:
    async with pager_for(generic(hook), clock=clock) as pager:
        status = await pager.test("generic")
    assert status.health is EndpointHealth.OK
    assert signed(hook.requests[0]) == {
        "type": "endpoint.test",
        "timestamp": signed(hook.requests[0])["timestamp"],
        "data": {},
    }


async def test_an_unknown_endpoint_name_is_a_key_error(clock: ManualClock, hook: Hook) -> None:
    async with pager_for(generic(hook), clock=clock) as pager:
        with pytest.raises(KeyError):
            await pager.test("nope")


async def test_a_bug_in_a_delivery_is_logged_not_raised(
    clock: ManualClock, hook: Hook, caplog: pytest.LogCaptureFixture
) -> None:
    class Exploding(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            raise RuntimeError("a bug below the pager")

    settings = PagingSettings(endpoints=(generic(hook),), allow_private_addresses=True)
    async with Pager(settings, clock=clock, transport=Exploding()) as pager:
        pager.handle(page(now=clock.now()))
        await pager.drain()
        assert pager.next_attempts() == {}
    assert "page delivery bug event=evt_alr_1_1 endpoint=generic error=RuntimeError" in caplog.text


def every_receiver(hook: Hook) -> tuple[Endpoint, ...]:
    return (
        generic(hook),
        Endpoint("ntfy", hook.url + "/ntfy-topic", Receiver.NTFY, token="tk_sometoken"),
        Endpoint("slack", hook.url + "/slack", Receiver.SLACK),
        Endpoint("discord", hook.url + "/discord", Receiver.DISCORD),
        Endpoint("hookshot", hook.url + "/hookshot", Receiver.HOOKSHOT),
        Endpoint("mattermost", hook.url + "/hooks/key", Receiver.MATTERMOST),
    )


async def test_no_page_carries_text_names_or_ids(
    clock: ManualClock, hook: Hook, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # what a server logs; httpx's request lines stay off
    async with pager_for(*every_receiver(hook), clock=clock) as pager:
        desk = Desk(pager, clock)
        desk.do(oc.Raise("alr_1", oc.AlertKind.CRISIS, ROOM, MEMBER))
        desk.advance(60)
        await hook.wait_for(6)
        desk.advance(120)
        await hook.wait_for(6 * 2)
        desk.do(oc.Take("alr_1", STAFF))
        desk.do(oc.Resolve("alr_1", STAFF, oc.Outcome.SUPPORTED))
        await hook.wait_for(6 * 4)
        await pager.drain()
    assert len(hook.requests) == 6 * 4  # two pages, taken, resolved, to each receiver
    for request in hook.requests:
        seen = " ".join([request.path, json.dumps(request.query), json.dumps(request.headers)])
        seen += request.body.decode()
        assert not any(marker in seen for marker in MARKERS), seen
    logged = caplog.text
    assert not any(marker in logged for marker in MARKERS)
    assert "ntfy-topic" not in logged
    assert "tk_sometoken" not in logged
    assert "127.0.0.1" not in logged


async def test_each_receiver_gets_its_own_shape(clock: ManualClock, hook: Hook) -> None:
    async with pager_for(*every_receiver(hook), clock=clock) as pager:
        pager.handle(page(oc.PageLevel.ALL_STAFF, now=clock.now()))
        await hook.wait_for(6)
        await pager.drain()
    [ntfy] = hook.at("/ntfy-topic")
    assert ntfy.body == b"Crisis request waiting 1 min"
    assert ntfy.headers["authorization"] == "Bearer tk_sometoken"
    assert ntfy.headers["priority"] == "5"
    [discord] = hook.at("/discord")
    assert discord.query == {"wait": "true"}
    assert json.loads(discord.body)["allowed_mentions"] == {"parse": []}
    for path in ("/slack", "/hooks/key"):
        assert json.loads(hook.at(path)[0].body) == {"text": "Crisis request waiting 1 min"}
    assert json.loads(hook.at("/hookshot")[0].body)["username"] == "sharecircle"
    assert signed(hook.at("/hook")[0])["type"] == "alert.unclaimed"


async def test_an_unreachable_receiver_is_retried_not_fatal(clock: ManualClock) -> None:
    async with webhook_receiver() as gone:
        url = gone.url
    endpoint = Endpoint("gone", url + "/hook", secrets=(SECRET,))
    async with pager_for(endpoint, clock=clock) as pager:
        start = clock.now()
        pager.handle(page(now=start))
        await until(lambda: list(pager.next_attempts().values()) == [start + 5])
        state = pager.health()["gone"]
    assert (state.health, state.last_status) == (EndpointHealth.FAILING, None)


def test_bad_endpoint_configuration_gets_a_clear_error() -> None:
    with pytest.raises(ValueError, match="needs a secret"):
        Endpoint("g", "https://x.example/h")
    with pytest.raises(ValueError, match="whsec_"):
        Endpoint("g", "https://x.example/h", secrets=("plain",))
    with pytest.raises(ValueError, match="https"):
        Endpoint("g", "ftp://x.example/h", Receiver.SLACK)
    with pytest.raises(ValueError, match="not valid"):
        Endpoint("g", "https://[::1", Receiver.SLACK)
    with pytest.raises(ValueError, match="distinct"):
        PagingSettings(endpoints=(Endpoint("a", "https://x.example/1", Receiver.SLACK),) * 2)
    assert "x.example" not in repr(Endpoint("a", "https://x.example/1", Receiver.SLACK))
