"""Rule 5: what the meeting keeps count of: turns for fairness, and milestones.

Both are kept in the meeting state only (fairness.py, milestones.py), never stored elsewhere.
The tables below are written as data so that docs/facilitation.md can be generated from them
(`python -m facilitation.doc_table --write`).
"""

from __future__ import annotations

from enum import StrEnum

from facilitation.rules import ShareEndHow
from facilitation.state import PartKind

__all__ = ["CELEBRATING_PARTS", "TURNS_FORGOTTEN", "TURN_COUNTS_AS", "Tally"]


class Tally(StrEnum):
    """What an ended share adds to the speaker's turns in the facilitators' fairness view."""

    SHARE = "a share (and its length)"
    PASS = "a pass"  # noqa: S105 (a turn passed, not a password)


TURN_COUNTS_AS: dict[ShareEndHow, Tally] = {
    ShareEndHow.DONE: Tally.SHARE,
    ShareEndHow.TIME: Tally.SHARE,
    ShareEndHow.SKIPPED: Tally.SHARE,
    ShareEndHow.DISCONNECTED: Tally.SHARE,
    ShareEndHow.LEFT: Tally.SHARE,
    ShareEndHow.PASSED: Tally.PASS,
}
"""How each way a share ends counts. Passing from the queue while a round runs is a pass too."""

TURNS_FORGOTTEN: tuple[str, ...] = (
    "the member leaves the room (or is removed, or their seat hold runs out): theirs",
    "the last participant leaves: everyone's",
    "a facilitator or the clock starts a format's first part with no part running: everyone's",
    "the meeting leaves its format (`format.ended`): everyone's, milestones too",
)
"""When turns and milestones are dropped from the meeting state (they are never stored
elsewhere); a member's milestone also goes when they take it back (`milestone.clear`)."""

CELEBRATING_PARTS: frozenset[PartKind] = frozenset({PartKind.CLOSING})
"""Parts whose start celebrates every milestone not yet celebrated (`milestone.celebrated`)."""
