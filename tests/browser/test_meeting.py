"""A meeting in real browsers: members, an observer, a facilitator's share round, a dropped
network, and moderation, each page a separate person."""

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
    expect_connected,
    expect_message_once,
    expect_notice,
    facilitator_bar,
    facilitator_panel,
    hook,
    join,
    member_actions,
    message,
    message_texts,
    people,
    post,
    press_twice,
    round_panel,
)

pytestmark = pytest.mark.browser

OpenTab = Callable[..., Tab]
MakeRoom = Callable[..., Room]


def test_two_members_and_an_observer_see_the_same_room(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    """Messages reach everyone; the observer is counted, cannot post, and the server agrees."""
    room = make_room()
    river, sam, quiet = open_tab(), open_tab(), open_tab()
    join(river, room, "River")
    join(sam, room, "Sam")
    join(quiet, room, None, observer=True)

    post(river, "first light marker-7f3a")
    expect(sam.page.get_by_test_id("announcer")).to_contain_text(
        text("announce.message", name="River", text="first light marker-7f3a")
    )
    for tab in (river, sam, quiet):
        expect_message_once(tab, "first light marker-7f3a")
        here = people(tab)
        expect(here.get_by_test_id("person")).to_have_count(2)
        expect(here).to_contain_text("River")
        expect(here).to_contain_text("Sam")
        expect(here.get_by_test_id("observer-count")).to_have_attribute("data-count", "1")

    expect(composer(quiet)).to_be_disabled()
    expect(quiet.page.get_by_test_id("composer-reason")).to_have_attribute(
        "data-reason", "observer"
    )
    expect(button(quiet, "controls.raise")).to_have_count(0)

    # The heartbeat runs. (Polled from Python: Playwright's wait_for_function compiles its
    # predicate with eval, which the page's Content-Security-Policy rightly forbids.)
    for _ in range(100):
        if quiet.page.evaluate("window.__sharecircle.info().pongs") >= 1:
            break
        quiet.page.wait_for_timeout(100)
    assert quiet.page.evaluate("window.__sharecircle.info().pongs") >= 1
    reply = hook(
        quiet, "window.__sharecircle.send({type: 'post', id: 'sneak-1', text: 'sneaky-9c1e'})"
    )
    assert reply["type"] == "error"
    assert reply["code"] == "observer"
    post(sam, "after the sneak marker-2b7d")
    for tab in (river, sam, quiet):
        expect_message_once(tab, "after the sneak marker-2b7d")
        expect(message_texts(tab, "sneaky-9c1e")).to_have_count(0)


def test_a_facilitator_runs_a_round_everyone_sees(open_tab: OpenTab, make_room: MakeRoom) -> None:
    """Topic, floor, queue and countdown show on every page; the floor passes when a share ends."""
    room = make_room()
    host = open_tab(room.facilitator_link())
    river, sam, quiet = open_tab(), open_tab(), open_tab()
    join(host, room, "Host")
    expect(facilitator_panel(host)).to_be_visible()
    join(river, room, "River")
    join(sam, room, "Sam")
    join(quiet, room, None, observer=True)
    expect(facilitator_panel(river)).to_be_hidden()

    river.page.get_by_role("button", name=text("controls.raise")).click()
    expect(people(host)).to_contain_text(text("people.hand", place=1))
    sam.page.get_by_role("button", name=text("controls.raise")).click()
    expect(people(host)).to_contain_text(text("people.hand", place=2))

    panel = facilitator_panel(host)
    panel.get_by_label(text("facilitator.topic")).fill("What got you through today")
    panel.get_by_label(text("facilitator.share_time")).select_option("30")
    panel.get_by_label(text("facilitator.order"), exact=True).select_option("hands")
    panel.get_by_role("button", name=text("facilitator.open_round")).click()

    everyone = (host, river, sam, quiet)
    for tab in everyone:
        rp = round_panel(tab)
        expect(rp).to_be_visible()
        expect(rp).to_contain_text("What got you through today")
        expect(rp.get_by_role("list")).to_have_text(re.compile("Sam"))
        expect(rp.get_by_role("timer")).to_have_text(re.compile(r"^0:([0-2]\d|30)$"))
    expect(round_panel(river)).to_contain_text(text("round.mine"))
    for tab in (host, sam, quiet):
        expect(round_panel(tab)).to_contain_text(text("round.sharing", name="River"))
    expect(composer(sam)).to_be_disabled()
    expect(sam.page.get_by_test_id("composer-reason")).to_contain_text(
        text("composer.blocked.turn.queued", name="River", place=1)
    )

    post(river, "my share marker-5d0c")
    river.page.get_by_role("button", name=text("controls.done")).click()
    for tab in everyone:
        expect(round_panel(tab)).to_contain_text(
            text("round.sharing", name="Sam") if tab is not sam else text("round.mine")
        )
        expect(round_panel(tab).get_by_role("list")).to_have_count(0)
        expect(round_panel(tab).get_by_role("timer")).to_have_text(re.compile(r"^0:[0-3]\d$"))
        expect_message_once(tab, "my share marker-5d0c")
    expect(composer(sam)).to_be_enabled()
    expect(composer(river)).to_be_disabled()

    bar = facilitator_bar(host)
    bar.get_by_role("button", name=text("facilitator.skip"), exact=True).click()
    for tab in everyone:
        expect(round_panel(tab)).to_contain_text(text("round.open"))
    bar.get_by_role("button", name=text("facilitator.end_round")).click()
    for tab in everyone:
        expect(round_panel(tab)).to_be_hidden()
    expect(composer(sam)).to_be_enabled()


def test_a_dropped_page_catches_up_on_what_it_missed_exactly_once(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    """The socket dies while offline; on reconnect the page resumes and shows each miss once."""
    room = make_room()
    river, sam = open_tab(), open_tab()
    join(river, room, "River")
    join(sam, room, "Sam")
    post(sam, "before the drop marker-a1")
    expect_message_once(river, "before the drop marker-a1")

    river.context.set_offline(True)
    hook(river, "window.__sharecircle.drop()")
    expect(river.page.get_by_test_id("conn-state")).to_have_attribute(
        "data-state", re.compile("reconnecting|offline")
    )
    post(sam, "while you were gone marker-b2")
    post(sam, "still gone marker-c3")
    expect(composer(river)).to_be_enabled()  # draft stays possible

    river.context.set_offline(False)
    expect_connected(river)
    for marker in (
        "before the drop marker-a1",
        "while you were gone marker-b2",
        "still gone marker-c3",
    ):
        expect_message_once(river, marker)
    info = hook(river, "window.__sharecircle.info()")
    assert info["lastResume"]["recovered"] is True
    assert info["lastResume"]["missed"] >= 2
    post(sam, "live again marker-d4")
    expect_message_once(river, "live again marker-d4")
    post(river, "river is back marker-e5")
    expect_message_once(sam, "river is back marker-e5")
    for marker in (
        "before the drop marker-a1",
        "while you were gone marker-b2",
        "still gone marker-c3",
    ):
        expect_message_once(river, marker)
    expect(river.page.get_by_test_id("history-note")).to_be_hidden()


def test_facilitator_moderation_reaches_the_right_people(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    """A report reaches the facilitator's log; a removed message disappears; a mute explains itself."""
    room = make_room()
    host = open_tab(room.facilitator_link())
    river, sam = open_tab(), open_tab()
    join(host, room, "Host")
    join(river, room, "River")
    join(sam, room, "Sam")

    post(river, "something unkind marker-f6")
    expect_message_once(sam, "something unkind marker-f6")
    item = message(sam, "something unkind marker-f6")
    item.get_by_role("button", name=text("messages.menu.label", name="River")).click()
    item.get_by_role("button", name=text("reaction.heart")).click()
    item.get_by_role("button", name=text("report.open")).click()
    item.get_by_label(text("report.reason")).fill("not kind")
    item.get_by_role("button", name=text("report.send")).click()
    expect(item).to_contain_text(text("report.thanks"))
    log = host.page.get_by_test_id("modlog")
    expect(log).to_contain_text(
        text("log.report.reason", about="River", reason="not kind", **{"from": "Sam"})
    )
    expect(log).to_contain_text("something unkind marker-f6")
    expect(river.page.get_by_test_id("modlog").get_by_role("listitem")).to_have_count(0)
    expect(facilitator_panel(river)).to_be_hidden()
    for tab in (host, river):
        expect(message(tab, "marker-f6")).to_contain_text(
            text("reaction.count", reaction=text("reaction.heart"), count=1)
        )
    # Pressing it again takes the reaction back, for everyone.
    item.get_by_role("button", name=text("reaction.heart")).click()
    for tab in (host, river):
        expect(message(tab, "marker-f6")).not_to_contain_text(
            text("reaction.count", reaction=text("reaction.heart"), count=1)
        )
    item.get_by_role("button", name=text("reaction.heart")).click()
    for tab in (host, river):
        expect(message(tab, "marker-f6")).to_contain_text(
            text("reaction.count", reaction=text("reaction.heart"), count=1)
        )

    host_item = message(host, "something unkind marker-f6")
    host_item.get_by_role("button", name=text("messages.menu.label", name="River")).click()
    host_item.get_by_role("button", name=text("messages.remove")).click()
    host_item.get_by_role("button", name=text("messages.remove.confirm")).click()
    for tab in (host, river, sam):
        expect(message_texts(tab, "something unkind marker-f6")).to_have_count(0)

    panel = facilitator_panel(host)
    choose_member(host, "River")
    actions = member_actions(host)
    actions.get_by_label(text("facilitator.mute_for")).select_option("300")
    actions.get_by_role("button", name=text("facilitator.mute", name="River")).click()
    expect(composer(river)).to_be_disabled()
    expect(river.page.get_by_test_id("composer-reason")).to_have_attribute("data-reason", "muted")
    expect(log).to_contain_text(text("log.action.mute", by="Host", target="River"))

    panel.get_by_label(text("facilitator.slow")).select_option("30")
    panel.get_by_role("button", name=text("facilitator.slow.set")).click()
    expect(log).to_contain_text(text("log.action.slow.set", by="Host"))
    post(sam, "slowly now marker-g7")
    reason = sam.page.get_by_test_id("composer-reason")
    expect(reason).to_have_attribute("data-reason", "slow")
    expect(reason).to_have_text(re.compile(r"\d+"))
    expect(sam.page.get_by_role("button", name=text("composer.send"))).to_be_disabled()

    actions.get_by_role("button", name=text("facilitator.cofacilitator", name="River")).click()
    expect(facilitator_panel(river)).to_be_visible()
    expect(people(sam)).to_contain_text(re.compile("River.*" + text("badge.facilitator")))

    choose_member(host, "Sam")
    press_twice(actions, "facilitator.remove", name="Sam")
    expect_notice(sam, "removed")
    expect(people(host)).not_to_contain_text("Sam")


def test_a_closed_room_opens_only_with_its_invite_link(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    """Without the link the lobby says so; with it the person joins, and the token leaves the URL."""
    room = make_room(access="closed")
    stranger = open_tab()
    card = stranger.page.get_by_test_id("room-card").filter(has_text=room.name)
    expect(card).to_contain_text(text("lobby.invite_only"))
    expect(card).to_contain_text(text("lobby.needs_invite"))
    expect(card.get_by_role("button")).to_have_count(0)

    guest = open_tab(room.invite_link("member"))
    expect(guest.page.get_by_test_id("invite-note")).to_have_text(text("lobby.invite.member"))
    join(guest, room, "Guest")
    assert "invite=" not in guest.page.url
    expect(guest.page.get_by_role("complementary", name=text("crisis.label"))).to_contain_text(
        "555 0100"
    )
    kept = "() => JSON.parse(sessionStorage.getItem('sharecircle.invite') || '{}').invite || null"
    assert guest.page.evaluate(kept)
    button(guest, "page.leave").click()  # leaving forgets the invite token with the session
    expect(guest.page.get_by_test_id("lobby")).to_be_visible()
    assert guest.page.evaluate(kept) is None


def test_the_waiting_room_lets_newcomers_in_one_by_one(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    """With the waiting room on, newcomers wait seeing nothing; one is let in, one turned away."""
    room = make_room()
    host = open_tab(room.facilitator_link())
    join(host, room, "Host")
    post(host, "said before anyone waited marker-w0")
    panel = facilitator_panel(host)
    button(panel, "facilitator.waiting_room").click()
    expect(button(panel, "facilitator.waiting_room")).to_have_attribute("aria-pressed", "true")

    welcome, other = open_tab(), open_tab()
    ask_to_join(welcome, room, "Newcomer")
    expect_notice(welcome, "waiting")
    expect(welcome.page.get_by_test_id("conn-state")).to_have_attribute("data-state", "waiting")
    ask_to_join(other, room, "Other")
    expect(host.page.get_by_test_id("announcer")).to_contain_text(
        text("announce.waiting", name="Newcomer")
    )

    button(panel, "facilitator.admit.label", name="Newcomer").click()
    expect(welcome.page.get_by_role("heading", level=1, name=room.name)).to_be_visible()
    expect_connected(welcome)
    expect(people(welcome)).to_contain_text(text("people.you", name="Newcomer"))
    expect(people(host)).to_contain_text("Newcomer")
    expect(welcome.page.get_by_test_id("message")).to_have_count(0)
    post(host, "welcome in marker-w1")
    expect_message_once(welcome, "welcome in marker-w1")

    button(panel, "facilitator.deny.label", name="Other").click()
    expect_notice(other, "not_admitted")
    expect(button(panel, "facilitator.deny.label", name="Other")).to_have_count(0)
    expect(host.page.get_by_test_id("modlog")).to_contain_text(
        text("log.action.lobby.admit", by="Host", target="Newcomer")
    )
    expect(host.page.get_by_test_id("modlog")).to_contain_text(
        text("log.action.lobby.deny", by="Host")
    )


def test_the_reconnect_policy_follows_the_close_codes(open_tab: OpenTab) -> None:
    """Backoff with full jitter from 0.5 s to a 30 s cap; 1012: 1-5 s; 1013: 30 s+; 4500+: never."""
    tab = open_tab()
    result = tab.page.evaluate(
        """async () => {
          const c = await import("/protocol/index.js");
          const low = () => 0, high = () => 0.999999;
          return {
            first: [c.backoffDelay(0, low), c.backoffDelay(0, high)],
            capped: c.backoffDelay(30, high),
            drain: [c.closePolicy(1012, 5, low).delay, c.closePolicy(1012, 5, high).delay],
            full: c.closePolicy(1013, 0, low).delay,
            lost: c.closePolicy(1006, 3, high).delay,
            removed: c.closePolicy(4500, 0).terminal,
            banned: c.closePolicy(4501, 0).terminal,
            invalid: c.closePolicy(4502, 0).terminal,
            slow: c.closePolicy(4008, 0, high).terminal ?? null,
          };
        }"""
    )
    assert result["first"][0] == 0
    assert 499 < result["first"][1] <= 500
    assert 29_999 < result["capped"] <= 30_000
    assert result["drain"][0] == 1000
    assert 4999 < result["drain"][1] <= 5000
    assert result["full"] >= 30_000
    assert 3999 < result["lost"] <= 4000
    assert (result["removed"], result["banned"], result["invalid"]) == (
        "removed",
        "banned",
        "session_invalid",
    )
    assert result["slow"] is None


def test_the_stream_position_drops_repeats_and_notices_holes(open_tab: OpenTab) -> None:
    """seq <= last seen is a duplicate; a skipped seq is a gap; only room.reset may change epoch."""
    tab = open_tab()
    verdicts = tab.page.evaluate(
        """async () => {
          const { StreamPosition } = await import("/protocol/index.js");
          const p = new StreamPosition();
          p.reset("e1");
          const ev = (seq, epoch = "e1", event = "chat.message") => ({ seq, epoch, event });
          const out = [];
          const feed = (frame) => {
            const v = p.check(frame);
            out.push(v);
            if (v === "new") p.accept(frame);
          };
          feed(ev(5));            // the first event after a snapshot is the base
          feed(ev(6));
          feed(ev(6));            // a replay overlapping what we saw
          feed(ev(4));
          feed(ev(8));            // 7 is missing
          feed(ev(7, "e2"));      // a new epoch nobody announced
          feed(ev(7, "e1", "room.reset"));
          feed(ev(8, "e2"));      // the announced new epoch
          return out;
        }"""
    )
    assert verdicts == ["new", "new", "duplicate", "duplicate", "gap", "epoch", "new", "new"]
