"""The crisis lane, private words and report notes end to end on two nodes (issue 14).

Two real nodes on a throwaway Redis of this module's own (and one shared SQLite store). Members
use Chromium at 360 px; the on-call staff member is on the other node, in the browser's staff
console (/staff) in one test and over a raw WebSocket on the staff channel in the others
(docs/protocol.md §3.7), as any staff client could. Checked: the member sees
the resources at once and an honest status; the staff member takes the request on the other
node; they exchange private messages; a third member of the room gets none of it (no frame, no
state, no text on the page); a facilitator's private word; "I'm OK for now"; where a report
went; the directory's badges; the crisis line and the button stay in view with a conversation
open; axe-core finds nothing on the new screens."""

from __future__ import annotations

import contextlib
import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests.browser.catalog import text
from tests.browser.conftest import CRISIS_NUMBER, TIMEOUT_MS, Room, Tab, admin_post
from tests.browser.steps import button, choose_member, join, member_actions, post
from tests.browser.test_axe import expect_clean
from tests.browser.test_crisis_line import PHONE, crisis_line, expect_all_in_view, talk_now
from tests.support.clock import SharedClock
from tests.support.nodes import NodeProcess
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.browser

OpenOn = Callable[..., Tab]
MakeRaw = Callable[..., "Raw"]
WAIT_S = TIMEOUT_MS / 1000
STAFF_SECRET = "a long enough passphrase for the tests"
_rooms = itertools.count(1)
_ids = itertools.count(1)


# -- two nodes, one Redis ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def nodes() -> Iterator[tuple[NodeProcess, NodeProcess]]:
    """Two nodes on this module's own Redis, one store, one clock."""
    clock = SharedClock()
    with RedisServer.launch(tcp=True) as redis:
        started = [
            NodeProcess(
                redis.url,
                grace_seconds=5,
                heartbeat_ms=1000,
                crisis_line_number=CRISIS_NUMBER,
                test_clock_file=str(clock.path),
                ban_network_marks="false",
            )
            for _ in range(2)
        ]
        try:
            for node in started:
                node.start(timeout=40)
            yield started[0], started[1]
        finally:
            for node in started:
                node.close()
            clock.close()


