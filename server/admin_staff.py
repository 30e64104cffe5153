"""Admin API for staff accounts and invite records (token-guarded like every admin route).

    GET    /api/admin/staff                  every account, revoked ones with `revoked_at`
                                             (never a credential or its hash)
    POST   /api/admin/staff                  {name, admin?, rooms?, passphrase?} -> 201, key once
    DELETE /api/admin/staff/{name}           revoke at once
    GET    /api/admin/invites                usable invites
    GET    /api/admin/rooms/{slug}/invites   usable invites of one room
    DELETE /api/admin/invites/{id}           revoke

Invites are made by `POST /api/admin/rooms/{slug}/invites` (server/api.py). Nothing here reads
a query string: no credential or filter ever travels in a URL's query.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rooms.errors import BackendUnavailable
from rooms.store import InviteRecord, StaffAccount, StoreConflict
from server.api import authorized, json_object

__all__ = ["create_staff", "list_invites", "list_staff", "revoke_invite", "revoke_staff"]

Endpoint = Callable[[Request], Awaitable[Response]]


def _admin(endpoint: Endpoint) -> Endpoint:
    """Refuse without the admin token (401); answer 503 when the store cannot be reached."""

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        if not authorized(request):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        try:
            return await endpoint(request)
        except BackendUnavailable:
            return JSONResponse({"error": "unavailable"}, status_code=503)

    return guarded


def _store(request: Request) -> Any:
    return request.app.state.node.store


def _bad(message: str, status: int = 400) -> Response:
    return JSONResponse({"error": "bad_request", "message": message}, status_code=status)


def _account(account: StaffAccount) -> dict[str, Any]:
    return {
        "name": account.name,
        "admin": account.admin,
        "rooms": sorted(account.rooms),
        "credential": account.credential,
        "created_at": account.created_at,
        "revoked_at": account.revoked_at,
    }


def _invite(invite: InviteRecord) -> dict[str, Any]:
    return {
        "id": invite.id,
        "room": invite.room,
        "role": invite.role,
        "created_at": invite.created_at,
        "expires_at": invite.expires_at,
        "single_use": invite.single_use,
    }


@_admin
async def list_staff(request: Request) -> Response:
    accounts = await _store(request).list_staff(include_revoked=True)
    return JSONResponse([_account(a) for a in accounts])


@_admin
async def create_staff(request: Request) -> Response:
    data = await json_object(request)
    if data is None:
        return _bad("send a JSON object")
    name, admin = data.get("name"), data.get("admin", False)
    rooms, passphrase = data.get("rooms", []), data.get("passphrase")
    if not isinstance(name, str):
        return _bad("name: a string")
    if not isinstance(admin, bool):
        return _bad("admin: true or false")
    if not isinstance(rooms, list) or not all(isinstance(r, str) for r in rooms):
        return _bad("rooms: a list of room slugs")
    if passphrase is not None and not isinstance(passphrase, str):
        return _bad("passphrase: a string")
    try:
        made = await _store(request).add_staff(
            name, admin=admin, rooms=rooms, passphrase=passphrase
        )
    except StoreConflict as exc:
        return JSONResponse({"error": "conflict", "message": str(exc)}, status_code=409)
    except ValueError as exc:
        return _bad(str(exc))
    body = _account(made.account)
    if made.key is not None:
        body["key"] = made.key  # shown this once; the store keeps only its hash
    return JSONResponse(body, status_code=201)


@_admin
async def revoke_staff(request: Request) -> Response:
    name = request.path_params["name"]
    if not await _store(request).revoke_staff(name):
        return JSONResponse({"error": "not_found"}, status_code=404)
    return JSONResponse({"revoked": name})


@_admin
async def list_invites(request: Request) -> Response:
    invites = await _store(request).list_invites(request.path_params.get("slug"))
    return JSONResponse([_invite(i) for i in invites])


@_admin
async def revoke_invite(request: Request) -> Response:
    invite_id = request.path_params["invite_id"]
    if not await _store(request).revoke_invite(invite_id):
        return JSONResponse({"error": "not_found"}, status_code=404)
    return JSONResponse({"revoked": invite_id})
