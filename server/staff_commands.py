"""The staff channel's commands (docs/protocol.md §10): their fields and typed values.

A staff console opens the same `/ws` as members and sends `staff.watch` first instead of `join`
or `resume`; after that the connection takes only the commands below and `ping`
(server/session.py, Kind.STAFF). Outcome codes are rooms.oncall's `Outcome` values, so the wire
cannot offer one the on-call machine does not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from rooms.oncall import Outcome
from server.wire import CommandSpec, Field

__all__ = [
    "STAFF_COMMANDS",
    "STAFF_SPECS",
    "AlertRelease",
    "AlertResolve",
    "AlertTake",
    "OncallSet",
    "StaffWatch",
]

_ALERT_ID_CHARS: Final = 64
"""Alert ids are the server's own (`alr_…`); anything longer is not one."""


@dataclass(frozen=True, slots=True)
class StaffWatch:
    """Open the staff channel with a staff sign-in token (`POST /api/staff/session`)."""

    staff: str


@dataclass(frozen=True, slots=True)
class OncallSet:
    """Go on call (`on`) or off call."""

    on: bool


@dataclass(frozen=True, slots=True)
class AlertTake:
    """Acknowledge an open alert: the taker owns it until they resolve or release it."""

    alert: str


@dataclass(frozen=True, slots=True)
class AlertRelease:
    """Hand a taken alert back: open again, escalating from the start."""

    alert: str


@dataclass(frozen=True, slots=True)
class AlertResolve:
    """Close a taken alert with an outcome code (never free text)."""

    alert: str
    outcome: Outcome


def _outcome(**values: object) -> AlertResolve:
    return AlertResolve(alert=str(values["alert"]), outcome=Outcome(str(values["outcome"])))


def _alert_field() -> Field:
    return Field("alert", "str", lo=1, hi=_ALERT_ID_CHARS)


STAFF_SPECS: Final[dict[str, CommandSpec]] = {
    "staff.watch": CommandSpec("staff.watch", (Field("staff", "str", lo=1, hi=512),), StaffWatch),
    "oncall.set": CommandSpec("oncall.set", (Field("on", "bool"),), OncallSet),
    "alert.take": CommandSpec("alert.take", (_alert_field(),), AlertTake),
    "alert.release": CommandSpec("alert.release", (_alert_field(),), AlertRelease),
    "alert.resolve": CommandSpec(
        "alert.resolve",
        (_alert_field(), Field("outcome", "str", choices=frozenset(o.value for o in Outcome))),
        _outcome,
    ),
}
"""Every command of the staff channel, by its `type` (merged into server.commands.SPECS)."""

STAFF_COMMANDS: Final[tuple[type, ...]] = (OncallSet, AlertTake, AlertRelease, AlertResolve)
"""Commands a watching staff connection runs (`staff.watch` itself opens the channel)."""
