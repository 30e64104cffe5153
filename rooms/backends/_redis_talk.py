"""The Redis backend's private conversations: their keys, scripts and replies.

Key layout (prefix `sc` by default). Every key and the bus channel carry the hash tag `{~cv}`,
which no room slug can be (slugs are lowercase letters, digits and dashes), so on Redis Cluster
all of them live on one slot and each script stays atomic there:

    sc:{~cv}:rec:<key>       a conversation record or a person's index (TTL: the record's)
    sc:{~cv}:seq:<id>        the conversation's event counter (TTL: the conversation's life)
    sc:{~cv}:ev:<id>         hash seq -> "<ms>:<payload>", events of the replay window
                             (TTL the window after the last write; older fields are
                             trimmed on every write and read, as the memory backend does)
    sc:{~cv}:events          the conversation bus (msgpack [seq, conversation id, ms, payload])

A record carries its expiry (ms on the manual clock; 0 on Redis time) in front, as sessions do,
so a test's manual clock ends it too. This module imports no redis: `RedisBackend` hands in its
script runner.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from rooms.backends._redis_keys import KeyLayout
from rooms.backends._wire import (
    check_blob,
    check_name,
    check_payloads,
    conversation_events,
    seconds_to_ms,
)
from rooms.backends.base import ConversationEvent, Envelope, Gap

__all__ = ["BUS", "ConversationsOnRedis", "RedisConversations"]

BUS = "~cv"
"""The hash tag of every conversation key and of the bus channel."""

_EXPIRY = struct.Struct(">q")

Script = Callable[[str, list[str], list[Any]], Awaitable[Any]]
Subscribe = Callable[[str], AbstractAsyncContextManager[AsyncIterator[Envelope | Gap]]]
"""The backend's pub/sub subscription to a channel's hash tag (`PubSubListener.subscribe`)."""

_NOW = """
local function now_ms()
  if ARGV[1] ~= '' then return tonumber(ARGV[1]) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function stamp(v)
  local colon = string.find(v, ':', 1, true)
  return tonumber(string.sub(v, 1, colon - 1)), string.sub(v, colon + 1)
end
"""

PUT = """
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""

GET = """
return redis.call('GET', KEYS[1])
"""

