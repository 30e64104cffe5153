"""What one HTTP request may be: its head's size and header count, and its body's size.

h11 bounds only a head that arrives in pieces (`max_incomplete_event_size`): a 60 KB head with
5,000 headers written in one packet parses whole. `GuardedConnection` is h11's connection with
the limits below checked on every request it parses, before uvicorn hands the request to the
app or to the WebSocket protocol. A refusal is an h11 `RemoteProtocolError` whose
`error_status_hint` is the status to answer with; `server/runner.py` sends it. Pure: no I/O.

The node's HTTP routes take small JSON bodies at most (the admin API), so 64 KiB is far more
than any honest request needs; nginx's `client_max_body_size 64k` says the same in front.
"""

from __future__ import annotations

from typing import Final

import h11

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_HEADERS",
    "MAX_HEADER_LINE_BYTES",
    "MAX_HEAD_BYTES",
    "GuardedConnection",
]

MAX_HEADERS: Final = 100
"""Headers per request; a browser sends about 15, an upgrade through nginx about 20 (431)."""
MAX_HEAD_BYTES: Final = 16 * 1024
"""The request line and all header lines together (431); nginx allows 4 × 8 KiB in front."""
MAX_HEADER_LINE_BYTES: Final = 8 * 1024
"""One header line (431), websockets' own limit for upgrades, and nginx's buffer size."""
MAX_BODY_BYTES: Final = 64 * 1024
"""A request body, declared (`Content-Length`) or counted as it arrives (chunked) (413)."""


class GuardedConnection(h11.Connection):
    """An h11 server connection that refuses requests over the limits of this module.

    `refused_with` holds the status of the last refusal (h11's own included), for the response.
    """

    def __init__(self, max_incomplete_event_size: int = MAX_HEAD_BYTES) -> None:
        super().__init__(h11.SERVER, max_incomplete_event_size)
        self.refused_with = 400
        self._body_bytes = 0

    def next_event(self) -> h11.Event | type[h11.NEED_DATA] | type[h11.PAUSED]:
        try:
            event = super().next_event()
            if isinstance(event, h11.Request):
                self._body_bytes = 0
                _check_head(event)
            elif isinstance(event, h11.Data):
                self._body_bytes += len(event.data)
                if self._body_bytes > MAX_BODY_BYTES:
                    raise h11.RemoteProtocolError("request body too large", 413)
        except h11.RemoteProtocolError as exc:
            self.refused_with = exc.error_status_hint
            raise
        return event


def _check_head(request: h11.Request) -> None:
    """Raise `RemoteProtocolError` (431 or 413) for a head or declared body over the limits."""
    if len(request.headers) > MAX_HEADERS:
        raise h11.RemoteProtocolError(f"more than {MAX_HEADERS} headers", 431)
    # Sizes as parsed: "name: value\r\n" per header, after the request line.
    lines = [len(name) + len(value) + 4 for name, value in request.headers]
    head = len(request.method) + len(request.target) + 12 + sum(lines)
    if head > MAX_HEAD_BYTES or max(lines, default=0) > MAX_HEADER_LINE_BYTES:
        raise h11.RemoteProtocolError("request head too large", 431)
    for name, value in request.headers:
        if name == b"content-length" and int(value) > MAX_BODY_BYTES:
            raise h11.RemoteProtocolError("request body too large", 413)
