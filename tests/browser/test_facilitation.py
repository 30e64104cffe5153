"""A facilitator's tools in real browsers: pause, extend, pass, the listening room, lock, ban,
handover and clearing the history. Shares end by moving the node's clock, never by sleeping."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

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
    ask_to_join,
    button,
    choose_member,
    composer,
    expect_message_once,
    expect_notice,
    facilitator_bar,
    facilitator_panel,
    join,
    member_actions,
    message,
    message_texts,
    open_round,
    people,
    post,
    press_twice,
    round_panel,
)
from tests.support.clock import SharedClock

pytestmark = pytest.mark.browser

OpenTab = Callable[..., Tab]
MakeRoom = Callable[..., Room]


def _timer(tab: Tab) -> object:
    return round_panel(tab).get_by_role("timer")


def _floor(tab: Tab) -> object:
    return round_panel(tab).get_by_test_id("floor")


def test_a_share_can_be_extended_paused_and_runs_out_on_the_clock(
    open_tab: OpenTab, make_room: MakeRoom, shared_clock: SharedClock
) -> None:
    """Extend adds a minute; a pause stops the countdown; the warning and the end follow the clock."""
    room = make_room()
    host, river = open_tab(room.facilitator_link()), open_tab()
    join(host, room, "Host")
    join(river, room, "River")
    button(river, "controls.raise").click()
    expect(people(host)).to_contain_text(text("people.hand", place=1))
    open_round(host, seconds=60)
    expect(_floor(river)).to_have_text(text("round.mine"))
    expect(_timer(river)).to_have_text(re.compile(r"^(0:5\d|1:00)$"))

    panel = facilitator_bar(host)
    button(panel, "bar.extend").click()  # by the chosen amount, 1 minute unless changed
    for tab in (host, river):
        expect(_timer(tab)).to_have_text(re.compile(r"^(1:5\d|2:00)$"))

    button(panel, "facilitator.pause_round").click()
    for tab in (host, river):
        expect(_floor(tab)).to_have_text(text("round.paused"))
    expect(river.page.get_by_test_id("announcer")).to_contain_text(text("announce.round.paused"))
    frozen = _timer(river).inner_text()
    shared_clock.advance(40)  # paused: the share's time does not run
    button(panel, "facilitator.resume_round").click()
    expect(_floor(river)).to_have_text(text("round.mine"))
    expect(_timer(river)).to_have_text(re.compile(r"^1:[45]\d$"))
    assert _timer(river).inner_text() <= frozen

    shared_clock.advance(90)  # into the last 30 seconds
    expect(round_panel(river)).to_contain_text(text("round.warning.mine"))
    expect(round_panel(host)).to_contain_text(text("round.warning.other", name="River"))
    expect(river.page.get_by_test_id("announcer")).to_contain_text(text("announce.warning.mine"))
    shared_clock.advance(40)  # past the end: the floor passes on by itself
    for tab in (host, river):
        expect(_floor(tab)).to_have_text(text("round.open"))
        expect(_timer(tab)).to_have_count(0)


def test_passing_gives_up_the_floor_or_a_place_in_the_queue(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    """The speaker passes and the next person gets the floor; a waiting member passes out of the queue."""
    room = make_room()
    host, river, sam, kai = open_tab(room.facilitator_link()), open_tab(), open_tab(), open_tab()
    join(host, room, "Host")
    for tab, name in ((river, "River"), (sam, "Sam"), (kai, "Kai")):
        join(tab, room, name)
        button(tab, "controls.raise").click()
    expect(people(host)).to_contain_text(text("people.hand", place=3))
    open_round(host)
    expect(_floor(river)).to_have_text(text("round.mine"))
    button(river, "controls.pass").click()
    expect(_floor(sam)).to_have_text(text("round.mine"))
    expect(_floor(river)).to_have_text(text("round.sharing", name="Sam"))
    expect(round_panel(host).get_by_role("list")).to_have_text(re.compile("Kai"))

    button(kai, "controls.pass").click()
    expect(round_panel(host).get_by_role("list")).to_have_count(0)
    expect(button(kai, "controls.raise")).to_be_visible()
    kai_row = people(host).get_by_test_id("person").filter(has_text="Kai")
    expect(kai_row).not_to_contain_text(text("people.hand", place=1))


def test_in_a_listening_room_only_facilitators_post(open_tab: OpenTab, make_room: MakeRoom) -> None:
    """Members cannot post or raise a hand, and the composer says why; turning it off reopens."""
    room = make_room()
    host, river = open_tab(room.facilitator_link()), open_tab()
    join(host, room, "Host")
    join(river, room, "River")
    toggle = button(facilitator_panel(host), "facilitator.listening_room")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(composer(river)).to_be_disabled()
    expect(river.page.get_by_test_id("composer-reason")).to_have_attribute(
        "data-reason", "listening_room"
    )
    expect(river.page.get_by_test_id("composer-reason")).to_have_text(
        text("composer.blocked.listening_room")
    )
    expect(button(river, "controls.raise")).to_be_disabled()
    post(host, "facilitators still speak marker-lr1")
    expect_message_once(river, "facilitators still speak marker-lr1")

    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(composer(river)).to_be_enabled()
    post(river, "open again marker-lr2")
    expect_message_once(host, "open again marker-lr2")


def test_a_locked_room_turns_newcomers_away_until_unlocked(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    """The join form shows the catalog's words for `room_locked`; after unlocking, they come in."""
    room = make_room()
    host = open_tab(room.facilitator_link())
    join(host, room, "Host")
    lock = button(facilitator_panel(host), "facilitator.lock")
    lock.click()
    expect(lock).to_have_attribute("aria-pressed", "true")
    expect(host.page.get_by_test_id("modlog")).to_contain_text(
        text("log.action.lock.set", by="Host")
    )

    newcomer = open_tab()
    ask_to_join(newcomer, room, "Late")
    expect(newcomer.page.get_by_test_id("join-error")).to_have_text(text("error.room_locked"))
    expect(newcomer.page.get_by_test_id("lobby")).to_be_visible()

    lock.click()
    expect(lock).to_have_attribute("aria-pressed", "false")
    join(newcomer, room, "Late")


