"""Facilitators by record: invites checked against the store, staff sign-in, revocation at once.

One node on the in-memory backend with its own SQLite store; the two-node and Redis versions are
in tests/cluster/test_staff_cluster.py.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from rooms.clock import ManualClock
from tests.support.client import Client
from tests.support.live import Live, live_server, node_settings
from tests.support.postgres_server import PostgresServer, PostgresUnavailable
from tests.support.stores import migrated_store

ADMIN = {"Authorization": "Bearer test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0"}


@pytest.fixture
async def live() -> Any:
    async with live_server() as server:
        yield server


async def add_staff(live: Live, name: str, **fields: Any) -> str:
    made = await live.post("/api/admin/staff", headers=ADMIN, json={"name": name, **fields})
    assert made.status_code == 201, made.text
    return str(made.json().get("key") or fields.get("passphrase"))


async def sign_in(live: Live, name: str, secret: str) -> str:
    answer = await live.post("/api/staff/session", json={"name": name, "secret": secret})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


async def make_invite(
    live: Live, room: str, role: str = "facilitator", **extra: Any
) -> dict[str, Any]:
    made = await live.post(
        f"/api/admin/rooms/{room}/invites", headers=ADMIN, json={"role": role, **extra}
    )
    assert made.status_code == 200, made.text
    body: dict[str, Any] = made.json()
    return body


async def revoke(live: Live, path: str) -> None:
    async with httpx.AsyncClient(base_url=live.http, timeout=10) as http:
        answer = await http.delete(path, headers=ADMIN)
    assert answer.status_code == 200, answer.text


async def joined(live: Live, room: str, name: str, **fields: Any) -> Client:
    client = await Client.connect(live.url)
    await client.join(room, name, **fields)
    return client


async def refused(live: Live, room: str, name: str, **fields: Any) -> str:
    client = await Client.connect(live.url)
    try:
        reply = await client.request("join", room=room, name=name, **fields)
    finally:
        await client.close()
    assert reply["type"] == "error", reply
    return str(reply["code"])


# -- sign-in -------------------------------------------------------------------------------------


async def test_staff_sign_in_with_a_key_or_a_passphrase(live: Live) -> None:
    """Both credentials give a staff token; a wrong secret, a revoked account or a bad body do not."""
    key = await add_staff(live, "Robin", rooms=["night-owls"])
    await add_staff(live, "Ash", admin=True, passphrase="a long enough passphrase")
    by_key = await live.post("/api/staff/session", json={"name": "Robin", "secret": key})
    assert by_key.status_code == 200
    assert by_key.json()["rooms"] == ["night-owls"]
    assert by_key.json()["expires_in"] == 3600
    assert key not in by_key.text
    by_phrase = await live.post(
        "/api/staff/session", json={"name": "ash", "secret": "a long enough passphrase"}
    )
    assert by_phrase.json()["admin"] is True
    wrong = await live.post("/api/staff/session", json={"name": "Robin", "secret": key + "x"})
    assert (wrong.status_code, wrong.json()) == (401, {"error": "invalid_credentials"})
    nobody = await live.post("/api/staff/session", json={"name": "Nobody", "secret": key})
    assert nobody.status_code == 401
    for body in ({}, {"name": "Robin"}, {"name": 3, "secret": key}, []):
        assert (await live.post("/api/staff/session", json=body)).status_code == 400
    await revoke(live, "/api/admin/staff/Robin")
    gone = await live.post("/api/staff/session", json={"name": "Robin", "secret": key})
    assert gone.status_code == 401


async def test_a_staff_member_joins_a_room_they_may_facilitate_as_facilitator(live: Live) -> None:
    """The `staff` field seats the account as facilitator; another room's is refused."""
    key = await add_staff(live, "Robin", rooms=["night-owls"])
    token = await sign_in(live, "Robin", key)
    robin = await joined(live, "night-owls", "Robin", staff=token)
    assert robin.member is not None
    assert robin.member["role"] == "facilitator"
    assert (await robin.ok("lock.set", on=False))["type"] == "ack"
    assert await refused(live, "daily-check-in", "Robin", staff=token) == "invalid_token"
    assert await refused(live, "night-owls", "Rob", staff=token + "x") == "invalid_token"
    await robin.close()


async def test_an_admin_facilitates_every_room_and_opens_a_closed_one(live: Live) -> None:
    """An admin's staff token needs no room invite for a closed room."""
    made = await live.post(
        "/api/admin/rooms",
        headers=ADMIN,
        json={"slug": "inner", "name": "Inner", "access": "closed"},
    )
    assert made.status_code == 201, made.text
    await add_staff(live, "Ash", admin=True, passphrase="a long enough passphrase")
    token = await sign_in(live, "Ash", "a long enough passphrase")
    ash = await joined(live, "inner", "Ash", staff=token)
    assert ash.member is not None
    assert ash.member["role"] == "facilitator"
    await ash.close()


async def test_staff_and_an_invite_together_or_as_an_observer_are_bad_requests(live: Live) -> None:
    key = await add_staff(live, "Robin", rooms=["night-owls"])
    token = await sign_in(live, "Robin", key)
    invite = (await make_invite(live, "night-owls"))["token"]
    both = {"staff": token, "facilitator": invite}
    assert await refused(live, "night-owls", "Robin", **both) == "bad_request"
    client = await Client.connect(live.url)
    reply = await client.request("join", room="night-owls", role="observer", staff=token)
    assert reply["code"] == "bad_request"
    await client.close()


