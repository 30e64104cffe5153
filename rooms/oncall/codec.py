"""The on-call state as JSON text, for the store (and an alert as a mapping, for pub/sub).

Pure: no I/O. Every field of `Alert` is written under its own name; enums by value. Reading
checks the shape and raises `ValueError` on anything else, so a damaged row is an error, never
a half-read state.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from rooms.oncall.model import Alert, AlertKind, AlertStatus, CancelReason, OnCallState, Outcome

__all__ = ["alert_from_mapping", "alert_to_mapping", "state_from_json", "state_to_json"]

_ENUMS: dict[str, type] = {
    "kind": AlertKind,
    "status": AlertStatus,
    "outcome": Outcome,
    "cancel_reason": CancelReason,
}
_NAMES = tuple(f.name for f in fields(Alert))


def alert_to_mapping(alert: Alert) -> dict[str, Any]:
    """Every field of the alert, enums as their values."""
    out: dict[str, Any] = {}
    for name in _NAMES:
        value = getattr(alert, name)
        out[name] = str(value) if name in _ENUMS and value is not None else value
    return out


def alert_from_mapping(data: Any) -> Alert:
    """The alert `alert_to_mapping` wrote.

    Raises:
        ValueError: not the shape of an alert.
    """
    if not isinstance(data, dict) or set(data) != set(_NAMES):
        raise ValueError("not an on-call alert")
    values: dict[str, Any] = {}
    for name in _NAMES:
        value = data[name]
        if name in _ENUMS and value is not None:
            value = _ENUMS[name](value)
        values[name] = value
    return Alert(**values)


def state_to_json(state: OnCallState) -> str:
    """The whole state, compact JSON, alerts in the order they were raised."""
    alerts = [alert_to_mapping(a) for a in state.alerts]
    return json.dumps({"alerts": alerts}, separators=(",", ":"), sort_keys=True)


def state_from_json(text: str) -> OnCallState:
    """The state `state_to_json` wrote; the empty string is the empty state.

    Raises:
        ValueError: the text is not a stored on-call state.
    """
    if not text:
        return OnCallState()
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("alerts"), list):
        raise ValueError("not an on-call state")
    return OnCallState(tuple(alert_from_mapping(a) for a in data["alerts"]))
