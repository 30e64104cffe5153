"""An admin's facilitator link admits its holder to a closed room (issue 13 item 8).

The link carries only the facilitator invite, no room invite; the room stays closed to everyone
else, and a facilitator invite for another room or a forged one admits nobody.
"""

from __future__ import annotations

from tests.faults.people import invite
from tests.support.client import Client
from tests.support.live import Live

ADMIN = "test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0"
BEARER = {"Authorization": f"Bearer {ADMIN}"}


async def test_a_facilitator_link_opens_a_closed_room_and_nothing_else(live: Live) -> None:
    made = await live.post(
        "/api/admin/rooms",
        json={"slug": "inner-circle", "name": "Inner Circle", "access": "closed"},
        headers=BEARER,
    )
    assert made.status_code == 201, made.text
    link = await live.post(
        "/api/admin/rooms/inner-circle/invites", json={"role": "facilitator"}, headers=BEARER
    )
    assert link.status_code in (200, 201), link.text
    token = link.json()["token"]
    other_room = await invite(live.http, "night-owls", admin=ADMIN)
    outsider = await Client.connect(live.url)
    for fields, code in (
        ({}, "room_closed"),
        ({"facilitator": other_room}, "invalid_token"),
        ({"facilitator": "forged"}, "invalid_token"),
    ):
        reply = await outsider.request("join", room="inner-circle", name="Curious", **fields)
        assert reply["code"] == code, (fields, reply)
    await outsider.close()
    fran = await Client.connect(live.url)
    joined = await fran.join("inner-circle", "Fran", facilitator=token)
    assert joined["member"]["role"] == "facilitator"
    assert [m["name"] for m in joined["members"]] == ["Fran"]  # no outsider got in
    await fran.close()
