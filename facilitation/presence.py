"""Presence: joining, leaving, dropping and coming back. Sent by the server (`actor=None`).

Rules carried out here:

- A join is refused when any of the joiner's marks (or their member id) is banned (`banned`),
  or by the first matching row of `join_rules.JOIN_RULES` (locked room, a seated namesake when they
  would be seated now, a full lobby when they would wait). A join from a network source new to
  the room counts towards raid detection (a refused one does not); with the lobby on a
  non-facilitator waits there, whatever their name; everyone else is seated.
- A join for a member id already seated is a reconnection (the facilitator flag may promote them).
- A dropped member keeps their seat for `seat_hold_seconds`, and a dropped speaker keeps the floor
  for `grace_seconds` (deadlines.py ends both). Coming back within them changes nothing else.
- Leaving ends the speaker's share (`left`); a waiting newcomer who leaves gives up their ticket.
"""

from __future__ import annotations

from dataclasses import replace

from facilitation import commands as c
from facilitation.changes import Changes
from facilitation.errors import Refusal, Refused
from facilitation.events import MemberAway, MemberBack
from facilitation.join_rules import ban_refusal, join_refusal, parks
from facilitation.lobby import drop_ticket, wait
from facilitation.raid import note_join
from facilitation.rules import SHARE_END_HOW, LeaveReason
from facilitation.state import Role

__all__ = ["disconnected", "join", "leave", "reconnected"]

_NOT_HERE = Refused(Refusal.NOT_PRESENT, "That member is not in the room.")


def join(tx: Changes, command: c.Join) -> Refused | None:
    state = tx.state
    if state.participant(command.member) is not None:
        return _rejoin(tx, command)
    refusal = ban_refusal(state, command.marks | {command.member}, tx.now)
    if refusal is not None:
        return refusal
    for older in [w.ticket for w in state.waiting if w.member == command.member]:
        drop_ticket(tx, older)  # the same person waiting on an older connection
    if command.new_source:
        note_join(tx)
    refusal = join_refusal(tx.state, command)  # a refusal undoes the count: probes never count
    if refusal is not None:
        return refusal
    if parks(tx.state, command):
        if not command.ticket or any(w.ticket == command.ticket for w in tx.state.waiting):
            return Refused(Refusal.BAD_REQUEST, "A newcomer needs a fresh lobby ticket.")
        wait(tx, command)
        return None
    role = Role.FACILITATOR if command.facilitator else Role.MEMBER
    tx.seat(command.member, command.name, command.name_key, role, command.marks)
    return None


def _rejoin(tx: Changes, command: c.Join) -> Refused | None:
    who = tx.who(command.member)
    if command.facilitator and not who.is_facilitator:
        tx.update(replace(who, role=Role.FACILITATOR))
    return reconnected(tx, c.Reconnected(command.member))


def leave(tx: Changes, command: c.Leave) -> Refused | None:
    if tx.state.participant(command.member) is not None:
        tx.unseat(command.member, LeaveReason.LEFT, SHARE_END_HOW[c.Leave])
        return None
    tickets = [w.ticket for w in tx.state.waiting if w.member == command.member]
    if not tickets:
        return _NOT_HERE
    for ticket in tickets:
        drop_ticket(tx, ticket)
    return None


def disconnected(tx: Changes, command: c.Disconnected) -> Refused | None:
    """The seat is held; a speaker keeps the floor for the grace period."""
    who = tx.state.participant(command.member)
    if who is None:
        return leave(tx, c.Leave(command.member))  # a waiting newcomer's connection dropped
    if who.away:
        return None
    tx.update(replace(who, away_since=tx.now), announce=False)
    rnd = tx.state.round
    if rnd is not None and rnd.floor is not None and rnd.floor.member == who.member:
        floor = replace(rnd.floor, away_deadline=tx.now + tx.state.settings.grace_seconds)
        tx.state = replace(tx.state, round=replace(rnd, floor=floor))
    tx.emit(MemberAway(who.member))
    return None


def reconnected(tx: Changes, command: c.Reconnected) -> Refused | None:
    who = tx.state.participant(command.member)
    if who is None:
        return _NOT_HERE
    if not who.away:
        return None
    tx.update(replace(who, away_since=None), announce=False)
    rnd = tx.state.round
    if rnd is not None and rnd.floor is not None and rnd.floor.member == who.member:
        tx.state = replace(
            tx.state, round=replace(rnd, floor=replace(rnd.floor, away_deadline=None))
        )
    tx.emit(MemberBack(who.member))
    return None
