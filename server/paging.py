"""Outgoing webhooks: page staff when an alert waits, and stand the pagers down when it is taken.

The rules are pure and tested without a network: `next_attempt_at` (the retry schedule, with
the clock's `now` and the jitter passed in) and `classify` (what a status code means). The
`Pager` is the thin driver: it turns on-call effects into events (server/paging_formats.py),
sends them with httpx, and sleeps on the injected clock between attempts, so tests move time
by hand instead of waiting for real backoff.

Delivery (SAFETY-NET §1): only 2xx succeeds; a 3xx fails and is not followed; timeout 10 s.
Retries at once, 5 s, 30 s, 2 min, 5 min, then every 5 min ±20 % while the alert stays
unclaimed, for at most 30 min. 429/502/503/504 honour `Retry-After` (at most 60 s). 410
disables the endpoint; any other 4xx flags it broken. Private, loopback and link-local
destinations are refused unless the configuration allows them.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from urllib.parse import urlsplit

import httpx

from rooms.clock import Clock
from rooms.oncall import Alert, Effect, Page, StandDown
from rooms.oncall.rules import SEVERITY
from server.paging_formats import (
    EventType,
    OutgoingRequest,
    WebhookEvent,
    build_request,
    opaque_room,
)
from server.paging_rules import (
    GIVE_UP_AFTER,
    REPEAT_EVERY,
    RETRY_AFTER_CAP,
    RETRY_DELAYS,
    Verdict,
    classify,
    next_attempt_at,
    retry_after_seconds,
)
from server.paging_settings import Endpoint, PagingConfigError, PagingSettings

__all__ = [
    "GIVE_UP_AFTER",
    "REPEAT_EVERY",
    "RETRY_AFTER_CAP",
    "RETRY_DELAYS",
    "DestinationRefused",
    "Endpoint",
    "EndpointHealth",
    "EndpointStatus",
    "Pager",
    "PagingConfigError",
    "PagingSettings",
    "Verdict",
    "check_destination",
    "classify",
    "next_attempt_at",
    "retry_after_seconds",
]

log = logging.getLogger(__name__)


class DestinationRefused(Exception):
    """The endpoint's address is private, loopback, link-local or otherwise not public, and the
    configuration does not allow such destinations (a guard against request forgery)."""


async def check_destination(url: str, *, allow_private: bool) -> None:
    """Resolve `url`'s host and refuse it unless every address is public (or allowed).

    Raises:
        DestinationRefused: naming the endpoint's host only, never the full URL.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if allow_private:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port)
    except OSError as exc:
        raise DestinationRefused(f"cannot resolve {host}: {exc.strerror}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise DestinationRefused(f"{host} resolves to a non-public address")


class EndpointHealth(StrEnum):
    OK = "ok"
    FAILING = "failing"
    """The last attempt failed and will be retried."""
    BROKEN = "broken"
    """A 4xx other than 408/410/429, or a refused address: fix the configuration."""
    DISABLED = "disabled"
    """The receiver answered 410; nothing is sent to it until the server restarts."""


@dataclass(frozen=True, slots=True)
class EndpointStatus:
    health: EndpointHealth = EndpointHealth.OK
    last_status: int | None = None
    """The last HTTP status, None if there was no answer (timeout, connection refused)."""
    last_attempt_at: float | None = None


@dataclass(slots=True)
class _Delivery:
    event: WebhookEvent
    endpoint: Endpoint
    attempts: int = 0
    next_at: float | None = None


class Pager:
    """Sends pages and stand-downs; use as `async with Pager(settings, clock=clock) as pager`.

    `handle(effect)` never blocks and never raises for a delivery problem: each delivery runs
    in its own task, logs ids and status codes only, and updates `health()`.
    """

    def __init__(
        self,
        settings: PagingSettings,
        *,
        clock: Clock,
        rng: random.Random | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._rng = rng or random.Random()
        self._client = httpx.AsyncClient(
            timeout=settings.timeout_s, follow_redirects=False, transport=transport
        )
        self._status = {e.name: EndpointStatus() for e in settings.endpoints}
        self._unclaimed: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._paged: dict[str, set[str]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._pending: dict[asyncio.Task[None], _Delivery] = {}
        # httpx logs every request URL at INFO; a webhook URL is a credential.
        logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").level))

    async def __aenter__(self) -> Pager:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Cancel every pending delivery and close the HTTP client."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._client.aclose()

    def health(self) -> Mapping[str, EndpointStatus]:
        """Each endpoint's state, for the staff console."""
        return dict(self._status)

    def next_attempts(self) -> Mapping[tuple[str, str], float | None]:
        """(event id, endpoint name) → when its next attempt is due, for deliveries waiting."""
        return {(d.event.event_id, d.endpoint.name): d.next_at for d in self._pending.values()}

    def handle(self, effect: Effect) -> None:
        """Carry out an on-call effect: a `Page` or a `StandDown`; others are for consoles."""
        if isinstance(effect, Page):
            self._page(effect)
        elif isinstance(effect, StandDown):
            self._stand_down(effect.alert)

    def settle(self, alert_id: str) -> None:
        """Stop retrying this alert's pending `alert.unclaimed` deliveries (it was taken or
        closed, possibly on another node); sends nothing."""
        for key in [k for k in self._unclaimed if k[0] == alert_id]:
            self._unclaimed.pop(key).cancel()

    async def test(self, name: str) -> EndpointStatus:
        """Send one `endpoint.test` event to endpoint `name`, once, and report the answer.

        Raises:
            KeyError: no endpoint has this name.
        """
        endpoint = next((e for e in self.settings.endpoints if e.name == name), None)
        if endpoint is None:
            raise KeyError(name)
        now = self._clock.now()
        event = WebhookEvent(f"evt_test_{int(now)}", EventType.TEST, now)
        delivery = _Delivery(event, endpoint)
        await self._attempt(delivery, now)
        return self._status[name]

    async def drain(self) -> None:
        """Wait until every delivery has ended (tests; a server cancels with `close`)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # ---------------------------------------------------------------------------------------

    def _event(self, alert: Alert, kind: EventType, level: int, waited_s: int) -> WebhookEvent:
        # Identical on every retry of one event, distinct between events (receivers dedupe on it).
        serial = f"{alert.pages}" + ("" if kind is EventType.UNCLAIMED else f"_{alert.status}")
        base = self.settings.console_url.rstrip("/")
        return WebhookEvent(
            event_id=f"evt_{alert.id}_{serial}",
            type=kind,
            at=self._clock.now(),
            alert_id=alert.id,
            kind=str(alert.kind),
            severity=str(SEVERITY[alert.kind]),
            room=opaque_room(alert.room, self.settings.room_key),
            waited_s=waited_s,
            level=level,
            console_url=f"{base}/alerts/{alert.id}" if base else "",
        )

    def _page(self, page: Page) -> None:
        event = self._event(page.alert, EventType.UNCLAIMED, int(page.level), page.waited_s)
        for endpoint in self.settings.endpoints:
            if endpoint.min_level > page.level:
                continue
            key = (page.alert.id, endpoint.name)
            if (older := self._unclaimed.pop(key, None)) is not None:
                older.cancel()  # the newer page supersedes a retry still pending
            self._paged.setdefault(page.alert.id, set()).add(endpoint.name)
            self._unclaimed[key] = self._start(_Delivery(event, endpoint))

    def _stand_down(self, alert: Alert) -> None:
        kind = {
            "taken": EventType.TAKEN,
            "resolved": EventType.RESOLVED,
            "cancelled": EventType.CANCELLED,
        }.get(str(alert.status))
        if kind is None:
            return
        self.settle(alert.id)
        # Another node may have sent the pages (the alert desk carries out each effect on the
        # node whose compare-and-set won): then stand every endpoint down.
        everyone = {e.name for e in self.settings.endpoints} if alert.pages > 0 else set()
        paged = self._paged.get(alert.id) or everyone
        if alert.status.closed:
            self._paged.pop(alert.id, None)
        event = self._event(alert, kind, 0, 0)
        for endpoint in self.settings.endpoints:
            if endpoint.name in paged:
                self._start(_Delivery(event, endpoint))

    def _start(self, delivery: _Delivery) -> asyncio.Task[None]:
        task = asyncio.create_task(self._guarded(delivery))
        self._tasks.add(task)
        self._pending[task] = delivery
        task.add_done_callback(self._forget)
        return task

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._pending.pop(task, None)
        for key, held in list(self._unclaimed.items()):
            if held is task:
                del self._unclaimed[key]

    async def _guarded(self, delivery: _Delivery) -> None:
        """A delivery that cannot die silently: a bug is logged (ids only) and ends it."""
        try:
            await self._deliver(delivery)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error(
                "page delivery bug event=%s endpoint=%s error=%s",
                delivery.event.event_id,
                delivery.endpoint.name,
                type(exc).__name__,
            )

    async def _deliver(self, delivery: _Delivery) -> None:
        first_at = attempt_at = self._clock.now()
        while self._status[delivery.endpoint.name].health is not EndpointHealth.DISABLED:
            delivery.next_at = None
            verdict, retry_after = await self._attempt(delivery, attempt_at)
            if verdict is not Verdict.RETRY:
                return
            jitter = self._rng.uniform(-1.0, 1.0)
            next_at = next_attempt_at(
                first_at, delivery.attempts, attempt_at, retry_after=retry_after, jitter=jitter
            )
            if next_at is None:
                log.warning(
                    "page given up event=%s endpoint=%s attempts=%d",
                    delivery.event.event_id,
                    delivery.endpoint.name,
                    delivery.attempts,
                )
                return
            delivery.next_at = next_at
            await self._clock.sleep_until(next_at)
            attempt_at = max(next_at, self._clock.now())

    async def _attempt(self, delivery: _Delivery, at: float) -> tuple[Verdict, float | None]:
        endpoint = delivery.endpoint
        delivery.attempts += 1
        request = self._request(delivery.event, endpoint, at)
        try:
            await check_destination(
                endpoint.url, allow_private=self.settings.allow_private_addresses
            )
            response = await self._client.post(
                request.url, content=request.body, headers=dict(request.headers)
            )
        except DestinationRefused as exc:
            log.warning("page refused endpoint=%s reason=%s", endpoint.name, exc)
            self._status[endpoint.name] = EndpointStatus(EndpointHealth.BROKEN, None, at)
            return Verdict.BROKEN, None
        except httpx.HTTPError as exc:
            log.warning("page failed endpoint=%s error=%s", endpoint.name, type(exc).__name__)
            self._status[endpoint.name] = EndpointStatus(EndpointHealth.FAILING, None, at)
            return Verdict.RETRY, None
        verdict = classify(response.status_code)
        self._record(delivery, response.status_code, verdict, at)
        return verdict, retry_after_seconds(response.status_code, response.headers, at)

    def _request(self, event: WebhookEvent, endpoint: Endpoint, at: float) -> OutgoingRequest:
        return build_request(
            event,
            url=endpoint.url,
            receiver=endpoint.receiver,
            at=at,
            secrets=endpoint.secrets,
            token=endpoint.token,
        )

    def _record(self, delivery: _Delivery, status: int, verdict: Verdict, at: float) -> None:
        health = {
            Verdict.DELIVERED: EndpointHealth.OK,
            Verdict.RETRY: EndpointHealth.FAILING,
            Verdict.GONE: EndpointHealth.DISABLED,
            Verdict.BROKEN: EndpointHealth.BROKEN,
        }[verdict]
        self._status[delivery.endpoint.name] = EndpointStatus(health, status, at)
        level = logging.INFO if verdict is Verdict.DELIVERED else logging.WARNING
        log.log(
            level,
            "page %s event=%s endpoint=%s status=%d attempt=%d",
            verdict,
            delivery.event.event_id,
            delivery.endpoint.name,
            status,
            delivery.attempts,
        )
