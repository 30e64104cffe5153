"""The SQL store's bans and removals, open reports and moderation log."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from rooms.store._core import SqlCore, new_id
from rooms.store.base import (
    BanRecord,
    ModerationAction,
    ModerationEntry,
    NewReport,
    ReportRecord,
)
from rooms.store.engine import connect, transaction
from rooms.store.schema import ban_marks, bans, moderation_log, reports

__all__ = ["SafetyMixin"]


class SafetyMixin(SqlCore):
    # -- bans and removals ---------------------------------------------------------------------

    async def add_ban(
        self, room: str, marks: Iterable[str], until: float, *, removal: bool = False
    ) -> BanRecord:
        record = BanRecord(
            id=new_id(),
            room=room,
            marks=frozenset(marks),
            until=until,
            created_at=self._clock.now(),
            removal=removal,
        )
        if not record.marks:
            raise ValueError("marks: a ban needs at least one mark")
        async with transaction(self._engine) as conn:
            await conn.execute(
                sa.insert(bans).values(
                    id=record.id,
                    room=room,
                    until=until,
                    created_at=record.created_at,
                    removal=removal,
                )
            )
            await conn.execute(
                sa.insert(ban_marks), [{"ban_id": record.id, "mark": m} for m in record.marks]
            )
        return record

    async def find_ban(self, room: str, marks: Iterable[str]) -> BanRecord | None:
        wanted = sorted(set(marks))
        if not wanted:
            return None
        matching = sa.select(ban_marks.c.ban_id).where(ban_marks.c.mark.in_(wanted))
        query = (
            sa.select(bans)
            .where(bans.c.room == room, bans.c.until > self._clock.now(), bans.c.id.in_(matching))
            .order_by(bans.c.until.desc())
            .limit(1)
        )
        found = await self._bans(query)
        return found[0] if found else None

    async def active_bans(self, room: str) -> list[BanRecord]:
        query = (
            sa.select(bans)
            .where(bans.c.room == room, bans.c.until > self._clock.now())
            .order_by(bans.c.until, bans.c.id)
        )
        return await self._bans(query)

    async def lift_ban(self, ban_id: str) -> bool:
        async with transaction(self._engine) as conn:
            done = await conn.execute(sa.delete(bans).where(bans.c.id == ban_id))
        return bool(done.rowcount)

    async def _bans(self, query: sa.Select[Any]) -> list[BanRecord]:
        async with connect(self._engine) as conn:
            rows = (await conn.execute(query)).all()
            ids = [row.id for row in rows]
            marks: dict[str, set[str]] = {i: set() for i in ids}
            if ids:
                got = await conn.execute(sa.select(ban_marks).where(ban_marks.c.ban_id.in_(ids)))
                for mark in got.all():
                    marks[mark.ban_id].add(mark.mark)
        return [
            BanRecord(
                id=row.id,
                room=row.room,
                marks=frozenset(marks[row.id]),
                until=row.until,
                created_at=row.created_at,
                removal=bool(row.removal),
            )
            for row in rows
        ]

    # -- reports -------------------------------------------------------------------------------

    async def file_report(self, report: NewReport) -> ReportRecord:
        now = self._clock.now()
        record = ReportRecord(
            id=new_id(),
            report=report,
            filed_at=now,
            expires_at=now + self._retention.reports_seconds,
        )
        async with transaction(self._engine) as conn:
            await conn.execute(
                sa.insert(reports).values(
                    id=record.id,
                    room=report.room,
                    mid=report.mid,
                    about=report.about,
                    about_name=report.about_name,
                    from_member=report.from_member,
                    text=report.text,
                    reason=report.reason,
                    filed_at=now,
                    expires_at=record.expires_at,
                )
            )
        return record

    async def open_reports(self, room: str | None = None) -> list[ReportRecord]:
        query = (
            sa.select(reports)
            .where(reports.c.expires_at > self._clock.now())
            .order_by(reports.c.filed_at, reports.c.id)
        )
        if room is not None:
            query = query.where(reports.c.room == room)
        async with connect(self._engine) as conn:
            return [_report(row) for row in (await conn.execute(query)).all()]

    async def close_report(self, report_id: str) -> bool:
        async with transaction(self._engine) as conn:
            done = await conn.execute(sa.delete(reports).where(reports.c.id == report_id))
        return bool(done.rowcount)

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
        entry = {
            "room": room,
            "action": ModerationAction(action).value,  # a fixed set: never free text
            "actor": actor,
            "target": target,
            "at": self._clock.now(),
            "until": until,
        }
        async with transaction(self._engine) as conn:
            await conn.execute(sa.insert(moderation_log).values(entry))

    async def moderation_log(
        self, room: str | None = None, *, limit: int = 100
    ) -> list[ModerationEntry]:
        query = (
            sa.select(moderation_log)
            .order_by(moderation_log.c.at.desc(), moderation_log.c.id.desc())
            .limit(limit)
        )
        if room is not None:
            query = query.where(moderation_log.c.room == room)
        async with connect(self._engine) as conn:
            rows = (await conn.execute(query)).all()
        return [
            ModerationEntry(
                id=row.id,
                room=row.room,
                action=ModerationAction(row.action),
                actor=row.actor,
                target=row.target,
                at=row.at,
                until=row.until,
            )
            for row in rows
        ]


def _report(row: Any) -> ReportRecord:
    return ReportRecord(
        id=row.id,
        report=NewReport(
            room=row.room,
            mid=row.mid,
            about=row.about,
            about_name=row.about_name,
            from_member=row.from_member,
            text=row.text,
            reason=row.reason,
        ),
        filed_at=row.filed_at,
        expires_at=row.expires_at,
    )
