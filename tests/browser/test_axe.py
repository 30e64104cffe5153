"""axe-core on every screen, under the client's real Content-Security-Policy: the lobby, the
room as a member (welcome card open, then a share with the pinned bar), as a facilitator (bar,
panel, a person's actions), as an observer, and a notice. Expects no violations at all.

axe-core is vendored for tests only (tests/browser/axe/: the npm package's axe.min.js and its
licences). It is evaluated through the DevTools protocol, which the page's CSP does not govern,
so the page itself keeps its policy: no inline script is allowed in, and none is needed."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.catalog import text
from tests.browser.conftest import Room, Tab
from tests.browser.steps import button, choose_member, join, member_actions, open_round, sharer_bar

pytestmark = pytest.mark.browser

OpenTab = Callable[..., Tab]
MakeRoom = Callable[..., Room]
AXE = Path(__file__).parent / "axe" / "axe.min.js"
PHONE = {"width": 360, "height": 740}


@cache
def _axe_source() -> str:
    return AXE.read_text()


def violations(tab: Tab) -> list[dict[str, object]]:
    """axe-core's violations on the page as it is now (WCAG 2.x A and AA, and best practices)."""
    page = tab.page
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    found: list[dict[str, object]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map((v) => ({id: v.id, impact: v.impact,
                nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5)}));
        }"""
    )
    return found


def expect_clean(tab: Tab, screen: str) -> None:
    found = violations(tab)
    assert found == [], f"{screen}: {json.dumps(found, indent=1)}"


def test_the_csp_is_real_while_axe_runs(open_tab: OpenTab, make_room: MakeRoom) -> None:
    make_room()
    tab = open_tab()
    policy = tab.page.request.get(tab.page.url).headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("style-src")[0]
    expect_clean(tab, "lobby")
    # The policy still holds with axe loaded: an inline script the page tried to add would not run.
    ran = tab.page.evaluate(
        """() => { const s = document.createElement("script"); s.textContent = "window.__inline = 1";
                   document.head.append(s); return window.__inline === 1; }"""
    )
    assert ran is False
    blocked = [e for e in tab.errors if "Content Security Policy" in e]
    assert len(blocked) == 1  # the one refusal we provoked; nothing else was blocked
    tab.errors.remove(blocked[0])


@pytest.mark.parametrize("size", [PHONE, {"width": 1280, "height": 800}], ids=["phone", "wide"])
def test_no_violations_on_any_screen(
    open_tab: OpenTab, make_room: MakeRoom, size: dict[str, int]
) -> None:
    room = make_room()
    host = open_tab(room.facilitator_link(), **size)
    river = open_tab(**size)
    observer = open_tab(**size)
    expect_clean(river, "lobby")

    join(host, room, "Host")
    join(river, room, "River")
    expect(river.page.get_by_test_id("welcome")).to_be_visible()
    expect_clean(river, "room as a member, welcome card open")
    river.page.get_by_test_id("welcome-close").click()

    button(river, "controls.raise").click()
    open_round(host, seconds=180)
    expect(sharer_bar(river)).to_be_visible()
    expect_clean(river, "room as a member sharing, pinned bar")
    choose_member(host, "River")
    expect(member_actions(host)).to_be_visible()
    expect_clean(host, "room as a facilitator, bar and a person's actions")

    join(observer, room, None, observer=True)
    expect(observer.page.get_by_test_id("welcome")).to_contain_text(text("welcome.how.observer"))
    expect_clean(observer, "room as an observer")

    button(member_actions(host), "facilitator.remove", name="River").click()
    button(member_actions(host), "facilitator.remove.confirm", name="River").click()
    expect(river.page.get_by_test_id("notice")).to_be_visible()
    expect_clean(river, "notice")
