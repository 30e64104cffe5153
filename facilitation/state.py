"""The meeting as an immutable value.

Rules of this module:

- Everything is a frozen, slotted dataclass of tuples, frozensets, strings and numbers, so a
  state can be shared, compared, hashed and kept as "the state before" without copying. A command
  that is refused therefore changes nothing, by construction.
- Times are float seconds since the Unix epoch, as passed in by the caller (`now`). Nothing here
  reads a clock.
- The room's fixed settings live in room_settings.py (re-exported here).
- This module holds data and trivial queries only; every decision lives in `rules.py` (and the
  other `*_rules.py` modules) and the modules it names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Unpack

from facilitation.room_settings import RoomSettings, SettingsArgs, check_settings

if TYPE_CHECKING:
    from facilitation.formats import Format, Part

__all__ = [
    "BanEntry",
    "Floor",
    "MeetingState",
    "Milestone",
    "Mode",
    "Order",
    "PartKind",
    "Participant",
    "Posting",
    "QuietMode",
    "Role",
    "RoomSettings",
    "Round",
    "SettingsArgs",
    "Turns",
    "Waiting",
]


class Mode(StrEnum):
    """The room's mode as clients see it (`meeting.mode` in protocol.md §4.3).

    `ROUND` is never stored: it is what `OPEN` or `LISTEN_ONLY` look like while a round runs.
    """

    OPEN = "open"
    ROUND = "round"
    LISTEN_ONLY = "listen_only"


class Role(StrEnum):
    """A seated participant's role. Observers are not participants at all."""

    MEMBER = "member"
    FACILITATOR = "facilitator"


class Order(StrEnum):
    """How a round's queue is filled."""

    HANDS = "hands"
    ROUND_ROBIN = "round_robin"


class PartKind(StrEnum):
    """What a part of a meeting format is (formats.py; its rules: rules.POSTING_BY_PART)."""

    OPEN_TALK = "open_talk"
    READING = "reading"
    SHARE_ROUND = "share_round"
    ANNOUNCEMENTS = "announcements"
    CLOSING = "closing"


class Posting(StrEnum):
    """Who a part gives the word to (rules.POSTING_VOICES says who that is)."""

    NOBODY = "nobody"
    FACILITATOR = "facilitator"
    FLOOR = "floor"
    IN_TURN = "in_turn"
    EVERYONE = "everyone"


@dataclass(frozen=True, slots=True)
class Participant:
    """A seated person (member or facilitator); observers are never participants."""

    member: str
    """The member id (stable across reconnects)."""
    name: str
    """Display name as shown."""
    name_key: str
    """Folded display name, computed by the caller; unique among seated participants."""
    role: Role
    """Member or facilitator in this room."""
    joined_seq: int
    """Join order: round-robin rounds and the member list follow it."""
    listen_only: bool = False
    """Listens only: cannot post, be queued or hold the floor."""
    muted_until: float | None = None
    """Muted by a facilitator until then; a muted member cannot post or hold the floor."""
    away_since: float | None = None
    """The connection dropped at this time; the seat is held for `seat_hold_seconds`."""
    marks: frozenset[str] = frozenset()
    """Opaque identity marks from the server (session, device...); bans match on them."""
    listen_only_until: float | None = None
    """Seated during quiet mode: listens until then, when quiet mode lets them speak (raid.py)."""

    @property
    def is_facilitator(self) -> bool:
        return self.role is Role.FACILITATOR

    @property
    def away(self) -> bool:
        return self.away_since is not None


@dataclass(frozen=True, slots=True)
class Floor:
    """Who is sharing now, and until when."""

    member: str
    """The speaker."""
    started_at: float
    """When the floor was granted."""
    ends_at: float
    """When the share ends (while the round is paused: when it would have ended at the pause)."""
    warned: bool = False
    """The warning was sent (or the share was too short to need one)."""
    away_deadline: float | None = None
    """The speaker dropped: the share ends then unless they come back."""


@dataclass(frozen=True, slots=True)
class Round:
    """A share round: one speaker at a time, taken from the queue."""

    topic: str
    """The facilitator's topic ("" for self-led rounds)."""
    order: Order
    """Raised hands, or everyone present in join order."""
    share_seconds: int
    """Length of each share."""
    self_led: bool = False
    """Nobody facilitates: the round ends by itself when the queue empties."""
    paused: bool = False
    """A facilitator paused the clock; no floor is granted until resumed."""
    paused_remaining: float | None = None
    """Seconds the speaker had left when the round was paused with the floor held."""
    floor: Floor | None = None
    """The current speaker, or None between shares."""


@dataclass(frozen=True, slots=True)
class BanEntry:
    """Identity marks refused at join until a time."""

    marks: frozenset[str]
    """The banned person's marks (including their member id)."""
    until: float
    """When the ban lapses."""
    reason: str
    """Left empty by the engine: reasons reach facilitators in the `moderation` event only."""
    removal: bool = False
    """A removal (the session only, refused as `removed`) rather than a ban."""


@dataclass(frozen=True, slots=True)
class Waiting:
    """A newcomer held in the lobby until a facilitator admits or denies them."""

    ticket: str
    """The caller's id for the waiting connection."""
    member: str
    """The member id they will have once admitted."""
    name: str
    """Display name, shown to facilitators."""
    name_key: str
    """Folded name: kept free while they wait."""
    marks: frozenset[str]
    """Identity marks, checked against bans again on admission."""
    role: Role
    """Role once seated (facilitators skip the lobby, so in practice always member)."""
    since: float
    """When they started waiting; the ticket lapses after `lobby_ticket_seconds`."""
    alternates: tuple[tuple[str, str], ...] = ()
    """Names (with their folded forms) to seat them under if theirs is taken at admission."""


