"""Share rounds: queue, floor, clock (warning, end, extend, pause), and round orders."""

from __future__ import annotations

import facilitation as fx
from tests.facilitation.harness import T0, Meeting, names_without_state

R = fx.Refusal


def room(*members: str, **settings: object) -> Meeting:
    m = Meeting(**settings)
    m.join("f", facilitator=True)
    m.join_all(*members)
    return m


def test_a_whole_round_with_a_pass_an_extend_a_skip_and_an_end() -> None:
    """Five shares: one on time, one passed, one extended, one skipped, one done early."""
    m = room("a", "b", "c", "d", "e")
    for who in "abcde":
        assert m.send(fx.RaiseHand(), who) == ["hand.raised", "meeting.state"]
    assert m.send(fx.OpenRound("Gratitude", 180), "f") == [
        "round.opened",
        "floor.granted",
        "meeting.state",
    ]
    assert m.wire(fx.RoundOpened) == {
        "event": "round.opened",
        "topic": "Gratitude",
        "share_seconds": 180,
        "order": "hands",
        "by": "f",
    }
    assert m.wire(fx.FloorGranted) == {
        "event": "floor.granted",
        "member": "a",
        "ends_at": int((T0 + 180) * 1000),
    }
    assert m.queue == ["b", "c", "d", "e"]

    assert m.tick(150) == ["share.warning", "meeting.state"]
    assert m.tick(180) == ["share.ended", "floor.granted", "meeting.state"]
    assert m.one(fx.ShareEnded).how is fx.ShareEndHow.TIME
    assert m.speaker == "b"

    m.at(200)
    assert m.send(fx.Pass(), "b") == ["share.ended", "floor.granted", "meeting.state"]
    assert m.one(fx.ShareEnded) == fx.ShareEnded("b", fx.ShareEndHow.PASSED)
    assert m.one(fx.FloorGranted) == fx.FloorGranted("c", T0 + 380)

    m.at(300)
    assert m.send(fx.Extend(60), "f") == ["share.extended", "meeting.state"]
    assert m.one(fx.ShareExtended) == fx.ShareExtended("c", T0 + 440, "f")
    assert m.tick(380) == []
    assert m.tick(410) == ["share.warning", "meeting.state"]
    assert m.tick(440) == ["share.ended", "floor.granted", "meeting.state"]
    assert m.speaker == "d"

    m.at(500)
    assert m.send(fx.Skip(), "f") == ["share.ended", "floor.granted", "meeting.state"]
    assert m.one(fx.ShareEnded) == fx.ShareEnded("d", fx.ShareEndHow.SKIPPED)
    assert m.speaker == "e"

    m.at(600)
    assert m.send(fx.ShareDone(), "e") == ["share.ended", "meeting.state"]
    assert m.one(fx.ShareEnded) == fx.ShareEnded("e", fx.ShareEndHow.DONE)
    assert m.state.round is not None
    assert m.state.round.floor is None
    assert fx.next_deadline(m.state) is None

    m.at(610)
    assert m.send(fx.EndRound(), "f") == ["round.ended", "meeting.state"]
    assert m.wire(fx.RoundEnded) == {"event": "round.ended", "by": "f"}
    assert m.state.round is None
    assert m.queue == []


def test_the_warning_comes_thirty_seconds_before_the_end() -> None:
    m = room("a")
    m.send(fx.RaiseHand(), "a")
    m.send(fx.OpenRound(share_seconds=120), "f")
    assert fx.next_deadline(m.state) == T0 + 90
    assert m.tick(89.999) == []
    assert m.tick(90) == ["share.warning", "meeting.state"]
    assert m.wire(fx.ShareWarning) == {
        "event": "share.warning",
        "member": "a",
        "remaining_ms": 30_000,
    }
    assert m.view()["round"]["floor"]["warned"] is True  # type: ignore[index]
    assert fx.next_deadline(m.state) == T0 + 120


def test_the_floor_passes_at_the_end_exactly_once() -> None:
    m = room("a", "b")
    m.send(fx.RaiseHand(), "a")
    m.send(fx.RaiseHand(), "b")
    m.send(fx.OpenRound(share_seconds=60), "f")
    m.tick(30)
    assert m.tick(60) == ["share.ended", "floor.granted", "meeting.state"]
    assert m.speaker == "b"
    assert m.tick(60) == []
    assert m.speaker == "b"
    assert m.state.floor is not None
    assert m.state.floor.started_at == T0 + 60


