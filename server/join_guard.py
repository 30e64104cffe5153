"""Joins per client address: so one client cannot flood a lobby, probe names or trip a raid.

Four things are kept per address key (`limits.address_key`: an IPv4 address, or an IPv6 /64),
all in this node's memory only, never written anywhere:

- a leaky bucket of `join` commands (`join_rate_per_address`); past it, `rate_limited`;
- a leaky bucket of *refused* joins (`failed_join_rate_per_address`): someone trying names,
  invites or rooms one after another is slowed down long before they learn much; while it is
  full, every join from the address is `rate_limited`;
- the places its connections hold in each room's lobby (`lobby_waiting_per_address`; the next
  gets `lobby_full`), reserved before the join runs so that concurrent joins cannot overshoot;
- which rooms it joined within the raid window: only the first join of an address in a window
  counts towards the room's raid protection (`Join.new_source`), so ten joins from one client
  are one source, and ten addresses are ten.

Why the defaults (20 joins and 10 refused joins a minute, 5 waiting per room): a household or
a small group behind one NAT address joining a meeting together makes a handful of joins and
perhaps a couple of retries for a taken name; a flood makes hundreds a second (issue 13: 20
sockets made 2,000 lobby entries in 4.3 s). A shelter or a clinic bringing a whole group
through one address should raise them (docs/configuration.md).

Each node counts for itself, as the connection limits do (server/limits.py): one address that
spreads its joins over several nodes gets each node's allowance, and counts once per node
towards a room's raid protection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiolimiter import AsyncLimiter

from server.rates import SWEEP_AT_LEAST, Rate, take_now, wait_ms
from server.settings import Settings

__all__ = ["Buckets", "JoinGuard", "join_guard"]


@dataclass(slots=True)
class Buckets:
    """One leaky bucket per address key, made on first use and swept when idle."""

    rate: Rate
    _buckets: dict[str, AsyncLimiter] = field(default_factory=dict)
    _sweep_at: int = SWEEP_AT_LEAST

    def wait_ms(self, key: str) -> int | None:
        """None if the key's bucket has room now, else the milliseconds until it has."""
        bucket = self._buckets.get(key)
        return None if bucket is None else wait_ms(bucket)

    async def take(self, key: str) -> int | None:
        """Take one unit if there is room (never waits); else the milliseconds until there is."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = self.rate.bucket()
            self._sweep()
        return await take_now(bucket)

    def _sweep(self) -> None:
        if len(self._buckets) < self._sweep_at:
            return
        for key, bucket in list(self._buckets.items()):
            if bucket.has_capacity(bucket.max_rate):
                del self._buckets[key]
        self._sweep_at = max(SWEEP_AT_LEAST, 2 * len(self._buckets))


@dataclass(slots=True)
class JoinGuard:
    """What one node remembers about joins per address key (no I/O; `now` is passed in)."""

    joins: Buckets | None
    failures: Buckets | None
    waiting_per_room: int
    """0: no limit."""
    raid_window_seconds: float
    _places: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Connection id → (room, address key) of each lobby place held."""
    _held: dict[tuple[str, str], int] = field(default_factory=dict)
    _sources: dict[str, dict[str, float]] = field(default_factory=dict)
    """Room → address key → when it last joined (pruned to the raid window on each look)."""

    async def admit(self, key: str) -> int | None:
        """Before a join: None if it may run, else `retry_after_ms` for `rate_limited`."""
        if self.failures is not None:
            wait = self.failures.wait_ms(key)
            if wait is not None:
                return wait
        return None if self.joins is None else await self.joins.take(key)

    async def refused(self, key: str) -> None:
        """A join from `key` was refused: count it towards the refused-join limit."""
        if self.failures is not None:
            await self.failures.take(key)

    def reserve_place(self, conn_id: str, room: str, key: str) -> bool:
        """Hold a lobby place for this connection; False when the address holds them all."""
        place = (room, key)
        held = self._held.get(place, 0)
        if self.waiting_per_room and held >= self.waiting_per_room:
            return False
        self.release_place(conn_id)  # a connection waits in one lobby at a time
        self._held[place] = self._held.get(place, 0) + 1
        self._places[conn_id] = place
        return True

    def release_place(self, conn_id: str) -> None:
        """The connection no longer waits (seated, refused, turned away or gone); idempotent."""
        place = self._places.pop(conn_id, None)
        if place is None:
            return
        left = self._held[place] - 1
        if left:
            self._held[place] = left
        else:
            del self._held[place]

    def waiting(self, room: str, key: str) -> int:
        return self._held.get((room, key), 0)

    def new_source(self, room: str, key: str, now: float) -> bool:
        """Whether a join from `key` would be the first from it in the room's raid window."""
        return room not in self._sources or key not in self._recent(room, now)

    def saw_join(self, room: str, key: str, now: float) -> None:
        """Remember a join that went through (a refused one counts for nothing)."""
        self._recent(room, now)[key] = now

    def _recent(self, room: str, now: float) -> dict[str, float]:
        seen = self._sources.setdefault(room, {})
        start = now - self.raid_window_seconds
        for key in [k for k, at in seen.items() if at <= start]:
            del seen[key]
        return seen


def _buckets(rate: str | None) -> Buckets | None:
    return Buckets(Rate.parse(rate)) if rate else None


def join_guard(settings: Settings) -> JoinGuard:
    return JoinGuard(
        joins=_buckets(settings.join_rate_per_address),
        failures=_buckets(settings.failed_join_rate_per_address),
        waiting_per_room=settings.lobby_waiting_per_address,
        raid_window_seconds=float(settings.raid_window_seconds),
    )
