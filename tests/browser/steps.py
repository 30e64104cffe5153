"""What a person does in the client, as small steps the tests share."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Room, Tab


def join(tab: Tab, room: Room, name: str | None, *, observer: bool = False) -> None:
    """Choose the room in the join form, fill the name, join, and wait to be connected."""
    page = tab.page
    expect(page.locator(f'#join-room option[value="{room.slug}"]')).to_have_count(1)
    page.locator("#join-room").select_option(room.slug)
    if observer:
        page.get_by_label("Listen only, as an observer").check()
    if name is not None:
        page.get_by_label("Display name").fill(name)
    page.locator("#join-submit").click()
    expect(page.locator("#room-screen")).to_be_visible()
    expect(page.locator("#conn-state")).to_have_text("Connected")
    expect(page.locator("#room-title")).to_have_text(room.name)


def post(tab: Tab, text: str) -> None:
    box = tab.page.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def message_texts(tab: Tab, text: str) -> Any:
    """The message bodies in the list that read exactly `text`."""
    return tab.page.locator("#messages .msg-text").filter(
        has_text=re.compile(f"^{re.escape(text)}$")
    )


def expect_message_once(tab: Tab, text: str) -> None:
    expect(message_texts(tab, text)).to_have_count(1)


def hook(tab: Tab, script: str) -> Any:
    """Call the client's test hook (`window.__sharecircle`)."""
    return tab.page.evaluate(script)


def round_panel(tab: Tab) -> Any:
    return tab.page.locator("#round-panel")
