"""Fixtures for the browser tests: one real node, one headless Chromium, pages that record
every request they make.

The node is a real `sharecircle serve` process on the in-memory backend
(tests/support/nodes.py). Each test gets fresh rooms from the admin API, so tests never see
each other's people or messages. Pages get `window.__SHARECIRCLE_TEST__ = true` before the app
loads, which makes the client expose its test hook (`window.__sharecircle`: send a raw frame,
drop the socket, read connection stats). Ordinary visitors never have it.
"""

from __future__ import annotations

import itertools
import json
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.clock import SharedClock
from tests.support.nodes import NodeProcess

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ADMIN = "cluster-test-admin-Xe4Lq9Tz2Wm7Rk5Hc8Vb3Nf6Jy1Pd0Gs"
CRISIS_NUMBER = "555 0100"
TIMEOUT_MS = 10_000
"""The bound on every wait in these tests (Playwright actions and expectations)."""

_rooms = itertools.count(1)


def admin_post(node: NodeProcess, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - loopback URL built by the test
        node.http + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        result: dict[str, Any] = json.loads(response.read())
        return result


@dataclass
class Room:
    slug: str
    name: str
    node: NodeProcess

    def facilitator_link(self) -> str:
        return self.invite_link("facilitator")

    def invite_link(self, role: str = "member") -> str:
        """The admin API's link, `/#room=SLUG&ROLE=TOKEN` (a fragment: never sent to a server)."""
        invite = admin_post(self.node, f"/api/admin/rooms/{self.slug}/invites", {"role": role})
        return str(invite["link"])


@dataclass
class Tab:
    """A page in its own browser context (its own storage: a separate person)."""

    page: Any
    context: Any
    urls: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def shared_clock() -> Iterator[SharedClock]:
    """The node's clock: `advance(seconds)` moves it, so a share ends without anyone sleeping."""
    clock = SharedClock()
    yield clock
    clock.close()


@pytest.fixture(scope="session")
def node(shared_clock: SharedClock) -> Iterator[NodeProcess]:
    # A short heartbeat, so every test also runs the client's ping/pong loop many times.
    server = NodeProcess(
        None,
        grace_seconds=5,
        heartbeat_ms=1000,
        crisis_line_number=CRISIS_NUMBER,
        test_clock_file=str(shared_clock.path),
    ).start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module. Not per session: Playwright's sync API keeps an asyncio
    loop marked as running while it is open, which would break every async test after it."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def make_room(node: NodeProcess) -> Callable[..., Room]:
    """Creates a fresh room (facilitated, open) through the admin API."""

    def make(**fields: Any) -> Room:
        n = next(_rooms)
        body = {
            "slug": f"test-room-{n}",
            "name": f"Test Room {n}",
            "description": "A quiet room for one test.",
            **fields,
        }
        admin_post(node, "/api/admin/rooms", body)
        return Room(body["slug"], body["name"], node)

    return make


@pytest.fixture
def open_tab(browser: Any, node: NodeProcess) -> Iterator[Callable[..., Tab]]:
    """Opens the client in a fresh context; every request URL and page error is recorded."""
    tabs: list[Tab] = []

    def open_(
        path: str = "/", *, width: int = 1280, height: int = 800, locale: str = "en-US"
    ) -> Tab:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            color_scheme="dark",
            reduced_motion="reduce",
            locale=locale,  # navigator.languages: the client's language unless one is chosen
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script("window.__SHARECIRCLE_TEST__ = true;")
        page = context.new_page()
        tab = Tab(page, context)
        page.on("request", lambda request: tab.urls.append(request.url))
        page.on("websocket", lambda ws: tab.urls.append(ws.url))
        page.on("pageerror", lambda exc: tab.errors.append(str(exc)))
        page.on(
            "console",
            lambda msg: tab.errors.append(msg.text) if msg.type == "error" else None,
        )
        page.goto(node.http + path, wait_until="domcontentloaded")
        tabs.append(tab)
        return tab

    yield open_
    for tab in tabs:
        tab.context.close()
    errors = [e for tab in tabs for e in tab.errors if not _expected_console_error(e)]
    assert errors == [], f"the page reported errors: {errors}"


def _expected_console_error(text: str) -> bool:
    # Chromium logs failed WebSocket handshakes while a test holds a page offline on purpose.
    return "WebSocket connection to" in text
