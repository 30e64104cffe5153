"""Resuming after a dropped connection: everything missed, once, in order; or an explicit resync."""

from __future__ import annotations

from tests.support.client import Client, gapless
from tests.support.live import Live, live_server, node_settings


async def _drop(client: Client) -> tuple[str, int, str]:
    assert client.token is not None
    last = client.events[-1] if client.events else None
    seq = last["seq"] if last else client.position[0]  # type: ignore[index]
    epoch = last["epoch"] if last else client.position[1]  # type: ignore[index]
    await client.close()
    return client.token, seq, epoch


async def test_resume_inside_the_window_gets_every_missed_event_once(live: Live) -> None:
    alice = await Client.connect(live.url)
    bob = await Client.connect(live.url)
    a = await alice.join("night-owls", "Alice")
    await bob.join("night-owls", "Bob")
    await alice.event("member.joined")
    await alice.ok("post", text="before the drop")
    await alice.event("chat.message", text="before the drop")
    token, seq, epoch = await _drop(alice)
    await bob.event("member.away", member=a["member"]["id"])
    for i in range(3):
        await bob.ok("post", text=f"missed {i}")
    again = await Client.connect(live.url)
    reply = await again.ok("resume", token=token, seq=seq, epoch=epoch)
    assert reply["recovered"] is True
    assert reply["member"]["id"] == a["member"]["id"]
    await again.event("member.back", member=a["member"]["id"])
    await bob.ok("post", text="live after resume")
    await again.event("chat.message", text="live after resume")
    texts = [e["text"] for e in again.events if e["event"] == "chat.message"]
    assert texts == ["missed 0", "missed 1", "missed 2", "live after resume"]
    assert again.events[0]["seq"] == seq + 1
    assert gapless(again.seqs())
    assert reply["missed"] == len([e for e in again.events if e["seq"] <= reply["position"]["seq"]])
    await again.close()
    await bob.close()


async def test_resume_past_the_window_gets_an_explicit_resync() -> None:
    async with live_server(node_settings(replay_max_events=5)) as live:
        alice = await Client.connect(live.url)
        bob = await Client.connect(live.url)
        await alice.join("night-owls", "Alice")
        await bob.join("night-owls", "Bob")
        token, seq, epoch = await _drop(alice)
        for i in range(12):
            await bob.ok("post", text=f"long gone {i}")
        again = await Client.connect(live.url)
        reply = await again.ok("resume", token=token, seq=seq, epoch=epoch)
        assert reply["recovered"] is False
        assert reply["reason"] == "window"
        assert {m["name"] for m in reply["members"]} == {"Alice", "Bob"}
        assert "meeting" in reply
        assert "position" in reply
        await bob.ok("post", text="after resync")
        event = await again.event("chat.message", text="after resync")
        assert event["seq"] > reply["position"]["seq"]
        assert not any(e.get("text", "").startswith("long gone") for e in again.events)
        await again.close()
        await bob.close()


async def test_resume_with_a_wrong_epoch_resyncs(live: Live) -> None:
    alice = await Client.connect(live.url)
    await alice.join("night-owls", "Alice")
    token, seq, _ = await _drop(alice)
    again = await Client.connect(live.url)
    reply = await again.ok("resume", token=token, seq=seq, epoch="not-the-epoch")
    assert reply["recovered"] is False
    await again.close()


async def test_resume_cannot_reach_back_before_joining(live: Live) -> None:
    """A crafted seq of 0 still never yields what was said before the person joined."""
    bob = await Client.connect(live.url)
    await bob.join("night-owls", "Bob")
    await bob.ok("post", text="private, before Alice")
    alice = await Client.connect(live.url)
    await alice.join("night-owls", "Alice")
    token, _, epoch = await _drop(alice)
    again = await Client.connect(live.url)
    reply = await again.ok("resume", token=token, seq=0, epoch=epoch)
    assert reply["recovered"] is True
    await bob.ok("post", text="after")
    await again.event("chat.message", text="after")
    assert not any(e.get("text") == "private, before Alice" for e in again.events)
    await again.close()
    await bob.close()


async def test_forged_or_garbled_tokens_are_refused(live: Live) -> None:
    alice = await Client.connect(live.url)
    await alice.join("night-owls", "Alice")
    token = alice.token
    assert token is not None
    await alice.close()
    for bad in (token[:-2] + "xx", "nonsense", token.replace(".", "", 1)):
        client = await Client.connect(live.url)
        reply = await client.request("resume", token=bad, seq=0, epoch="")
        assert reply["code"] == "invalid_token"
        await client.close()
