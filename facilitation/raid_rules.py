"""Rule 6: what a raid does to a room, depending on whether a facilitator is there to see it.

The tables below are data so that docs/facilitation.md is generated from them (`python -m
facilitation.doc_table --write`); raid.py carries them out.

A raid is `raid_joins` joins from new network sources within `raid_window_seconds`, with the
lobby off (raid.py counts them). With a facilitator present the room does what it always did:
the lobby goes on, slow mode goes up, and the facilitators get `raid.alert`; it stays so until
a facilitator undoes it. With no facilitator present a lobby would hold everyone until their
ticket lapsed, since nobody could let them in, so the room goes into *quiet mode* instead:
members already seated carry on; newcomers come in and read, but listen for
`raid_listen_only_seconds` before they may post or raise a hand; slow mode goes up; the
server pages the on-call team (`raid.alert` with `self_led` true). Quiet mode undoes itself
once the burst has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from facilitation.join_rules import RAID_SLOW_SECONDS

__all__ = [
    "QUIET_MODE_ENDS",
    "RAID_QUIET_MAX_SECONDS",
    "RAID_QUIET_WINDOWS",
    "RAID_RESPONSE",
    "RAID_SLOW_SECONDS",
    "RaidResponse",
    "Watch",
]

RAID_QUIET_WINDOWS = 2
"""Quiet mode ends once no join has counted towards raids for this many raid windows."""

RAID_QUIET_MAX_SECONDS = 1800
"""...and at the latest this long after it began, even while joins keep trickling in, so it
always ends (a burst that is still going then sets it off again, with a fresh alert)."""


class Watch(StrEnum):
    """Who is watching the room when a raid is detected."""

    FACILITATOR = "a facilitator is present (seated, connected)"
    NOBODY = "no facilitator is present"


@dataclass(frozen=True, slots=True)
class RaidResponse:
    """One row of `RAID_RESPONSE`: what a raid turns on."""

    lobby: bool
    """The lobby goes on: newcomers wait for a facilitator to let them in."""
    quiet_mode: bool
    """Quiet mode: newcomers are seated listen-only for a while, and it all undoes itself;
    `raid.alert` says `self_led` true (the server raises an on-call alert)."""
    slow_seconds: int
    """Slow mode goes up to at least this (never down)."""


RAID_RESPONSE: dict[Watch, RaidResponse] = {
    Watch.FACILITATOR: RaidResponse(lobby=True, quiet_mode=False, slow_seconds=RAID_SLOW_SECONDS),
    Watch.NOBODY: RaidResponse(lobby=False, quiet_mode=True, slow_seconds=RAID_SLOW_SECONDS),
}
"""What a raid does, by who is watching. The raid's own changes are logged to facilitators
(`moderation`, `by` null) in both cases."""

QUIET_MODE_ENDS: dict[str, tuple[str, str]] = {
    "quiet mode": (
        f"no join counted towards raids for {RAID_QUIET_WINDOWS} × `raid_window_seconds`, or "
        f"{RAID_QUIET_MAX_SECONDS} s after it began, whichever is first",
        "`raid.settled`; the server withdraws the on-call alert (`settled`)",
    ),
    "slow mode": (
        "when quiet mode ends",
        "back to what it was before the raid (`moderation` `slow.set`, `by` null), unless a "
        "facilitator set slow mode meanwhile: theirs stays",
    ),
    "a newcomer's listen-only": (
        "their own `listen_only_until` (joined + `raid_listen_only_seconds`), whether or not "
        "quiet mode has ended",
        "`member.updated` (`listen_only` false); in a paused room they listen until the unpause. "
        "Listen-only a member chose or a facilitator assigned is never lifted",
    ),
}
"""What quiet mode changed, when each change is undone, and how (deadlines.py fires them)."""
