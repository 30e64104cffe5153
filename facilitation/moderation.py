"""Moderation: what facilitators do to people and to the room, as pure edits.

Rules carried out here (who may, and what the target must be, are in rules.py):

- Every action in `rules.MODERATION_ACTIONS` logs one facilitators-only `moderation` event
  (`action` = the command's wire name). It never carries message text.
- Whoever may no longer speak (muted, moved to listen-only) leaves the queue, and if they hold
  the floor their share ends (`rules.SHARE_END_HOW`).
- `room.pause` moves every member who can speak to listen-only, clears hands, ends the share in
  progress and holds joins in the lobby; `room.unpause` undoes exactly that, no more: members who
  were listen-only before the pause stay so, and the lobby goes off only if the pause turned it on
  (and no facilitator changed it meanwhile). Hands and the ended share are not given back.
- Bans hold the banned person's identity marks (and member id) until they lapse.
- A newcomer seated in quiet mode (raid.py) cannot leave listen-only themselves until their
  time is up; a facilitator can move them either way, which makes it the facilitator's choice
  (it no longer lifts by itself). A facilitator's `slow.set` is never undone by quiet mode.
"""

from __future__ import annotations

from dataclasses import replace

from facilitation import commands as c
from facilitation.changes import Changes
from facilitation.commands import Command
from facilitation.errors import Refusal, Refused
from facilitation.events import ChatRemoved, Moderation, ReportFiled, RoomReset, TendingShared
from facilitation.fairness import TendingView
from facilitation.rules import SHARE_END_HOW, LeaveReason
from facilitation.speaking_rules import QUIET_NEWCOMER, is_muted
from facilitation.state import BanEntry, Mode, Role

__all__ = [
    "add_facilitator",
    "assign_listen_only",
    "ban",
    "handover",
    "log",
    "mute",
    "pause_room",
    "remove",
    "remove_message",
    "report",
    "reset_room",
    "set_listen_only",
    "set_lock",
    "set_mode",
    "set_slow",
    "unmute",
    "unpause_room",
]


def log(
    tx: Changes,
    command: Command,
    *,
    target: str | None = None,
    until: float | None = None,
    value: int | bool | str | None = None,
) -> None:
    """Append the facilitators-only `moderation` event for `command` (by the sender, if any)."""
    tx.emit(Moderation(str(command.WIRE), tx.actor, target, until, value))


# --- people -----------------------------------------------------------------------------------


def mute(tx: Changes, command: c.Mute) -> Refused | None:
    until = tx.now + command.seconds
    tx.take_off_floor(command.member, SHARE_END_HOW[c.Mute])
    tx.update(replace(tx.who(command.member), muted_until=until))
    log(tx, command, target=command.member, until=until)
    return None


def unmute(tx: Changes, command: c.Unmute) -> Refused | None:
    who = tx.who(command.member)
    if not is_muted(who, tx.now):
        return Refused(Refusal.NOT_ALLOWED, "That member is not muted.")
    tx.update(replace(who, muted_until=None))
    log(tx, command, target=command.member)
    return None


def assign_listen_only(tx: Changes, command: c.AssignListenOnly) -> Refused | None:
    """A facilitator's choice; it also overrides what a room pause would undo for this member."""
    member = command.member
    tx.release_from_pause(member)
    if command.on:
        tx.take_off_floor(member, SHARE_END_HOW[c.AssignListenOnly])
    who = tx.who(member)
    if who.listen_only != command.on or who.listen_only_until is not None:
        # Their choice now, not quiet mode's: it will not lift by itself.
        tx.update(replace(who, listen_only=command.on, listen_only_until=None))
    log(tx, command, target=member, value=command.on)
    return None


def set_listen_only(tx: Changes, command: c.SetListenOnly) -> Refused | None:
    """A member's own choice; members cannot leave listen-only while the room is paused, nor
    while quiet mode holds them as newcomers (raid.py)."""
    who = tx.who(tx.sender)
    if not command.on and not who.is_facilitator:
        if tx.state.paused_room:
            return Refused(Refusal.NOT_ALLOWED, "The room is paused; everyone listens for now.")
        if who.listen_only_until is not None:
            return Refused(Refusal.NOT_ALLOWED, QUIET_NEWCOMER)
    if command.on:
        tx.take_off_floor(who.member, SHARE_END_HOW[c.SetListenOnly])
    if who.listen_only != command.on:
        tx.release_from_pause(who.member)  # their own choice now, not the pause's
        tx.update(replace(tx.who(who.member), listen_only=command.on, listen_only_until=None))
    return None


def remove(tx: Changes, command: c.Remove) -> Refused | None:
    """The person leaves now; the server closes their sockets on `member.left` `removed`.

    Their session (member id) is refused for `removal_hold_seconds`, so neither a rejoin with
    the same token nor a resume brings them back; a fresh join under a new name still can (a
    ban is what also holds against that).
    """
    # The reason goes to facilitators in the `moderation` event only; the record that outlives
    # the replay window keeps no words (docs/privacy.md).
    hold = BanEntry(
        marks=frozenset({command.member}),
        until=tx.now + tx.state.settings.removal_hold_seconds,
        reason="",
        removal=True,
    )
    tx.state = replace(tx.state, bans=(*tx.state.bans, hold))
    tx.unseat(command.member, LeaveReason.REMOVED, SHARE_END_HOW[c.Remove])
    log(tx, command, target=command.member, value=command.reason or None)
    return None


