"""Moving through a meeting's parts: facilitator-led, self-led, and held for a facilitator.

Each shipped format is run from its opening to its closing through the scenario harness, which
also checks the invariants, the wire form and the stored form after every step.
"""

from __future__ import annotations

import facilitation as fx
from facilitation.shipped import SURVIVORS_CIRCLE, TOOLS_MEETING, TWELVE_STEP_TEXT
from tests.facilitation.harness import T0, Meeting, names_without_state

R = fx.Refusal
MIN = 60.0


def room(
    fmt: fx.Format, *members: str, self_led: bool = False, facilitator: bool = True
) -> Meeting:
    m = Meeting(format=fmt, self_led=self_led)
    if facilitator:
        m.join("f", facilitator=True)
    m.join_all(*members)
    return m


def posts(m: Meeting, who: str, *, observer: bool = False) -> fx.Refusal | None:
    """None if `who` may post now, else the refusal code."""
    result = fx.may_post(m.state, fx.Actor(who, observer=observer), m.now)
    return result.code if isinstance(result, fx.Refused) else None


def part_title(m: Meeting) -> str | None:
    part = m.state.current_part()
    return None if part is None else part.title


def started(m: Meeting) -> list[str]:
    """The titles of the parts started in the last batch, in order."""
    return [e.part.title for e in m.events if isinstance(e, fx.PartStarted)]


# --- facilitator-led -------------------------------------------------------------------------


def test_a_facilitator_runs_the_twelve_step_meeting_from_opening_to_closing() -> None:
    m = room(TWELVE_STEP_TEXT, "a", "b", "c")
    assert posts(m, "a") is None  # before the meeting: an open room
    assert names_without_state(m.send(fx.PartNext(), "f")) == ["part.started"]
    started_event = m.wire(fx.PartStarted)
    assert started_event["by"] == "f"
    assert started_event["part"]["title"] == "Opening"  # type: ignore[index]
    assert "raise your hand" in started_event["part"]["text"]  # type: ignore[index]
    # Opening (a reading): only the reader posts; hands may go up for the shares to come.
    assert posts(m, "a") is R.NOT_YOUR_TURN
    assert posts(m, "f") is None
    assert posts(m, "f", observer=True) is R.OBSERVER
    m.send(fx.RaiseHand(), "a")
    m.send(fx.PartNext(), "f")
    assert part_title(m) == "A minute of quiet"
    assert posts(m, "f") is R.NOT_YOUR_TURN  # nobody posts, facilitators included
    m.send(fx.PartNext(), "f")
    m.send(fx.PartNext(), "f")
    assert part_title(m) == "Welcomes"
    assert posts(m, "b") is None
    m.send(fx.PartNext(), "f")
    assert names_without_state(m.send(fx.PartNext(), "f")) == [
        "part.started",
        "round.opened",
        "floor.granted",
    ]
    assert part_title(m) == "Shares"
    assert m.one(fx.RoundOpened).share_seconds == 180
    assert m.speaker == "a"  # the hand raised during the opening seeds the shares
    assert posts(m, "a") is None
    assert posts(m, "b") is R.NOT_YOUR_TURN  # no crosstalk in a share part
    m.send(fx.RaiseHand(), "b")
    m.send(fx.ShareDone(), "a")
    assert m.speaker == "b"
    m.send(fx.RaiseHand(), "c")
    assert names_without_state(m.send(fx.PartNext(), "f")) == [
        "share.ended",
        "hand.lowered",  # c's hand goes with the round, and everyone is told (protocol.md §4.2)
        "round.ended",
        "part.started",
    ]
    assert m.state.round is None
    assert m.queue == []
    assert part_title(m) == "Self-support"
    assert posts(m, "b") is R.NOT_YOUR_TURN
    m.send(fx.PartNext(), "f")
    m.send(fx.PartNext(), "f")
    assert part_title(m) == "Closing"
    assert posts(m, "b") is None  # everyone may echo the closing words
    assert names_without_state(m.send(fx.PartNext(), "f")) == ["format.ended"]
    assert m.state.part is None
    assert m.view()["part"] is None
    assert posts(m, "b") is None


