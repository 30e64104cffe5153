"""A whole meeting on 360 px phones, from opening to closing, in English and in Spanish.

The room is shaped like the default *Evening Meeting* (self-led, `twelve-step-text`); with its
facilitator present, the facilitator moves it part by part with Next part. Members raise hands
during the readings, share in the share part (one finishes with Done, the other's time runs out
on the node's test clock: nobody sleeps), a member's milestone marked at the start is celebrated
when the closing part starts, the facilitator sees fairness at a glance, and the meeting ends.
Every pinned bar stays in view, and axe-core finds nothing on the way.

A second test runs the survivors' circle's share part: the person sharing writes a content
note, and the others see the share folded under it until they open it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from facilitation.shipped import SURVIVORS_CIRCLE, TWELVE_STEP_TEXT
from tests.browser.catalog import text
from tests.browser.conftest import Room, Tab
from tests.browser.steps import facilitator_bar, open_round, sharer_bar
from tests.browser.test_axe import expect_clean
from tests.browser.test_phone import PHONE, expect_in_view
from tests.support.clock import SharedClock

pytestmark = pytest.mark.browser

OpenTab = Callable[..., Tab]
MakeRoom = Callable[..., Room]
LOCALES = {"en": "en-US", "es": "es-ES"}
SHARES = next(i for i, p in enumerate(TWELVE_STEP_TEXT.parts) if p.share_round)
CLOSING = len(TWELVE_STEP_TEXT.parts) - 1


class Person:
    """One phone, speaking one language: finds things by the catalog's words in that language."""

    def __init__(self, tab: Tab, lang: str) -> None:
        self.tab, self.page, self.lang = tab, tab.page, lang

    def words(self, key: str, **params: Any) -> str:
        return text(key, self.lang, **params)

    def button(self, key: str, scope: Any = None, **params: Any) -> Any:
        where = self.page if scope is None else scope
        return where.get_by_role("button", name=self.words(key, **params), exact=True)

    def join(self, room: Room, name: str) -> None:
        page = self.page
        expect(page.locator(f'#join-room option[value="{room.slug}"]')).to_have_count(1)
        page.get_by_role("combobox", name=self.words("lobby.room"), exact=True).select_option(
            room.slug
        )
        page.get_by_label(self.words("lobby.name"), exact=True).fill(name)
        page.get_by_test_id("join-submit").click()
        expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "connected")
        page.get_by_test_id("welcome-close").click()

    def post(self, body: str) -> None:
        box = self.page.get_by_label(self.words("composer.label"), exact=True)
        box.fill(body)
        box.press("Enter")
        expect(box).to_have_value("")

    def note(self, key: str, **params: Any) -> Any:
        return self.page.get_by_test_id("note").filter(has_text=self.words(key, **params))

    def expect_part(self, index: int, title: str) -> None:
        count = len(TWELVE_STEP_TEXT.parts)
        expect(self.page.get_by_test_id("part-panel").get_by_role("heading", level=2)).to_have_text(
            self.words("part.now", title=title)
        )
        expect(self.page.get_by_test_id("part-panel")).to_contain_text(
            pattern(self.words("part.meta", number=index + 1, count=count, kind=ANY))
        )


ANY = "\u0000"
"""A placeholder value that `pattern` turns into "anything"."""


def pattern(words: str) -> re.Pattern[str]:
    return re.compile(".+".join(re.escape(part) for part in words.split(ANY)))


def phones(open_tab: OpenTab, room: Room, lang: str) -> tuple[Person, Person, Person]:
    host = Person(open_tab(room.facilitator_link(), **PHONE, locale=LOCALES[lang]), lang)
    river = Person(open_tab(**PHONE, locale=LOCALES[lang]), lang)
    sam = Person(open_tab(**PHONE, locale=LOCALES[lang]), lang)
    host.join(room, "Host")
    river.join(room, "River")
    sam.join(room, "Sam")
    return host, river, sam


def late_joiner_sees_the_part_and_speaker(
    open_tab: OpenTab, room: Room, lang: str, speaker: str
) -> None:
    """A late joiner's welcome card names the part in progress and who is sharing."""
    kai = Person(open_tab(**PHONE, locale=LOCALES[lang]), lang)
    page = kai.page
    expect(page.locator(f'#join-room option[value="{room.slug}"]')).to_have_count(1)
    page.get_by_role("combobox", name=kai.words("lobby.room"), exact=True).select_option(room.slug)
    page.get_by_label(kai.words("lobby.name"), exact=True).fill("Kai")
    page.get_by_test_id("join-submit").click()
    card = page.get_by_test_id("welcome")
    title = TWELVE_STEP_TEXT.parts[SHARES].title
    count = len(TWELVE_STEP_TEXT.parts)
    expect(card.get_by_test_id("welcome-part")).to_have_text(
        kai.words("welcome.part", number=SHARES + 1, count=count, title=title)
    )
    expect(card.get_by_test_id("welcome-speaker")).to_contain_text(speaker)
    expect_clean(kai.tab, f"{lang}: a late joiner's card during the shares")