def test_a_late_tick_catches_up_on_every_overdue_deadline() -> None:
    """Ticking 10 minutes late gives what a punctual clock would have given, in order."""
    m = room("a", "b", "c")
    m.send(fx.OpenRound(share_seconds=60, order=fx.Order.ROUND_ROBIN), "f")
    assert m.speaker == "f"
    m.tick(600)
    assert names_without_state(m.names()) == [
        "share.warning", "share.ended", "floor.granted",
        "share.warning", "share.ended", "floor.granted",
        "share.warning", "share.ended", "floor.granted",
        "share.warning", "share.ended",
        "round.ended",
    ]  # fmt: skip
    grants = [e for e in m.events if isinstance(e, fx.FloorGranted)]
    assert [(g.member, g.ends_at - T0) for g in grants] == [("a", 120), ("b", 180), ("c", 240)]
    assert m.state.round is None
    assert m.names().count("meeting.state") == 1


def test_pausing_keeps_the_remaining_time_and_resuming_restarts_the_clock() -> None:
    m = room("a")
    m.send(fx.RaiseHand(), "a")
    m.send(fx.OpenRound(share_seconds=180), "f")
    m.at(100)
    assert m.send(fx.PauseRound(), "f") == ["round.paused", "meeting.state"]
    floor = m.view()["round"]["floor"]  # type: ignore[index]
    assert floor["remaining_ms"] == 80_000
    assert fx.next_deadline(m.state) is None  # the clock is stopped
    assert m.tick(1000) == []
    assert m.view()["round"]["floor"]["remaining_ms"] == 80_000  # type: ignore[index]
    assert m.refused(fx.PauseRound(), "f") is R.NOT_ALLOWED
    assert m.send(fx.ResumeRound(), "f") == ["round.resumed", "meeting.state"]
    assert m.state.floor is not None
    assert m.state.floor.ends_at == T0 + 1080
    assert m.refused(fx.ResumeRound(), "f") is R.NOT_ALLOWED
    assert m.tick(1050) == ["share.warning", "meeting.state"]
    assert m.tick(1080) == ["share.ended", "meeting.state"]


def test_a_paused_round_grants_no_floor_until_resumed() -> None:
    m = room("a", "b")
    m.send(fx.RaiseHand(), "a")
    m.send(fx.OpenRound(share_seconds=60), "f")
    m.send(fx.PauseRound(), "f")
    m.send(fx.Skip(), "f")
    m.send(fx.RaiseHand(), "b")
    assert m.speaker is None
    assert m.queue == ["b"]
    m.at(30)
    assert m.send(fx.ResumeRound(), "f") == ["round.resumed", "floor.granted", "meeting.state"]
    assert m.one(fx.FloorGranted) == fx.FloorGranted("b", T0 + 90)


def test_extending_while_paused_adds_to_the_remaining_time() -> None:
    m = room("a")
    m.send(fx.RaiseHand(), "a")
    m.send(fx.OpenRound(share_seconds=60), "f")
    m.at(50)
    m.send(fx.PauseRound(), "f")
    m.send(fx.Extend(30), "f")
    assert m.view()["round"]["floor"]["remaining_ms"] == 40_000  # type: ignore[index]
    m.at(100)
    m.send(fx.ResumeRound(), "f")
    assert m.state.floor is not None
    assert m.state.floor.ends_at == T0 + 140
    assert m.state.floor.warned is False


def test_extending_past_the_warning_time_rearms_the_warning() -> None:
    m = room("a")
    m.send(fx.RaiseHand(), "a")
    m.send(fx.OpenRound(share_seconds=180), "f")
    m.tick(150)
    m.at(160)
    m.send(fx.Extend(10), "f")  # 30 s left: no new warning
    assert m.state.floor is not None
    assert m.state.floor.warned
    m.send(fx.Extend(60), "f")  # 90 s left: warn again at T-30
    assert m.state.floor is not None
    assert not m.state.floor.warned
    assert m.tick(220) == ["share.warning", "meeting.state"]


def test_short_shares_get_no_warning() -> None:
    m = room("a")
    m.send(fx.RaiseHand(), "a")
    m.send(fx.OpenRound(share_seconds=30), "f")
    assert m.tick(30) == ["share.ended", "meeting.state"]


def test_round_robin_queues_everyone_present_who_may_speak_in_join_order() -> None:
    m = room("a", "b", "c", "d", "e")
    m.send(fx.SetListenOnly(True), "b")
    m.send(fx.Disconnected("c"))
    m.send(fx.Mute("d", 600), "f")
    m.send(fx.OpenRound(order=fx.Order.ROUND_ROBIN), "f")
    assert m.speaker == "f"
    assert m.queue == ["a", "e"]
    m.join("g")
    assert m.send(fx.RaiseHand(), "g") == ["hand.raised", "meeting.state"]
    assert m.queue == ["a", "e", "g"]