def test_the_view_shows_the_part_its_rules_and_where_the_meeting_is() -> None:
    m = room(TWELVE_STEP_TEXT, "a")
    assert m.view()["format"] == {
        "key": "twelve-step-text",
        "title": "Twelve-step style text meeting",
        "self_led": True,
        "parts": 9,
    }
    m.send(fx.PartGoto(5), "f")
    part = m.view()["part"]
    assert isinstance(part, dict)
    assert {k: v for k, v in part.items() if k != "text"} == {
        "index": 5,
        "count": 9,
        "kind": "share_round",
        "title": "Shares",
        "posting": "floor",
        "crosstalk": False,
        "order": "hands",
        "share_seconds": 180,
        "minutes": 35,
        "content_notes": False,
        "started_at": int(T0 * 1000),
        "planned_end": int((T0 + 35 * MIN) * 1000),
        "holds": False,
    }
    assert m.view()["round"] is not None


def test_a_facilitator_can_skip_ahead_go_back_and_stop() -> None:
    m = room(TWELVE_STEP_TEXT, "a")
    m.send(fx.PartNext(), "f")
    m.send(fx.PartGoto(4), "f")
    assert part_title(m) == "Topic"
    m.send(fx.PartGoto(2), "f")
    assert part_title(m) == "Readings"
    assert m.refused(fx.PartGoto(9), "f") is R.BAD_REQUEST
    assert m.refused(fx.PartGoto(-1), "f") is R.BAD_REQUEST
    assert m.refused(fx.PartNext(), "a") is R.NOT_FACILITATOR
    assert m.refused(fx.PartNext(), "f", observer=True) is R.OBSERVER
    assert names_without_state(m.send(fx.FormatEnd(), "f")) == ["format.ended"]
    assert m.refused(fx.FormatEnd(), "f") is R.NOT_ALLOWED


def test_a_room_without_a_format_refuses_part_commands() -> None:
    m = Meeting()
    m.join("f", facilitator=True)
    assert m.refused(fx.PartNext(), "f") is R.NOT_ALLOWED
    assert m.refused(fx.PartGoto(0), "f") is R.NOT_ALLOWED
    assert m.refused(fx.FormatEnd(), "f") is R.NOT_ALLOWED


def test_rounds_run_only_in_share_parts_and_take_the_parts_share_time() -> None:
    m = room(TOOLS_MEETING, "a", "b")
    m.send(fx.OpenRound("before", 60), "f")  # no part yet: rounds as ever
    m.send(fx.PartNext(), "f")
    assert m.state.round is None  # starting the meeting ended the ad-hoc round
    assert m.refused(fx.OpenRound(), "f") is R.NOT_ALLOWED
    m.send(fx.PartNext(), "f")
    assert part_title(m) == "Check-in"
    assert m.one(fx.RoundOpened).order is fx.Order.ROUND_ROBIN
    assert m.speaker == "f"  # everyone present who may speak, in join order
    assert m.queue == ["a", "b"]
    m.send(fx.EndRound(), "f")
    m.send(fx.OpenRound(), "f")
    assert m.one(fx.RoundOpened).share_seconds == 120


def test_a_facilitator_runs_the_tools_meeting_with_crosstalk_in_working_time() -> None:
    m = room(TOOLS_MEETING, "a", "b")
    m.send(fx.PartNext(), "f")
    m.send(fx.PartNext(), "f")
    m.send(fx.Pass(), "f")  # facilitators tend the group rather than share
    m.send(fx.Pass(), "a")
    m.send(fx.ShareDone(), "b")
    assert m.state.round is None  # a round-robin round ends when everyone had a turn
    assert part_title(m) == "Check-in"  # a facilitator moves on when they choose
    m.send(fx.PartNext(), "f")
    assert part_title(m) == "Agenda"
    assert posts(m, "a") is None  # members may propose topics
    m.send(fx.PartNext(), "f")
    assert part_title(m) == "Working time"
    assert posts(m, "b") is None
    m.send(fx.PartNext(), "f")
    assert posts(m, "b") is R.NOT_YOUR_TURN
    m.send(fx.PartNext(), "f")
    assert part_title(m) == "Check-out"
    assert m.speaker == "f"
    m.send(fx.PartNext(), "f")
    assert m.names()[-2:] == ["format.ended", "meeting.state"]


