"""Voice in Chromium (issue 17), with its fake microphone, across two nodes on one Redis.

A three-person spoken share round: A, B (node 1) and C (node 2, a 360 px phone) each share by
voice in turn; whoever holds the floor is the only one live, and the other two decode audio
with energy above silence. When each share ends on the test clock, the server stops relaying at
once: the next speaker follows, and after the last share everyone's decoded audio falls silent
within a few frames. axe-core finds nothing on the sharer's page or the phone's. The page's own CSP
(script-src 'self') lets the audio worklet load; any CSP violation would be a page error.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.catalog import text
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, Room, Tab, admin_post
from tests.browser.steps import hook, join
from tests.browser.test_axe import expect_clean
from tests.support.clock import SharedClock
from tests.support.nodes import NodeProcess
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.cluster

MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
SHARE = 60
SILENCE = 0.002
"""A played level (RMS over ~50 ms) below this is silence; the fake microphone's tone is ~0.1."""
_ids = itertools.count(1)


@pytest.fixture
def voice_nodes(redis: RedisServer, shared_clock: SharedClock) -> Iterator[list[NodeProcess]]:
    made = [NodeProcess(redis.url, test_clock_file=str(shared_clock.path)) for _ in range(2)]
    try:
        yield [node.start(timeout=90) for node in made]
    finally:
        for node in made:
            node.close()


@pytest.fixture
def media_browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *MEDIA_ARGS]
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def tabs(media_browser: Any) -> Iterator[Callable[..., Tab]]:
    opened: list[Tab] = []

    def open_(node: NodeProcess, *, width: int = 1280, height: int = 800) -> Tab:
        context = media_browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script("window.__SHARECIRCLE_TEST__ = true;")
        page = context.new_page()
        tab = Tab(page, context)
        page.on("pageerror", lambda exc: tab.errors.append(str(exc)))
        page.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
        page.goto(node.http + "/", wait_until="domcontentloaded")
        opened.append(tab)
        return tab

    yield open_
    for tab in opened:
        tab.context.close()
    assert [e for tab in opened for e in tab.errors] == []


def _voice(tab: Tab) -> dict[str, Any]:
    stats: dict[str, Any] = hook(tab, "window.__sharecircle.voice()")
    return stats


def _until(tab: Tab, holds: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """Poll the page's voice stats until `holds` (bounded; page.wait_for_function would need
    `eval`, which the page's CSP forbids)."""
    for _ in range(TIMEOUT_MS // 50):
        stats = _voice(tab)
        if holds(stats):
            return stats
        tab.page.wait_for_timeout(50)
    raise AssertionError(f"voice never got there: {_voice(tab)}")


def _switch(tab: Tab, key: str) -> Any:
    return tab.page.get_by_role("switch", name=text(key))


def test_a_spoken_share_round_across_two_nodes_each_heard_only_with_the_floor(
    voice_nodes: list[NodeProcess], tabs: Callable[..., Tab], shared_clock: SharedClock
) -> None:
    """Three people share by voice in turn (A and B on node 1, C on node 2 at 360 px): whoever
    holds the floor is heard by the other two, decoded above silence on both nodes; when the
    timer ends each share, it falls silent for everyone within a few frames."""
    one, two = voice_nodes
    n = next(_ids)
    room = Room(f"voice-room-{n}", f"Voice Room {n}", one)
    admin_post(one, "/api/admin/rooms", {"slug": room.slug, "name": room.name, "voice": True})
    a, b = tabs(one), tabs(one)
    c = tabs(two, width=360, height=740)
    people = {"Ana": a, "Beto": b, "Cris": c}
    for name, tab in people.items():
        join(tab, Room(room.slug, room.name, one if tab is not c else two), name)
        expect(tab.page.get_by_test_id("voice-panel")).to_be_visible()
    assert _voice(a)["available"] is True  # Debian's Chromium: WebCodecs Opus, both ways
    for tab in people.values():
        _switch(tab, "voice.listen").click()
        expect(_switch(tab, "voice.listen")).to_have_attribute("aria-checked", "true")
        _switch(tab, "voice.share").click()
        expect(_switch(tab, "voice.share")).to_have_attribute("aria-checked", "true")
        expect(tab.page.get_by_test_id("voice-live")).to_have_text(text("voice.not_live"))

    # A facilitator's round; each raises a hand through the page, in order.
    invite = admin_post(one, f"/api/admin/rooms/{room.slug}/invites", {"role": "facilitator"})
    fac = tabs(one)
    fac.page.goto(f"{one.http}/#room={room.slug}&facilitator={invite['token']}")
    join(fac, room, "Fran")
    for cid, tab in enumerate(people.values(), start=902):
        hook(tab, f'window.__sharecircle.send({{type: "hand.raise", id: {cid}}})')
    hook(
        fac,
        f'window.__sharecircle.send({{type: "round.open", id: 901, topic: "", '
        f'share_seconds: {SHARE}, order: "hands"}})',
    )

    for turn, (speaker, tab) in enumerate(people.items()):
        others = [t for t in people.values() if t is not tab]
        expect(tab.page.get_by_test_id("voice-live")).to_have_text(text("voice.live"))
        for other in others:
            expect(other.page.get_by_test_id("voice-live")).not_to_have_text(text("voice.live"))
        for listener in others:  # energy above silence, decoded on each node
            hook(listener, "window.__sharecircle.voiceQuiet()")
        for listener in others:
            _until(listener, lambda v: v["peak"] > SILENCE * 5)
            expect(listener.page.get_by_test_id("voice-heard")).to_contain_text(speaker)
        if turn == 0:
            expect_clean(tab, "voice: sharing, live")
            expect_clean(c, "voice: listening, on a phone")
        # The share's time is up: within a few frames nothing more is decoded or played.
        shared_clock.advance(SHARE + 1)
        expect(tab.page.get_by_test_id("voice-live")).not_to_have_text(text("voice.live"))
        if turn == len(people) - 1:
            for listener in others:
                _until(listener, lambda v: v["played"] < SILENCE)
                before = _voice(listener)["decoded"]
                listener.page.wait_for_timeout(600)  # 30 frames' time: none may arrive
                after = _voice(listener)
                assert after["decoded"] - before <= 3
                assert after["played"] < SILENCE
        else:
            # The next speaker's voice follows at once: the one who just spoke must not be
            # among those heard any more.
            for listener in others:
                expect(listener.page.get_by_test_id("voice-heard")).not_to_contain_text(speaker)
    assert all(_voice(tab)["sent"] > 10 for tab in people.values())
