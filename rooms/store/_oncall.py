"""The SQL store's on-call state: one row, read whole and swapped by compare-and-set."""

from __future__ import annotations

import sqlalchemy as sa

from rooms.store._core import SqlCore
from rooms.store.base import OnCallRecord
from rooms.store.engine import connect, guard, transaction
from rooms.store.schema import oncall_state

__all__ = ["OnCallMixin"]

_ROW = "alerts"


class OnCallMixin(SqlCore):
    async def load_oncall(self) -> OnCallRecord:
        query = sa.select(oncall_state.c.version, oncall_state.c.state).where(
            oncall_state.c.name == _ROW
        )
        async with connect(self._engine) as conn:
            row = (await conn.execute(query)).first()
        return OnCallRecord(0, "") if row is None else OnCallRecord(int(row[0]), str(row[1]))

    async def swap_oncall(self, expected_version: int, state: str) -> bool:
        now = self._clock.now()
        async with transaction(self._engine) as conn:
            done = await conn.execute(
                sa.update(oncall_state)
                .where(oncall_state.c.name == _ROW, oncall_state.c.version == expected_version)
                .values(version=expected_version + 1, state=state, updated_at=now)
            )
        if done.rowcount:
            return True
        if expected_version != 0:
            return False
        # The first write: two nodes may both try to insert; the primary key lets one win.
        with guard():
            try:
                async with self._engine.begin() as conn:
                    await conn.execute(
                        sa.insert(oncall_state).values(
                            name=_ROW, version=1, state=state, updated_at=now
                        )
                    )
            except sa.exc.IntegrityError:
                return False
        return True
