"""What each command does for a connection: checks, then a call into the rooms service.

Identity, role and room always come from the session's `Seat` (built from the server's own
verified session token), never from fields in a frame (docs/reliability.md, authorization).
Which commands a connection may send at all is the session table's business (server/session.py);
the phase changes here are its rows.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import facilitation as fx
from rooms.backends.base import Position
from rooms.errors import BackendUnavailable, Denied, RoomsError
from rooms.outbound import OutboundEvent
from rooms.seat import Seat
from rooms.seating import JoinResult
from rooms.service import RoomsService
from rooms.sessions import SessionRecord, SessionRevoked
from server.codes import CloseCode, ServerCode
from server.commands import (
    CONVERSATION_COMMANDS,
    Join,
    Leave,
    PageMembers,
    Ping,
    Post,
    React,
    Resume,
    WordOpen,
)
from server.connection import Connection
from server.conversation_handlers import ConversationHandlers
from server.crisis_lines import CrisisLines
from server.errors import ProtocolError
from server.facilitators import FacilitatorRevoked, Facilitators, needs_powers
from server.join_guard import join_guard
from server.limits import address_key
from server.network_marks import NetworkMarks
from server.room_snapshot import RoomSnapshots
from server.session import Session, Step, error_frame
from server.settings import Settings
from server.tokens import SessionClaims, TokenError, Tokens

__all__ = ["Handlers", "Peer"]

log = logging.getLogger(__name__)

ROUTED_ON_CALL = "on_call"
"""A report ack's `routed` when routing could not say: the on-call team (docs/protocol.md)."""


@dataclass(frozen=True, slots=True)
class Peer:
    """What the server knows of the other end, used only for ban marks (never logged)."""

    address: str | None


