"""Private conversations on a node: the I/O around rooms/conversations.py.

What is where (docs/privacy.md, "Private conversations"):

- the record (kind, room, the two parties' keys and display names, the alert id) and each
  party's index of live conversations are backend records with a time-to-live, never on disk
  (rooms/talk_records.py: the session lifetime while attached, the seat hold plus the replay
  window once a party is away);
- the events (status changes, messages, the end) get the conversation's own seq, are kept in the
  backend only for the replay window, and reach every node on the conversation bus; each node
  hands them to its local connections of the parties the event names, and to nobody else;
- ending a conversation drops the record and every kept event at once.

Who is local (rooms/talk_delivery.py, which also listens on the bus): the server attaches each seated room connection under its member key and each
staff connection under its staff key (`attach`), and detaches it when it closes. A party away
for longer than the seat hold ends their conversations (`away`); a clean leave ends them at once.

The crisis lane talks to the alert desk (rooms/alerts.py) through `CrisisDesk`: a request raises
a CRISIS alert whose subject is the conversation id; taking it makes the taker the other party
(`answered`; `take` takes the alert and attaches the taker as one step, or neither); a release (or a console drop) puts the member back to `waiting`, a resolve ends
the conversation. The member's resources never wait for any of this.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

import facilitation as fx
from rooms.backends.base import Backend
from rooms.clock import Clock
from rooms.conversations import (
    Conversation,
    Ended,
    Kind,
    Party,
    Sent,
    Status,
    status,
)
from rooms.errors import BackendUnavailable, Denied, RoomsCode
from rooms.oncall import Alert, AlertKind, AlertStatus, CancelReason, OnCallState
from rooms.talk_delivery import LocalParties, Outlet
from rooms.talk_records import TalkRecords
from rooms.text import TextRejected, clean_text

__all__ = ["CrisisDesk", "Outlet", "Talk"]

log = logging.getLogger(__name__)


class CrisisDesk(Protocol):
    """What the crisis lane needs of the alert desk (rooms/alerts.py `AlertDesk`)."""

    async def raise_alert(self, kind: AlertKind, room: str, subject: str = "") -> Alert: ...

    async def withdraw(self, alert_id: str, reason: CancelReason) -> None: ...

    async def take(self, alert_id: str, staff: str) -> Alert: ...

    async def release(self, alert_id: str, staff: str) -> Alert: ...

    async def on_call(self) -> frozenset[str]: ...

    async def state(self) -> OnCallState: ...

    def watch(self, callback: Callable[[Alert], None]) -> Callable[[], None]: ...


def _not_found() -> Denied:
    return Denied(RoomsCode.CONVERSATION_NOT_FOUND, "That conversation has ended.")


class Talk:
    """This node's side of every private conversation."""

    def __init__(
        self,
        backend: Backend,
        clock: Clock,
        *,
        lifetime: float,
        seat_hold: float,
        window: float,
        max_text_chars: int,
    ) -> None:
        self.backend = backend
        self.clock = clock
        self.records = TalkRecords(backend, lifetime=lifetime, idle=seat_hold + window)
        self.seat_hold = seat_hold
        self.max_text_chars = max_text_chars
        self.desk: CrisisDesk | None = None
        self.parties = LocalParties(backend, self._catch_up)
        self._tasks: set[asyncio.Task[None]] = set()
        self._going: dict[str, asyncio.Task[None]] = {}  # party key -> its one seat-hold wait
        self._unwatch: Callable[[], None] | None = None

    # -- lifetime ------------------------------------------------------------------------------

    def use_desk(self, desk: CrisisDesk) -> None:
        """Raise crisis alerts on `desk` and follow its alerts (releases, resolves)."""
        self.desk = desk
        self._unwatch = desk.watch(self._on_alert)

    async def start(self, ready_within: float = 2.0) -> None:
        """Listen on the conversation bus; returns once subscribed (or after `ready_within`)."""
        await self.parties.start(ready_within)

    async def aclose(self) -> None:
        if self._unwatch is not None:
            self._unwatch()
        await self.parties.aclose()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # -- local parties -------------------------------------------------------------------------

    def attach(self, key: str, outlet: Outlet) -> None:
        self.parties.attach(key, outlet)
        going = self._going.pop(key, None)
        if going is not None:
            going.cancel()  # back within the seat hold: nothing ends

    def detach(self, key: str, outlet: Outlet) -> None:
        self.parties.detach(key, outlet)

    def away(self, key: str, still_here: Callable[[], Awaitable[bool]]) -> None:
        """A party's connection here closed without a goodbye: after the seat hold, unless
        they are back (here or on another node), their conversations end."""
        if self.parties.here(key) or key in self._going:
            return  # still here, or already waiting for them: one wait per party
        task = self._spawn(self._gone_later(key, still_here))
        self._going[key] = task
        task.add_done_callback(lambda done: self._forget_going(key, done))

    def _forget_going(self, key: str, task: asyncio.Task[None]) -> None:
        if self._going.get(key) is task:
            del self._going[key]

    async def _gone_later(self, key: str, still_here: Callable[[], Awaitable[bool]]) -> None:
        conversations = await self.live(key)
        if not conversations:
            return
        await self.records.keep(key, conversations, self.records.idle)  # nobody here: short
        await self.clock.sleep_until(self.clock.now() + self.seat_hold)
        if self.parties.here(key) or await still_here():  # back (maybe before the cut above)
            await self.records.keep(key, await self.live(key), self.records.lifetime)
            return
        await self.end_all(key, Ended.GONE)

    # -- opening -------------------------------------------------------------------------------

    async def request_crisis(self, room: str, member: Party) -> tuple[Conversation, Status, int]:
        """Open (or find) this person's crisis conversation and raise its alert; returns it,
        the member's status and the number of staff on call."""
        found = [c for c in await self.live(member.key) if c.kind is Kind.CRISIS]
        conversation = found[0] if found else await self._new_crisis(room, member)
        on_call = await self._on_call()
        told = status(conversation, on_call)
        if not found:
            fields = {"kind": str(Kind.CRISIS), "status": str(told), "on_call": on_call}
            await self.records.append(
                conversation, Sent("conversation.status", (member.key,), fields)
            )
        return conversation, told, on_call

    async def _new_crisis(self, room: str, member: Party) -> Conversation:
        conversation = Conversation(_new_id(), Kind.CRISIS, room, member, None)
        await self.records.save(conversation)
        await self.records.index(member.key, conversation.id, add=True)
        if self.desk is None:
            return conversation
        try:
            alert = await self.desk.raise_alert(AlertKind.CRISIS, room, subject=conversation.id)
        except Exception as exc:  # the member's resources and status never wait for the desk
            log.warning("room %s: crisis alert not raised: %s", room, type(exc).__name__)
            return conversation
        conversation = Conversation(
            conversation.id, Kind.CRISIS, room, member, conversation.other, alert.id
        )
        await self.records.save(conversation)
        return conversation

    async def open_word(self, room: str, facilitator: Party, member: Party) -> Conversation:
        """A facilitator's private word with a member of their room (checked by the caller,
        rooms/conversations.py `word_refusal`)."""
        for live in await self.live(facilitator.key):
            if live.kind is Kind.WORD and live.member.key == member.key:
                return live  # already talking: the same conversation
        conversation = Conversation(_new_id(), Kind.WORD, room, member, facilitator)
        await self.records.save(conversation)
        for key in conversation.keys:
            await self.records.index(key, conversation.id, add=True)
        opened = {"kind": str(Kind.WORD), "room": room, "with": facilitator.name}
        await self.records.append(conversation, Sent("conversation.opened", (member.key,), opened))
        return conversation

    async def answered(self, alert: Alert, staff: Party) -> Conversation | None:
        """A staff member took the CRISIS alert: they are the other party from now on."""
        conversation = await self.find(alert.subject)
        if conversation is None:
            return None
        conversation = conversation.answered_by(staff)
        await self.records.save(conversation)
        await self.records.index(staff.key, conversation.id, add=True)
        member = conversation.member
        told = {"status": str(Status.ANSWERED), "by": staff.name}
        await self.records.append(conversation, Sent("conversation.status", (member.key,), told))
        opened = {"kind": str(Kind.CRISIS), "room": conversation.room, "with": member.name}
        await self.records.append(conversation, Sent("conversation.opened", (staff.key,), opened))
        await self._hand_over_earlier(conversation, staff)
        return conversation

    async def take(self, alert_id: str, staff: Party) -> Alert:
        """`alert.take` as the member sees it, in one step: a taken CRISIS alert's taker is
        the other party. If making them the party fails, the alert is released again (so it
        is never `taken` by someone the member cannot reach) and the error goes on."""
        if self.desk is None:
            raise BackendUnavailable("no alert desk on this node")
        alert = await self.desk.take(alert_id, staff.name)
        if alert.kind is not AlertKind.CRISIS:
            return alert
        try:
            await self.answered(alert, staff)
        except BaseException:
            try:
                await self.desk.release(alert.id, staff.name)
            except Exception as exc:
                log.warning("crisis alert not released again: %s", type(exc).__name__)
            raise
        return alert

    async def _hand_over_earlier(self, conversation: Conversation, staff: Party) -> None:
        """What the member wrote while nobody was attached (still in the window) reaches the
        taker, once, marked `earlier`; the member is not sent it twice. Never what they said
        to an earlier taker, nor the copies already made for one."""
        member = conversation.member.key
        for event in await self.records.replay(conversation.id, 0):
            sent = Sent.from_bytes(event.payload)
            waiting = sent.to == (member,) and "earlier" not in sent.fields
            if sent.event != "conversation.message" or sent.sender != member or not waiting:
                continue
            fields = {**sent.fields, "earlier": event.ts_ms}
            copy = Sent("conversation.message", (staff.key,), fields, sender=member)
            await self.records.append(conversation, copy)

    # -- speaking and ending ---------------------------------------------------------------------

    async def say(self, key: str, conversation_id: str, raw_text: str) -> int:
        """A party's message; returns its seq in the conversation."""
        try:
            text = clean_text(raw_text, max_chars=self.max_text_chars)
        except TextRejected as exc:
            raise Denied(fx.Refusal.BAD_REQUEST, str(exc)) from None
        conversation = await self.find(conversation_id)
        sender = conversation.party(key) if conversation is not None else None
        if conversation is None or sender is None:
            raise _not_found()
        fields = {"name": sender.name, "text": text}
        sent = Sent("conversation.message", conversation.keys, fields, sender=key)
        seq = await self.records.append(conversation, sent)
        if seq is None:
            raise _not_found()
        return seq

    async def end(self, key: str, conversation_id: str, reason: Ended | None = None) -> None:
        """A party ends it (`reason` None: by whom it says); both sides get `ended`."""
        conversation = await self.find(conversation_id)
        if conversation is None or conversation.party(key) is None:
            raise _not_found()
        if reason is None:
            reason = Ended.BY_MEMBER if key == conversation.member.key else Ended.BY_OTHER
        await self._close(conversation, reason)

    async def end_all(self, key: str, reason: Ended) -> None:
        """Every live conversation of this party ends (they left, or are gone)."""
        for conversation in await self.live(key):
            await self._close(conversation, reason)

    async def _close(self, conversation: Conversation, reason: Ended) -> None:
        if conversation.kind is Kind.CRISIS and conversation.other is None:
            await self._withdraw(conversation, reason)
        ended = Sent("conversation.ended", conversation.keys, {"reason": str(reason)})
        await self.records.append(conversation, ended)
        await self.records.drop(conversation)

    async def _withdraw(self, conversation: Conversation, reason: Ended) -> None:
        if self.desk is None or conversation.alert is None:
            return
        why = CancelReason.MEMBER_GONE if reason is Ended.GONE else CancelReason.MEMBER_OK
        try:
            await self.desk.withdraw(conversation.alert, why)
        except Exception as exc:
            log.warning(
                "room %s: crisis alert not withdrawn: %s", conversation.room, type(exc).__name__
            )

    # -- the desk's alerts -----------------------------------------------------------------------

    def _on_alert(self, alert: Alert) -> None:
        """Desk watcher (every node): a released crisis waits again; a resolved one ends."""
        if alert.kind is not AlertKind.CRISIS:
            return
        if alert.status is AlertStatus.OPEN:
            self._spawn(self._reopened(alert))
        elif alert.status is AlertStatus.RESOLVED:
            self._spawn(self._resolved(alert))

    async def _reopened(self, alert: Alert) -> None:
        conversation = await self.find(alert.subject)
        if conversation is None or conversation.other is None:
            return
        if not await self._still_open(alert.id):
            return  # a late echo of an older change: the alert was taken again since
        if not await self.backend.claim(f"cv-reopen:{alert.id}:{alert.opened_at}", 60.0):
            return  # another node tells the member
        staff = conversation.other
        conversation = conversation.answered_by(None)
        await self.records.save(conversation)
        await self.records.index(staff.key, conversation.id, add=False)
        on_call = await self._on_call()
        told = {"status": str(status(conversation, on_call)), "on_call": on_call}
        await self.records.append(
            conversation, Sent("conversation.status", (conversation.member.key,), told)
        )
        await self.records.append(
            conversation, Sent("conversation.ended", (staff.key,), {"reason": "released"})
        )

    async def _still_open(self, alert_id: str) -> bool:
        if self.desk is None:
            return False
        current = (await self.desk.state()).find(alert_id)
        return current is not None and current.status is AlertStatus.OPEN

    async def _resolved(self, alert: Alert) -> None:
        conversation = await self.find(alert.subject)
        if conversation is not None and await self.backend.claim(f"cv-end:{alert.id}", 60.0):
            await self._close(conversation, Ended.RESOLVED)

    # -- reading -----------------------------------------------------------------------------------

    async def find(self, conversation_id: str) -> Conversation | None:
        return await self.records.find(conversation_id)

    async def live(self, key: str) -> list[Conversation]:
        return await self.records.live(key)

    async def replay_to(self, key: str, outlet: Outlet) -> list[Conversation]:
        """After a resume: the events of this party's live conversations still in the window
        that this connection has not had, to this connection only. They are back: their
        conversations live the whole lifetime again."""
        conversations = await self.live(key)
        if conversations:
            await self.records.keep(key, conversations, self.records.lifetime)
        for conversation in conversations:
            after = self.parties.sent_up_to(outlet, conversation.id)
            for event in await self.records.replay(conversation.id, after):
                self.parties.hand(outlet, key, event)
        return conversations

    # -- internals -------------------------------------------------------------------------------

    async def _on_call(self) -> int:
        if self.desk is None:
            return 0
        try:
            return len(await self.desk.on_call())
        except Exception as exc:
            log.warning("on-call count unavailable: %s", type(exc).__name__)
            return 0

    async def _catch_up(self) -> None:
        """After a gap on the bus: every local party's missed events, from the window."""
        for key, outlet in self.parties.outlets():
            await self.replay_to(key, outlet)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("conversation task failed: %s", type(task.exception()).__name__)


def _new_id() -> str:
    return "cv_" + secrets.token_urlsafe(12)
