"""`decide`: the one entry point that changes the on-call state, and `next_deadline`.

How a decision runs (as in facilitation/engine.py):

1. Fire every deadline due at `now`, each at its own time, oldest first (`_catch_up`): an
   escalation step of an open alert, the silence timeout of a taken one, the forgetting of a
   closed one. Their effects come first.
2. Look the alert up and check the command against `rules.TRANSITIONS` and the other tables; a
   refusal ends here and changes nothing (states are immutable).
3. Apply the command (`HANDLERS`).
4. Catch up again: a newly open alert's step 0 (the console chime) is due at once.
5. Check the invariants; a broken one raises `OnCallBug`.

The I/O layer stores the new state (compare-and-set, so a deadline fires once cluster-wide),
then carries out the effects in order, and sleeps until `next_deadline(state)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from rooms.oncall import rules
from rooms.oncall.errors import OnCallBug, OnCallRefusal, Refused
from rooms.oncall.model import (
    Alert,
    AlertKind,
    AlertStatus,
    Chime,
    Command,
    Effect,
    Notify,
    OnCallState,
    Page,
    PageLevel,
    Raise,
    Release,
    Resolve,
    StaffDropped,
    StaffSeen,
    StandDown,
    Take,
    Tick,
    Withdraw,
)

__all__ = ["HANDLERS", "Accepted", "check_invariants", "decide", "next_deadline"]


@dataclass(frozen=True, slots=True)
class Accepted:
    """The command happened: the new state and what the I/O layer must do, in order."""

    state: OnCallState
    effects: tuple[Effect, ...]


@dataclass(frozen=True, slots=True)
class _Deadline:
    """The next time the machine must be woken, and for which alert."""

    at: float
    alert_id: str


class _Changes:
    """The state being built by one decision, and the effects it produced so far."""

    def __init__(self, state: OnCallState) -> None:
        self.alerts = list(state.alerts)
        self.effects: list[Effect] = []

    @property
    def state(self) -> OnCallState:
        return OnCallState(tuple(self.alerts))

    def put(self, alert: Alert) -> None:
        for index, held in enumerate(self.alerts):
            if held.id == alert.id:
                self.alerts[index] = alert
                return
        self.alerts.append(alert)

    def changed(self, alert: Alert, *, stand_down: bool = False) -> None:
        self.put(alert)
        self.effects.append(Notify(alert))
        if stand_down and alert.pages > 0:
            self.effects.append(StandDown(alert))


# Deadlines ----------------------------------------------------------------------------------


def _deadline_of(alert: Alert) -> float | None:
    if alert.status is AlertStatus.OPEN:
        step = rules.step_for(alert.kind, alert.steps_done)
        return None if step is None else alert.opened_at + step.after
    if alert.status is AlertStatus.TAKEN:
        assert alert.taker_seen_at is not None
        return alert.taker_seen_at + rules.SILENCE_SECONDS[alert.kind]
    assert alert.closed_at is not None
    return alert.closed_at + rules.KEEP_CLOSED_SECONDS


def next_deadline(state: OnCallState) -> float | None:
    """When the driver should next call `decide(state, Tick(), now)`, or None if never."""
    earliest = _earliest(state)
    return None if earliest is None else earliest.at


def _earliest(state: OnCallState) -> _Deadline | None:
    """The earliest deadline in `state` (ties: the alert raised first)."""
    best: _Deadline | None = None
    for alert in state.alerts:
        at = _deadline_of(alert)
        if at is not None and (best is None or at < best.at):
            best = _Deadline(at, alert.id)
    return best


def _reopen(alert: Alert, at: float) -> Alert:
    """Back to open with a fresh escalation; the page count stays (stand-downs need it)."""
    return replace(
        alert,
        status=AlertStatus.OPEN,
        opened_at=at,
        steps_done=0,
        taker=None,
        taker_seen_at=None,
    )


def _fire(tx: _Changes, alert: Alert, at: float) -> None:
    if alert.status is AlertStatus.OPEN:
        step = rules.step_for(alert.kind, alert.steps_done)
        assert step is not None
        stepped = replace(alert, steps_done=alert.steps_done + 1)
        if step.level is PageLevel.CONSOLE:
            tx.put(stepped)
            tx.effects.append(Chime(stepped))
            return
        paged = replace(stepped, pages=stepped.pages + 1)
        tx.changed(paged)
        tx.effects.append(Page(step.level, paged, int(at - alert.opened_at)))
    elif alert.status is AlertStatus.TAKEN:
        tx.changed(_reopen(alert, at))
    else:
        tx.alerts.remove(alert)


# Bound on firings in one decision: each firing either ends a finite schedule step, reopens a
# taken alert (which then has a finite schedule) or forgets an alert, so the loop ends; the
# bound only turns a bug into an exception instead of a hang.
_MAX_FIRINGS = 100_000


def _catch_up(tx: _Changes, now: float) -> None:
    for _ in range(_MAX_FIRINGS):
        deadline = _earliest(tx.state)
        if deadline is None or deadline.at > now:
            return
        alert = next(a for a in tx.alerts if a.id == deadline.alert_id)
        _fire(tx, alert, deadline.at)
    raise OnCallBug("deadlines settle", f"still firing after {_MAX_FIRINGS}")


# Commands -----------------------------------------------------------------------------------


def _existing(tx: _Changes, alert_id: str, command: Command) -> Alert | Refused:
    alert = next((a for a in tx.alerts if a.id == alert_id), None)
    if alert is None:
        return Refused(OnCallRefusal.UNKNOWN_ALERT, "no such alert")
    if alert.status not in rules.TRANSITIONS[type(command)]:
        code = rules.REFUSAL_IN[alert.status]
        return Refused(code, f"the alert is {alert.status}")
    return alert


def _raise(tx: _Changes, command: Raise, now: float) -> Refused | None:
    keyed = rules.DEDUP_BY_SUBJECT[command.kind]
    if keyed and not command.subject:
        return Refused(OnCallRefusal.NO_SUBJECT, f"a {command.kind} alert needs a subject")
    subject = command.subject if keyed else ""
    live = tx.state.live((command.kind, command.room, subject))
    if live is not None:
        tx.changed(replace(live, count=live.count + 1))
        return None
    if any(a.id == command.alert_id for a in tx.alerts):
        return Refused(OnCallRefusal.ID_IN_USE, "an alert already has this id")
    alert = Alert(command.alert_id, command.kind, command.room, subject, AlertStatus.OPEN, now, now)
    tx.changed(alert)
    return None


def _holds_crisis(tx: _Changes, staff: str) -> bool:
    return any(
        a.kind is AlertKind.CRISIS and a.status is AlertStatus.TAKEN and a.taker == staff
        for a in tx.alerts
    )


def _take(tx: _Changes, command: Take, now: float) -> Refused | None:
    alert = _existing(tx, command.alert_id, command)
    if isinstance(alert, Refused):
        return alert
    if alert.kind is AlertKind.CRISIS and _holds_crisis(tx, command.staff):
        return Refused(OnCallRefusal.IN_CONVERSATION, "one crisis conversation at a time")
    taken = replace(alert, status=AlertStatus.TAKEN, taker=command.staff, taker_seen_at=now)
    tx.changed(taken, stand_down=True)
    return None


def _owned(tx: _Changes, command: Release | Resolve) -> Alert | Refused:
    alert = _existing(tx, command.alert_id, command)
    if not isinstance(alert, Refused) and alert.taker != command.staff:
        return Refused(OnCallRefusal.NOT_TAKER, "another staff member holds this alert")
    return alert


def _release(tx: _Changes, command: Release, now: float) -> Refused | None:
    alert = _owned(tx, command)
    if isinstance(alert, Refused):
        return alert
    tx.changed(_reopen(alert, now))
    return None


def _resolve(tx: _Changes, command: Resolve, now: float) -> Refused | None:
    alert = _owned(tx, command)
    if isinstance(alert, Refused):
        return alert
    if command.outcome not in rules.OUTCOMES[alert.kind]:
        return Refused(OnCallRefusal.WRONG_OUTCOME, f"not an outcome of a {alert.kind} alert")
    closed = replace(
        alert,
        status=AlertStatus.RESOLVED,
        outcome=command.outcome,
        closed_at=now,
        taker_seen_at=None,
    )
    tx.changed(closed, stand_down=True)
    return None


def _withdraw(tx: _Changes, command: Withdraw, now: float) -> Refused | None:
    alert = _existing(tx, command.alert_id, command)
    if isinstance(alert, Refused):
        return alert
    closed = replace(
        alert,
        status=AlertStatus.CANCELLED,
        cancel_reason=command.reason,
        closed_at=now,
        taker_seen_at=None,
    )
    tx.changed(closed, stand_down=True)
    return None


def _held_by(tx: _Changes, staff: str) -> list[Alert]:
    return [a for a in tx.alerts if a.status is AlertStatus.TAKEN and a.taker == staff]


def _staff_seen(tx: _Changes, command: StaffSeen, now: float) -> Refused | None:
    for alert in _held_by(tx, command.staff):
        tx.put(replace(alert, taker_seen_at=now))
    return None


def _staff_dropped(tx: _Changes, command: StaffDropped, now: float) -> Refused | None:
    for alert in _held_by(tx, command.staff):
        tx.changed(_reopen(alert, now))
    return None


def _tick(tx: _Changes, command: Tick, now: float) -> Refused | None:
    return None  # the deadlines already fired in step 1


Handler = Callable[[_Changes, Any, float], Refused | None]

HANDLERS: dict[type, Handler] = {
    Raise: _raise,
    Take: _take,
    Release: _release,
    Resolve: _resolve,
    Withdraw: _withdraw,
    StaffSeen: _staff_seen,
    StaffDropped: _staff_dropped,
    Tick: _tick,
}
"""The effect of each command."""


def decide(state: OnCallState, command: Command, now: float) -> Accepted | Refused:
    """Apply `command` at `now` (seconds since the Unix epoch, from the caller's clock).

    Returns:
        `Accepted` with the new state and the effects to carry out (due deadlines' first), or
        `Refused` with a stable code; a refusal changed nothing.

    Raises:
        OnCallBug: the result would break an invariant (a bug; `state` is still valid).
    """
    tx = _Changes(state)
    _catch_up(tx, now)
    refused = HANDLERS[type(command)](tx, command, now)
    if refused is not None:
        return refused
    _catch_up(tx, now)
    after = tx.state
    check_invariants(after)
    return Accepted(after, tuple(tx.effects))


def check_invariants(state: OnCallState) -> None:
    """Raise `OnCallBug` if `state` breaks a rule no command may break."""
    ids = [a.id for a in state.alerts]
    if len(ids) != len(set(ids)):
        raise OnCallBug("alert ids are unique")
    live = [a.dedup_key for a in state.alerts if not a.status.closed]
    if len(live) != len(set(live)):
        raise OnCallBug("one live alert per dedup key")
    for alert in state.alerts:
        _check_alert(alert)
    crisis_takers = [
        a.taker
        for a in state.alerts
        if a.kind is AlertKind.CRISIS and a.status is AlertStatus.TAKEN
    ]
    if len(crisis_takers) != len(set(crisis_takers)):
        raise OnCallBug("one crisis conversation per staff member")


def _check_alert(alert: Alert) -> None:
    taken = alert.status is AlertStatus.TAKEN
    if taken != (alert.taker_seen_at is not None):
        raise OnCallBug("taker_seen_at is set exactly while taken", alert.id)
    if alert.status is AlertStatus.OPEN and alert.taker is not None:
        raise OnCallBug("an open alert has no owner", alert.id)
    if taken and alert.taker is None:
        raise OnCallBug("a taken alert has an owner", alert.id)
    if alert.status.closed != (alert.closed_at is not None):
        raise OnCallBug("closed_at is set exactly when closed", alert.id)
