"""Staff sign-in over HTTP: a name and passphrase (or key) in, a short-lived staff token out.

    POST /api/staff/session   {"name", "secret"} -> 200 {"token", "name", "admin", "rooms",
                              "expires_in"}; 401 `invalid_credentials`; 429 `rate_limited`;
                              503 `unavailable`

The token goes into a join's `staff` field (docs/protocol.md §3.1). The secret travels in the
body only, never in a URL, and nothing of the request is logged. Argon2 makes each check cost
tens of milliseconds of CPU on purpose, so the node checks at most `SIGN_INS_PER_SECOND`
sign-ins a second (aiolimiter's leaky bucket) and answers 429 beyond that, rather than letting
a flood of guesses starve the meetings.
"""

from __future__ import annotations

from typing import Final

from aiolimiter import AsyncLimiter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rooms.errors import BackendUnavailable
from server.api import json_object
from server.rates import take_now
from server.tokens import STAFF_TOKEN_MAX_AGE

__all__ = ["SIGN_INS_PER_SECOND", "SignIns", "staff_session"]

SIGN_INS_PER_SECOND: Final = 10


class SignIns:
    """The node's budget of sign-in checks (one per node, made in the lifespan)."""

    def __init__(self, per_second: int = SIGN_INS_PER_SECOND) -> None:
        self._bucket = AsyncLimiter(per_second, 1)

    async def take(self) -> bool:
        """Take one check if the bucket has room now (never waits)."""
        return await take_now(self._bucket) is None


def _bad(message: str) -> Response:
    return JSONResponse({"error": "bad_request", "message": message}, status_code=400)


async def staff_session(request: Request) -> Response:
    node = request.app.state.node
    data = await json_object(request)
    if data is None:
        return _bad("send a JSON object")
    name, secret = data.get("name"), data.get("secret")
    if not isinstance(name, str) or not isinstance(secret, str) or not name or not secret:
        return _bad("name and secret: strings")
    if len(name) > 64 or len(secret) > 1024:
        return _bad("name or secret too long")
    if not await node.sign_ins.take():
        return JSONResponse({"error": "rate_limited"}, status_code=429)
    try:
        signed_in = await node.endpoint.handlers.facilitators.sign_in(name, secret)
    except BackendUnavailable:
        return JSONResponse({"error": "unavailable"}, status_code=503)
    if signed_in is None:
        return JSONResponse({"error": "invalid_credentials"}, status_code=401)
    account, token = signed_in
    return JSONResponse(
        {
            "token": token,
            "name": account.name,
            "admin": account.admin,
            "rooms": sorted(account.rooms),
            "expires_in": STAFF_TOKEN_MAX_AGE,
        }
    )
