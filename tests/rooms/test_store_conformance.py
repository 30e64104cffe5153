"""One suite for every store: SQLite (a file) and a real throwaway PostgreSQL.

Each test runs once per dialect (the `store` fixture's params); no test body is written twice.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from rooms.clock import ManualClock
from rooms.model import RoomConfig
from rooms.store import (
    ModerationAction,
    NewReport,
    Retention,
    SqlStore,
    StoreConflict,
    StoreUnavailable,
    open_store,
)
from rooms.store.schema import metadata
from tests.support.stores import DIALECTS, migrated_store, store_url

RETENTION = Retention(reports_seconds=3600, moderation_log_seconds=7200, invites_seconds=600)


@pytest.fixture(params=DIALECTS)
def store_url_param(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_url(request, request.param, tmp_path)


@pytest.fixture
async def store(store_url_param: str, clock: ManualClock) -> AsyncIterator[SqlStore]:
    """A migrated, empty store of each dialect on the manual clock."""
    opened = await migrated_store(store_url_param, clock, RETENTION)
    try:
        yield opened
    finally:
        await opened.aclose()


async def all_values(store: SqlStore) -> list[str]:
    """Every value in every table, as text (what someone reading the database would see)."""
    found: list[str] = []
    async with store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in (await conn.execute(sa.select(table))).all():
                found += [str(v) for v in row]
    return found


def report(room: str = "night-owls", text: str = "what was said", **kw: object) -> NewReport:
    fields: dict[str, object] = {
        "room": room,
        "mid": 7,
        "about": "m-about",
        "about_name": "Sam",
        "from_member": "m-from",
        "text": text,
        "reason": "felt unsafe",
    }
    fields.update(kw)
    return NewReport(**fields)  # type: ignore[arg-type]


# -- rooms ---------------------------------------------------------------------------------------


async def test_rooms_are_saved_replaced_and_deleted(store: SqlStore) -> None:
    """A saved room comes back; saving the slug again replaces it; deleting forgets it."""
    await store.save_room(RoomConfig(slug="sunrise", name="Sunrise"))
    await store.save_room(RoomConfig(slug="dusk", name="Dusk", access="closed", self_led=True))
    await store.save_room(RoomConfig(slug="sunrise", name="Sunrise Again", share_seconds=300))
    assert await store.load_rooms() == [
        RoomConfig(slug="dusk", name="Dusk", access="closed", self_led=True),
        RoomConfig(slug="sunrise", name="Sunrise Again", share_seconds=300),
    ]
    assert await store.delete_room("dusk") is True
    assert await store.delete_room("dusk") is False
    assert [r.slug for r in await store.load_rooms()] == ["sunrise"]


async def test_what_is_stored_survives_reopening(store_url_param: str, clock: ManualClock) -> None:
    """A second store on the same database (a restarted node) sees rooms, staff and bans."""
    first = await migrated_store(store_url_param, clock)
    await first.save_room(RoomConfig(slug="sunrise", name="Sunrise"))
    made = await first.add_staff("Robin", admin=False, rooms=["sunrise"])
    ban = await first.add_ban("sunrise", {"m-1", "net-x"}, until=clock.now() + 600)
    await first.aclose()
    second = await migrated_store(store_url_param, clock)
    try:
        assert [r.slug for r in await second.load_rooms()] == ["sunrise"]
        assert made.key is not None
        assert await second.sign_in("Robin", made.key) == made.account
        assert await second.find_ban("sunrise", {"net-x"}) == ban
    finally:
        await second.aclose()


# -- staff ---------------------------------------------------------------------------------------


async def test_a_staff_key_signs_in_and_only_its_hash_is_stored(store: SqlStore) -> None:
    """A generated key is returned once, signs in, and appears nowhere in the database."""
    made = await store.add_staff("Robin", admin=False, rooms=["night-owls", "daily-check-in"])
    assert made.key is not None
    assert made.key.startswith("sck_")
    assert made.account.rooms == frozenset({"night-owls", "daily-check-in"})
    assert made.account.credential == "key"
    assert await store.sign_in("robin", made.key) == made.account  # names match by skeleton
    assert await store.sign_in("Robin", made.key + "x") is None
    assert await store.sign_in("Nobody", made.key) is None
    assert not any(made.key in value for value in await all_values(store))


async def test_a_staff_passphrase_is_hashed_with_argon2(store: SqlStore) -> None:
    """A passphrase signs in, is stored as an Argon2id hash, and must be long enough."""
    passphrase = "correct horse battery staple"
    made = await store.add_staff("Ash", admin=True, rooms=[], passphrase=passphrase)
    assert made.key is None
    assert made.account.credential == "passphrase"
    assert await store.sign_in("Ash", passphrase) == made.account
    assert await store.sign_in("Ash", "correct horse battery stapl") is None
    values = await all_values(store)
    assert not any(passphrase in value for value in values)
    assert any(value.startswith("$argon2id$") for value in values)
    with pytest.raises(ValueError, match="passphrase"):
        await store.add_staff("Short", admin=False, rooms=[], passphrase="too short")


async def test_staff_names_are_pseudonyms_unique_by_skeleton(store: SqlStore) -> None:
    """A look-alike of an existing name is refused, as is a name that is not a usable name."""
    await store.add_staff("Robin", admin=False, rooms=[])
    for lookalike in ("ROBIN", "Rob1n"):
        with pytest.raises(StoreConflict):
            await store.add_staff(lookalike, admin=False, rooms=[])
    for bad in ("", "x" * 40, "a\u200bb"):
        with pytest.raises(ValueError, match="name"):
            await store.add_staff(bad, admin=False, rooms=[])


async def test_a_revoked_account_cannot_sign_in(store: SqlStore, clock: ManualClock) -> None:
    """Revoking is at once and for good; the name stays taken; listing hides it unless asked."""
    robin = await store.add_staff("Robin", admin=False, rooms=["night-owls"])
    ash = await store.add_staff("Ash", admin=True, rooms=[])
    assert robin.key is not None
    assert [a.name for a in await store.list_staff()] == ["Ash", "Robin"]
    clock.advance(5)
    assert await store.revoke_staff("Robin") is True
    assert await store.revoke_staff("Robin") is False
    assert await store.sign_in("Robin", robin.key) is None
    assert [a.name for a in await store.list_staff()] == ["Ash"]
    revoked = [a for a in await store.list_staff(include_revoked=True) if a.name == "Robin"]
    assert revoked[0].revoked_at == clock.now()
    assert not revoked[0].may_facilitate("night-owls")
    assert ash.account.may_facilitate("any-room")
    assert robin.account.may_facilitate("night-owls")
    assert not robin.account.may_facilitate("daily-check-in")
    with pytest.raises(StoreConflict):
        await store.add_staff("Robin", admin=False, rooms=[])


async def test_an_account_is_read_by_name_revoked_or_not(
    store: SqlStore, clock: ManualClock
) -> None:
    """`staff_account` finds an account by its name's skeleton and shows when it was revoked."""
    robin = await store.add_staff("Robin", admin=False, rooms=["night-owls"])
    assert await store.staff_account("rob1n") == robin.account
    assert await store.staff_account("Nobody") is None
    clock.advance(3)
    await store.revoke_staff("Robin")
    found = await store.staff_account("Robin")
    assert found is not None
    assert found.revoked_at == clock.now()
    assert not found.may_facilitate("night-owls")


