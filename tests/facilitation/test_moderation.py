"""Moderation: what facilitators can do to people and to the room, and what they cannot."""

from __future__ import annotations

import pytest

import facilitation as fx
from facilitation.rules import MODERATION_ACTIONS, REQUIRED_ROLE
from tests.facilitation.harness import T0, Meeting
from tests.facilitation.samples import SAMPLES

R = fx.Refusal


def room(*members: str, **settings: object) -> Meeting:
    m = Meeting(**settings)
    m.join("f", facilitator=True)
    m.join("g", facilitator=True)
    m.join_all(*members)
    return m


def posting(m: Meeting, member: str) -> fx.Refused | fx.PostAllowed:
    return fx.may_post(m.state, fx.Actor(member), m.now)


FACILITATOR_ONLY = sorted(
    (k for k, roles in REQUIRED_ROLE.items() if fx.Role.MEMBER not in roles),
    key=lambda k: k.__name__,
)


@pytest.mark.parametrize("kind", FACILITATOR_ONLY, ids=lambda k: k.__name__)
def test_members_cannot_use_facilitator_commands(kind: type[fx.Command]) -> None:
    m = room("a", "b")
    assert m.refused(SAMPLES[kind], "b") is R.NOT_FACILITATOR


@pytest.mark.parametrize(
    "command",
    [fx.Mute("g", 60), fx.Remove("g"), fx.Ban("g", 600), fx.AssignListenOnly("g", True)],
    ids=lambda c: type(c).__name__,
)
def test_facilitators_cannot_act_on_fellow_facilitators(command: fx.Command) -> None:
    m = room("a")
    assert m.refused(command, "f") is R.NOT_ALLOWED


def test_commands_on_someone_not_in_the_room_are_refused() -> None:
    m = room("a")
    for command in (fx.Mute("zz", 60), fx.Remove("zz"), fx.Ban("zz", 600), fx.Unmute("zz")):
        assert m.refused(command, "f") is R.NOT_PRESENT


def test_mute_ends_the_share_lowers_the_hand_and_lapses_on_time() -> None:
    m = room("a", "b")
    m.send(fx.RaiseHand(), "a")
    m.send(fx.RaiseHand(), "b")
    m.send(fx.OpenRound(), "f")
    m.at(10)
    assert m.send(fx.Mute("a", 60), "f") == [
        "share.ended",
        "member.updated",
        "moderation",
        "floor.granted",
        "meeting.state",
    ]
    assert m.one(fx.ShareEnded).how is fx.ShareEndHow.SKIPPED
    assert m.wire(fx.Moderation) == {
        "event": "moderation",
        "action": "mute",
        "by": "f",
        "target": "a",
        "until": int((T0 + 70) * 1000),
        "value": None,
    }
    assert fx.member_view(m.state, "a")["muted_until"] == int((T0 + 70) * 1000)
    refused = posting(m, "a")
    assert isinstance(refused, fx.Refused)
    assert refused.code is R.MUTED
    assert m.refused(fx.RaiseHand(), "a") is R.MUTED
    assert m.speaker == "b"
    assert m.tick(70) == ["member.updated"]
    assert m.member("a").muted_until is None
    assert m.send(fx.RaiseHand(), "a")[0] == "hand.raised"


def test_muting_a_queued_member_lowers_their_hand() -> None:
    m = room("a")
    m.send(fx.RaiseHand(), "a")
    assert m.send(fx.Mute("a", 30), "f")[:2] == ["hand.lowered", "member.updated"]


def test_unmute() -> None:
    m = room("a")
    assert m.refused(fx.Unmute("a"), "f") is R.NOT_ALLOWED
    m.send(fx.Mute("a", 600), "f")
    assert m.send(fx.Unmute("a"), "f") == ["member.updated", "moderation"]
    assert isinstance(posting(m, "a"), fx.PostAllowed)
    assert fx.next_deadline(m.state) is None


