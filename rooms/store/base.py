"""The durable store: what must outlast a restart, behind one small interface.

The backend (rooms/backends/base.py) holds what must *not* last: the replay window, presence,
meeting state. The store holds what safety needs to survive a Redis restart, a failover or a
restart of every node (docs/storage.md):

- **rooms** made through the CLI or the admin API (configured rooms come from the config file on
  every start and are not stored);
- **staff**: named, pseudonymous facilitator and admin accounts, their credential only as a hash
  (argon2 for a passphrase, SHA-256 for a generated high-entropy key), and the rooms each may
  facilitate;
- **invites** as records, so that each can be revoked, used once, or left to expire;
- **bans and removals**: the identity marks and the end time, never a reason;
- **open reports**, the one place message text is written down: the reported message and the
  reporter's reason, until a facilitator closes the report or the report retention passes;
- **the moderation log**: who did what to whom and when, by member ids and staff names, with no
  text at all (there is no parameter that could carry any);
- **the on-call state** (rooms/alerts.py): the alerts waiting for staff, as one opaque JSON text
  swapped by compare-and-set, so an alert survives a restart and a deadline fires once across
  nodes. It never holds message text or display names.

Time comes from the injected clock (`rooms.clock.Clock`), so retention is tested without sleeping.
`tests/rooms/test_store_conformance.py` runs the same tests on SQLite and PostgreSQL. Every method
may raise `StoreUnavailable` when the database cannot be reached.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Protocol

from rooms.model import RoomConfig

__all__ = [
    "BanRecord",
    "InviteRecord",
    "InviteRole",
    "ModerationAction",
    "ModerationEntry",
    "NewReport",
    "NewStaff",
    "OnCallRecord",
    "ReportRecord",
    "Retention",
    "StaffAccount",
    "Store",
    "SweepResult",
]

InviteRole = Literal["facilitator", "member"]


class ModerationAction(StrEnum):
    """What the moderation log can record: a fixed set, so no free text can slip in."""

    REMOVE = "remove"
    BAN = "ban"
    UNBAN = "unban"
    MUTE = "mute"
    LOCK = "lock"
    UNLOCK = "unlock"
    RESET = "reset"
    REDACT = "redact"
    REPORT_CLOSED = "report_closed"
    STAFF_ADDED = "staff_added"
    STAFF_REVOKED = "staff_revoked"
    INVITE_REVOKED = "invite_revoked"


@dataclass(frozen=True, slots=True)
class Retention:
    """How long the store keeps what it need not keep forever (settings `*_retention_seconds`)."""

    reports_seconds: float = 72 * 3600
    """An open report is deleted, text and all, this long after it was filed."""
    moderation_log_seconds: float = 30 * 24 * 3600
    """Moderation log entries are deleted this long after they were written."""
    invites_seconds: float = 7 * 24 * 3600
    """Spent, revoked or expired invite records are deleted this long after they ended."""


@dataclass(frozen=True, slots=True)
class StaffAccount:
    """A facilitator or admin. Never holds the credential, not even its hash."""

    name: str
    """A pseudonym, checked like a display name (rooms/names.py); unique by its skeleton."""
    admin: bool
    """Admins may facilitate every room and use the admin API's staff routes."""
    rooms: frozenset[str]
    """Slugs of the rooms this account may facilitate (admins: all of them)."""
    credential: Literal["passphrase", "key"]
    created_at: float
    revoked_at: float | None = None

    def may_facilitate(self, room: str) -> bool:
        return self.revoked_at is None and (self.admin or room in self.rooms)


@dataclass(frozen=True, slots=True)
class NewStaff:
    """`add_staff`'s answer: the account, and the generated key when no passphrase was given.

    The key is shown once to whoever made the account; the store keeps only its hash.
    """

    account: StaffAccount
    key: str | None


@dataclass(frozen=True, slots=True)
class InviteRecord:
    """An invite link's record; the signed token carries `id`, and the record decides."""

    id: str
    room: str
    role: InviteRole
    created_at: float
    expires_at: float
    single_use: bool
    used_at: float | None = None
    revoked_at: float | None = None

    def usable(self, now: float) -> bool:
        spent = self.single_use and self.used_at is not None
        return self.revoked_at is None and not spent and now < self.expires_at


@dataclass(frozen=True, slots=True)
class BanRecord:
    """A ban or a removal: marks refused in a room until a time. No reason is ever stored."""

    id: str
    room: str
    marks: frozenset[str]
    """Opaque identity marks (the member id, a keyed hash of the network address)."""
    until: float
    created_at: float
    removal: bool = False
    """A removal refuses the session only (`removed`) rather than the person (`banned`)."""


@dataclass(frozen=True, slots=True)
class NewReport:
    """What a member's report holds when it is filed (the engine's `report.filed` event)."""

    room: str
    mid: int
    """The reported message's seq."""
    about: str
    """Member id of who wrote it."""
    about_name: str
    from_member: str
    text: str
    """The reported message: the only message text the store ever holds, and only while the
    report is open (closed or past `Retention.reports_seconds`: deleted)."""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReportRecord:
    id: str
    report: NewReport
    filed_at: float
    expires_at: float


@dataclass(frozen=True, slots=True)
class ModerationEntry:
    """One line of the moderation log: ids and times only."""

    id: int
    room: str
    action: ModerationAction
    actor: str
    """A member id, a staff name, or "admin" / "system"."""
    target: str | None
    at: float
    until: float | None = None


@dataclass(frozen=True, slots=True)
class OnCallRecord:
    """The stored on-call state: its version (0: never written) and its JSON text."""

    version: int
    state: str
    """`rooms.oncall.codec.state_to_json` output ("" when never written)."""