@pytest.fixture
def open_on(browser: Any) -> Iterator[OpenOn]:
    """Opens the client on a given node in a fresh context (a separate person) at 360 px."""
    tabs: list[Tab] = []

    def open_(node: NodeProcess, path: str = "/", **size: int) -> Tab:
        context = browser.new_context(
            viewport=size or PHONE, color_scheme="dark", reduced_motion="reduce", locale="en-US"
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script("window.__SHARECIRCLE_TEST__ = true;")
        page = context.new_page()
        tab = Tab(page, context)
        page.on("pageerror", lambda exc: tab.errors.append(str(exc)))
        page.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
        page.goto(node.http + path, wait_until="domcontentloaded")
        tabs.append(tab)
        return tab

    yield open_
    for tab in tabs:
        tab.context.close()
    errors = [e for tab in tabs for e in tab.errors if "WebSocket connection to" not in e]
    assert errors == [], f"the page reported errors: {errors}"


def make_room(node: NodeProcess, **fields: Any) -> Room:
    n = next(_rooms)
    body = {"slug": f"lane-room-{n}", "name": f"Lane Room {n}", **fields}
    admin_post(node, "/api/admin/rooms", body)
    return Room(body["slug"], body["name"], node)


def staff_token(node: NodeProcess, name: str) -> str:
    """A staff account (made once) and a fresh sign-in token for it."""
    try:
        admin_post(
            node, "/api/admin/staff", {"name": name, "passphrase": STAFF_SECRET, "admin": True}
        )
    except urllib.error.HTTPError as exc:
        if exc.code != 409:  # made by an earlier test
            raise
    request = urllib.request.Request(  # noqa: S310 - loopback URL built by the test
        node.http + "/api/staff/session",
        data=json.dumps({"name": name, "secret": STAFF_SECRET}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return str(json.loads(response.read())["token"])


# -- a raw protocol client -----------------------------------------------------------------------


class Raw:
    """A WebSocket speaking docs/protocol.md as any client could; every frame it gets is kept."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self.on_call = False
        json.loads(self.ws.recv(timeout=WAIT_S))  # hello

    def do(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Send a command; its ack (an error raises)."""
        cid = next(_ids)
        self.ws.send(json.dumps({"type": kind, "id": cid, **fields}))
        reply = self.wait(lambda f: f.get("id") == cid and f["type"] in ("ack", "error"))
        if reply["type"] == "error":
            raise AssertionError(f"{kind} refused: {reply}")
        return reply

    def wait(self, matches: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first frame (kept or new) that matches, within the tests' bound."""
        deadline = time.monotonic() + WAIT_S
        for kept in self.frames:
            if matches(kept):
                self.frames.remove(kept)
                return kept
        while (left := deadline - time.monotonic()) > 0:
            frame: dict[str, Any] = json.loads(self.ws.recv(timeout=left))
            if matches(frame):
                return frame
            self.frames.append(frame)
        raise AssertionError("no such frame in time")


@pytest.fixture
def raw() -> Iterator[MakeRaw]:
    """Raw clients for one test; staff put on call are taken off again at the end, so the next
    test on these nodes starts with nobody on call."""
    made: list[Raw] = []
    with contextlib.ExitStack() as stack:

        def make(node: NodeProcess, network: str | None = None) -> Raw:
            # `network`: the address a loopback proxy would name, so joins come from many places.
            headers = {"X-Forwarded-For": network} if network else None
            protocols = [Subprotocol("sharecircle.v1.json")]
            opened = connect(node.url, subprotocols=protocols, additional_headers=headers)
            made.append(Raw(stack.enter_context(opened)))
            return made[-1]

        yield make
        for client in made:
            if client.on_call:
                client.do("oncall.set", on=False)


def on_call_staff(raw: MakeRaw, node: NodeProcess, name: str) -> Raw:
    """A staff member watching the staff channel on `node`, marked on call."""
    staff = raw(node)
    staff.do("staff.watch", staff=staff_token(node, name))
    staff.do("oncall.set", on=True)
    staff.on_call = True
    return staff


def take_crisis(staff: Raw, room: Room) -> str:
    """Take the room's open crisis alert; the conversation's id from `conversation.opened`."""
    alert = staff.wait(
        lambda f: (
            f.get("event") == "alert"
            and f["alert"]["kind"] == "crisis"
            and f["alert"]["room"] == room.slug
            and f["alert"]["status"] == "open"
        )
    )["alert"]
    staff.do("alert.take", alert=alert["id"])
    opened = staff.wait(lambda f: f.get("event") == "conversation.opened")
    assert opened["kind"] == "crisis"
    return str(opened["conversation"])


def lane(tab: Tab) -> Any:
    return tab.page.get_by_test_id("lane")


def close_welcome(tab: Tab) -> None:
    tab.page.get_by_test_id("welcome-close").click()
    expect(tab.page.get_by_test_id("welcome")).to_be_hidden()


def conversations_of(tab: Tab) -> list[Any]:
    found: list[Any] = tab.page.evaluate("window.__sharecircle.state().conversations")
    return found


# -- the tests ---------------------------------------------------------------------------------


def test_a_member_reaches_on_call_staff_on_the_other_node_and_nobody_else_sees_it(
    nodes: tuple[NodeProcess, NodeProcess], open_on: OpenOn, raw: MakeRaw
) -> None:
    a, b = nodes
    room = make_room(a, self_led=True)
    staff = on_call_staff(raw, b, "ana")
    river, sam = open_on(a), open_on(b)
    join(river, room, "River")
    join(sam, room, "Sam")
    for tab in (river, sam):
        close_welcome(tab)

    talk_now(river).click()
    status = lane(river).get_by_test_id("lane-status")
    expect(lane(river).get_by_test_id("resource").first).to_be_visible()  # at once
    expect(status).to_have_text(text("lane.status.waiting", count=1))
    expect(lane(river)).to_contain_text(text("lane.note.waiting"))

    conversation = take_crisis(staff, room)
    expect(status).to_have_text(text("lane.status.answered", name="ana"))
    box = lane(river).get_by_label(text("conv.label", name="ana"))
    box.fill("it is a hard night marker-private-1")
    box.press("Enter")
    heard = staff.wait(lambda f: f.get("event") == "conversation.message")
    assert heard["from"] == "them"
    assert heard["text"] == "it is a hard night marker-private-1"
    staff.do("conversation.say", conversation=conversation, text="I'm here. marker-private-2")
    messages = lane(river).get_by_test_id("conv-message")
    expect(messages.filter(has_text="marker-private-2")).to_have_attribute("data-from", "them")
    expect(messages.filter(has_text="marker-private-1")).to_have_attribute("data-from", "me")
    expect_all_in_view(river, "crisis lane answered", box)
    expect_clean(river, "crisis lane answered")

    # Sam, in the same room on the other node, gets none of it.
    post(sam, "still in the room marker-room")
    expect(river.page.get_by_test_id("message").filter(has_text="marker-room")).to_have_count(1)
    for marker in ("marker-private-1", "marker-private-2"):
        expect(sam.page.locator("body")).not_to_contain_text(marker)
    assert conversations_of(sam) == []
    expect(sam.page.get_by_test_id("lane-show")).to_be_hidden()

    lane(river).get_by_test_id("conv-end").click()
    expect(status).to_have_text(text("lane.status.ended"))
    staff.wait(lambda f: f.get("event") == "conversation.ended")


def test_nobody_on_call_is_said_plainly_and_im_ok_for_now_cancels(
    nodes: tuple[NodeProcess, NodeProcess], open_on: OpenOn
) -> None:
    a, _ = nodes
    room = make_room(a, self_led=True)
    river = open_on(a)
    join(river, room, "River")
    close_welcome(river)
    talk_now(river).click()
    status = lane(river).get_by_test_id("lane-status")
    expect(status).to_have_attribute("data-status", "nobody_on_call")
    expect(lane(river).get_by_test_id("resource").get_by_role("link").first).to_have_attribute(
        "href", "tel:" + CRISIS_NUMBER.replace(" ", "")
    )
    ok = button(lane(river), "lane.ok")
    expect_all_in_view(river, "nobody on call", ok)
    ok.click()
    expect(status).to_have_text(text("lane.status.ended"))
    expect(crisis_line(river)).to_be_visible()


def test_a_facilitator_has_a_private_word_with_a_member_across_nodes(
    nodes: tuple[NodeProcess, NodeProcess], open_on: OpenOn
) -> None:
    a, b = nodes
    room = make_room(a)
    host, river, sam = open_on(b, room.facilitator_link()), open_on(a), open_on(a)
    join(host, room, "Host")
    join(river, room, "River")
    join(sam, room, "Sam")
    for tab in (host, river, sam):
        close_welcome(tab)
    choose_member(host, "River")
    button(member_actions(host), "facilitator.word", name="River").click()
    expect(lane(host).get_by_role("heading", level=2)).to_have_text(
        text("word.title.mine", name="River")
    )
    expect(lane(host).get_by_role("heading", level=2)).to_be_focused()
    expect(lane(river).get_by_role("heading", level=2)).to_have_text(
        text("word.title.theirs", name="Host")
    )
    expect(lane(river).get_by_test_id("conv-privacy")).to_have_text(
        text("conv.privacy.word.theirs", name="Host")
    )
    host_box = lane(host).get_by_label(text("conv.label", name="River"))
    host_box.fill("How are you doing tonight? marker-word-1")
    host_box.press("Enter")
    expect(lane(river).get_by_test_id("conv-message")).to_contain_text("marker-word-1")
    river_box = lane(river).get_by_label(text("conv.label", name="Host"))
    river_box.fill("Better, thanks marker-word-2")
    river_box.press("Enter")
    expect(
        lane(host).get_by_test_id("conv-message").filter(has_text="marker-word-2")
    ).to_have_attribute("data-from", "them")
    expect_all_in_view(river, "private word", river_box)
    expect_clean(host, "a private word, facilitator side")
    expect_clean(river, "a private word, member side")
    expect(sam.page.locator("body")).not_to_contain_text("marker-word")
    assert conversations_of(sam) == []

    button(lane(river), "conv.decline").click()
    expect(lane(host).get_by_test_id("conv-why")).to_have_text(
        text("conv.ended.them", name="River")
    )


def test_a_private_word_is_only_for_facilitators(
    nodes: tuple[NodeProcess, NodeProcess], open_on: OpenOn
) -> None:
    a, _ = nodes
    room = make_room(a)
    river, sam = open_on(a), open_on(a)
    join(river, room, "River")
    join(sam, room, "Sam")
    sam_id = sam.page.evaluate("window.__sharecircle.state().myId")
    reply = river.page.evaluate(
        "(m) => window.__sharecircle.send({type: 'word.open', id: 'w1', member: m})", sam_id
    )
    assert reply["type"] == "error"
    assert reply["code"] == "not_facilitator"
    # Members are shown no such action either.
    expect(river.page.get_by_test_id("private-word")).to_have_count(0)


def test_a_report_says_where_it_went(
    nodes: tuple[NodeProcess, NodeProcess], open_on: OpenOn
) -> None:
    a, b = nodes
    for facilitated in (False, True):
        room = make_room(a, self_led=not facilitated)
        river, sam = open_on(a), open_on(b)
        if facilitated:
            host = open_on(b, room.facilitator_link())
            join(host, room, "Host")
        join(river, room, "River")
        join(sam, room, "Sam")
        close_welcome(river)
        post(sam, f"an unkind line marker-report-{facilitated}")
        row = river.page.get_by_test_id("message").filter(has_text=f"marker-report-{facilitated}")
        row.get_by_role("button", name=text("messages.menu.label", name="Sam")).click()
        button(row, "report.open").click()
        button(row, "report.send").click()
        note = "report.thanks" if facilitated else "report.thanks.queued"
        expect(row).to_contain_text(text(note))


def test_the_directory_shows_who_is_watching(
    nodes: tuple[NodeProcess, NodeProcess], open_on: OpenOn, raw: MakeRaw
) -> None:
    a, b = nodes
    room = make_room(a)
    host = open_on(b, room.facilitator_link())
    join(host, room, "Host")
    on_call_staff(raw, b, "ben")
    visitor = open_on(a)
    card = visitor.page.get_by_test_id("room-card").filter(has_text=room.name)
    expect(card.get_by_test_id("badge-facilitator")).to_have_text(text("lobby.facilitator_here"))
    expect(card.get_by_test_id("badge-on-call")).to_have_text(text("lobby.on_call"))
    expect_clean(visitor, "the directory with badges")


def test_a_self_led_room_under_a_raid_keeps_the_line_in_view(
    nodes: tuple[NodeProcess, NodeProcess], open_on: OpenOn, raw: MakeRaw
) -> None:
    a, b = nodes
    room = make_room(a, self_led=True)
    river = open_on(a)
    join(river, room, "River")
    close_welcome(river)
    for i in range(10):  # a burst of new names from new places, with nobody facilitating
        raw(b, f"198.51.100.{i + 1}").do("join", room=room.slug, name=f"Visitor {i + 1}")
    expect(river.page.get_by_test_id("paused-banner")).to_have_text(text("banner.quiet"))
    expect_all_in_view(river, "quiet mode, a member")
    newcomer = open_on(b)
    join(newcomer, room, "Noor")
    close_welcome(newcomer)
    expect(newcomer.page.get_by_test_id("composer-reason")).to_have_attribute(
        "data-reason", "quiet"
    )
    expect_all_in_view(newcomer, "quiet mode, a newcomer reading first")
    talk_now(newcomer).click()
    expect(lane(newcomer).get_by_test_id("lane-status")).to_have_attribute(
        "data-status", "nobody_on_call"
    )
    expect_all_in_view(newcomer, "quiet mode, lane open", button(lane(newcomer), "lane.ok"))


def test_the_staff_console_on_the_other_node_answers_the_lane(
    nodes: tuple[NodeProcess, NodeProcess], open_on: OpenOn
) -> None:
    """The same lane with the staff member in the browser console (/staff) on the other node."""
    a, b = nodes
    room = make_room(a, self_led=True)
    staff_token(b, "cara")  # the account (the console signs in with its passphrase)
    desk = open_on(b, "/staff")
    desk.page.get_by_label(text("console.signin.name")).fill("cara")
    desk.page.get_by_label(text("console.signin.secret")).fill(STAFF_SECRET)
    desk.page.get_by_role("button", name=text("console.signin.submit")).click()
    toggle = desk.page.get_by_test_id("oncall-toggle")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    river, sam = open_on(a), open_on(b)
    join(river, room, "River")
    join(sam, room, "Sam")
    for tab in (river, sam):
        close_welcome(tab)

    talk_now(river).click()
    status = lane(river).get_by_test_id("lane-status")
    expect(status).to_have_text(text("lane.status.waiting", count=1))
    kind = text("console.kind.crisis")
    desk.page.get_by_role(
        "button", name=text("console.take.label", kind=kind, room=room.name)
    ).click()
    expect(status).to_have_text(text("lane.status.answered", name="cara"))
    box = lane(river).get_by_label(text("conv.label", name="cara"))
    box.fill("thank you for coming marker-console-1")
    box.press("Enter")
    talk = desk.page.get_by_test_id("talk")
    expect(talk.get_by_text("thank you for coming marker-console-1")).to_be_visible()
    talk.get_by_label(text("console.talk.label")).fill("I'm here with you. marker-console-2")
    talk.get_by_role("button", name=text("console.talk.send")).click()
    expect(
        lane(river).get_by_test_id("conv-message").filter(has_text="marker-console-2")
    ).to_have_attribute("data-from", "them")
    expect_all_in_view(river, "answered from the console", box)
    expect(sam.page.locator("body")).not_to_contain_text("marker-console")
    assert conversations_of(sam) == []

    button(lane(river), "conv.end").click()
    expect(status).to_have_text(text("lane.status.ended"))
    toggle.click()  # off call again: the next test on these nodes starts with nobody on call
    expect(toggle).to_have_attribute("aria-pressed", "false")
