"""What the server configures for paging: the endpoints and the few knobs around them.

A frozen dataclass for now; the server's settings file will read into it when issue 14 is
wired (docs/operations.md, "Paging webhooks", shows the endpoint fields as TOML).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from rooms.oncall import PageLevel
from server.paging_formats import Receiver

__all__ = ["Endpoint", "PagingConfigError", "PagingSettings"]


class PagingConfigError(ValueError):
    """A paging endpoint or setting is unusable; the message names the endpoint, never its URL."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One configured receiver. Its URL, token and secrets are credentials: never logged or
    shown (`repr` hides them)."""

    name: str
    url: str = field(repr=False)
    receiver: Receiver = Receiver.GENERIC
    secrets: tuple[str, ...] = field(default=(), repr=False)
    """`whsec_…` signing secrets; two during a rotation (both signatures are sent)."""
    token: str = field(default="", repr=False)
    """ntfy access token (`tk_…`), sent as `Authorization: Bearer`."""
    min_level: PageLevel = PageLevel.ON_CALL
    """`on_call` endpoints get every page; `all_staff` ones only the wider escalation."""

    def __post_init__(self) -> None:
        try:
            scheme = httpx.URL(self.url).scheme
        except httpx.InvalidURL:
            raise PagingConfigError(
                f"paging endpoint {self.name!r}: the url is not valid"
            ) from None
        if scheme not in ("https", "http"):
            raise PagingConfigError(f"paging endpoint {self.name!r}: the url must be https://")
        if self.receiver is Receiver.GENERIC and not self.secrets:
            raise PagingConfigError(
                f"paging endpoint {self.name!r}: a generic endpoint needs a secret"
            )
        if any(not secret.startswith("whsec_") for secret in self.secrets):
            raise PagingConfigError(f"paging endpoint {self.name!r}: secrets start with whsec_")
        if self.min_level is PageLevel.CONSOLE:
            raise PagingConfigError(
                f"paging endpoint {self.name!r}: min_level is on_call or all_staff"
            )


@dataclass(frozen=True, slots=True)
class PagingSettings:
    """What the server configures for paging (see docs/operations.md, "Paging webhooks")."""

    endpoints: tuple[Endpoint, ...] = ()
    room_key: bytes = field(default=b"", repr=False)
    """Key for opaque room ids; derive it from the server secret so all nodes agree."""
    console_url: str = ""
    """Base URL of the staff console; pages link to `{console_url}/alerts/{alert_id}`."""
    allow_private_addresses: bool = False
    """Allow loopback and private destinations (tests, a receiver on the same LAN)."""
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        names = [endpoint.name for endpoint in self.endpoints]
        if len(names) != len(set(names)):
            raise PagingConfigError("paging endpoints need distinct names")
        for endpoint in self.endpoints:
            if urlsplit(endpoint.url).scheme == "http" and not self.allow_private_addresses:
                raise PagingConfigError(
                    f"paging endpoint {endpoint.name!r}: the url must be https://"
                )