class Handlers:
    """Command handlers; one instance per node, shared by all connections."""

    def __init__(
        self,
        service: RoomsService,
        tokens: Tokens,
        settings: Settings,
        facilitators: Facilitators,
        route_report: Callable[[str, int, str], Awaitable[str]] | None = None,
    ) -> None:
        self.service = service
        self.tokens = tokens
        self.settings = settings
        self.facilitators = facilitators
        self.marks = NetworkMarks(settings)
        self.joins = join_guard(settings)
        """Joins per client address on this node: throttles, lobby places, raid sources."""
        self.crisis_lines = CrisisLines.from_settings(settings)
        self.snapshots = RoomSnapshots(service.clock, self.crisis_lines)
        """The room as a join, admission or resync shows it."""
        self.conversations = ConversationHandlers(service, self.crisis_lines)
        """Private conversations: the crisis lane and a facilitator's private word."""
        self.route_report = route_report
        """Where a filed report went (`AlertSources.route_report`): the ack's `routed`."""

    async def dispatch(
        self, session: Session, conn: Connection, peer: Peer, cid: str | int, command: object
    ) -> None:
        """Run one command and queue exactly one ack or error frame for it."""
        try:
            reply = await self._run(session, conn, peer, command)
        except (ProtocolError, Denied, BackendUnavailable) as exc:
            conn.send(error_frame(cid, exc))
            if isinstance(exc, FacilitatorRevoked):
                conn.close(CloseCode.REVOKED, "facilitator access revoked")
            return
        if isinstance(command, Ping):
            conn.send({"type": "pong", "id": cid})
            return
        conn.send({"type": "ack", "id": cid, **reply})
        if isinstance(command, Leave):
            conn.close(CloseCode.NORMAL, "goodbye")  # protocol.md §3.2
            return
        if isinstance(command, (Join, Resume)) and conn.pending is not None:
            conn.start_delivery()  # the ack first, then missed and buffered events in order
        if isinstance(command, Resume) and session.seat is not None:
            await self.conversations.resumed(session.seat, conn)

    async def _run(
        self, session: Session, conn: Connection, peer: Peer, command: object
    ) -> dict[str, Any]:
        if isinstance(command, Ping):
            return {}
        if isinstance(command, (Join, Resume)):
            return await self._enter(session, conn, peer, command)
        seat = session.seat
        assert seat is not None  # the session table runs room commands only when seated
        if session.basis is not None and not isinstance(command, Leave):  # leaving always works
            await self._check_basis(session, seat, command)
        if isinstance(command, CONVERSATION_COMMANDS):
            return await self.conversations.run(seat, command)
        if isinstance(command, Post):
            return {"seq": await self.service.post(seat, command.text, note=command.note)}
        if isinstance(command, React):
            given = await self.service.react(seat, command.mid, command.reaction, on=command.on)
            return {"seq": given}
        if isinstance(command, PageMembers):
            page = await self.service.members_page(seat, command.after, command.limit)
            return {"members": page.members, "next": page.next, "member_count": page.count}
        if isinstance(command, Leave):
            await self.conversations.left(seat, conn)
            await self.service.leave(seat)
            session.seat = None
            session.step(Step.LEFT)
            return {}
        seq = await self.service.command(seat, command)  # type: ignore[arg-type]
        reply: dict[str, Any] = {} if seq is None else {"seq": seq}
        if isinstance(command, fx.Report):
            reply["routed"] = await self._routed(seat, command)
        return reply

    async def _routed(self, seat: Seat, report: fx.Report) -> str:
        """Where a stored report went; best effort: a stored report's ack must come (else the
        client files it again), so a failure answers `on_call` and logs only its type."""
        if self.route_report is None:
            return ROUTED_ON_CALL
        try:
            return await self.route_report(seat.room.slug, report.mid, seat.member_id)
        except RoomsError as exc:
            log.warning(
                "room %s: routing a stored report failed (%s)", seat.room.slug, type(exc).__name__
            )
            return ROUTED_ON_CALL

    async def _enter(
        self, session: Session, conn: Connection, peer: Peer, command: Join | Resume
    ) -> dict[str, Any]:
        """A join or resume: the session is `joining` until it is seated, parked or refused."""
        session.step(Step.ENTER)
        try:
            if isinstance(command, Join):
                return await self._join(session, conn, peer, command)
            return await self._resume(session, conn, peer, command)
        except BaseException:
            conn.reset_delivery()
            session.try_step(Step.REFUSED)
            raise

    async def _check_basis(self, session: Session, seat: Seat, command: object) -> None:
        """server/facilitators.py Rules 2 and 3: a revoked credential ends the facilitator's
        session at their next command, on whichever node they are."""
        assert session.basis is not None
        try:
            holds = await self.facilitators.holds(session.basis, seat.room)
        except BackendUnavailable:
            if needs_powers(command) or isinstance(command, WordOpen):
                raise  # a private word is a facilitator's power too
            return  # Rule 3: what a member may do never waits for the store
        if holds:
            return
        session.basis = None
        session.seat = None
        session.step(Step.LEFT)
        try:
            await self.service.leave(seat)  # the facilitator role goes with the seat, at once
        except (BackendUnavailable, Denied):
            log.warning("room %s: a revoked facilitator's leave failed", seat.room.slug)
        raise FacilitatorRevoked

    # -- join / resume ----------------------------------------------------------------------

    async def _join(
        self, session: Session, conn: Connection, peer: Peer, cmd: Join
    ) -> dict[str, Any]:
        """A join, within its address's limits (server/join_guard.py); a refused join counts
        towards the address's refused-join limit."""
        key = address_key([peer.address]) if peer.address else None
        if key is None:  # no address (a unix socket): nothing to count by
            return await self._join_room(session, conn, peer, cmd, None)
        wait = await self.joins.admit(key)
        if wait is not None:
            raise ProtocolError(
                ServerCode.RATE_LIMITED,
                "Too many joins; please wait a little.",
                retry_after_ms=wait,
            )
        try:
            return await self._join_room(session, conn, peer, cmd, key)
        except (ProtocolError, Denied):
            await self.joins.refused(key)
            raise

    async def _join_room(
        self, session: Session, conn: Connection, peer: Peer, cmd: Join, key: str | None
    ) -> dict[str, Any]:
        room = await self.service.catalog.get(cmd.room)
        observer = cmd.role == "observer"
        if observer and (cmd.facilitator or cmd.staff):
            raise ProtocolError(fx.Refusal.BAD_REQUEST, "Facilitators join as members.")
        if cmd.facilitator and cmd.staff:
            raise ProtocolError(
                fx.Refusal.BAD_REQUEST, "Send a facilitator invite or a staff sign-in, not both."
            )
        basis = None
        if cmd.staff:  # a staff account allowed in the room needs no room invite as well
            basis = await self.facilitators.staff(cmd.staff, room)
        # A facilitator invite names this room, so it admits its holder to a closed room by
        # itself (an admin's facilitator link carries no room invite); it is checked below.
        elif room.access == "closed" and not cmd.facilitator:
            if not cmd.invite:
                raise ProtocolError(ServerCode.ROOM_CLOSED, "This room needs an invite link.")
            await self.facilitators.redeem(cmd.invite, room, "member")
        if cmd.facilitator:
            basis = await self.facilitators.redeem(cmd.facilitator, room, "facilitator")
        facilitator = basis is not None
        result = await self._join_counted(conn, room.slug, cmd, key, observer, facilitator, peer)
        session.basis = basis
        if result.ticket is not None:
            return self._park(session, conn, result)
        try:
            token = await self._open_session(result.seat, basis)
        except BackendUnavailable:
            await self.service.abandon(result.seat)  # away, then released, like a lost socket
            raise
        self._seat(session, conn, result.seat, result.cursor)
        return {"token": token, **self.snapshots.of(result)}

    async def _join_counted(
        self,
        conn: Connection,
        slug: str,
        cmd: Join,
        key: str | None,
        observer: bool,
        facilitator: bool,
        peer: Peer,
    ) -> JoinResult:
        """Join with a lobby place held for the address, and its raid count decided."""
        if key is not None and not self.joins.reserve_place(conn.conn_id, slug, key):
            raise ProtocolError(
                fx.Refusal.LOBBY_FULL,
                "Too many people from your network are waiting for this room; please try "
                "again once one of them is in.",
            )
        now = self.service.clock.now()
        try:
            result = await self.service.join(
                conn,
                slug,
                name=cmd.name,
                observer=observer,
                facilitator=facilitator,
                marks=self.marks.of(peer.address),
                new_source=key is None or self.joins.new_source(slug, key, now),
            )
        except BaseException:
            self.joins.release_place(conn.conn_id)
            raise
        if result.ticket is None:
            self.joins.release_place(conn.conn_id)  # seated (or an observer): no place held
        if key is not None:
            self.joins.saw_join(slug, key, now)
        return result

    def _park(self, session: Session, conn: Connection, result: JoinResult) -> dict[str, Any]:
        """The room's lobby is on: wait, seeing nothing, until a facilitator decides."""
        session.lobby_seat = result.seat
        session.step(Step.PARKED)
        return {"lobby": True, "ticket": result.ticket, "room": self.snapshots.of(result)["room"]}

    async def admit(self, session: Session, conn: Connection, seq: int) -> None:
        """A facilitator let the waiting person in with the event at `seq`: seat them."""
        seat = session.lobby_seat
        if seat is None or not session.try_step(Step.ADMITTED):
            return
        self.joins.release_place(conn.conn_id)
        try:
            snapshot = await self.service.admitted_snapshot(seat, seq)
        except (BackendUnavailable, Denied):
            conn.lost_state()
            return
        session.lobby_seat = None
        self._seat(session, conn, seat, seq)
        try:
            token = await self._open_session(seat, session.basis)
        except BackendUnavailable:
            conn.lost_state()
            return
        conn.send({"type": "admitted", "token": token, **self.snapshots.of(snapshot)})
        conn.start_delivery()

    async def _resume(
        self, session: Session, conn: Connection, peer: Peer, cmd: Resume
    ) -> dict[str, Any]:
        claims, record = await self._live_session(cmd.token)
        room = await self.service.catalog.get(record.room)
        if claims.facilitator is not None and not await self.facilitators.holds(
            claims.facilitator, room
        ):
            raise ProtocolError(
                ServerCode.INVALID_TOKEN, "Your facilitator access was revoked; please join again."
            )
        session.basis = claims.facilitator
        seat = Seat(
            conn.conn_id, room, record.member_id, record.name, record.observer, record.joined_seq
        )
        await self._check_connection_cap(seat)
        position = Position(cmd.seq, cmd.epoch)
        result = await self.service.resume(conn, seat, position, self.marks.of(peer.address))
        if seat.joined_seq != record.joined_seq:  # re-seated: a later resume starts there too
            await self.service.sessions.reseated(record, seat.joined_seq)
        self._seat(session, conn, seat, result.cursor, result.missed)
        reply: dict[str, Any] = {"recovered": result.recovered, "member": result.member}
        reply["conversations"] = await self.conversations.live(seat)
        if result.snapshot is not None:
            reply.update(self.snapshots.of(result.snapshot))
            reply["reason"] = result.reason
        else:
            reply["missed"] = len(result.missed)
            reply["position"] = {"seq": result.cursor, "epoch": cmd.epoch}
        # protocol.md §3.1 `resume`: the same session, re-signed; its absolute end does not move.
        reply["token"] = self.tokens.session(claims)
        return reply

    async def _live_session(self, token: str) -> tuple[SessionClaims, SessionRecord]:
        """The token's claims and the server-side session they name, if it has not ended."""
        try:
            claims = self.tokens.check_session(token)
            record = await self.service.sessions.check(
                claims.member_id, claims.session_id, claims.expires
            )
        except (TokenError, SessionRevoked) as exc:
            reason = exc.reason if isinstance(exc, SessionRevoked) else None
            if reason in (fx.Refusal.REMOVED, fx.Refusal.BANNED):
                raise ProtocolError(
                    fx.Refusal(reason), "A facilitator ended this session."
                ) from None
            raise ProtocolError(
                ServerCode.INVALID_TOKEN, "That session has ended; please join again."
            ) from None
        return claims, record

    async def _check_connection_cap(self, seat: Seat) -> None:
        present = await self.service.present(seat.room.slug)
        mine = sum(1 for p in present if p.member_id == seat.member_id)
        if mine >= self.settings.max_connections_per_session:
            raise ProtocolError(
                ServerCode.TOO_MANY_CONNECTIONS,
                "This session already has the most connections allowed.",
            )

    def _seat(
        self,
        session: Session,
        conn: Connection,
        seat: Seat,
        cursor: int,
        backlog: list[OutboundEvent] | None = None,
    ) -> None:
        session.seat = seat
        session.step(Step.SEATED)
        conn.prepare_delivery(cursor, backlog or [])
        self.conversations.seated(seat, conn)

    async def _open_session(self, seat: Seat, basis: str | None = None) -> str:
        """A new server-side session for a person just seated, and its token (ids only, and
        what made them a facilitator, checked again at every command and resume)."""
        record = await self.service.sessions.open(
            seat.member_id,
            seat.room.slug,
            seat.name,
            observer=seat.observer,
            joined_seq=seat.joined_seq,
        )
        claims = SessionClaims(
            record.member_id, record.session_id, record.expires, facilitator=basis
        )
        return self.tokens.session(claims)
