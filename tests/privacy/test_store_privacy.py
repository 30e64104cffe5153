"""What the durable store writes to disk, and that deleted text is really gone from it.

The one piece of message text the store ever holds is a reported message (and the reporter's
reason), while the report is open. After the report is closed, or its retention passes and a
sweep runs, no byte of it may remain: not in a table, and on SQLite not in the database file, its
WAL or its shared-memory file either (`secure_delete`, then `purge` checkpoints and vacuums). The
moderation log cannot take text at all. docs/privacy.md makes these promises.
"""

from __future__ import annotations

import inspect
import secrets
from pathlib import Path

import pytest
import sqlalchemy as sa

from rooms.clock import ManualClock
from rooms.store import ModerationAction, NewReport, Retention, SqlStore
from rooms.store.base import Store
from rooms.store.schema import metadata
from tests.support.stores import DIALECTS, migrated_store, store_url

RETENTION = Retention(reports_seconds=600)


def marker(kind: str) -> str:
    return f"{kind}{secrets.token_hex(6)}"


async def table_text(store: SqlStore) -> str:
    """Every value of every table, joined: what a `SELECT *` of the whole database shows."""
    parts: list[str] = []
    async with store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            parts += [repr(tuple(row)) for row in (await conn.execute(sa.select(table))).all()]
    return "\n".join(parts)


def file_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file())


async def fill(store: SqlStore, clock: ManualClock, markers: list[str]) -> str:
    """Two reports with marker text, moderation around them; returns the id of the first."""
    first = await store.file_report(
        NewReport(
            room="night-owls",
            mid=3,
            about="m-1",
            about_name="Sam",
            from_member="m-2",
            text=markers[0],
            reason=markers[1],
        )
    )
    clock.advance(60)
    await store.file_report(
        NewReport(
            room="night-owls",
            mid=4,
            about="m-1",
            about_name="Sam",
            from_member="m-3",
            text=markers[2],
        )
    )
    await store.log_action("night-owls", ModerationAction.REMOVE, actor="m-f", target="m-1")
    await store.add_ban("night-owls", {"m-1", "net-1"}, until=clock.now() + 300)
    return first.id


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_closed_and_expired_reports_leave_no_text_in_the_tables(
    request: pytest.FixtureRequest, dialect: str, tmp_path: Path, clock: ManualClock
) -> None:
    """While open, the text is there (that is what a report is); closed or swept, it is not."""
    markers = [marker("TEXT"), marker("REASON"), marker("TEXT")]
    store = await migrated_store(store_url(request, dialect, tmp_path), clock, RETENTION)
    try:
        first = await fill(store, clock, markers)
        text = await table_text(store)
        assert all(m in text for m in markers)
        await store.close_report(first)
        text = await table_text(store)
        assert markers[0] not in text
        assert markers[1] not in text
        assert markers[2] in text
        clock.advance(RETENTION.reports_seconds)
        assert (await store.sweep()).reports == 1
        text = await table_text(store)
        assert not [m for m in markers if m in text]
        assert "net-1" not in text  # the ban ended (300 s) and was swept with its marks
    finally:
        await store.aclose()


async def test_after_purge_no_reported_text_is_left_in_the_sqlite_files(
    tmp_path: Path, clock: ManualClock
) -> None:
    """The database file, its WAL and its shm file hold no byte of a closed report."""
    markers = [marker("TEXT"), marker("REASON"), marker("TEXT")]
    store = await migrated_store(f"sqlite:///{tmp_path / 'sharecircle.db'}", clock, RETENTION)
    try:
        await fill(store, clock, markers)
        assert markers[0].encode() in file_bytes(tmp_path)  # the canary can be seen at all
        await store.purge(reports=True)
        on_disk = file_bytes(tmp_path)
        assert not [m for m in markers if m.encode() in on_disk]
    finally:
        await store.aclose()
    on_disk = file_bytes(tmp_path)
    assert not [m for m in markers if m.encode() in on_disk]


def test_the_moderation_log_has_no_way_to_take_text() -> None:
    """`log_action` takes ids, a fixed action and times: no parameter could carry words."""
    parameters = set(inspect.signature(Store.log_action).parameters)
    assert parameters == {"self", "room", "action", "actor", "target", "until"}
    assert {c.name for c in metadata.tables["moderation_log"].columns} == {
        "id",
        "room",
        "action",
        "actor",
        "target",
        "at",
        "until",
    }
