"""Schema migrations: forward from nothing, forward from each earlier revision with data in it,
the tables they make match `rooms/store/schema.py`, and a node refuses a database left behind."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from facilitation.shipped import TWELVE_STEP_TEXT
from rooms.clock import ManualClock
from rooms.model import RoomConfig
from rooms.store import SchemaAhead, SchemaBehind, open_store
from rooms.store.migrate import current_revision, head_revision, revisions, upgrade
from rooms.store.schema import metadata
from tests.support.stores import DIALECTS, store_url


@pytest.fixture(params=DIALECTS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_url(request, request.param, tmp_path)


def test_there_are_several_revisions_in_one_line() -> None:
    """At least two revisions, so "upgrade from the previous version" is exercised for real."""
    assert len(revisions()) >= 2
    assert revisions()[-1] == head_revision()


async def test_an_empty_database_migrates_to_the_head_matching_the_schema(
    empty_url: str,
) -> None:
    """From nothing to head; what the migrations made is what the queries expect."""
    store = open_store(empty_url)
    try:
        assert await current_revision(store.engine) is None
        assert await upgrade(store.engine) == (None, head_revision())

        def differences(conn: sa.Connection) -> list[Any]:
            return list(compare_metadata(MigrationContext.configure(conn), metadata))

        async with store.engine.connect() as conn:
            assert await conn.run_sync(differences) == []
        assert await upgrade(store.engine) == (head_revision(), head_revision())  # idempotent
    finally:
        await store.aclose()


@pytest.mark.parametrize("start", revisions()[:-1])
async def test_a_database_from_an_earlier_revision_keeps_its_data(
    empty_url: str, start: str, clock: ManualClock
) -> None:
    """Made by an older version (rooms and staff written then), migrated: all still there."""
    store = open_store(empty_url, clock=clock)
    try:
        await upgrade(store.engine, start)
        await _save_room_as_before_0003(store.engine, "sunrise", "Sunrise")
        made = await store.add_staff("Robin", admin=True, rooms=["sunrise"])
        assert made.key is not None
        await upgrade(store.engine)
        assert await current_revision(store.engine) == head_revision()
        assert await store.load_rooms() == [RoomConfig(slug="sunrise", name="Sunrise")]
        assert await store.sign_in("Robin", made.key) == made.account
        ban = await store.add_ban("sunrise", {"m-1"}, until=clock.now() + 60)  # new tables work
        assert await store.find_ban("sunrise", {"m-1"}) == ban
    finally:
        await store.aclose()


async def _save_room_as_before_0003(engine: AsyncEngine, slug: str, name: str) -> None:
    """A room row as revisions 0001-0002 wrote it: the whole config in one JSON column."""
    config = {
        "slug": slug, "name": name, "description": "", "access": "open", "self_led": False,
        "share_seconds": 180, "listen_only": False, "replay_seconds": None,
    }  # fmt: skip
    async with engine.begin() as conn:
        await conn.execute(
            sa.text(
                "INSERT INTO rooms (slug, config, created_at, updated_at) VALUES (:s, :c, 1, 1)"
            ),
            {"s": slug, "c": json.dumps(config)},
        )


async def test_rooms_from_before_0003_get_a_format_and_a_language(
    empty_url: str, clock: ManualClock
) -> None:
    """Rooms written before 0003 meet in English with no format; after it, both are kept."""
    store = open_store(empty_url, clock=clock)
    try:
        await upgrade(store.engine, "0002")
        await _save_room_as_before_0003(store.engine, "old", "Old")
        await upgrade(store.engine)
        (old,) = await store.load_rooms()
        assert (old.format, old.language) == (None, "en")
        inline = TWELVE_STEP_TEXT.to_mapping() | {"key": "own-twelve", "title": "Our own"}
        made = [
            RoomConfig.from_mapping({"slug": "old", "format": "tools-based", "language": "es"}),
            RoomConfig.from_mapping({"slug": "own", "format": inline}),
        ]
        for room in made:
            await store.save_room(room)
        assert await store.load_rooms() == made
        async with store.engine.connect() as conn:
            stored = (await conn.execute(sa.text("SELECT format FROM rooms ORDER BY slug"))).all()
        assert json.loads(stored[0][0]) == "tools-based"  # a shipped format is kept by key
        assert json.loads(stored[1][0])["title"] == "Our own"
    finally:
        await store.aclose()


async def test_a_node_refuses_a_database_that_is_behind(empty_url: str) -> None:
    """Without auto-upgrade (PostgreSQL), an empty or older schema is refused with advice."""
    store = open_store(empty_url)
    try:
        with pytest.raises(SchemaBehind, match="sharecircle migrate") as empty:
            await store.check_schema(auto_upgrade=False)
        assert empty.value.current is None
        await upgrade(store.engine, revisions()[0])
        with pytest.raises(SchemaBehind) as older:
            await store.check_schema(auto_upgrade=False)
        assert older.value.current == revisions()[0]
        await store.check_schema(auto_upgrade=True)
        await store.check_schema(auto_upgrade=False)
        assert await current_revision(store.engine) == head_revision()
    finally:
        await store.aclose()


async def test_a_node_refuses_a_database_a_newer_version_migrated(empty_url: str) -> None:
    """A revision this code does not know is never "upgraded" or downgraded: refused."""
    store = open_store(empty_url)
    try:
        await upgrade(store.engine)
        async with store.engine.begin() as conn:
            await conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
        for auto in (True, False):
            with pytest.raises(SchemaAhead, match="newer sharecircle"):
                await store.check_schema(auto_upgrade=auto)
    finally:
        await store.aclose()


async def test_nodes_starting_together_migrate_once_without_failing(empty_url: str) -> None:
    """Three stores on one empty database check (and migrate) their schema at the same moment,
    as nodes sharing a SQLite file or a PostgreSQL database do: all start, none trips."""
    stores = [open_store(empty_url) for _ in range(3)]
    try:
        await asyncio.gather(*(s.check_schema(auto_upgrade=True) for s in stores))
        for store in stores:
            assert await current_revision(store.engine) == head_revision()
    finally:
        for store in stores:
            await store.aclose()
