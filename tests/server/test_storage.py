"""server/storage.py: where the store is, and the retention sweeps a node runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from rooms.backends.memory import MemoryBackend
from rooms.clock import ManualClock
from rooms.model import RoomConfig
from rooms.store import NewReport, Retention, StoreUnavailable, open_store
from server import storage
from server.settings import Settings
from tests.support.live import live_server, node_settings
from tests.support.postgres_server import PostgresServer, PostgresUnavailable
from tests.support.stores import migrated_store


def test_the_data_directory_follows_systemd_then_xdg_then_home() -> None:
    assert storage.default_data_dir({"STATE_DIRECTORY": "/var/lib/sc:/x"}) == Path("/var/lib/sc")
    assert storage.default_data_dir({"XDG_STATE_HOME": "/s"}) == Path("/s/sharecircle")
    assert storage.default_data_dir({}) == Path.home() / ".local/state/sharecircle"


def test_the_database_url_is_the_setting_or_the_file_in_the_data_directory() -> None:
    pg = Settings(database_url="postgresql://u:secret@db/sc")
    assert storage.database_url(pg) == "postgresql://u:secret@db/sc"
    assert "secret" not in storage.describe(storage.database_url(pg))
    here = Settings(data_dir="/srv/sc")
    assert storage.database_url(here) == "sqlite:////srv/sc/sharecircle.db"
    assert storage.database_url(Settings(), {"XDG_STATE_HOME": "/s"}) == (
        "sqlite:////s/sharecircle/sharecircle.db"
    )


def test_database_url_comes_from_the_environment_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHARECIRCLE_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://a/b")
    assert Settings.load().database_url == "postgresql://a/b"
    monkeypatch.setenv("SHARECIRCLE_DATABASE_URL", "postgresql://c/d")
    assert Settings.load().database_url == "postgresql://c/d"


async def test_a_node_sweeps_on_its_interval_and_survives_a_failed_sweep(
    tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Past its retention a report is swept without anyone asking; a failing sweep is logged and
    the next one runs."""
    store = await migrated_store(
        f"sqlite:///{tmp_path / 'sc.db'}", clock, Retention(reports_seconds=100)
    )
    report = NewReport("night-owls", 1, "m-1", "Sam", "m-2", "words", "")
    await store.file_report(report)
    caplog.set_level(logging.INFO, logger="server.storage")
    sweeper = asyncio.create_task(storage.sweep_forever(store, clock, interval=60))
    try:
        await asyncio.sleep(0)
        clock.advance(120)
        async with asyncio.timeout(5):
            while "reports=1" not in caplog.text:  # noqa: ASYNC110 (the sweeper task)
                await asyncio.sleep(0.01)
        assert await store.open_reports() == []
        broken = open_store(f"sqlite:///{tmp_path / 'missing' / 'x.db'}", clock=clock)
        failing = asyncio.create_task(storage.sweep_forever(broken, clock, interval=60))
        await asyncio.sleep(0)
        clock.advance(60)
        async with asyncio.timeout(5):
            while "retention sweep failed" not in caplog.text:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        assert not failing.done()
        failing.cancel()
        await broken.aclose()
    finally:
        sweeper.cancel()
        await store.aclose()
    assert "words" not in caplog.text


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL of this test's own: it gets stopped and started."""
    try:
        server = PostgresServer.launch()
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL server binaries not installed: {exc}")
    with server:
        yield server


async def test_the_store_comes_back_after_postgresql_restarts(
    own_postgres: PostgresServer, clock: ManualClock
) -> None:
    """While PostgreSQL is down every call is `StoreUnavailable`; once it is back, the same store
    object works again with what was written before."""
    store = await migrated_store(own_postgres.create_database(), clock)
    try:
        made = await store.add_staff("Robin", admin=True, rooms=[])
        assert made.key is not None
        own_postgres.stop()
        with pytest.raises(StoreUnavailable):
            await store.ping()
        with pytest.raises(StoreUnavailable):
            await store.sign_in("Robin", made.key)
        own_postgres.start()
        assert await store.sign_in("Robin", made.key) == made.account
    finally:
        await store.aclose()


async def test_rooms_an_earlier_version_kept_in_the_backend_move_into_the_store(
    tmp_path: Path,
) -> None:
    """Upgrading loses no admin-made room: those in the backend are copied over, once."""
    backend = MemoryBackend()
    try:
        await backend.save_room("old-room", b'{"slug": "old-room", "name": "Old Room"}')
        await backend.save_room("garbled", b"not json")
        settings = node_settings(database_url=f"sqlite:///{tmp_path / 'sc.db'}")
        async with live_server(settings, backend=backend) as live:
            assert (await live.node.service.catalog.get("old-room")).name == "Old Room"
            assert [r.slug for r in await live.node.store.load_rooms()] == ["old-room"]
            await live.node.store.save_room(RoomConfig(slug="old-room", name="Renamed"))
        async with live_server(settings, backend=backend) as live:
            assert (await live.node.service.catalog.get("old-room")).name == "Renamed"
    finally:
        await backend.aclose()
