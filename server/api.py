"""HTTP endpoints: the room list, client config, health, and the token-guarded admin API.

The admin routes for staff accounts and invite records are in `server/admin_staff.py`.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from rooms.errors import BackendUnavailable, RoomNotFound
from rooms.model import RoomConfig, RoomConfigError
from server.crisis_lines import today
from server.tokens import FACILITATOR_INVITE_MAX_AGE, ROOM_INVITE_MAX_AGE

__all__ = [
    "admin_create_room",
    "admin_invite",
    "authorized",
    "client_config",
    "healthz",
    "json_object",
    "list_rooms",
    "readyz",
]


def _state(request: Request) -> Any:
    return request.app.state.node


_LIVE_FIELDS = ("members", "observers", "mode", "round", "part", "facilitator_present")
"""What a room's card says about the meeting now; for closed rooms, only the admin sees it."""


async def list_rooms(request: Request) -> Response:
    """The rooms. A closed room's live fields are null unless the admin token is sent: who is
    in a private group, and when it meets, is not for anyone who can reach the node."""
    node = _state(request)
    try:
        rooms = await node.service.summaries()
        on_call = node.oncall is not None and bool(await node.oncall.desk.on_call())
    except BackendUnavailable:
        return JSONResponse({"error": "unavailable"}, status_code=503)
    rooms = [{**room, "on_call": on_call} for room in rooms]  # someone on call, server-wide
    if not authorized(request):
        rooms = [
            {**room, **dict.fromkeys(_LIVE_FIELDS)} if room["access"] == "closed" else room
            for room in rooms
        ]
    return JSONResponse(rooms)


async def client_config(request: Request) -> Response:
    node = _state(request)
    settings = node.settings
    day = today(node.service.clock.now())
    return JSONResponse(
        {
            "crisis_text": settings.crisis_line_text,
            "crisis_number": settings.crisis_line_number,
            # rooms/crisis.py: never empty, emergency first, each with its tel:/sms:/https link
            "crisis": node.endpoint.handlers.crisis_lines.resolve(None, None, day),
        }
    )


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def readyz(request: Request) -> Response:
    node = _state(request)
    if node.endpoint.unready:  # from the first SIGTERM on (docs/operations.md)
        return PlainTextResponse("draining", status_code=503)
    try:
        await node.backend.ping()
    except BackendUnavailable:
        return PlainTextResponse("backend unavailable", status_code=503)
    return PlainTextResponse("ready")


def authorized(request: Request) -> bool:
    """Whether the request carries the admin token (compared in constant time)."""
    expected = _state(request).admin_token
    given = request.headers.get("authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {expected}".encode())


async def json_object(request: Request) -> dict[str, Any] | None:
    """The request body as a JSON object ({} when empty), or None if it is anything else."""
    try:
        data = json.loads(await request.body() or b"{}")
    except (ValueError, ClientDisconnect):  # gone, or cut off by the request deadline (408)
        return None
    return data if isinstance(data, dict) else None


async def admin_create_room(request: Request) -> Response:
    if not authorized(request):
        return JSONResponse({"error": "unauthorized"}, status_code=401)
    data = await json_object(request)
    if data is None:
        return JSONResponse({"error": "bad_request", "message": "send a JSON object"}, 400)
    try:
        room = RoomConfig.from_mapping(data)
        await _state(request).service.catalog.create(room)
    except (RoomConfigError, ValueError) as exc:
        return JSONResponse({"error": "bad_request", "message": str(exc)}, status_code=400)
    except BackendUnavailable:
        return JSONResponse({"error": "unavailable"}, status_code=503)
    return JSONResponse(room.to_mapping(), status_code=201)


async def admin_invite(request: Request) -> Response:
    """Make an invite: a record in the store (revocable; `single_use`, `ttl_seconds` optional)
    and a signed token naming it."""
    if not authorized(request):
        return JSONResponse({"error": "unauthorized"}, status_code=401)
    data = await json_object(request) or {}
    role = data.get("role", "facilitator")
    if role not in ("facilitator", "member"):
        return JSONResponse({"error": "bad_request", "message": "role: facilitator or member"}, 400)
    longest = FACILITATOR_INVITE_MAX_AGE if role == "facilitator" else ROOM_INVITE_MAX_AGE
    ttl = data.get("ttl_seconds", longest)
    single_use = data.get("single_use", False)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 60 <= ttl <= longest:
        message = f"ttl_seconds: an integer from 60 to {longest}"
        return JSONResponse({"error": "bad_request", "message": message}, 400)
    if not isinstance(single_use, bool):
        return JSONResponse({"error": "bad_request", "message": "single_use: true or false"}, 400)
    node = _state(request)
    slug = request.path_params["slug"]
    try:
        await node.service.catalog.get(slug)
        record = await node.store.create_invite(slug, role, ttl=ttl, single_use=single_use)
    except RoomNotFound:
        return JSONResponse({"error": "room_not_found"}, status_code=404)
    except BackendUnavailable:
        return JSONResponse({"error": "unavailable"}, status_code=503)
    token = node.tokens.invite(slug, role, ref=record.id)
    key = "facilitator" if role == "facilitator" else "invite"
    # The token goes in the URL *fragment*, which browsers never send to any server.
    return JSONResponse(
        {
            "token": token,
            "role": role,
            "id": record.id,
            "expires_at": record.expires_at,
            "single_use": single_use,
            "link": f"/#room={slug}&{key}={token}",
        }
    )
