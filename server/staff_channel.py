"""The staff channel: staff consoles on the same `/ws` as members (docs/protocol.md §10).

A console's first command is `staff.watch {staff}` (a staff sign-in token) instead of `join`;
the session table then puts the connection in `watching` (server/session.py Rule 4), and every
command it sends comes here instead of server/handlers.py.

Rule 1: only a staff sign-in token opens the channel. A member's or observer's session token, a
facilitator invite, a forged or expired token, a revoked account: `invalid_token`, then close
4505 `unauthorized` (server/facilitators.py `console`).
Rule 2: the account is read again at every staff command, and every `SEEN_EVERY_SECONDS` for
every open console by this node's sweep (one primary-key read each); once revoked: a command
gets `invalid_token`, and the console is closed 4504 `revoked` (the sweep closes it even if it
sends nothing). A console that sends no `ping` for `SILENT_HEARTBEATS` × `heartbeat_ms` is closed
4011 `silent`.
Rule 3: the alert desk (rooms/alerts.py) decides; refusals come back with the on-call machine's
codes (`already_taken`, `not_taker`, `wrong_outcome`...). Alerts reach every console on every
node through the desk's `watch`, which carries changes made on any node.
Rule 4: the sweep shows the staff member is there (`staff_seen`, on-call kept alive) and keeps
each console's presence entry in the backend alive (`console_here`, with a time-to-live); when a
console closes its entry goes (`console_gone`), and only when no node holds a console for that
staff member any more does the desk hand back what they held (`staff_dropped`). A node that dies
leaves entries that lapse; the desk's silence timeout hands those back.
Rule 5: `alert.take` is refused `not_room_staff` unless the account is an admin or may facilitate
the alert's room (a room-limited account never learns of another room's crisis).
"""

from __future__ import annotations

import asyncio
import contextlib
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
"""The sweep re-reads every console's account and passes on `staff_seen` this often; well
inside the shortest silence the desk allows a taker (2 min, rooms/oncall/rules.py) and the
console presence time-to-live (rooms/alerts.py `ON_CALL_TTL_SECONDS`)."""
SILENT_HEARTBEATS: Final = 6.0
"""A console silent (no `ping`) for this many heartbeat intervals is closed 4011. Generous on
purpose: the console usually sits in a background tab, and Chromium runs a long-hidden tab's
timers about once a minute, so a smaller bound would close a watching console every minute
(and hand back what its staff member took). Dead sockets are found sooner by protocol pings."""


class Desk(Protocol):
    """What the staff channel needs of the alert desk (rooms/alerts.py `AlertDesk`)."""

    async def take(self, alert_id: str, staff: str) -> Alert: ...

    async def release(self, alert_id: str, staff: str) -> Alert: ...

    async def resolve(self, alert_id: str, staff: str, outcome: Outcome) -> Alert: ...

    async def staff_seen(self, staff: str) -> None: ...

    async def console_here(self, staff: str, console_id: str) -> None: ...

    async def console_gone(self, staff: str, console_id: str) -> bool: ...

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
    pinged_at: float
    """When the console last sent a `ping` (or opened), node clock."""
    may_facilitate: Callable[[str], bool]
    """Whether the account may facilitate a room (admins: every room); accounts' rooms never
    change, a re-made account is another one (Rule 2)."""


def staff_frame(event: str, **fields: Any) -> dict[str, Any]:
    """A staff-channel event (no room seq: consoles get the latest views, not a history)."""
    return {"type": "staff", "event": event, **fields}