@dataclass(frozen=True, slots=True)
class SweepResult:
    """How many records a sweep or purge deleted, by kind."""

    bans: int = 0
    invites: int = 0
    reports: int = 0
    moderation_log: int = 0


class Store(Protocol):
    """The contract both implementations (SQLite, PostgreSQL) meet; see the module docstring."""

    # -- rooms ---------------------------------------------------------------------------------

    async def save_room(self, room: RoomConfig) -> None:
        """Store a room, or replace the stored room with the same slug."""
        ...

    async def load_rooms(self) -> list[RoomConfig]:
        """Every stored room, by slug."""
        ...

    async def delete_room(self, slug: str) -> bool:
        """Forget a stored room; False if there was none."""
        ...

    # -- staff ---------------------------------------------------------------------------------

    async def add_staff(
        self, name: str, *, admin: bool, rooms: Iterable[str], passphrase: str | None = None
    ) -> NewStaff:
        """Create an account with a passphrase, or with a generated key (returned once).

        Raises:
            StoreConflict: an account with the same (skeleton of the) name exists, revoked or not.
            ValueError: the name is not a usable pseudonym, or the passphrase is under 12
                characters.
        """
        ...

    async def list_staff(self, *, include_revoked: bool = False) -> list[StaffAccount]:
        """Accounts by name; revoked ones only when asked."""
        ...

    async def revoke_staff(self, name: str) -> bool:
        """Revoke an account at once, for every node; False if no active account has that name."""
        ...

    async def sign_in(self, name: str, secret: str) -> StaffAccount | None:
        """The account if `secret` is its passphrase or key and it is not revoked, else None."""
        ...

    async def staff_account(self, name: str) -> StaffAccount | None:
        """The account with this name (revoked or not), by its key: one primary-key read.

        What a node checks on every command of a facilitator who signed in as staff, so that a
        revocation takes effect on every node at the next command (docs/protocol.md §3.1).
        """
        ...

    # -- invites -------------------------------------------------------------------------------

    async def create_invite(
        self, room: str, role: InviteRole, *, ttl: float, single_use: bool
    ) -> InviteRecord:
        """Record a new invite that lapses `ttl` seconds from now."""
        ...

    async def list_invites(self, room: str | None = None) -> list[InviteRecord]:
        """Invites still usable now (of one room, or all), newest first."""
        ...

    async def invite(self, invite_id: str) -> InviteRecord | None:
        """The invite's record (usable or not), by its id: one primary-key read, nothing spent."""
        ...

    async def revoke_invite(self, invite_id: str) -> bool:
        """Revoke an invite, spent or not; False if no unexpired, unrevoked invite has that id.

        Revoking a spent single-use invite ends the facilitator seat it gave."""
        ...

    async def redeem_invite(
        self, invite_id: str, room: str, role: InviteRole
    ) -> InviteRecord | None:
        """Use an invite for `room` and `role`: the record if usable (a single-use one is spent
        in the same statement, so two nodes can never both redeem it), else None."""
        ...

    # -- bans and removals ---------------------------------------------------------------------

    async def add_ban(
        self, room: str, marks: Iterable[str], until: float, *, removal: bool = False
    ) -> BanRecord:
        """Refuse `marks` in `room` until `until` (a removal, or a ban)."""
        ...

    async def find_ban(self, room: str, marks: Iterable[str]) -> BanRecord | None:
        """The unexpired ban or removal of `room` matching any of `marks`, the latest-ending."""
        ...

    async def active_bans(self, room: str) -> list[BanRecord]:
        """The room's unexpired bans and removals, soonest-ending first."""
        ...

    async def lift_ban(self, ban_id: str) -> bool:
        """End a ban now (the record is deleted); False if there was none."""
        ...

    # -- reports -------------------------------------------------------------------------------

    async def file_report(self, report: NewReport) -> ReportRecord:
        """Keep a report open until `close_report` or the report retention passes."""
        ...

    async def open_reports(self, room: str | None = None) -> list[ReportRecord]:
        """Open, unexpired reports (of one room, or all), oldest first."""
        ...

    async def close_report(self, report_id: str) -> bool:
        """A facilitator handled the report: delete it, text and all. False if none."""
        ...

    # -- moderation log ------------------------------------------------------------------------

    async def log_action(
        self,
        room: str,
        action: ModerationAction,
        *,
        actor: str,
        target: str | None = None,
        until: float | None = None,
    ) -> None:
        """Append to the moderation log. There is deliberately no text parameter."""
        ...

    async def moderation_log(
        self, room: str | None = None, *, limit: int = 100
    ) -> list[ModerationEntry]:
        """The latest entries (of one room, or all), newest first."""
        ...

    # -- on-call state -------------------------------------------------------------------------

    async def load_oncall(self) -> OnCallRecord:
        """The on-call state and its version (`OnCallRecord(0, "")` if it was never written)."""
        ...

    async def swap_oncall(self, expected_version: int, state: str) -> bool:
        """Compare-and-set: store `state` as version `expected_version + 1` if the stored
        version is `expected_version`; False (nothing written) if another node got there first.
        """
        ...

    # -- retention -----------------------------------------------------------------------------

    async def sweep(self) -> SweepResult:
        """Delete everything past its time: ended bans, old invites, reports and log entries."""
        ...

    async def purge(self, *, reports: bool = False, moderation_log: bool = False) -> SweepResult:
        """`sweep`, optionally also every report or the whole log, then make sure deleted text
        is not left in the database's files (SQLite: checkpoint and VACUUM; PostgreSQL: VACUUM
        FULL of the reports table)."""
        ...

    # -- lifecycle -----------------------------------------------------------------------------

    async def ping(self) -> None:
        """Return when the database answered; raise `StoreUnavailable` otherwise."""
        ...

    async def aclose(self) -> None:
        """Release the connection pool. Idempotent."""
        ...
