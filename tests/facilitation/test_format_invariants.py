"""Random meetings that follow a format never break the rules of its parts.

A hypothesis state machine runs a room with one of the shipped formats (or a small one with a
quiet moment and a round-robin part), facilitator-led or self-led, while members, facilitators,
observers, the server and the clock act at random. After every step:

- the engine's invariants hold, and the part index is within the format;
- during a reading only facilitators (the reader) may post; during a share part only the floor
  holder and facilitators (a share part never has crosstalk); during a quiet moment nobody;
  observers never; while a format holds for a facilitator, members listen;
- a facilitator's part command moves the meeting exactly once; a late tick plays the parts that
  fell due in order, each at its own time, never later than `now`;
- the same decision twice gives the same result, and replaying a tick at the same `now` on its
  result moves nothing (so two nodes racing on one tick change the part once);
- two nodes whose clocks differ tick one after the other (the second on the first's stored
  result, as compare-and-set makes them): the parts advance exactly once, to the same meeting
  a single tick at the later clock gives;
- in a part that asks for content notes, the person sharing posts only with a note.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import facilitation as fx
from facilitation import part_rules
from facilitation.shipped import SHIPPED_FORMATS
from tests.facilitation.harness import T0

K = fx.PartKind
MEMBERS = ["a", "b", "c"]
FACILITATORS = ["f", "g"]
PEOPLE = [*MEMBERS, *FACILITATORS]

SMALL = fx.Format(
    key="small",
    title="Small",
    parts=(
        fx.Part.of(K.OPEN_TALK, "Quiet", posting=fx.Posting.NOBODY, minutes=1),
        fx.Part.of(K.SHARE_ROUND, "Round", posting=fx.Posting.IN_TURN, share_seconds=30, minutes=2),
        fx.Part.of(K.READING, "Reading", minutes=1, text="Words."),
        fx.Part.of(K.SHARE_ROUND, "Hands", share_seconds=60, minutes=3),
        fx.Part.of(K.CLOSING, "Closing", posting=fx.Posting.EVERYONE, minutes=1),
    ),
)
FORMATS = [*SHIPPED_FORMATS.values(), SMALL]
MOVES = ("part.started", "format.ended")

part_commands = st.one_of(
    st.just(fx.PartNext()),
    st.just(fx.PartNext()),
    st.builds(fx.PartGoto, st.integers(-1, 10)),
    st.just(fx.FormatEnd()),
)
member_commands = st.sampled_from(
    [fx.RaiseHand(), fx.RaiseHand(), fx.LowerHand(), fx.Pass(), fx.ShareDone()]
)
facilitator_commands = st.one_of(
    st.builds(fx.OpenRound, st.just(""), st.sampled_from([None, 30]), st.sampled_from(fx.Order)),
    st.sampled_from([fx.EndRound(), fx.Skip(), fx.PauseRoom(), fx.UnpauseRoom()]),
    st.builds(fx.Mute, st.sampled_from(MEMBERS), st.sampled_from([10, 120])),
    st.builds(fx.AssignListenOnly, st.sampled_from(MEMBERS), st.booleans()),
    st.builds(fx.SetMode, st.sampled_from([fx.Mode.OPEN, fx.Mode.LISTEN_ONLY])),
)


class FormatMachine(RuleBasedStateMachine):
    state: fx.MeetingState
    now: float
    decided_at: float

    @initialize(
        fmt=st.sampled_from(FORMATS),
        self_led=st.sampled_from([True, True, False]),
        facilitators=st.sampled_from([[], [], ["f"], ["f", "g"]]),
        begin=st.sampled_from([True, True, False]),
    )
    def start(self, fmt: fx.Format, self_led: bool, facilitators: list[str], begin: bool) -> None:
        self.state = fx.MeetingState.new(format=fmt, self_led=self_led, seat_hold_seconds=120)
        self.now = self.decided_at = T0
        for who in [*facilitators, *MEMBERS]:
            self.apply(fx.Join(who, who.upper(), who, who in FACILITATORS, ticket=f"t{who}"), None)
        if begin:  # a facilitator starts the meeting, or a first hand does in a self-led room
            if facilitators:
                self.apply(fx.PartNext(), fx.Actor("f"))
            self.apply(fx.RaiseHand(), fx.Actor("a"))

    # --- steps -----------------------------------------------------------------------------

    @rule(dt=st.sampled_from([1, 10, 30, 60, 90, 180]) | st.floats(0, 3000))
    def time_passes(self, dt: float) -> None:
        self.now += dt
        self.apply(fx.Tick(), None)

    @rule(minutes=st.integers(1, 10))
    def a_part_may_end(self, minutes: int) -> None:
        self.now += minutes * 60
        self.apply(fx.Tick(), None)

    @rule(dt=st.floats(0, 600), skew=st.sampled_from([0, 0.5, 5, 60]) | st.floats(0, 400))
    def two_nodes_tick(self, dt: float, skew: float) -> None:
        """Node A ticks at `now`; node B, whose clock is `skew` ahead, ticks on A's result."""
        self.now += dt
        first = fx.decide(self.state, fx.Tick(), actor=None, now=self.now)
        assert isinstance(first, fx.Accepted)
        second = fx.decide(first.state, fx.Tick(), actor=None, now=self.now + skew)
        assert isinstance(second, fx.Accepted)
        alone = fx.decide(self.state, fx.Tick(), actor=None, now=self.now + skew)
        assert isinstance(alone, fx.Accepted)
        both = [_move(e) for e in (*first.events, *second.events) if e.NAME in MOVES]
        assert both == [_move(e) for e in alone.events if e.NAME in MOVES]
        assert second.state == alone.state
        self.now += skew
        self.state = second.state
        self.decided_at = self.now

    @rule(dt=st.floats(0, 200))
    def time_passes_silently(self, dt: float) -> None:
        self.now += dt

    @rule(command=part_commands, who=st.sampled_from([*FACILITATORS, "a"]))
    def someone_moves_the_meeting(self, command: fx.Command, who: str) -> None:
        self.apply(command, fx.Actor(who))

    @rule(command=member_commands, who=st.sampled_from(PEOPLE))
    def someone_acts(self, command: fx.Command, who: str) -> None:
        self.apply(command, fx.Actor(who))

    @rule(command=st.sampled_from([fx.ShareDone(), fx.Pass()]))
    def the_speaker_finishes(self, command: fx.Command) -> None:
        speaker = self.state.speaker()
        if speaker is not None:
            self.apply(command, fx.Actor(speaker))

    @rule(command=facilitator_commands, who=st.sampled_from(FACILITATORS))
    def a_facilitator_steers(self, command: fx.Command, who: str) -> None:
        self.apply(command, fx.Actor(who))

    @rule(
        kind=st.sampled_from([fx.Leave, fx.Disconnected, fx.Reconnected]),
        who=st.sampled_from([*PEOPLE, *FACILITATORS]),
    )
    def presence_changes(self, kind: type[fx.Leave], who: str) -> None:
        self.apply(kind(who), None)

    @rule(who=st.sampled_from(MEMBERS))
    def a_member_raises_a_hand(self, who: str) -> None:
        self.apply(fx.RaiseHand(), fx.Actor(who))

    @rule(who=st.sampled_from(PEOPLE))
    def someone_comes_back(self, who: str) -> None:
        self.apply(fx.Join(who, who.upper(), who, who in FACILITATORS, ticket=f"j{who}"), None)

    @rule(command=st.one_of(part_commands, member_commands), who=st.sampled_from(PEOPLE))
    def an_observer_tries(self, command: fx.Command, who: str) -> None:
        result = fx.decide(self.state, command, actor=fx.Actor(who, observer=True), now=self.now)
        assert isinstance(result, fx.Refused)
        assert result.code is fx.Refusal.OBSERVER

    # --- checks ----------------------------------------------------------------------------

    def apply(self, command: fx.Command, actor: fx.Actor | None) -> None:
        result = fx.decide(self.state, command, actor=actor, now=self.now)
        assert result == fx.decide(self.state, command, actor=actor, now=self.now)
        if isinstance(result, fx.Refused):
            assert result.detail
            return
        moves = [e for e in result.events if e.NAME in MOVES]
        if isinstance(command, fx.PartNext | fx.PartGoto | fx.FormatEnd):
            assert len(moves) == 1  # one action, one move
        self._check_clock_moves(moves)
        if isinstance(command, fx.Tick):
            replay = fx.decide(result.state, command, actor=None, now=self.now)
            assert isinstance(replay, fx.Accepted)
            assert not [e for e in replay.events if e.NAME in MOVES]
            assert replay.state == result.state
        for event in result.events:
            json.dumps(fx.to_wire(event))
        self.state = result.state
        self.decided_at = self.now

    def _check_clock_moves(self, moves: list[fx.Event]) -> None:
        """Parts started in one decision follow each other, each no later than `now`."""
        starts = [e for e in moves if isinstance(e, fx.PartStarted)]
        times = [e.part.started_at for e in starts]
        assert times == sorted(times)
        assert all(t <= self.now for t in times)
        if len(starts) > 1:
            indexes = [e.part.index for e in starts]
            assert indexes == list(range(indexes[0], indexes[0] + len(indexes)))

    def _may_post(self, who: str, note: str = "") -> bool:
        allowed = fx.may_post(self.state, fx.Actor(who), self.decided_at, note=note)
        return isinstance(allowed, fx.PostAllowed)

    @invariant()
    def the_engines_invariants_hold(self) -> None:
        fx.check_invariants(self.state, self.decided_at)
        fmt, index = self.state.format, self.state.part
        assert fmt is not None
        assert index is None or 0 <= index < len(fmt.parts)

    @invariant()
    def posting_follows_the_part(self) -> None:
        part = self.state.current_part()
        if part is None:
            return
        speaker = self.state.speaker()
        for who in self.state.participants:
            allowed = self._may_post(who.member)
            if part.kind is K.READING:
                assert not allowed or who.is_facilitator, "only the reader posts in a reading"
            if part.share_round:
                assert not part.crosstalk
                assert not allowed or who.is_facilitator or who.member == speaker
            if part.posting is fx.Posting.NOBODY:
                assert not allowed
            if part_rules.format_holds(self.state):
                assert not allowed or who.is_facilitator or who.member == speaker
            if not who.is_facilitator and (who.listen_only or who.muted_until):
                assert not allowed or (who.muted_until or 0) <= self.decided_at

    @invariant()
    def a_share_with_content_notes_posts_with_a_note(self) -> None:
        part, speaker = self.state.current_part(), self.state.speaker()
        if part is None or speaker is None or not self._may_post(speaker, note="a note"):
            return
        who = self.state.participant(speaker)
        assert who is not None
        bare = fx.may_post(self.state, fx.Actor(speaker), self.decided_at)
        if part.content_notes and not who.is_facilitator:
            assert isinstance(bare, fx.Refused)
            assert bare.code is fx.Refusal.CONTENT_NOTE
        else:
            assert isinstance(bare, fx.PostAllowed)

    @invariant()
    def observers_never_post(self) -> None:
        for who in [*PEOPLE, "zz"]:
            refused = fx.may_post(self.state, fx.Actor(who, observer=True), self.decided_at)
            assert isinstance(refused, fx.Refused)
            assert refused.code is fx.Refusal.OBSERVER

    @invariant()
    def the_stored_form_round_trips(self) -> None:
        assert fx.from_dict(json.loads(json.dumps(fx.to_dict(self.state)))) == self.state

    @invariant()
    def the_clock_is_never_behind(self) -> None:
        deadline = fx.next_deadline(self.state)
        assert deadline is None or deadline > self.decided_at


def _move(event: fx.Event) -> tuple[str, int | None, float | None]:
    """A part move as the room sees it: which part started, and when (or the format ended)."""
    if isinstance(event, fx.PartStarted):
        return (event.NAME, event.part.index, event.part.started_at)
    return (event.NAME, None, None)


FormatMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
TestFormatMachine = FormatMachine.TestCase
