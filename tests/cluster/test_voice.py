"""Voice through the protocol (issue 17): real audio frames on media connections, two real
nodes on one real Redis, the shared test clock ending shares. Only the floor decides who is
heard; a share's end, a mute or a removal stops the relay at once on both nodes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from redis import Redis as SyncRedis

from tests.support.client import Client
from tests.support.clock import SharedClock
from tests.support.media_client import MediaClient
from tests.support.nodes import NodeProcess
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.cluster

ADMIN = {"Authorization": "Bearer cluster-test-admin-Xe4Lq9Tz2Wm7Rk5Hc8Vb3Nf6Jy1Pd0Gs"}
SHARE = 60


@pytest.fixture
def nodes(
    redis: RedisServer, shared_clock: SharedClock
) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    a = NodeProcess(redis.url, test_clock_file=str(shared_clock.path))
    b = NodeProcess(redis.url, test_clock_file=str(shared_clock.path))
    try:
        # A shared machine may take a while to start two Python processes.
        yield a.start(timeout=90), b.start(timeout=90)
    finally:
        a.close()
        b.close()


async def _room(node: NodeProcess, slug: str, *, voice: bool = True) -> str:
    async with httpx.AsyncClient(base_url=node.http, headers=ADMIN) as http:
        made = await http.post("/api/admin/rooms", json={"slug": slug, "voice": voice})
        assert made.status_code == 201, made.text
        invite = await http.post(f"/api/admin/rooms/{slug}/invites", json={"role": "facilitator"})
    token: str = invite.json()["token"]
    return token


class Circle:
    """A facilitator and two members on node A, a member and an observer on node B."""

    def __init__(self) -> None:
        self.chat: dict[str, Client] = {}
        self.media: dict[str, MediaClient] = {}
        self.ids: dict[str, str] = {}

    async def seat(self, node: NodeProcess, name: str, room: str, **join: str) -> None:
        client = await Client.connect(node.url, binary=True)
        reply = await client.join(room, None if join.get("role") else name, **join)
        self.chat[name] = client
        self.ids[name] = reply["member"]["id"] if reply.get("member") else ""
        assert client.token is not None
        self.media[name] = await MediaClient.authed(node.url, client.token, listen=True)

    async def close(self) -> None:
        for media in self.media.values():
            with contextlib.suppress(Exception):
                await media.close()
        for chat in self.chat.values():
            with contextlib.suppress(Exception):
                await chat.close()


@pytest.fixture
async def circle(nodes: tuple[NodeProcess, NodeProcess]) -> AsyncIterator[Circle]:
    a, b = nodes
    invite = await _room(a, "voice-circle")
    people = Circle()
    await people.seat(a, "Fran", "voice-circle", facilitator=invite)
    await people.seat(a, "Ann", "voice-circle")
    await people.seat(b, "Ben", "voice-circle")
    await people.seat(b, "Obs", "voice-circle", role="observer")
    try:
        yield people
    finally:
        await people.close()


async def _grant(circle: Circle, name: str) -> None:
    await circle.chat["Fran"].ok("round.open", topic="Hope", share_seconds=SHARE, order="hands")
    await circle.chat[name].ok("hand.raise")
    await circle.chat[name].event("floor.granted", member=circle.ids[name])


async def test_only_the_floor_holder_is_heard_and_the_timer_ends_it_on_both_nodes(
    circle: Circle, shared_clock: SharedClock
) -> None:
    ann, ben, fran, obs = (circle.media[n] for n in ("Ann", "Ben", "Fran", "Obs"))
    ann_id = circle.ids["Ann"]
    await _grant(circle, "Ann")
    await ann.control("speak", on=True)
    await ann.wait_control("live", live=True)
    for _ in range(5):
        await ann.say(b"opus-ann")
    for listener in (ben, fran, obs):  # node B, node A, an observer on node B
        heard = await listener.wait_heard(ann_id, 5)
        assert heard.packet == b"opus-ann"
        assert listener.seqs_from(ann_id) == [1, 2, 3, 4, 5]
    assert ann.seqs_from(ann_id) == []  # nobody hears themselves

    # Anyone else is dropped and told once; nobody hears them.
    for name in ("Ben", "Obs", "Fran"):  # a facilitator does not talk over a share either
        speaker = circle.media[name]
        for _ in range(3):
            await speaker.say(b"opus-other")
        refused = await speaker.wait_control("refused")
        assert refused["code"] in ("not_your_turn", "observer")
    await asyncio.sleep(0.2)
    assert [c for c in ben.controls if c["type"] == "refused"] == [
        {"type": "refused", "code": "not_your_turn", "message": ben.controls[-1]["message"]}
    ]
    for listener in (ann, ben, fran, obs):
        assert {h.source for h in listener.heard} <= {ann_id}

    # Just before the share's end Ann is still heard; just after it, on both nodes, she is not
    # (before any tick could pass the floor on: the rule reads `now` for every frame).
    shared_clock.advance(SHARE - 2)
    await ann.say(b"opus-ann", seq=100)
    await ben.wait_heard(ann_id, 100)
    await fran.wait_heard(ann_id, 100)
    shared_clock.advance(2.5)
    await ann.say(b"opus-ann", seq=101)
    await ann.wait_control("live", live=False)
    await ann.wait_control("refused", code="not_your_turn")
    # The floor is free now: the facilitator may be heard, and is the marker that the relay
    # carried on past Ann's refused frame.
    await fran.say(b"opus-fran", seq=7)
    await ben.wait_heard(circle.ids["Fran"], 7)
    await obs.wait_heard(circle.ids["Fran"], 7)
    await ann.wait_heard(circle.ids["Fran"], 7)
    for listener in (ben, fran, obs):
        assert 101 not in listener.seqs_from(ann_id)


async def test_a_muted_or_removed_speaker_stops_at_once(circle: Circle) -> None:
    ann, ben = circle.media["Ann"], circle.media["Ben"]
    ann_id, ben_id = circle.ids["Ann"], circle.ids["Ben"]
    await _grant(circle, "Ann")
    await ann.control("speak", on=True)
    await ann.wait_control("live", live=True)
    await ann.say(b"a", seq=1)
    await ben.wait_heard(ann_id, 1)
    await circle.chat["Fran"].ok("mute", member=ann_id, seconds=300)
    await ann.wait_control("live", live=False, code="muted")
    await ann.say(b"a", seq=2)
    await ann.wait_control("refused", code="muted")

    # Ben (node B) gets the floor; Fran removes him mid-share: his media goes with his seat.
    await circle.chat["Fran"].ok("round.end")
    await _grant(circle, "Ben")
    await ben.control("speak", on=True)
    await ben.wait_control("live", live=True)
    await ben.say(b"b", seq=1)
    await ann.wait_heard(ben_id, 1)
    await circle.chat["Fran"].ok("remove", member=ben_id, reason="")
    code, _ = await ben.closed()
    assert code == 4500
    assert 2 not in ann.seqs_from(ann_id)
    assert ann.seqs_from(ben_id) == [1]


async def test_a_media_connection_on_another_node_than_its_chat_follows_the_room(
    nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    """Behind a least-connections balancer the media socket may land on a node where the person
    has no chat connection and nobody else is in the room: that node follows the room's events,
    so the floor, a mute and a removal still hold there at once."""
    a, b = nodes
    invite = await _room(a, "voice-cross")
    people = Circle()
    try:
        await people.seat(a, "Fran", "voice-cross", facilitator=invite)
        await people.seat(a, "Ann", "voice-cross")
        await people.seat(a, "Lee", "voice-cross")
        token = people.chat["Ann"].token
        assert token is not None
        await people.media["Ann"].close()
        people.media["Ann"] = far = await MediaClient.authed(b.url, token)  # node B: nobody else
        ann_id = people.ids["Ann"]
        await _grant(people, "Ann")
        await far.control("speak", on=True)
        await far.wait_control("live", live=True)
        await far.say(b"far", seq=1)
        await people.media["Lee"].wait_heard(ann_id, 1)
        await people.chat["Fran"].ok("mute", member=ann_id, seconds=300)
        await far.wait_control("live", live=False, code="muted")
        await far.say(b"far", seq=2)
        await far.wait_control("refused", code="muted")
        await people.chat["Fran"].ok("remove", member=ann_id, reason="")
        assert (await far.closed())[0] == 4500
        assert people.media["Lee"].seqs_from(ann_id) == [1]
    finally:
        await people.close()


async def test_voice_needs_the_room_to_have_it_and_a_live_session(
    nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    a, _ = nodes
    await _room(a, "quiet-room", voice=False)
    chat = await Client.connect(a.url)
    await chat.join("quiet-room", "Quinn")
    assert chat.token is not None
    media = await MediaClient.connect(a.url)
    await media.control("auth", token=chat.token)
    refused = await media.wait_control("error")
    assert refused["code"] == "voice_off"
    assert (await media.closed())[0] == 4502
    forged = await MediaClient.connect(a.url)
    await forged.control("auth", token=chat.token + "x")
    assert (await forged.wait_control("error"))["code"] == "invalid_token"
    assert (await forged.closed())[0] == 4502
    # In a voice room: bad frames are answered, then (past the budget) closed with 1008.
    await _room(a, "loud-room")
    talker = await Client.connect(a.url)
    await talker.join("loud-room", "Tess")
    assert talker.token is not None
    noisy = await MediaClient.authed(a.url, talker.token)
    await noisy.ws.send(b"\x01\x00")  # a header cut short
    assert (await noisy.wait_control("error"))["code"] == "bad_frame"
    await noisy.control("shout")
    assert (await noisy.wait_control("error", code="unknown_command"))["message"] == "shout"
    await noisy.ws.send(b"\xc1")
    await noisy.ws.send(b"\xc1")
    assert (await noisy.closed())[0] == 1008
    for client in (media, forged, noisy):
        await client.close()
    await chat.close()
    await talker.close()


def _store_files(node: NodeProcess) -> bytes:
    """Every byte of the node's SQLite store (database, WAL, shared memory)."""
    store = Path(node.settings["data_dir"])
    return b"".join(p.read_bytes() for p in sorted(store.iterdir()) if p.is_file())


