"""Presence churn (issue 16): folded into `members.changed`, never a reason to lose a resume.

A drain sends a node's people away and back at once; their `member.away`/`member.back` must not
push other resumers past the per-resume cap. Chat and meeting events are still replayed exactly
once each, or the resume is an explicit resync with the right reason.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import msgpack
import pytest

import facilitation as fx
from rooms.backends.base import Position
from rooms.events import CHAT_MESSAGE, MEMBERS_CHANGED
from rooms.meeting import encode_events
from rooms.outbound import OutboundEvent
from rooms.presence_batch import fold, fold_runs
from rooms.seat import Seat
from rooms.service import RoomsService, ServiceSettings
from tests.rooms.service_harness import ROOM, Recorder, service, settle


def _settings(**overrides: Any) -> ServiceSettings:
    return ServiceSettings(presence_interval=3600, **overrides)


async def _join(svc: RoomsService, name: str) -> tuple[Recorder, Seat, Position]:
    sub = Recorder()
    result = await svc.join(
        sub,
        ROOM.slug,
        name=name,
        observer=False,
        facilitator=False,
        marks=frozenset(),
        new_source=False,  # one network: raid protection (slow mode) stays out of it
    )
    return sub, result.seat, result.position


def _member(member: str, *, away: bool = False) -> dict[str, Any]:
    return {"id": member, "name": member, "away": away}


def _apply_one(members: dict[str, dict[str, Any]], body: dict[str, Any]) -> None:
    """A client's member list reducer (web_client/reducer.js), one event at a time."""
    name = body["event"]
    if name == "member.joined":
        members[body["member"]["id"]] = body["member"]
    elif name in ("member.away", "member.back") and body["member"] in members:
        members[body["member"]] = {**members[body["member"]], "away": name == "member.away"}
    elif name == "member.left":
        members.pop(body["member"], None)
    elif name == MEMBERS_CHANGED:
        for joined in body["joined"]:
            members[joined["id"]] = joined
        for left in body["left"]:
            members.pop(left["member"], None)
        for kind in ("away", "back"):
            for who in body[kind]:
                if who in members:
                    members[who] = {**members[who], "away": kind == "away"}


RUNS = [
    [
        {"event": "member.away", "member": "a"},
        {"event": "member.back", "member": "a"},
        {"event": "member.away", "member": "b"},
    ],
    [
        {"event": "member.joined", "member": _member("c")},
        {"event": "member.away", "member": "c"},
        {"event": "member.left", "member": "a", "reason": "timeout"},
        {"event": "member.joined", "member": _member("a")},
    ],
    [
        {"event": "member.left", "member": "b", "reason": "left"},
        {"event": "member.joined", "member": _member("b")},
        {"event": "member.left", "member": "b", "reason": "left"},
        {"event": "member.back", "member": "a"},
    ],
]


@pytest.mark.parametrize("run", RUNS)
def test_a_fold_changes_any_member_list_as_its_events_one_by_one(
    run: list[dict[str, Any]],
) -> None:
    for start in ({}, {"a": _member("a", away=True), "b": _member("b")}):
        one_by_one, folded = dict(start), dict(start)
        for body in run:
            _apply_one(one_by_one, body)
        _apply_one(folded, fold(run))
        assert folded == one_by_one


def test_a_replay_folds_only_runs_of_presence_and_keeps_its_seqs_covered() -> None:
    bodies = [
        {"event": "member.away", "member": "a"},
        {"event": "member.away", "member": "b"},
        {"event": CHAT_MESSAGE, "text": "kept"},
        {"event": "member.back", "member": "a"},
        {"event": "member.left", "member": "b", "reason": "removed"},  # never folded
        {"event": "member.back", "member": "c"},
        {"event": "member.back", "member": "d"},
    ]
    events = [
        OutboundEvent(seq, {"type": "event", "seq": seq, "epoch": "e", "ts": 1, **body})
        for seq, body in enumerate(bodies, start=11)
    ]
    folded = fold_runs(events)
    frames = [e.frame for e in folded]
    assert [f["event"] for f in frames] == [
        MEMBERS_CHANGED,
        CHAT_MESSAGE,
        "member.back",
        "member.left",
        MEMBERS_CHANGED,
    ]
    assert (frames[0]["seq_from"], frames[0]["seq"]) == (11, 12)
    assert (frames[-1]["seq_from"], frames[-1]["seq"]) == (16, 17)
    covered = [s for f in frames for s in range(f.get("seq_from", f["seq"]), f["seq"] + 1)]
    assert covered == list(range(11, 18))  # gapless: every seq stands somewhere, once


