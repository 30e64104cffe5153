"""The member list in pages: what a join carries, and what a client asks for when it shows more.

Rules of this module (docs/protocol.md §3.1 `join`, `members.page`):

- A join ack carries at most one page of members, whatever the size of the room, so a join
  costs the same in a room of 10 and of 5,000 (issue 16). The page puts first the people a
  newcomer needs to see: facilitators, the speaker, the queue (in its order); then everyone
  else in join order until the page is full.
- The rest is read in join order with `members.page`: `after` is the join position (the
  participant's `joined_seq`) of the last person already read, `next` the one to ask after
  next, or None at the end. A page may repeat someone the first page put in front; clients
  merge by member id.
- Pure: the meeting state in, wire objects out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import facilitation as fx

__all__ = ["MembersPage", "first_page", "page_after"]


@dataclass(frozen=True, slots=True)
class MembersPage:
    members: list[dict[str, Any]]
    count: int
    """Everyone seated (observers excepted), not only this page."""
    next: int | None
    """The `after` of the next page in join order, or None: nothing more to read."""


def _view(state: fx.MeetingState, who: fx.Participant) -> dict[str, Any]:
    return fx.MemberView.of(state, who).to_wire()


def _near_the_floor(state: fx.MeetingState) -> list[str]:
    """The speaker, then the queue in order."""
    floor = state.round.floor if state.round is not None else None
    first = [floor.member] if floor is not None else []
    return [*first, *state.queue]


def first_page(state: fx.MeetingState, limit: int) -> MembersPage:
    """The page a join ack carries: facilitators and people near the floor first."""
    by_id = {p.member: p for p in state.participants}
    chosen: dict[str, fx.Participant] = {}
    front = [p.member for p in state.participants if p.is_facilitator]
    for member in [*front, *_near_the_floor(state)]:
        who = by_id.get(member)
        if who is not None and len(chosen) < limit:
            chosen.setdefault(member, who)
    last_read: int | None = None
    more = False
    for who in sorted(state.participants, key=lambda p: p.joined_seq):
        if who.member in chosen:
            continue
        if len(chosen) >= limit:
            more = True
            break
        chosen[who.member] = who
        last_read = who.joined_seq
    if more and last_read is None:
        last_read = -1  # the page is all facilitators and queue: the others start at the top
    views = [_view(state, who) for who in chosen.values()]
    return MembersPage(views, len(state.participants), last_read if more else None)


def page_after(state: fx.MeetingState, after: int, limit: int) -> MembersPage:
    """Up to `limit` members who joined after join position `after`, in join order."""
    # In join position order, not the participants' order: a re-seat gives someone a new
    # `joined_seq` without moving them, and paging by an unsorted list would skip or repeat.
    later = sorted(
        (p for p in state.participants if p.joined_seq > after), key=lambda p: p.joined_seq
    )
    shown = later[:limit]
    more = len(later) > limit
    views = [_view(state, who) for who in shown]
    return MembersPage(views, len(state.participants), shown[-1].joined_seq if more else None)
