"""A room bigger than one page of the member list (issue 16): the join ack brings the first page
and the count; the page reads the rest with `members.page` while it shows the list."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.catalog import text
from tests.browser.conftest import CRISIS_NUMBER, Room, Tab
from tests.browser.steps import join, people
from tests.support.clock import SharedClock
from tests.support.nodes import NodeProcess

OpenTab = Callable[..., Tab]
MakeRoom = Callable[..., Room]


@pytest.fixture(scope="module")
def node(shared_clock: SharedClock) -> Iterator[NodeProcess]:
    """This module's own node: pages of two members, so four people are two pages."""
    server = NodeProcess(
        None,
        heartbeat_ms=1000,
        crisis_line_number=CRISIS_NUMBER,
        test_clock_file=str(shared_clock.path),
        members_page_size=2,
    ).start()
    try:
        yield server
    finally:
        server.close()


def test_the_last_joiner_reads_the_whole_list_page_by_page(
    open_tab: OpenTab, make_room: MakeRoom
) -> None:
    room = make_room()
    names = ["Ana", "Ben", "Cy", "Dee"]
    tabs = [open_tab() for _ in names]
    for tab, name in zip(tabs, names, strict=True):
        join(tab, room, name)
    last = people(tabs[-1])
    expect(last.get_by_test_id("person")).to_have_count(4)
    for name in names:
        expect(last).to_contain_text(name)
    expect(last.get_by_role("heading", level=2)).to_have_text(text("people.title", count=4))