def ban(tx: Changes, command: c.Ban) -> Refused | None:
    who = tx.who(command.member)
    until = tx.now + command.seconds
    entry = BanEntry(marks=who.marks | {who.member}, until=until, reason="")  # as in `remove`
    tx.state = replace(tx.state, bans=(*tx.state.bans, entry))
    tx.unseat(command.member, LeaveReason.BANNED, SHARE_END_HOW[c.Ban])
    log(tx, command, target=command.member, until=until, value=command.reason or None)
    return None


def add_facilitator(tx: Changes, command: c.AddFacilitator) -> Refused | None:
    tx.update(replace(tx.who(command.member), role=Role.FACILITATOR))
    _brief_new_facilitator(tx)
    log(tx, command, target=command.member)
    return None


def _brief_new_facilitator(tx: Changes) -> None:
    """A member who just became a facilitator gets what facilitators hold (after their
    `member.updated`, so their connections already read facilitators-only events)."""
    if tx.state.turns or tx.state.milestones:
        tx.emit(TendingShared(TendingView.of(tx.state)))


def handover(tx: Changes, command: c.Handover) -> Refused | None:
    """The target becomes a facilitator (if not already) and the sender steps down.

    In a paused room the sender then listens like every member, until the unpause.
    """
    target = tx.who(command.member)
    if not target.is_facilitator:
        tx.update(replace(target, role=Role.FACILITATOR))
        _brief_new_facilitator(tx)
    stepping_down = replace(tx.who(tx.sender), role=Role.MEMBER)
    if tx.state.paused_room and not stepping_down.listen_only:
        # In a paused room members listen; the pause will release them like everyone else.
        stepping_down = replace(stepping_down, listen_only=True)
        tx.state = replace(tx.state, pause_listen_only=tx.state.pause_listen_only | {tx.sender})
        tx.take_off_floor(tx.sender, SHARE_END_HOW[c.AssignListenOnly], announce=True)
    tx.update(stepping_down)
    log(tx, command, target=command.member)
    return None


def report(tx: Changes, command: c.Report) -> Refused | None:
    """Facilitators get the reported message; this is the one event that carries text."""
    tx.emit(
        ReportFiled(
            mid=command.mid,
            from_member=tx.sender,
            about=command.about,
            about_name=command.about_name,
            text=command.text,
            reason=command.reason,
        )
    )
    return None


# --- the room ---------------------------------------------------------------------------------


def set_mode(tx: Changes, command: c.SetMode) -> Refused | None:
    """`listen_only`: only facilitators post; hands raised between rounds are cleared."""
    mode = Mode(command.mode)
    if mode is Mode.LISTEN_ONLY and tx.state.round is None:
        tx.set_queue(())
    tx.state = replace(tx.state, base_mode=mode)
    log(tx, command, value=str(mode))
    return None


def remove_message(tx: Changes, command: c.RemoveMessage) -> Refused | None:
    tx.emit(ChatRemoved(command.mid))
    log(tx, command, value=command.mid)
    return None


def set_lock(tx: Changes, command: c.SetLock) -> Refused | None:
    tx.state = replace(tx.state, locked=command.on)
    log(tx, command, value=command.on)
    return None


def set_slow(tx: Changes, command: c.SetSlow) -> Refused | None:
    """A facilitator's choice: quiet mode, when it ends, leaves it as it is."""
    quiet = tx.state.quiet
    if quiet is not None:
        tx.state = replace(tx.state, quiet=replace(quiet, slow_before=None))
    tx.state = replace(tx.state, slow_seconds=command.seconds)
    log(tx, command, value=command.seconds)
    return None


def pause_room(tx: Changes, command: c.PauseRoom) -> Refused | None:
    state = tx.state
    if state.paused_room:
        return Refused(Refusal.NOT_ALLOWED, "The room is paused already.")
    tx.end_share(SHARE_END_HOW[c.PauseRoom])
    # Hands first (`hand.lowered`, facilitators' too), so that each `member.updated` below
    # carries the member as they are after the pause.
    tx.set_queue(())
    moved = []
    for who in tx.state.participants:
        if not who.is_facilitator and not who.listen_only:
            tx.update(replace(who, listen_only=True))
            moved.append(who.member)
    tx.state = replace(
        tx.state,
        paused_room=True,
        pause_listen_only=frozenset(moved),
        lobby=True,
        pause_lobby=not state.lobby,
    )
    log(tx, command)
    return None


def unpause_room(tx: Changes, command: c.UnpauseRoom) -> Refused | None:
    state = tx.state
    if not state.paused_room:
        return Refused(Refusal.NOT_ALLOWED, "The room is not paused.")
    for who in state.participants:
        if who.member in state.pause_listen_only and who.listen_only:
            tx.update(replace(who, listen_only=False))
    tx.state = replace(
        tx.state,
        paused_room=False,
        pause_listen_only=frozenset(),
        lobby=state.lobby and not state.pause_lobby,
        pause_lobby=False,
    )
    log(tx, command)
    return None


def reset_room(tx: Changes, command: c.ResetRoom) -> Refused | None:
    """History only: the server wipes the replay window; the meeting itself carries on."""
    tx.emit(RoomReset())
    log(tx, command)
    return None