def test_a_round_robin_round_ends_by_itself() -> None:
    m = room("a")
    m.send(fx.OpenRound(share_seconds=60, order=fx.Order.ROUND_ROBIN), "f")
    m.send(fx.ShareDone(), "f")
    assert m.speaker == "a"
    assert m.send(fx.Pass(), "a") == ["share.ended", "round.ended", "meeting.state"]
    assert m.one(fx.RoundEnded).by is None


def test_a_hands_round_waits_then_gives_the_floor_to_the_next_hand_at_once() -> None:
    m = room("a")
    m.send(fx.OpenRound(), "f")
    assert m.state.round is not None
    assert m.speaker is None
    m.at(42)
    assert m.send(fx.RaiseHand(), "a") == ["hand.raised", "floor.granted", "meeting.state"]
    assert m.one(fx.FloorGranted).ends_at == T0 + 42 + 180


def test_hands_raised_before_a_round_seed_its_queue() -> None:
    m = room("a", "b")
    m.send(fx.RaiseHand(), "b")
    m.send(fx.RaiseHand(), "a")
    assert m.view()["hands"] == ["b", "a"]
    assert m.view()["round"] is None
    m.send(fx.OpenRound(), "f")
    assert m.speaker == "b"
    assert m.queue == ["a"]
    assert m.view()["hands"] == ["a"] == m.view()["round"]["queue"]  # type: ignore[index]


def test_ending_a_round_ends_the_share_and_clears_the_queue() -> None:
    m = room("a", "b")
    m.send(fx.RaiseHand(), "a")
    m.send(fx.RaiseHand(), "b")
    m.send(fx.OpenRound(), "f")
    assert m.send(fx.EndRound(), "f") == [
        "share.ended",
        "hand.lowered",  # b's hand, cleared with the queue (issue 10 item 8)
        "round.ended",
        "meeting.state",
    ]
    assert m.one(fx.ShareEnded).how is fx.ShareEndHow.SKIPPED
    assert m.state.round is None
    assert m.queue == []


def test_queue_move_and_remove() -> None:
    m = room("a", "b", "c")
    for who in "abc":
        m.send(fx.RaiseHand(), who)
    assert m.send(fx.QueueMove("c", 0), "f") == ["meeting.state"]
    assert m.queue == ["c", "a", "b"]
    m.send(fx.QueueMove("c", 99), "f")
    assert m.queue == ["a", "b", "c"]
    assert m.send(fx.QueueRemove("b"), "f") == ["hand.lowered", "meeting.state"]
    assert m.queue == ["a", "c"]
    assert m.refused(fx.QueueRemove("b"), "f") is R.NOT_IN_QUEUE
    assert m.refused(fx.QueueMove("zz", 0), "f") is R.NOT_IN_QUEUE
    assert m.refused(fx.QueueMove("a", 0), "a") is R.NOT_FACILITATOR


def test_hand_and_turn_refusals() -> None:
    m = room("a", "b")
    assert m.refused(fx.LowerHand(), "a") is R.NOT_IN_QUEUE
    assert m.refused(fx.Pass(), "a") is R.NOT_IN_QUEUE
    assert m.refused(fx.ShareDone(), "a") is R.NO_ROUND
    assert m.refused(fx.EndRound(), "f") is R.NO_ROUND
    assert m.refused(fx.Skip(), "f") is R.NO_ROUND
    m.send(fx.RaiseHand(), "a")
    assert m.refused(fx.RaiseHand(), "a") is R.ALREADY_IN_QUEUE
    assert m.send(fx.LowerHand(), "a") == ["hand.lowered", "meeting.state"]
    m.send(fx.OpenRound(), "f")
    assert m.refused(fx.OpenRound(), "f") is R.ROUND_RUNNING
    assert m.refused(fx.ShareDone(), "a") is R.NO_FLOOR
    assert m.refused(fx.Skip(), "f") is R.NO_FLOOR
    assert m.refused(fx.Extend(), "f") is R.NO_FLOOR
    m.send(fx.RaiseHand(), "a")
    m.send(fx.RaiseHand(), "b")
    assert m.refused(fx.RaiseHand(), "a") is R.NOT_ALLOWED  # holds the floor
    assert m.refused(fx.ShareDone(), "b") is R.NOT_YOUR_TURN
    assert m.send(fx.Pass(), "b") == ["hand.lowered", "meeting.state"]
    assert m.refused(fx.OpenRound(), "a") is R.NOT_FACILITATOR


def test_meeting_state_comes_once_and_last_only_when_the_view_changes() -> None:
    m = room("a")
    assert m.send(fx.Tick()) == []
    m.send(fx.RaiseHand(), "a")
    m.send(fx.OpenRound(), "f")
    m.advance(5)
    assert m.send(fx.Tick()) == []  # remaining_ms ticks, but that is not a change
    assert m.send(fx.RemoveMessage(7), "f") == ["chat.removed", "moderation"]
