"""The store on SQLAlchemy Core: one implementation for SQLite and PostgreSQL.

Both dialects run the same statements; where they differ (RETURNING, VACUUM), SQLAlchemy or a
branch on `dialect` says so. The parts live in mixins by section (`_people.py`: staff and invites;
`_safety.py`: bans, reports, the moderation log; `_oncall.py`: the on-call state); rooms,
retention and the lifecycle are here.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from rooms.clock import Clock
from rooms.model import RoomConfig
from rooms.store._oncall import OnCallMixin
from rooms.store._people import PeopleMixin
from rooms.store._safety import SafetyMixin
from rooms.store.base import Retention, Store, SweepResult
from rooms.store.engine import connect, guard, transaction
from rooms.store.migrate import ensure_current
from rooms.store.schema import bans, invites, rooms
from rooms.store.schema import moderation_log as log_table
from rooms.store.schema import reports as reports_table

__all__ = ["SqlStore"]

_OWN_COLUMNS = ("format", "language")
"""RoomConfig fields kept in their own columns (migration 0003), not in the `config` JSON."""


def _room_columns(room: RoomConfig) -> dict[str, str | None]:
    mapping = room.to_mapping()
    config = {k: v for k, v in mapping.items() if k not in _OWN_COLUMNS}
    fmt = mapping["format"]
    return {
        "config": json.dumps(config, sort_keys=True),
        "format": None if fmt is None else json.dumps(fmt, sort_keys=True),
        "language": mapping["language"],
    }


def _room_from_row(row: sa.Row[Any]) -> RoomConfig:
    config = json.loads(row.config)
    config["language"] = row.language
    config["format"] = None if row.format is None else json.loads(row.format)
    return RoomConfig.from_mapping(config)


class SqlStore(PeopleMixin, SafetyMixin, OnCallMixin):
    """The `Store` on a SQLAlchemy async engine (see `rooms.store.open_store`)."""

    def __init__(self, engine: AsyncEngine, clock: Clock, retention: Retention) -> None:
        super().__init__(engine, clock, retention)
        self._closed = False

    async def check_schema(self, *, auto_upgrade: bool) -> None:
        """Migrate (when allowed) or refuse with `SchemaBehind`; see `migrate.ensure_current`."""
        await ensure_current(self._engine, auto_upgrade=auto_upgrade)

    # -- rooms ---------------------------------------------------------------------------------

    async def save_room(self, room: RoomConfig) -> None:
        now = self._clock.now()
        values = _room_columns(room)
        async with transaction(self._engine) as conn:
            done = await conn.execute(
                sa.update(rooms).where(rooms.c.slug == room.slug).values(**values, updated_at=now)
            )
            if not done.rowcount:
                await conn.execute(
                    sa.insert(rooms).values(
                        slug=room.slug, **values, created_at=now, updated_at=now
                    )
                )

    async def load_rooms(self) -> list[RoomConfig]:
        async with connect(self._engine) as conn:
            rows = (await conn.execute(sa.select(rooms).order_by(rooms.c.slug))).all()
        return [_room_from_row(row) for row in rows]

    async def delete_room(self, slug: str) -> bool:
        async with transaction(self._engine) as conn:
            done = await conn.execute(sa.delete(rooms).where(rooms.c.slug == slug))
        return bool(done.rowcount)

    # -- retention -----------------------------------------------------------------------------

    async def sweep(self) -> SweepResult:
        now = self._clock.now()
        invites_before = now - self._retention.invites_seconds
        ended = sa.func.coalesce(invites.c.revoked_at, invites.c.used_at, invites.c.expires_at)
        spent = sa.or_(invites.c.single_use.is_(True), invites.c.revoked_at.is_not(None))
        async with transaction(self._engine) as conn:
            gone_bans = await conn.execute(sa.delete(bans).where(bans.c.until <= now))
            gone_invites = await conn.execute(
                sa.delete(invites).where(
                    sa.or_(
                        invites.c.expires_at <= invites_before,
                        sa.and_(spent, ended <= invites_before),
                    )
                )
            )
            gone_reports = await conn.execute(
                sa.delete(reports_table).where(reports_table.c.expires_at <= now)
            )
            gone_log = await conn.execute(
                sa.delete(log_table).where(
                    log_table.c.at <= now - self._retention.moderation_log_seconds
                )
            )
        return SweepResult(
            bans=gone_bans.rowcount,
            invites=gone_invites.rowcount,
            reports=gone_reports.rowcount,
            moderation_log=gone_log.rowcount,
        )

    async def purge(self, *, reports: bool = False, moderation_log: bool = False) -> SweepResult:
        swept = await self.sweep()
        extra_reports = extra_log = 0
        if reports or moderation_log:
            async with transaction(self._engine) as conn:
                if reports:
                    extra_reports = (await conn.execute(sa.delete(reports_table))).rowcount
                if moderation_log:
                    extra_log = (await conn.execute(sa.delete(log_table))).rowcount
        await self._compact()
        return SweepResult(
            bans=swept.bans,
            invites=swept.invites,
            reports=swept.reports + extra_reports,
            moderation_log=swept.moderation_log + extra_log,
        )

    async def _compact(self) -> None:
        """Leave no deleted text in the files: VACUUM outside any transaction."""
        with guard():
            async with self._engine.connect() as conn:
                auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
                if self.dialect == "sqlite":
                    # secure_delete already zeroed the pages; the WAL still holds old copies.
                    await auto.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                    await auto.exec_driver_sql("VACUUM")
                    await auto.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                else:
                    await auto.exec_driver_sql("VACUUM FULL reports")

    # -- lifecycle -----------------------------------------------------------------------------

    async def ping(self) -> None:
        async with connect(self._engine) as conn:
            await conn.execute(sa.select(1))

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self._engine.dispose()


_: type[Store] = SqlStore
