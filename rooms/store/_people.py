"""The SQL store's staff accounts and invite records (the `Store` methods of those sections)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.names import NameRejected, check_name, name_key
from rooms.store import credentials
from rooms.store._core import SqlCore, new_id
from rooms.store.base import InviteRecord, InviteRole, NewStaff, StaffAccount
from rooms.store.engine import connect, transaction
from rooms.store.errors import StoreConflict
from rooms.store.schema import invites, staff, staff_rooms

__all__ = ["PeopleMixin"]


class PeopleMixin(SqlCore):
    # -- staff ---------------------------------------------------------------------------------

    async def add_staff(
        self, name: str, *, admin: bool, rooms: Iterable[str], passphrase: str | None = None
    ) -> NewStaff:
        try:
            shown = check_name(name)
        except NameRejected as exc:
            raise ValueError(f"name: {exc}") from None
        key: str | None = None
        if passphrase is None:
            key, secret_hash = credentials.new_key()
        else:  # Argon2 takes tens of milliseconds of CPU: keep the event loop free.
            secret_hash = await asyncio.to_thread(credentials.hash_passphrase, passphrase)
        account = StaffAccount(
            name=shown,
            admin=admin,
            rooms=frozenset(rooms),
            credential="key" if key else "passphrase",
            created_at=self._clock.now(),
        )
        async with transaction(self._engine) as conn:
            exists = await conn.scalar(
                sa.select(sa.func.count()).where(staff.c.name_key == name_key(shown))
            )
            if exists:
                raise StoreConflict(f"name: a staff account called {shown!r} exists")
            await conn.execute(sa.insert(staff).values(_staff_row(account, secret_hash)))
            if account.rooms:
                await conn.execute(
                    sa.insert(staff_rooms),
                    [{"name_key": name_key(shown), "room": r} for r in sorted(account.rooms)],
                )
        return NewStaff(account, key)

    async def list_staff(self, *, include_revoked: bool = False) -> list[StaffAccount]:
        query = sa.select(staff).order_by(staff.c.name_key)
        if not include_revoked:
            query = query.where(staff.c.revoked_at.is_(None))
        async with connect(self._engine) as conn:
            rows = (await conn.execute(query)).all()
            rooms = await _rooms_by_key(conn)
        return [_account(row, rooms.get(row.name_key, frozenset())) for row in rows]

    async def revoke_staff(self, name: str) -> bool:
        async with transaction(self._engine) as conn:
            done = await conn.execute(
                sa.update(staff)
                .where(staff.c.name_key == name_key(name), staff.c.revoked_at.is_(None))
                .values(revoked_at=self._clock.now())
            )
        return bool(done.rowcount)

    async def sign_in(self, name: str, secret: str) -> StaffAccount | None:
        key = name_key(name)
        async with connect(self._engine) as conn:
            row = (await conn.execute(sa.select(staff).where(staff.c.name_key == key))).first()
            rooms = await _rooms_by_key(conn, key)
        if row is None or row.revoked_at is not None:
            return None
        ok = await asyncio.to_thread(credentials.verify, row.credential, row.secret_hash, secret)
        return _account(row, rooms.get(key, frozenset())) if ok else None

    async def staff_account(self, name: str) -> StaffAccount | None:
        key = name_key(name)
        async with connect(self._engine) as conn:
            row = (await conn.execute(sa.select(staff).where(staff.c.name_key == key))).first()
            if row is None:
                return None
            rooms = await _rooms_by_key(conn, key)
        return _account(row, rooms.get(key, frozenset()))

    # -- invites -------------------------------------------------------------------------------

    async def create_invite(
        self, room: str, role: InviteRole, *, ttl: float, single_use: bool
    ) -> InviteRecord:
        now = self._clock.now()
        record = InviteRecord(
            id=new_id(),
            room=room,
            role=role,
            created_at=now,
            expires_at=now + ttl,
            single_use=single_use,
        )
        async with transaction(self._engine) as conn:
            await conn.execute(
                sa.insert(invites).values(
                    id=record.id,
                    room=room,
                    role=role,
                    created_at=now,
                    expires_at=record.expires_at,
                    single_use=single_use,
                )
            )
        return record

    async def list_invites(self, room: str | None = None) -> list[InviteRecord]:
        query = (
            sa.select(invites)
            .where(_usable(self._clock.now()))
            .order_by(invites.c.created_at.desc(), invites.c.id)
        )
        if room is not None:
            query = query.where(invites.c.room == room)
        async with connect(self._engine) as conn:
            return [_invite(row) for row in (await conn.execute(query)).all()]

    async def invite(self, invite_id: str) -> InviteRecord | None:
        async with connect(self._engine) as conn:
            row = (await conn.execute(sa.select(invites).where(invites.c.id == invite_id))).first()
        return None if row is None else _invite(row)

    async def revoke_invite(self, invite_id: str) -> bool:
        now = self._clock.now()
        async with transaction(self._engine) as conn:
            # A spent single-use invite can still be revoked: that ends the facilitator seat it
            # gave (server/facilitators.py checks the record on every command).
            done = await conn.execute(
                sa.update(invites)
                .where(
                    invites.c.id == invite_id,
                    invites.c.revoked_at.is_(None),
                    invites.c.expires_at > now,
                )
                .values(revoked_at=now)
            )
        return bool(done.rowcount)

    async def redeem_invite(
        self, invite_id: str, room: str, role: InviteRole
    ) -> InviteRecord | None:
        now = self._clock.now()
        match = sa.and_(
            invites.c.id == invite_id, invites.c.room == room, invites.c.role == role, _usable(now)
        )
        async with transaction(self._engine) as conn:
            # One conditional UPDATE: of two nodes redeeming a single-use invite at once, the
            # database lets exactly one match `used_at IS NULL`.
            spent = await conn.execute(
                sa.update(invites)
                .where(match, invites.c.single_use.is_(True))
                .values(used_at=now)
                .returning(*invites.c)
            )
            row = spent.first()
            if row is None:
                row = (
                    await conn.execute(
                        sa.select(invites).where(match, invites.c.single_use.is_(False))
                    )
                ).first()
        return None if row is None else _invite(row)


def _usable(now: float) -> sa.ColumnElement[bool]:
    return sa.and_(
        invites.c.revoked_at.is_(None),
        invites.c.expires_at > now,
        sa.or_(invites.c.single_use.is_(False), invites.c.used_at.is_(None)),
    )


def _staff_row(account: StaffAccount, secret_hash: str) -> dict[str, Any]:
    return {
        "name_key": name_key(account.name),
        "name": account.name,
        "is_admin": account.admin,
        "credential": account.credential,
        "secret_hash": secret_hash,
        "created_at": account.created_at,
        "revoked_at": None,
    }


async def _rooms_by_key(conn: AsyncConnection, key: str | None = None) -> dict[str, frozenset[str]]:
    query = sa.select(staff_rooms)
    if key is not None:
        query = query.where(staff_rooms.c.name_key == key)
    found: dict[str, set[str]] = {}
    for row in (await conn.execute(query)).all():
        found.setdefault(row.name_key, set()).add(row.room)
    return {k: frozenset(v) for k, v in found.items()}


def _account(row: Any, rooms: frozenset[str]) -> StaffAccount:
    return StaffAccount(
        name=row.name,
        admin=bool(row.is_admin),
        rooms=rooms,
        credential=row.credential,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def _invite(row: Any) -> InviteRecord:
    return InviteRecord(
        id=row.id,
        room=row.room,
        role=cast(InviteRole, row.role),
        created_at=row.created_at,
        expires_at=row.expires_at,
        single_use=bool(row.single_use),
        used_at=row.used_at,
        revoked_at=row.revoked_at,
    )
