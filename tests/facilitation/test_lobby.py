"""The lobby (admit, deny, lapse) and raid protection."""

from __future__ import annotations

import facilitation as fx
from facilitation.rules import RAID_SLOW_SECONDS
from tests.facilitation.harness import T0, Meeting

R = fx.Refusal


def lobby_room(**settings: object) -> Meeting:
    m = Meeting(lobby=True, **settings)
    m.join("f", facilitator=True)
    return m


def test_newcomers_wait_in_the_lobby_and_facilitators_see_them() -> None:
    m = lobby_room()
    assert m.join("a", name="River", ticket="t1") == ["lobby.waiting"]
    assert fx.LobbyWaiting.AUDIENCE == "facilitators"
    assert m.wire(fx.LobbyWaiting) == {"event": "lobby.waiting", "ticket": "t1", "name": "River"}
    assert m.state.participant("a") is None
    assert [w.ticket for w in m.state.waiting] == ["t1"]


def test_facilitators_skip_the_lobby() -> None:
    m = lobby_room()
    assert m.join("g", facilitator=True) == ["member.joined"]


def test_admit_seats_the_newcomer() -> None:
    m = lobby_room()
    m.join("a", ticket="t1")
    assert m.send(fx.Admit("t1"), "f") == ["member.joined", "lobby.admitted", "moderation"]
    assert m.wire(fx.LobbyAdmitted) == {"event": "lobby.admitted", "ticket": "t1", "member": "a"}
    assert m.one(fx.Moderation).target == "a"
    assert m.state.participant("a") is not None
    assert m.state.waiting == ()
    assert m.refused(fx.Admit("t1"), "f") is R.NOT_PRESENT


def test_deny_turns_the_newcomer_away() -> None:
    m = lobby_room()
    m.join("a", ticket="t1")
    assert m.send(fx.Deny("t1"), "f") == ["lobby.denied", "moderation"]
    assert m.wire(fx.LobbyDenied) == {"event": "lobby.denied", "ticket": "t1"}
    assert m.state.waiting == ()
    assert m.refused(fx.Deny("t1"), "f") is R.NOT_PRESENT


def test_a_waiting_name_is_kept_free() -> None:
    m = lobby_room()
    m.join("a", name="River", ticket="t1")
    assert m.refused(fx.Join("b", "river", "river", ticket="t2")) is R.NAME_TAKEN
    assert m.refused(fx.Join("g", "RIVER", "river", facilitator=True, ticket="t3")) is (
        R.NAME_TAKEN
    )


def test_a_ticket_lapses_and_a_waiting_newcomer_who_leaves_goes() -> None:
    m = lobby_room(lobby_ticket_seconds=600)
    m.join("a", ticket="t1")
    m.at(100)
    m.join("b", ticket="t2")
    assert fx.next_deadline(m.state) == T0 + 600
    assert m.tick(600) == ["lobby.denied"]
    assert m.one(fx.LobbyDenied).ticket == "t1"
    assert m.send(fx.Disconnected("b")) == ["lobby.denied"]
    assert m.state.waiting == ()


def test_a_newcomer_waiting_twice_keeps_only_the_newest_ticket() -> None:
    m = lobby_room()
    m.join("a", ticket="t1")
    assert m.join("a", ticket="t2") == ["lobby.denied", "lobby.waiting"]
    assert [w.ticket for w in m.state.waiting] == ["t2"]


def test_admission_checks_bans_again() -> None:
    """Someone on the same device was banned while the newcomer waited."""
    m = lobby_room()
    m.send(fx.SetLobby(False), "f")
    m.join("x", marks=frozenset({"device:1"}))
    m.send(fx.SetLobby(True), "f")
    m.join("a", ticket="t1", marks=frozenset({"device:1", "session:a"}))
    m.send(fx.Ban("x", 600), "f")
    assert m.refused(fx.Admit("t1"), "f") is R.BANNED
    m.tick(600)
    m.send(fx.Admit("t1"), "f")


def test_turning_the_lobby_off_admits_nobody() -> None:
    m = lobby_room()
    m.join("a", ticket="t1")
    assert m.send(fx.SetLobby(False), "f") == ["moderation", "meeting.state"]
    assert [w.ticket for w in m.state.waiting] == ["t1"]
    assert m.join("b") == ["member.joined"]


def test_observer_admission() -> None:
    m = lobby_room()
    lobby = fx.admission(m.state, marks=frozenset(), facilitator=False, now=m.now)
    assert lobby is not None
    assert lobby.code is R.LOBBY
    assert fx.admission(m.state, marks=frozenset(), facilitator=True, now=m.now) is None
    m.send(fx.SetLobby(False), "f")
    m.send(fx.SetLock(True), "f")
    locked = fx.admission(m.state, marks=frozenset(), facilitator=False, now=m.now)
    assert locked is not None
    assert locked.code is R.ROOM_LOCKED


def test_a_raid_turns_the_lobby_on_and_slows_the_room() -> None:
    m = Meeting(raid_joins=5, raid_window_seconds=30)
    m.join("f", facilitator=True)
    for i in range(3):
        m.at(i * 5)
        m.join(f"m{i}")
    m.at(31)  # the first two joins fall out of the window
    m.join("m3")
    assert not m.state.lobby
    m.at(32)
    m.join("m4")
    m.at(33)
    assert m.join("m5", ticket="t5") == [
        "raid.alert",
        "moderation",
        "moderation",
        "lobby.waiting",
        "meeting.state",
    ]
    assert m.wire(fx.RaidAlert) == {"event": "raid.alert", "joins": 5, "window_seconds": 30}
    logs = [fx.to_wire(e) for e in m.events if isinstance(e, fx.Moderation)]
    assert [(log["action"], log["by"], log["value"]) for log in logs] == [
        ("lobby.set", None, True),
        ("slow.set", None, RAID_SLOW_SECONDS),
    ]
    assert m.state.lobby
    assert m.state.slow_seconds == RAID_SLOW_SECONDS
    assert m.view()["lobby"] is True
    assert m.state.participant("m5") is None  # the join that tipped it waits


def test_raid_protection_never_lowers_slow_mode() -> None:
    m = Meeting(raid_joins=2, slow_seconds=60)
    m.join("a")
    m.join("b")
    assert m.state.lobby
    assert m.state.slow_seconds == 60
    assert m.names().count("moderation") == 1


def test_rejoining_members_do_not_count_towards_a_raid() -> None:
    m = Meeting(raid_joins=3)
    m.join("a")
    m.join("b")
    for _ in range(5):
        m.join("a")
    assert not m.state.lobby
