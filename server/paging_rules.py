"""The pure rules of webhook delivery: when to try again, and what an answer means.

No clock, no randomness of its own: `now`, the last attempt's time and the jitter are passed
in, so the whole schedule is tested without sleeping (tests/server/test_paging_rules.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from enum import StrEnum

__all__ = [
    "GIVE_UP_AFTER",
    "JITTER",
    "REPEAT_EVERY",
    "RETRY_AFTER_CAP",
    "RETRY_AFTER_STATUSES",
    "RETRY_DELAYS",
    "Verdict",
    "classify",
    "next_attempt_at",
    "retry_after_seconds",
]

RETRY_DELAYS = (5.0, 30.0, 120.0, 300.0)
"""Seconds to wait after the 1st, 2nd, 3rd and 4th failed attempt (the first one is at once)."""
REPEAT_EVERY = 300.0
"""After those, wait this long ±`JITTER` between attempts."""
JITTER = 0.2
GIVE_UP_AFTER = 1800.0
"""No attempt starts later than this after the first one: a page older than that is stale."""
RETRY_AFTER_CAP = 60.0
"""The longest `Retry-After` we honour; a receiver asking for more is retried after this."""
RETRY_AFTER_STATUSES = frozenset({429, 502, 503, 504})


def next_attempt_at(
    first_at: float,
    attempts: int,
    last_at: float,
    *,
    retry_after: float | None = None,
    jitter: float = 0.0,
) -> float | None:
    """When to try again after `attempts` failed attempts, the last one started at `last_at`,
    or None to give up. `jitter` in [-1, 1] scales ±`JITTER` on the 5-minute repeats;
    `retry_after` (seconds, from the receiver) replaces the schedule's wait, capped at 60 s."""
    if retry_after is not None:
        wait = min(max(retry_after, 1.0), RETRY_AFTER_CAP)
    elif attempts <= len(RETRY_DELAYS):
        wait = RETRY_DELAYS[attempts - 1]
    else:
        wait = REPEAT_EVERY * (1 + JITTER * max(-1.0, min(1.0, jitter)))
    at = last_at + wait
    return at if at <= first_at + GIVE_UP_AFTER else None


class Verdict(StrEnum):
    """What one attempt's answer means."""

    DELIVERED = "delivered"
    RETRY = "retry"
    GONE = "gone"
    """410: the receiver says the endpoint is gone for good; it is disabled."""
    BROKEN = "broken"
    """Another 4xx: the configuration is wrong (bad token, bad URL); staff must fix it."""


def classify(status: int) -> Verdict:
    """The verdict on an HTTP status (3xx fails and is retried, never followed)."""
    if 200 <= status < 300:
        return Verdict.DELIVERED
    if status == 410:
        return Verdict.GONE
    if 400 <= status < 500 and status not in (408, 429):
        return Verdict.BROKEN
    return Verdict.RETRY


def retry_after_seconds(status: int, headers: Mapping[str, str], now: float) -> float | None:
    """The receiver's `Retry-After` (seconds or an HTTP date), if this status honours it."""
    value = headers.get("retry-after")
    if status not in RETRY_AFTER_STATUSES or not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None