# -- invites -------------------------------------------------------------------------------------


async def test_an_invite_is_read_without_being_spent(store: SqlStore, clock: ManualClock) -> None:
    """`invite` reads a record as it is (used, revoked or not) and never spends it."""
    made = await store.create_invite("night-owls", "facilitator", ttl=600, single_use=True)
    assert await store.invite(made.id) == made
    assert await store.redeem_invite(made.id, "night-owls", "facilitator") is not None
    spent = await store.invite(made.id)
    assert spent is not None
    assert spent.used_at is not None
    assert not spent.usable(clock.now())
    assert await store.revoke_invite(made.id) is True  # spent, yet revocable: ends its seat
    revoked = await store.invite(made.id)
    assert revoked is not None
    assert revoked.revoked_at == clock.now()
    assert await store.invite("no-such-invite") is None


async def test_a_single_use_invite_is_redeemed_once(store: SqlStore) -> None:
    """The first redemption succeeds and spends it; the next finds nothing."""
    made = await store.create_invite("night-owls", "facilitator", ttl=3600, single_use=True)
    used = await store.redeem_invite(made.id, "night-owls", "facilitator")
    assert used is not None
    assert used.used_at is not None
    assert await store.redeem_invite(made.id, "night-owls", "facilitator") is None
    assert await store.list_invites() == []


