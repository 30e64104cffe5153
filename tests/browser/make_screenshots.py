"""Make the client's screenshots for the docs: `uv run python tests/browser/make_screenshots.py`.

Starts a node, seats a few people over plain WebSockets (as any client could), and photographs
a real browser page at 1280x800 in the default dark theme:

- docs/screenshots/lobby.png: the room list with people in the rooms and a round running;
- docs/screenshots/share-round.png: a member's view of a room during a share round;
- docs/screenshots/phone-welcome.png: a late joiner's welcome card on a 360 px phone;
- docs/screenshots/phone-sharer.png: the sharer's pinned bar (countdown, Done, Pass) at 360 px;
- docs/screenshots/phone-facilitator.png: the facilitators' pinned bar at 360 px;
- docs/screenshots/phone-fairness.png: fairness at a glance (who has shared, who has not) and
  the milestones marked, as a facilitator sees them at 360 px;
- docs/screenshots/phone-milestone.png: a member's milestone celebrated in the timeline at 360 px;
- docs/screenshots/phone-crisis-lane.png: "Talk to someone now" answered by an on-call staff
  member, at 360 px in a self-led room;
- docs/screenshots/phone-private-word.png: a facilitator's private word, the member's side;
- docs/screenshots/phone-report-on-call.png: a report in a room with no facilitator, and the
  note saying it went to the on-call queue;
- docs/screenshots/phone-raid.png: a self-led room under a raid, as a newcomer sees it: quiet
  mode, reading first, the crisis line still pinned.

The node is configured with an example crisis line (988, the US lifeline): an operator sets and
verifies their own (docs/configuration.md).

`--review DIR` also saves the light theme, a 360 px phone and the facilitator's view there, for
checking by eye (they are not part of the docs).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402
from websockets.sync.client import ClientConnection, connect  # noqa: E402
from websockets.typing import Subprotocol  # noqa: E402

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, admin_post  # noqa: E402
from tests.support.nodes import NodeProcess  # noqa: E402

SHOTS = ROOT / "docs" / "screenshots"
STAFF_SECRET = "a passphrase for the screenshots only"
_ids = itertools.count(1)


class Person:
    """Someone in a room over a raw WebSocket; `do` sends a command and waits for its reply."""

    def __init__(
        self,
        stack: contextlib.ExitStack,
        node: NodeProcess,
        room: str,
        name: str | None,
        *,
        network: str | None = None,
        **extra: Any,
    ) -> None:
        # `network`: the address a loopback proxy would name (X-Forwarded-For), so a burst of
        # joins counts as coming from many places, as a raid does.
        headers = {"X-Forwarded-For": network} if network else None
        self.ws: ClientConnection = stack.enter_context(
            connect(
                node.url,
                subprotocols=[Subprotocol("sharecircle.v1.json")],
                additional_headers=headers,
            )
        )
        json.loads(self.ws.recv(timeout=10))  # hello
        self.ack = self.do("join", room=room, **({"name": name} if name else {}), **extra)
        self.id = (self.ack.get("member") or {}).get("id")

    def do(self, kind: str, **fields: Any) -> dict[str, Any]:
        cid = next(_ids)
        self.ws.send(json.dumps({"type": kind, "id": cid, **fields}))
        while True:
            frame: dict[str, Any] = json.loads(self.ws.recv(timeout=10))
            if frame.get("id") == cid and frame["type"] in ("ack", "error"):
                if frame["type"] == "error":
                    raise RuntimeError(f"{kind}: {frame['message']}")
                return frame

    def say(self, text: str) -> int:
        return int(self.do("post", text=text)["seq"])

    def wait_for(self, event: str) -> dict[str, Any]:
        """The next frame carrying `event` (bounded by the socket's timeout)."""
        for _ in range(500):
            frame: dict[str, Any] = json.loads(self.ws.recv(timeout=10))
            if frame.get("event") == event:
                return frame
        raise RuntimeError(f"no {event} frame")


class Staff(Person):
    """An on-call staff member on the staff channel (docs/protocol.md §9), as a console is."""

    def __init__(self, stack: contextlib.ExitStack, node: NodeProcess, name: str) -> None:
        self.ws = stack.enter_context(
            connect(node.url, subprotocols=[Subprotocol("sharecircle.v1.json")])
        )
        json.loads(self.ws.recv(timeout=10))  # hello
        admin_post(
            node, "/api/admin/staff", {"name": name, "passphrase": STAFF_SECRET, "admin": True}
        )
        request = urllib.request.Request(  # noqa: S310 - loopback URL built here
            node.http + "/api/staff/session",
            data=json.dumps({"name": name, "secret": STAFF_SECRET}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            token = json.loads(response.read())["token"]
        self.ack = self.do("staff.watch", staff=token)
        self.id = None
        self.do("oncall.set", on=True)


def _people_in_other_rooms(stack: contextlib.ExitStack, node: NodeProcess) -> None:
    for name in ("Lee", "Quinn", "Dee"):
        Person(stack, node, "night-owls", name)
    Person(stack, node, "night-owls", None, role="observer")
    for name in ("Pat", "Kim"):
        Person(stack, node, "speaker-meeting", name)


def _meeting(stack: contextlib.ExitStack, node: NodeProcess) -> dict[str, Person]:
    token = admin_post(node, "/api/admin/rooms/daily-check-in/invites", {"role": "facilitator"})
    people = {"Maya": Person(stack, node, "daily-check-in", "Maya", facilitator=token["token"])}
    for name in ("Jo", "Sam", "Alex"):
        people[name] = Person(stack, node, "daily-check-in", name)
    people["observer"] = Person(stack, node, "daily-check-in", None, role="observer")
    return people


def _conversation(people: dict[str, Person]) -> None:
    maya, jo, sam, alex = (people[n] for n in ("Maya", "Jo", "Sam", "Alex"))
    maya.say(
        "Welcome, everyone. We'll start the round in a moment. Raise a hand if you'd like to share."
    )
    sam_msg = sam.say("Evening all. Rough day, but I'm here.")
    for p in (maya, jo, alex):
        p.do("react", mid=sam_msg, reaction="heart")
    alex.do("react", mid=sam_msg, reaction="same")
    alex.say("Glad you made it, Sam.")
    for p in (jo, sam, alex):
        p.do("hand.raise")
    maya.do(
        "round.open", topic="What helped you get through today?", share_seconds=300, order="hands"
    )
    shared = jo.say(
        "I called my sponsor instead of going to the bar after work. "
        "Twenty minutes on the phone and the urge passed. Day 41."
    )
    for p in (maya, sam, alex):
        p.do("react", mid=shared, reaction="strength")
    sam.do("react", mid=shared, reaction="thanks")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--review", type=Path, help="also save review screenshots here")
    args = parser.parse_args()
    SHOTS.mkdir(parents=True, exist_ok=True)
    node = NodeProcess(
        None,
        grace_seconds=20,
        crisis_line_number="988",
        crisis_line_label="988 Suicide & Crisis Lifeline",
    ).start()
    try:
        with contextlib.ExitStack() as stack, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context = browser.new_context(
                viewport={"width": 1280, "height": 800}, color_scheme="dark"
            )
            page = context.new_page()
            _people_in_other_rooms(stack, node)
            people = _meeting(stack, node)
            people["Jo"].do("hand.raise")
            people["Maya"].do("round.open", topic="A quick check-in", share_seconds=180)
            page.goto(node.http + "/")
            expect(page.locator(".room-card .badge.live")).to_have_count(1)
            page.screenshot(path=str(SHOTS / "lobby.png"))
            people["Maya"].do("round.end")

            page.locator("#join-room").select_option("daily-check-in")
            page.get_by_label("Display name").fill("Robin")
            page.locator("#join-submit").click()
            expect(page.locator("#conn-state")).to_have_text("Connected")
            page.get_by_test_id("welcome-close").click()
            _conversation(people)
            page.get_by_role("button", name="Raise hand").click()
            expect(page.locator("#round-panel .queue li")).to_have_count(3)
            page.locator("#composer-text").blur()
            time.sleep(3.2)  # let the countdown visibly run (a picture, not a test)
            page.screenshot(path=str(SHOTS / "share-round.png"))
            _phone(browser, node, people["Maya"])
            _safety_net(stack, browser, node, people)
            if args.review:
                _review(args.review, browser, node, page)
            browser.close()
    finally:
        node.close()
    print(f"saved lobby.png, share-round.png and nine phone-*.png in {SHOTS}")


def _phone_page(
    browser: Any, node: NodeProcess, name: str, path: str = "/", room: str = "daily-check-in"
) -> Any:
    context = browser.new_context(viewport={"width": 360, "height": 740}, color_scheme="dark")
    page = context.new_page()
    page.goto(node.http + path)
    page.locator("#join-room").select_option(room)
    page.get_by_label("Display name").fill(name)
    page.locator("#join-submit").click()
    expect(page.locator("#conn-state")).to_have_text("Connected")
    return page


def _phone(browser: Any, node: NodeProcess, maya: Person) -> None:
    """A late joiner's card, then the same person sharing, and a facilitator's bar, at 360 px."""
    ash = _phone_page(browser, node, "Ash")
    expect(ash.get_by_test_id("welcome-speaker")).to_contain_text("Jo")
    ash.screenshot(path=str(SHOTS / "phone-welcome.png"))
    ash.get_by_test_id("welcome-close").click()
    ash.get_by_role("button", name="Raise hand").click()
    for _ in range(6):  # move the floor on until it is Ash's (bounded; a picture, not a test)
        if ash.get_by_test_id("sharer-bar").is_visible():
            break
        maya.do("share.skip")
        time.sleep(0.3)
    expect(ash.get_by_test_id("sharer-bar")).to_be_visible()
    ash.get_by_test_id("milestone").locator("summary").click()
    ash.get_by_label("Today is this many days", exact=True).fill("3")
    ash.get_by_test_id("milestone-set").click()
    expect(ash.get_by_test_id("milestone-mine")).to_be_visible()
    ash.get_by_label("Message", exact=True).fill("Thanks for having me. Day 3 for me today.")
    ash.get_by_label("Message", exact=True).press("Enter")
    ash.locator("#composer-text").blur()
    time.sleep(2.2)  # let the countdown visibly run
    ash.screenshot(path=str(SHOTS / "phone-sharer.png"))
    link = admin_post(node, "/api/admin/rooms/daily-check-in/invites", {"role": "facilitator"})
    nia = _phone_page(browser, node, "Nia", link["link"])
    nia.get_by_test_id("welcome-close").click()
    expect(nia.get_by_test_id("facilitator-bar")).to_be_visible()
    nia.locator("#composer-text").blur()
    nia.screenshot(path=str(SHOTS / "phone-facilitator.png"))
    tending = nia.get_by_test_id("tending-panel")
    expect(tending.get_by_test_id("marked")).to_have_count(1)
    tending.evaluate("(n) => n.scrollIntoView({block: 'start'})")
    nia.evaluate("window.scrollBy(0, -8)")
    nia.screenshot(path=str(SHOTS / "phone-fairness.png"))
    tending.get_by_role("button", name="Celebrate Ash's milestone").click()
    celebrated = ash.get_by_test_id("note").filter(has_text="Congratulations")
    expect(celebrated).to_have_count(1)
    ash.locator("#composer-text").blur()
    celebrated.evaluate("(n) => n.scrollIntoView({block: 'center'})")
    ash.screenshot(path=str(SHOTS / "phone-milestone.png"))


def _safety_net(
    stack: contextlib.ExitStack, browser: Any, node: NodeProcess, people: dict[str, Person]
) -> None:
    """Issue 14 at 360 px: a report with no facilitator, the crisis lane answered from the
    on-call queue, and a facilitator's private word (a picture each, not tests)."""
    kit, rue = (Person(stack, node, "night-owls", name) for name in ("Kit", "Rue"))
    kit.say("Can't sleep again. Glad this room is here.")
    reporter = _phone_page(browser, node, "Sol", room="night-owls")
    reporter.get_by_test_id("welcome-close").click()
    rue.say("Nobody here cares anyway, you're all wasting your time.")
    row = reporter.get_by_test_id("message").filter(has_text="wasting your time")
    row.get_by_role("button", name="React to Rue's message, or more").click()
    row.get_by_role("button", name="Report this message").click()
    row.get_by_label("What's wrong?", exact=False).fill("Putting people down")
    row.get_by_role("button", name="Send report").click()
    expect(row).to_contain_text("on-call queue")
    reporter.locator("#composer-text").blur()
    reporter.screenshot(path=str(SHOTS / "phone-report-on-call.png"))

    ana = Staff(stack, node, "Ana")
    robin = _phone_page(browser, node, "Robin", room="night-owls")
    robin.get_by_test_id("welcome-close").click()
    robin.get_by_test_id("talk-now").click()
    expect(robin.get_by_test_id("lane-status")).to_have_attribute("data-status", "waiting")
    alert = ana.wait_for("alert")["alert"]
    ana.do("alert.take", alert=alert["id"])
    conversation = ana.wait_for("conversation.opened")["conversation"]
    expect(robin.get_by_test_id("lane-status")).to_have_attribute("data-status", "answered")
    box = robin.get_by_label("Private message to Ana")
    box.fill("It's a really hard night. I didn't know who else to talk to.")
    box.press("Enter")
    ana.wait_for("conversation.message")
    ana.do(
        "conversation.say",
        conversation=conversation,
        text="I'm glad you reached out, Robin. I'm here with you. What's been happening tonight?",
    )
    expect(robin.get_by_test_id("conv-message")).to_have_count(2)
    box.blur()
    robin.screenshot(path=str(SHOTS / "phone-crisis-lane.png"))

    jo = _phone_page(browser, node, "Jordan")
    jo.get_by_test_id("welcome-close").click()
    people["Maya"].do("word.open", member=_member_id(people["Maya"], "Jordan"))
    expect(jo.get_by_test_id("conv-privacy")).to_be_visible()
    word = jo.get_by_test_id("conversation").get_attribute("data-conversation")
    people["Maya"].do(
        "conversation.say",
        conversation=word,
        text="Hi Jordan, just checking in privately. No need to reply if you'd rather not.",
    )
    expect(jo.get_by_test_id("conv-message")).to_have_count(1)
    jo.locator("#composer-text").blur()
    jo.screenshot(path=str(SHOTS / "phone-private-word.png"))

    for n in range(12):  # a burst of new names with nobody facilitating: quiet mode
        Person(stack, node, "night-owls", f"Visitor {n + 1}", network=f"198.51.100.{n + 1}")
    noor = _phone_page(browser, node, "Noor", room="night-owls")
    expect(noor.get_by_test_id("composer-reason")).to_have_attribute("data-reason", "quiet")
    noor.get_by_test_id("welcome-close").click()
    noor.screenshot(path=str(SHOTS / "phone-raid.png"))


def _member_id(facilitator: Person, name: str) -> str:
    """A member's id by name, from the member events the facilitator's socket received."""
    for _ in range(500):
        frame = json.loads(facilitator.ws.recv(timeout=10))
        member = frame.get("member")
        if frame.get("event") == "member.joined" and member.get("name") == name:
            return str(member["id"])
    raise RuntimeError(f"{name} never joined")


def _review(folder: Path, browser: Any, node: NodeProcess, page: Any) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    page.get_by_role("button", name="Light theme").click()
    time.sleep(0.5)  # let the colours settle
    page.screenshot(path=str(folder / "light.png"))
    page.get_by_role("button", name="Light theme").click()
    phone = browser.new_context(viewport={"width": 360, "height": 740}, color_scheme="dark")
    small = phone.new_page()
    small.goto(node.http + "/")
    expect(small.locator(".room-card").first).to_be_visible()
    small.screenshot(path=str(folder / "phone-lobby.png"), full_page=True)
    small.locator("#join-room").select_option("daily-check-in")
    small.get_by_label("Display name").fill("Ash")
    small.locator("#join-submit").click()
    expect(small.locator("#conn-state")).to_have_text("Connected")
    small.screenshot(path=str(folder / "phone-room.png"), full_page=True)
    link = admin_post(node, "/api/admin/rooms/daily-check-in/invites", {"role": "facilitator"})[
        "link"
    ]
    fac = browser.new_context(
        viewport={"width": 1280, "height": 800}, color_scheme="dark"
    ).new_page()
    fac.goto(node.http + link)
    fac.locator("#join-room").select_option("daily-check-in")
    fac.get_by_label("Display name").fill("Nia")
    fac.locator("#join-submit").click()
    expect(fac.locator("#facilitator-panel")).to_be_visible()
    fac.screenshot(path=str(folder / "facilitator.png"), full_page=True)


if __name__ == "__main__":
    main()
