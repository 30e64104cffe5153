"""The catalog on a real store, without sockets: configured rooms, stored rooms, misses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rooms.catalog import Catalog
from rooms.clock import ManualClock
from rooms.errors import RoomNotFound
from rooms.model import RoomConfig
from rooms.store import SqlStore
from tests.support.stores import migrated_store

CONFIGURED = (RoomConfig(slug="night-owls", name="Night Owls"),)


@pytest.fixture
async def store(tmp_path: Path, clock: ManualClock) -> AsyncIterator[SqlStore]:
    opened = await migrated_store(f"sqlite:///{tmp_path / 'sc.db'}", clock)
    yield opened
    await opened.aclose()


async def test_a_room_made_on_one_node_is_found_by_another_on_a_miss(store: SqlStore) -> None:
    """Two catalogs over one store: the second finds a room the first made by looking again."""
    here, there = Catalog(store, CONFIGURED), Catalog(store, CONFIGURED)
    await here.create(RoomConfig(slug="sunrise", name="Sunrise"))
    assert (await there.get("sunrise")).name == "Sunrise"
    assert [r.slug for r in await there.all()] == ["night-owls", "sunrise"]
    with pytest.raises(RoomNotFound):
        await there.get("nowhere")


async def test_configured_rooms_are_never_replaced_or_stored(store: SqlStore) -> None:
    """The config file is the truth for its rooms: no admin replaces one, none is stored."""
    catalog = Catalog(store, CONFIGURED)
    with pytest.raises(ValueError, match="configuration file"):
        await catalog.create(RoomConfig(slug="night-owls", name="Hijacked"))
    await store.save_room(RoomConfig(slug="night-owls", name="Stored Earlier"))
    assert (await catalog.get("night-owls")).name == "Night Owls"
    assert [r.name for r in await catalog.all()] == ["Night Owls"]