async def test_two_nodes_racing_for_a_single_use_invite_get_one_win(
    store_url_param: str, clock: ManualClock
) -> None:
    """Two stores on one database redeem the same invite at once: exactly one succeeds."""
    first = await migrated_store(store_url_param, clock)
    second = await migrated_store(store_url_param, clock)
    try:
        made = await first.create_invite("night-owls", "member", ttl=60, single_use=True)
        results = await asyncio.gather(
            *(
                node.redeem_invite(made.id, "night-owls", "member")
                for node in (first, second, first, second)
            )
        )
        assert sum(r is not None for r in results) == 1
    finally:
        await first.aclose()
        await second.aclose()


async def test_a_time_limited_invite_works_until_it_lapses(
    store: SqlStore, clock: ManualClock
) -> None:
    """A reusable invite redeems many times, for its room and role only, until its time."""
    made = await store.create_invite("night-owls", "member", ttl=100, single_use=False)
    for _ in range(3):
        assert await store.redeem_invite(made.id, "night-owls", "member") == made
    assert await store.redeem_invite(made.id, "daily-check-in", "member") is None
    assert await store.redeem_invite(made.id, "night-owls", "facilitator") is None
    clock.advance(100)
    assert await store.redeem_invite(made.id, "night-owls", "member") is None
    assert await store.list_invites() == []


async def test_a_revoked_invite_is_refused(store: SqlStore, clock: ManualClock) -> None:
    """Revoking an invite ends it; listing shows only usable ones, per room if asked."""
    keep = await store.create_invite("night-owls", "facilitator", ttl=600, single_use=False)
    clock.advance(1)
    other = await store.create_invite("daily-check-in", "member", ttl=600, single_use=True)
    clock.advance(1)
    gone = await store.create_invite("night-owls", "member", ttl=600, single_use=True)
    assert [i.id for i in await store.list_invites()] == [gone.id, other.id, keep.id]
    assert await store.revoke_invite(gone.id) is True
    assert await store.revoke_invite(gone.id) is False
    assert await store.revoke_invite("no-such-invite") is False
    assert await store.redeem_invite(gone.id, "night-owls", "member") is None
    assert [i.id for i in await store.list_invites("night-owls")] == [keep.id]


# -- bans ----------------------------------------------------------------------------------------


async def test_a_ban_matches_any_of_its_marks_until_it_ends(
    store: SqlStore, clock: ManualClock
) -> None:
    """A ban holds in its room against any one of its marks, and lapses at `until`."""
    ban = await store.add_ban("night-owls", {"m-1", "net-abc"}, until=clock.now() + 600)
    assert ban.marks == frozenset({"m-1", "net-abc"})
    assert not ban.removal
    assert await store.find_ban("night-owls", {"m-2", "net-abc"}) == ban
    assert await store.find_ban("night-owls", {"m-1"}) == ban
    assert await store.find_ban("night-owls", {"m-2"}) is None
    assert await store.find_ban("night-owls", set()) is None
    assert await store.find_ban("daily-check-in", {"m-1"}) is None
    clock.advance(600)
    assert await store.find_ban("night-owls", {"m-1"}) is None


async def test_removals_and_bans_are_listed_and_lifted(store: SqlStore, clock: ManualClock) -> None:
    """Active bans come soonest-ending first; the latest-ending match wins; lifting deletes."""
    now = clock.now()
    removal = await store.add_ban("night-owls", {"m-1"}, until=now + 300, removal=True)
    ban = await store.add_ban("night-owls", {"m-1", "net-1"}, until=now + 900)
    assert removal.removal
    assert await store.active_bans("night-owls") == [removal, ban]
    assert await store.find_ban("night-owls", {"m-1"}) == ban
    assert await store.lift_ban(ban.id) is True
    assert await store.lift_ban(ban.id) is False
    assert await store.find_ban("night-owls", {"m-1"}) == removal
    with pytest.raises(ValueError, match="marks"):
        await store.add_ban("night-owls", set(), until=now + 10)


# -- reports and the moderation log ---------------------------------------------------------------


async def test_a_report_stays_open_until_closed_or_expired(
    store: SqlStore, clock: ManualClock
) -> None:
    """Open reports list oldest first; closing deletes one; retention ends the others."""
    first = await store.file_report(report(text="first"))
    clock.advance(10)
    second = await store.file_report(report(room="daily-check-in", text="second"))
    assert first.expires_at == first.filed_at + RETENTION.reports_seconds
    assert await store.open_reports() == [first, second]
    assert await store.open_reports("daily-check-in") == [second]
    assert await store.close_report(first.id) is True
    assert await store.close_report(first.id) is False
    assert not any(v == "first" for v in await all_values(store))
    clock.advance(RETENTION.reports_seconds)
    assert await store.open_reports() == []


