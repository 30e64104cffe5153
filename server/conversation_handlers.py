"""The private-conversation commands (docs/protocol.md §3.7): the crisis lane and a private word.

Identity always comes from the session: a room connection speaks as its seat's member key, a
staff connection as its staff account (server/staff handlers call `run_staff`). Who may open what
is rooms/conversations.py; keeping and delivering is rooms/talk.py. The member's crisis
resources are resolved first and go in the ack whatever else happens, so nothing (the desk, the
backend) can keep them from a person who asked for help.
"""

from __future__ import annotations

import logging
from typing import Any

from rooms.conversations import Ended, Kind, Opener, Party, member_key, staff_key, word_refusal
from rooms.errors import BackendUnavailable, Denied, RoomsCode
from rooms.oncall import Alert
from rooms.seat import Seat
from rooms.service import RoomsService
from rooms.talk import Outlet, Talk
from server.commands import (
    ConversationEnd,
    ConversationSay,
    CrisisCancel,
    CrisisRequest,
    WordOpen,
)
from server.crisis_lines import CrisisLines, today

__all__ = ["ConversationHandlers"]

log = logging.getLogger(__name__)

ConversationCommand = CrisisRequest | CrisisCancel | WordOpen | ConversationSay | ConversationEnd


class ConversationHandlers:
    """What each conversation command does; one per node."""

    def __init__(self, service: RoomsService, lines: CrisisLines) -> None:
        self.service = service
        self.talk: Talk = service.talk
        self.lines = lines

    # -- room connections ------------------------------------------------------------------------

    async def run(self, seat: Seat, command: ConversationCommand) -> dict[str, Any]:
        key = member_key(seat.member_id)
        if isinstance(command, CrisisRequest):
            return await self._crisis(seat, command)
        if isinstance(command, CrisisCancel):
            found = await self.talk.find(command.conversation)
            if found is None or found.kind is not Kind.CRISIS or found.member.key != key:
                raise Denied(RoomsCode.CONVERSATION_NOT_FOUND, "That conversation has ended.")
            await self.talk.end(key, command.conversation, Ended.BY_MEMBER)
            return {}
        if isinstance(command, WordOpen):
            return await self._word(seat, command)
        return await self._speak(key, command)

    async def _crisis(self, seat: Seat, command: CrisisRequest) -> dict[str, Any]:
        clock = self.service.clock
        resources = self.lines.resolve(command.locale, seat.room, today(clock.now()))
        try:
            member = Party(member_key(seat.member_id), await self._name(seat))
            conversation, told, on_call = await self.talk.request_crisis(seat.room.slug, member)
        except BackendUnavailable:
            log.warning("room %s: crisis conversation not opened: backend away", seat.room.slug)
            return _crisis_ack(None, "nobody_on_call", 0, resources)
        return _crisis_ack(conversation.id, str(told), on_call, resources)

    async def _word(self, seat: Seat, command: WordOpen) -> dict[str, Any]:
        _, state = await self.service.meetings.load(seat.room, fresh=True)
        me = state.participant(seat.member_id)
        opener = (
            Opener.OBSERVER
            if seat.observer
            else Opener.FACILITATOR
            if me is not None and me.is_facilitator
            else Opener.MEMBER
        )
        target = state.participant(command.member)
        refusal = word_refusal(opener, seat.member_id, target)
        if refusal is not None:
            raise Denied(*refusal)
        assert me is not None
        assert target is not None
        conversation = await self.talk.open_word(
            seat.room.slug,
            Party(member_key(me.member), me.name),
            Party(member_key(target.member), target.name),
        )
        return {"conversation": conversation.id}

    async def _speak(self, key: str, command: ConversationCommand) -> dict[str, Any]:
        if isinstance(command, ConversationSay):
            return {"seq": await self.talk.say(key, command.conversation, command.text)}
        if isinstance(command, ConversationEnd):
            await self.talk.end(key, command.conversation)
            return {}
        raise Denied(RoomsCode.CONVERSATION_NOT_FOUND, "That is not a conversation command.")

    async def _name(self, seat: Seat) -> str:
        """The display name the staff member who takes the crisis sees: the member's seat
        name in the room, or for an observer the name they gave (or "" if none)."""
        if seat.observer:
            return seat.name or ""
        _, state = await self.service.meetings.load(seat.room)
        me = state.participant(seat.member_id)
        return me.name if me is not None else seat.name or ""

    # -- the life of a room connection -------------------------------------------------------------

    def seated(self, seat: Seat, outlet: Outlet) -> None:
        self.talk.attach(member_key(seat.member_id), outlet)

    async def resumed(self, seat: Seat, outlet: Outlet) -> None:
        """After the resume ack: what this connection missed of its conversations."""
        try:
            await self.talk.replay_to(member_key(seat.member_id), outlet)
        except BackendUnavailable:
            log.warning("room %s: conversation replay skipped: backend away", seat.room.slug)

    async def live(self, seat: Seat) -> list[dict[str, Any]]:
        """The resume ack's `conversations`: what is still open for this person."""
        return await self._live(member_key(seat.member_id))

    async def staff_live(self, staff: str) -> list[dict[str, Any]]:
        """The `staff.watch` ack's `conversations`: the crisis conversations this staff
        member is in (with the room, so the console can show where)."""
        return await self._live(staff_key(staff))

    async def _live(self, key: str) -> list[dict[str, Any]]:
        out = []
        for conversation in await self.talk.live(key):
            peer = conversation.peer_of(key)
            out.append(
                {
                    "conversation": conversation.id,
                    "kind": str(conversation.kind),
                    "with": peer.name if peer is not None else None,
                    **({"room": conversation.room} if key.startswith("s:") else {}),
                }
            )
        return out

    async def left(self, seat: Seat, outlet: Outlet) -> None:
        """A clean leave: this person's conversations end now."""
        key = member_key(seat.member_id)
        self.talk.detach(key, outlet)
        await self.talk.end_all(key, Ended.GONE)

    def closed(self, seat: Seat, outlet: Outlet) -> None:
        """The socket went without a goodbye: conversations wait for the seat hold."""
        key = member_key(seat.member_id)
        self.talk.detach(key, outlet)

        async def still_here() -> bool:
            return await self.service.is_present(seat.room.slug, seat.member_id)

        self.talk.away(key, still_here)

    # -- staff connections -------------------------------------------------------------------------

    def staff_attached(self, staff: str, outlet: Outlet) -> None:
        self.talk.attach(staff_key(staff), outlet)

    def staff_detached(self, staff: str, outlet: Outlet) -> None:
        self.talk.detach(staff_key(staff), outlet)

    async def staff_resumed(self, staff: str, outlet: Outlet) -> None:
        """After the `staff.watch` ack: what this console missed of its conversations."""
        try:
            await self.talk.replay_to(staff_key(staff), outlet)
        except BackendUnavailable:
            log.warning("staff console: conversation replay skipped: backend away")

    async def run_staff(self, staff: str, command: object) -> dict[str, Any]:
        """`conversation.say` and `conversation.end` on a staff connection."""
        if not isinstance(command, (ConversationSay, ConversationEnd)):
            raise Denied(RoomsCode.CONVERSATION_NOT_FOUND, "Only say and end on a staff channel.")
        return await self._speak(staff_key(staff), command)

    async def take(self, alert_id: str, staff: str) -> Alert:
        """`alert.take`: the alert is taken and, for a CRISIS, the taker is the other party,
        both or neither (rooms/talk.py `Talk.take` releases it again if attaching fails)."""
        return await self.talk.take(alert_id, Party(staff_key(staff), staff))


def _crisis_ack(
    conversation: str | None, told: str, on_call: int, resources: list[dict[str, str]]
) -> dict[str, Any]:
    """The `crisis.request` ack (docs/protocol.md §3.7): the resources always."""
    return {
        "conversation": conversation,
        "status": told,
        "on_call": on_call,
        "resources": resources,
    }