def test_a_ban_ends_the_session_and_holds_against_rejoining(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    """The banned page shows the banned notice, forgets the session, and a new join is refused."""
    room = make_room()
    host, river = open_tab(room.facilitator_link()), open_tab()
    join(host, room, "Host")
    join(river, room, "River")
    choose_member(host, "River")
    panel = member_actions(host)
    panel.get_by_label(text("facilitator.ban_for")).select_option("3600")
    panel.get_by_label(text("facilitator.ban.reason"), exact=True).fill("marker-ban")
    press_twice(panel, "facilitator.ban", name="River")

    expect_notice(river, "banned")
    expect(river.page.get_by_test_id("conn-state")).to_have_attribute("data-state", "closed")
    stored = "k => [sessionStorage.getItem(k), localStorage.getItem(k)]"
    assert river.page.evaluate(stored, "sharecircle.session") == [None, None]
    expect(people(host)).not_to_contain_text("River")
    expect(host.page.get_by_test_id("modlog")).to_contain_text(
        text("log.action.ban", by="Host", target="River")
    )

    button(river, "notice.back").click()
    ask_to_join(river, room, "River")
    expect(river.page.get_by_test_id("join-error")).to_have_text(text("error.banned"))


def test_handing_over_moves_the_tools_and_every_badge(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    """After a handover the new facilitator has the panel, the old one not; badges follow at once,
    also on messages written before."""
    room = make_room()
    host, river, sam = open_tab(room.facilitator_link()), open_tab(), open_tab()
    join(host, room, "Host")
    join(river, room, "River")
    join(sam, room, "Sam")
    post(river, "said as a member marker-h1")
    expect_message_once(sam, "said as a member marker-h1")
    badge = message(sam, "marker-h1").get_by_test_id("facilitator-badge")
    expect(badge).to_have_count(0)

    choose_member(host, "River")
    button(member_actions(host), "facilitator.handover", name="River").click()
    expect(facilitator_panel(river)).to_be_visible()
    expect(facilitator_panel(host)).to_be_hidden()
    expect(badge).to_have_count(1)
    expect(river.page.get_by_test_id("announcer")).to_contain_text(text("announce.me.facilitator"))
    expect(host.page.get_by_test_id("announcer")).to_contain_text(text("announce.me.member"))
    river_row = people(sam).get_by_test_id("person").filter(has_text="River")
    expect(river_row).to_contain_text(text("badge.facilitator"))
    host_row = people(sam).get_by_test_id("person").filter(has_text="Host")
    expect(host_row).not_to_contain_text(text("badge.facilitator"))


def test_clearing_the_history_empties_every_page_and_the_room_goes_on(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    """room.reset (pressed twice): messages go everywhere, a note says why, new ones show once."""
    room = make_room()
    host, river = open_tab(room.facilitator_link()), open_tab()
    join(host, room, "Host")
    join(river, room, "River")
    post(river, "before the reset marker-r1")
    expect_message_once(host, "before the reset marker-r1")

    reset = facilitator_panel(host).get_by_test_id("reset-history")
    expect(reset).to_have_text(text("facilitator.reset"))
    reset.click()
    expect(reset).to_have_text(text("facilitator.reset.confirm"))
    reset.click()
    for tab in (host, river):
        expect(message_texts(tab, "before the reset marker-r1")).to_have_count(0)
        expect(tab.page.get_by_test_id("note")).to_have_text([text("note.reset")])
        expect(tab.page.get_by_test_id("history-note")).to_be_hidden()
    post(river, "after the reset marker-r2")
    post(host, "host after marker-r3")
    for tab in (host, river):
        expect_message_once(tab, "after the reset marker-r2")
        expect_message_once(tab, "host after marker-r3")
    for tab in (host, river):  # the new epoch was expected: nobody had to resync
        info = tab.page.evaluate("window.__sharecircle.info()")
        assert (info["gaps"], info["resumes"], info["reconnects"]) == (0, 0, 0)