async def _metric(node: NodeProcess, name: str) -> float:
    async with httpx.AsyncClient(base_url=node.http) as http:
        text = (await http.get("/metrics", headers=node.metrics_auth)).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name))


async def test_a_slow_listener_loses_audio_and_keeps_chat(
    redis: RedisServer, shared_clock: SharedClock
) -> None:
    # A fast speaker (the frame rate raised for the test) and a listener that stops reading:
    # its socket fills, its queue drops the oldest frames, and it is never closed.
    node = NodeProcess(
        redis.url, test_clock_file=str(shared_clock.path), voice_frames_per_second=100_000
    ).start(timeout=90)
    people = Circle()
    try:
        invite = await _room(node, "voice-slow")
        await people.seat(node, "Fran", "voice-slow", facilitator=invite)
        await people.seat(node, "Ann", "voice-slow")
        await people.seat(node, "Sid", "voice-slow")
        sid = people.media["Sid"]
        sid.paused.clear()  # Sid's media client stops reading
        await _grant(people, "Ann")
        ann = people.media["Ann"]
        await ann.control("speak", on=True)
        await ann.wait_control("live", live=True)
        packet = bytes(1200)
        last = 0
        for _ in range(40):  # bounded: at most 40 × 200 frames of 1.2 kB
            for _ in range(200):
                last = await ann.say(packet)
            if await _metric(node, 'sharecircle_audio_frames_dropped_total{reason="slow"}') > 0:
                break
        assert await _metric(node, 'sharecircle_audio_frames_dropped_total{reason="slow"}') > 0
        # Chat is untouched: Sid's chat connection still gets what is said.
        await people.chat["Fran"].ok("post", text="still here")
        await people.chat["Sid"].event("chat.message", text="still here")
        # Reading again, Sid gets the newest audio and never a close.
        sid.paused.set()
        await sid.wait_heard(people.ids["Ann"], last)
        assert len(sid.seqs_from(people.ids["Ann"])) < last
        assert sid.open
    finally:
        await people.close()
        node.close()


