"""A meeting driven by hand with an explicit clock, for scenario tests.

Like h11's ConnectionPair: the test sends commands at chosen times and asserts on the events
that come out. Every accepted result is checked for the invariants, a JSON-ready wire form and
an exact serialization round trip, so each scenario also exercises those for free.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TypeVar

import facilitation as fx

T0 = 1_800_000_000.0
"""The start of every scenario (seconds since the Unix epoch)."""

E = TypeVar("E", bound=fx.Event)


class Meeting:
    """One room's meeting, a clock, and the last batch of events."""

    def __init__(self, **settings: object) -> None:
        self.state = fx.MeetingState.new(**settings)  # type: ignore[arg-type]
        self.now = T0
        self.events: tuple[fx.Event, ...] = ()

    # --- the clock ---------------------------------------------------------------------

    def at(self, seconds: float) -> Meeting:
        """Set the clock to `seconds` after the start."""
        self.now = T0 + seconds
        return self

    def advance(self, seconds: float) -> Meeting:
        self.now += seconds
        return self

    @property
    def t(self) -> float:
        """The clock, in seconds after the start."""
        return self.now - T0

    # --- commands ------------------------------------------------------------------------

    def send(
        self, command: fx.Command, by: str | None = None, *, observer: bool = False
    ) -> list[str]:
        """Apply a command that must be accepted; return the emitted event names."""
        result = fx.decide(self.state, command, actor=self._actor(by, observer), now=self.now)
        assert isinstance(result, fx.Accepted), f"{command} by {by} was refused: {result}"
        self._check(result)
        self.state = result.state
        self.events = result.events
        return self.names()

    def refused(
        self, command: fx.Command, by: str | None = None, *, observer: bool = False
    ) -> fx.Refusal:
        """Apply a command that must be refused; return the refusal code."""
        result = fx.decide(self.state, command, actor=self._actor(by, observer), now=self.now)
        assert isinstance(result, fx.Refused), f"{command} by {by} was accepted: {result.events}"
        assert result.detail
        return result.code

    def tick(self, at: float | None = None) -> list[str]:
        if at is not None:
            self.at(at)
        return self.send(fx.Tick())

    def join(
        self,
        member: str,
        *,
        facilitator: bool = False,
        marks: frozenset[str] = frozenset(),
        name: str | None = None,
        ticket: str | None = None,
    ) -> list[str]:
        name = name or member.capitalize()
        command = fx.Join(
            member, name, name.casefold(), facilitator, marks, ticket or f"t-{member}"
        )
        return self.send(command)

    def join_all(self, *members: str) -> None:
        for member in members:
            self.join(member)

    # --- looking at the outcome -----------------------------------------------------------

    def names(self) -> list[str]:
        """The last batch's event names, without the facilitators' `fairness` tally, which
        follows every turn (test_milestones_fairness.py checks it; `self.events` has it)."""
        return [e.NAME for e in self.events if not isinstance(e, fx.FairnessChanged)]

    def one(self, kind: type[E]) -> E:
        """The single event of that class in the last batch."""
        found = [e for e in self.events if isinstance(e, kind)]
        assert len(found) == 1, f"expected one {kind.__name__} in {self.names()}"
        return found[0]

    def wire(self, kind: type[fx.Event]) -> dict[str, object]:
        return fx.to_wire(self.one(kind))

    @property
    def speaker(self) -> str | None:
        return self.state.speaker()

    @property
    def queue(self) -> list[str]:
        return list(self.state.queue)

    def view(self) -> dict[str, object]:
        return fx.public_view(self.state, self.now)

    def member(self, member: str) -> fx.Participant:
        who = self.state.participant(member)
        assert who is not None, f"{member} is not seated"
        return who

    # --- internals ---------------------------------------------------------------------------

    @staticmethod
    def _actor(by: str | None, observer: bool) -> fx.Actor | None:
        return None if by is None else fx.Actor(by, observer=observer)

    def _check(self, result: fx.Accepted) -> None:
        fx.check_invariants(result.state, self.now)
        assert fx.from_dict(json.loads(json.dumps(fx.to_dict(result.state)))) == result.state
        for event in result.events:
            json.dumps(fx.to_wire(event))
        states = [e for e in result.events if isinstance(e, fx.MeetingStateChanged)]
        assert len(states) <= 1
        if states:
            assert result.events[-1] is states[0]


def names_without_state(names: Sequence[str]) -> list[str]:
    return [n for n in names if n != "meeting.state"]
