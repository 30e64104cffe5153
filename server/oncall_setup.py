"""The node's on-call parts, from its settings: the pager, the alert desk, the alert sources.

`OnCall.open(...)` builds and starts them in the lifespan (server/app.py) and `aclose` stops
them. The paging settings come from `Settings` (`paging_endpoints`, `paging_allow_private`,
`paging_timeout_seconds`, `staff_console_url`); the key behind the opaque room ids of pages is
derived from the server secret, so every node of a cluster names a room the same way (without
a secret, one embedded node: a random key per process).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from rooms.alert_sources import AlertSources
from rooms.alerts import AlertDesk
from rooms.backends.base import Backend
from rooms.clock import Clock
from rooms.service import RoomsService
from rooms.store import Store
from server.paging import Pager
from server.paging_settings import PagingSettings
from server.settings import Settings

__all__ = ["OnCall", "paging_settings", "room_key"]


def room_key(secret: str | None) -> bytes:
    """The key of opaque room ids in pages (`paging_formats.opaque_room`)."""
    material = secret.encode() if secret else secrets.token_bytes(32)
    return hashlib.sha256(b"sharecircle.paging-room:" + material).digest()


def _console_url(settings: Settings) -> str:
    if settings.staff_console_url:
        return settings.staff_console_url
    if settings.public_origin:
        return settings.public_origin.rstrip("/") + "/staff"
    return ""


def paging_settings(settings: Settings, key: bytes = b"") -> PagingSettings:
    """The pager's settings (raises `PagingConfigError` naming an endpoint, never its URL)."""
    return PagingSettings(
        endpoints=tuple(settings.paging_endpoints),
        room_key=key,
        console_url=_console_url(settings),
        allow_private_addresses=settings.paging_allow_private,
        timeout_s=settings.paging_timeout_seconds,
    )


@dataclass(slots=True)
class OnCall:
    """What the lifespan holds for on-call: stop it with `aclose`."""

    pager: Pager
    desk: AlertDesk
    sources: AlertSources

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        store: Store,
        backend: Backend,
        service: RoomsService,
        clock: Clock,
    ) -> OnCall:
        pager = Pager(paging_settings(settings, room_key(settings.secret)), clock=clock)
        desk = AlertDesk(store, backend, clock, pager=pager)
        sources = AlertSources(desk, service, store)
        try:
            await desk.start()
            await sources.attach()
        except BaseException:
            await desk.aclose()
            await pager.close()
            raise
        return cls(pager, desk, sources)

    async def aclose(self) -> None:
        await self.sources.aclose()
        await self.desk.aclose()
        await self.pager.close()