async def test_audio_leaves_no_trace_in_logs_metrics_redis_or_the_store(
    circle: Circle, nodes: tuple[NodeProcess, NodeProcess], redis: RedisServer
) -> None:
    canary = b"AUDIOCANARY" + bytes.fromhex("a1b2c3d4e5f6")
    await _grant(circle, "Ann")
    ann = circle.media["Ann"]
    await ann.control("speak", on=True)
    await ann.wait_control("live", live=True)
    for _ in range(20):
        await ann.say(canary)
    for name in ("Ben", "Obs"):  # refused frames too
        await circle.media[name].say(canary)
    await circle.media["Ben"].wait_heard(circle.ids["Ann"], 20)
    await circle.media["Ben"].wait_control("refused")
    needles = (canary, canary.hex().encode(), b"AUDIOCANARY")
    client = SyncRedis.from_url(redis.url)
    try:
        keys = list(client.scan_iter(count=1000))
        dump = b"".join(k + b"\n" + (client.dump(k) or b"") for k in keys)
    finally:
        client.close()
    assert not [k for k in keys if b"audio" in k]  # pub/sub only: no audio key at all
    for node in nodes:
        files = _store_files(node)
        async with httpx.AsyncClient(base_url=node.http) as http:
            metrics = (await http.get("/metrics", headers=node.metrics_auth)).content
        logs = node.logs().encode()
        for haystack in (dump, files, metrics, logs):
            assert not [n for n in needles if n in haystack]
        assert circle.ids["Ann"].encode() not in metrics  # labels never name a person
