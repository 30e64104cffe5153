"""rooms/roster.py reads members in join position order, whatever order the participants are
kept in: a re-seat gives someone a later `joined_seq` without moving them in the tuple."""

from __future__ import annotations

import facilitation as fx
from rooms.roster import first_page, page_after


def person(member: str, joined_seq: int) -> fx.Participant:
    return fx.Participant(member, member, member.lower(), fx.Role.MEMBER, joined_seq)


def reseated_room() -> fx.MeetingState:
    """`a` was re-seated after `e` joined: still first in the tuple, now last in join order."""
    seats = [("a", 90), ("b", 20), ("c", 30), ("d", 40), ("e", 50)]
    return fx.MeetingState(participants=tuple(person(m, seq) for m, seq in seats))


def read_all(state: fx.MeetingState, limit: int) -> list[str]:
    page = first_page(state, limit)
    seen = [view["id"] for view in page.members]
    for _ in range(len(state.participants) + 1):  # bounded: one page per person at most
        if page.next is None:
            return seen
        page = page_after(state, page.next, limit)
        seen += [view["id"] for view in page.members]
    raise AssertionError("paging did not end")


def test_a_reseated_member_is_neither_skipped_nor_repeated() -> None:
    state = reseated_room()
    for limit in (1, 2, 3, 4, 5, 6):
        assert read_all(state, limit) == ["b", "c", "d", "e", "a"], limit


def test_page_after_follows_join_positions() -> None:
    page = page_after(reseated_room(), 30, 2)
    assert [view["id"] for view in page.members] == ["d", "e"]
    assert page.next == 50
    assert [view["id"] for view in page_after(reseated_room(), 50, 2).members] == ["a"]
