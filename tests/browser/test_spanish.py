"""The Spanish client: a browser that prefers Spanish gets the page in Spanish, and runs a share
round end to end (join, raise a hand, share, done) with every text from catalog/es.js. The
language menu switches the page and is remembered; server refusals arrive in English on the wire
and are shown in Spanish by their code."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.catalog import text
from tests.browser.conftest import Room, Tab

pytestmark = pytest.mark.browser

OpenTab = Callable[..., Tab]
MakeRoom = Callable[..., Room]
ES = "es"


def es(key: str, **params: object) -> str:
    return text(key, ES, **params)


def join_es(tab: Tab, room: Room, name: str) -> None:
    page = tab.page
    expect(page.locator(f'#join-room option[value="{room.slug}"]')).to_have_count(1)
    page.get_by_role("combobox", name=es("lobby.room"), exact=True).select_option(room.slug)
    page.get_by_label(es("lobby.name"), exact=True).fill(name)
    page.get_by_test_id("join-submit").click()
    expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "connected")
    expect(page.get_by_test_id("conn-state")).to_have_text(es("conn.connected"))


def test_a_spanish_browser_runs_a_share_round_in_spanish(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    room = make_room(self_led=True)
    river = open_tab(width=360, height=740, locale="es-MX")
    sam = open_tab(width=360, height=740, locale="es-ES")
    page = river.page
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text(es("lobby.title"))
    join_es(river, room, "River")
    join_es(sam, room, "Sam")
    card = page.get_by_test_id("welcome")
    expect(card.get_by_role("heading", level=2)).to_have_text(es("welcome.title", room=room.name))
    expect(card).to_contain_text(es("welcome.rule.crosstalk"))
    page.get_by_role("button", name=es("welcome.close"), exact=True).click()

    page.get_by_role("button", name=es("controls.raise"), exact=True).click()
    expect(page.get_by_test_id("share-first")).to_have_text(es("controls.first"))
    page.get_by_role("button", name=es("controls.first.confirm"), exact=True).click()
    bar = page.get_by_test_id("sharer-bar")
    expect(bar).to_be_visible()
    expect(bar.get_by_role("timer", name=es("round.timer.mine"))).to_have_text(
        re.compile(r"^\d:\d\d$")
    )
    expect(page.get_by_test_id("floor")).to_have_text(es("round.mine"))
    expect(sam.page.get_by_test_id("floor")).to_have_text(es("round.sharing", name="River"))

    # Sam may not post during River's share: the reason is in Spanish.
    expect(sam.page.get_by_test_id("composer-reason")).to_have_text(
        es("composer.blocked.turn.raise", name="River")
    )
    box = page.get_by_label(es("composer.label"), exact=True)
    box.fill("comparto algo breve marker-es1")
    box.press("Enter")
    expect(sam.page.get_by_test_id("message").filter(has_text="marker-es1")).to_have_count(1)
    bar.get_by_role("button", name=es("controls.done"), exact=True).click()
    expect(bar).to_be_hidden()
    # Nobody else waits, so the self-led round ends; the timeline says so in Spanish.
    expect(page.get_by_test_id("round-panel")).to_be_hidden()
    expect(page.get_by_test_id("note").filter(has_text=es("note.round.ended"))).to_have_count(1)
    expect(page.get_by_test_id("note").filter(has_text=es("note.floor.mine"))).to_have_count(1)

    # A refusal comes back in English on the wire and shows in Spanish, by its code.
    page.get_by_role("button", name=es("controls.listen_only"), exact=True).click()
    expect(page.get_by_test_id("composer-reason")).to_have_text(es("composer.blocked.listen_only"))
    again = open_tab(width=360, height=740, locale="es")
    expect(again.page.locator(f'#join-room option[value="{room.slug}"]')).to_have_count(1)
    again.page.get_by_role("combobox", name=es("lobby.room"), exact=True).select_option(room.slug)
    again.page.get_by_label(es("lobby.name"), exact=True).fill("River")
    again.page.get_by_test_id("join-submit").click()
    expect(again.page.get_by_test_id("join-error")).to_have_text(es("error.name_taken"))


def test_the_language_menu_switches_the_page_and_is_remembered(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    make_room()
    tab = open_tab()
    page = tab.page
    expect(page.get_by_role("heading", level=1)).to_have_text(text("lobby.title"))
    page.get_by_label(text("page.language"), exact=True).select_option("es")
    expect(page.get_by_role("heading", level=1)).to_have_text(es("lobby.title"))
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(es("lobby.title"))
    expect(page.get_by_label(es("page.language"), exact=True)).to_have_value("es")
