"""The admin API for staff and invites, over HTTP; rooms made through it survive a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live import Live, live_server, node_settings
from tests.support.stores import DIALECTS, store_url

ADMIN = {"Authorization": "Bearer test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0"}


async def call(live: Live, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=live.http, timeout=10) as http:
        return await http.request(method, path, **kwargs)


async def test_staff_accounts_are_made_listed_and_revoked() -> None:
    """A key is shown once at creation; lists never show a credential; revoking is at once."""
    async with live_server() as live:
        made = await call(
            live,
            "POST",
            "/api/admin/staff",
            headers=ADMIN,
            json={"name": "Robin", "rooms": ["night-owls"]},
        )
        assert made.status_code == 201, made.text
        body = made.json()
        assert body["key"].startswith("sck_")
        assert body["rooms"] == ["night-owls"]
        with_passphrase = await call(
            live,
            "POST",
            "/api/admin/staff",
            headers=ADMIN,
            json={"name": "Ash", "admin": True, "passphrase": "a long enough passphrase"},
        )
        assert with_passphrase.status_code == 201
        assert "key" not in with_passphrase.json()
        listed = await call(live, "GET", "/api/admin/staff", headers=ADMIN)
        assert [a["name"] for a in listed.json()] == ["Ash", "Robin"]
        assert [a["revoked_at"] for a in listed.json()] == [None, None]
        assert body["key"] not in listed.text
        assert "argon2" not in listed.text
        store = live.node.store
        assert (await store.sign_in("Robin", body["key"])) is not None
        revoked = await call(live, "DELETE", "/api/admin/staff/Robin", headers=ADMIN)
        assert revoked.json() == {"revoked": "Robin"}
        assert (await store.sign_in("Robin", body["key"])) is None
        again = await call(live, "DELETE", "/api/admin/staff/Robin", headers=ADMIN)
        assert again.status_code == 404
        everyone = await call(live, "GET", "/api/admin/staff", headers=ADMIN)
        assert [a["revoked_at"] is None for a in everyone.json()] == [True, False]


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"name": "Robin"}, 409, "conflict"),
        ({"name": "ROBIN"}, 409, "conflict"),
        ({"name": ""}, 400, "bad_request"),
        ({"name": "admin"}, 400, "bad_request"),
        ({"name": 7}, 400, "bad_request"),
        ({"name": "Kim", "admin": "yes"}, 400, "bad_request"),
        ({"name": "Kim", "rooms": "night-owls"}, 400, "bad_request"),
        ({"name": "Kim", "passphrase": "short"}, 400, "bad_request"),
        ({"name": "Kim", "passphrase": 12345678901234}, 400, "bad_request"),
    ],
)
async def test_bad_staff_requests_get_clear_errors(
    body: dict[str, Any], status: int, error: str
) -> None:
    """Every malformed or clashing request is refused with a status and a message."""
    async with live_server() as live:
        first = await call(live, "POST", "/api/admin/staff", headers=ADMIN, json={"name": "Robin"})
        assert first.status_code == 201
        response = await call(live, "POST", "/api/admin/staff", headers=ADMIN, json=body)
        assert response.status_code == status, response.text
        assert response.json()["error"] == error
        not_json = await call(live, "POST", "/api/admin/staff", headers=ADMIN, content=b"[1]")
        assert not_json.status_code == 400


async def test_every_store_route_needs_the_admin_token() -> None:
    """Without the token, nothing is listed, made or revoked."""
    async with live_server() as live:
        for method, path in (
            ("GET", "/api/admin/staff"),
            ("POST", "/api/admin/staff"),
            ("DELETE", "/api/admin/staff/Robin"),
            ("GET", "/api/admin/invites"),
            ("GET", "/api/admin/rooms/night-owls/invites"),
            ("DELETE", "/api/admin/invites/abc"),
        ):
            for headers in ({}, {"Authorization": "Bearer nope"}):
                response = await call(live, method, path, headers=headers, json={"name": "X"})
                assert response.status_code == 401, (method, path)
        assert await live.node.store.list_staff() == []


async def test_invites_are_recorded_listed_and_revoked() -> None:
    """An invite made through the API has a record its token names; revoking it shows."""
    async with live_server() as live:
        made = await call(
            live,
            "POST",
            "/api/admin/rooms/night-owls/invites",
            headers=ADMIN,
            json={"role": "facilitator", "single_use": True, "ttl_seconds": 3600},
        )
        assert made.status_code == 200, made.text
        invite = made.json()
        checked = live.node.tokens.check_invite(invite["token"], "night-owls", "facilitator")
        assert checked.ref == invite["id"]
        member = await call(
            live,
            "POST",
            "/api/admin/rooms/daily-check-in/invites",
            headers=ADMIN,
            json={"role": "member"},
        )
        listed = await call(live, "GET", "/api/admin/invites", headers=ADMIN)
        assert {i["id"] for i in listed.json()} == {invite["id"], member.json()["id"]}
        only = await call(live, "GET", "/api/admin/rooms/night-owls/invites", headers=ADMIN)
        assert [i["single_use"] for i in only.json()] == [True]
        gone = await call(live, "DELETE", f"/api/admin/invites/{invite['id']}", headers=ADMIN)
        assert gone.json() == {"revoked": invite["id"]}
        again = await call(live, "DELETE", f"/api/admin/invites/{invite['id']}", headers=ADMIN)
        assert again.status_code == 404
        store = live.node.store
        assert await store.redeem_invite(invite["id"], "night-owls", "facilitator") is None


@pytest.mark.parametrize(
    "body",
    [{"ttl_seconds": 10}, {"ttl_seconds": "1h"}, {"ttl_seconds": 10**9}, {"single_use": "yes"}],
)
async def test_bad_invite_requests_get_clear_errors(body: dict[str, Any]) -> None:
    async with live_server() as live:
        response = await call(
            live, "POST", "/api/admin/rooms/night-owls/invites", headers=ADMIN, json=body
        )
        assert response.status_code == 400
        assert response.json()["error"] == "bad_request"


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_rooms_made_through_the_admin_api_survive_a_restart(
    request: pytest.FixtureRequest, dialect: str, tmp_path: Path
) -> None:
    """A node made a room and stopped; the next node on the same store lists it and serves it."""
    url = store_url(request, dialect, tmp_path)
    if dialect == "postgresql":  # a PostgreSQL store is migrated by `sharecircle migrate` first
        from rooms.store import open_store
        from rooms.store.migrate import upgrade

        migrating = open_store(url)
        await upgrade(migrating.engine)
        await migrating.aclose()
    settings = node_settings(database_url=url)
    async with live_server(settings) as live:
        made = await call(
            live,
            "POST",
            "/api/admin/rooms",
            headers=ADMIN,
            json={"slug": "sunrise", "name": "Sunrise", "access": "closed"},
        )
        assert made.status_code == 201, made.text
    async with live_server(settings) as live:
        rooms = (await live.get("/api/rooms")).json()
        assert "sunrise" in [r["slug"] for r in rooms]
        assert (await live.node.service.catalog.get("sunrise")).access == "closed"


async def test_the_embedded_store_lives_in_the_data_directory(tmp_path: Path) -> None:
    """Without a database URL a node makes `sharecircle.db` in `data_dir`, private to its user."""
    settings = node_settings(database_url=None, data_dir=str(tmp_path / "state"))
    async with live_server(settings) as live:
        made = await call(
            live, "POST", "/api/admin/rooms", headers=ADMIN, json={"slug": "dusk", "name": "Dusk"}
        )
        assert made.status_code == 201
    assert (tmp_path / "state" / "sharecircle.db").is_file()
    assert (tmp_path / "state").stat().st_mode & 0o777 == 0o700
    async with live_server(settings) as live:
        assert (await live.node.service.catalog.get("dusk")).name == "Dusk"
