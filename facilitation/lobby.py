"""The lobby and raid protection.

Rules carried out here:

- With the lobby on, a newcomer who is not a facilitator waits (`lobby.waiting` to facilitators)
  until a facilitator admits them (seated, `member.joined`, `lobby.admitted`) or denies them
  (`lobby.denied`). A ticket also lapses after `lobby_ticket_seconds` (deadlines.py), and goes
  when its connection leaves; both end in `lobby.denied` so the server turns the connection away.
- Turning the lobby off does not admit anyone already waiting: after a raid, the waiting list is
  exactly the people a facilitator should look at one by one.
- Nobody waiting is refused for their name, so an outsider cannot learn who is in the room by
  trying names. A waiting name is not reserved either: if someone seated has it when the
  newcomer is admitted, they are seated under the first free alternate the server gave
  (`River 2`, ...); only if none is free is the admission refused (`name_taken`).
- The lobby holds at most `join_rules.LOBBY_MAX_WAITING` newcomers (`lobby_full`).
- Raid protection turns the lobby on when a facilitator is present to work through it
  (raid.py; with nobody there, quiet mode seats newcomers listen-only instead).
"""

from __future__ import annotations

from dataclasses import replace

from facilitation import commands as c
from facilitation.changes import Changes
from facilitation.errors import Refusal, Refused
from facilitation.events import LobbyAdmitted, LobbyDenied, LobbyWaiting
from facilitation.join_rules import banned, name_in_use
from facilitation.moderation import log
from facilitation.state import MeetingState, Role, Waiting

__all__ = [
    "admit",
    "deny",
    "drop_ticket",
    "free_name",
    "set_lobby",
    "wait",
]

_NO_TICKET = Refused(Refusal.NOT_PRESENT, "Nobody is waiting with that ticket.")


def set_lobby(tx: Changes, command: c.SetLobby) -> Refused | None:
    # A facilitator's explicit choice: a room unpause will not turn it off again.
    tx.state = replace(tx.state, lobby=command.on, pause_lobby=False)
    log(tx, command, value=command.on)
    return None


def admit(tx: Changes, command: c.Admit) -> Refused | None:
    """Seat a waiting newcomer; bans and names are checked again, since time has passed."""
    entry = _ticket(tx.state, command.ticket)
    if entry is None:
        return _NO_TICKET
    if banned(tx.state, entry.marks | {entry.member}, tx.now):
        return Refused(Refusal.BANNED, "That newcomer is banned for now.")
    if tx.state.participant(entry.member) is None:
        name = free_name(tx.state, entry)
        if name is None:
            return Refused(Refusal.NAME_TAKEN, "Someone in the room has that name now.")
        tx.state = _without_ticket(tx.state, command.ticket)
        tx.seat(entry.member, name[0], name[1], entry.role, entry.marks)
    else:
        tx.state = _without_ticket(tx.state, command.ticket)  # seated meanwhile another way
    tx.emit(LobbyAdmitted(command.ticket, entry.member))
    log(tx, command, target=entry.member, value=command.ticket)
    return None


def deny(tx: Changes, command: c.Deny) -> Refused | None:
    if _ticket(tx.state, command.ticket) is None:
        return _NO_TICKET
    drop_ticket(tx, command.ticket)
    log(tx, command, value=command.ticket)
    return None


def wait(tx: Changes, command: c.Join) -> None:
    """Put a newcomer in the lobby."""
    entry = Waiting(
        ticket=command.ticket,
        member=command.member,
        name=command.name,
        name_key=command.name_key,
        marks=command.marks,
        role=Role.MEMBER,
        since=tx.now,
        alternates=command.alternates,
    )
    tx.state = replace(tx.state, waiting=(*tx.state.waiting, entry))
    tx.emit(LobbyWaiting(command.ticket, command.name))


def drop_ticket(tx: Changes, ticket: str) -> None:
    """The ticket leaves the lobby without a seat; the server turns its connection away."""
    tx.state = _without_ticket(tx.state, ticket)
    tx.emit(LobbyDenied(ticket))


def free_name(state: MeetingState, entry: Waiting) -> tuple[str, str] | None:
    """The name (and folded name) to seat a waiting newcomer under: their own if nobody seated
    has it, else the first free of the server's alternates ("River 2", ...), else None."""
    for name, key in ((entry.name, entry.name_key), *entry.alternates):
        if not name_in_use(state, key, entry.member):
            return name, key
    return None


def _ticket(state: MeetingState, ticket: str) -> Waiting | None:
    return next((w for w in state.waiting if w.ticket == ticket), None)


def _without_ticket(state: MeetingState, ticket: str) -> MeetingState:
    return replace(state, waiting=tuple(w for w in state.waiting if w.ticket != ticket))
