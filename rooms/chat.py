"""Chat in a room: posting and reacting under the meeting's rules, and the commands about chat.

Messages and reactions are rooms-layer events (the engine only says who may post now); they are
published straight to the room stream and never enter the meeting state. Reports and removals
are engine commands about a message: a report is completed here with what the message said
(it is still in the replay window), and a removal redacts the message in the window.
"""

from __future__ import annotations

from collections.abc import Callable

import facilitation as fx
from facilitation.part_rules import CONTENT_NOTE_CHARS
from rooms.backends.base import Backend, Position, Resync
from rooms.clock import Clock
from rooms.errors import Denied, RoomsCode
from rooms.events import CHAT_MESSAGE, CHAT_REACTION
from rooms.hub import decode_payload
from rooms.meeting import MeetingStore
from rooms.model import RoomConfig
from rooms.presence import publish
from rooms.seat import Seat
from rooms.text import TextRejected, clean_text

__all__ = ["Chat"]

Rule = Callable[[fx.MeetingState], object]


class Chat:
    """Posting, reacting, and the side effects of chat-related meeting commands."""

    def __init__(
        self, backend: Backend, meetings: MeetingStore, clock: Clock, *, max_text_chars: int
    ) -> None:
        self.backend = backend
        self.meetings = meetings
        self.clock = clock
        self.max_text_chars = max_text_chars

    async def post(self, seat: Seat, raw_text: str, *, note: str = "") -> int:
        """Relay a message if the meeting allows this person to post now. Returns its seq.

        `note` is a content note (empty: none): clients fold the text under it until opened. In a
        part that asks for them, a share's posts must carry one (part_rules.CONTENT_NOTE_RULE).
        """
        try:
            text = clean_text(raw_text, max_chars=self.max_text_chars)
            note = (
                clean_text(" ".join(note.split()), max_chars=CONTENT_NOTE_CHARS)
                if note.strip()
                else ""
            )
        except TextRejected as exc:
            raise Denied(fx.Refusal.BAD_REQUEST, str(exc)) from None
        state, allowed = await self._check(
            seat.room, lambda s: fx.may_post(s, seat.actor, self.clock.now(), note=note)
        )
        assert isinstance(allowed, fx.PostAllowed)
        if allowed.slow_seconds > 0:
            key = f"slow:{seat.room.slug}:{seat.member_id}"
            if not await self.backend.claim(key, allowed.slow_seconds):
                raise Denied(
                    RoomsCode.SLOW_MODE,
                    f"Slow mode is on: one message every {allowed.slow_seconds} seconds.",
                    retry_after_ms=allowed.slow_seconds * 1000,
                )
        who = state.participant(seat.member_id)
        name = who.name if who is not None else seat.name or ""
        body = {"event": CHAT_MESSAGE, "from": seat.member_id, "name": name, "text": text}
        if note:
            body["note"] = note
        envelopes = await publish(self.backend, seat.room.slug, body)
        return envelopes[0].seq

    async def react(self, seat: Seat, mid: int, reaction: str, *, on: bool = True) -> int:
        """Give (or, with `on=False`, take back) a reaction; clients count distinct members."""
        await self._check(seat.room, lambda s: fx.may_react(s, seat.actor))
        body = {
            "event": CHAT_REACTION,
            "mid": mid,
            "from": seat.member_id,
            "reaction": reaction,
            "on": on,
        }
        envelopes = await publish(self.backend, seat.room.slug, body)
        return envelopes[0].seq

    async def _check(self, room: RoomConfig, rule: Rule) -> tuple[fx.MeetingState, object]:
        """Run a pure permission rule on the cached state, re-checking a refusal on fresh state."""
        _, state = await self.meetings.load(room)
        verdict = rule(state)
        if isinstance(verdict, fx.Refused):
            _, state = await self.meetings.load(room, fresh=True)
            verdict = rule(state)
        if isinstance(verdict, fx.Refused):
            raise Denied.refused(verdict)
        return state, verdict

    async def message(self, room: RoomConfig, mid: int) -> dict[str, object] | None:
        """A chat message still in the window (for reports), or None."""
        current = await self.backend.position(room.slug)
        if not 0 < mid <= current.seq:
            return None
        answer = await self.backend.replay(room.slug, Position(mid - 1, current.epoch), 10_000)
        if isinstance(answer, Resync) or not answer or answer[0].seq != mid:
            return None
        frame, _ = decode_payload(answer[0])
        return frame if frame.get("event") == CHAT_MESSAGE else None

    async def complete(self, room: RoomConfig, command: fx.Command) -> fx.Command:
        """Fill in what a command about a message needs from the window (a report's text)."""
        if not isinstance(command, fx.Report):
            return command
        found = await self.message(room, command.mid)
        if found is None:
            raise Denied(RoomsCode.MESSAGE_NOT_FOUND, "That message is no longer in the room.")
        return fx.Report(
            mid=command.mid,
            about=str(found["from"]),
            about_name=str(found["name"]),
            text=str(found["text"]),
            reason=command.reason,
        )

    async def after(self, room: RoomConfig, events: tuple[fx.Event, ...]) -> None:
        """Side effects in the backend that some engine events ask for."""
        for event in events:
            if isinstance(event, fx.ChatRemoved):
                await self.backend.redact(room.slug, event.mid)
            elif isinstance(event, fx.RoomReset):
                await self.backend.reset(room.slug)
