"""The security headers every HTTP response of a node carries, in one table.

The app's pages and API responses, uvicorn's own refusals (400, 408, 413, 431, 500) and every
refused WebSocket upgrade (403, 429, 503 and websockets' own 4xx) get the same four headers, so
no answer of the node can be framed, sniffed, cached or leak a referrer. `server/runner.py`
hands them to uvicorn as default headers and adds them to the responses uvicorn builds itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

__all__ = ["CSP", "SECURITY_HEADERS", "with_security_headers"]

CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
"""Only the node's own origin: no inline script, no framing, no foreign connections."""

SECURITY_HEADERS: Final[tuple[tuple[bytes, bytes], ...]] = (
    (b"content-security-policy", CSP.encode()),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
)
"""Lower-case names, as ASGI carries them."""


def with_security_headers(
    headers: Iterable[tuple[bytes, bytes]],
) -> list[tuple[bytes, bytes]]:
    """`headers` plus each security header it does not already have (never twice)."""
    headers = list(headers)
    present = {name.lower() for name, _ in headers}
    return headers + [(name, value) for name, value in SECURITY_HEADERS if name not in present]
