"""Signed tokens: sessions, facilitator invites, room invites and staff sign-ins.

Signing uses itsdangerous (HMAC-SHA1 over a key derived per purpose with its `salt`), so a
token made for one purpose is never valid for another, and nobody without the server's secret can
forge or edit one. Tokens are signed, not encrypted: they hold ids, never anything confidential.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Final

from itsdangerous import BadSignature, URLSafeTimedSerializer

__all__ = ["Invite", "SessionClaims", "StaffClaims", "TokenError", "Tokens"]

SESSION_MAX_AGE: Final = 12 * 3600
FACILITATOR_INVITE_MAX_AGE: Final = 7 * 24 * 3600
ROOM_INVITE_MAX_AGE: Final = 30 * 24 * 3600
STAFF_TOKEN_MAX_AGE: Final = 3600
"""A staff sign-in is good for joining for an hour; the account is checked again at every join
and every command, so the token's age bounds only how long a stolen one could be replayed
before the account is revoked (docs/protocol.md §3.1)."""


class TokenError(ValueError):
    """A token is forged, expired, malformed or made for something else."""


@dataclass(frozen=True, slots=True)
class SessionClaims:
    """What a session token says: opaque ids and the session's absolute end, nothing more.

    The room, the display name and the rest live server-side with the session
    (rooms/sessions.py), where a leave, removal or ban ends it (docs/privacy.md).
    """

    member_id: str
    session_id: str
    expires: int
    """Absolute end (node clock, whole seconds); a reissued token keeps it."""
    facilitator: str | None = None
    """What made this person a facilitator, checked again at every command and resume:
    `s:<staff name>` or `i:<invite id>` (server/facilitators.py); None for everyone else."""


@dataclass(frozen=True, slots=True)
class StaffClaims:
    """What a staff token says: which account, as made when (a re-made account is another)."""

    name: str
    created_at: float


@dataclass(frozen=True, slots=True)
class Invite:
    room: str
    role: str  # "facilitator" or "member"
    ref: str | None = None
    """The id of the invite's record in the store (revocable, single-use or time-limited);
    None for invites signed before records existed."""


class Tokens:
    """Makes and checks every token the server hands out."""

    def __init__(self, secret: str, *, session_lifetime: float = SESSION_MAX_AGE) -> None:
        # The signature's own age check only backs up the session's absolute end (checked
        # against the server-side record with the node's clock), so it is never shorter.
        self._session_max_age = max(int(session_lifetime), 1)
        self._session = URLSafeTimedSerializer(secret, salt="sharecircle.session.v1")
        self._facilitator = URLSafeTimedSerializer(secret, salt="sharecircle.facilitator.v1")
        self._room = URLSafeTimedSerializer(secret, salt="sharecircle.room-invite.v1")
        self._staff = URLSafeTimedSerializer(secret, salt="sharecircle.staff.v1")

    def session(self, claims: SessionClaims) -> str:
        payload: dict[str, Any] = {
            "m": claims.member_id,
            "s": claims.session_id,
            "x": claims.expires,
        }
        if claims.facilitator is not None:
            payload["f"] = claims.facilitator
        return str(self._session.dumps(payload))

    def check_session(self, token: str) -> SessionClaims:
        data = self._load(self._session, token, self._session_max_age)
        try:
            return SessionClaims(
                member_id=str(data["m"]),
                session_id=str(data["s"]),
                expires=int(data["x"]),
                facilitator=None if data.get("f") is None else str(data["f"]),
            )
        except (KeyError, TypeError, ValueError):
            raise TokenError("malformed session token") from None

    def invite(self, room: str, role: str, ref: str | None = None) -> str:
        """A facilitator invite (role "facilitator") or a closed room's invite (role "member").

        `ref` names the invite's record in the store, which decides whether it may still be used.
        """
        signer = self._facilitator if role == "facilitator" else self._room
        payload: dict[str, Any] = {"r": room, "k": secrets.token_hex(4)}
        if ref is not None:
            payload["i"] = ref
        return str(signer.dumps(payload))

    def check_invite(self, token: str, room: str, role: str) -> Invite:
        if role == "facilitator":
            data = self._load(self._facilitator, token, FACILITATOR_INVITE_MAX_AGE)
        else:
            data = self._load(self._room, token, ROOM_INVITE_MAX_AGE)
        if data.get("r") != room:
            raise TokenError("the invite is for another room")
        ref = data.get("i")
        return Invite(room=room, role=role, ref=ref if isinstance(ref, str) else None)

    def staff(self, claims: StaffClaims) -> str:
        """A staff sign-in token (`POST /api/staff/session`), good for `STAFF_TOKEN_MAX_AGE`."""
        return str(self._staff.dumps({"s": claims.name, "c": claims.created_at}))

    def check_staff(self, token: str) -> StaffClaims:
        data = self._load(self._staff, token, STAFF_TOKEN_MAX_AGE)
        try:
            return StaffClaims(name=str(data["s"]), created_at=float(data["c"]))
        except (KeyError, TypeError, ValueError):
            raise TokenError("malformed staff token") from None

    @staticmethod
    def _load(signer: URLSafeTimedSerializer, token: str, max_age: int) -> dict[str, Any]:
        try:
            data = signer.loads(token, max_age=max_age)
        except BadSignature:
            raise TokenError("invalid or expired token") from None
        if not isinstance(data, dict):
            raise TokenError("malformed token")
        return data
