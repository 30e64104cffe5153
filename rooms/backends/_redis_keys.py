"""Where the Redis backend keeps things: its key and channel names.

Key layout (prefix `sc` by default; every key of a room carries the hash tag `{room}`, so one
room lives on one Redis Cluster slot and its scripts stay atomic):

    sc:{room}:seq              counter of the room's events (no TTL; never goes backwards)
    sc:{room}:epoch            the history's random name (TTL `epoch_ttl_seconds`, refreshed on write)
    sc:{room}:stream           one entry per event in the window, id `<ms>-<seq>` (TTL window + 1 s)
    sc:{room}:payloads         hash seq -> payload of the events in the window (same TTL)
    sc:{room}:state            hash {v: version, d: meeting state}
    sc:{room}:presence         zset key -> expiry (ms)
    sc:{room}:presence-info    hash key -> info
    sc:{room}:events           the pub/sub channel (msgpack [seq, epoch, ts_ms, payload])
    sc:claim:<key>             claims (`claim`; one key per claim)
    sc:session:<key>           session records (TTL: what is left of the session's lifetime)
    sc:rooms                   hash slug -> room config (one key, so one slot)

No command or script touches keys of two rooms, so every multi-key step runs on one slot's master.
"""

from __future__ import annotations

from dataclasses import dataclass

from rooms.backends._wire import check_name

__all__ = ["KeyLayout"]


@dataclass(frozen=True, slots=True)
class KeyLayout:
    """The names of one backend's keys and channels, under `prefix` (no braces; checked by
    `RedisBackend`)."""

    prefix: str

    @property
    def rooms(self) -> str:
        return f"{self.prefix}:rooms"

    def room(self, room: str, name: str) -> str:
        if "{" in check_name(room) or "}" in room:
            raise ValueError("a room name must not contain braces (they delimit its hash tag)")
        return f"{self.prefix}:{{{room}}}:{name}"

    def channel(self, room: str) -> str:
        return self.room(room, "events")

    def room_of_channel(self, channel: bytes) -> str | None:
        head, tail = f"{self.prefix}:{{".encode(), b"}:events"
        if not (channel.startswith(head) and channel.endswith(tail)):
            return None
        return channel[len(head) : -len(tail)].decode()

    def session(self, key: str) -> str:
        return f"{self.prefix}:session:{check_name(key, 'key')}"

    def claim(self, key: str) -> str:
        return f"{self.prefix}:claim:{check_name(key, 'key')}"
