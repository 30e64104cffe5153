"""The alert desk: the I/O driver around the pure on-call machine (rooms/oncall/).

One `AlertDesk` per node, started in the server lifespan. What it does (docs/safety-net.md):

- **Durable state, compare-and-set.** The on-call state lives in the store (one row, migration
  0004). Every command reads it, runs `rooms.oncall.decide` and swaps the result in only if the
  version did not move; otherwise it reads again and decides again (at most `CAS_TRIES` times).
  So a step fires once across nodes, and of two staff taking one alert at once exactly one wins.
- **Effects after the swap, by the node that swapped.** `Notify` and `Chime` are published on
  the backend (`CHANNEL`), and every node's subscription hands them to its watchers, the
  publishing node's included; `Page` and `StandDown` go to the node's `Pager` (server/paging.py).
- **One tick task per node** sleeps on the injected clock until `next_deadline(state)`, then
  applies `Tick()`. Several nodes wake for the same deadline; the compare-and-set lets one fire.
  Any change published by any node wakes it early (the deadline may have moved).
- **The on-call roster is ephemeral**: presence entries with a time-to-live in the backend
  (`ROSTER`), refreshed by the console's heartbeat (`set_on_call(staff, True)` again).
- **So are the open consoles** (`CONSOLES`, one entry per console on any node, the same
  time-to-live): a staff member's alerts are handed back (`staff_dropped`) when their last
  console on *any* node closes (`console_gone`), never while another node still holds one.

Nothing published or logged here carries message text or display names: alerts hold ids,
kinds, rooms, opaque subjects (a member id, a report id) and staff account names.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import secrets
from collections.abc import Callable
from typing import Protocol, TypeVar

from rooms.backends.base import Backend, Envelope
from rooms.clock import Clock, sleep_until_or
from rooms.errors import Denied, RoomsCode
from rooms.oncall import (
    Accepted,
    Alert,
    AlertKind,
    AlertStatus,
    CancelReason,
    Chime,
    Command,
    Effect,
    Notify,
    OnCallRefusal,
    OnCallState,
    Outcome,
    Page,
    QueueItem,
    Raise,
    Refused,
    Release,
    Resolve,
    StaffDropped,
    StaffSeen,
    StandDown,
    Take,
    Tick,
    Withdraw,
    decide,
    next_deadline,
    queue,
)
from rooms.oncall.codec import alert_from_mapping, alert_to_mapping, state_from_json, state_to_json
from rooms.oncall.rules import DEDUP_BY_SUBJECT
from rooms.store.base import OnCallRecord

__all__ = [
    "CAS_TRIES",
    "CHANNEL",
    "CONSOLES",
    "ON_CALL_TTL_SECONDS",
    "ROSTER",
    "AlertDenied",
    "AlertDesk",
    "EffectSink",
    "OnCallRecords",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

CHANNEL = "~oncall"
"""The backend "room" whose events carry alert changes to every node (not a valid room slug,
so it can never clash with a room)."""
ROSTER = "~oncall-roster"
"""The backend "room" whose presence entries are the staff on call."""
CONSOLES = "~oncall-consoles"
"""The backend "room" whose presence entries are the open staff consoles (`<console id>:<staff>`)."""
ON_CALL_TTL_SECONDS = 90.0
"""An on-call mark lapses this long after the console last refreshed it."""
CAS_TRIES = 8
"""Compare-and-set attempts per command before giving up with `busy`."""
JITTER_SECONDS = 0.05
"""Spread of the tick wake-up, so that nodes do not all race for the same deadline."""


class AlertDenied(Denied):
    """The on-call machine refused a command; `code` is the `OnCallRefusal`, unchanged."""

    def __init__(self, refused: Refused) -> None:
        super().__init__(refused.code, refused.detail)
        self.refusal: OnCallRefusal = refused.code


class OnCallRecords(Protocol):
    """The part of the store (`rooms.store.Store`) the desk needs."""

    async def load_oncall(self) -> OnCallRecord: ...

    async def swap_oncall(self, expected_version: int, state: str) -> bool: ...


class EffectSink(Protocol):
    """Where pages and stand-downs go (`server.paging.Pager`)."""

    def handle(self, effect: Effect) -> None: ...

    def settle(self, alert_id: str) -> None: ...


class AlertDesk:
    """This node's alert desk. Use as `async with AlertDesk(...) as desk:` (or `start`/`aclose`).

    Args:
        store: where the on-call state lives (both dialects).
        backend: pub/sub of changes and the on-call roster, shared by the nodes.
        clock: the injected clock (deadlines, `now` for every decision).
        pager: carries out `Page` and `StandDown`; None sends no webhooks (consoles only).
    """

    def __init__(
        self,
        store: OnCallRecords,
        backend: Backend,
        clock: Clock,
        *,
        pager: EffectSink | None = None,
        on_call_ttl: float = ON_CALL_TTL_SECONDS,
    ) -> None:
        self.store = store
        self.backend = backend
        self.clock = clock
        self.pager = pager
        self.on_call_ttl = on_call_ttl
        self._watchers: list[Callable[[Alert], None]] = []
        self._chimes: list[Callable[[Alert], None]] = []
        self._roster_watchers: list[Callable[[int], None]] = []
        self._wake = asyncio.Event()
        self._listening = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> AlertDesk:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def start(self) -> None:
        """Subscribe to changes and start the tick task (returns once subscribed)."""
        if self._tasks:
            return
        self._tasks = [
            asyncio.create_task(self._listen(), name="alerts:listen"),
            asyncio.create_task(self._tick_forever(), name="alerts:tick"),
        ]
        await self._listening.wait()

    async def aclose(self) -> None:
        """Stop the tasks. Idempotent; the durable state stays as it is."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- the contract (docs: Issue 14 §A) ---------------------------------------------------------

    async def raise_alert(self, kind: AlertKind, room: str, subject: str = "") -> Alert:
        """Something needs a human: a new alert, or the live one with the same key (count + 1).

        Raises:
            AlertDenied: `no_subject` (crisis and report alerts need one).
            BackendUnavailable: the store or the backend is away.
        """
        alert_id = f"alr_{secrets.token_hex(8)}"
        state = await self._run(Raise(alert_id, kind, room, subject))
        key = (kind, room, subject if DEDUP_BY_SUBJECT[kind] else "")
        found = state.find(alert_id) or state.live(key)
        assert found is not None, "a raised alert is in the state it was raised into"
        return found

    async def take(self, alert_id: str, staff: str) -> Alert:
        """Acknowledge: one owner, the escalation stops. Raises `AlertDenied`
        (`already_taken`, `in_conversation`, `alert_closed`, `unknown_alert`); `Denied` with
        `busy` when the compare-and-set lost `CAS_TRIES` times (docs/protocol.md §5)."""
        return await self._alert_after(Take(alert_id, staff), alert_id)

    async def release(self, alert_id: str, staff: str) -> Alert:
        """The taker hands it back; it is open again. Raises `AlertDenied` (`not_taker`...)."""
        return await self._alert_after(Release(alert_id, staff), alert_id)

    async def resolve(self, alert_id: str, staff: str, outcome: Outcome) -> Alert:
        """The taker closes it with an outcome code. Raises `AlertDenied` (`wrong_outcome`...)."""
        return await self._alert_after(Resolve(alert_id, staff, outcome), alert_id)

    async def withdraw(self, alert_id: str, reason: CancelReason) -> None:
        """The server closes an alert nobody needs to handle. Raises `AlertDenied`
        (`alert_closed`, `unknown_alert`): callers that may race simply ignore it."""
        await self._run(Withdraw(alert_id, reason))

    async def staff_seen(self, staff: str) -> None:
        """A console or conversation of `staff` showed life: their taken alerts stay theirs."""
        await self._run(StaffSeen(staff))

    async def staff_dropped(self, staff: str) -> None:
        """The last connection of `staff` closed: every alert they hold opens again."""
        await self._run(StaffDropped(staff))

    async def console_here(self, staff: str, console_id: str) -> None:
        """A console of `staff` is open (on some node): refresh its entry for `on_call_ttl`."""
        await self.backend.touch_presence(CONSOLES, f"{console_id}:{staff}", b"", self.on_call_ttl)

    async def console_gone(self, staff: str, console_id: str) -> bool:
        """A console of `staff` closed; when none is left on any node, `staff_dropped`.
        True when that was their last one."""
        await self.backend.drop_presence(CONSOLES, f"{console_id}:{staff}")
        left = await self.backend.presence(CONSOLES)
        if any(key.partition(":")[2] == staff for key in left):
            return False
        await self.staff_dropped(staff)
        return True

    async def state(self) -> OnCallState:
        """The durable on-call state as it is now (read from the store)."""
        return state_from_json((await self.store.load_oncall()).state)

    async def queue(self) -> tuple[QueueItem, ...]:
        """The open alerts, the longest-waiting first, each with its one action."""
        return queue(await self.state(), self.clock.now())

    def watch(self, callback: Callable[[Alert], None]) -> Callable[[], None]:
        """Call `callback` with every alert change made on any node; returns the unwatch."""
        return _subscribe(self._watchers, callback)

    def watch_chimes(self, callback: Callable[[Alert], None]) -> Callable[[], None]:
        """Call `callback` when consoles should chime for an alert (newly open)."""
        return _subscribe(self._chimes, callback)

    def watch_on_call(self, callback: Callable[[int], None]) -> Callable[[], None]:
        """Call `callback` with the number on call whenever someone turns on call on or off."""
        return _subscribe(self._roster_watchers, callback)

    async def set_on_call(self, staff: str, on: bool) -> None:
        """Mark `staff` on call for `on_call_ttl` seconds (call again to stay on), or off."""
        if on:
            await self.backend.touch_presence(ROSTER, staff, b"1", self.on_call_ttl)
        else:
            await self.backend.drop_presence(ROSTER, staff)
        count = len(await self.on_call())
        await self.backend.publish(CHANNEL, [json.dumps({"on_call": count}).encode()])

    async def on_call(self) -> frozenset[str]:
        """The staff on call now (their mark has not lapsed)."""
        return frozenset(await self.backend.presence(ROSTER))

    # -- deciding -------------------------------------------------------------------------------

    async def _alert_after(self, command: Take | Release | Resolve, alert_id: str) -> Alert:
        found = (await self._run(command)).find(alert_id)
        assert found is not None, "a command that was accepted keeps its alert"
        return found

    async def _run(self, command: Command) -> OnCallState:
        verdict = await self._decide(command)
        if isinstance(verdict, Refused):
            raise AlertDenied(verdict)
        return verdict.state

    async def _decide(self, command: Command) -> Accepted | Refused:
        """Decide and store with compare-and-set, then carry out the effects (this node only
        when its swap won)."""
        for _ in range(CAS_TRIES):
            record = await self.store.load_oncall()
            state = state_from_json(record.state)
            verdict = decide(state, command, self.clock.now())
            if isinstance(verdict, Refused):
                return verdict
            if verdict.state == state and not verdict.effects:
                return verdict  # nothing changed (a tick with nothing due): nothing to store
            if await self.store.swap_oncall(record.version, state_to_json(verdict.state)):
                await self._carry_out(verdict.effects)
                self._wake.set()
                return verdict
        raise Denied(RoomsCode.BUSY, "The alert desk is very busy; please try again.")

    async def _carry_out(self, effects: tuple[Effect, ...]) -> None:
        messages: list[bytes] = []
        for effect in effects:
            if isinstance(effect, Notify | Chime):
                kind = "chime" if isinstance(effect, Chime) else "alert"
                body = {kind: alert_to_mapping(effect.alert)}
                messages.append(json.dumps(body, separators=(",", ":")).encode())
            elif isinstance(effect, Page | StandDown) and self.pager is not None:
                self.pager.handle(effect)
        if messages:
            await self.backend.publish(CHANNEL, messages)

    # -- background tasks ---------------------------------------------------------------------

    async def _listen(self) -> None:
        """Hand every published change to this node's watchers; wake the tick task."""
        while True:
            try:
                async with self.backend.subscribe(CHANNEL) as stream:
                    self._listening.set()
                    async for item in stream:
                        # An alert change or a gap may move the deadline; a roster count
                        # (every console heartbeat) cannot, so it wakes nobody.
                        if not isinstance(item, Envelope) or self._deliver(item.payload):
                            self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("alert desk: subscription: %s", type(exc).__name__)
                self._listening.set()
                await asyncio.sleep(1.0)

    def _deliver(self, payload: bytes) -> bool:
        """Hand one published message to this node's watchers; True when it was an alert change
        (the only kind that can move the next deadline)."""
        try:
            message = json.loads(payload)
            if "on_call" in message:
                _call_all(self._roster_watchers, int(message["on_call"]))
                return False
            chime = "chime" in message
            alert = alert_from_mapping(message["chime" if chime else "alert"])
        except (ValueError, KeyError, TypeError):
            log.warning("alert desk: unreadable change skipped")
            return False
        if alert.status is not AlertStatus.OPEN and self.pager is not None:
            self.pager.settle(alert.id)  # another node's take or close ends our page retries
        _call_all(self._chimes if chime else self._watchers, alert)
        return True

    async def _tick_forever(self) -> None:
        while True:
            try:
                await self._tick_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("alert desk: tick: %s", type(exc).__name__)
                await asyncio.sleep(1.0)

    async def _tick_once(self) -> None:
        self._wake.clear()
        deadline = next_deadline(await self.state())
        if deadline is None:
            await self._wake.wait()
            return
        await sleep_until_or(self.clock, deadline + random.uniform(0, JITTER_SECONDS), self._wake)
        if self.clock.now() >= deadline:
            await self._decide(Tick())


def _subscribe(
    callbacks: list[Callable[[T], None]], callback: Callable[[T], None]
) -> Callable[[], None]:
    callbacks.append(callback)

    def unsubscribe() -> None:
        with contextlib.suppress(ValueError):
            callbacks.remove(callback)

    return unsubscribe


def _call_all(callbacks: list[Callable[[T], None]], value: T) -> None:
    for callback in list(callbacks):
        try:
            callback(value)
        except Exception as exc:  # one broken watcher must not starve the others
            log.warning("alert desk: watcher failed: %s", type(exc).__name__)
