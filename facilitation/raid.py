"""Raid detection, and quiet mode: raid protection for a room with no facilitator present.

Rules carried out here (the tables are in raid_rules.py):

- Every join from a network source new to the room (the node decides, see `Join.new_source`)
  is counted, so one client joining again and again counts once. `raid_joins` of them within
  `raid_window_seconds`, with the lobby off, are a raid: `RAID_RESPONSE` says what happens,
  by whether a facilitator is present. The count then starts over.
- Quiet mode: slow mode goes up (the value before is kept to give back), `raid.alert` says
  `self_led` true, and every member seated while it lasts is seated listen-only until
  `listen_only_until` (changes.py seats them; speaking_rules.py refuses their posts and hands
  with a reason of its own). Members already seated are untouched.
- While quiet mode lasts, a counted join only moves its end on; it raises no second alert.
- A facilitator who arrives during quiet mode leaves it as it is: it ends by itself as
  planned, and they can lift anyone's listen-only (`listen_only.assign`), set slow mode (which
  quiet mode then leaves alone) or turn the lobby on.
- Quiet mode ends (`raid.settled`) a quiet period after the last counted join
  (`RAID_QUIET_WINDOWS` windows) or `RAID_QUIET_MAX_SECONDS` after it began, giving slow mode
  back; each newcomer's listen-only lifts at their own time (deadlines.py fires both).
"""

from __future__ import annotations

from dataclasses import replace

from facilitation import commands as c
from facilitation.changes import Changes
from facilitation.errors import FacilitationBug
from facilitation.events import Moderation, RaidAlert, RaidSettled
from facilitation.moderation import log
from facilitation.raid_rules import RAID_QUIET_MAX_SECONDS, RAID_QUIET_WINDOWS, RAID_RESPONSE, Watch
from facilitation.state import MeetingState, QuietMode

__all__ = ["lift_listen_only", "note_join", "quiet_end", "settle_quiet"]


def note_join(tx: Changes) -> None:
    """Count a join from a new source; too many too fast and the room protects itself."""
    state = tx.state
    if state.quiet is not None:
        tx.state = replace(state, quiet=replace(state.quiet, last_join=tx.now))
        return
    settings = state.settings
    window_start = tx.now - settings.raid_window_seconds
    joins = (*(t for t in state.recent_joins if t > window_start), tx.now)
    if len(joins) >= settings.raid_joins and not state.lobby:
        _protect(tx, len(joins))
        joins = ()
    tx.state = replace(tx.state, recent_joins=joins)


def _protect(tx: Changes, joins: int) -> None:
    state = tx.state
    watch = Watch.FACILITATOR if state.facilitator_present() else Watch.NOBODY
    response = RAID_RESPONSE[watch]
    slow = max(state.slow_seconds, response.slow_seconds)
    tx.emit(RaidAlert(joins, state.settings.raid_window_seconds, self_led=response.quiet_mode))
    if response.lobby:
        log(tx, c.SetLobby(on=True), value=True)
    if slow != state.slow_seconds:
        log(tx, c.SetSlow(seconds=slow), value=slow)
    quiet = QuietMode(tx.now, tx.now, state.slow_seconds) if response.quiet_mode else None
    tx.state = replace(state, lobby=state.lobby or response.lobby, slow_seconds=slow, quiet=quiet)


def quiet_end(state: MeetingState) -> float | None:
    """When quiet mode ends, if it is on."""
    quiet = state.quiet
    if quiet is None:
        return None
    calm = quiet.last_join + RAID_QUIET_WINDOWS * state.settings.raid_window_seconds
    return min(calm, quiet.started_at + RAID_QUIET_MAX_SECONDS)


def settle_quiet(tx: Changes) -> None:
    """The burst has passed: slow mode goes back (unless a facilitator set it), `raid.settled`."""
    quiet = tx.state.quiet
    if quiet is None:
        raise FacilitationBug("quiet mode ends only while it is on")
    before = quiet.slow_before
    state = replace(tx.state, quiet=None)
    if before is not None and before != state.slow_seconds:
        state = replace(state, slow_seconds=before)
        # The server acted, whoever sent the command this deadline fired before.
        tx.emit(Moderation(str(c.SetSlow.WIRE), None, value=before))
    tx.state = state
    tx.emit(RaidSettled(state.slow_seconds))


def lift_listen_only(tx: Changes, member: str) -> None:
    """A newcomer's quiet-mode listen-only is up (`member.updated`); in a paused room they
    listen on with everyone else, and the unpause lets them speak."""
    who = tx.who(member)
    if who.listen_only_until is None:
        raise FacilitationBug("a quiet-mode hold lifts only while it is held", member)
    if tx.state.paused_room and not who.is_facilitator:
        tx.state = replace(tx.state, pause_listen_only=tx.state.pause_listen_only | {member})
        tx.update(replace(tx.who(member), listen_only_until=None))
        return
    tx.update(replace(who, listen_only=False, listen_only_until=None))