def test_muted_and_listen_only_members_stay_silent_even_where_everyone_may_post() -> None:
    m = room(TOOLS_MEETING, "a", "b")
    m.send(fx.PartGoto(3), "f")
    m.send(fx.Mute("a", 60), "f")
    m.send(fx.SetListenOnly(True), "b")
    assert posts(m, "a") is R.MUTED
    assert posts(m, "b") is R.LISTEN_ONLY
    assert posts(m, "c", observer=True) is R.OBSERVER


# --- self-led --------------------------------------------------------------------------------


def test_a_self_led_twelve_step_meeting_runs_itself_from_a_first_hand_to_its_end() -> None:
    m = room(TWELVE_STEP_TEXT, "a", "b", self_led=True, facilitator=False)
    assert m.view()["self_led"] is True
    names = m.send(fx.RaiseHand(), "a")
    assert names_without_state(names) == ["hand.raised", "part.started"]
    assert m.one(fx.PartStarted).by is None
    assert m.state.round is None  # the hand waits for the shares
    assert fx.next_deadline(m.state) == T0 + 3 * MIN
    m.tick(3 * MIN)
    assert part_title(m) == "A minute of quiet"
    # One late tick plays every part that fell due, each at its own planned time.
    m.tick(20 * MIN)
    assert started(m) == ["Readings", "Welcomes", "Topic", "Shares"]
    assert m.state.part_started_at == T0 + 16 * MIN
    assert m.speaker is None  # a's share began at 16:00 and ended at 19:00
    assert m.state.round is None
    m.tick(50 * MIN)
    m.send(fx.RaiseHand(), "b")
    assert m.one(fx.RoundOpened).share_seconds == 180
    assert m.speaker == "b"
    m.tick(51 * MIN)  # the planned end: b's share is not cut short
    assert part_title(m) == "Shares"
    assert posts(m, "a") is R.NOT_YOUR_TURN
    m.send(fx.RaiseHand(), "a")
    m.tick(53 * MIN)
    assert names_without_state(m.names()) == [
        "share.warning",
        "share.ended",
        "hand.lowered",  # a's hand goes with the round, announced like every other hand change
        "round.ended",
        "part.started",
    ]
    assert part_title(m) == "Self-support"  # and nobody new got the floor
    assert m.state.part_started_at == T0 + 53 * MIN
    m.tick(60 * MIN)
    assert started(m) == ["Announcements", "Closing"]
    assert m.names()[-2:] == ["format.ended", "meeting.state"]
    assert m.state.part is None
    assert fx.next_deadline(m.state) is None


def test_a_self_led_tools_meeting_ends_each_check_round_when_everyone_had_a_turn() -> None:
    m = room(TOOLS_MEETING, "a", "b", self_led=True, facilitator=False)
    m.send(fx.RaiseHand(), "b")
    m.tick(5 * MIN)
    assert part_title(m) == "Check-in"
    assert m.speaker == "a"  # each in turn, in join order
    m.send(fx.Pass(), "a")
    assert m.speaker == "b"
    m.send(fx.ShareDone(), "b")
    assert names_without_state(m.names()) == ["share.ended", "round.ended", "part.started"]
    assert part_title(m) == "Agenda"  # the check-in ended early: everyone had a turn
    m.tick(7 * MIN)
    assert m.state.current_part() is TOOLS_MEETING.parts[2]
    m.tick(7 * MIN + 3 * MIN)
    assert part_title(m) == "Working time"
    assert posts(m, "a") is None
    m.tick(54 * MIN)  # working time ran 8:00-53:00
    assert part_title(m) == "Passing the hat"
    m.tick(56 * MIN)
    assert part_title(m) == "Check-out"
    assert m.speaker == "a"
    m.tick(57 * MIN)  # one minute each
    assert m.speaker == "b"
    m.tick(58 * MIN)
    assert m.names()[-4:] == ["share.ended", "round.ended", "format.ended", "meeting.state"]
    assert m.state.part is None


def test_a_self_led_format_stops_running_itself_while_a_facilitator_is_present() -> None:
    m = room(TWELVE_STEP_TEXT, "a", self_led=True, facilitator=False)
    m.send(fx.RaiseHand(), "a")
    m.join("f", facilitator=True)
    assert fx.next_deadline(m.state) is None
    m.tick(10 * MIN)
    assert part_title(m) == "Opening"
    names = m.send(fx.Leave("f"))
    assert started(m) == ["A minute of quiet"]  # the opening's time was up: it moves on at once
    assert "member.left" in names
    assert m.state.part_started_at == T0 + 10 * MIN


