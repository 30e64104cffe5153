"""The staff channel meets the crisis lane (server/staff_channel.py Rule 5), through the real
protocol on two nodes: taking a CRISIS alert on a console makes its staff member the other party;
`conversation.say` and `conversation.end` run on the console; nobody else in the room hears any
of it, and nobody else can speak in it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.server.test_staff_channel import ROOM, console, nodes, sign_in
from tests.support.client import Client
from tests.support.live import Live

__all__ = ["nodes"]  # the two-node fixture, shared with the staff channel's tests

Frame = dict[str, Any]


def said(event: str, **match: Any) -> Callable[[Frame], bool]:
    """Matches a frame of `event` whose fields include `match` (`from_` for `from`)."""
    wanted = {("from" if k == "from_" else k): v for k, v in match.items()}
    return lambda f: f.get("event") == event and all(f.get(k) == v for k, v in wanted.items())


async def member(live: Live, name: str) -> Client:
    client = await Client.connect(live.url)
    await client.join(ROOM, name)
    return client


async def test_a_console_takes_the_lane_and_only_the_two_of_them_talk(
    nodes: tuple[Live, Live],
) -> None:
    a, b = nodes
    ana, _ = await console(b, await sign_in(b, "Ana"))
    await ana.ok("oncall.set", on=True)
    river, sam = await member(a, "River"), await member(b, "Sam")

    asked = await river.ok("crisis.request")
    assert (asked["status"], asked["on_call"]) == ("waiting", 1)
    cv = asked["conversation"]
    alert = await ana.wait_for(
        lambda f: f.get("event") == "alert" and f["alert"]["kind"] == "crisis", frames=True
    )
    await ana.ok("alert.take", alert=alert["alert"]["id"])
    opened = await ana.wait_for(said("conversation.opened", conversation=cv), frames=True)
    assert opened["with"] == "River"
    answered = await river.wait_for(said("conversation.status", status="answered"), frames=True)
    assert answered["by"] == "Ana"

    await ana.ok("conversation.say", conversation=cv, text="I'm here with you.")
    heard = await river.wait_for(said("conversation.message", from_="them"), frames=True)
    assert heard["text"] == "I'm here with you."
    await river.ok("conversation.say", conversation=cv, text="thank you")
    back = await ana.wait_for(said("conversation.message", from_="them"), frames=True)
    assert back["text"] == "thank you"

    kai = await member(a, "Kai")
    refused = await kai.request("conversation.say", conversation=cv, text="let me in")
    assert refused["code"] == "conversation_not_found"

    await ana.ok("conversation.end", conversation=cv)
    await river.wait_for(said("conversation.ended", conversation=cv), frames=True)
    await sam.ok("post", text="after it ended")  # Sam's stream is live and in order...
    await sam.event("chat.message", text="after it ended")
    assert [f for f in sam.frames if f.get("type") == "conversation"] == []  # ...and heard none
    for client in (ana, river, sam, kai):
        await client.close()