class StaffChannel:
    """This node's staff consoles and what they may do (one per node)."""

    def __init__(
        self,
        desk: Desk,
        facilitators: Facilitators,
        tokens: Tokens,
        service: RoomsService,
        clock: Clock,
        *,
        conversations: ConversationHandlers,
        heartbeat_seconds: float,
    ) -> None:
        self.desk = desk
        self.conversations = conversations
        """The crisis lane's staff side (server/conversation_handlers.py)."""
        self.silent_after = SILENT_HEARTBEATS * heartbeat_seconds
        self.facilitators = facilitators
        self.tokens = tokens
        self.clock = clock
        self.consoles: dict[str, Console] = {}
        self._alerts: dict[str, Alert] = {}
        """The desk's alerts as this node last heard of them (while a console is open)."""
        self._unwatch: list[Callable[[], None]] = []
        self._on_call = -1
        self.rooms = RoomsWatch(service, clock, self._alert_rooms)
        self._sweeper: asyncio.Task[None] | None = None

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
        if isinstance(command, StaffWatch) and console:
            await self.conversations.staff_resumed(console.staff, conn)  # after the ack

    async def _run(self, session: Session, conn: Connection, command: object) -> dict[str, Any]:
        if isinstance(command, StaffWatch):
            return await self._enter(session, conn, command)
        console = self.consoles.get(conn.conn_id)
        assert console is not None  # the session table runs these only while watching
        if isinstance(command, Ping):
            console.pinged_at = self.clock.now()
            return {}
        await self._check(console)
        if isinstance(command, (ConversationSay, ConversationEnd)):
            return await self.conversations.run_staff(console.staff, command)
        desk = self.desk
        if isinstance(command, OncallSet):
            await desk.set_on_call(console.staff, command.on)
            count = await self._publish_on_call()
            return {"staff": {"name": console.staff, "on_call": command.on}, "on_call": count}
        if isinstance(command, AlertTake):
            await self._may_take(console, command.alert)
            # Taken and, for a crisis, the other party of the member's conversation, or neither.
            alert = await self.conversations.take(command.alert, console.staff)
        elif isinstance(command, AlertRelease):
            alert = await desk.release(command.alert, console.staff)
        elif isinstance(command, AlertResolve):
            alert = await desk.resolve(command.alert, console.staff, command.outcome)
        else:
            raise ProtocolError(ServerCode.WRONG_CHANNEL, "Not a staff command.")
        self._seen(alert)
        return {"alert": alert_view(alert)}

    async def _may_take(self, console: Console, alert_id: str) -> None:
        """Rule 5: only staff who may facilitate the alert's room take it."""
        # An alert's room never changes: the consoles' mirror answers without a store read.
        alert = self._alerts.get(alert_id) or (await self.desk.state()).find(alert_id)
        if alert is not None and not console.may_facilitate(alert.room):
            raise ProtocolError(
                ServerCode.NOT_ROOM_STAFF, "Your staff account may not facilitate that room."
            )

    async def _check(self, console: Console) -> None:
        """Rule 2: the account, read again (fail closed while the store is away)."""
        if not await self.facilitators.still_staff(console.staff, console.created_at):
            raise StaffRevoked

    async def sweep(self) -> None:
        """Rules 2 and 4 for every console on this node (every `SEEN_EVERY_SECONDS`)."""
        now = self.clock.now()
        here: set[str] = set()
        for console in list(self.consoles.values()):
            if now - console.pinged_at > self.silent_after:
                console.conn.close(CloseCode.SILENT, "no heartbeat")
                continue
            try:
                if not await self.facilitators.still_staff(console.staff, console.created_at):
                    console.conn.close(CloseCode.REVOKED, "staff account revoked")
                    continue
                await self.desk.console_here(console.staff, console.conn.conn_id)
            except BackendUnavailable:
                continue  # fail closed at the next command; try again at the next sweep
            here.add(console.staff)
        on_call = await self.desk.on_call() if here else frozenset()
        for staff in sorted(here):
            await self.desk.staff_seen(staff)
            if staff in on_call:
                await self.desk.set_on_call(staff, True)  # keeps the roster entry alive

    async def _sweep_forever(self) -> None:
        due = self.clock.now()
        while True:  # on a fixed beat: a slow sweep delays the next one, never skips it
            due = max(due + SEEN_EVERY_SECONDS, self.clock.now())
            await self.clock.sleep_until(due)
            try:
                await self.sweep()
            except Exception as exc:  # never the loop's end: the next sweep tries again
                log.warning("staff sweep failed: %s", type(exc).__name__)

    # -- opening and closing a console ----------------------------------------------------------

    async def _enter(self, session: Session, conn: Connection, cmd: StaffWatch) -> dict[str, Any]:
        session.step(Step.ENTER)
        desk = self.desk
        try:
            account = await self.facilitators.console(cmd.staff)
            await desk.staff_seen(account.name)
            state = await desk.state()
            on_call = await desk.on_call()
            rooms = await self.rooms.views()
            talks = await self.conversations.staff_live(account.name)
            await desk.console_here(account.name, conn.conn_id)  # last: no entry if refused
        except BaseException:
            session.try_step(Step.REFUSED)
            raise
        session.step(Step.WATCHING)
        for alert in state.alerts:
            self._seen(alert)  # consoles already open hear what this fresh read adds
        if not self.consoles:
            self._open(desk)
        self.consoles[conn.conn_id] = Console(
            conn, account.name, account.created_at, self.clock.now(), account.may_facilitate
        )
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
        self.rooms.start(self._publish_rooms, self._publish_on_call)
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_forever(), name="staff-sweep")
            self._sweeper.add_done_callback(_log_end)

    async def goodbye(self, conn_id: str) -> None:
        """A connection closed (any connection: most are not consoles)."""
        console = self.consoles.pop(conn_id, None)
        if console is None:
            return
        self.conversations.staff_detached(console.staff, console.conn)
        if not self.consoles:
            for unwatch in self._unwatch:
                unwatch()
            self._unwatch = []
            self._alerts.clear()
            self._on_call = -1
            sweeper, self._sweeper = self._sweeper, None
            if sweeper is not None:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper
            await self.rooms.stop()
        try:  # Rule 4: the desk hands back what they held once no node has a console of theirs
            await self.desk.console_gone(console.staff, conn_id)
        except Exception as exc:  # the entry lapses; the desk's silence timeout hands it back
            log.warning("staff console closed: console_gone failed: %s", type(exc).__name__)

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
        self.rooms.poke(alert.room)

    def _publish_rooms(self, views: list[dict[str, Any]]) -> None:
        self._broadcast(staff_frame("staff.rooms", rooms=views))

    async def _publish_on_call(self) -> int:
        """The number of staff on call now (read again: marks lapse without a word)."""
        count = len(await self.desk.on_call())
        self._on_call_now(count)
        return count

    def _on_call_now(self, count: int) -> None:
        """Consoles hear the number on call when it changed (on any node)."""
        if count != self._on_call:
            self._on_call = count
            self._broadcast(staff_frame("oncall", on_call=count))


def _log_end(task: asyncio.Task[None]) -> None:
    """The sweep never ends but by cancelling; if it does, say so (the type only)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("staff sweep stopped: %s", type(task.exception()).__name__)