@dataclass(frozen=True, slots=True)
class QuietMode:
    """Raid protection in a room with no facilitator present (raid.py): it undoes itself."""

    started_at: float
    """When the raid was detected."""
    last_join: float
    """The last join that counted towards raids; quiet mode ends a quiet period after it."""
    slow_before: int | None
    """Slow mode before the raid, given back when quiet mode ends; None once a facilitator set
    slow mode meanwhile (theirs stays)."""


@dataclass(frozen=True, slots=True)
class Milestone:
    """A member's own "today is N days", for this meeting only (milestones.py)."""

    member: str
    """Who marked it."""
    days: int
    """The count they chose."""
    celebrated: bool = False
    """Announced in the room already (by a facilitator, or when a closing part started)."""


@dataclass(frozen=True, slots=True)
class Turns:
    """One member's turns in this meeting, for the facilitators' fairness view (fairness.py)."""

    member: str
    """Whose turns."""
    shares: int = 0
    """Shares they had the floor for (ended any way but `passed`)."""
    seconds: float = 0.0
    """How long those shares lasted in all."""
    passes: int = 0
    """Turns they passed: on the floor, or from the queue while a round ran."""


@dataclass(frozen=True, slots=True)
class MeetingState:
    """Everything the engine knows about one room's meeting."""

    settings: RoomSettings = dataclasses.field(default_factory=RoomSettings)
    """Fixed room settings."""
    base_mode: Mode = Mode.OPEN
    """`open` or `listen_only`: the mode outside rounds (never `round`)."""
    locked: bool = False
    """New joins are refused (facilitators excepted)."""
    slow_seconds: int = 0
    """At most one post per member per this many seconds (0 = off); enforced by the server."""
    lobby: bool = False
    """Newcomers (not facilitators) wait for admission."""
    paused_room: bool = False
    """The room is paused: non-facilitators listen only and joins are held."""
    pause_listen_only: frozenset[str] = frozenset()
    """Members the room pause moved into listen-only; unpausing moves exactly them back."""
    pause_lobby: bool = False
    """The room pause turned the lobby on (and nobody changed it since); unpausing turns it off."""
    participants: tuple[Participant, ...] = ()
    """Seated people, in join order."""
    queue: tuple[str, ...] = ()
    """Raised hands, first come first served; seeds the next round when none runs."""
    round: Round | None = None
    """The running share round, if any."""
    bans: tuple[BanEntry, ...] = ()
    """Bans in force."""
    waiting: tuple[Waiting, ...] = ()
    """The lobby, oldest first."""
    recent_joins: tuple[float, ...] = ()
    """Times of recent joins of new identities, for raid detection."""
    quiet: QuietMode | None = None
    """Quiet mode: raid protection of a room with no facilitator present, while it lasts."""
    next_join_index: int = 0
    """The `joined_seq` of the next participant."""
    format: Format | None = None
    """The room's meeting format (its parts, in order), or None for a room without one."""
    part: int | None = None
    """Index of the current part of `format`; None while no meeting follows the format."""
    part_started_at: float | None = None
    """When the current part started (its planned end counts from here)."""
    milestones: tuple[Milestone, ...] = ()
    """Milestones members marked for this meeting (gone when they leave or the format ends)."""
    turns: tuple[Turns, ...] = ()
    """Who had turns in this meeting, in order of their first (gone with the meeting)."""

    @classmethod
    def new(
        cls,
        *,
        base_mode: Mode | str = Mode.OPEN,
        locked: bool = False,
        slow_seconds: int = 0,
        lobby: bool = False,
        format: Format | None = None,
        **settings: Unpack[SettingsArgs],
    ) -> MeetingState:
        """A fresh meeting: nobody seated, no round.

        Args:
            base_mode: `open` or `listen_only`.
            locked, slow_seconds, lobby: initial room controls.
            format: the room's meeting format (formats.py); the meeting starts outside it.
            **settings: any field of `RoomSettings`.

        Raises:
            ValueError: a setting is out of range (a configuration error).
            TypeError: a setting is unknown.
        """
        mode = Mode(base_mode)
        if mode is Mode.ROUND:
            raise ValueError("base_mode must be 'open' or 'listen_only'")
        room = RoomSettings(**settings)
        check_settings(room)
        if not 0 <= slow_seconds <= 3600:
            raise ValueError("slow_seconds must be within 0..3600")
        return cls(
            settings=room,
            base_mode=mode,
            locked=locked,
            slow_seconds=slow_seconds,
            lobby=lobby,
            format=format,
        )

    def participant(self, member: str) -> Participant | None:
        """The seated participant with this id, if any."""
        for p in self.participants:
            if p.member == member:
                return p
        return None

    def present(self) -> Iterator[Participant]:
        """Seated participants whose connection is up, in join order."""
        return (p for p in self.participants if not p.away)

    def facilitator_present(self) -> bool:
        return any(p.is_facilitator for p in self.present())

    @property
    def mode(self) -> Mode:
        """The mode clients see: `round` while a round runs, else the base mode."""
        return Mode.ROUND if self.round is not None else self.base_mode

    @property
    def floor(self) -> Floor | None:
        return self.round.floor if self.round is not None else None

    def speaker(self) -> str | None:
        """The member holding the floor, if any."""
        floor = self.floor
        return floor.member if floor is not None else None

    def current_part(self) -> Part | None:
        """The part of the format the meeting is in, if any."""
        if self.format is None or self.part is None:
            return None
        return self.format.parts[self.part]

    def with_participant(self, new: Participant) -> MeetingState:
        """Replace the participant with `new.member`, keeping join order."""
        people = tuple(new if p.member == new.member else p for p in self.participants)
        return dataclasses.replace(self, participants=people)