# -- invites as records --------------------------------------------------------------------------


async def test_a_revoked_invite_is_refused_at_join(live: Live) -> None:
    invite = await make_invite(live, "night-owls")
    await revoke(live, f"/api/admin/invites/{invite['id']}")
    assert await refused(live, "night-owls", "Fran", facilitator=invite["token"]) == "invalid_token"


async def test_a_single_use_invite_seats_one_facilitator_only(live: Live) -> None:
    invite = await make_invite(live, "night-owls", single_use=True)
    fran = await joined(live, "night-owls", "Fran", facilitator=invite["token"])
    assert await refused(live, "night-owls", "Fred", facilitator=invite["token"]) == "invalid_token"
    await fran.close()


async def test_an_invite_token_without_a_record_is_refused(live: Live) -> None:
    """Tokens signed before records existed could never be revoked, so none is trusted."""
    old = live.node.tokens.invite("night-owls", "facilitator")
    assert await refused(live, "night-owls", "Fran", facilitator=old) == "invalid_token"


async def test_a_closed_rooms_revoked_member_invite_is_refused(live: Live) -> None:
    made = await live.post(
        "/api/admin/rooms",
        headers=ADMIN,
        json={"slug": "inner", "name": "Inner", "access": "closed"},
    )
    assert made.status_code == 201
    invite = await make_invite(live, "inner", role="member")
    sam = await joined(live, "inner", "Sam", invite=invite["token"])
    await revoke(live, f"/api/admin/invites/{invite['id']}")
    assert await refused(live, "inner", "Kit", invite=invite["token"]) == "invalid_token"
    await sam.close()


# -- revocation of a seated facilitator ----------------------------------------------------------


async def test_a_revoked_account_ends_its_seated_facilitator_at_the_next_command(
    live: Live,
) -> None:
    """The next command is refused, everyone sees them leave, the socket closes 4504, and the
    session token no longer resumes."""
    key = await add_staff(live, "Robin", rooms=["night-owls"])
    robin = await joined(live, "night-owls", "Robin", staff=await sign_in(live, "Robin", key))
    sam = await joined(live, "night-owls", "Sam")
    await revoke(live, "/api/admin/staff/Robin")
    reply = await robin.request("lock.set", on=True)
    assert (reply["type"], reply["code"]) == ("error", "invalid_token")
    assert (await robin.closed())[0] == 4504
    assert robin.member is not None
    await sam.event("member.left", member=robin.member["id"])
    assert (await sam.ok("post", text="still here"))["type"] == "ack"
    again = await Client.connect(live.url)
    assert robin.token is not None
    assert robin.position is not None
    seq, epoch = robin.position
    answer = await again.request("resume", token=robin.token, seq=seq, epoch=epoch)
    assert (answer["type"], answer["code"]) == ("error", "invalid_token")
    await again.close()
    await sam.close()


async def test_revoking_a_spent_single_use_invite_ends_the_seat_it_gave(live: Live) -> None:
    invite = await make_invite(live, "night-owls", single_use=True)
    fran = await joined(live, "night-owls", "Fran", facilitator=invite["token"])
    assert (await fran.ok("post", text="welcome"))["type"] == "ack"
    await revoke(live, f"/api/admin/invites/{invite['id']}")
    reply = await fran.request("post", text="after")
    assert reply["code"] == "invalid_token"
    assert (await fran.closed())[0] == 4504


async def test_members_and_unrevoked_facilitators_are_not_affected(live: Live) -> None:
    """Revoking one account touches only the sessions seated with it."""
    robin_key = await add_staff(live, "Robin", rooms=["night-owls"])
    ash_key = await add_staff(live, "Ash", rooms=["night-owls"])
    robin = await joined(live, "night-owls", "Robin", staff=await sign_in(live, "Robin", robin_key))
    ash = await joined(live, "night-owls", "Ash", staff=await sign_in(live, "Ash", ash_key))
    sam = await joined(live, "night-owls", "Sam")
    await revoke(live, "/api/admin/staff/Robin")
    assert (await ash.ok("lock.set", on=True))["type"] == "ack"
    assert (await sam.ok("post", text="hello"))["type"] == "ack"
    assert (await robin.request("post", text="x"))["code"] == "invalid_token"
    for client in (ash, sam):
        await client.close()


# -- the store away ------------------------------------------------------------------------------


async def test_while_the_database_is_away_powers_wait_and_chat_carries_on() -> None:
    """PostgreSQL stops under a seated staff facilitator: facilitator commands get `unavailable`
    (never run on an unchecked credential), posts still go; back, the powers work again."""
    try:
        postgres = PostgresServer.launch()
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL server binaries not installed: {exc}")
    with postgres:
        url = postgres.create_database()
        await (await migrated_store(url, ManualClock())).aclose()
        async with live_server(node_settings(database_url=url)) as live:
            key = await add_staff(live, "Robin", rooms=["night-owls"])
            token = await sign_in(live, "Robin", key)
            robin = await joined(live, "night-owls", "Robin", staff=token)
            postgres.stop()
            assert (await robin.request("lock.set", on=True))["code"] == "unavailable"
            assert (await robin.ok("post", text="still talking"))["type"] == "ack"
            postgres.start()
            assert (await robin.ok("lock.set", on=True))["type"] == "ack"
            await robin.close()
