"""The public meeting view, member objects and the stored form of the state."""

from __future__ import annotations

import json

import facilitation as fx
from tests.facilitation.harness import T0, Meeting


def test_the_public_view_has_the_protocol_shape() -> None:
    m = Meeting()
    m.join("f", facilitator=True)
    m.join_all("a", "b")
    assert m.view() == {
        "mode": "open",
        "base_mode": "open",
        "self_led": False,
        "locked": False,
        "slow_seconds": 0,
        "lobby": False,
        "paused_room": False,
        "hands": [],
        "round": None,
        "quiet": False,
        "format": None,
        "part": None,
    }
    m.send(fx.RaiseHand(), "a")
    m.send(fx.RaiseHand(), "b")
    m.send(fx.OpenRound("Gratitude", 180), "f")
    m.advance(20)
    assert m.view() == {
        "mode": "round",
        "base_mode": "open",
        "self_led": False,
        "locked": False,
        "slow_seconds": 0,
        "lobby": False,
        "paused_room": False,
        "hands": ["b"],
        "round": {
            "topic": "Gratitude",
            "order": "hands",
            "share_seconds": 180,
            "queue": ["b"],
            "paused": False,
            "floor": {
                "member": "a",
                "started_at": int(T0 * 1000),
                "ends_at": int((T0 + 180) * 1000),
                "remaining_ms": 160_000,
                "warned": False,
            },
        },
        "quiet": False,
        "format": None,
        "part": None,
    }
    json.dumps(m.view())


def test_the_meeting_state_event_carries_the_view() -> None:
    m = Meeting()
    m.join("a")
    m.send(fx.RaiseHand(), "a")
    assert m.wire(fx.MeetingStateChanged) == {"event": "meeting.state", "meeting": m.view()}


def test_member_objects() -> None:
    m = Meeting()
    m.join("f", facilitator=True)
    m.join("a", name="River")
    m.send(fx.RaiseHand(), "a")
    m.send(fx.Disconnected("a"))
    assert fx.member_view(m.state, "a") == {
        "id": "a",
        "name": "River",
        "role": "member",
        "listen_only": False,
        "muted_until": None,
        "away": True,
        "hand": True,
        "listen_only_until": None,
    }
    assert [v["id"] for v in fx.members_view(m.state)] == ["f", "a"]
    assert fx.members_view(m.state)[0]["role"] == "facilitator"


def test_serialization_round_trips_a_busy_state() -> None:
    m = Meeting(self_led=True, lobby=True)
    m.join("f", facilitator=True, marks=frozenset({"s:f", "d:1"}))
    m.send(fx.SetLobby(False), "f")
    m.join_all("a", "b", "c")
    m.send(fx.RaiseHand(), "a")
    m.send(fx.RaiseHand(), "b")
    m.send(fx.OpenRound("Hope", 300, fx.Order.HANDS), "f")
    m.send(fx.Mute("c", 600), "f")
    m.send(fx.Ban("c", 600, "spam"), "f")
    m.send(fx.Disconnected("a"))
    m.send(fx.PauseRound(), "f")
    m.send(fx.PauseRoom(), "f")
    m.join("d", ticket="t-d")
    data = fx.to_dict(m.state)
    assert json.loads(json.dumps(data)) == data
    assert fx.from_dict(json.loads(json.dumps(data))) == m.state


def test_unknown_state_formats_are_refused() -> None:
    data = fx.to_dict(fx.MeetingState.new())
    data["format"] = 99
    try:
        fx.from_dict(data)
    except ValueError:
        return
    raise AssertionError("format 99 was accepted")


def test_new_rejects_bad_settings() -> None:
    for bad in ({"base_mode": "round"}, {"default_share_seconds": 5}, {"raid_joins": 0}):
        try:
            fx.MeetingState.new(**bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad} was accepted")
    assert fx.MeetingState.new(base_mode="listen_only").base_mode is fx.Mode.LISTEN_ONLY
