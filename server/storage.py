"""Where a node's durable store is, opening it at start-up, and the retention sweeps.

The embedded default is SQLite in the data directory and migrates itself at start-up: one file
on one host, so there is no other node to coordinate with, and `sharecircle serve` keeps working
with nothing installed or run first. PostgreSQL is shared by several nodes, so a node never
migrates it by itself (two nodes of a rolling deploy would race, and an old node would meet a
new schema): it refuses to start until `sharecircle migrate` has run (docs/storage.md).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from rooms.backends.base import Backend
from rooms.clock import Clock
from rooms.errors import BackendUnavailable
from rooms.model import RoomConfig, RoomConfigError
from rooms.store import Retention, SqlStore, Store, StoreError, open_store
from rooms.store.engine import normalise_url
from server.settings import Settings

__all__ = [
    "adopt_backend_rooms",
    "database_url",
    "default_data_dir",
    "describe",
    "open_node_store",
    "open_unchecked",
    "retention",
    "sweep_forever",
]

log = logging.getLogger(__name__)

DATABASE_FILE = "sharecircle.db"


def default_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """systemd's state directory, else the XDG state directory of the user running the node."""
    env = os.environ if env is None else env
    if env.get("STATE_DIRECTORY"):
        return Path(env["STATE_DIRECTORY"].split(":")[0])
    state_home = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state_home) / "sharecircle"


def database_url(settings: Settings, env: Mapping[str, str] | None = None) -> str:
    """The store's URL: `database_url`, else the SQLite file in the data directory."""
    if settings.database_url:
        return settings.database_url
    directory = Path(settings.data_dir) if settings.data_dir else default_data_dir(env)
    return f"sqlite:///{directory / DATABASE_FILE}"


def describe(url: str) -> str:
    """The URL without its password, for the console."""
    return normalise_url(url).render_as_string(hide_password=True)


def retention(settings: Settings) -> Retention:
    return Retention(
        reports_seconds=settings.report_retention_seconds,
        moderation_log_seconds=settings.moderation_log_retention_seconds,
        invites_seconds=settings.invite_retention_seconds,
    )


def open_unchecked(settings: Settings, clock: Clock) -> SqlStore:
    """The store, its data directory made if it is the embedded default; schema not checked."""
    if not settings.database_url:
        directory = Path(settings.data_dir) if settings.data_dir else default_data_dir()
        _make_private_dir(directory)
    return open_store(database_url(settings), clock=clock, retention=retention(settings))


async def open_node_store(settings: Settings, clock: Clock) -> SqlStore:
    """Open the store and check its schema (SQLite: migrated here; PostgreSQL: refused if behind).

    Raises:
        SchemaBehind: a PostgreSQL database needs `sharecircle migrate`.
        StoreUnavailable: the database cannot be reached.
        OSError: the data directory cannot be made.
    """
    store = open_unchecked(settings, clock)
    try:
        await store.check_schema(auto_upgrade=store.dialect == "sqlite")
    except BaseException:
        await store.aclose()
        raise
    return store


def _make_private_dir(directory: Path) -> None:
    """The data directory, readable by the node's user only (it holds open reports)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)


async def sweep_forever(store: Store, clock: Clock, interval: float) -> None:
    """Run a retention sweep every `interval` seconds until cancelled; log counts, never content.

    A failed sweep is logged and retried at the next interval: the database may be restarting,
    and nothing in a meeting depends on a sweep.
    """
    while True:
        await clock.sleep_until(clock.now() + interval)
        try:
            swept = await store.sweep()
        except StoreError as exc:
            log.warning("retention sweep failed: %s", exc)
            continue
        log.info(
            "retention sweep: bans=%d invites=%d reports=%d moderation_log=%d",
            swept.bans,
            swept.invites,
            swept.reports,
            swept.moderation_log,
        )


async def adopt_backend_rooms(backend: Backend, store: Store) -> int:
    """Copy rooms an earlier version kept in the backend (Redis) into the store; returns how many.

    Before the store existed, admin-made rooms lived only in the backend. A room already in the
    store wins. Nothing is lost if the backend is unreachable now: this runs on every start.
    """
    try:
        kept = await backend.load_rooms()
    except BackendUnavailable:
        log.warning("could not look for rooms kept in the backend; will look at the next start")
        return 0
    stored = {room.slug for room in await store.load_rooms()}
    adopted = 0
    for slug, blob in sorted(kept.items()):
        if slug in stored:
            continue
        try:
            room = RoomConfig.from_mapping(json.loads(blob))
        except (ValueError, RoomConfigError):
            log.warning("skipped an unreadable room kept in the backend")
            continue
        await store.save_room(room)
        adopted += 1
    if adopted:
        log.info("moved %d rooms from the backend into the store", adopted)
    return adopted
