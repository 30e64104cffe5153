"""The staff channel: staff consoles on the same `/ws` as members (docs/protocol.md §10).

A console's first command is `staff.watch {staff}` (a staff sign-in token) instead of `join`;
the session table then puts the connection in `watching` (server/session.py Rule 4), and every
command it sends comes here instead of server/handlers.py.

Rule 1: only a staff sign-in token opens the channel. A member's or observer's session token, a
facilitator invite, a forged or expired token, a revoked account: `invalid_token`, then close
4505 `unauthorized` (server/facilitators.py `console`).
Rule 2: the account is read again at every staff command and at least every `SEEN_EVERY_SECONDS`
of heartbeats (one primary-key read); once revoked: `invalid_token`, close 4504 `revoked`.
Rule 3: the alert desk (rooms/alerts.py) decides; refusals come back with the on-call machine's
codes (`already_taken`, `not_taker`, `wrong_outcome`...). Alerts reach every console on every
node through the desk's `watch`, which carries changes made on any node.
Rule 4: pings show the staff member is there (`staff_seen`, on-call kept alive) at most every
`SEEN_EVERY_SECONDS`; when their last console on this node closes, `staff_dropped` hands back
what they held.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol

from rooms.clock import Clock
from rooms.errors import BackendUnavailable, Denied
from rooms.oncall import Alert, OnCallState, Outcome, alert_view
from rooms.service import RoomsService
from server.codes import CloseCode, ServerCode
from server.commands import ConversationEnd, ConversationSay, Ping
from server.connection import Connection
from server.conversation_handlers import ConversationHandlers
from server.errors import ProtocolError
from server.facilitators import Facilitators, StaffRevoked
from server.session import Session, Step, error_frame
from server.staff_commands import AlertRelease, AlertResolve, AlertTake, OncallSet, StaffWatch
from server.staff_rooms import RoomsWatch
from server.staff_views import live_alert_by_room
from server.tokens import StaffClaims, Tokens

__all__ = ["SEEN_EVERY_SECONDS", "Console", "Desk", "StaffChannel", "staff_frame"]

log = logging.getLogger(__name__)

SEEN_EVERY_SECONDS: Final = 20.0
"""Heartbeats pass on `staff_seen` (and re-read the account) at most this often per console;
well inside the shortest silence the desk allows a taker (2 min, rooms/oncall/rules.py)."""


class Desk(Protocol):
    """What the staff channel needs of the alert desk (rooms/alerts.py `AlertDesk`)."""

    async def take(self, alert_id: str, staff: str) -> Alert: ...

    async def release(self, alert_id: str, staff: str) -> Alert: ...

    async def resolve(self, alert_id: str, staff: str, outcome: Outcome) -> Alert: ...

    async def staff_seen(self, staff: str) -> None: ...

    async def staff_dropped(self, staff: str) -> None: ...

    async def state(self) -> OnCallState: ...

    def watch(self, callback: Callable[[Alert], None]) -> Callable[[], None]: ...

    def watch_on_call(self, callback: Callable[[int], None]) -> Callable[[], None]: ...

    async def set_on_call(self, staff: str, on: bool) -> None: ...

    async def on_call(self) -> frozenset[str]: ...


@dataclass(eq=False, slots=True)
class Console:
    """One open staff console on this node."""

    conn: Connection
    staff: str
    created_at: float
    """The account's creation time: a re-made account with the same name is another one."""
    seen_at: float
    """When a heartbeat last reached the desk (node clock)."""


def staff_frame(event: str, **fields: Any) -> dict[str, Any]:
    """A staff-channel event (no room seq: consoles get the latest views, not a history)."""
    return {"type": "staff", "event": event, **fields}


