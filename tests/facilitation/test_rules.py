"""The rule tables: complete, consistent with the protocol, and enforced."""

from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path

import pytest

import facilitation as fx
from facilitation import commands, events, rules
from facilitation.engine import HANDLERS
from tests.facilitation.harness import Meeting
from tests.facilitation.samples import SAMPLES

R = fx.Refusal
PROTOCOL = (Path(__file__).parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")
ALL_COMMANDS = [
    obj
    for obj in vars(commands).values()
    if inspect.isclass(obj) and issubclass(obj, fx.Command) and obj is not fx.Command
]
ALL_EVENTS = [
    obj
    for obj in vars(events).values()
    if inspect.isclass(obj) and issubclass(obj, fx.Event) and obj is not fx.Event
]


def test_every_command_has_exactly_one_sender_rule_and_one_handler() -> None:
    assert set(rules.REQUIRED_ROLE).isdisjoint(rules.SYSTEM_COMMANDS)
    assert set(rules.ALL_COMMANDS) == set(ALL_COMMANDS) == set(HANDLERS) == set(SAMPLES)


def test_every_command_a_mode_forbids_has_a_refusal() -> None:
    for mode, allowed in rules.ALLOWED_IN_MODE.items():
        for kind in set(ALL_COMMANDS) - allowed:
            assert kind in rules.MODE_REFUSAL, (mode, kind)
    assert set(rules.ALLOWED_IN_MODE) == set(fx.Mode)


def test_person_commands_have_their_protocol_wire_names() -> None:
    for kind in ALL_COMMANDS:
        if kind in rules.SYSTEM_COMMANDS:
            assert kind.WIRE is None
        else:
            assert f"`{kind.WIRE}`" in PROTOCOL, kind


def test_every_refusal_code_is_a_documented_protocol_error_code() -> None:
    section = PROTOCOL.split("<!-- error-codes:start -->")[1].split("<!-- error-codes:end -->")[0]
    documented = set(re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE))
    assert {str(code) for code in R} <= documented


def test_every_event_name_is_in_the_protocol() -> None:
    pending_in_protocol = {"lobby.admitted", "lobby.denied"}  # to be added to protocol.md
    for kind in ALL_EVENTS:
        assert kind.AUDIENCE in ("all", "facilitators")
        if kind.NAME not in pending_in_protocol:
            assert f"`{kind.NAME}`" in PROTOCOL, kind.NAME


def test_facilitators_only_events() -> None:
    private = {k.NAME for k in ALL_EVENTS if k.AUDIENCE == "facilitators"}
    assert private == {
        "moderation",
        "report.filed",
        "lobby.waiting",
        "raid.alert",
        "lobby.admitted",
        "lobby.denied",
        "milestone.marked",
        "milestone.cleared",
        "fairness",
        "tending",
    }


def test_no_moderation_event_has_room_for_message_text() -> None:
    for kind in ALL_EVENTS:
        if kind is not fx.ReportFiled:
            assert "text" not in {f.name for f in dataclasses.fields(kind)}, kind


@pytest.mark.parametrize("kind", ALL_COMMANDS, ids=lambda k: k.__name__)
def test_observers_are_refused_everything(kind: type[fx.Command]) -> None:
    m = Meeting()
    m.join("f", facilitator=True)
    m.join("a")
    assert m.refused(SAMPLES[kind], "f", observer=True) is R.OBSERVER
    assert m.refused(SAMPLES[kind], "obs", observer=True) is R.OBSERVER


BAD = [
    fx.OpenRound(share_seconds=29),
    fx.OpenRound(share_seconds=1201),
    fx.OpenRound(topic="x" * 201),
    fx.OpenRound(order="alphabetical"),  # type: ignore[arg-type]
    fx.Extend(9),
    fx.Extend(601),
    fx.Mute("a", 9),
    fx.Mute("a", 86_401),
    fx.Ban("a", 59),
    fx.Ban("a", 604_801),
    fx.Ban("a", 600, "x" * 201),
    fx.Remove("a", "x" * 201),
    fx.SetSlow(-1),
    fx.SetSlow(3601),
    fx.SetMode(fx.Mode.ROUND),
    fx.QueueMove("a", -1),
    fx.Extend(True),
    fx.Extend(60.5),  # type: ignore[arg-type]
    fx.Report(1, "b", "B", "t", "x" * 201),
]


@pytest.mark.parametrize("command", BAD, ids=repr)
def test_out_of_range_fields_are_bad_requests(command: fx.Command) -> None:
    m = Meeting()
    m.join("f", facilitator=True)
    m.join("a")
    m.send(fx.RaiseHand(), "a")
    m.send(fx.OpenRound(), "f")
    m.send(fx.EndRound(), "f")
    sender = "a" if isinstance(command, fx.Report) else "f"
    if isinstance(command, fx.Extend):
        m.send(fx.RaiseHand(), "a")
        m.send(fx.OpenRound(), "f")
    assert m.refused(command, sender) is R.BAD_REQUEST


@pytest.mark.parametrize(
    "command",
    [fx.OpenRound(share_seconds=30), fx.OpenRound(share_seconds=1200, topic="x" * 200)],
    ids=repr,
)
def test_the_bounds_are_inclusive(command: fx.Command) -> None:
    m = Meeting()
    m.join("f", facilitator=True)
    m.send(command, "f")


def test_posting_rules() -> None:
    m = Meeting()
    m.join("f", facilitator=True)
    m.join_all("a", "b", "c")

    def code(member: str, observer: bool = False) -> str | int:
        result = fx.may_post(m.state, fx.Actor(member, observer), m.now)
        return result.code if isinstance(result, fx.Refused) else result.slow_seconds

    assert code("a") == 0
    assert code("a", observer=True) == R.OBSERVER
    assert code("zz") == R.NOT_JOINED
    m.send(fx.RaiseHand(), "a")
    m.send(fx.OpenRound(), "f")
    assert (code("a"), code("b"), code("f")) == (0, R.NOT_YOUR_TURN, 0)
    m.send(fx.SetListenOnly(True), "c")
    assert code("c") == R.LISTEN_ONLY
    m.send(fx.Disconnected("b"))
    assert code("b") == R.NOT_JOINED


def test_reactions_are_for_everyone_seated_but_observers() -> None:
    m = Meeting()
    m.join("a")
    m.send(fx.SetListenOnly(True), "a")
    assert fx.may_react(m.state, fx.Actor("a")) is None
    observer = fx.may_react(m.state, fx.Actor("a", observer=True))
    assert observer is not None
    assert observer.code is R.OBSERVER
    stranger = fx.may_react(m.state, fx.Actor("zz"))
    assert stranger is not None
    assert stranger.code is R.NOT_JOINED


def test_a_person_command_without_a_sender_is_refused() -> None:
    m = Meeting()
    assert m.refused(fx.RaiseHand()) is R.NOT_JOINED
