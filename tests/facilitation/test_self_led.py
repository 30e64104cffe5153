"""Self-led rooms: rounds that run themselves while no facilitator is present."""

from __future__ import annotations

import facilitation as fx
from tests.facilitation.harness import T0, Meeting

R = fx.Refusal


def self_led(*members: str) -> Meeting:
    m = Meeting(self_led=True, default_share_seconds=120)
    m.join_all(*members)
    return m


def test_a_raised_hand_opens_a_round_and_takes_the_floor() -> None:
    m = self_led("a", "b")
    assert m.view()["self_led"] is True
    m.at(5)
    assert m.send(fx.RaiseHand(), "a") == [
        "hand.raised",
        "round.opened",
        "floor.granted",
        "meeting.state",
    ]
    assert m.wire(fx.RoundOpened) == {
        "event": "round.opened",
        "topic": "",
        "share_seconds": 120,
        "order": "hands",
        "by": None,
    }
    assert m.one(fx.FloorGranted) == fx.FloorGranted("a", T0 + 125)
    rnd = m.state.round
    assert rnd is not None
    assert rnd.self_led


def test_turns_advance_on_the_clock_and_the_round_ends_by_itself() -> None:
    m = self_led("a", "b")
    m.send(fx.RaiseHand(), "a")
    m.send(fx.RaiseHand(), "b")
    assert m.queue == ["b"]
    m.tick(90)
    assert m.tick(120) == ["share.ended", "floor.granted", "meeting.state"]
    assert m.speaker == "b"
    m.at(130)
    assert m.send(fx.ShareDone(), "b") == ["share.ended", "round.ended", "meeting.state"]
    assert m.one(fx.RoundEnded).by is None
    assert m.state.round is None


def test_nobody_gains_facilitator_powers() -> None:
    m = self_led("a", "b")
    m.send(fx.RaiseHand(), "a")
    assert m.refused(fx.Skip(), "b") is R.NOT_FACILITATOR
    assert m.refused(fx.EndRound(), "a") is R.NOT_FACILITATOR
    assert m.refused(fx.OpenRound(), "b") is R.NOT_FACILITATOR


def test_a_facilitator_arriving_takes_the_round_over() -> None:
    m = self_led("a", "b")
    m.send(fx.RaiseHand(), "a")
    assert m.join("f", facilitator=True) == ["member.joined", "meeting.state"]
    rnd = m.state.round
    assert rnd is not None
    assert not rnd.self_led
    assert m.view()["self_led"] is False
    m.send(fx.ShareDone(), "a")
    assert m.state.round is not None  # a facilitator's hands round waits
    m.send(fx.EndRound(), "f")


def test_a_facilitator_leaving_hands_the_round_back_to_the_room() -> None:
    m = self_led("a", "b")
    m.join("f", facilitator=True)
    m.send(fx.RaiseHand(), "a")  # a facilitator is present: no round opens
    assert m.state.round is None
    assert m.queue == ["a"]
    m.send(fx.OpenRound(), "f")
    m.send(fx.Disconnected("f"))
    rnd = m.state.round
    assert rnd is not None
    assert rnd.self_led
    assert m.send(fx.ShareDone(), "a") == ["share.ended", "round.ended", "meeting.state"]


def test_hands_waiting_when_the_facilitator_goes_open_a_self_led_round() -> None:
    m = self_led("a")
    m.join("f", facilitator=True)
    m.send(fx.RaiseHand(), "a")
    assert m.send(fx.Leave("f")) == [
        "member.left",
        "round.opened",
        "floor.granted",
        "meeting.state",
    ]
    assert m.speaker == "a"


def test_a_room_that_is_not_self_led_only_queues_hands() -> None:
    m = Meeting()
    m.join_all("a")
    assert m.send(fx.RaiseHand(), "a") == ["hand.raised", "meeting.state"]
    assert m.state.round is None
    assert m.view()["self_led"] is False
