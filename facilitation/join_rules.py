"""Rule 3: who may join a room, and the lobby where newcomers wait.

The tables below are written as data so that docs/facilitation.md can be generated from them
(`python -m facilitation.doc_table --write`). `join_refusal()` applies `JOIN_RULES` in order
(presence.py calls it after the ban check, `ban_refusal()`); lobby.py uses `parks`,
`name_in_use` and `banned` when it admits people; raid_rules.py uses `RAID_SLOW_SECONDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from facilitation import commands as c
from facilitation.errors import Refusal, Refused
from facilitation.state import MeetingState

__all__ = [
    "JOIN_RULES",
    "LOBBY_MAX_WAITING",
    "RAID_SLOW_SECONDS",
    "JoinRule",
    "ban_refusal",
    "banned",
    "join_refusal",
    "may_join_locked",
    "name_in_use",
    "parks",
]

RAID_SLOW_SECONDS = 15
"""Raid protection raises slow mode to at least this."""


LOBBY_MAX_WAITING = 50
"""At most this many newcomers wait in one room's lobby (the next gets `lobby_full`).

A facilitator looks at each waiting person one by one, so a longer list is never worked
through; and the waiting list is part of the room's state, read on every command, so a flood
of joins must not grow it without end (issue 13: 20 sockets made 2,000 entries in 4 s)."""


def parks(state: MeetingState, join: c.Join) -> bool:
    """The joiner waits in the lobby rather than being seated: the lobby is on (perhaps just
    turned on by this very join's raid count) and they are not a facilitator."""
    return state.lobby and not join.facilitator


def name_in_use(state: MeetingState, name_key: str, member: str) -> bool:
    """Whether someone else is seated with that folded name (waiting names are not reserved:
    a clash is settled when the newcomer is admitted, see lobby.admit)."""
    return any(p.name_key == name_key and p.member != member for p in state.participants)


@dataclass(frozen=True, slots=True)
class JoinRule:
    """One row of `JOIN_RULES`: `when` holds → refuse the join with `refusal`."""

    when: str
    refusal: Refusal
    detail: str
    applies: Callable[[MeetingState, c.Join], bool]


# fmt: off
JOIN_RULES: tuple[JoinRule, ...] = (
    JoinRule("the room is locked and the joiner is not a facilitator", Refusal.ROOM_LOCKED,
             "The room takes no new joins right now.",
             lambda s, j: not may_join_locked(s, facilitator=j.facilitator)),
    # With the lobby on, names are not checked at the door: an outsider must not learn who is
    # in the room by trying names (issue 13). Everyone waits; names are settled at admission.
    JoinRule("the joiner would be seated now and someone seated has the same folded name",
             Refusal.NAME_TAKEN, "Someone in the room has that name right now.",
             lambda s, j: not parks(s, j) and name_in_use(s, j.name_key, j.member)),
    JoinRule("the joiner would wait and `LOBBY_MAX_WAITING` newcomers wait already",
             Refusal.LOBBY_FULL, "The waiting room is full right now; please try again later.",
             lambda s, j: parks(s, j) and len(s.waiting) >= LOBBY_MAX_WAITING),
)
# fmt: on
"""Who may join, checked after the ban check and after the join is counted for raids (a
refused join changes nothing, so it never counts); first matching row refuses."""


def join_refusal(state: MeetingState, join: c.Join) -> Refused | None:
    for rule in JOIN_RULES:
        if rule.applies(state, join):
            return Refused(rule.refusal, rule.detail)
    return None


def banned(state: MeetingState, marks: frozenset[str], now: float) -> bool:
    """Whether any of `marks` is under a ban (or removal) in force at `now`."""
    return ban_refusal(state, marks, now) is not None


def ban_refusal(state: MeetingState, marks: frozenset[str], now: float) -> Refused | None:
    """The refusal for someone whose marks are under a ban or a removal, else None."""
    for ban in state.bans:
        if ban.until > now and not ban.marks.isdisjoint(marks):
            if ban.removal:
                return Refused(Refusal.REMOVED, "A facilitator removed you from this room.")
            return Refused(Refusal.BANNED, "You are banned from this room for now.")
    return None


def may_join_locked(state: MeetingState, *, facilitator: bool) -> bool:
    """A locked room refuses new joins, except facilitators (who may be needed to unlock it)."""
    return facilitator or not state.locked
