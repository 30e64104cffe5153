"""The staff console (/staff) in Chromium, on a phone's 360 px: a staff member signs in, goes on
call, sees an alert arrive, takes it and resolves it; joins a room as its facilitator from the
console; and axe-core finds nothing on the console's screens under the real CSP.

The node runs on a real Redis with its own SQLite store. The alert is raised the way another node
would raise it: an alert desk in the test process on the same Redis and the same store, so the
node's console hears it through the desk's pub/sub, as it would from anywhere in the cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from rooms.alerts import AlertDesk
from rooms.backends import open_backend
from rooms.clock import SystemClock
from rooms.oncall import AlertKind
from rooms.store import open_store
from server.storage import DATABASE_FILE
from tests.browser.catalog import text
from tests.browser.conftest import TIMEOUT_MS, Room, Tab, admin_post
from tests.browser.make_screenshots import Person
from tests.browser.test_axe import expect_clean
from tests.support.nodes import NodeProcess
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
PASSPHRASE = "a long enough passphrase for the night"


@pytest.fixture(scope="module")
def staff_node(redis_tcp_server: RedisServer) -> Iterator[NodeProcess]:
    data_dir = tempfile.mkdtemp(prefix="sc-console-", dir="/tmp")
    node = NodeProcess(redis_tcp_server.url, data_dir=data_dir).start()
    try:
        yield node
    finally:
        node.close()


@pytest.fixture
def room(staff_node: NodeProcess) -> Room:
    slug = f"console-room-{next(_numbers)}"
    admin_post(staff_node, "/api/admin/rooms", {"slug": slug, "name": f"Console {slug[-1]}"})
    return Room(slug, f"Console {slug[-1]}", staff_node)


_numbers = iter(range(1, 1000))


@pytest.fixture
def open_page(browser: Any, staff_node: NodeProcess) -> Iterator[Callable[..., Tab]]:
    tabs: list[Tab] = []

    def open_(path: str = "/staff", **size: int) -> Tab:
        context = browser.new_context(
            viewport=size or PHONE, color_scheme="dark", reduced_motion="reduce", locale="en-US"
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        tab = Tab(page, context)
        page.on("pageerror", lambda exc: tab.errors.append(str(exc)))
        page.goto(staff_node.http + path, wait_until="domcontentloaded")
        tabs.append(tab)
        return tab

    yield open_
    for tab in tabs:
        tab.context.close()
    assert [e for tab in tabs for e in tab.errors] == []


def add_staff(node: NodeProcess, name: str, **fields: Any) -> None:
    admin_post(node, "/api/admin/staff", {"name": name, "passphrase": PASSPHRASE, **fields})


def raise_alert(node: NodeProcess, kind: AlertKind, room: str, subject: str = "") -> str:
    """Raise an alert as another node of the cluster would (same Redis, same store)."""
    found: list[str] = []

    async def run() -> None:
        clock = SystemClock()
        backend = open_backend(str(node.redis_url))
        store = open_store(
            f"sqlite:///{Path(node.settings['data_dir']) / DATABASE_FILE}",
            clock=clock,
        )
        try:
            async with AlertDesk(store, backend, clock) as desk:
                found.append((await desk.raise_alert(kind, room, subject)).id)
        finally:
            await store.aclose()
            await backend.aclose()

    # Playwright's sync API holds this thread's event loop: run the desk in a thread of its own.
    worker = threading.Thread(target=asyncio.run, args=(run(),))
    worker.start()
    worker.join(timeout=30)
    assert found, "the alert was not raised"
    return found[0]


def sign_in(tab: Tab, name: str) -> None:
    page = tab.page
    page.get_by_label(text("console.signin.name")).fill(name)
    page.get_by_label(text("console.signin.secret")).fill(PASSPHRASE)
    page.get_by_role("button", name=text("console.signin.submit")).click()
    expect(page.get_by_test_id("console")).to_be_visible()
    expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "connected")


def test_on_call_at_360px_an_alert_arrives_is_taken_and_resolved(
    open_page: Callable[..., Tab], staff_node: NodeProcess, room: Room
) -> None:
    add_staff(staff_node, "Nightowl", admin=True)
    tab = open_page()
    page = tab.page
    expect_clean(tab, "console sign-in")
    sign_in(tab, "Nightowl")
    toggle = page.get_by_test_id("oncall-toggle")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("oncall-count")).to_have_text(text("console.oncall.count", count=1))
    rooms = page.get_by_test_id("console-room").filter(has_text=room.name)
    expect(rooms).to_have_count(1)

    alert_id = raise_alert(staff_node, AlertKind.REPORT, room.slug, "rep_console")
    item = page.locator(f'[data-alert="{alert_id}"]')
    expect(item).to_be_visible()
    announced = text("console.announce", kind=text("console.kind.report"), room=room.name)
    expect(page.get_by_test_id("alert-announcer")).to_have_text(announced)
    expect(rooms.get_by_text(text("console.room.alert"))).to_be_visible()
    expect_clean(tab, "console with an alert")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    take = text("console.take.label", kind=text("console.kind.report"), room=room.name)
    page.get_by_role("button", name=take).click()
    expect(item.get_by_text(text("console.alert.mine"))).to_be_visible()
    item.get_by_label(text("console.outcome.label")).select_option("action_taken")
    resolve = text("console.resolve.label", kind=text("console.kind.report"), room=room.name)
    page.get_by_role("button", name=resolve).press("Enter")  # by keyboard
    expect(item).to_have_count(0)
    expect(page.get_by_text(text("console.queue.empty"))).to_be_visible()
    expect_clean(tab, "console after resolving")


def test_join_as_facilitator_opens_the_member_client_seated_as_facilitator(
    open_page: Callable[..., Tab], staff_node: NodeProcess, room: Room
) -> None:
    """The staff token reaches the member client through sessionStorage, never a URL."""
    add_staff(staff_node, "Lark", rooms=[room.slug])
    tab = open_page(width=1280, height=800)
    sign_in(tab, "Lark")
    join = text("console.join.room", room=room.name)
    with tab.context.expect_page() as opened:
        tab.page.get_by_role("button", name=join).click()
    member = opened.value
    member.wait_for_load_state("domcontentloaded")
    assert "staff" not in member.url
    assert "token" not in member.url
    expect(member.get_by_test_id("invite-note")).to_have_text(text("lobby.invite.staff"))
    expect(member.get_by_label(text("lobby.name"))).to_have_value("Lark")
    member.get_by_test_id("join-submit").click()
    expect(member.get_by_test_id("room")).to_be_visible()
    expect(member.get_by_test_id("facilitator-panel")).to_be_visible()
    row = tab.page.get_by_test_id("console-room").filter(has_text=room.name)
    expect(row.get_by_text(text("console.room.facilitator"))).to_be_visible()


def test_answering_a_talk_request_opens_a_private_conversation_in_the_console(
    open_page: Callable[..., Tab], staff_node: NodeProcess, room: Room
) -> None:
    """A member asks to talk (crisis.request, over a plain WebSocket); the on-call console answers,
    they exchange messages, what the member says is announced, and the console ends it."""
    add_staff(staff_node, "Lantern", admin=True)
    tab = open_page()
    page = tab.page
    sign_in(tab, "Lantern")
    page.get_by_test_id("oncall-toggle").click()
    expect(page.get_by_test_id("oncall-toggle")).to_have_attribute("aria-pressed", "true")
    with contextlib.ExitStack() as stack:
        river = Person(stack, staff_node, room.slug, "River")
        asked = river.do("crisis.request")
        kind = text("console.kind.crisis")
        page.get_by_role(
            "button", name=text("console.take.label", kind=kind, room=room.name)
        ).click()
        talk = page.get_by_test_id("talk")
        expect(talk.get_by_role("heading")).to_have_text(
            text("console.talk.with", name="River", room=room.name)
        )
        talk.get_by_label(text("console.talk.label")).fill("I'm here. What's going on?")
        talk.get_by_role("button", name=text("console.talk.send")).click()
        expect(talk.get_by_text("I'm here. What's going on?")).to_be_visible()
        heard = [json.loads(river.ws.recv(timeout=10)) for _ in range(3)]
        assert any(f.get("text") == "I'm here. What's going on?" for f in heard), heard
        river.do("conversation.say", conversation=asked["conversation"], text="thanks for coming")
        expect(talk.get_by_text("thanks for coming")).to_be_visible()
        expect(page.get_by_test_id("announcer")).to_contain_text("thanks for coming")
        expect_clean(tab, "console in a conversation")
        talk.get_by_role("button", name=text("console.talk.end")).click()
        expect(talk.get_by_text(text("console.talk.ended.other"))).to_be_visible()