def test_the_same_tick_twice_moves_the_meeting_once() -> None:
    m = room(TWELVE_STEP_TEXT, "a", self_led=True, facilitator=False)
    m.send(fx.RaiseHand(), "a")
    before = m.state
    m.at(3 * MIN)
    first = fx.decide(before, fx.Tick(), actor=None, now=m.now)
    second = fx.decide(before, fx.Tick(), actor=None, now=m.now)
    assert first == second  # two nodes deciding the same tick agree; the CAS keeps one
    assert isinstance(first, fx.Accepted)
    assert [e.NAME for e in first.events].count("part.started") == 1
    replay = fx.decide(first.state, fx.Tick(), actor=None, now=m.now)
    assert isinstance(replay, fx.Accepted)
    assert replay.events == ()
    assert replay.state == first.state


# --- a format that needs a facilitator ----------------------------------------------------------


def test_the_survivors_circle_never_runs_itself() -> None:
    m = room(SURVIVORS_CIRCLE, "a", "b", self_led=True, facilitator=False)
    m.send(fx.RaiseHand(), "a")
    assert m.state.part is None  # no meeting starts
    assert m.state.round is None  # and no self-led round opens
    assert m.queue == ["a"]
    m.tick(60 * MIN)
    assert m.state.part is None


def test_the_survivors_circle_holds_when_its_facilitator_drops() -> None:
    m = room(SURVIVORS_CIRCLE, "a", "b", self_led=True)
    m.send(fx.PartGoto(4), "f")
    assert part_title(m) == "Topic or exercise"
    assert posts(m, "a") is None  # gentle crosstalk while a facilitator is there
    m.send(fx.Disconnected("f"))
    assert m.view()["part"]["holds"] is True  # type: ignore[index]
    assert posts(m, "a") is R.LISTEN_ONLY
    m.send(fx.RaiseHand(), "b")
    m.tick(60 * MIN)
    assert part_title(m) == "Topic or exercise"
    assert m.state.round is None
    m.join("g", facilitator=True)
    assert m.view()["part"]["holds"] is False  # type: ignore[index]
    assert posts(m, "a") is None


def test_a_facilitator_runs_the_survivors_circle_from_opening_to_closing() -> None:
    m = room(SURVIVORS_CIRCLE, "a", "b")
    m.send(fx.PartNext(), "f")
    assert posts(m, "a") is R.NOT_YOUR_TURN
    m.send(fx.PartNext(), "f")
    assert "No screenshots" in m.one(fx.PartStarted).part.text
    m.send(fx.PartNext(), "f")
    assert part_title(m) == "Check-in"
    assert m.speaker == "f"
    m.send(fx.Pass(), "f")
    m.send(fx.Pass(), "a")
    m.send(fx.ShareDone(), "b")
    m.send(fx.RaiseHand(), "b")
    m.send(fx.PartNext(), "f")
    assert part_title(m) == "Shares"
    assert m.one(fx.PartStarted).part.content_notes
    assert m.one(fx.RoundOpened).share_seconds == 360
    assert m.speaker == "b"
    assert posts(m, "a") is R.NOT_YOUR_TURN
    m.send(fx.PartNext(), "f")
    assert posts(m, "a") is None
    m.send(fx.PartNext(), "f")
    assert "five things you can see" in m.one(fx.PartStarted).part.text
    assert posts(m, "a") is R.NOT_YOUR_TURN
    m.send(fx.PartNext(), "f")
    assert part_title(m) == "Closing"
    m.send(fx.PartNext(), "f")
    assert m.state.part is None


def test_pausing_the_room_stops_a_format_that_runs_itself() -> None:
    m = room(TWELVE_STEP_TEXT, "a", self_led=True)
    m.send(fx.PartNext(), "f")
    m.send(fx.PauseRoom(), "f")
    m.send(fx.Leave("f"))
    m.tick(30 * MIN)
    assert part_title(m) == "Opening"
    assert fx.next_deadline(m.state) is None  # a paused room waits for a facilitator
    assert m.member("a").listen_only
