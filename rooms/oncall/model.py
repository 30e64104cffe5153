"""The values of the on-call machine: alerts, the state that holds them, commands, effects.

Everything here is a frozen value. An alert is identified by an opaque id the server chooses
(`alr_…`); the machine never invents ids, reads a clock or draws random numbers, so the same
command on the same state at the same `now` gives the same answer on every node.

The member and staff ids an alert holds (`subject`, `taker`) stay inside the server: a webhook
carries only the alert id, its kind and an opaque room id (server/paging.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

__all__ = [
    "Alert",
    "AlertKind",
    "AlertStatus",
    "CancelReason",
    "Chime",
    "Command",
    "Effect",
    "Notify",
    "OnCallState",
    "Outcome",
    "Page",
    "PageLevel",
    "Raise",
    "Release",
    "Resolve",
    "StaffDropped",
    "StaffSeen",
    "StandDown",
    "Take",
    "Tick",
    "Withdraw",
]


class AlertKind(StrEnum):
    """What needs a human."""

    CRISIS = "crisis"
    """A member asked to talk to someone now (the crisis lane)."""
    REPORT = "report"
    """A member reported a message or a person, and no facilitator is in the room."""
    RAID = "raid"
    """Raid protection switched on in a room."""
    LOBBY = "lobby"
    """Newcomers wait in a lobby that no facilitator watches."""


class AlertStatus(StrEnum):
    """Where an alert is in its life. `released` is a transition back to `open`, not a state."""

    OPEN = "open"
    TAKEN = "taken"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"

    @property
    def closed(self) -> bool:
        return self in (AlertStatus.RESOLVED, AlertStatus.CANCELLED)


class Outcome(StrEnum):
    """How a staff member closed an alert: a code, never free text."""

    SUPPORTED = "supported"
    """A conversation took place (crisis)."""
    REFERRED = "referred"
    """The member was pointed to crisis services (crisis)."""
    NO_RESPONSE = "no_response"
    """The member did not answer (crisis)."""
    ACTION_TAKEN = "action_taken"
    """A message was hidden, a member muted, removed or banned (report, raid)."""
    NO_ACTION = "no_action"
    """Looked at; nothing needed doing (report, raid, lobby)."""
    ADMITTED = "admitted"
    """The waiting newcomers were let in or turned away (lobby)."""


class CancelReason(StrEnum):
    """Why the server withdrew an alert nobody had to handle."""

    MEMBER_OK = "member_ok"
    """The member pressed "I'm OK for now"."""
    MEMBER_GONE = "member_gone"
    """The member left, or was disconnected for longer than the grace period."""
    SETTLED = "settled"
    """The raid burst passed, the lobby emptied, or a facilitator came into the room."""


class PageLevel(IntEnum):
    """Who an escalation step reaches. The value is the `level` field of the webhook."""

    CONSOLE = 0
    """Staff consoles only: a chime, no webhook."""
    ON_CALL = 1
    """Endpoints of staff who are on call."""
    ALL_STAFF = 2
    """Every configured endpoint."""


@dataclass(frozen=True, slots=True)
class Alert:
    """One thing that needs a human, from the first request to its close."""

    id: str
    """Opaque, chosen by the server (`alr_…`); the same in the console and every webhook."""
    kind: AlertKind
    room: str
    """The room it happened in (the server maps it to an opaque id before paging)."""
    subject: str
    """Crisis: the asking member; report: what was reported; raid and lobby: empty."""
    status: AlertStatus
    created_at: float
    """When it was first raised."""
    opened_at: float
    """When it last became open (created or released): the escalation counts from here."""
    count: int = 1
    """How many requests merged into it (double taps, repeated reports)."""
    steps_done: int = 0
    """How many escalation steps fired since `opened_at`."""
    pages: int = 0
    """How many webhook pages it sent in its whole life (stand-downs go only if > 0)."""
    taker: str | None = None
    """The staff member who took it: set while `taken`, None while `open`, and kept after a
    resolve or a cancel (who handled it)."""
    taker_seen_at: float | None = None
    """When the taker last showed they are there (take or heartbeat)."""
    outcome: Outcome | None = None
    cancel_reason: CancelReason | None = None
    closed_at: float | None = None

    @property
    def dedup_key(self) -> tuple[str, str, str]:
        return (self.kind, self.room, self.subject)


@dataclass(frozen=True, slots=True)
class OnCallState:
    """Every alert the machine knows, in the order they were raised. Closed alerts stay for a
    while (`rules.KEEP_CLOSED_SECONDS`) so consoles can show what happened, then go."""

    alerts: tuple[Alert, ...] = ()

    def find(self, alert_id: str) -> Alert | None:
        return next((alert for alert in self.alerts if alert.id == alert_id), None)

    def live(self, key: tuple[str, str, str]) -> Alert | None:
        """The open or taken alert with this dedup key, if any."""
        return next(
            (a for a in self.alerts if a.dedup_key == key and not a.status.closed),
            None,
        )


# Commands -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Raise:
    """Something needs a human. `alert_id` is used only if no live alert has the same key."""

    alert_id: str
    kind: AlertKind
    room: str
    subject: str = ""


@dataclass(frozen=True, slots=True)
class Take:
    """A staff member acknowledges an open alert and owns it from now on."""

    alert_id: str
    staff: str


@dataclass(frozen=True, slots=True)
class Release:
    """The taker hands the alert back; it is open again and escalates from the start."""

    alert_id: str
    staff: str


@dataclass(frozen=True, slots=True)
class Resolve:
    """The taker closes the alert with an outcome code."""

    alert_id: str
    staff: str
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class Withdraw:
    """The server closes an alert that no longer needs anyone (member OK or gone, burst over)."""

    alert_id: str
    reason: CancelReason


@dataclass(frozen=True, slots=True)
class StaffSeen:
    """A staff member's console or conversation showed life: their taken alerts stay theirs."""

    staff: str


@dataclass(frozen=True, slots=True)
class StaffDropped:
    """A staff member's last connection closed: every alert they hold opens again."""

    staff: str


@dataclass(frozen=True, slots=True)
class Tick:
    """The clock moved: fire what is due (every command does this first anyway)."""


Command = Raise | Take | Release | Resolve | Withdraw | StaffSeen | StaffDropped | Tick


# Effects: what the I/O layer must do once the new state is stored ------------------------


@dataclass(frozen=True, slots=True)
class Notify:
    """Tell every staff console the alert's new view (any change, including a merged repeat)."""

    alert: Alert


@dataclass(frozen=True, slots=True)
class Chime:
    """Play the console's alert sound (opt-in in the browser) for a newly open alert."""

    alert: Alert


@dataclass(frozen=True, slots=True)
class Page:
    """Send `alert.unclaimed` to the webhook endpoints of `level`."""

    level: PageLevel
    alert: Alert
    waited_s: int
    """Whole seconds since the alert became open."""


@dataclass(frozen=True, slots=True)
class StandDown:
    """Tell the endpoints that were paged that the alert was taken, resolved or cancelled, so
    pagers stop ringing (`alert.taken|resolved|cancelled`, from the alert's status)."""

    alert: Alert


Effect = Notify | Chime | Page | StandDown
