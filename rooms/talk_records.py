"""Where private conversations are kept: each record, each party's index of live conversations,
and each conversation's events, as backend records (never on disk). rooms/talk.py decides what
is kept; this only keeps it.

How long (docs/privacy.md, "Private conversations"): a record and an index live for `lifetime`
while a party is attached; once a party's last connection on a node goes without a goodbye they
are cut to `idle` (the seat hold plus the replay window), and any activity of the conversation or
a change of the conversation (answered, released) or a party coming back (a resume) sets them
to `lifetime` again. Events live for the replay window only.
"""

from __future__ import annotations

import msgpack

from rooms.backends.base import Backend, ConversationEvent
from rooms.conversations import Conversation, Sent

__all__ = ["TalkRecords"]


class TalkRecords:
    """The backend records of private conversations."""

    def __init__(self, backend: Backend, *, lifetime: float, idle: float) -> None:
        self.backend = backend
        self.lifetime = lifetime
        self.idle = min(idle, lifetime)

    async def save(self, conversation: Conversation, ttl: float | None = None) -> None:
        data = conversation.to_bytes()
        await self.backend.put_conversation(conversation.id, data, ttl or self.lifetime)

    async def find(self, conversation_id: str) -> Conversation | None:
        if not conversation_id.startswith("cv_"):
            return None
        data = await self.backend.get_conversation(conversation_id)
        return None if data is None else Conversation.from_bytes(data)

    async def live(self, key: str) -> list[Conversation]:
        """This party's live conversations (what has ended since is skipped)."""
        found = []
        for conversation_id in await self.ids(key):
            conversation = await self.find(conversation_id)
            if conversation is not None and conversation.party(key) is not None:
                found.append(conversation)
        return found

    async def ids(self, key: str) -> list[str]:
        """The ids in this party's index (some may have ended since)."""
        data = await self.backend.get_conversation(f"idx:{key}")
        return [] if data is None else [str(i) for i in msgpack.unpackb(data)]

    async def index(
        self, key: str, conversation_id: str, *, add: bool, ttl: float | None = None
    ) -> None:
        ids = [i for i in await self.ids(key) if i != conversation_id]
        if add:
            ids.append(conversation_id)
        await self._put_index(key, ids, ttl)

    async def keep(self, key: str, conversations: list[Conversation], ttl: float) -> None:
        """Set how long this party's index and these conversations' records live from now."""
        for conversation in conversations:
            await self.save(conversation, ttl)
        await self._put_index(key, [c.id for c in conversations], ttl)

    async def append(self, conversation: Conversation, sent: Sent) -> int | None:
        """A new event's seq (None: the conversation has ended)."""
        return await self.backend.append_conversation(
            conversation.id, sent.to_bytes(), self.lifetime
        )

    async def replay(self, conversation_id: str, after: int) -> list[ConversationEvent]:
        return await self.backend.replay_conversation(conversation_id, after)

    async def drop(self, conversation: Conversation) -> None:
        """The conversation and every kept event, gone at once, and out of both indexes."""
        await self.backend.drop_conversation(conversation.id)
        for key in conversation.keys:
            await self.index(key, conversation.id, add=False)

    async def _put_index(self, key: str, ids: list[str], ttl: float | None) -> None:
        if ids:
            packed = msgpack.packb(ids)
            await self.backend.put_conversation(f"idx:{key}", packed, ttl or self.lifetime)
        else:
            await self.backend.drop_conversation(f"idx:{key}")
