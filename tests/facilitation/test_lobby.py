"""The lobby (admit, deny, lapse) and raid protection."""

from __future__ import annotations

import facilitation as fx
from facilitation.join_rules import LOBBY_MAX_WAITING, RAID_SLOW_SECONDS
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


def _seated(m: Meeting, member: str) -> fx.Participant:
    who = m.state.participant(member)
    assert who is not None
    return who


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


def test_with_the_lobby_on_a_taken_name_and_a_free_one_get_the_same_answer() -> None:
    """A name probe learns nothing: everyone waits, whatever name they chose (issue 13)."""
    m = lobby_room()
    m.send(fx.SetLobby(False), "f")
    m.join("bea", name="Bea")
    m.send(fx.SetLobby(True), "f")
    taken = m.join("p1", name="bea", ticket="t1")
    free = m.join("p2", name="Carl", ticket="t2")
    assert taken == free == ["lobby.waiting"]
    assert [w.name for w in m.state.waiting] == ["bea", "Carl"]


def test_with_the_lobby_off_a_seated_name_is_refused() -> None:
    m = Meeting()
    m.join("bea", name="Bea")
    assert m.refused(fx.Join("b", "BEA", "bea", ticket="t2")) is R.NAME_TAKEN
    assert m.refused(fx.Join("g", "BEA", "bea", facilitator=True, ticket="t3")) is R.NAME_TAKEN


def test_a_name_taken_by_admission_time_gets_the_first_free_alternate() -> None:
    m = lobby_room()
    alternates = (("River 2", "river2"), ("River 3", "river3"))
    m.join("a", name="River", ticket="t1")
    m.send(fx.Join("b", "river", "river", ticket="t2", alternates=alternates))
    m.send(fx.Join("c", "RIVER", "river", ticket="t3", alternates=alternates[:1]))
    m.send(fx.Admit("t1"), "f")
    assert _seated(m, "a").name == "River"
    m.send(fx.Admit("t2"), "f")
    assert (_seated(m, "b").name, _seated(m, "b").name_key) == ("River 2", "river2")
    assert m.refused(fx.Admit("t3"), "f") is R.NAME_TAKEN  # every name it offered is in use
    assert [w.ticket for w in m.state.waiting] == ["t3"]  # still waiting: deny, or wait
    m.send(fx.Leave("b"))
    m.send(fx.Admit("t3"), "f")
    assert _seated(m, "c").name == "River 2"


def test_the_lobby_holds_at_most_its_cap() -> None:
    m = lobby_room()
    for i in range(LOBBY_MAX_WAITING):
        m.join(f"n{i}", name="Same", ticket=f"t{i}")
    assert len(m.state.waiting) == LOBBY_MAX_WAITING
    assert m.refused(fx.Join("late", "Late", "late", ticket="tl")) is R.LOBBY_FULL
    assert m.join("g", facilitator=True) == ["member.joined"]  # facilitators never wait
    m.send(fx.Deny("t0"), "f")
    assert m.join("late", name="Late", ticket="tl") == ["lobby.waiting"]


def test_a_waiting_newcomer_who_leaves_frees_their_place_at_once() -> None:
    m = lobby_room()
    m.join("a", name="River", ticket="t1")
    assert m.send(fx.Leave("a")) == ["lobby.denied"]
    assert m.state.waiting == ()


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
    assert m.wire(fx.RaidAlert) == {
        "event": "raid.alert",
        "joins": 5,
        "window_seconds": 30,
        "self_led": False,
    }
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
    m = Meeting(raid_joins=3, slow_seconds=60)
    m.join("f", facilitator=True)
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


def test_joins_from_a_known_source_do_not_count_towards_a_raid() -> None:
    """The node marks a join `new_source=False` when its network already joined the room in the
    window: ten identities from one address are one source (issue 13 item 4)."""
    m = Meeting(raid_joins=4)
    m.join("f", facilitator=True)
    m.join("a")
    for i in range(10):
        m.send(fx.Join(f"same{i}", f"Same {i}", f"same{i}", ticket=f"s{i}", new_source=False))
    assert not m.state.lobby
    m.join("b")
    m.join("c")
    assert m.state.lobby


def test_a_refused_join_does_not_count_towards_a_raid() -> None:
    m = Meeting(raid_joins=3)
    m.join("bea", name="Bea")
    for i in range(5):
        assert m.refused(fx.Join(f"probe{i}", "Bea", "bea", ticket=f"p{i}")) is R.NAME_TAKEN
    assert m.state.recent_joins == (T0,)