async def test_the_moderation_log_keeps_ids_and_times_only(
    store: SqlStore, clock: ManualClock
) -> None:
    """Entries come back newest first, per room and limited; only known actions are accepted."""
    await store.log_action("night-owls", ModerationAction.REMOVE, actor="m-f", target="m-1")
    clock.advance(1)
    await store.log_action(
        "night-owls", ModerationAction.BAN, actor="Robin", target="m-2", until=clock.now() + 60
    )
    clock.advance(1)
    await store.log_action("daily-check-in", ModerationAction.LOCK, actor="m-f")
    latest = await store.moderation_log()
    assert [e.action for e in latest] == [
        ModerationAction.LOCK,
        ModerationAction.BAN,
        ModerationAction.REMOVE,
    ]
    assert latest[1].until == clock.now() - 1 + 60
    assert [e.action for e in await store.moderation_log("night-owls", limit=1)] == ["ban"]
    with pytest.raises(ValueError, match="not a valid"):
        await store.log_action("night-owls", "said something awful", actor="m-f")  # type: ignore[arg-type]


# -- retention -----------------------------------------------------------------------------------


async def test_a_sweep_deletes_what_is_past_its_time(store: SqlStore, clock: ManualClock) -> None:
    """Ended bans, old invites, expired reports and old log entries go; the rest stays."""
    now = clock.now()
    await store.add_ban("night-owls", {"m-1"}, until=now + 100)
    lasting = await store.add_ban("night-owls", {"m-2"}, until=now + 100_000)
    spent = await store.create_invite("night-owls", "member", ttl=10_000, single_use=True)
    await store.redeem_invite(spent.id, "night-owls", "member")
    await store.create_invite("night-owls", "member", ttl=50, single_use=False)
    usable = await store.create_invite("night-owls", "member", ttl=100_000, single_use=False)
    await store.file_report(report())
    await store.log_action("night-owls", ModerationAction.MUTE, actor="m-f", target="m-3")
    assert await store.sweep() == type(await store.sweep())()  # nothing is due yet
    clock.advance(RETENTION.moderation_log_seconds)
    swept = await store.sweep()
    assert (swept.bans, swept.invites, swept.reports, swept.moderation_log) == (1, 2, 1, 1)
    assert await store.active_bans("night-owls") == [lasting]
    assert [i.id for i in await store.list_invites()] == [usable.id]
    assert await store.open_reports() == []
    assert await store.moderation_log() == []


async def test_purge_can_empty_reports_and_the_log_at_once(store: SqlStore) -> None:
    """`purge` with both flags deletes every report and log entry, due or not."""
    await store.file_report(report())
    await store.log_action("night-owls", ModerationAction.RESET, actor="admin")
    assert (await store.purge()).reports == 0
    purged = await store.purge(reports=True, moderation_log=True)
    assert (purged.reports, purged.moderation_log) == (1, 1)
    assert await store.open_reports() == []
    assert await store.moderation_log() == []


# -- failures ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////nonexistent-dir/sub/sharecircle.db",
        "postgresql://postgres@/nothing?host=/tmp/no-such-socket-dir&connect_timeout=2",
    ],
)
async def test_an_unreachable_database_is_reported_as_unavailable(url: str) -> None:
    """No database behind the URL: a clear `StoreUnavailable`, never a driver exception."""
    threads = set(threading.enumerate())
    store = open_store(url)
    try:
        with pytest.raises(StoreUnavailable):
            await store.ping()
        with pytest.raises(StoreUnavailable):
            await store.load_rooms()
    finally:
        await store.aclose()
    # aiosqlite stops a connection that failed to open on its worker thread, answering this
    # loop when done; let it, so it never answers a loop that is already closed.
    async with asyncio.timeout(5):
        while set(threading.enumerate()) - threads:  # noqa: ASYNC110 (another thread)
            await asyncio.sleep(0.01)


@pytest.mark.parametrize("url", ["mysql://x@y/z", "not a url", "redis://localhost"])
def test_only_sqlite_and_postgresql_urls_are_accepted(url: str) -> None:
    with pytest.raises(ValueError, match="sqlite"):
        open_store(url)