# KEYS: rec, seq, ev. ARGV: now, window_ms, max_events, content_ttl_ms, life_ttl_ms, channel,
# conversation id, payload.
APPEND = (
    _NOW
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local now = now_ms()
local window, max_events = tonumber(ARGV[2]), tonumber(ARGV[3])
local seq = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
local kept = redis.call('HGETALL', KEYS[3])
for i = 1, #kept, 2 do
  local ts = stamp(kept[i + 1])
  if ts < now - window or tonumber(kept[i]) <= seq - max_events then
    redis.call('HDEL', KEYS[3], kept[i])
  end
end
redis.call('HSET', KEYS[3], seq, string.format('%d', now) .. ':' .. ARGV[8])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
local channel = ARGV[6]
redis.call('PUBLISH', channel, cmsgpack.pack({seq, ARGV[7], now, ARGV[8]}))
return seq
"""
)

# KEYS: ev. ARGV: now, window_ms, after. What has aged out of the window is deleted, not skipped.
REPLAY = (
    _NOW
    + """
local now, window, after = now_ms(), tonumber(ARGV[2]), tonumber(ARGV[3])
local kept = redis.call('HGETALL', KEYS[1])
local rows = {}
for i = 1, #kept, 2 do
  local s = tonumber(kept[i])
  local ts, payload = stamp(kept[i + 1])
  if ts < now - window then
    redis.call('HDEL', KEYS[1], kept[i])
  elseif s > after then
    rows[#rows + 1] = {s, ts, payload}
  end
end
table.sort(rows, function(a, b) return a[1] < b[1] end)
local flat = {}
for _, row in ipairs(rows) do
  flat[#flat + 1] = row[1]; flat[#flat + 1] = row[2]; flat[#flat + 1] = row[3]
end
return flat
"""
)

DROP = """
return redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
"""


class RedisConversations:
    """What `RedisBackend` does for private conversations (see the module docstring)."""

    def __init__(
        self,
        keys: KeyLayout,
        script: Script,
        now_arg: Callable[[], int | str],
        subscribe: Subscribe,
        *,
        window_ms: int,
        max_events: int,
    ) -> None:
        self._keys = keys
        self._script = script
        self._subscribe = subscribe
        self._now_arg = now_arg
        self._window_ms = window_ms
        self._max_events = max_events

    @property
    def channel(self) -> str:
        return self._keys.channel(BUS)

    def _key(self, kind: str, name: str, what: str = "key") -> str:
        return self._keys.room(BUS, f"{kind}:{check_name(name, what)}")

    def _keys_of(self, conversation: str) -> list[str]:
        return [self._key(kind, conversation, "conversation") for kind in ("rec", "seq", "ev")]

    async def put(self, key: str, record: bytes, ttl: float) -> None:
        ttl_ms = seconds_to_ms(ttl)
        now = self._now_arg()
        expiry = 0 if now == "" else int(now) + ttl_ms
        value = _EXPIRY.pack(expiry) + check_blob(record, "record")
        await self._script(PUT, [self._key("rec", key)], [value, ttl_ms])

    async def get(self, key: str) -> bytes | None:
        found = await self._script(GET, [self._key("rec", key)], [])
        if found is None:
            return None
        value = bytes(found)
        (expiry,) = _EXPIRY.unpack_from(value)
        now = self._now_arg()
        if expiry and now != "" and expiry <= int(now):
            return None
        return value[_EXPIRY.size :]

    async def append(self, conversation: str, payload: bytes, ttl: float) -> int | None:
        (checked,) = check_payloads([payload])
        if await self.get(conversation) is None:  # ended, or past its end on a manual clock
            return None
        args = [
            self._now_arg(),
            self._window_ms,
            self._max_events,
            self._window_ms,
            seconds_to_ms(ttl),
            self.channel,
            conversation,
            checked,
        ]
        seq = await self._script(APPEND, self._keys_of(conversation), args)
        return None if seq is None else int(seq)

    async def replay(self, conversation: str, after: int) -> list[ConversationEvent]:
        key = self._key("ev", conversation, "conversation")
        rows = await self._script(REPLAY, [key], [self._now_arg(), self._window_ms, int(after)])
        return [
            ConversationEvent(conversation, int(rows[i]), int(rows[i + 1]), bytes(rows[i + 2]))
            for i in range(0, len(rows), 3)
        ]

    async def drop(self, conversation: str) -> None:
        await self._script(DROP, self._keys_of(conversation), [])

    @contextlib.asynccontextmanager
    async def events(self) -> AsyncIterator[AsyncIterator[ConversationEvent | Gap]]:
        """The conversation bus, as conversation events."""
        async with self._subscribe(BUS) as inbox:
            yield conversation_events(inbox)


class ConversationsOnRedis:
    """`Backend`'s private-conversation methods, for `RedisBackend` to inherit: each hands the
    call to the backend's `RedisConversations` (set as `_talk` in its constructor)."""

    _talk: RedisConversations

    async def put_conversation(self, key: str, record: bytes, ttl: float) -> None:
        await self._talk.put(key, record, ttl)

    async def get_conversation(self, key: str) -> bytes | None:
        return await self._talk.get(key)

    async def append_conversation(
        self, conversation: str, payload: bytes, ttl: float
    ) -> int | None:
        return await self._talk.append(conversation, payload, ttl)

    async def replay_conversation(self, conversation: str, after: int) -> list[ConversationEvent]:
        return await self._talk.replay(conversation, after)

    async def drop_conversation(self, conversation: str) -> None:
        await self._talk.drop(conversation)

    def subscribe_conversations(
        self,
    ) -> AbstractAsyncContextManager[AsyncIterator[ConversationEvent | Gap]]:
        return self._talk.events()
