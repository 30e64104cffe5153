"""The connection's life as a table (server/session.py), driven without a socket."""

from __future__ import annotations

import json

import pytest

from rooms.model import RoomConfig
from rooms.seat import Seat
from server.codes import CloseCode
from server.session import (
    ACCEPTS,
    TRANSITIONS,
    CloseWith,
    Kind,
    Phase,
    Reply,
    Run,
    Session,
    SessionBug,
    Step,
)
from server.wire import Wire


def _session(limit: int = 3) -> Session:
    return Session(Wire.JSON, join_deadline=10.0, bad_frames_before_close=limit)


def _frame(**fields: object) -> str:
    return json.dumps(fields)


def _seated() -> Session:
    session = _session()
    session.step(Step.ENTER)
    session.seat = Seat("c1", RoomConfig(slug="r", name="R"), "m_1", "Ann", observer=False)
    session.step(Step.SEATED)
    return session


def test_a_join_runs_and_moves_through_joining_to_seated() -> None:
    session = _session()
    intent = session.receive(_frame(type="join", id=1, room="r", name="Ann"), now=0)
    assert isinstance(intent, Run)
    assert intent.cid == 1
    assert session.step(Step.ENTER) is Phase.JOINING
    assert session.step(Step.SEATED) is Phase.SEATED
    assert not session.waits_for_join


def test_a_refused_join_goes_back_to_hello_and_the_deadline_applies_again() -> None:
    session = _session()
    session.step(Step.ENTER)
    assert session.step(Step.REFUSED) is Phase.HELLO
    assert session.waits_for_join


def test_room_commands_before_joining_get_not_joined() -> None:
    intent = _session().receive(_frame(type="post", id=7, text="hi"), now=0)
    assert isinstance(intent, Reply)
    assert intent.frame == {
        "type": "error",
        "id": 7,
        "code": "not_joined",
        "message": "Join a room (or resume) first.",
    }


def test_a_second_join_gets_already_joined() -> None:
    intent = _seated().receive(_frame(type="join", id=2, room="r", name="Ann"), now=0)
    assert isinstance(intent, Reply)
    assert intent.frame["code"] == "already_joined"


def test_the_lobby_runs_nothing_but_ping() -> None:
    session = _session()
    session.step(Step.ENTER)
    session.step(Step.PARKED)
    assert isinstance(session.receive(_frame(type="ping", id=1), now=0), Run)
    refused = session.receive(_frame(type="hand.raise", id=2), now=0)
    assert isinstance(refused, Reply)
    assert refused.frame["code"] == "not_joined"
    assert session.step(Step.ADMITTED) is Phase.JOINING


def test_decodable_commands_are_answered_every_time_and_never_close() -> None:
    """issue 10 §6: three commands with an unknown field get three bad_request replies."""
    session = _seated()
    for cid in (1, 2, 3, 4, 5):
        intent = session.receive(_frame(type="post", id=cid, text="x", shiny=True), now=cid)
        assert isinstance(intent, Reply)
        assert intent.frame["id"] == cid
        assert intent.frame["code"] == "bad_request"


def test_undecodable_frames_count_towards_1008_within_a_minute() -> None:
    session = _seated()
    assert isinstance(session.receive("not json", now=0), Reply)
    assert isinstance(session.receive("[1, 2]", now=1), Reply)
    closed = session.receive("{", now=2)
    assert closed == CloseWith(CloseCode.POLICY_VIOLATION, "too many invalid frames")


def test_old_bad_frames_fall_out_of_the_budget() -> None:
    session = _seated()
    session.receive("not json", now=0)
    session.receive("not json", now=1)
    assert isinstance(session.receive("not json", now=120), Reply)


def test_the_wrong_frame_type_closes_with_1003() -> None:
    session = Session(Wire.MSGPACK, join_deadline=10.0, bad_frames_before_close=3)
    assert session.receive('{"type": "ping"}', now=0) == CloseWith(
        CloseCode.UNSUPPORTED_DATA, "wrong frame type for subprotocol"
    )


def test_drain_then_close_and_nothing_after() -> None:
    session = _seated()
    assert session.step(Step.DRAIN) is Phase.DRAINING
    assert not session.reading
    assert session.step(Step.CLOSE) is Phase.CLOSING
    assert not session.try_step(Step.DRAIN)
    with pytest.raises(SessionBug):
        session.step(Step.SEATED)


def test_leaving_closes() -> None:
    assert _seated().step(Step.LEFT) is Phase.CLOSING


def test_every_phase_has_its_accept_row_and_every_live_phase_can_close() -> None:
    assert set(ACCEPTS) == set(Phase)
    for phase in Phase:
        if phase is not Phase.CLOSING:
            assert TRANSITIONS[(phase, Step.CLOSE)] is Phase.CLOSING


# -- the staff channel (protocol.md §9, Rule 4) ---------------------------------------------------


def test_staff_watch_moves_hello_through_joining_to_watching() -> None:
    session = _session()
    intent = session.receive(_frame(type="staff.watch", id=1, staff="tok"), now=0)
    assert isinstance(intent, Run)
    assert session.step(Step.ENTER) is Phase.JOINING
    assert session.step(Step.WATCHING) is Phase.WATCHING
    assert not session.waits_for_join  # a console has no join deadline


def test_a_console_gets_wrong_channel_for_room_commands_and_runs_staff_ones() -> None:
    session = _session()
    session.step(Step.ENTER)
    session.step(Step.WATCHING)
    for frame in (_frame(type="post", id=2, text="hi"), _frame(type="join", id=3, room="r")):
        intent = session.receive(frame, now=0)
        assert isinstance(intent, Reply)
        assert intent.frame["code"] == "wrong_channel"
    again = session.receive(_frame(type="staff.watch", id=4, staff="tok"), now=0)
    assert isinstance(again, Reply)
    assert again.frame["code"] == "already_joined"
    take = session.receive(_frame(type="alert.take", id=5, alert="alr_1"), now=0)
    assert isinstance(take, Run)


def test_staff_commands_on_a_members_connection_get_wrong_channel() -> None:
    for session in (_session(), _seated()):
        intent = session.receive(_frame(type="oncall.set", id=1, on=True), now=0)
        assert isinstance(intent, Reply)
        assert intent.frame["code"] == "wrong_channel"


def test_every_live_phase_can_drain_and_close_the_console_included() -> None:
    assert TRANSITIONS[(Phase.WATCHING, Step.DRAIN)] is Phase.DRAINING
    assert TRANSITIONS[(Phase.WATCHING, Step.CLOSE)] is Phase.CLOSING
    assert ACCEPTS[Phase.WATCHING] == frozenset({Kind.PING, Kind.STAFF, Kind.TALK})


def test_conversation_messages_run_in_a_room_and_on_a_console_only() -> None:
    """`conversation.say`/`end` are either party's: seated, or a staff console (Kind.TALK);
    before joining they get `not_joined`. The other conversation commands are a room's."""
    say = _frame(type="conversation.say", id=1, conversation="cv_x", text="hi")
    assert isinstance(_seated().receive(say, now=0), Run)
    console = _session()
    console.step(Step.ENTER)
    console.step(Step.WATCHING)
    assert isinstance(console.receive(say, now=0), Run)
    ask = console.receive(_frame(type="crisis.request", id=2), now=0)
    assert isinstance(ask, Reply)
    assert ask.frame["code"] == "wrong_channel"
    early = _session().receive(say, now=0)
    assert isinstance(early, Reply)
    assert early.frame["code"] == "not_joined"
