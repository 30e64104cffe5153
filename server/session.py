"""The life of one connection, as a table: sans-I/O, so tests drive it without a socket.

Rule 1: every change of a connection's phase is a row of `TRANSITIONS`; nothing else moves it.
Rule 2: which commands a phase accepts is `ACCEPTS`; any other command gets exactly one error
reply (`not_joined` or `already_joined`) and the connection carries on (protocol.md §3).
Rule 3: only undecodable frames count towards the bad-frame budget that ends in 1008
(docs/configuration.md `bad_frames_before_close`); a decodable command that is wrong in its
fields is answered with `bad_request`, every time, and changes nothing.

    hello ──join/resume──▶ joining ──seated──▶ seated ──left──▶ closing
      ▲  └─staff.watch─────▶ │  ▲ └──watching──▶ watching   (a staff console, protocol.md §10)
      └──────refused─────────┘  └──admitted── lobby ◀──parked── (joining)
    any phase ──drain──▶ draining ──close──▶ closing;  any phase ──close──▶ closing

Rule 4: a connection is either a member's (join/resume) or a staff console's (staff.watch), for
its whole life: room commands on a console, and staff commands anywhere else, get
`wrong_channel`.

The driver (server/endpoint.py) feeds frames in with `receive`, and what happened with `step`;
it gets back intents: a reply to queue, a command to run, or a close to send.
"""

from __future__ import annotations

import collections
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import facilitation as fx
from rooms.errors import BackendUnavailable, Denied, RoomsCode
from rooms.seat import Seat
from server.codes import CloseCode, ServerCode, WireCode
from server.commands import SPECS, ConversationEnd, ConversationSay, Join, Leave, Ping, Resume
from server.errors import BadFrame, CloseConnection, ProtocolError
from server.staff_commands import STAFF_COMMANDS, StaffWatch
from server.wire import Wire, command_id, parse_command

__all__ = [
    "ACCEPTS",
    "TRANSITIONS",
    "CloseWith",
    "Kind",
    "Phase",
    "Reply",
    "Run",
    "Session",
    "SessionBug",
    "Step",
    "error_frame",
]


class Phase(StrEnum):
    HELLO = "hello"
    """Accepted and greeted; a join or resume must arrive before the join deadline."""
    JOINING = "joining"
    """A join, resume or admission is being decided; room events are buffered meanwhile."""
    LOBBY = "lobby"
    """Waiting for a facilitator; sees nothing of the room."""
    SEATED = "seated"
    """In the room: events flow and commands run."""
    WATCHING = "watching"
    """A staff console: staff events flow and staff commands run (server/staff_channel.py)."""
    DRAINING = "draining"
    """The node is draining: the client was told to reconnect elsewhere."""
    CLOSING = "closing"
    """A close is decided; nothing more is read."""


class Step(StrEnum):
    """What happened to the connection (the inputs of the table)."""

    ENTER = "enter"  # a join or resume command is about to run
    SEATED = "seated"
    PARKED = "parked"  # the join waits in the lobby
    REFUSED = "refused"  # the join or resume was refused
    ADMITTED = "admitted"  # a facilitator let the waiting person in
    WATCHING = "watching"  # a staff.watch was accepted
    LEFT = "left"
    DRAIN = "drain"
    CLOSE = "close"


class Kind(StrEnum):
    """Commands grouped by the phases that accept them."""

    PING = "ping"
    ENTER = "enter"  # join, resume
    LEAVE = "leave"
    ROOM = "room"  # everything said inside a room
    WATCH = "watch"  # staff.watch: opens the staff channel
    STAFF = "staff"  # what a staff console says (server/staff_commands.py)
    TALK = "talk"  # conversation.say / conversation.end: either party, a room or a console


_LIVE: Final = (Phase.HELLO, Phase.JOINING, Phase.LOBBY, Phase.SEATED, Phase.WATCHING)

TRANSITIONS: Final[dict[tuple[Phase, Step], Phase]] = {
    (Phase.HELLO, Step.ENTER): Phase.JOINING,
    (Phase.JOINING, Step.SEATED): Phase.SEATED,
    (Phase.JOINING, Step.PARKED): Phase.LOBBY,
    (Phase.JOINING, Step.REFUSED): Phase.HELLO,
    (Phase.LOBBY, Step.ADMITTED): Phase.JOINING,
    (Phase.JOINING, Step.WATCHING): Phase.WATCHING,
    (Phase.SEATED, Step.LEFT): Phase.CLOSING,
    **{(phase, Step.DRAIN): Phase.DRAINING for phase in _LIVE},
    **{(phase, Step.CLOSE): Phase.CLOSING for phase in (*_LIVE, Phase.DRAINING)},
}
"""Every phase change there is; a step not listed here is a bug in the driver."""

ACCEPTS: Final[dict[Phase, frozenset[Kind]]] = {
    Phase.HELLO: frozenset({Kind.PING, Kind.ENTER, Kind.WATCH}),
    Phase.JOINING: frozenset({Kind.PING}),
    Phase.LOBBY: frozenset({Kind.PING}),
    Phase.SEATED: frozenset({Kind.PING, Kind.LEAVE, Kind.ROOM, Kind.TALK}),
    Phase.WATCHING: frozenset({Kind.PING, Kind.STAFF, Kind.TALK}),
    Phase.DRAINING: frozenset({Kind.PING}),
    Phase.CLOSING: frozenset(),
}
"""Which commands each phase runs; the rest get `not_joined`, `already_joined` or
`wrong_channel` (Rule 4)."""


