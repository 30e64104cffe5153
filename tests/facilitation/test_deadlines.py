"""next_deadline: when the server must wake the engine."""

from __future__ import annotations

import facilitation as fx
from tests.facilitation.harness import T0, Meeting


def test_an_idle_room_needs_no_clock() -> None:
    m = Meeting()
    m.join_all("a", "b")
    assert fx.next_deadline(m.state) is None


def test_the_earliest_deadline_wins() -> None:
    m = Meeting(grace_seconds=20, seat_hold_seconds=300)
    m.join("f", facilitator=True)
    m.join_all("a", "b")
    m.send(fx.RaiseHand(), "a")
    m.send(fx.OpenRound(share_seconds=600), "f")
    assert fx.next_deadline(m.state) == T0 + 570  # the warning
    m.send(fx.Mute("b", 100), "f")
    assert fx.next_deadline(m.state) == T0 + 100
    m.at(10)
    m.send(fx.Disconnected("a"))
    assert fx.next_deadline(m.state) == T0 + 30  # the speaker's grace
    m.tick(30)
    assert fx.next_deadline(m.state) == T0 + 100
    m.tick(100)
    assert fx.next_deadline(m.state) == T0 + 310  # a's seat hold


def test_a_zero_grace_period_ends_the_share_in_the_same_decision() -> None:
    m = Meeting(grace_seconds=0)
    m.join("f", facilitator=True)
    m.join("a")
    m.send(fx.RaiseHand(), "a")
    m.send(fx.OpenRound(), "f")
    assert m.send(fx.Disconnected("a")) == ["member.away", "share.ended", "meeting.state"]