def mark_milestone(person: Person, days: int) -> None:
    person.page.get_by_test_id("milestone").locator("summary").click()
    person.page.get_by_label(person.words("milestone.days"), exact=True).fill(str(days))
    person.page.get_by_test_id("milestone-set").click()
    expect(person.page.get_by_test_id("milestone-mine")).to_have_text(
        person.words("milestone.mine", count=days)
    )


def next_part(host: Person, key: str = "bar.next_part") -> None:
    expect_in_view(host.tab, facilitator_bar(host.tab))
    host.button(key, facilitator_bar(host.tab)).click()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_whole_meeting_on_a_phone_from_opening_to_closing(
    open_tab: OpenTab, make_room: MakeRoom, shared_clock: SharedClock, lang: str
) -> None:
    room = make_room(format="twelve-step-text", self_led=True, language=lang)
    host, river, sam = phones(open_tab, room, lang)
    expect(river.page.locator("html")).to_have_attribute("lang", lang)
    mark_milestone(river, 30)
    tending = host.page.get_by_test_id("tending-panel")
    expect(tending.get_by_test_id("marked")).to_have_text(
        re.compile(re.escape(host.words("tending.milestone", name="River", count=30)))
    )
    expect(sam.page.get_by_test_id("tending-panel")).to_be_hidden()  # facilitators only

    # The opening: only the chair has the word; the part's text is in everyone's timeline.
    next_part(host, "bar.start_format")
    for person in (host, river, sam):
        person.expect_part(0, TWELVE_STEP_TEXT.parts[0].title)
    expect(river.page.get_by_test_id("composer-reason")).to_have_attribute(
        "data-reason", "part_reader"
    )
    expect(river.note("note.part", title=TWELVE_STEP_TEXT.parts[0].title, number=1,
                      count=len(TWELVE_STEP_TEXT.parts))).to_have_count(1)  # fmt: skip
    host.post("Welcome, everyone. marker-open")
    expect_clean(river.tab, f"{lang}: a member during the opening")

    # Through the readings to the share part; two hands go up on the way and are kept.
    for index in range(1, SHARES):
        if index == SHARES - 1:
            river.button("controls.raise").click()
            sam.button("controls.raise").click()
            expect(facilitator_bar(host.tab).get_by_test_id("waiting-count")).to_have_text(
                host.words("bar.waiting", count=2)
            )
        next_part(host)
        river.expect_part(index, TWELVE_STEP_TEXT.parts[index].title)
    next_part(host)
    for person in (host, river, sam):
        person.expect_part(SHARES, TWELVE_STEP_TEXT.parts[SHARES].title)
    expect(sharer_bar(river.tab)).to_be_visible()
    expect_in_view(river.tab, sharer_bar(river.tab))
    expect_in_view(river.tab, river.button("controls.done", sharer_bar(river.tab)))
    expect(sam.page.get_by_test_id("composer-reason")).to_have_attribute("data-reason", "turn")
    late_joiner_sees_the_part_and_speaker(open_tab, room, lang, "River")
    river.post("Day thirty, one day at a time. marker-river")
    expect(sam.page.get_by_test_id("message").filter(has_text="marker-river")).to_have_count(1)
    expect_clean(river.tab, f"{lang}: the sharer's bar")
    river.button("controls.done", sharer_bar(river.tab)).click()

    # Sam's turn runs out on the node's clock.
    expect(sharer_bar(sam.tab)).to_be_visible()
    expect_in_view(sam.tab, sharer_bar(sam.tab))
    sam.post("Glad to be here. marker-sam")
    shared_clock.advance(TWELVE_STEP_TEXT.parts[SHARES].share_seconds or 180)
    expect(sharer_bar(sam.tab)).to_be_hidden()
    shared = tending.get_by_test_id("shared")
    expect(shared.get_by_test_id("turns")).to_have_count(2)
    expect(shared).to_contain_text("River")
    expect(shared).to_contain_text(pattern(host.words("tending.row.shared", count=1, time=ANY)))
    expect(tending.get_by_test_id("not-yet")).to_have_text("Kai")  # the late joiner
    expect_in_view(host.tab, facilitator_bar(host.tab))
    expect_clean(host.tab, f"{lang}: a facilitator with fairness at a glance")

    # On to the closing, which celebrates River's milestone in everyone's timeline.
    for index in range(SHARES + 1, CLOSING + 1):
        next_part(host)
        river.expect_part(index, TWELVE_STEP_TEXT.parts[index].title)
    expect(sam.note("note.milestone", name="River", count=30)).to_have_count(1)
    expect(river.note("note.milestone.mine", count=30)).to_have_count(1)
    expect(river.page.get_by_test_id("milestone-mine")).to_contain_text(
        river.words("milestone.celebrated.mine")
    )
    expect(tending.get_by_test_id("marked")).to_contain_text(host.words("tending.celebrated"))
    river.post("Thank you all. marker-closing")  # the closing lets everyone post
    expect_clean(sam.tab, f"{lang}: the closing with a celebration")

    next_part(host, "bar.end_format")
    for person in (host, river, sam):
        expect(person.note("note.format.ended")).to_have_count(1)
        expect(person.page.get_by_test_id("part-panel")).to_be_hidden()
    expect(tending.get_by_test_id("marked")).to_have_count(0)  # gone with the meeting
    expect(river.page.get_by_test_id("milestone-mine")).to_have_count(0)


