"""Joining, leaving, dropping and coming back."""

from __future__ import annotations

import facilitation as fx
from tests.facilitation.harness import T0, Meeting

R = fx.Refusal


def speaking(*members: str, **settings: object) -> Meeting:
    """A round where `a` holds the floor and the others wait in order."""
    m = Meeting(**settings)
    m.join("f", facilitator=True)
    m.join_all(*members)
    for who in members:
        m.send(fx.RaiseHand(), who)
    m.send(fx.OpenRound(share_seconds=180), "f")
    return m


def test_joining_seats_a_member_in_join_order() -> None:
    m = Meeting()
    assert m.join("a") == ["member.joined"]
    assert m.wire(fx.MemberJoined) == {
        "event": "member.joined",
        "member": {
            "id": "a",
            "name": "A",
            "role": "member",
            "listen_only": False,
            "muted_until": None,
            "away": False,
            "hand": False,
            "listen_only_until": None,
        },
    }
    m.join("b")
    assert [p["id"] for p in fx.members_view(m.state)] == ["a", "b"]


def test_joining_as_a_facilitator() -> None:
    m = Meeting()
    assert m.join("f", facilitator=True) == ["member.joined"]
    assert m.member("f").role is fx.Role.FACILITATOR


def test_a_name_in_use_is_refused_case_insensitively() -> None:
    m = Meeting()
    m.join("a", name="River")
    code = m.refused(fx.Join("b", "RIVER", "river", ticket="t"))
    assert code is R.NAME_TAKEN


def test_a_locked_room_refuses_members_but_not_facilitators() -> None:
    m = Meeting(locked=True)
    assert m.refused(fx.Join("a", "A", "a", ticket="t")) is R.ROOM_LOCKED
    m.join("f", facilitator=True)


def test_joining_again_with_a_seated_id_is_a_reconnection() -> None:
    m = Meeting()
    m.join("a")
    m.send(fx.Disconnected("a"))
    assert m.join("a") == ["member.back"]
    assert m.join("a") == []
    assert len(m.state.participants) == 1
    assert m.join("a", facilitator=True) == ["member.updated"]
    assert m.member("a").role is fx.Role.FACILITATOR


def test_leaving() -> None:
    m = speaking("a", "b")
    m.at(10)
    assert m.send(fx.Leave("a")) == [
        "share.ended",
        "member.left",
        "floor.granted",
        "meeting.state",
    ]
    assert m.one(fx.ShareEnded).how is fx.ShareEndHow.LEFT
    assert m.wire(fx.MemberLeft) == {"event": "member.left", "member": "a", "reason": "left"}
    assert m.speaker == "b"
    assert m.refused(fx.Leave("a")) is R.NOT_PRESENT


def test_a_dropped_speaker_keeps_the_floor_through_the_grace_period_then_it_passes() -> None:
    m = speaking("a", "b")
    m.at(10)
    assert m.send(fx.Disconnected("a")) == ["member.away"]
    assert m.speaker == "a"
    assert m.state.floor is not None
    assert m.state.floor.away_deadline == T0 + 30
    assert fx.next_deadline(m.state) == T0 + 30
    assert m.tick(29) == []
    assert m.tick(30) == ["share.ended", "floor.granted", "meeting.state"]
    assert m.one(fx.ShareEnded) == fx.ShareEnded("a", fx.ShareEndHow.DISCONNECTED)
    assert m.speaker == "b"
    assert m.member("a").away  # the seat is still held


def test_a_speaker_back_within_the_grace_period_keeps_the_floor() -> None:
    m = speaking("a", "b")
    m.at(10)
    m.send(fx.Disconnected("a"))
    m.at(25)
    assert m.send(fx.Reconnected("a")) == ["member.back"]
    assert m.state.floor is not None
    assert m.state.floor.away_deadline is None
    assert m.tick(31) == []
    assert m.speaker == "a"
    assert m.tick(180) == ["share.warning", "share.ended", "floor.granted", "meeting.state"]
    assert m.speaker == "b"


def test_the_seat_is_released_after_the_hold() -> None:
    m = Meeting(seat_hold_seconds=300)
    m.join("f", facilitator=True)
    m.join("a")
    m.send(fx.RaiseHand(), "a")
    m.at(5)
    m.send(fx.Disconnected("a"))
    assert fx.next_deadline(m.state) == T0 + 305
    assert m.tick(304) == []
    assert m.tick(305) == ["member.left", "meeting.state"]
    assert m.wire(fx.MemberLeft) == {"event": "member.left", "member": "a", "reason": "timeout"}
    assert m.queue == []
    assert m.state.participant("a") is None
    m.join("a")  # a new join later is a fresh seat


def test_members_away_when_their_turn_comes_are_skipped() -> None:
    m = speaking("a", "b", "c")
    m.send(fx.Disconnected("b"))
    assert m.queue == ["b", "c"]  # they keep their place while away
    m.at(60)
    assert m.send(fx.ShareDone(), "a") == [
        "share.ended",
        "hand.lowered",
        "floor.granted",
        "meeting.state",
    ]
    assert m.one(fx.HandLowered).member == "b"
    assert m.speaker == "c"


def test_presence_commands_for_strangers_are_refused() -> None:
    m = Meeting()
    assert m.refused(fx.Disconnected("x")) is R.NOT_PRESENT
    assert m.refused(fx.Reconnected("x")) is R.NOT_PRESENT
    m.join("a")
    assert m.send(fx.Reconnected("a")) == []
    m.send(fx.Disconnected("a"))
    assert m.send(fx.Disconnected("a")) == []


def test_presence_commands_come_from_the_server_only() -> None:
    m = Meeting()
    m.join("a")
    assert m.refused(fx.Leave("a"), "a") is R.NOT_ALLOWED
    assert m.refused(fx.Tick(), "a") is R.NOT_ALLOWED
    assert m.refused(fx.Join("b", "B", "b"), "a") is R.NOT_ALLOWED


def test_away_members_cannot_send_commands() -> None:
    m = Meeting()
    m.join("a")
    m.send(fx.Disconnected("a"))
    assert m.refused(fx.RaiseHand(), "a") is R.NOT_JOINED
    assert m.refused(fx.RaiseHand(), "nobody") is R.NOT_JOINED
