"""Make the staff console's screenshot for the README:
`uv run python tests/browser/make_console_screenshot.py`.

Starts a throwaway Redis and a node, seats two people in a room with no facilitator, raises a
report and a raid alert through an alert desk on the same Redis and store (as another node
would), and photographs /staff at 360 px, signed in and on call:
docs/screenshots/phone-console.png.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from rooms.oncall import AlertKind  # noqa: E402
from tests.browser.catalog import text  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, admin_post  # noqa: E402
from tests.browser.make_screenshots import Person  # noqa: E402
from tests.browser.test_staff_console import PASSPHRASE, PHONE, raise_alert  # noqa: E402
from tests.support.nodes import NodeProcess  # noqa: E402
from tests.support.redis_server import RedisServer  # noqa: E402

SHOT = ROOT / "docs" / "screenshots" / "phone-console.png"


def main() -> None:
    with contextlib.ExitStack() as stack:
        redis = stack.enter_context(RedisServer.launch(tcp=True))
        data_dir = tempfile.mkdtemp(prefix="sc-shot-", dir="/tmp")
        node = NodeProcess(redis.url, data_dir=data_dir).start()
        stack.callback(node.close)
        admin_post(node, "/api/admin/rooms", {"slug": "late-night", "name": "Late Night"})
        admin_post(
            node, "/api/admin/staff", {"name": "Robin", "passphrase": PASSPHRASE, "admin": True}
        )
        Person(stack, node, "late-night", "Sam")
        Person(stack, node, "late-night", "Kit")
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        stack.callback(browser.close)
        page = browser.new_context(
            viewport=PHONE, color_scheme="dark", reduced_motion="reduce", locale="en-US"
        ).new_page()
        page.goto(node.http + "/staff")
        page.get_by_label(text("console.signin.name")).fill("Robin")
        page.get_by_label(text("console.signin.secret")).fill(PASSPHRASE)
        page.get_by_role("button", name=text("console.signin.submit")).click()
        page.get_by_test_id("oncall-toggle").click()
        expect(page.get_by_test_id("oncall-toggle")).to_have_attribute("aria-pressed", "true")
        raise_alert(node, AlertKind.REPORT, "late-night", "rep_shot")
        raise_alert(node, AlertKind.RAID, "evening-meeting")
        expect(page.get_by_test_id("queue-item")).to_have_count(2)
        rooms = page.get_by_test_id("console-room")
        expect(rooms.filter(has_text=text("console.room.alert"))).to_have_count(2)
        page.wait_for_timeout(1500)  # a picture: let the waiting times read a second or so
        page.screenshot(path=str(SHOT), full_page=True)
        print(f"wrote {SHOT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
