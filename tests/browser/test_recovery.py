"""When the connection or the session ends: a node drains (1012) and the page resumes on the
restarted node; replayed events are shown but never announced again; a session the server no
longer accepts ends in its calm notice."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

if not Path("/usr/bin/chromium").exists():
    pytest.skip(
        "browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
        allow_module_level=True,
    )

from playwright.sync_api import expect

from tests.browser.catalog import text
from tests.browser.conftest import TIMEOUT_MS, Room, Tab, admin_post
from tests.browser.steps import (
    expect_connected,
    expect_message_once,
    expect_notice,
    hook,
    join,
    post,
)
from tests.support.nodes import NodeProcess
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.browser

OpenTab = Callable[..., Tab]
MakeRoom = Callable[..., Room]
RESTART_TIMEOUT_MS = 3 * TIMEOUT_MS
"""A drain, a restart and a 1-5 s reconnect delay: the one wait that may take longer."""


@pytest.fixture
def drained_tabs(browser: Any) -> Iterator[Callable[[str], Tab]]:
    """Pages on a node of the test's own (not the shared one), closed at the end."""
    tabs: list[Tab] = []

    def open_(url: str) -> Tab:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script("window.__SHARECIRCLE_TEST__ = true;")
        page = context.new_page()
        tab = Tab(page, context)
        page.on("pageerror", lambda exc: tab.errors.append(str(exc)))
        page.goto(url, wait_until="domcontentloaded")
        tabs.append(tab)
        return tab

    yield open_
    for tab in tabs:
        tab.context.close()
    assert [e for tab in tabs for e in tab.errors] == []


def test_a_drained_node_s_page_resumes_on_the_restarted_node(
    redis_tcp_server: RedisServer, drained_tabs: Callable[[str], Tab]
) -> None:
    """SIGTERM: the page hears 1012, waits 1-5 s, resumes on the node that took the port over,
    and shows what it missed exactly once."""
    first = NodeProcess(redis_tcp_server.url, drain_seconds=1).start()
    second: NodeProcess | None = None
    try:
        slug = f"drain-room-{first.port}"
        admin_post(first, "/api/admin/rooms", {"slug": slug, "name": "Drain Room"})
        room = Room(slug, "Drain Room", first)
        river = drained_tabs(first.http)
        join(river, room, "River")
        post(river, "before the drain marker-d1")

        first.terminate()  # SIGTERM: a graceful drain
        state = river.page.get_by_test_id("conn-state")
        expect(state).to_have_attribute("data-state", "reconnecting")
        assert first.wait(20) is not None
        second = NodeProcess(redis_tcp_server.url, port=first.port).start()
        sam = drained_tabs(second.http)
        join(sam, Room(slug, "Drain Room", second), "Sam")
        post(sam, "while the node restarted marker-d2")

        expect(state).to_have_attribute("data-state", "connected", timeout=RESTART_TIMEOUT_MS)
        info = hook(river, "window.__sharecircle.info()")
        assert 1012 in info["closes"]  # the drain; failed attempts while no node listened: 1006
        assert info["lastResume"]["recovered"] is True
        for marker in ("before the drain marker-d1", "while the node restarted marker-d2"):
            expect_message_once(river, marker)
        expect(river.page.get_by_test_id("history-note")).to_be_hidden()
        post(river, "back after the drain marker-d3")
        expect_message_once(sam, "back after the drain marker-d3")
    finally:
        first.close()
        if second is not None:
            second.close()


def test_replayed_messages_show_but_are_not_announced_again(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    """What a resume replays reaches the list once and the screen reader never; live ones do."""
    room = make_room()
    river, sam = open_tab(), open_tab()
    join(river, room, "River")
    join(sam, room, "Sam")
    river.context.set_offline(True)
    hook(river, "window.__sharecircle.drop()")
    post(sam, "said while you were away marker-q1")
    river.context.set_offline(False)
    expect_connected(river)
    expect_message_once(river, "said while you were away marker-q1")
    assert hook(river, "window.__sharecircle.info()")["lastResume"]["recovered"] is True

    post(sam, "said live marker-q2")
    announcer = river.page.get_by_test_id("announcer")
    expect(announcer).to_contain_text(
        text("announce.message", name="Sam", text="said live marker-q2")
    )
    expect(announcer).not_to_contain_text("marker-q1")


def test_a_session_the_server_no_longer_accepts_ends_in_a_calm_notice(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    """A stored token that does not verify: the resume is refused, the session_invalid notice
    shows, the stored session is forgotten, and its button leads back to the rooms."""
    room = make_room()
    tab = open_tab()
    forged = json.dumps({"room": room.slug, "token": "not-a-real-token", "remember": False})
    tab.page.evaluate("s => sessionStorage.setItem('sharecircle.session', s)", forged)
    tab.page.reload()
    expect_notice(tab, "session_invalid")
    expect(tab.page.get_by_test_id("notice")).to_contain_text(text("notice.session_invalid.text"))
    assert tab.page.evaluate("sessionStorage.getItem('sharecircle.session')") is None
    tab.page.get_by_role("button", name=text("notice.back")).click()
    expect(tab.page.get_by_test_id("lobby")).to_be_visible()
    join(tab, room, "Again")
