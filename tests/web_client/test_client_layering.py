"""The client's layers: protocol/ is a standalone client and the store is pure logic; neither
touches the DOM or imports a view. Only regions, dom.js, announce.js and app.js may."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.web_client.jsscan import CLIENT, imports, sources, strip_comments

PROTOCOL = CLIENT / "protocol"
STORE = [
    CLIENT / name
    for name in (
        "store.js",
        "reducer.js",
        "selectors.js",
        "conversations.js",
        "effects.js",
        "bridge.js",
        "console/reducer.js",
        "console/selectors.js",
        "console/link.js",
    )
]
VIEWS = [CLIENT / "regions", CLIENT / "dom.js", CLIENT / "announce.js", CLIENT / "app.js"]
DOM_NAMES = re.compile(
    r"\b(document|window|HTMLElement|requestAnimationFrame|localStorage|sessionStorage)\b"
)


def _is_view(path: Path) -> bool:
    return any(path == view or view in path.parents for view in VIEWS)


def _pure() -> list[Path]:
    return [*sources(PROTOCOL), *STORE]


@pytest.mark.parametrize("path", _pure(), ids=lambda p: str(p.relative_to(CLIENT)))
def test_protocol_and_store_do_not_touch_the_dom(path: Path) -> None:
    """No `document`, `window` or storage in the protocol client or the store (comments aside)."""
    code = strip_comments(path.read_text())
    assert DOM_NAMES.findall(code) == []


@pytest.mark.parametrize("path", _pure(), ids=lambda p: str(p.relative_to(CLIENT)))
def test_protocol_and_store_import_no_view(path: Path) -> None:
    """They import no region, DOM helper, announcer or the app."""
    views = [p for p in imports(path) if _is_view(p)]
    assert views == []


@pytest.mark.parametrize("path", sources(PROTOCOL), ids=lambda p: p.name)
def test_the_protocol_client_stands_alone(path: Path) -> None:
    """protocol/ imports only protocol/: a console or a media socket can take it as it is."""
    outside = [p for p in imports(path) if PROTOCOL not in p.parents]
    assert outside == []


def test_every_import_resolves() -> None:
    """Each relative import of every module names a file that exists."""
    missing = [(str(src.relative_to(CLIENT)), str(p)) for src in sources() for p in imports(src)]
    assert [m for m in missing if not Path(m[1]).exists()] == []


def test_the_scan_sees_imports_and_the_dom() -> None:
    """Guard the guards: the scanner finds app.js's imports and its use of document."""
    assert CLIENT / "store.js" in imports(CLIENT / "app.js")
    assert DOM_NAMES.search(strip_comments((CLIENT / "app.js").read_text()))