def test_listen_only_chosen_by_a_member() -> None:
    m = room("a", "b")
    m.send(fx.RaiseHand(), "a")
    m.send(fx.OpenRound(), "f")
    assert m.send(fx.SetListenOnly(True), "a") == [
        "share.ended",
        "member.updated",
        "meeting.state",
    ]
    assert m.one(fx.ShareEnded).how is fx.ShareEndHow.PASSED
    assert m.refused(fx.RaiseHand(), "a") is R.LISTEN_ONLY
    assert posting(m, "a") == fx.Refused(R.LISTEN_ONLY, "You are in listen-only mode.")
    assert m.send(fx.SetListenOnly(False), "a") == ["member.updated"]
    assert m.send(fx.SetListenOnly(False), "a") == []


def test_listen_only_assigned_by_a_facilitator() -> None:
    m = room("a")
    m.send(fx.RaiseHand(), "a")
    assert m.send(fx.AssignListenOnly("a", True), "f") == [
        "hand.lowered",
        "member.updated",
        "moderation",
        "meeting.state",
    ]
    assert m.wire(fx.Moderation)["value"] is True
    assert m.member("a").listen_only
    m.send(fx.AssignListenOnly("a", False), "f")
    assert not m.member("a").listen_only


def test_remove() -> None:
    m = room("a", "b")
    m.send(fx.RaiseHand(), "a")
    m.send(fx.OpenRound(), "f")
    assert m.send(fx.Remove("a", "abusive"), "f") == [
        "share.ended",
        "member.left",
        "moderation",
        "meeting.state",
    ]
    assert m.one(fx.MemberLeft).reason is fx.LeaveReason.REMOVED
    assert m.wire(fx.Moderation)["value"] == "abusive"
    assert m.state.participant("a") is None
    # The removed session is refused (rejoin or resume) for the removal hold; a new identity
    # with the same network marks is not: only a ban holds against that.
    assert m.refused(fx.Join("a", "A", "a", ticket="t")) is R.REMOVED
    m.join("a2")


def test_ban_holds_marks_until_it_lapses() -> None:
    m = room("a")
    m.join("b", marks=frozenset({"device:1"}))
    m.at(100)
    assert m.send(fx.Ban("b", 3600, "raid"), "f") == ["member.left", "moderation"]
    assert m.one(fx.MemberLeft) == fx.MemberLeft("b", fx.LeaveReason.BANNED)
    assert m.one(fx.Moderation).until == T0 + 3700
    other_id = fx.Join("b2", "Bee", "bee", marks=frozenset({"device:1"}), ticket="t")
    assert m.refused(other_id) is R.BANNED
    assert m.refused(fx.Join("b", "B", "b", ticket="t")) is R.BANNED  # the id is a mark too
    assert fx.admission(m.state, marks=frozenset({"device:1"}), facilitator=False, now=m.now) == (
        fx.Refused(R.BANNED, "You are banned from this room for now.")
    )
    assert fx.next_deadline(m.state) == T0 + 3700
    assert m.tick(3700) == []
    assert m.state.bans == ()
    m.send(other_id)


def test_remove_message() -> None:
    m = room("a")
    assert m.send(fx.RemoveMessage(42), "f") == ["chat.removed", "moderation"]
    assert m.wire(fx.ChatRemoved) == {"event": "chat.removed", "mid": 42}
    assert m.wire(fx.Moderation)["value"] == 42


def test_lock_and_slow() -> None:
    m = room("a")
    assert m.send(fx.SetLock(True), "f") == ["moderation", "meeting.state"]
    assert m.refused(fx.Join("b", "B", "b", ticket="t")) is R.ROOM_LOCKED
    assert m.state.participant("a") is not None  # seated people stay
    m.send(fx.SetLock(False), "f")
    m.join("b")
    assert m.send(fx.SetSlow(30), "f") == ["moderation", "meeting.state"]
    assert posting(m, "a") == fx.PostAllowed(30)
    assert posting(m, "f") == fx.PostAllowed(0)  # facilitators are exempt