class StaffChannel:
    """This node's staff consoles and what they may do (one per node)."""

    def __init__(
        self,
        desk: Desk | None,
        facilitators: Facilitators,
        tokens: Tokens,
        service: RoomsService,
        clock: Clock,
    ) -> None:
        self.desk = desk
        """None on a node without an alert desk: `staff.watch` answers `unavailable`."""
        self.facilitators = facilitators
        self.tokens = tokens
        self.clock = clock
        self.consoles: dict[str, Console] = {}
        self._alerts: dict[str, Alert] = {}
        """The desk's alerts as this node last heard of them (while a console is open)."""
        self._unwatch: list[Callable[[], None]] = []
        self._on_call = -1
        self.rooms = RoomsWatch(service, clock, self._alert_rooms)
        self._background: set[asyncio.Task[None]] = set()
        self.conversations: ConversationHandlers | None = None
        """The crisis lane's staff side (server/conversation_handlers.py), set by the app."""

    def _alert_rooms(self) -> dict[str, str]:
        return live_alert_by_room(self._alerts.values())

    # -- commands --------------------------------------------------------------------------------

    async def dispatch(
        self, session: Session, conn: Connection, cid: str | int, command: object
    ) -> None:
        """Run one command of a console (or its `staff.watch`); exactly one reply."""
        try:
            reply = await self._run(session, conn, command)
        except (ProtocolError, Denied, BackendUnavailable) as exc:
            conn.send(error_frame(cid, exc))
            if isinstance(exc, StaffRevoked):
                conn.close(CloseCode.REVOKED, "staff account revoked")
            elif isinstance(command, StaffWatch) and isinstance(exc, ProtocolError):
                conn.close(CloseCode.UNAUTHORIZED, "not a staff sign-in")
            return
        if isinstance(command, Ping):
            conn.send({"type": "pong", "id": cid})
            return
        conn.send({"type": "ack", "id": cid, **reply})
        console = self.consoles.get(conn.conn_id)
        if isinstance(command, StaffWatch) and console and self.conversations is not None:
            await self.conversations.staff_resumed(console.staff, conn)  # after the ack

    async def _run(self, session: Session, conn: Connection, command: object) -> dict[str, Any]:
        if isinstance(command, StaffWatch):
            return await self._enter(session, conn, command)
        console = self.consoles.get(conn.conn_id)
        assert console is not None  # the session table runs these only while watching
        if isinstance(command, Ping):
            await self._heartbeat(console)
            return {}
        await self._check(console)
        if isinstance(command, (ConversationSay, ConversationEnd)):
            return await self._talk().run_staff(console.staff, command)
        desk = self._desk()
        if isinstance(command, OncallSet):
            await desk.set_on_call(console.staff, command.on)
            count = await self._publish_on_call()
            return {"staff": {"name": console.staff, "on_call": command.on}, "on_call": count}
        if isinstance(command, AlertTake):
            alert = await self._talk().take(command.alert, console.staff)  # + party, or neither
        elif isinstance(command, AlertRelease):
            alert = await desk.release(command.alert, console.staff)
        elif isinstance(command, AlertResolve):
            alert = await desk.resolve(command.alert, console.staff, command.outcome)
        else:
            raise ProtocolError(ServerCode.WRONG_CHANNEL, "Not a staff command.")
        self._seen(alert)
        return {"alert": alert_view(alert)}

    def _talk(self) -> ConversationHandlers:
        if self.conversations is None:
            raise BackendUnavailable("no conversations on this node")
        return self.conversations

    def _desk(self) -> Desk:
        if self.desk is None:
            raise BackendUnavailable("no alert desk on this node")
        return self.desk

    async def _check(self, console: Console) -> None:
        """Rule 2: the account, read again (fail closed while the store is away)."""
        if not await self.facilitators.still_staff(console.staff, console.created_at):
            raise StaffRevoked

    async def _heartbeat(self, console: Console) -> None:
        """Rule 4: the staff member is here (throttled); a revoked account is noticed too."""
        now = self.clock.now()
        if now - console.seen_at < SEEN_EVERY_SECONDS or self.desk is None:
            return
        console.seen_at = now
        try:
            await self._check(console)
            await self.desk.staff_seen(console.staff)
            if console.staff in await self.desk.on_call():
                await self.desk.set_on_call(console.staff, True)  # keeps the roster entry alive
        except BackendUnavailable:
            console.seen_at = now - SEEN_EVERY_SECONDS  # try again at the next ping

    # -- opening and closing a console ----------------------------------------------------------

    async def _enter(self, session: Session, conn: Connection, cmd: StaffWatch) -> dict[str, Any]:
        session.step(Step.ENTER)
        try:
            desk = self._desk()
            account = await self.facilitators.console(cmd.staff)
            await desk.staff_seen(account.name)
            state = await desk.state()
            on_call = await desk.on_call()
            rooms = await self.rooms.views()
            talks = await self.conversations.staff_live(account.name) if self.conversations else []
        except BaseException:
            session.try_step(Step.REFUSED)
            raise
        session.step(Step.WATCHING)
        for alert in state.alerts:
            self._seen(alert)  # consoles already open hear what this fresh read adds
        if not self.consoles:
            self._open(desk)
        self.consoles[conn.conn_id] = Console(conn, account.name, account.created_at, 0.0)
        if self.conversations is not None:
            self.conversations.staff_attached(account.name, conn)
        token = self.tokens.staff(StaffClaims(account.name, account.created_at))
        return {
            "staff": {
                "name": account.name,
                "admin": account.admin,
                "rooms": sorted(account.rooms),
                "on_call": account.name in on_call,
            },
            "token": token,
            "rooms": rooms,
            "alerts": [alert_view(alert) for alert in state.alerts],
            "on_call": len(on_call),
            "conversations": talks,
        }

    def _open(self, desk: Desk) -> None:
        """The first console on this node: follow the desk and the rooms."""
        self._unwatch = [desk.watch(self._seen), desk.watch_on_call(self._on_call_now)]
        self.rooms.start(self._publish_rooms, self._refresh_on_call)

    async def goodbye(self, conn_id: str) -> None:
        """A connection closed (any connection: most are not consoles)."""
        console = self.consoles.pop(conn_id, None)
        if console is None:
            return
        if self.conversations is not None:
            self.conversations.staff_detached(console.staff, console.conn)
        if not self.consoles:
            for unwatch in self._unwatch:
                unwatch()
            self._unwatch = []
            self._alerts.clear()
            self._on_call = -1
            await self.rooms.stop()
        if self.desk is None or any(c.staff == console.staff for c in self.consoles.values()):
            return
        try:
            await self.desk.staff_dropped(console.staff)
        except Exception as exc:
            log.warning("staff console closed: staff_dropped failed: %s", type(exc).__name__)

    # -- what consoles are told ------------------------------------------------------------------

    def _broadcast(self, frame: dict[str, Any]) -> None:
        for console in list(self.consoles.values()):
            console.conn.send(frame)

    def _seen(self, alert: Alert) -> None:
        """An alert changed (here or on another node): every console hears it once."""
        if self._alerts.get(alert.id) == alert:
            return  # the desk's echo of a change already told (this node's own command)
        self._alerts[alert.id] = alert
        self._broadcast(staff_frame("alert", alert=alert_view(alert)))
        self.rooms.poke()

    def _publish_rooms(self, views: list[dict[str, Any]]) -> None:
        self._broadcast(staff_frame("staff.rooms", rooms=views))

    async def _refresh_on_call(self) -> None:
        await self._publish_on_call()

    async def _publish_on_call(self) -> int:
        """The number of staff on call now (read again: marks lapse without a word)."""
        count = len(await self._desk().on_call())
        self._on_call_now(count)
        return count

    def _on_call_now(self, count: int) -> None:
        """Consoles hear the number on call when it changed (on any node)."""
        if count != self._on_call:
            self._on_call = count
            self._broadcast(staff_frame("oncall", on_call=count))
