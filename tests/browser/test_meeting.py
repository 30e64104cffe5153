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

from tests.browser.conftest import Room, Tab
from tests.browser.steps import expect_message_once, hook, join, message_texts, post, round_panel

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
    expect(sam.page.locator("#announcer")).to_contain_text("River: first light marker-7f3a")
    for tab in (river, sam, quiet):
        expect_message_once(tab, "first light marker-7f3a")
        people = tab.page.locator("#people")
        expect(people.locator(".person-name")).to_have_count(2)
        expect(people).to_contain_text("River")
        expect(people).to_contain_text("Sam")
        expect(people).to_contain_text("1 person is listening as observers")

    composer = quiet.page.get_by_label("Message", exact=True)
    expect(composer).to_be_disabled()
    expect(quiet.page.locator("#composer-reason")).to_contain_text("observer")
    expect(quiet.page.get_by_role("button", name="Raise hand")).to_have_count(0)

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
    expect(host.page.locator("#facilitator-panel")).to_be_visible()
    join(river, room, "River")
    join(sam, room, "Sam")
    join(quiet, room, None, observer=True)
    expect(river.page.locator("#facilitator-panel")).to_be_hidden()

    river.page.get_by_role("button", name="Raise hand").click()
    expect(host.page.locator("#people")).to_contain_text("hand raised (1)")
    sam.page.get_by_role("button", name="Raise hand").click()
    expect(host.page.locator("#people")).to_contain_text("hand raised (2)")

    panel = host.page.locator("#facilitator-panel")
    panel.get_by_label("Topic (optional)").fill("What got you through today")
    panel.get_by_label("Time per share").select_option("30")
    panel.get_by_label("Order").select_option("hands")
    panel.get_by_role("button", name="Open share round").click()

    everyone = (host, river, sam, quiet)
    for tab in everyone:
        rp = round_panel(tab)
        expect(rp).to_be_visible()
        expect(rp).to_contain_text("What got you through today")
        expect(rp.locator(".queue")).to_have_text(re.compile("Sam"))
        expect(rp.get_by_role("timer")).to_have_text(re.compile(r"^0:([0-2]\d|30)$"))
    expect(round_panel(river)).to_contain_text("It's your turn to share")
    for tab in (host, sam, quiet):
        expect(round_panel(tab)).to_contain_text("River is sharing")
    expect(sam.page.get_by_label("Message", exact=True)).to_be_disabled()
    expect(sam.page.locator("#composer-reason")).to_contain_text("It's River's turn to share")

    post(river, "my share marker-5d0c")
    river.page.get_by_role("button", name="Done sharing").click()
    for tab in everyone:
        expect(round_panel(tab)).to_contain_text("Sam" if tab is not sam else "your turn")
        expect(round_panel(tab).locator(".queue")).to_have_count(0)
        expect(round_panel(tab).get_by_role("timer")).to_have_text(re.compile(r"^0:[0-3]\d$"))
        expect_message_once(tab, "my share marker-5d0c")
    expect(sam.page.get_by_label("Message", exact=True)).to_be_enabled()
    expect(river.page.get_by_label("Message", exact=True)).to_be_disabled()

    panel.get_by_role("button", name="Skip this share").click()
    for tab in everyone:
        expect(round_panel(tab)).to_contain_text("The floor is open")
    panel.get_by_role("button", name="End round").click()
    for tab in everyone:
        expect(round_panel(tab)).to_be_hidden()
    expect(sam.page.get_by_label("Message", exact=True)).to_be_enabled()


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
    expect(river.page.locator("#conn-state")).to_have_text(re.compile("Reconnecting|Offline"))
    post(sam, "while you were gone marker-b2")
    post(sam, "still gone marker-c3")
    expect(river.page.get_by_label("Message", exact=True)).to_be_enabled()  # draft stays possible

    river.context.set_offline(False)
    expect(river.page.locator("#conn-state")).to_have_text("Connected")
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
    expect(river.page.locator("#history-note")).to_be_hidden()


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
    item = sam.page.locator("#messages .msg").filter(has_text="something unkind marker-f6")
    item.get_by_role("button", name="React to River's message, or more").click()
    item.get_by_role("button", name="Heart").click()
    item.get_by_role("button", name="Report to facilitators").click()
    item.get_by_label("What's wrong?").fill("not kind")
    item.get_by_role("button", name="Send report").click()
    expect(item).to_contain_text("The facilitators have your report")
    log = host.page.locator(".modlog")
    expect(log).to_contain_text("Report from Sam about River: not kind")
    expect(log).to_contain_text("something unkind marker-f6")
    expect(river.page.locator(".modlog li")).to_have_count(0)
    expect(river.page.locator("#facilitator-panel")).to_be_hidden()
    for tab in (host, river):
        expect(tab.page.locator("#messages .msg").filter(has_text="marker-f6")).to_contain_text(
            "Heart 1"
        )
    # Pressing it again takes the reaction back, for everyone.
    item.get_by_role("button", name="Heart").click()
    for tab in (host, river):
        expect(tab.page.locator("#messages .msg").filter(has_text="marker-f6")).not_to_contain_text(
            "Heart 1"
        )
    item.get_by_role("button", name="Heart").click()
    for tab in (host, river):
        expect(tab.page.locator("#messages .msg").filter(has_text="marker-f6")).to_contain_text(
            "Heart 1"
        )

    host_item = host.page.locator("#messages .msg").filter(has_text="something unkind marker-f6")
    host_item.get_by_role("button", name="React to River's message, or more").click()
    host_item.get_by_role("button", name="Remove message").click()
    host_item.get_by_role("button", name="Remove for everyone?").click()
    for tab in (host, river, sam):
        expect(message_texts(tab, "something unkind marker-f6")).to_have_count(0)

    panel = host.page.locator("#facilitator-panel")
    host.page.get_by_role("button", name="Facilitator options for River").click()
    panel.get_by_label("Mute for").select_option("300")
    panel.get_by_role("button", name="Mute River").click()
    expect(river.page.get_by_label("Message", exact=True)).to_be_disabled()
    expect(river.page.locator("#composer-reason")).to_contain_text("paused your messages until")
    expect(log).to_contain_text("Host muted River")

    panel.get_by_label("Slow mode").select_option("30")
    panel.get_by_role("button", name="Set slow mode").click()
    expect(log).to_contain_text("Host set slow mode")
    post(sam, "slowly now marker-g7")
    expect(sam.page.locator("#composer-reason")).to_contain_text(
        re.compile(r"you can post again in \d+ s")
    )
    expect(sam.page.get_by_role("button", name="Send")).to_be_disabled()

    panel.get_by_role("button", name="Make River a co-facilitator").click()
    expect(river.page.locator("#facilitator-panel")).to_be_visible()
    expect(sam.page.locator("#people")).to_contain_text(re.compile("River.*facilitator"))

    host.page.get_by_role("button", name="Facilitator options for Sam").click()
    panel.get_by_role("button", name="Remove Sam").click()
    expect(sam.page.locator("#notice-title")).to_have_text("You've been asked to leave this room")
    expect(host.page.locator("#people")).not_to_contain_text("Sam")


