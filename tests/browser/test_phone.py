"""The meeting screen on a 360 px phone: the sharer's and the facilitators' bars stay pinned in
view whatever the state and however far the timeline scrolls; Remove asks twice; a late joiner
sees the welcome card with the right part and speaker; a paused room says so and nothing else;
a skipped member gets a gentle note; disabled controls say why; the first hand in a self-led
room asks before it starts a share.

The card's part line is checked here for a room without a format (open, or a round running);
test_whole_meeting.py checks it, with the speaker, for a late joiner during a format's shares."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.catalog import text
from tests.browser.conftest import Room, Tab
from tests.browser.steps import (
    button,
    choose_member,
    composer,
    facilitator_bar,
    join,
    member_actions,
    open_round,
    people,
    post,
    round_panel,
    sharer_bar,
)
from tests.support.clock import SharedClock

pytestmark = pytest.mark.browser

OpenTab = Callable[..., Tab]
MakeRoom = Callable[..., Room]
PHONE = {"width": 360, "height": 740}
TIMELINE_MESSAGES = 24
"""Enough messages to make the 360 px page and its timeline scroll (bounded)."""


def phone(open_tab: OpenTab, path: str = "/") -> Tab:
    return open_tab(path, **PHONE)


def close_welcome(tab: Tab) -> None:
    tab.page.get_by_test_id("welcome-close").click()
    expect(tab.page.get_by_test_id("welcome")).to_be_hidden()


def expect_in_view(tab: Tab, locator: Any) -> None:
    """The whole element is inside the viewport: after scrolling the page and the timeline to
    both ends, its bounding box never leaves the screen."""
    page = tab.page
    expect(locator).to_be_visible()
    for script in (
        "window.scrollTo(0, document.body.scrollHeight)",
        "document.getElementById('messages').scrollTop = 1e6",
        "window.scrollTo(0, 0)",
        "document.getElementById('messages').scrollTop = 0",
        "window.scrollTo(0, document.body.scrollHeight / 2)",
    ):
        page.evaluate(script)
        box = locator.bounding_box()
        assert box is not None
        assert box["x"] >= 0, (script, box)
        assert box["y"] >= 0, (script, box)
        assert box["x"] + box["width"] <= PHONE["width"] + 0.5, (script, box)
        assert box["y"] + box["height"] <= PHONE["height"] + 0.5, (script, box)


def fill_timeline(tab: Tab) -> None:
    for i in range(TIMELINE_MESSAGES):
        post(tab, f"a line to scroll past {i} marker-scroll")
    assert tab.page.evaluate("document.body.scrollHeight > window.innerHeight")


def test_pinned_bars_stay_in_view_in_every_state(
    open_tab: OpenTab, make_room: MakeRoom, shared_clock: SharedClock
) -> None:
    room = make_room()
    host, river, sam = phone(open_tab, room.facilitator_link()), phone(open_tab), phone(open_tab)
    join(host, room, "Host")
    join(river, room, "River")
    join(sam, room, "Sam")
    for tab in (host, river, sam):
        close_welcome(tab)
    fill_timeline(host)
    bar = facilitator_bar(host)
    expect_in_view(host, bar)  # no round yet: the bar says nobody is sharing, Extend says why not
    expect(host.page.get_by_test_id("bar-why")).to_have_text(text("bar.why.no_floor"))
    expect(bar.get_by_role("button", name=text("bar.extend"), exact=True)).to_be_disabled()
    expect(sharer_bar(river)).to_be_hidden()

    button(river, "controls.raise").click()
    button(sam, "controls.raise").click()
    expect(people(host)).to_contain_text(text("people.hand", place=2))
    open_round(host, seconds=60)
    expect(sharer_bar(river)).to_be_visible()
    expect(bar.get_by_test_id("waiting-count")).to_have_text(text("bar.waiting", count=1))
    for state in ("sharing", "paused", "warning"):
        if state == "paused":
            button(bar, "facilitator.pause_round").click()
            expect(sharer_bar(river).get_by_test_id("sharer-clock")).to_have_text(
                text("bar.paused")
            )
        if state == "warning":
            button(bar, "facilitator.resume_round").click()
            # The resume must have reached the server before the clock moves, or the server
            # resumes a share whose time already ran on (never move the clock under a command
            # still in flight).
            expect(sharer_bar(river).get_by_test_id("sharer-clock")).not_to_have_text(
                text("bar.paused")
            )
            shared_clock.advance(40)
            expect(round_panel(river)).to_contain_text(text("round.warning.mine"))
        expect_in_view(river, sharer_bar(river))
        expect_in_view(river, button(sharer_bar(river), "controls.done"))
        expect_in_view(river, button(sharer_bar(river), "controls.pass"))
        expect_in_view(host, bar)
        expect_in_view(host, bar.get_by_role("button", name=text("facilitator.skip"), exact=True))
    expect(sharer_bar(river).get_by_test_id("sharer-clock")).to_have_text(
        re.compile(r"^0:[0-2]\d$")
    )

    button(sharer_bar(river), "controls.done").click()
    expect(sharer_bar(river)).to_be_hidden()
    expect(sharer_bar(sam)).to_be_visible()
    expect_in_view(sam, sharer_bar(sam))
    expect(
        river.page.get_by_test_id("note").filter(has_text=text("note.floor.other", name="Sam"))
    ).to_have_count(1)


def test_a_facilitator_who_shares_sees_both_bars_in_view(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    room = make_room()
    host = phone(open_tab, room.facilitator_link())
    join(host, room, "Host")
    close_welcome(host)
    fill_timeline(host)
    button(host, "controls.raise").click()
    open_round(host, seconds=120)
    expect_in_view(host, sharer_bar(host))
    expect_in_view(host, facilitator_bar(host))


def test_remove_asks_twice(open_tab: OpenTab, make_room: MakeRoom) -> None:
    room = make_room()
    host, sam = phone(open_tab, room.facilitator_link()), phone(open_tab)
    join(host, room, "Host")
    join(sam, room, "Sam")
    close_welcome(host)
    choose_member(host, "Sam")
    actions = member_actions(host)
    expect(actions).to_be_visible()
    button(actions, "facilitator.remove", name="Sam").click()
    confirm = button(actions, "facilitator.remove.confirm", name="Sam")
    expect(confirm).to_be_visible()
    expect(people(host)).to_contain_text("Sam")  # the first press only asks
    expect(sam.page.get_by_test_id("room")).to_be_visible()
    confirm.click()
    expect(sam.page.get_by_test_id("notice")).to_have_attribute("data-kind", "removed")
    expect(people(host)).not_to_contain_text("Sam")


def test_a_late_joiner_sees_the_welcome_card_with_the_part_and_speaker(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    room = make_room()
    host, river = phone(open_tab, room.facilitator_link()), phone(open_tab)
    join(host, room, "Host")
    join(river, room, "River")
    card = river.page.get_by_test_id("welcome")
    expect(card.get_by_test_id("welcome-part")).to_have_text(text("welcome.part.none"))
    expect(card.get_by_test_id("welcome-speaker")).to_have_text(text("welcome.speaker.none"))
    for rule in ("crosstalk", "pass", "confidential", "kept"):
        expect(card).to_contain_text(text(f"welcome.rule.{rule}"))
    close_welcome(river)
    button(river, "controls.raise").click()
    open_round(host, seconds=180)
    expect(sharer_bar(river)).to_be_visible()

    late = phone(open_tab)
    join(late, room, "Kai")
    card = late.page.get_by_test_id("welcome")
    expect(card).to_be_visible()
    expect(card.get_by_role("heading", level=2)).to_have_text(text("welcome.title", room=room.name))
    expect(card.get_by_test_id("welcome-part")).to_have_text(text("welcome.part.round"))
    speaker = card.get_by_test_id("welcome-speaker")
    expect(speaker).to_contain_text("River")
    expect(speaker).to_have_text(re.compile(r"River.*\d"))
    expect(card).to_contain_text(text("welcome.how.hand"))
    close_welcome(late)
    late.page.get_by_test_id("welcome-open").click()  # "How this room works" brings it back
    expect(card).to_be_visible()
    expect(card.get_by_role("heading", level=2)).to_be_focused()


def test_paused_room_banner_skipped_note_and_reasons_for_disabled_controls(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    room = make_room()
    host, river = phone(open_tab, room.facilitator_link()), phone(open_tab)
    join(host, room, "Host")
    join(river, room, "River")
    close_welcome(river)
    close_welcome(host)
    button(river, "controls.raise").click()
    open_round(host, seconds=180)
    expect(sharer_bar(river)).to_be_visible()
    button(facilitator_bar(host), "facilitator.skip").click()
    expect(
        river.page.get_by_test_id("note").filter(has_text=text("note.skipped.mine"))
    ).to_have_count(1)

    host.page.get_by_test_id("facilitator-panel").get_by_role(
        "button", name=text("facilitator.pause_room")
    ).click()
    expect(river.page.get_by_test_id("paused-banner")).to_have_text(text("banner.paused"))
    expect(round_panel(river)).not_to_contain_text(text("round.open"))
    expect(composer(river)).to_be_disabled()
    expect(river.page.get_by_test_id("composer-reason")).to_have_attribute(
        "data-reason", "room_paused"
    )
    host.page.get_by_test_id("facilitator-panel").get_by_role(
        "button", name=text("facilitator.pause_room")
    ).click()
    expect(river.page.get_by_test_id("paused-banner")).to_be_hidden()

    host.page.get_by_test_id("facilitator-bar").get_by_role(
        "button", name=text("facilitator.end_round")
    ).click()
    choose_member(host, "River")
    button(member_actions(host), "facilitator.mute", name="River").click()
    raise_hand = button(river, "controls.raise")
    expect(raise_hand).to_be_disabled()
    expect(river.page.get_by_test_id("hand-why")).to_contain_text(
        re.compile(re.escape(text("controls.why.muted", time="TIME")).replace("TIME", ".+"))
    )


def test_the_first_hand_in_a_self_led_room_asks_first_and_the_chosen_alert_fires(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    room = make_room(self_led=True)
    river = phone(open_tab)
    join(river, room, "River")
    close_welcome(river)
    button(river, "controls.raise").click()
    expect(river.page.get_by_test_id("share-first")).to_have_text(text("controls.first"))
    expect(sharer_bar(river)).to_be_hidden()  # nothing started yet
    button(river, "action.cancel").click()
    expect(river.page.get_by_test_id("share-first")).to_have_count(0)
    river.page.get_by_test_id("alerts").click()  # open the disclosure
    river.page.get_by_label(text("alerts.title_flash")).check()
    button(river, "controls.raise").click()
    button(river, "controls.first.confirm").click()
    expect(sharer_bar(river)).to_be_visible()
    expect_in_view(river, sharer_bar(river))
    # The opted-in turn alert: the tab's title says the floor is mine.
    expect(river.page).to_have_title(re.compile("^" + re.escape(text("alert.floor"))))
