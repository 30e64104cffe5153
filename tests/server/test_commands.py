"""The command table: the engine's commands are derived from the engine, never restated."""

from __future__ import annotations

import dataclasses

import pytest

import facilitation as fx
from facilitation import rules
from facilitation.commands import SERVER_FILLS
from server.commands import SESSION_SPECS, SPECS, engine_spec
from server.errors import BadRequest
from server.staff_commands import STAFF_SPECS
from server.wire import MAX_INT, Field, parse_command

ENGINE_COMMANDS = [kind for kind in rules.ALL_COMMANDS if kind.WIRE is not None]


def _field(kind: type[fx.Command], name: str) -> Field:
    return next(f for f in SPECS[str(kind.WIRE)].fields if f.name == name)


def test_every_engine_command_with_a_wire_name_has_a_spec() -> None:
    assert {str(kind.WIRE) for kind in ENGINE_COMMANDS} <= set(SPECS)
    engine = {str(kind.WIRE) for kind in ENGINE_COMMANDS}
    assert set(SPECS) == set(SESSION_SPECS) | engine | set(STAFF_SPECS)
    assert not set(SESSION_SPECS) & engine
    assert not set(STAFF_SPECS) & (engine | set(SESSION_SPECS))


@pytest.mark.parametrize("kind", ENGINE_COMMANDS, ids=lambda k: str(k.WIRE))
def test_a_spec_has_the_dataclass_fields_the_client_sends(kind: type[fx.Command]) -> None:
    spec = SPECS[str(kind.WIRE)]
    assert [f.name for f in spec.fields] == [f.name for f in fx.client_fields(kind)]
    for f in fx.client_fields(kind):
        wire = _field(kind, f.name)
        assert wire.required == (f.default is dataclasses.MISSING)
        assert wire.required or wire.default == f.default


@pytest.mark.parametrize("kind", ENGINE_COMMANDS, ids=lambda k: str(k.WIRE))
def test_bounds_lengths_and_choices_come_from_the_rule_tables(kind: type[fx.Command]) -> None:
    """Every integer and text field is limited by a table row, and by nothing else."""
    for wire in SPECS[str(kind.WIRE)].fields:
        if wire.kind == "int":
            assert (wire.lo, wire.hi) == rules.NUMBER_BOUNDS[kind][wire.name]
        elif wire.kind == "str" and wire.choices is not None:
            assert wire.choices == {str(c) for c in rules.CHOICES[kind][wire.name]}
        elif wire.kind == "str":
            assert (wire.lo, wire.hi) == rules.TEXT_LIMITS[kind][wire.name]
            assert wire.hi < MAX_INT


def test_queue_move_takes_the_engines_bound() -> None:
    """The server's own table said 10,000 and the engine 1,000,000; the engine's table wins."""
    assert (_field(fx.QueueMove, "position").lo, _field(fx.QueueMove, "position").hi) == (
        0,
        1_000_000,
    )
    frame = {"type": "queue.move", "id": 1, "member": "m_1", "position": 1_000_000}
    assert parse_command(frame, SPECS)[1] == fx.QueueMove("m_1", 1_000_000)
    with pytest.raises(BadRequest):
        parse_command({**frame, "position": 1_000_001}, SPECS)


def test_fields_the_server_fills_are_not_accepted_from_the_wire() -> None:
    for name in ("about", "about_name", "text"):
        with pytest.raises(BadRequest, match="unknown field"):
            parse_command({"type": "report", "id": 1, "mid": 3, name: "x"}, SPECS)
    _, command = parse_command({"type": "report", "id": 1, "mid": 3, "reason": "unkind"}, SPECS)
    assert command == fx.Report(mid=3, reason="unkind")
    assert (command.about, command.about_name, command.text) == ("", "", "")


def test_wire_strings_become_the_engines_enums() -> None:
    _, opened = parse_command({"type": "round.open", "id": 1, "order": "round_robin"}, SPECS)
    assert opened == fx.OpenRound(order=fx.Order.ROUND_ROBIN)
    assert type(opened.order) is fx.Order  # type: ignore[attr-defined]
    _, mode = parse_command({"type": "mode.set", "id": 1, "mode": "listen_only"}, SPECS)
    assert type(mode.mode) is fx.Mode  # type: ignore[attr-defined]
    with pytest.raises(BadRequest):  # `round` is a mode the room enters, never one to set
        parse_command({"type": "mode.set", "id": 1, "mode": "round"}, SPECS)


def test_an_absent_share_length_is_the_rooms_default() -> None:
    """`share_seconds` None means the room's own share length, not a fixed 180."""
    _, opened = parse_command({"type": "round.open", "id": 1}, SPECS)
    assert opened == fx.OpenRound(topic="", share_seconds=None, order=fx.Order.HANDS)


@pytest.mark.parametrize("kind", ENGINE_COMMANDS, ids=lambda k: str(k.WIRE))
def test_values_at_the_wire_limits_pass_the_engines_field_checks(kind: type[fx.Command]) -> None:
    """The edges the server lets through are edges the engine accepts too."""
    for edge in ("lo", "hi"):
        frame: dict[str, object] = {"type": kind.WIRE, "id": 1}
        for wire in SPECS[str(kind.WIRE)].fields:
            if wire.kind == "bool":
                frame[wire.name] = True
            elif wire.choices is not None:
                frame[wire.name] = sorted(wire.choices)[0]
            elif wire.kind == "int":
                frame[wire.name] = getattr(wire, edge)
            else:
                frame[wire.name] = "x" * getattr(wire, edge)
        _, command = parse_command(frame, SPECS)
        assert rules._field_refusal(command) is None  # type: ignore[arg-type]


def test_a_server_filled_field_needs_a_default() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Careless(fx.Command):
        WIRE = "careless"
        about: str = dataclasses.field(metadata=SERVER_FILLS)

    with pytest.raises(TypeError, match="needs a default"):
        engine_spec(Careless)


def test_a_server_only_command_has_no_spec() -> None:
    with pytest.raises(TypeError):
        engine_spec(fx.Tick)
    assert all(kind.WIRE is None for kind in rules.SYSTEM_COMMANDS)
