"""Quiet mode: a raid on a room with no facilitator present (issue 14 item 6).

Members already seated carry on; newcomers read but listen for `raid_listen_only_seconds`; slow
mode goes up; `raid.alert` says `self_led`; and it all undoes itself when the burst passes.
"""

from __future__ import annotations

import facilitation as fx
from facilitation.join_rules import RAID_SLOW_SECONDS
from facilitation.raid_rules import RAID_QUIET_MAX_SECONDS, RAID_QUIET_WINDOWS
from tests.facilitation.harness import T0, Meeting

R = fx.Refusal
WINDOW = 30


def raided(*, seated: tuple[str, ...] = ("a", "b"), slow: int = 0, **settings: object) -> Meeting:
    """A room with `seated` members and no facilitator, then a raid of 3 newcomers at t=10."""
    m = Meeting(raid_joins=3, raid_window_seconds=WINDOW, slow_seconds=slow, **settings)
    for who in seated:
        m.send(fx.Join(who, who.upper(), who, ticket=f"t-{who}", new_source=False))
    m.at(10)
    m.join_all("r1", "r2")
    m.join("r3")
    return m


def test_a_raid_with_nobody_facilitating_quiets_the_room_instead_of_locking_it() -> None:
    m = raided()
    assert m.names() == ["raid.alert", "moderation", "member.joined", "meeting.state"]
    assert m.wire(fx.RaidAlert) == {
        "event": "raid.alert",
        "joins": 3,
        "window_seconds": WINDOW,
        "self_led": True,
    }
    log = m.wire(fx.Moderation)
    assert (log["action"], log["by"], log["value"]) == ("slow.set", None, RAID_SLOW_SECONDS)
    assert not m.state.lobby
    assert m.state.slow_seconds == RAID_SLOW_SECONDS
    assert m.view()["quiet"] is True
    assert m.member("r3").listen_only  # the join that tipped it over is a newcomer too


def test_members_seated_before_the_raid_are_undisturbed() -> None:
    m = raided()
    for who in ("a", "b", "r1", "r2"):
        assert not m.member(who).listen_only, who
        assert m.member(who).listen_only_until is None
    assert isinstance(fx.may_post(m.state, fx.Actor("a"), m.now), fx.PostAllowed)
    assert m.send(fx.RaiseHand(), "a") == ["hand.raised", "meeting.state"]


def test_newcomers_read_but_cannot_post_or_raise_a_hand_and_are_told_why() -> None:
    m = raided()
    m.join("n")
    newcomer = m.member("n")
    assert newcomer.listen_only
    assert newcomer.listen_only_until == m.now + 300
    assert m.wire(fx.MemberJoined)["member"]["listen_only_until"] == int((m.now + 300) * 1000)  # type: ignore[index]
    refused = fx.may_post(m.state, fx.Actor("n"), m.now)
    assert isinstance(refused, fx.Refused)
    assert refused.code is R.LISTEN_ONLY
    assert "quiet mode" in refused.detail
    assert m.refused(fx.RaiseHand(), "n") is R.LISTEN_ONLY
    assert m.refused(fx.SetListenOnly(False), "n") is R.NOT_ALLOWED
    assert fx.may_react(m.state, fx.Actor("n")) is None  # reading and reacting stay open


def test_a_newcomer_listens_for_their_own_time_then_may_speak() -> None:
    m = raided(raid_listen_only_seconds=120)
    m.at(50)
    m.join("late")
    names = m.tick(10 + 120)  # quiet mode ended at 110 on the way; r3's time is up at 130
    assert names.index("raid.settled") < names.index("member.updated")
    assert m.wire(fx.MemberUpdated)["member"] == {
        "id": "r3",
        "name": "R3",
        "role": "member",
        "listen_only": False,
        "muted_until": None,
        "away": False,
        "hand": False,
        "listen_only_until": None,
    }
    assert m.member("late").listen_only  # their own time runs on after quiet mode ended
    assert fx.next_deadline(m.state) == T0 + 50 + 120
    assert m.tick(170) == ["member.updated"]
    assert not m.member("late").listen_only


def test_quiet_mode_ends_a_quiet_period_after_the_last_counted_join() -> None:
    m = raided(slow=5)
    m.at(40)
    m.join("r4")  # still coming: the end moves on
    end = 40 + RAID_QUIET_WINDOWS * WINDOW
    assert m.tick(end - 1) == []
    names = m.tick(end + 500)  # a late tick fires everything at its own time
    assert "raid.settled" in names
    assert m.state.quiet is None
    assert m.state.slow_seconds == 5  # given back
    assert m.view()["quiet"] is False
    assert m.wire(fx.RaidSettled) == {"event": "raid.settled", "slow_seconds": 5}
    gave_back = [fx.to_wire(e) for e in m.events if isinstance(e, fx.Moderation)]
    assert [(e["action"], e["by"], e["value"]) for e in gave_back] == [("slow.set", None, 5)]
    assert not any(p.listen_only for p in m.state.participants)  # every hold lapsed too


