"""Who may be a facilitator, decided by the store's records, not by a token's signature alone.

A facilitator is seated with one of two credentials (docs/protocol.md §3.1), and the session
remembers which as its *basis*, carried in the session token:

    credential                                  basis            checked again
    facilitator invite (token naming a record)  `i:<invite id>`  record not revoked, not expired
    staff sign-in (`POST /api/staff/session`)   `s:<name>`       account not revoked and still
                                                                 allowed in this room (a name is
                                                                 never reused: a revoked account
                                                                 keeps it)

Rule 1: a signature only says a token was made by a node; the record in the store says whether it
may still be used. An invite token without a record id (signed before records existed) is
refused: it could never be revoked.
Rule 2: the basis is checked against the store at every command the facilitator sends and at
every resume, on whichever node they are connected to: one primary-key read, no cache, so a
revocation takes effect on every node at the facilitator's next command. Nothing is pushed
between nodes; the database is the one place that knows.
Rule 3: when the store cannot be reached, commands that need facilitator powers get
`unavailable` (fail closed), and everything a member may do carries on (chat never needs the
store).
"""

from __future__ import annotations

from typing import Final

import facilitation as fx
from facilitation import rules
from rooms.clock import Clock
from rooms.model import RoomConfig
from rooms.store import InviteRole, StaffAccount, Store
from server.codes import ServerCode
from server.errors import ProtocolError
from server.tokens import StaffClaims, TokenError, Tokens

__all__ = [
    "INVITE_BASIS",
    "STAFF_BASIS",
    "FacilitatorRevoked",
    "Facilitators",
    "StaffRevoked",
    "needs_powers",
]

STAFF_BASIS: Final = "s:"
INVITE_BASIS: Final = "i:"


class FacilitatorRevoked(ProtocolError):
    """The credential a seated facilitator joined with was revoked: the command is refused with
    `invalid_token`, the person leaves the room, and the socket closes with 4504 `revoked`."""

    def __init__(self) -> None:
        super().__init__(ServerCode.INVALID_TOKEN, "Your facilitator access was revoked.")


class StaffRevoked(ProtocolError):
    """The account behind a staff console was revoked (or re-made): the command is refused with
    `invalid_token` and the console closes with 4504 `revoked` (docs/protocol.md §10)."""

    def __init__(self) -> None:
        super().__init__(ServerCode.INVALID_TOKEN, "Your staff account was revoked.")


def needs_powers(command: object) -> bool:
    """Whether a command needs the facilitator role (facilitation/rules.py `REQUIRED_ROLE`)."""
    roles = rules.REQUIRED_ROLE.get(type(command))  # type: ignore[arg-type]
    return roles is not None and fx.Role.MEMBER not in roles


def _invalid(message: str) -> ProtocolError:
    return ProtocolError(ServerCode.INVALID_TOKEN, message)


class Facilitators:
    """Checks invites and staff sign-ins against the store (one per node)."""

    def __init__(self, store: Store, tokens: Tokens, clock: Clock) -> None:
        self.store = store
        self.tokens = tokens
        self.clock = clock

    async def sign_in(self, name: str, secret: str) -> tuple[StaffAccount, str] | None:
        """The account and a staff token for a name and passphrase or key; None if wrong."""
        account = await self.store.sign_in(name, secret)
        if account is None:
            return None
        return account, self.tokens.staff(StaffClaims(account.name, account.created_at))

    async def redeem(self, token: str, room: RoomConfig, role: InviteRole) -> str:
        """Use an invite for `room` (Rule 1); returns the basis to remember.

        Raises:
            ProtocolError: `invalid_token` (forged, expired, another room's, without a record,
                or its record is revoked, spent or lapsed).
            StoreUnavailable.
        """
        try:
            invite = self.tokens.check_invite(token, room.slug, role)
        except TokenError:
            raise _invalid("That invite is not valid for this room.") from None
        if invite.ref is None:
            raise _invalid("That invite link is out of date; ask for a new one.")
        if await self.store.redeem_invite(invite.ref, room.slug, role) is None:
            raise _invalid("That invite was revoked, has expired or was already used.")
        return INVITE_BASIS + invite.ref

    async def staff(self, token: str, room: RoomConfig) -> str:
        """Check a staff token for facilitating `room`; returns the basis to remember.

        Raises:
            ProtocolError: `invalid_token` (a bad or expired token, a revoked account, or one
                not allowed to facilitate this room).
            StoreUnavailable.
        """
        try:
            claims = self.tokens.check_staff(token)
        except TokenError:
            raise _invalid("That staff sign-in has expired; please sign in again.") from None
        basis = STAFF_BASIS + claims.name
        if not await self._staff_holds(claims.name, claims.created_at, room):
            raise _invalid("That staff account may not facilitate this room.")
        return basis

    async def console(self, token: str) -> StaffAccount:
        """The active account behind a staff token, for the staff console (any room).

        Raises:
            ProtocolError: `invalid_token` (forged, expired, not a staff token at all, or the
                account is revoked or was re-made since the sign-in).
            StoreUnavailable.
        """
        try:
            claims = self.tokens.check_staff(token)
        except TokenError:
            raise _invalid(
                "That staff sign-in is not valid or has expired; sign in again."
            ) from None
        account = await self.store.staff_account(claims.name)
        if account is None or not _active(account, claims.created_at):
            raise _invalid("That staff account is not active; sign in again.")
        return account

    async def still_staff(self, name: str, created_at: float) -> bool:
        """Whether a console's account is still active (Rule 2: read at every staff command).

        Raises:
            StoreUnavailable.
        """
        account = await self.store.staff_account(name)
        return account is not None and _active(account, created_at)

    async def holds(self, basis: str, room: RoomConfig) -> bool:
        """Whether a seated facilitator's basis is still good (Rule 2).

        Raises:
            StoreUnavailable.
        """
        if basis.startswith(INVITE_BASIS):
            record = await self.store.invite(basis.removeprefix(INVITE_BASIS))
            return (
                record is not None
                and record.room == room.slug
                and record.revoked_at is None
                and self.clock.now() < record.expires_at
            )
        if basis.startswith(STAFF_BASIS):
            return await self._staff_holds(basis.removeprefix(STAFF_BASIS), None, room)
        return False

    async def _staff_holds(self, name: str, created_at: float | None, room: RoomConfig) -> bool:
        account = await self.store.staff_account(name)
        if account is None or not account.may_facilitate(room.slug):
            return False
        return created_at is None or account.created_at == created_at


def _active(account: StaffAccount, created_at: float) -> bool:
    return account.revoked_at is None and account.created_at == created_at
