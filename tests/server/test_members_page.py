"""The member list in pages over the protocol (issue 16): one page in the join ack, the rest
with `members.page`; the ack's size does not grow with the room."""

from __future__ import annotations

import json

from tests.support.client import Client
from tests.support.live import live_server, node_settings

PAGE = 5


async def test_the_join_ack_carries_one_page_and_members_page_reads_the_rest() -> None:
    settings = node_settings(members_page_size=PAGE, raid_joins=10_000)
    async with live_server(settings) as live:
        host = await Client.connect(live.url)
        await host.join("night-owls", "Host")
        people = []
        acks = []
        for i in range(14):
            client = await Client.connect(live.url)
            acks.append(await client.join("night-owls", f"Person {i:02}"))
            people.append(client)
        small, big = acks[2], acks[-1]  # a room of 4, and of 15
        assert small["member_count"] == 4
        assert len(small["members"]) == 4
        assert small["members_next"] is None
        assert big["member_count"] == 15
        assert len(big["members"]) == PAGE
        sizes = {len(json.dumps(ack["members"])) for ack in acks[PAGE:]}
        assert len(sizes) == 1  # the same size in a room of 7 and of 15

        await host.ok("hand.raise")  # the queue comes first in the next joiner's page
        late = await Client.connect(live.url)
        ack = await late.join("night-owls", "Late")
        assert ack["members"][0]["name"] == "Host"

        seen = {m["id"] for m in big["members"]}
        after = big["members_next"]
        for _ in range(10):  # bounded: 16 people in pages of 5
            page = await people[-1].ok("members.page", after=after, limit=50)
            assert len(page["members"]) <= PAGE  # the node's page size caps the limit
            seen |= {m["id"] for m in page["members"]}
            after = page["next"]
            if after is None:
                break
        assert len(seen) == page["member_count"] == 16
        bad = await people[-1].request("members.page", after=-2)
        assert bad["code"] == "bad_request"
        for client in [host, late, *people]:
            await client.close()


async def test_members_page_needs_a_seat() -> None:
    async with live_server() as live:
        client = await Client.connect(live.url)
        reply = await client.request("members.page")
        assert reply["code"] == "not_joined"
        await client.close()
