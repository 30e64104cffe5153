"""What each command does for a connection: checks, then a call into the rooms service.

Identity, role and room always come from the session's `Seat` (built from the server's own
verified session token), never from fields in a frame (docs/reliability.md, authorization).
Which commands a connection may send at all is the session table's business (server/session.py);
the phase changes here are its rows.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any

import facilitation as fx
from rooms.backends.base import Position
from rooms.errors import BackendUnavailable, Denied
from rooms.outbound import OutboundEvent
from rooms.seat import Seat
from rooms.seating import JoinResult
from rooms.service import RoomsService
from server.codes import CloseCode, ServerCode
from server.commands import Join, Leave, Ping, Post, React, Resume
from server.connection import Connection
from server.errors import ProtocolError
from server.facilitators import FacilitatorRevoked, Facilitators, needs_powers
from server.session import Session, Step, error_frame
from server.settings import Settings
from server.tokens import SessionClaims, TokenError, Tokens

__all__ = ["Handlers", "Peer"]

log = logging.getLogger(__name__)


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
    ) -> None:
        self.service = service
        self.tokens = tokens
        self.settings = settings
        self.facilitators = facilitators
        # Network marks are keyed with the node secret, so a mark in a ban record cannot be
        # matched against addresses by anyone who does not also hold the secret.
        secret = (settings.secret or "").encode()
        self._mark_key = hashlib.sha256(b"sharecircle.network-mark:" + secret).digest()

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
        if isinstance(command, Post):
            return {"seq": await self.service.post(seat, command.text)}
        if isinstance(command, React):
            given = await self.service.react(seat, command.mid, command.reaction, on=command.on)
            return {"seq": given}
        if isinstance(command, Leave):
            await self.service.leave(seat)
            session.seat = None
            session.step(Step.LEFT)
            return {}
        seq = await self.service.command(seat, command)  # type: ignore[arg-type]
        return {} if seq is None else {"seq": seq}

    async def _enter(
        self, session: Session, conn: Connection, peer: Peer, command: Join | Resume
    ) -> dict[str, Any]:
        """A join or resume: the session is `joining` until it is seated, parked or refused."""
        session.step(Step.ENTER)
        try:
            if isinstance(command, Join):
                return await self._join(session, conn, peer, command)
            return await self._resume(session, conn, command)
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
            if needs_powers(command):
                raise
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

    def _marks(self, peer: Peer) -> frozenset[str]:
        if not self.settings.ban_network_marks or not peer.address:
            return frozenset()
        digest = hmac.new(self._mark_key, peer.address.encode(), hashlib.sha256).hexdigest()
        return frozenset({f"n:{digest[:24]}"})

    async def _join(
        self, session: Session, conn: Connection, peer: Peer, cmd: Join
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
        elif room.access == "closed":
            if not cmd.invite:
                raise ProtocolError(ServerCode.ROOM_CLOSED, "This room needs an invite link.")
            await self.facilitators.redeem(cmd.invite, room, "member")
        if cmd.facilitator:
            basis = await self.facilitators.redeem(cmd.facilitator, room, "facilitator")
        facilitator = basis is not None
        result = await self.service.join(
            conn,
            room.slug,
            name=cmd.name,
            observer=observer,
            facilitator=facilitator,
            marks=self._marks(peer),
        )
        session.basis = basis
        if result.ticket is not None:
            return self._park(session, conn, result)
        self._seat(session, conn, result.seat, result.cursor)
        token = self._session_token(session, result.seat)
        return {"token": token, **_snapshot(result)}

    def _park(self, session: Session, conn: Connection, result: JoinResult) -> dict[str, Any]:
        """The room's lobby is on: wait, seeing nothing, until a facilitator decides."""
        session.lobby_seat = result.seat
        session.step(Step.PARKED)
        return {"lobby": True, "ticket": result.ticket, "room": _snapshot(result)["room"]}

    async def admit(self, session: Session, conn: Connection, seq: int) -> None:
        """A facilitator let the waiting person in with the event at `seq`: seat them."""
        seat = session.lobby_seat
        if seat is None or not session.try_step(Step.ADMITTED):
            return
        try:
            snapshot = await self.service.admitted_snapshot(seat, seq)
        except (BackendUnavailable, Denied):
            conn.lost_state()
            return
        session.lobby_seat = None
        self._seat(session, conn, seat, seq)
        token = self._session_token(session, seat)
        conn.send({"type": "admitted", "token": token, **_snapshot(snapshot)})
        conn.start_delivery()

    async def _resume(self, session: Session, conn: Connection, cmd: Resume) -> dict[str, Any]:
        try:
            claims = self.tokens.check_session(cmd.token)
        except TokenError:
            raise ProtocolError(
                ServerCode.INVALID_TOKEN, "That session has expired; please join again."
            ) from None
        room = await self.service.catalog.get(claims.room)
        if claims.facilitator is not None and not await self.facilitators.holds(
            claims.facilitator, room
        ):
            raise ProtocolError(
                ServerCode.INVALID_TOKEN, "Your facilitator access was revoked; please join again."
            )
        session.basis = claims.facilitator
        seat = Seat(
            conn.conn_id, room, claims.member_id, claims.name, claims.observer, claims.joined_seq
        )
        await self._check_connection_cap(seat)
        result = await self.service.resume(conn, seat, Position(cmd.seq, cmd.epoch))
        self._seat(session, conn, seat, result.cursor, result.missed)
        reply: dict[str, Any] = {"recovered": result.recovered, "member": result.member}
        if result.snapshot is not None:
            reply.update(_snapshot(result.snapshot))
            reply["reason"] = result.reason
        else:
            reply["missed"] = len(result.missed)
            reply["position"] = {"seq": result.cursor, "epoch": cmd.epoch}
        reply["token"] = self._session_token(session, seat)
        return reply

    async def _check_connection_cap(self, seat: Seat) -> None:
        present = await self.service.present(seat.room.slug)
        mine = sum(1 for p in present if p.member_id == seat.member_id)
        if mine >= self.settings.max_connections_per_session:
            raise ProtocolError(
                ServerCode.TOO_MANY_CONNECTIONS,
                "This session already has the most connections allowed.",
            )

    @staticmethod
    def _seat(
        session: Session,
        conn: Connection,
        seat: Seat,
        cursor: int,
        backlog: list[OutboundEvent] | None = None,
    ) -> None:
        session.seat = seat
        session.step(Step.SEATED)
        conn.prepare_delivery(cursor, backlog or [])

    def _session_token(self, session: Session, seat: Seat) -> str:
        claims = SessionClaims(
            seat.room.slug,
            seat.member_id,
            seat.name,
            seat.observer,
            seat.joined_seq,
            facilitator=session.basis,
        )
        return self.tokens.session(claims)


def _snapshot(result: JoinResult) -> dict[str, Any]:
    room = result.seat.room
    return {
        "member": result.member,
        "room": {
            "slug": room.slug,
            "name": room.name,
            "description": room.description,
            "access": room.access,
            "self_led": room.self_led,
        },
        "members": result.members,
        "observers": result.observers,
        "meeting": result.meeting,
        "position": {"seq": result.position.seq, "epoch": result.position.epoch},
        **({"waiting": result.waiting} if result.waiting is not None else {}),
    }