async def test_a_resume_after_a_drain_gets_every_post_once_and_the_churn_folded() -> None:
    """More presence events than the cap (live batching off): recovered, posts exactly once."""
    settings = _settings(resume_max_events=12, batch_presence_from=10_000)
    async with service(settings=settings) as (svc, _):
        _, reader, _ = await _join(svc, "Reader")
        _, poster, _ = await _join(svc, "Poster")
        people = [await _join(svc, f"P{i:02}") for i in range(20)]
        after = await svc.backend.position(ROOM.slug)
        await svc.disconnected(reader)
        posted = []
        for i, (_, seat, _) in enumerate(people):
            await svc.disconnected(seat)  # the drain: away...
            if i % 7 == 0:
                posted.append(await svc.post(poster, f"during the drain {i}"))
        for _, seat, _ in people:  # ...and back, on another node
            await svc.resume(
                Recorder(),
                Seat(f"x{seat.conn_id}", ROOM, seat.member_id, seat.name, False, seat.joined_seq),
                after,
            )
        again = Recorder()
        back = Seat("again", ROOM, reader.member_id, reader.name, False, reader.joined_seq)
        result = await svc.resume(again, back, after)
        assert result.recovered is True, result.reason
        assert len(result.missed) <= 12
        chats = [e.seq for e in result.missed if e.event == CHAT_MESSAGE]
        assert chats == posted
        frames = [e.frame for e in result.missed]
        covered = [s for f in frames for s in range(f.get("seq_from", f["seq"]), f["seq"] + 1)]
        assert covered == list(range(after.seq + 1, result.cursor + 1))


async def test_more_posts_than_a_resume_carries_is_a_backlog_resync() -> None:
    """The window still holds every event: the reason is `backlog`, not `window`."""
    async with service(settings=_settings(resume_max_events=5)) as (svc, _):
        _, reader, position = await _join(svc, "Reader")
        _, poster, _ = await _join(svc, "Poster")
        after = await svc.backend.position(ROOM.slug)
        await svc.disconnected(reader)
        for i in range(8):
            await svc.post(poster, f"message {i}")
        back = Seat("again", ROOM, reader.member_id, reader.name, False, reader.joined_seq)
        result = await svc.resume(Recorder(), back, after)
        assert (result.recovered, result.reason) == (False, "backlog")
        assert result.snapshot is not None
        assert result.cursor == (await svc.backend.position(ROOM.slug)).seq
        assert position.seq < after.seq


def test_a_busy_rooms_commit_writes_its_presence_run_as_one_event() -> None:
    """What the group commit writes (rooms/meeting.py): a run of presence events is one payload
    in a busy room, and each event knows which payload carries it."""
    events = [
        fx.MemberAway("a"),
        fx.MemberBack("b"),
        fx.HandRaised("c"),
        fx.MemberAway("d"),
    ]
    payloads, owner = encode_events(events, batch=True)
    bodies = [msgpack.unpackb(p) for p in payloads]
    assert [b["event"] for b in bodies] == [MEMBERS_CHANGED, "hand.raised", "member.away"]
    assert (bodies[0]["away"], bodies[0]["back"]) == (["a"], ["b"])
    assert owner == [0, 0, 1, 2]
    payloads, owner = encode_events(events, batch=False)  # a small room: one event each
    assert len(payloads) == 4
    assert owner == [0, 1, 2, 3]


async def test_a_small_rooms_presence_stays_one_event_each() -> None:
    async with service(settings=_settings(batch_presence_from=50)) as (svc, _):
        watcher, _, _ = await _join(svc, "Watcher")
        await asyncio.gather(*(_join(svc, f"J{i}") for i in range(5)))
        await settle(lambda: len(watcher.names()) >= 6)
        assert MEMBERS_CHANGED not in watcher.names()
        assert watcher.names().count("member.joined") == 6


async def test_the_join_snapshot_stays_one_page_as_the_room_grows() -> None:
    """The join ack's member list has the same size in a room of 12 and of 40 (issue 16)."""
    async with service(settings=_settings(members_page_size=10)) as (svc, _):
        sizes = {}
        for i in range(40):
            sub = Recorder()
            result = await svc.join(
                sub,
                ROOM.slug,
                name=f"N{i:03}",
                observer=False,
                facilitator=False,
                marks=frozenset(),
                new_source=False,
            )
            sizes[i + 1] = (len(json.dumps(result.members)), result.member_count)
        assert sizes[12][0] == sizes[40][0]
        assert (sizes[12][1], sizes[40][1]) == (12, 40)
        assert sizes[5][0] < sizes[12][0]  # a small room: everyone, as before
