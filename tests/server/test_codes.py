"""Error codes come from one place per layer, and the server's table is their union."""

from __future__ import annotations

import facilitation as fx
from rooms.errors import RoomsCode
from rooms.oncall import OnCallRefusal
from server.codes import ErrorCode, ServerCode
from server.rates import ConnectionRates, Rate


def test_error_codes_are_the_union_of_the_four_layers() -> None:
    enums = (fx.Refusal, RoomsCode, OnCallRefusal, ServerCode)
    layers = [{c.value for c in enum} for enum in enums]
    assert {c.value for c in ErrorCode} == set().union(*layers)
    assert sum(len(values) for values in layers) == len(ErrorCode)  # no code in two layers


async def test_retry_after_is_the_buckets_own_wait() -> None:
    """protocol.md §5: `retry_after_ms` is how long the limit takes to make room again."""
    rates = ConnectionRates(Rate(5, 5.0), Rate(120, 60.0), Rate(1000, 60.0))
    assert [await rates.post() for _ in range(5)] == [None] * 5
    assert await rates.post() == 1000
    assert [await rates.command() for _ in range(120)] == [None] * 120
    assert await rates.command() == 500
