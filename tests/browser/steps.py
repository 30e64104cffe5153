"""What a person does in the client, as small steps the tests share. Elements are found by
role, label or test id, and words come from the client's catalog (tests/browser/catalog.py)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.catalog import text
from tests.browser.conftest import Room, Tab


def join(tab: Tab, room: Room, name: str | None, *, observer: bool = False) -> None:
    """Choose the room in the join form, fill the name, join, and wait to be connected."""
    page = tab.page
    expect(page.get_by_test_id("room-card").filter(has_text=room.name)).to_have_count(1)
    ask_to_join(tab, room, name, observer=observer)
    expect(page.get_by_test_id("room")).to_be_visible()
    expect_connected(tab)
    expect(page.get_by_role("heading", level=1, name=room.name)).to_be_visible()


def ask_to_join(tab: Tab, room: Room, name: str | None, *, observer: bool = False) -> None:
    """Fill the join form and press Join, without waiting for what comes of it."""
    page = tab.page
    expect(page.locator(f'#join-room option[value="{room.slug}"]')).to_have_count(1)
    page.get_by_test_id("lobby").get_by_role("combobox", name=text("lobby.room")).select_option(
        room.slug
    )
    if observer:
        page.get_by_label(text("lobby.role.observer")).check()
    if name is not None:
        page.get_by_label(text("lobby.name")).fill(name)
    page.get_by_test_id("join-submit").click()


def expect_connected(tab: Tab) -> None:
    expect(tab.page.get_by_test_id("conn-state")).to_have_attribute("data-state", "connected")


def composer(tab: Tab) -> Any:
    return tab.page.get_by_label(text("composer.label"), exact=True)


def post(tab: Tab, body: str) -> None:
    box = composer(tab)
    box.fill(body)
    box.press("Enter")
    expect(box).to_have_value("")


def button(tab_or_locator: Any, key: str, **params: Any) -> Any:
    """The button whose accessible name is the catalog's text for `key`."""
    scope = tab_or_locator.page if isinstance(tab_or_locator, Tab) else tab_or_locator
    return scope.get_by_role("button", name=text(key, **params), exact=True)


def message_texts(tab: Tab, body: str) -> Any:
    """The message bodies in the list that read exactly `body`."""
    return (
        tab.page.get_by_test_id("message")
        .locator(".msg-text")
        .filter(has_text=re.compile(f"^{re.escape(body)}$"))
    )


def message(tab: Tab, body: str) -> Any:
    """The message (whole row) whose text contains `body`."""
    return tab.page.get_by_test_id("message").filter(has_text=body)


def expect_message_once(tab: Tab, body: str) -> None:
    expect(message_texts(tab, body)).to_have_count(1)


def hook(tab: Tab, script: str) -> Any:
    """Call the client's test hook (`window.__sharecircle`)."""
    return tab.page.evaluate(script)


def round_panel(tab: Tab) -> Any:
    return tab.page.get_by_test_id("round-panel")


def people(tab: Tab) -> Any:
    return tab.page.get_by_test_id("people")


def facilitator_panel(tab: Tab) -> Any:
    return tab.page.get_by_test_id("facilitator-panel")


def facilitator_bar(tab: Tab) -> Any:
    """The facilitators' bar pinned to the bottom of the screen (timer, Extend, Skip, Pause...)."""
    return tab.page.get_by_test_id("facilitator-bar")


def sharer_bar(tab: Tab) -> Any:
    """The sharer's bar pinned to the bottom of the screen (countdown, Done, Pass)."""
    return tab.page.get_by_test_id("sharer-bar")


def member_actions(tab: Tab) -> Any:
    """A facilitator's actions for the chosen person, shown right under them in the people list."""
    return people(tab).get_by_test_id("member-actions")


def press_twice(scope: Any, key: str, **params: Any) -> None:
    """Remove and Ban ask twice: press, then press the confirming button that takes its place."""
    button(scope, key, **params).click()
    button(scope, f"{key}.confirm", **params).click()


def notice(tab: Tab) -> Any:
    return tab.page.get_by_test_id("notice")


def expect_notice(tab: Tab, kind: str) -> None:
    """The full-page notice of `kind` shows, with its catalog title."""
    expect(notice(tab)).to_be_visible()
    expect(notice(tab)).to_have_attribute("data-kind", kind)
    expect(notice(tab).get_by_role("heading", level=1)).to_have_text(text(f"notice.{kind}.title"))


def choose_member(host: Tab, name: str) -> None:
    """As a facilitator, open the options for `name` (from the people list)."""
    button(host, "people.options.label", name=name).click()


def open_round(host: Tab, *, seconds: int = 180, topic: str = "") -> None:
    panel = facilitator_panel(host)
    if topic:
        panel.get_by_label(text("facilitator.topic")).fill(topic)
    panel.get_by_label(text("facilitator.share_time")).select_option(str(seconds))
    button(panel, "facilitator.open_round").click()
