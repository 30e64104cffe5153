"""The delivery rules without a network: the retry schedule, status verdicts, Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from server.paging_rules import (
    GIVE_UP_AFTER,
    Verdict,
    classify,
    next_attempt_at,
    retry_after_seconds,
)

T0 = 1_800_000_000.0


def schedule(jitters: list[float]) -> list[float]:
    """Offsets from the first attempt of every attempt, each failing, until the schedule ends."""
    times, last = [0.0], T0
    for attempts, jitter in enumerate(jitters, start=1):
        at = next_attempt_at(T0, attempts, last, jitter=jitter)
        if at is None:
            break
        times.append(at - T0)
        last = at
    return times


def test_retries_at_once_5s_30s_2min_5min_then_every_5min_for_30min() -> None:
    assert schedule([0.0] * 50) == [0, 5, 35, 155, 455, 755, 1055, 1355, 1655]


def test_the_repeats_jitter_by_at_most_a_fifth() -> None:
    early = schedule([-1.0] * 50)
    late = schedule([1.0] * 50)
    assert early[:6] == [0, 5, 35, 155, 455, 455 + 240]
    assert late[:6] == [0, 5, 35, 155, 455, 455 + 360]
    assert early[-1] <= GIVE_UP_AFTER
    assert late[-1] <= GIVE_UP_AFTER


def test_no_attempt_starts_after_thirty_minutes() -> None:
    assert next_attempt_at(T0, 9, T0 + 1700, jitter=0.0) is None
    assert next_attempt_at(T0, 2, T0 + 1790, retry_after=10) == T0 + 1800
    assert next_attempt_at(T0, 2, T0 + 1790, retry_after=11) is None


@pytest.mark.parametrize(
    ("retry_after", "wait"), [(20.0, 20.0), (0.0, 1.0), (600.0, 60.0), (60.0, 60.0)]
)
def test_retry_after_replaces_the_wait_capped_at_a_minute(retry_after: float, wait: float) -> None:
    assert next_attempt_at(T0, 4, T0 + 100, retry_after=retry_after) == T0 + 100 + wait


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.DELIVERED),
        (204, Verdict.DELIVERED),
        (301, Verdict.RETRY),
        (308, Verdict.RETRY),
        (400, Verdict.BROKEN),
        (401, Verdict.BROKEN),
        (403, Verdict.BROKEN),
        (404, Verdict.BROKEN),
        (408, Verdict.RETRY),
        (410, Verdict.GONE),
        (429, Verdict.RETRY),
        (500, Verdict.RETRY),
        (502, Verdict.RETRY),
        (503, Verdict.RETRY),
        (504, Verdict.RETRY),
    ],
)
def test_only_2xx_delivers(status: int, verdict: Verdict) -> None:
    assert classify(status) is verdict


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after_seconds(429, {"retry-after": "7"}, T0) == 7.0
    when = format_datetime(datetime.fromtimestamp(T0 + 42, UTC), usegmt=True)
    assert retry_after_seconds(503, {"retry-after": when}, T0) == 42.0
    assert retry_after_seconds(503, {"retry-after": "soon"}, T0) is None
    assert retry_after_seconds(503, {}, T0) is None


def test_retry_after_counts_only_where_it_means_back_off() -> None:
    assert retry_after_seconds(500, {"retry-after": "7"}, T0) is None
    assert retry_after_seconds(301, {"retry-after": "7"}, T0) is None
    for status in (429, 502, 503, 504):
        assert retry_after_seconds(status, {"retry-after": "7"}, T0) == 7.0