def test_listen_only_mode_lets_only_facilitators_post() -> None:
    m = room("a", "b")
    m.send(fx.RaiseHand(), "a")
    # Hands raised between rounds are cleared, and each is announced (issue 10 item 8).
    assert m.send(fx.SetMode(fx.Mode.LISTEN_ONLY), "f") == [
        "hand.lowered",
        "moderation",
        "meeting.state",
    ]
    assert m.queue == []
    assert m.view()["mode"] == "listen_only"
    assert posting(m, "a") == fx.Refused(
        R.LISTEN_ONLY, "Only facilitators post in this room right now."
    )
    assert posting(m, "f") == fx.PostAllowed(0)
    assert m.refused(fx.RaiseHand(), "a") is R.LISTEN_ONLY
    # A round in a listen-only room: the floor holder speaks, and the room listens again after.
    m.send(fx.OpenRound(order=fx.Order.ROUND_ROBIN), "f")
    assert m.view()["mode"] == "round"
    assert m.view()["base_mode"] == "listen_only"
    m.send(fx.EndRound(), "f")
    assert m.view()["mode"] == "listen_only"
    assert m.refused(fx.SetMode(fx.Mode.ROUND), "f") is R.BAD_REQUEST


def test_add_facilitator_and_handover() -> None:
    m = room("a", "b")
    assert m.send(fx.AddFacilitator("a"), "f") == ["member.updated", "moderation"]
    assert m.member("a").role is fx.Role.FACILITATOR
    assert m.refused(fx.AddFacilitator("a"), "f") is R.NOT_ALLOWED
    assert m.refused(fx.Handover("f"), "f") is R.NOT_ALLOWED
    m.send(fx.Disconnected("b"))
    assert m.refused(fx.Handover("b"), "f") is R.NOT_PRESENT
    m.send(fx.Reconnected("b"))
    assert m.send(fx.Handover("b"), "f") == ["member.updated", "member.updated", "moderation"]
    assert m.member("b").role is fx.Role.FACILITATOR
    assert m.member("f").role is fx.Role.MEMBER
    assert m.refused(fx.SetLock(True), "f") is R.NOT_FACILITATOR
    m.send(fx.Handover("a"), "g")  # to a fellow facilitator: the sender steps down
    assert m.member("g").role is fx.Role.MEMBER


def test_pause_and_unpause_room_undo_exactly() -> None:
    m = room("a", "b", "c", "d")
    m.send(fx.SetListenOnly(True), "b")  # already listening before the pause
    m.send(fx.RaiseHand(), "a")
    m.send(fx.RaiseHand(), "c")
    m.send(fx.OpenRound(), "f")
    names = m.send(fx.PauseRoom(), "f")
    assert names[0] == "share.ended"
    assert names.count("member.updated") == 3
    assert names[-2:] == ["moderation", "meeting.state"]
    assert m.state.paused_room
    assert m.state.lobby
    assert [p.member for p in m.state.participants if p.listen_only] == ["a", "b", "c", "d"]
    assert m.queue == []
    assert m.speaker is None
    assert m.refused(fx.SetListenOnly(False), "c") is R.NOT_ALLOWED
    assert m.refused(fx.PauseRoom(), "f") is R.NOT_ALLOWED
    m.send(fx.AssignListenOnly("d", True), "f")  # a facilitator's own choice outlasts the pause
    m.join("e")  # joins are held
    assert m.state.participant("e") is None
    m.send(fx.Admit("t-e"), "f")
    assert m.member("e").listen_only
    names = m.send(fx.UnpauseRoom(), "f")
    assert names.count("member.updated") == 3  # a, c, e
    assert [p.member for p in m.state.participants if p.listen_only] == ["b", "d"]
    assert not m.state.lobby
    assert not m.state.paused_room
    assert m.refused(fx.UnpauseRoom(), "f") is R.NOT_ALLOWED


