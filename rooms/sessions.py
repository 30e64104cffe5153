"""Sessions: the server-side record behind every session token, and how it ends.

A session token (server/tokens.py) carries only opaque ids: the member id, a random session id
and the absolute expiry. Everything else a resume needs (room, display name, observer or not,
the seq the person was seated at) lives here, in the ephemeral backend (memory or Redis), never
in the durable store: sessions are not safety data (docs/privacy.md).

Rules (docs/protocol.md §3.1, `join` and `resume`):

- one record per member id, so a leave, removal or ban revokes it by member id, on every node
  (the record is in the shared backend);
- a record holds its own session id; a token whose id does not match (an older session of the
  same member, or a forged one) is refused;
- the lifetime is absolute: `expires` is set when the session opens and a resume never moves it;
  the backend's time-to-live is what is left of it, so an expired record also disappears.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, replace

import msgpack

from rooms.backends.base import Backend
from rooms.clock import Clock

__all__ = ["SessionRecord", "SessionRevoked", "Sessions"]


class SessionRevoked(LookupError):
    """The session ended: left, removed, banned, expired, or never existed."""

    def __init__(self, detail: str, *, reason: str | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        """`removed` or `banned` when a facilitator ended it (the client says why); else None."""


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """What the server keeps about one session, keyed by its member id."""

    member_id: str
    session_id: str
    """Random; the token must carry the same one (a new join is a new session)."""
    room: str
    name: str | None
    observer: bool
    joined_seq: int
    """The seq the person was (last) seated at: a resume never replays anything before it."""
    expires: int
    """Absolute end of the session, by the node's clock; never extended."""
    ended: str | None = None
    """Set on a record kept only to say why the session ended (`removed`, `banned`)."""


class Sessions:
    """Opens, checks, updates and revokes session records in the shared backend."""

    def __init__(self, backend: Backend, clock: Clock, *, lifetime: float) -> None:
        self.backend = backend
        self.clock = clock
        self.lifetime = lifetime

    async def open(
        self, member_id: str, room: str, name: str | None, *, observer: bool, joined_seq: int
    ) -> SessionRecord:
        """A new session for a person just seated (or counted, for an observer)."""
        record = SessionRecord(
            member_id=member_id,
            session_id=secrets.token_urlsafe(16),
            room=room,
            name=name,
            observer=observer,
            joined_seq=joined_seq,
            expires=int(self.clock.now() + self.lifetime),
        )
        await self._put(record)
        return record

    async def check(self, member_id: str, session_id: str, expires: int) -> SessionRecord:
        """The live record a token names.

        Raises:
            SessionRevoked: no record (revoked or gone), another session id, or past its end.
        """
        raw = await self.backend.get_session(_key(member_id))
        record = _decode(raw) if raw is not None else None
        if record is not None and record.ended is not None:
            raise SessionRevoked("the session was ended", reason=record.ended)
        if record is None or not hmac.compare_digest(record.session_id, session_id):
            raise SessionRevoked("no such session")
        if record.expires != expires or record.expires <= self.clock.now():
            raise SessionRevoked("the session has ended")
        return record

    async def reseated(self, record: SessionRecord, joined_seq: int) -> SessionRecord:
        """The seat was released and taken again: nothing before `joined_seq` is theirs."""
        updated = replace(record, joined_seq=joined_seq)
        await self._put(updated)
        return updated

    async def revoke(self, member_id: str, reason: str | None = None) -> None:
        """End the member's session everywhere (leave, removal, ban).

        With a `reason` (removal, ban) a record without any personal field stays for the
        session's lifetime, so a later resume is told why; a leave simply drops the record.
        """
        if reason is None:
            await self.backend.drop_session(_key(member_id))
            return
        ended = SessionRecord(member_id, "", "", None, False, 0, 0, ended=reason)
        await self.backend.put_session(_key(member_id), _encode(ended), self.lifetime)

    async def _put(self, record: SessionRecord) -> None:
        left = record.expires - self.clock.now()
        if left <= 0:
            await self.revoke(record.member_id)
            return
        await self.backend.put_session(_key(record.member_id), _encode(record), left)


def _key(member_id: str) -> str:
    return f"m:{member_id}"


def _encode(record: SessionRecord) -> bytes:
    fields = [
        record.session_id,
        record.room,
        record.name,
        record.observer,
        record.joined_seq,
        record.expires,
        record.ended,
    ]
    return bytes(msgpack.packb([record.member_id, *fields]))


def _decode(raw: bytes) -> SessionRecord | None:
    try:
        member_id, session_id, room, name, observer, joined_seq, expires, ended = msgpack.unpackb(
            raw
        )
        return SessionRecord(
            str(member_id),
            str(session_id),
            str(room),
            None if name is None else str(name),
            bool(observer),
            int(joined_seq),
            int(expires),
            None if ended is None else str(ended),
        )
    except (ValueError, TypeError, msgpack.UnpackException):
        return None  # an unreadable record is no session
