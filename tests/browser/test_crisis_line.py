"""The "Talk to someone now" button and the crisis line on a 360 px phone (issue 14): in view on every
screen, whatever the room's state and however far the page and the timeline scroll, together
with the sharer's and the facilitators' pinned bars; the line is a `tel:` link; tapping the
button shows the resources at once; axe-core finds nothing on the new screens.

One node (tests/browser/conftest.py). The crisis lane across two nodes, private words and
reports are tests/browser/test_crisis_lane.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.catalog import text
from tests.browser.conftest import CRISIS_NUMBER, Room, Tab
from tests.browser.steps import (
    ask_to_join,
    button,
    choose_member,
    expect_notice,
    facilitator_bar,
    facilitator_panel,
    join,
    member_actions,
    open_round,
    post,
    sharer_bar,
)
from tests.browser.test_axe import expect_clean

pytestmark = pytest.mark.browser

OpenTab = Callable[..., Tab]
MakeRoom = Callable[..., Room]
PHONE = {"width": 360, "height": 740}
TIMELINE_MESSAGES = 20
"""Enough messages to make the 360 px page and its timeline scroll (bounded)."""
SCROLLS = (
    "window.scrollTo(0, document.body.scrollHeight)",
    "document.getElementById('messages').scrollTop = 1e6",
    "window.scrollTo(0, 0)",
    "document.getElementById('messages').scrollTop = 0",
    "window.scrollTo(0, document.body.scrollHeight / 2)",
)


def phone(open_tab: OpenTab, path: str = "/") -> Tab:
    return open_tab(path, **PHONE)


def talk_now(tab: Tab) -> Any:
    return tab.page.get_by_test_id("talk-now")


def crisis_line(tab: Tab) -> Any:
    return tab.page.get_by_test_id("crisis-line")


def inside(box: dict[str, float] | None, why: str) -> None:
    assert box is not None, why
    assert box["x"] >= 0, (why, box)
    assert box["y"] >= 0, (why, box)
    assert box["x"] + box["width"] <= PHONE["width"] + 0.5, (why, box)
    assert box["y"] + box["height"] <= PHONE["height"] + 0.5, (why, box)


def expect_all_in_view(tab: Tab, state: str, *others: Any) -> None:
    """The button, the line and every other element given are wholly inside the viewport after
    scrolling the page and the timeline to both ends, and none of them covers another."""
    wanted = [talk_now(tab), crisis_line(tab), *others]
    for locator in wanted:
        expect(locator).to_be_visible()
    for script in SCROLLS:
        tab.page.evaluate(script)
        boxes = [locator.bounding_box() for locator in wanted]
        for box in boxes:
            inside(box, f"{state}: {script}")
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert a is not None
                assert b is not None
                apart = (
                    a["y"] + a["height"] <= b["y"] + 0.5
                    or b["y"] + b["height"] <= a["y"] + 0.5
                    or a["x"] + a["width"] <= b["x"] + 0.5
                    or b["x"] + b["width"] <= a["x"] + 0.5
                )
                assert apart or _contains(a, b) or _contains(b, a), (state, a, b)


def _contains(outer: dict[str, float], inner: dict[str, float]) -> bool:
    return (
        outer["x"] <= inner["x"] + 0.5
        and outer["y"] <= inner["y"] + 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


def close_welcome(tab: Tab) -> None:
    tab.page.get_by_test_id("welcome-close").click()
    expect(tab.page.get_by_test_id("welcome")).to_be_hidden()


def test_the_line_is_a_tel_link_and_the_button_shows_the_resources_at_once(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    make_room()
    tab = phone(open_tab)
    digits = "tel:" + CRISIS_NUMBER.replace(" ", "")
    expect(crisis_line(tab)).to_have_attribute("href", digits)
    expect(crisis_line(tab)).to_contain_text(CRISIS_NUMBER)
    expect(tab.page.get_by_role("complementary", name=text("crisis.label"))).to_contain_text(
        CRISIS_NUMBER
    )
    expect_all_in_view(tab, "lobby")
    talk_now(tab).click()
    lane = tab.page.get_by_test_id("lane")
    expect(lane.get_by_role("heading", level=2)).to_be_focused()
    expect(lane.get_by_test_id("resource").get_by_role("link")).to_have_attribute("href", digits)
    # From the lobby there is nobody to ask yet, and the lane says so rather than pretend.
    expect(lane.get_by_test_id("lane-status")).to_have_text(text("lane.status.not_seated"))
    expect_all_in_view(tab, "lobby, lane open", lane.get_by_role("heading", level=2))
    expect_clean(tab, "lobby with the lane open")
    lane.get_by_test_id("lane-hide").press("Enter")
    expect(lane).to_be_hidden()
    expect(talk_now(tab)).to_be_focused()


def test_in_view_in_every_state_of_the_room_with_the_pinned_bars(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    room = make_room()
    host, river = phone(open_tab, room.facilitator_link()), phone(open_tab)
    join(host, room, "Host")
    join(river, room, "River")
    close_welcome(host)
    close_welcome(river)
    for i in range(TIMELINE_MESSAGES):
        post(host, f"a line to scroll past {i} marker-crisis")
    expect_all_in_view(river, "open floor")
    expect_all_in_view(host, "open floor, facilitator", facilitator_bar(host))

    button(river, "controls.raise").click()
    open_round(host, seconds=180)
    expect(sharer_bar(river)).to_be_visible()
    expect_all_in_view(river, "sharing", sharer_bar(river))
    expect_all_in_view(host, "round, facilitator", facilitator_bar(host))
    button(facilitator_bar(host), "facilitator.pause_round").click()
    expect_all_in_view(river, "round paused", sharer_bar(river))

    room_pause = facilitator_panel(host).get_by_role("button", name=text("facilitator.pause_room"))
    room_pause.click()
    expect(river.page.get_by_test_id("paused-banner")).to_be_visible()
    expect_all_in_view(river, "room paused")  # pausing the room moves the floor on
    expect_all_in_view(host, "room paused, facilitator", facilitator_bar(host))
    room_pause.click()
    expect(river.page.get_by_test_id("paused-banner")).to_be_hidden()
    end_round = button(facilitator_bar(host), "facilitator.end_round")
    if end_round.count():
        end_round.click()
    expect(sharer_bar(river)).to_be_hidden()

    choose_member(host, "River")
    actions = member_actions(host)
    button(actions, "facilitator.listen_only", name="River").click()
    expect(river.page.get_by_test_id("composer-reason")).to_have_attribute(
        "data-reason", "listen_only"
    )
    expect_all_in_view(river, "listen-only")
    button(actions, "facilitator.speak", name="River").click()
    button(actions, "facilitator.mute", name="River").click()
    expect(river.page.get_by_test_id("composer-reason")).to_have_attribute("data-reason", "muted")
    expect_all_in_view(river, "muted")
    expect_all_in_view(host, "a person's actions open", facilitator_bar(host))

    talk_now(river).click()
    lane = river.page.get_by_test_id("lane")
    expect(lane.get_by_test_id("lane-status")).not_to_have_text(text("lane.status.not_seated"))
    expect_all_in_view(river, "muted, lane open", lane.get_by_role("heading", level=2))
    expect_clean(river, "room with the lane open")


def test_in_view_in_the_waiting_room(open_tab: OpenTab, make_room: MakeRoom) -> None:
    room = make_room()
    host = phone(open_tab, room.facilitator_link())
    join(host, room, "Host")
    close_welcome(host)
    waiting_room = button(facilitator_panel(host), "facilitator.waiting_room")
    waiting_room.click()
    expect(waiting_room).to_have_attribute("aria-pressed", "true")
    newcomer = phone(open_tab)
    ask_to_join(newcomer, room, "Newcomer")
    expect_notice(newcomer, "waiting")
    expect(newcomer.page.get_by_test_id("notice")).to_contain_text(text("notice.crisis"))
    expect_all_in_view(newcomer, "waiting room")
    talk_now(newcomer).click()
    lane = newcomer.page.get_by_test_id("lane")
    expect(lane.get_by_test_id("lane-status")).to_have_text(text("lane.status.not_seated"))
    expect_all_in_view(newcomer, "waiting room, lane open", lane.get_by_role("heading", level=2))


def test_on_a_wide_screen_the_lane_is_a_panel_beside_the_room(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    room = make_room(self_led=True)
    tab = open_tab(width=1280, height=800)
    join(tab, room, "River")
    close_welcome(tab)
    talk_now(tab).click()
    lane = tab.page.get_by_test_id("lane")
    expect(lane.get_by_role("heading", level=2)).to_be_focused()
    box = lane.bounding_box()
    assert box is not None
    assert box["width"] < 1280 / 2  # beside the room, not over all of it
    line = crisis_line(tab).bounding_box()
    assert line is not None
    assert box["y"] + box["height"] <= line["y"]  # never over the crisis line
    expect_clean(tab, "wide room with the lane open")
