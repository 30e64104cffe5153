"""HTTP endpoints: the room list, client config, health, and the token-guarded admin API."""

from __future__ import annotations

import hmac
import json
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from rooms.errors import BackendUnavailable, RoomNotFound
from rooms.model import RoomConfig, RoomConfigError

__all__ = ["admin_create_room", "admin_invite", "client_config", "healthz", "list_rooms", "readyz"]


def _state(request: Request) -> Any:
    return request.app.state.node


_LIVE_FIELDS = ("members", "observers", "mode", "round")
"""What a room's card says about the meeting now; for closed rooms, only the admin sees it."""


async def list_rooms(request: Request) -> Response:
    """The rooms. A closed room's live fields are null unless the admin token is sent: who is
    in a private group, and when it meets, is not for anyone who can reach the node."""
    try:
        rooms = await _state(request).service.summaries()
    except BackendUnavailable:
        return JSONResponse({"error": "unavailable"}, status_code=503)
    if not _authorized(request):
        rooms = [
            {**room, **dict.fromkeys(_LIVE_FIELDS)} if room["access"] == "closed" else room
            for room in rooms
        ]
    return JSONResponse(rooms)


async def client_config(request: Request) -> Response:
    settings = _state(request).settings
    return JSONResponse(
        {"crisis_text": settings.crisis_line_text, "crisis_number": settings.crisis_line_number}
    )


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def readyz(request: Request) -> Response:
    node = _state(request)
    if node.endpoint.draining:
        return PlainTextResponse("draining", status_code=503)
    try:
        await node.backend.ping()
    except BackendUnavailable:
        return PlainTextResponse("backend unavailable", status_code=503)
    return PlainTextResponse("ready")


def _authorized(request: Request) -> bool:
    expected = _state(request).admin_token
    given = request.headers.get("authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {expected}".encode())


async def _body(request: Request) -> dict[str, Any] | None:
    try:
        data = json.loads(await request.body() or b"{}")
    except (ValueError, ClientDisconnect):  # gone, or cut off by the request deadline (408)
        return None
    return data if isinstance(data, dict) else None


async def admin_create_room(request: Request) -> Response:
    if not _authorized(request):
        return JSONResponse({"error": "unauthorized"}, status_code=401)
    data = await _body(request)
    if data is None:
        return JSONResponse({"error": "bad_request", "message": "send a JSON object"}, 400)
    try:
        room = RoomConfig.from_mapping(data)
        await _state(request).service.catalog.create(room)
    except (RoomConfigError, ValueError) as exc:
        return JSONResponse({"error": "bad_request", "message": str(exc)}, status_code=400)
    return JSONResponse(room.to_mapping(), status_code=201)


async def admin_invite(request: Request) -> Response:
    if not _authorized(request):
        return JSONResponse({"error": "unauthorized"}, status_code=401)
    data = await _body(request)
    role = (data or {}).get("role", "facilitator")
    if role not in ("facilitator", "member"):
        return JSONResponse({"error": "bad_request", "message": "role: facilitator or member"}, 400)
    node = _state(request)
    slug = request.path_params["slug"]
    try:
        await node.service.catalog.get(slug)
    except RoomNotFound:
        return JSONResponse({"error": "room_not_found"}, status_code=404)
    token = node.tokens.invite(slug, role)
    key = "facilitator" if role == "facilitator" else "invite"
    # The token goes in the URL *fragment*, which browsers never send to any server.
    return JSONResponse({"token": token, "role": role, "link": f"/#room={slug}&{key}={token}"})
