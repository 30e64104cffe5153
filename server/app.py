"""The ASGI application: routes as data, shared resources from the lifespan.

`create_app(settings)` builds a Starlette app whose lifespan opens the backend, the rooms
service, the command handlers and the WebSocket endpoint, and hands them to the routes through
`app.state.node` (STYLE.md §15: no module-global state).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from rooms.backends import open_audio_bus, open_backend
from rooms.backends.base import Backend
from rooms.catalog import Catalog
from rooms.clock import Clock, OffsetFileClock, SystemClock
from rooms.meeting import RoomRules
from rooms.service import RoomsService, ServiceSettings
from rooms.store import Store
from server import admin_staff, api, metrics, staff_api, storage
from server.endpoint import Endpoint
from server.facilitators import Facilitators
from server.handlers import Handlers
from server.headers import CSP  # the security headers are added by server/runner.py
from server.limits import AddressLimits, address_book
from server.media import MediaEndpoint
from server.oncall_setup import OnCall
from server.origins import OriginPolicy, deny
from server.settings import Settings
from server.staff_api import SignIns
from server.staff_channel import StaffChannel
from server.tokens import Tokens

__all__ = ["CLIENT_DIR", "CSP", "Node", "create_app"]

log = logging.getLogger(__name__)

CLIENT_DIR = Path(__file__).resolve().parent.parent / "web_client"


@dataclass(slots=True)
class Node:
    """What one node shares between its routes."""

    settings: Settings
    backend: Backend
    service: RoomsService
    tokens: Tokens
    endpoint: Endpoint
    admin_token: str
    store: Store
    """The durable store (rooms, staff, invites, bans, reports, moderation log)."""
    sign_ins: SignIns = field(default_factory=SignIns)
    """The node's budget of staff sign-in checks (server/staff_api.py)."""
    oncall: OnCall | None = None
    """The pager, the alert desk and the alert sources (server/oncall_setup.py)."""
    media: MediaEndpoint | None = None
    """Voice: the media connections on `/media` (server/media.py)."""


