"""Limits per client address: open WebSockets and handshakes, counted before the upgrade.

The node-wide limit (`max_connections`) cannot stop one client from taking every seat of a node:
300 of 300 connections from one address were accepted. Here each address (an IPv4 address, or
an IPv6 /64, the smallest block one household is usually given) may hold
`max_connections_per_address` open WebSockets and open new ones at `handshake_rate_per_address`
(a leaky bucket from aiolimiter: that many at once, then refilled evenly over the period).

Why those defaults (50 open, 20 per 10 s): a household behind one NAT address, say five people
with two devices each and three tabs, holds about 30 sockets, and a whole such household
reconnecting after a deploy or a Wi-Fi drop makes about that many handshakes at once, then
almost none; neither comes near a flood, which makes hundreds. A whole shelter or office behind
one address may need more: raise them (docs/configuration.md).

The address is `scope["client"]`, after uvicorn's proxy-header handling, so behind nginx it is
the real client's (nginx must send `X-Forwarded-For` and the node trust it: FORWARDED_ALLOW_IPS).
A connection with no address (a unix socket) is not counted.

Refusals happen before the upgrade, as plain HTTP: 429 for a handshake too many, 503 for a
connection too many, each with `Retry-After`; a server without the ASGI denial-response
extension gets the upgrade accepted and closed with 1013 and the same reason.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Final, NamedTuple

from aiolimiter import AsyncLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from server.codes import CloseCode
from server.origins import deny
from server.rates import SWEEP_AT_LEAST, Rate, take_now
from server.settings import Settings

__all__ = ["AddressBook", "AddressLimits", "Refusal", "address_book", "address_key"]

IPV6_PREFIX: Final = 64


class Refusal(NamedTuple):
    """A refused handshake: the HTTP status, the seconds to wait, and the reason given."""

    status: int
    retry_after: int
    reason: str


TOO_FAST: Final = Refusal(429, 10, "too many connection attempts from your network")
TOO_MANY: Final = Refusal(503, 30, "too many connections from your network")


def address_key(client: tuple[str, int] | list[object] | None) -> str | None:
    """The counted unit of a client address: IPv4 as is, IPv6 as its /64; None if none."""
    if not client:
        return None
    try:
        address = ipaddress.ip_address(str(client[0]))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)


@dataclass(slots=True)
class _Address:
    handshakes: AsyncLimiter | None
    open: int = 0

    def idle(self) -> bool:
        return self.open == 0 and (
            self.handshakes is None or self.handshakes.has_capacity(self.handshakes.max_rate)
        )


@dataclass(slots=True)
class AddressBook:
    """Open connections and handshake buckets per address key (no I/O; the caller awaits).

    `max_connections` 0 and `handshake_rate` None mean no limit of that kind.
    """

    max_connections: int
    handshake_rate: Rate | None
    _addresses: dict[str, _Address] = field(default_factory=dict)
    _sweep_at: int = SWEEP_AT_LEAST

    async def admit(self, key: str) -> Refusal | None:
        """Count one handshake of `key`; a refusal, or None when it may open (then `release`)."""
        entry = self._addresses.get(key)
        if entry is None:
            entry = self._addresses[key] = _Address(
                self.handshake_rate.bucket() if self.handshake_rate else None
            )
            self._sweep()
        if entry.handshakes is not None and await take_now(entry.handshakes) is not None:
            return TOO_FAST
        if self.max_connections and entry.open >= self.max_connections:
            return TOO_MANY
        entry.open += 1
        return None

    def release(self, key: str) -> None:
        entry = self._addresses.get(key)
        if entry is not None:
            entry.open -= 1

    def open_count(self, key: str) -> int:
        entry = self._addresses.get(key)
        return entry.open if entry else 0

    def _sweep(self) -> None:
        if len(self._addresses) < self._sweep_at:
            return
        for key in [k for k, entry in self._addresses.items() if entry.idle()]:
            del self._addresses[key]
        self._sweep_at = max(SWEEP_AT_LEAST, 2 * len(self._addresses))


def address_book(settings: Settings) -> AddressBook:
    rate = settings.handshake_rate_per_address
    return AddressBook(settings.max_connections_per_address, Rate.parse(rate) if rate else None)


class AddressLimits:
    """ASGI wrapper for WebSocket scopes: `app` runs only for admitted handshakes."""

    def __init__(self, app: ASGIApp, book: AddressBook) -> None:
        self.app = app
        self.book = book

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = address_key(scope.get("client"))
        if key is None or scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        refusal = await self.book.admit(key)
        if refusal is not None:
            await _refuse(scope, receive, send, refusal)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.book.release(key)


async def _refuse(scope: Scope, receive: Receive, send: Send, refusal: Refusal) -> None:
    await deny(
        scope,
        receive,
        send,
        refusal.status,
        refusal.reason,
        retry_after=refusal.retry_after,
        close_code=CloseCode.TRY_AGAIN_LATER,
    )
