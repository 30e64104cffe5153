"""Which `Host` names a node answers, and which browser origins may open a WebSocket.

Rules (docs/configuration.md `public_origin`, `allowed_origins`, `trusted_hosts`):

- **Host** (every HTTP request and WebSocket handshake, before anything else): the name must be
  a trusted host, else HTTP 400. Trusted by default: the listen host, the localhost forms and the
  public origin's host; `trusted_hosts` replaces the first two (`*.example.org` and `*` allowed).
  A foreign name is how DNS rebinding reaches a node on a private address, so it gets nothing.
- **Origin** (WebSocket handshakes from browsers): scheme, host and port must all equal the node's
  own origin or one of `allowed_origins`, else HTTP 403. The node's own origin is `public_origin`
  when set; otherwise it is the request's own scheme (behind a proxy uvicorn takes it from
  `X-Forwarded-Proto`) and `Host`. No `Origin` header means no browser, so nothing to check.

Starlette's `TrustedHostMiddleware` would do the Host check for HTTP, but it cuts the header at
the first colon (an IPv6 literal never matches) and WebSockets bypass the middleware here
(server/app.py), so one check serves both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from server.codes import CloseCode
from server.headers import SECURITY_HEADERS
from server.settings import Settings

__all__ = ["Origin", "OriginPolicy", "deny", "parse_origin"]

LOCAL_HOSTS: Final = ("localhost", "127.0.0.1", "::1")
_ANY_ADDRESS: Final = frozenset({"", "0.0.0.0", "::"})
_DEFAULT_PORT: Final = {"http": 80, "https": 443}
_HTTP_SCHEME: Final = {"ws": "http", "wss": "https", "http": "http", "https": "https"}


@dataclass(frozen=True, slots=True)
class Origin:
    """A web origin: scheme, host (lower case) and port (the scheme's default filled in)."""

    scheme: str
    host: str
    port: int | None


def parse_origin(text: str) -> Origin | None:
    """An `Origin` header or setting as scheme, host and port; None if it is not one."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname or parts.path not in ("", "/"):
        return None
    if parts.query or parts.fragment or parts.username or parts.password:
        return None
    scheme = parts.scheme.lower()
    return Origin(scheme, parts.hostname.lower(), port or _DEFAULT_PORT.get(scheme))


def _host_name(host_header: str) -> str | None:
    """The name in a `Host` header (port and IPv6 brackets removed), or None if malformed."""
    if not host_header or any(c in host_header for c in "/?#@ \t"):
        return None
    try:
        parts = urlsplit("//" + host_header)
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError:
        return None
    return parts.hostname.lower() if parts.hostname else None


class OriginPolicy:
    """The node's Host and Origin rules, built once from its settings."""

    def __init__(
        self,
        *,
        listen_host: str,
        public_origin: str | None,
        allowed_origins: Iterable[str],
        trusted_hosts: Iterable[str],
    ) -> None:
        self.public = _required_origin(public_origin, "public_origin") if public_origin else None
        self.allowed = frozenset(_required_origin(o, "allowed_origins") for o in allowed_origins)
        hosts = [h.strip().lower() for h in trusted_hosts if h.strip()]
        if not hosts:
            hosts = [*LOCAL_HOSTS]
            if listen_host.strip("[]").lower() not in _ANY_ADDRESS:
                hosts.append(listen_host.strip("[]").lower())
        if self.public is not None:
            hosts.append(self.public.host)
        self.trusted_hosts = tuple(dict.fromkeys(hosts))

    def host_allowed(self, host_header: str) -> bool:
        name = _host_name(host_header)
        if name is None:
            return False
        for pattern in self.trusted_hosts:
            if pattern == "*" or pattern == name:
                return True
            if pattern.startswith("*.") and name.endswith(pattern[1:]):
                return True
        return False

    def origin_allowed(self, origin: str | None, *, scheme: str, host_header: str) -> bool:
        """A browser's `Origin` is the node's own or an allowed one (scheme, host and port)."""
        if origin is None:
            return True  # not a browser; browsers always send Origin on a WebSocket
        given = parse_origin(origin)
        if given is None:
            return False  # "null", a path, garbage: never a page of ours
        return given == self._own(scheme, host_header) or given in self.allowed

    def _own(self, scheme: str, host_header: str) -> Origin | None:
        if self.public is not None:
            return self.public
        http_scheme = _HTTP_SCHEME.get(scheme.lower())
        if http_scheme is None or _host_name(host_header) is None:
            return None
        return parse_origin(f"{http_scheme}://{host_header}")

    @classmethod
    def from_settings(cls, settings: Settings) -> OriginPolicy:
        return cls(
            listen_host=settings.host,
            public_origin=settings.public_origin,
            allowed_origins=settings.allowed_origins,
            trusted_hosts=settings.trusted_hosts,
        )


def _required_origin(text: str, setting: str) -> Origin:
    origin = parse_origin(text)
    if origin is None or origin.scheme not in _DEFAULT_PORT:
        raise ValueError(f"{setting}: {text!r} is not an origin like https://circle.example.org")
    return origin


async def deny(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    reason: str,
    *,
    retry_after: int | None = None,
    close_code: CloseCode = CloseCode.POLICY_VIOLATION,
) -> None:
    """Refuse an HTTP request or a WebSocket handshake with a status, before anything else.

    The one refusal path of the node's edges (origin, host, subprotocol, limits per address).
    Where the server cannot send an HTTP answer to an upgrade (no denial extension), the
    WebSocket is refused with `close_code` instead: 1008 as a handshake refusal, any other code
    (1013 "try again later") after an accept, since only an open socket carries its code.
    """
    headers = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}
    if retry_after is not None:
        headers["retry-after"] = str(retry_after)
    response = PlainTextResponse(reason, status_code=status, headers=headers)
    if scope["type"] != "websocket":
        await response(scope, receive, send)
        return
    ws = WebSocket(scope, receive, send)
    if "websocket.http.response" in scope.get("extensions", {}):
        await ws.send_denial_response(response)
        return
    if close_code == CloseCode.POLICY_VIOLATION:
        await ws.close(close_code, reason)
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": close_code, "reason": reason})