class SharecircleApp(Starlette):
    """Starlette, with WebSockets on `/ws` handed straight to the endpoint.

    Every open WebSocket keeps its whole ASGI call chain suspended for as long as it lives;
    skipping the HTTP middleware (error pages, security headers, exception handlers, the router)
    leaves about half as many coroutine frames per idle member. The endpoint handles every
    error of its own connections, so nothing those layers would do is lost.
    """

    address_limits: AddressLimits  # per client address, before the upgrade (server/limits.py)
    media_limits: AddressLimits  # the same limits and counts, for media connections (`/media`)
    origins: OriginPolicy  # trusted Host names, checked first (server/origins.py)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and not self.origins.host_allowed(
            _host_header(scope)
        ):
            await deny(scope, receive, send, 400, "unknown host")
            return
        if scope["type"] == "websocket" and scope["path"] == "/ws":
            scope["app"] = self
            await self.address_limits(scope, receive, send)
            return
        if scope["type"] == "websocket" and scope["path"] == MEDIA_PATH:
            scope["app"] = self
            await self.media_limits(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _host_header(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"host":
            return str(value.decode("latin-1"))
    return ""


def _open_backend(settings: Settings, clock: Clock) -> Backend:
    # Redis keeps its own time (TIME) for the window; in one process the backend shares
    # the node's clock, so a test's manual clock ages the window too.
    extra: dict[str, Any] = (
        {"on_reconnect": metrics.backend_reconnected} if settings.redis_url else {"clock": clock}
    )
    return open_backend(
        settings.redis_url or "memory://",
        window_seconds=settings.replay_window_seconds,
        window_max_events=settings.replay_max_events,
        # Events a room's subscription may hold before the hub takes them; a join storm
        # publishes thousands at once, and an overflow costs every client a resync.
        queue_size=10_000,
        **extra,
    )


def _service_settings(settings: Settings) -> ServiceSettings:
    return ServiceSettings(
        presence_ttl=settings.presence_ttl_seconds,
        presence_interval=settings.presence_interval_seconds,
        # A resume's backlog is queued at once and must fit the outbox with room to spare for
        # live events, or the client is closed with 4008 as it resumes.
        resume_max_events=min(settings.resume_max_events, settings.outbox_max_messages // 2),
        resume_max_bytes=settings.outbox_max_bytes // 2,
        resume_scan_events=settings.replay_max_events,
        members_page_size=settings.members_page_size,
        batch_presence_from=settings.presence_batch_members,
        max_text_chars=settings.max_text_chars,
        session_lifetime=settings.session_lifetime_seconds,
        replay_window=settings.replay_window_seconds,
        rules=RoomRules(
            grace_seconds=settings.grace_seconds,
            seat_hold_seconds=settings.seat_hold_seconds,
            raid_joins=settings.raid_joins,
            raid_window_seconds=settings.raid_window_seconds,
            raid_listen_only_seconds=settings.raid_listen_only_seconds,
        ),
    )


async def staff_console(request: Request) -> Response:
    """The staff console (web_client/staff.html), served like the member client."""
    return FileResponse(CLIENT_DIR / "staff.html")


ROUTES = [
    Route("/staff", staff_console),
    Route("/api/rooms", api.list_rooms),
    Route("/api/config", api.client_config),
    Route("/healthz", api.healthz),
    Route("/readyz", api.readyz),
    Route("/metrics", metrics.endpoint),
    Route("/api/staff/session", staff_api.staff_session, methods=["POST"]),
    Route("/api/admin/rooms", api.admin_create_room, methods=["POST"]),
    Route("/api/admin/rooms/{slug}/invites", api.admin_invite, methods=["POST"]),
    Route("/api/admin/staff", admin_staff.list_staff, methods=["GET"]),
    Route("/api/admin/staff", admin_staff.create_staff, methods=["POST"]),
    Route("/api/admin/staff/{name}", admin_staff.revoke_staff, methods=["DELETE"]),
    Route("/api/admin/invites", admin_staff.list_invites, methods=["GET"]),
    Route("/api/admin/rooms/{slug}/invites", admin_staff.list_invites, methods=["GET"]),
    Route("/api/admin/invites/{invite_id}", admin_staff.revoke_invite, methods=["DELETE"]),
    Mount("/", StaticFiles(directory=CLIENT_DIR, html=True), name="client"),
]


async def _websocket(scope: Scope, receive: Receive, send: Send) -> None:
    await scope["app"].state.node.endpoint(scope, receive, send)


MEDIA_PATH = "/media"
"""The media connection's route (docs/protocol.md §9); kept apart from `/ws` on purpose."""


async def _media(scope: Scope, receive: Receive, send: Send) -> None:
    await scope["app"].state.node.media(scope, receive, send)


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    backend: Backend | None = None,
    store: Store | None = None,
) -> Starlette:
    """Build the app. `clock`, `backend` and `store` are injectable for tests."""
    if clock is None:
        clock = (
            OffsetFileClock(settings.test_clock_file) if settings.test_clock_file else SystemClock()
        )
    node_clock = clock

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        be = backend or _open_backend(settings, node_clock)
        st = store or await storage.open_node_store(settings, node_clock)
        await storage.adopt_backend_rooms(be, st)
        catalog = Catalog(st, settings.rooms)
        service = RoomsService(be, catalog, node_clock, _service_settings(settings), store=st)
        service.hub.fanout_observers.append(metrics.observe_fanout)
        tokens = Tokens(
            settings.secret or secrets.token_urlsafe(32),
            session_lifetime=settings.session_lifetime_seconds,
        )
        facilitators = Facilitators(st, tokens, node_clock)
        oncall = await OnCall.open(
            settings, store=st, backend=be, service=service, clock=node_clock
        )
        handlers = Handlers(
            service, tokens, settings, facilitators, route_report=oncall.sources.route_report
        )
        staff = StaffChannel(
            oncall.desk,
            facilitators,
            tokens,
            service,
            node_clock,
            conversations=handlers.conversations,  # the staff side of the crisis lane
            heartbeat_seconds=settings.heartbeat_ms / 1000,
        )
        endpoint = Endpoint(handlers, settings, staff)
        service.talk.use_desk(oncall.desk)
        await service.talk.start()  # the conversation bus is live before anyone can speak
        admin = settings.admin_token or secrets.token_urlsafe(32)
        bus = open_audio_bus(settings.redis_url or "memory://")
        media = MediaEndpoint(service, tokens, bus, settings)
        app.state.node = Node(
            settings, be, service, tokens, endpoint, admin, st, oncall=oncall, media=media
        )
        sweeper = asyncio.create_task(
            storage.sweep_forever(st, node_clock, settings.retention_sweep_seconds)
        )
        try:
            yield
        finally:
            endpoint.drain()
            media.drain()
            sweeper.cancel()
            await media.aclose()
            await oncall.aclose()
            await service.aclose()
            if backend is None:
                await be.aclose()
            if store is None:
                await st.aclose()

    app = SharecircleApp(routes=ROUTES, lifespan=lifespan)
    # One book for both routes, as nginx counts /ws and /media together per address.
    book = address_book(settings)
    app.address_limits = AddressLimits(_websocket, book)
    app.media_limits = AddressLimits(_media, book)
    app.origins = OriginPolicy.from_settings(settings)
    return app