def kind_of(command: object) -> Kind:
    if isinstance(command, Ping):
        return Kind.PING
    if isinstance(command, (Join, Resume)):
        return Kind.ENTER
    if isinstance(command, StaffWatch):
        return Kind.WATCH
    if isinstance(command, STAFF_COMMANDS):
        return Kind.STAFF
    if isinstance(command, Leave):
        return Kind.LEAVE
    if isinstance(command, (ConversationSay, ConversationEnd)):
        return Kind.TALK
    return Kind.ROOM


class SessionBug(Exception):
    """The driver asked for a step the table does not allow (never the client's fault)."""


@dataclass(frozen=True, slots=True)
class Reply:
    """Queue this frame (an error reply); the connection carries on."""

    frame: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Run:
    """Run this command and reply to `cid` with exactly one ack or error."""

    cid: str | int
    command: object


@dataclass(frozen=True, slots=True)
class CloseWith:
    """End the connection with this close code."""

    code: CloseCode
    reason: str


Intent = Reply | Run | CloseWith

BAD_FRAME_WINDOW_SECONDS: Final = 60.0


class Session:
    """One connection's bookkeeping: phase, seat, join deadline and bad-frame budget."""

    __slots__ = (
        "_bad",
        "_bad_limit",
        "basis",
        "busy",
        "deadline",
        "lobby_seat",
        "phase",
        "seat",
        "wire",
    )

    def __init__(self, wire: Wire, *, join_deadline: float, bad_frames_before_close: int) -> None:
        self.wire = wire
        self.phase = Phase.HELLO
        self.deadline = join_deadline
        """When (on the driver's monotonic clock) a connection still in `hello` is closed."""
        self.seat: Seat | None = None
        self.lobby_seat: Seat | None = None
        self.basis: str | None = None
        """What made this person a facilitator, checked at each command (server/facilitators.py)."""
        self.busy = False
        """A command is running (a drain lets it finish and answer first)."""
        self._bad: collections.deque[float] | None = None
        """Times of recent undecodable frames (made on the first: most clients send none)."""
        self._bad_limit = bad_frames_before_close

    @property
    def member_id(self) -> str | None:
        return self.seat.member_id if self.seat is not None else None

    @property
    def waits_for_join(self) -> bool:
        """The join deadline applies (nothing has been asked for yet)."""
        return self.phase is Phase.HELLO

    @property
    def reading(self) -> bool:
        return self.phase not in (Phase.DRAINING, Phase.CLOSING)

    def step(self, step: Step) -> Phase:
        """Apply one row of the table."""
        after = TRANSITIONS.get((self.phase, step))
        if after is None:
            raise SessionBug(f"no transition from {self.phase} on {step}")
        self.phase = after
        return after

    def try_step(self, step: Step) -> bool:
        """Apply a row if the table has it (closes and drains may race with each other)."""
        if (self.phase, step) not in TRANSITIONS:
            return False
        self.step(step)
        return True

    # -- reading -------------------------------------------------------------------------------

    def receive(self, data: bytes | str | None, now: float) -> Intent:
        """What to do with one incoming message (`now` on the driver's monotonic clock)."""
        if data is None:
            return CloseWith(CloseCode.UNSUPPORTED_DATA, "empty message")
        try:
            frame = self.wire.load(data)
        except CloseConnection as exc:
            return CloseWith(exc.close_code, exc.reason)
        except BadFrame as exc:
            return self._bad_frame(exc, now)
        return self._command(frame)

    def _bad_frame(self, exc: BadFrame, now: float) -> Intent:
        bad = self._bad = self._bad if self._bad is not None else collections.deque()
        bad.append(now)
        while bad and bad[0] < now - BAD_FRAME_WINDOW_SECONDS:
            bad.popleft()
        if len(bad) >= self._bad_limit:
            return CloseWith(CloseCode.POLICY_VIOLATION, "too many invalid frames")
        return Reply(error_frame(None, exc))

    def _command(self, frame: Mapping[str, Any]) -> Intent:
        cid = command_id(frame)
        try:
            cid, command = parse_command(frame, SPECS)
        except ProtocolError as exc:
            return Reply(error_frame(cid, exc))  # decodable: answered, never counted (Rule 3)
        kind = kind_of(command)
        if kind not in ACCEPTS[self.phase]:
            return Reply(error_frame(cid, self._not_now(kind)))
        return Run(cid, command)

    def _not_now(self, kind: Kind) -> ProtocolError:
        if self.phase is Phase.WATCHING and kind is not Kind.WATCH:  # Rule 4
            return ProtocolError(
                ServerCode.WRONG_CHANNEL,
                "This connection is a staff console; open another connection to join a room.",
            )
        if kind is Kind.STAFF:
            return ProtocolError(
                ServerCode.WRONG_CHANNEL, "Staff commands need a staff console (staff.watch)."
            )
        if kind in (Kind.ENTER, Kind.WATCH) and self.phase is not Phase.HELLO:
            return ProtocolError(
                ServerCode.ALREADY_JOINED, "This connection is already in a room or a console."
            )
        return ProtocolError(fx.Refusal.NOT_JOINED, "Join a room (or resume) first.")


def error_frame(cid: str | int | None, exc: Exception) -> dict[str, Any]:
    """The one mapping from a refusal (any layer) to an error frame (protocol.md §5)."""
    code: WireCode
    if isinstance(exc, (ProtocolError, Denied)):
        code, message, retry = exc.code, exc.message, exc.retry_after_ms
    elif isinstance(exc, BackendUnavailable):
        code, message, retry = (
            RoomsCode.UNAVAILABLE,
            "The server is reconnecting; try again shortly.",
            None,
        )
    else:
        raise TypeError(f"not a refusal: {type(exc).__name__}")
    frame: dict[str, Any] = {"type": "error", "id": cid, "code": str(code), "message": message}
    if retry is not None:
        frame["retry_after_ms"] = retry
    return frame