def test_a_share_in_the_survivors_circle_is_folded_under_its_content_note(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    room = make_room(format="survivors-circle")
    host, river, sam = phones(open_tab, room, "en")
    shares = next(i for i, p in enumerate(SURVIVORS_CIRCLE.parts) if p.content_notes)
    next_part(host, "bar.start_format")
    for _ in range(shares):
        next_part(host)
    river.button("controls.raise").click()  # the floor is free: it is River's at once
    expect(sharer_bar(river.tab)).to_be_visible()
    reason = river.page.get_by_test_id("composer-reason")
    expect(reason).to_have_attribute("data-reason", "content_note")
    note = river.page.get_by_label(river.words("content_note.label"), exact=True)
    note.fill("family, grief")
    expect(reason).to_be_hidden()
    river.post("It has been a heavy month. marker-noted")
    river.post("Still here though. marker-noted-2")
    folded = sam.page.get_by_test_id("content-noted").filter(has_text="family, grief")
    expect(folded).to_have_count(2)
    first = folded.first
    expect(first.locator("summary")).to_contain_text(
        sam.words("messages.note", note="family, grief")
    )
    expect(first.get_by_text("marker-noted", exact=False)).to_be_hidden()
    expect_clean(sam.tab, "a share folded under its content note")
    first.locator("summary").focus()
    sam.page.keyboard.press("Enter")  # opened from the keyboard
    expect(first.get_by_text("It has been a heavy month. marker-noted")).to_be_visible()
    river.button("controls.done", sharer_bar(river.tab)).click()
    expect(note).to_be_hidden()


def test_a_round_robin_can_start_with_those_who_have_not_shared(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    room = make_room()
    host, river, sam = phones(open_tab, room, "en")
    river.button("controls.raise").click()
    open_round(host.tab, seconds=60)
    expect(sharer_bar(river.tab)).to_be_visible()
    river.button("controls.done", sharer_bar(river.tab)).click()
    tending = host.page.get_by_test_id("tending-panel")
    expect(tending.get_by_test_id("shared")).to_contain_text("River")
    expect(tending.get_by_test_id("not-yet")).to_contain_text("Sam")
    host.button("facilitator.end_round", facilitator_bar(host.tab)).click()

    panel = host.page.get_by_test_id("facilitator-panel")
    first = panel.get_by_label(host.words("facilitator.unshared_first"))
    expect(first).to_be_hidden()  # only for round-robin rounds
    panel.get_by_label(host.words("facilitator.order"), exact=True).select_option("round_robin")
    first.check()
    host.button("facilitator.open_round", panel).click()
    # Everyone present in join order would be Host, River, Sam; River has shared, so goes last.
    queue = host.page.get_by_test_id("round-panel").get_by_role("listitem")
    expect(queue).to_have_text(["Sam", "River"])
    host.button("controls.pass", sharer_bar(host.tab)).click()
    expect(sharer_bar(sam.tab)).to_be_visible()


def test_the_evening_meeting_runs_itself_and_its_first_hand_in_shares_asks_first(
    open_tab: OpenTab, make_room: MakeRoom, shared_clock: SharedClock
) -> None:
    """Shaped like the default Evening Meeting with nobody facilitating: the first hand starts
    the meeting, the parts move on the node's clock, that hand shares first; later, in the share
    part with no round running, a hand would give the floor at once, so it asks first."""
    room = make_room(format="twelve-step-text", self_led=True)
    river = Person(open_tab(**PHONE), "en")
    sam = Person(open_tab(**PHONE), "en")
    river.join(room, "River")
    sam.join(room, "Sam")
    river.button("controls.raise").click()  # no share yet: it starts the meeting
    sam.expect_part(0, TWELVE_STEP_TEXT.parts[0].title)
    before_shares = sum(p.minutes or 0 for p in TWELVE_STEP_TEXT.parts[:SHARES])
    shared_clock.advance(before_shares * 60 + 1)
    sam.expect_part(SHARES, TWELVE_STEP_TEXT.parts[SHARES].title)
    expect(sharer_bar(river.tab)).to_be_visible()
    river.button("controls.done", sharer_bar(river.tab)).click()
    expect(sam.page.get_by_test_id("round-panel")).to_be_hidden()
    sam.button("controls.raise").click()
    expect(sam.page.get_by_test_id("share-first")).to_have_text(sam.words("controls.first"))
    expect(sharer_bar(sam.tab)).to_be_hidden()
    sam.button("controls.first.confirm").click()
    expect(sharer_bar(sam.tab)).to_be_visible()
    expect_in_view(sam.tab, sharer_bar(sam.tab))
