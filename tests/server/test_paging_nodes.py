"""The pager when several nodes share one alert desk: the node whose compare-and-set won sends
each page, so another node may take or close the alert. `settle` ends this node's retries, and a
stand-down for an alert this node never paged goes to every endpoint."""

from __future__ import annotations

import asyncio
import dataclasses

from rooms import oncall as oc
from rooms.clock import ManualClock
from tests.server.test_paging import Hook, clock, generic, hook, page, pager_for, until
from tests.support.webhook_receiver import Reply

__all__ = ["clock", "hook"]  # the fixtures, shared with test_paging.py


async def test_settle_ends_the_retries_of_a_page_and_sends_nothing(
    clock: ManualClock, hook: Hook
) -> None:
    hook.script("/hook", Reply(503))
    async with pager_for(generic(hook), clock=clock) as pager:
        pager.handle(page(now=clock.now()))
        await hook.wait_for(1)
        await until(lambda: any(pager.next_attempts().values()))
        pager.settle("alr_1")  # another node's take reached this one
        await until(lambda: pager.next_attempts() == {})
        clock.advance(600)
        await asyncio.sleep(0.1)
        await pager.drain()
    assert len(hook.requests) == 1


async def test_a_stand_down_for_a_page_sent_elsewhere_reaches_every_endpoint(
    clock: ManualClock, hook: Hook
) -> None:
    second = dataclasses.replace(generic(hook, "/two"), name="second")
    async with pager_for(generic(hook), second, clock=clock) as pager:
        paged = page(now=clock.now()).alert  # paged once, by another node
        taken = dataclasses.replace(
            paged, status=oc.AlertStatus.TAKEN, taker="Robin", taker_seen_at=clock.now()
        )
        pager.handle(oc.StandDown(taken))
        await hook.wait_for(2)
        await pager.drain()
    assert sorted(r.path for r in hook.requests) == ["/hook", "/two"]