def test_a_closed_room_opens_only_with_its_invite_link(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    """Without the link the lobby says so; with it the person joins, and the token leaves the URL."""
    room = make_room(access="closed")
    stranger = open_tab()
    card = stranger.page.locator(f'.room-card[data-slug="{room.slug}"]')
    expect(card).to_contain_text("Invite only")
    expect(card).to_contain_text("Needs an invite link")
    expect(card.get_by_role("button")).to_have_count(0)

    guest = open_tab(room.invite_link("member"))
    expect(guest.page.locator("#invite-note")).to_contain_text("invite link")
    join(guest, room, "Guest")
    assert "invite=" not in guest.page.url
    expect(guest.page.locator(".crisis")).to_contain_text("555 0100")


def _ask_to_join(tab: Tab, room: Room, name: str) -> None:
    page = tab.page
    expect(page.locator(f'#join-room option[value="{room.slug}"]')).to_have_count(1)
    page.locator("#join-room").select_option(room.slug)
    page.get_by_label("Display name").fill(name)
    page.locator("#join-submit").click()


def test_the_waiting_room_lets_newcomers_in_one_by_one(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    """With the waiting room on, newcomers wait seeing nothing; one is let in, one turned away."""
    room = make_room()
    host = open_tab(room.facilitator_link())
    join(host, room, "Host")
    post(host, "said before anyone waited marker-w0")
    panel = host.page.locator("#facilitator-panel")
    panel.get_by_role("button", name="Waiting room").click()
    expect(panel.get_by_role("button", name="Waiting room")).to_have_attribute(
        "aria-pressed", "true"
    )

    welcome, other = open_tab(), open_tab()
    _ask_to_join(welcome, room, "Newcomer")
    expect(welcome.page.locator("#notice-title")).to_have_text("You're in the waiting room")
    expect(welcome.page.locator("#conn-state")).to_have_text("In the waiting room")
    _ask_to_join(other, room, "Other")
    expect(host.page.locator("#announcer")).to_contain_text("is waiting to come in")

    panel.get_by_role("button", name="Let in Newcomer").click()
    expect(welcome.page.locator("#room-title")).to_have_text(room.name)
    expect(welcome.page.locator("#conn-state")).to_have_text("Connected")
    expect(welcome.page.locator("#people")).to_contain_text("Newcomer (you)")
    expect(host.page.locator("#people")).to_contain_text("Newcomer")
    expect(welcome.page.locator("#messages .msg-text")).to_have_count(0)
    post(host, "welcome in marker-w1")
    expect_message_once(welcome, "welcome in marker-w1")

    panel.get_by_role("button", name="Turn away Other").click()
    expect(other.page.locator("#notice-title")).to_have_text("You weren't let in this time")
    expect(panel.get_by_role("button", name="Turn away Other")).to_have_count(0)
    expect(host.page.locator(".modlog")).to_contain_text("Host let in Newcomer")
    expect(host.page.locator(".modlog")).to_contain_text("turned away someone waiting")


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
