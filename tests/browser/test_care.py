"""Care for the person at the other end: keyboard only, a small phone, screen-reader names,
nothing sent anywhere but our own server, and a session kept only as long as they asked."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

if not Path("/usr/bin/chromium").exists():
    pytest.skip(
        "browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
        allow_module_level=True,
    )

from playwright.sync_api import expect

from tests.browser.catalog import text
from tests.browser.conftest import Room, Tab
from tests.browser.steps import (
    button,
    composer,
    expect_connected,
    expect_message_once,
    join,
    open_round,
    people,
    post,
    round_panel,
)

pytestmark = pytest.mark.browser

OpenTab = Callable[..., Tab]
MakeRoom = Callable[..., Room]

ROLES = ["button", "textbox", "combobox", "checkbox", "radio", "link", "timer"]


def _tab_to(tab: Tab, label: str, limit: int = 80) -> None:
    """Press Tab until the focused element's accessible label is `label`."""
    page = tab.page
    for _ in range(limit):
        page.keyboard.press("Tab")
        active = page.evaluate(
            "(() => { const a = document.activeElement;"
            " return a ? (a.getAttribute('aria-label') || a.textContent || '').trim() : ''; })()"
        )
        if active == label:
            return
    pytest.fail(f"never reached {label!r} with the Tab key")


def _no_horizontal_scroll(tab: Tab) -> None:
    overflow = tab.page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


def _all_named(tab: Tab) -> None:
    """Every visible control has an accessible name (get_by_role with any non-blank name)."""
    for role in ROLES:
        every = tab.page.get_by_role(role)  # type: ignore[arg-type]
        named = tab.page.get_by_role(role, name=re.compile(r"\S"))  # type: ignore[arg-type]
        assert every.count() == named.count(), f"a {role} has no accessible name"


def test_keyboard_alone_is_enough_to_join_and_post(open_tab: OpenTab, make_room: MakeRoom) -> None:
    """Tab to a room, Enter, type a name, Enter; then Enter sends and Shift+Enter breaks a line."""
    room = make_room()
    tab = open_tab()
    page = tab.page
    join_label = text("lobby.join.room", name=room.name)
    expect(page.get_by_test_id("room-card").get_by_role("button", name=join_label)).to_be_visible()
    _tab_to(tab, join_label)
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused control shows no focus ring"
    page.keyboard.press("Enter")
    expect(page.get_by_label(text("lobby.name"))).to_be_focused()
    page.keyboard.type("Keys")
    page.keyboard.press("Enter")
    expect_connected(tab)
    expect(page.get_by_role("heading", level=1, name=room.name)).to_be_visible()
    # A newcomer lands on the welcome card; "Got it" leads on to the message box.
    expect(
        page.get_by_role("heading", level=2, name=text("welcome.title", room=room.name))
    ).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("welcome-close")).to_be_focused()
    page.keyboard.press("Enter")
    expect(composer(tab)).to_be_focused()
    page.keyboard.type("typed by keyboard")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line marker-k1")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("message").locator(".msg-text")).to_have_text(
        "typed by keyboard\nsecond line marker-k1"
    )
    _tab_to(tab, text("controls.raise"))
    page.keyboard.press("Enter")
    expect(people(tab)).to_contain_text(text("people.hand", place=1))
    expect(button(tab, "controls.lower")).to_be_focused()


def test_no_request_leaves_the_machine(open_tab: OpenTab, make_room: MakeRoom) -> None:
    """Lobby, join, post, theme: every request and socket goes to our own loopback server."""
    room = make_room()
    tab = open_tab()
    join(tab, room, "Local")
    post(tab, "only here marker-l1")
    button(tab, "page.theme").click()
    tab.page.reload()
    expect_connected(tab)
    assert tab.urls, "no requests were seen at all"
    for url in tab.urls:
        parts = urlsplit(url)
        if parts.scheme == "data":
            continue  # the empty inline favicon, which stops the browser asking for one
        assert parts.hostname == "127.0.0.1", f"a request left for {url}"


def test_a_small_phone_never_scrolls_sideways(open_tab: OpenTab, make_room: MakeRoom) -> None:
    """At 360 px: the lobby, a facilitator's room during a round, with a long unbroken word."""
    room = make_room()
    host = open_tab(room.facilitator_link(), width=360, height=740)
    _no_horizontal_scroll(host)
    join(host, room, "Host")
    member = open_tab(width=360, height=740)
    join(member, room, "Someone with a long name")
    button(member, "controls.raise").click()
    post(member, "a" * 120 + " marker-p1")
    open_round(host)
    for tab in (host, member):
        expect(round_panel(tab).get_by_role("timer")).to_be_visible()
        expect_message_once(tab, "a" * 120 + " marker-p1")
        _no_horizontal_scroll(tab)


def test_every_control_has_a_name(open_tab: OpenTab, make_room: MakeRoom) -> None:
    """Lobby and a facilitator's room (menus open, round running): all controls are labelled."""
    room = make_room()
    host = open_tab(room.facilitator_link())
    expect(host.page.get_by_test_id("room-card").first).to_be_visible()
    _all_named(host)
    join(host, room, "Host")
    guest = open_tab()
    join(guest, room, "Guest")
    button(guest, "controls.raise").click()
    post(guest, "label check marker-n1")
    open_round(host)
    expect(round_panel(host).get_by_role("timer")).to_be_visible()
    button(host, "people.options.label", name="Guest").click()
    button(host, "messages.menu.label", name="Guest").click()
    _all_named(host)
    button(guest, "messages.menu.label", name="Guest").click()
    _all_named(guest)
    assert host.page.get_by_test_id("announcer").get_attribute("aria-live") == "polite"


def test_the_session_stays_in_this_tab_unless_remembered(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    """sessionStorage by default, a reload resumes, Leave clears it; "remember me" uses localStorage."""
    room = make_room()
    tab = open_tab()
    page = tab.page
    join(tab, room, "Tabby")
    stored = "k => [sessionStorage.getItem(k) !== null, localStorage.getItem(k) !== null]"
    assert page.evaluate(stored, "sharecircle.session") == [True, False]
    page.reload()
    expect_connected(tab)
    expect(people(tab)).to_contain_text(text("people.you", name="Tabby"))
    expect(page.get_by_test_id("history-note")).to_have_text(text("room.history_lost"))
    button(tab, "page.leave").click()
    expect(page.get_by_test_id("lobby")).to_be_visible()
    assert page.evaluate(stored, "sharecircle.session") == [False, False]

    page.get_by_label(text("lobby.remember")).check()
    join(tab, room, "Tabby")
    assert page.evaluate(stored, "sharecircle.session") == [False, True]
    button(tab, "page.leave").click()
    expect(page.get_by_test_id("lobby")).to_be_visible()
    assert page.evaluate(stored, "sharecircle.session") == [False, False]


def test_the_light_theme_is_remembered(open_tab: OpenTab) -> None:
    """Dark by default; the light theme, once chosen, survives a reload."""
    tab = open_tab()
    html = tab.page.locator("html")
    expect(html).to_have_attribute("data-theme", "dark")
    toggle = button(tab, "page.theme")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(html).to_have_attribute("data-theme", "light")
    tab.page.reload()
    expect(html).to_have_attribute("data-theme", "light")
    expect(button(tab, "page.theme")).to_have_attribute("aria-pressed", "true")