def test_pause_announces_every_hand_it_clears_before_the_member_updates() -> None:
    """issue 10 item 8: no `member.updated` says `hand: true` for a hand the pause clears, and a
    facilitator's raised hand is lowered with `hand.lowered` too."""
    m = room("a", "b")
    m.send(fx.RaiseHand(), "a")
    m.send(fx.RaiseHand(), "g")  # a facilitator's hand, between rounds
    m.send(fx.PauseRoom(), "f")
    assert [e.member for e in m.events if isinstance(e, fx.HandLowered)] == ["a", "g"]
    updated = [e.member for e in m.events if isinstance(e, fx.MemberUpdated)]
    assert [(v.id, v.hand, v.listen_only) for v in updated] == [
        ("a", False, True),
        ("b", False, True),
    ]
    assert m.view()["hands"] == []


def test_unpause_keeps_a_lobby_that_was_on_before_or_set_during_the_pause() -> None:
    m = room("a", lobby=True)
    m.send(fx.PauseRoom(), "f")
    m.send(fx.UnpauseRoom(), "f")
    assert m.state.lobby
    m.send(fx.SetLobby(False), "f")
    m.send(fx.PauseRoom(), "f")
    m.send(fx.SetLobby(True), "f")
    m.send(fx.UnpauseRoom(), "f")
    assert m.state.lobby


def test_reset_room_keeps_the_meeting() -> None:
    m = room("a")
    before = m.state
    assert m.send(fx.ResetRoom(), "f") == ["room.reset", "moderation"]
    assert m.wire(fx.RoomReset) == {"event": "room.reset"}
    assert m.state == before


def test_reports_reach_facilitators_only() -> None:
    m = room("a", "b")
    assert m.send(fx.Report(12, "b", "B", "the message", "unkind"), "a") == ["report.filed"]
    assert fx.ReportFiled.AUDIENCE == "facilitators"
    assert m.wire(fx.ReportFiled) == {
        "event": "report.filed",
        "mid": 12,
        "from": "a",
        "about": "b",
        "about_name": "B",
        "text": "the message",
        "reason": "unkind",
    }


def test_every_moderation_action_logs_one_moderation_event_without_text() -> None:
    for kind in MODERATION_ACTIONS:
        m = room("a", "b")
        m.join("x", ticket="t-x")
        m.send(fx.SetLobby(True), "f")
        m.join("y", ticket="t-x2")
        if kind in (fx.Unmute, fx.UnpauseRoom):
            m.send(fx.Mute("a", 60) if kind is fx.Unmute else fx.PauseRoom(), "f")
        command = fx.Admit("t-x2") if kind is fx.Admit else SAMPLES[kind]
        if kind is fx.Deny:
            command = fx.Deny("t-x2")
        m.send(command, "f")
        logs = [e for e in m.events if isinstance(e, fx.Moderation)]
        assert len(logs) == 1, kind
        assert logs[0].action == kind.WIRE
        assert logs[0].by == "f"
        assert "some text" not in str(fx.to_wire(logs[0]))


def test_a_member_made_facilitator_during_a_pause_may_speak_up() -> None:
    m = room("a")
    m.send(fx.PauseRoom(), "f")
    m.send(fx.AddFacilitator("a"), "f")
    assert m.send(fx.SetListenOnly(False), "a") == ["member.updated"]
    m.send(fx.UnpauseRoom(), "f")
    assert not m.member("a").listen_only


def test_a_facilitator_stepping_down_during_a_pause_listens_like_everyone() -> None:
    m = room("a")
    m.send(fx.PauseRoom(), "f")
    m.send(fx.Handover("a"), "f")
    assert m.member("f").listen_only
    m.send(fx.UnpauseRoom(), "a")
    assert not m.member("f").listen_only