def test_the_settled_event_comes_at_its_own_time_before_a_later_command() -> None:
    m = raided()
    m.at(10 + RAID_QUIET_WINDOWS * WINDOW + 1)
    names = m.send(fx.RaiseHand(), "a")
    assert names.index("raid.settled") < names.index("hand.raised")


def test_a_facilitators_slow_mode_is_not_undone() -> None:
    m = raided()
    m.join("f", facilitator=True)
    m.send(fx.SetSlow(45), "f")
    m.tick(10 + RAID_QUIET_WINDOWS * WINDOW)
    assert "raid.settled" in m.names()
    assert m.state.slow_seconds == 45
    assert not any(isinstance(e, fx.Moderation) for e in m.events)


def test_a_trickle_of_joins_cannot_keep_the_room_quiet_forever() -> None:
    m = raided()
    t = 10.0
    while t < RAID_QUIET_MAX_SECONDS:
        t += WINDOW * RAID_QUIET_WINDOWS - 1
        m.at(t)
        m.join(f"x{int(t)}")
    assert m.state.quiet is None
    assert m.state.slow_seconds == 0


def test_a_facilitator_arriving_leaves_quiet_mode_to_end_by_itself() -> None:
    m = raided()
    m.join("f", facilitator=True)
    assert m.state.quiet is not None
    assert not m.member("f").listen_only
    m.join("n")
    assert m.member("n").listen_only_until is not None  # still quiet: no lobby, no new alert
    assert "raid.alert" not in m.names()
    assert not m.state.lobby
    m.tick(10 + RAID_QUIET_WINDOWS * WINDOW)
    assert m.state.quiet is None


def test_a_facilitator_can_lift_or_keep_a_newcomers_listen_only() -> None:
    m = raided()
    m.join("f", facilitator=True)
    m.join("n")
    m.send(fx.AssignListenOnly("r3", False), "f")
    assert not m.member("r3").listen_only
    m.send(fx.AssignListenOnly("n", True), "f")
    assert m.member("n").listen_only_until is None  # the facilitator's choice now
    assert m.wire(fx.MemberUpdated)["member"]["listen_only_until"] is None  # type: ignore[index]
    m.tick(2000)
    assert m.member("n").listen_only  # never lifted by quiet mode


def test_listen_only_a_member_chose_is_never_lifted() -> None:
    m = Meeting(raid_joins=3)
    m.send(fx.Join("a", "A", "a", new_source=False))
    m.send(fx.SetListenOnly(True), "a")
    m.join_all("r1", "r2", "r3")
    m.tick(3000)
    assert m.member("a").listen_only


def test_with_a_facilitator_present_a_raid_still_turns_the_lobby_on() -> None:
    m = Meeting(raid_joins=3)
    m.send(fx.Join("f", "F", "f", facilitator=True, new_source=False))
    m.join_all("a", "b")
    m.join("c")
    assert m.wire(fx.RaidAlert)["self_led"] is False
    assert m.state.lobby
    assert m.state.quiet is None
    assert m.state.participant("c") is None  # waits in the lobby


def test_an_away_facilitator_is_not_watching() -> None:
    m = Meeting(raid_joins=3)
    m.send(fx.Join("f", "F", "f", facilitator=True, new_source=False))
    m.send(fx.Disconnected("f"))
    m.join_all("a", "b", "c")
    assert m.wire(fx.RaidAlert)["self_led"] is True
    assert not m.state.lobby


def test_a_hold_that_ends_during_a_pause_waits_for_the_unpause() -> None:
    m = raided()
    m.join("f", facilitator=True)
    m.send(fx.PauseRoom(), "f")
    assert m.member("r3").listen_only_until is not None  # held by quiet mode, not the pause
    m.tick(2000)
    assert m.member("r3").listen_only
    assert "r3" in m.state.pause_listen_only
    m.send(fx.UnpauseRoom(), "f")
    assert not m.member("r3").listen_only


def test_a_newcomer_admitted_during_a_pause_and_quiet_mode_is_held_by_quiet_mode() -> None:
    m = raided()
    m.join("f", facilitator=True)
    m.send(fx.PauseRoom(), "f")
    m.join("n")  # the pause holds joins in the lobby
    m.send(fx.Admit("t-n"), "f")
    assert m.member("n").listen_only_until is not None
    assert "n" not in m.state.pause_listen_only


def test_no_hold_when_the_setting_is_zero() -> None:
    m = raided(raid_listen_only_seconds=0)
    assert m.state.quiet is not None
    assert not m.member("r3").listen_only


def test_quiet_mode_survives_the_stored_form() -> None:
    m = raided(slow=5)
    m.join("n")
    stored = fx.from_dict(fx.to_dict(m.state))
    assert stored == m.state
    assert stored.quiet == fx.QuietMode(T0 + 10, T0 + 10, 5)


def test_states_stored_before_quiet_mode_still_load() -> None:
    m = Meeting()
    m.join("a")
    data = fx.to_dict(m.state)
    del data["quiet"]
    del data["settings"]["raid_listen_only_seconds"]
    for p in data["participants"]:
        del p["listen_only_until"]
    assert fx.from_dict(data) == m.state
