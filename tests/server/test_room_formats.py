"""Rooms with a meeting format and a language: the admin API, the room list, a restart."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import facilitation as fx
from facilitation import Format
from rooms.meeting import follow_format
from rooms.model import RoomConfig
from server.commands import SPECS
from tests.server.test_meeting import facilitator, invite
from tests.support.client import Client
from tests.support.live import live_server, node_settings

ADMIN = {"Authorization": "Bearer test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0"}

_INLINE: dict[str, Any] = {
    "key": "short-circle",
    "title": "A short circle",
    "parts": [
        {"kind": "reading", "title": "Welcome", "minutes": 2, "text": "Welcome, all."},
        {"kind": "share_round", "title": "Shares", "minutes": 20, "order": "round_robin"},
        {"kind": "closing", "title": "Closing", "minutes": 2, "text": "Thank you."},
    ],
}


async def test_the_admin_api_makes_rooms_with_a_format_and_a_language() -> None:
    """A shipped format by key, or one given inline; the room list shows its title, the part
    the meeting is in, and the language; a restart keeps them (the store's columns)."""
    settings = node_settings()
    async with live_server(settings) as live:
        for body in (
            {"slug": "circle", "name": "Circle", "format": _INLINE, "language": "es"},
            {"slug": "steps", "name": "Steps", "format": "twelve-step-text"},
        ):
            made = await live.post("/api/admin/rooms", json=body, headers=ADMIN)
            assert made.status_code == 201, made.text
            fmt = body["format"]  # written back in full: every rule filled in
            expected = fmt if isinstance(fmt, str) else Format.from_mapping(fmt).to_mapping()
            assert made.json()["format"] == expected
        fran = await facilitator(live, "circle")
        await fran.ok("part.next")
        started = await fran.event("part.started")
        assert (started["part"]["title"], started["part"]["text"]) == ("Welcome", "Welcome, all.")
        late_joiner = await Client.connect(live.url)
        card = (await late_joiner.join("circle", "Lee"))["meeting"]["part"]
        assert (card["title"], card["text"], card["index"], card["count"]) == (
            "Welcome",
            "Welcome, all.",
            0,
            3,
        )  # the part in progress, its reading included, in the join ack
        await late_joiner.close()
        cards = {r["slug"]: r for r in (await live.get("/api/rooms")).json()}
        assert (cards["circle"]["format"], cards["circle"]["part"]) == ("A short circle", "Welcome")
        assert cards["circle"]["language"] == "es"
        assert (cards["steps"]["format"], cards["steps"]["part"]) == (
            "Twelve-step style text meeting",
            None,
        )
        assert (cards["night-owls"]["format"], cards["night-owls"]["language"]) == (None, "en")
        assert cards["evening-meeting"]["format"] == "Twelve-step style text meeting"
        await fran.close()
    async with live_server(settings) as live:
        room = await live.node.service.catalog.get("circle")
        assert (room.format.title if room.format else None, room.language) == (
            "A short circle",
            "es",
        )
        late = await Client.connect(live.url)
        joined = await late.join("circle", "Late")
        assert joined["meeting"]["format"]["title"] == "A short circle"
        assert joined["room"]["language"] == "es"
        await late.close()


async def test_a_bad_format_or_language_is_refused_naming_the_field() -> None:
    bad_part = {**_INLINE, "parts": [{"kind": "reading", "title": "R", "posting": "floor"}]}
    unplanned = {**_INLINE, "parts": [{"kind": "reading", "title": "Welcome"}]}
    cases = [
        ({"slug": "a", "format": "no-such"}, "format: 'no-such' is not a shipped format"),
        ({"slug": "a", "format": bad_part}, "format.parts[0].posting: a reading part"),
        ({"slug": "a", "format": unplanned}, "format.parts[0].minutes"),
        ({"slug": "a", "format": 7}, "format: a shipped format's key or a format table"),
        ({"slug": "a", "language": "Spanish"}, "language: a language tag"),
    ]
    async with live_server() as live:
        for body, message in cases:
            made = await live.post("/api/admin/rooms", json=body, headers=ADMIN)
            assert made.status_code == 400, body
            assert made.json()["message"].startswith(message), made.json()
        rooms = [r["slug"] for r in (await live.get("/api/rooms")).json()]
        assert "a" not in rooms


def test_a_stored_meeting_takes_up_a_new_format_only_between_meetings() -> None:
    steps = RoomConfig.from_mapping({"slug": "r", "format": "twelve-step-text"})
    before = fx.MeetingState.new()
    assert follow_format(before, steps).format == steps.format
    running = replace(before, format=Format.from_mapping(_INLINE), part=0, part_started_at=1.0)
    assert follow_format(running, steps) is running  # never in the middle of a meeting
    plain = RoomConfig(slug="r", name="R")
    assert follow_format(replace(running, part=None), plain).format is None


def test_the_new_fields_are_on_the_wire_with_the_engines_limits() -> None:
    opened = {f.name: f for f in SPECS["round.open"].fields}
    assert (opened["unshared_first"].kind, opened["unshared_first"].default) == ("bool", False)
    days = {f.name: f for f in SPECS["milestone.set"].fields}["days"]
    assert (days.lo, days.hi, days.required) == (1, 36_500, True)
    assert [f.name for f in SPECS["milestone.celebrate"].fields] == ["member"]
    assert SPECS["milestone.clear"].fields == ()


async def test_facilitators_find_the_tally_and_milestones_in_their_join_ack() -> None:
    async with live_server() as live:
        fran = await facilitator(live, "daily-check-in")
        ann = await Client.connect(live.url)
        ann_id = (await ann.join("daily-check-in", "Ann"))["member"]["id"]
        await ann.ok("milestone.set", days=100)
        await fran.event("milestone.marked", member=ann_id, days=100)
        await ann.ok("hand.raise")
        await fran.ok("round.open", share_seconds=60)
        await ann.event("floor.granted", member=ann_id)
        await ann.ok("share.done")
        fairness = await fran.event("fairness")
        assert fairness["turns"][0]["member"] == ann_id
        hidden = await ann.wait_for(lambda e: e.get("event") == "hidden")
        assert "turns" not in hidden
        gil = await Client.connect(live.url)
        joined = await gil.join(
            "daily-check-in", "Gil", facilitator=await invite(live, "daily-check-in")
        )
        assert joined["tending"]["milestones"] == [
            {"member": ann_id, "days": 100, "celebrated": False}
        ]
        assert [t["member"] for t in joined["tending"]["fairness"]] == [ann_id]
        ben = await Client.connect(live.url)
        assert "tending" not in await ben.join("daily-check-in", "Ben")  # members: nothing
        await fran.ok("milestone.celebrate", member=ann_id)
        for client in (ann, ben):
            await client.event(
                "milestone.celebrated", member=ann_id, days=100, by=fran.member["id"]
            )  # type: ignore[index]
        await ann.ok("milestone.clear")
        await fran.event("milestone.cleared", member=ann_id)
        refused = await ann.request("milestone.clear")
        assert refused["code"] == "not_allowed"
        bad = await ann.request("milestone.set", days=0)
        assert bad["code"] == "bad_request"
        # Ben becomes a co-facilitator: his connection gets the tally at once, not `hidden`.
        await fran.ok("facilitator.add", member=ben.member["id"])
        briefed = await ben.event("tending")
        assert [t["member"] for t in briefed["tending"]["fairness"]] == [ann_id]
        for client in (fran, ann, gil, ben):
            await client.close()


async def test_a_survivors_circle_share_starts_with_a_content_note() -> None:
    """In the circle's share part the speaker's post needs `note`; the event carries it (one line,
    cleaned) so clients can fold the text; a post elsewhere carries a note only if given."""
    async with live_server(node_settings()) as live:
        body = {"slug": "circle", "name": "Circle", "format": "survivors-circle"}
        made = await live.post("/api/admin/rooms", json=body, headers=ADMIN)
        assert made.status_code == 201, made.text
        fran = await facilitator(live, "circle")
        bo = await Client.connect(live.url)
        await bo.join("circle", "Bo")
        await bo.ok("hand.raise")
        await fran.ok("part.goto", index=3)
        await bo.event("floor.granted", member=bo.member["id"])
        refused = await bo.request("post", text="it was a hard week")
        assert (refused["type"], refused["code"]) == ("error", "content_note")
        await bo.ok("post", text="it was a hard week", note="  grief,\n loss ")
        said = await fran.event("chat.message", text="it was a hard week")
        assert said["note"] == "grief, loss"
        await fran.ok("post", text="thank you, Bo")
        plain = await bo.event("chat.message", text="thank you, Bo")
        assert "note" not in plain
        await bo.close()
        await fran.close()
