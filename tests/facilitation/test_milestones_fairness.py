"""Milestones (opt-in, for this meeting only) and fairness at a glance (for facilitators).

Scenarios through the harness, then a hypothesis state machine over a room with a small format
whose invariants say: milestones and turns exist only for people seated; both are gone when the
meeting leaves its format; the `fairness` event is sent exactly when the tally changes and says
what the state holds; a closing part leaves no milestone uncelebrated; a milestone reaches
everyone only by being celebrated; an `unshared_first` round queues those who have not shared
first.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import facilitation as fx
from tests.facilitation.harness import T0, Meeting

R = fx.Refusal
K = fx.PartKind

SMALL = fx.Format(
    key="small",
    title="Small",
    parts=(
        fx.Part.of(K.READING, "Welcome", minutes=1, text="Welcome."),
        fx.Part.of(K.SHARE_ROUND, "Round", posting=fx.Posting.IN_TURN, share_seconds=30, minutes=3),
        fx.Part.of(K.SHARE_ROUND, "Hands", share_seconds=60, minutes=3),
        fx.Part.of(K.CLOSING, "Closing", minutes=1, text="Thank you."),
    ),
)


def room(*members: str, fmt: fx.Format | None = SMALL) -> Meeting:
    m = Meeting(format=fmt)
    m.join("f", facilitator=True)
    m.join_all(*members)
    return m


def tally(m: Meeting) -> dict[str, tuple[int, float, int]]:
    return {t.member: (t.shares, t.seconds, t.passes) for t in m.state.turns}


def fairness_events(m: Meeting) -> list[fx.FairnessChanged]:
    return [e for e in m.events if isinstance(e, fx.FairnessChanged)]


# --- milestones ---------------------------------------------------------------------------------


def test_a_milestone_is_seen_by_facilitators_until_a_facilitator_celebrates_it() -> None:
    m = room("a", "b")
    assert m.send(fx.MilestoneSet(30), "a") == ["milestone.marked"]
    marked = m.one(fx.MilestoneMarked)
    assert (marked.AUDIENCE, fx.to_wire(marked)) == (
        "facilitators",
        {"event": "milestone.marked", "member": "a", "days": 30},
    )
    assert "30" not in json.dumps(m.view())  # nothing of it in the public view
    assert fx.facilitators_view(m.state)["milestones"] == [
        {"member": "a", "days": 30, "celebrated": False}
    ]
    m.send(fx.MilestoneSet(31), "a")  # changed: still one per member
    assert [(x.member, x.days) for x in m.state.milestones] == [("a", 31)]
    assert m.send(fx.MilestoneCelebrate("a"), "f") == ["milestone.celebrated"]
    celebrated = m.wire(fx.MilestoneCelebrated)
    assert celebrated == {"event": "milestone.celebrated", "member": "a", "days": 31, "by": "f"}
    assert m.one(fx.MilestoneCelebrated).AUDIENCE == "all"
    assert m.state.milestones[0].celebrated


def test_milestone_refusals() -> None:
    m = room("a", "b")
    assert m.refused(fx.MilestoneClear(), "a") is R.NOT_ALLOWED  # none marked
    assert m.refused(fx.MilestoneCelebrate("b"), "f") is R.NOT_ALLOWED
    assert m.refused(fx.MilestoneCelebrate("zz"), "f") is R.NOT_PRESENT
    assert m.refused(fx.MilestoneCelebrate("a"), "b") is R.NOT_FACILITATOR
    assert m.refused(fx.MilestoneSet(0), "a") is R.BAD_REQUEST
    assert m.refused(fx.MilestoneSet(36_501), "a") is R.BAD_REQUEST
    assert m.refused(fx.MilestoneSet(30), "obs", observer=True) is R.OBSERVER
    m.send(fx.MilestoneSet(1), "a")
    assert m.send(fx.MilestoneClear(), "a") == ["milestone.cleared"]
    assert m.state.milestones == ()


def test_the_closing_part_celebrates_milestones_and_the_format_end_forgets_them() -> None:
    m = room("a", "b", "c")
    m.send(fx.MilestoneSet(90), "b")
    m.send(fx.MilestoneSet(7), "a")
    m.send(fx.MilestoneCelebrate("a"), "f")  # celebrated already: not again at the closing
    m.send(fx.PartGoto(3), "f")
    celebrated = [e for e in m.events if isinstance(e, fx.MilestoneCelebrated)]
    assert [(e.member, e.days, e.by) for e in celebrated] == [("b", 90, None)]
    assert m.names().index("part.started") < m.names().index("milestone.celebrated")
    assert all(x.celebrated for x in m.state.milestones)
    m.send(fx.MilestoneSet(8), "c")  # marked during the closing: a facilitator may celebrate
    m.send(fx.PartNext(), "f")
    assert "format.ended" in m.names()
    assert m.state.milestones == ()


def test_a_milestone_goes_with_its_member() -> None:
    m = room("a", "b", fmt=None)
    m.send(fx.MilestoneSet(30), "a")
    m.send(fx.MilestoneSet(60), "b")
    m.send(fx.Leave("a"))
    assert [x.member for x in m.state.milestones] == ["b"]
    m.send(fx.Disconnected("b"))  # a dropped connection keeps the seat, and the milestone
    assert [x.member for x in m.state.milestones] == ["b"]
    m.advance(m.state.settings.seat_hold_seconds + 1).tick()
    assert m.state.milestones == ()


# --- fairness -------------------------------------------------------------------------------------


def test_the_tally_counts_shares_their_length_and_passes() -> None:
    m = room("a", "b", "c", fmt=None)
    m.send(fx.OpenRound("", 120, fx.Order.ROUND_ROBIN, unshared_first=False), "f")
    assert m.speaker == "f"
    m.advance(20).send(fx.ShareDone(), "f")
    assert [e.turns.turns for e in fairness_events(m)] == [(fx.Turns("f", 1, 20.0, 0),)]
    assert fairness_events(m)[0].AUDIENCE == "facilitators"
    m.advance(45).send(fx.Pass(), "a")  # passing on the floor
    m.send(fx.Pass(), "c")  # passing from the queue, a turn still to come
    assert m.speaker == "b"
    m.advance(200).tick()  # b's time runs out: 120 s, not the 200 that passed
    assert tally(m) == {"f": (1, 20.0, 0), "a": (0, 0.0, 1), "c": (0, 0.0, 1), "b": (1, 120.0, 0)}
    wire = fx.to_wire(fx.FairnessChanged(fx.FairnessView.of(m.state)))
    assert wire["turns"][-1] == {"member": "b", "shares": 1, "share_ms": 120_000, "passes": 0}  # type: ignore[index]
    assert fx.facilitators_view(m.state)["fairness"] == wire["turns"]


def test_no_fairness_event_when_nothing_about_turns_changed() -> None:
    m = room("a", "b", fmt=None)
    m.send(fx.RaiseHand(), "a")
    assert fairness_events(m) == []
    m.send(fx.MilestoneSet(3), "b")
    assert fairness_events(m) == []


def test_a_dropped_speakers_share_counts_until_their_grace_ran_out() -> None:
    m = room("a", "b", fmt=None)
    m.send(fx.RaiseHand(), "a")
    m.send(fx.OpenRound("", 600), "f")
    m.advance(30).send(fx.Disconnected("a"))
    m.advance(100).tick()  # a late tick: the share ended at the grace deadline, not now
    assert tally(m)["a"] == (1, 30 + m.state.settings.grace_seconds, 0)


def test_turns_go_with_the_member_and_with_the_meeting() -> None:
    m = room("a", "b", "c")
    m.send(fx.OpenRound("", 60, fx.Order.ROUND_ROBIN), "f")
    m.send(fx.ShareDone(), "f")
    m.send(fx.ShareDone(), "a")
    assert set(tally(m)) == {"f", "a"}
    m.send(fx.Leave("a"))
    assert set(tally(m)) == {"f"}
    assert fairness_events(m)[0].turns.turns == (fx.Turns("f", 1, 0.0, 0),)
    m.send(fx.EndRound(), "f")
    m.send(fx.PartNext(), "f")  # the format's first part: a new meeting, a new tally
    assert m.state.turns == ()
    assert fairness_events(m)[0].turns.turns == ()
    m.send(fx.PartNext(), "f")
    m.send(fx.ShareDone(), "f")
    assert m.state.turns
    m.send(fx.FormatEnd(), "f")
    assert m.state.turns == ()


def test_the_tally_empties_when_the_last_person_leaves() -> None:
    m = room("a", fmt=None)
    m.send(fx.OpenRound("", 60, fx.Order.ROUND_ROBIN), "f")
    m.send(fx.ShareDone(), "f")
    m.send(fx.Leave("a"))
    assert m.state.turns
    m.send(fx.Leave("f"))
    assert m.state.turns == ()


def test_a_round_robin_round_can_start_with_those_who_have_not_shared() -> None:
    m = room("a", "b", "c", "d", fmt=None)
    m.send(fx.OpenRound("", 60, fx.Order.ROUND_ROBIN), "f")
    m.send(fx.ShareDone(), "f")
    m.send(fx.ShareDone(), "a")
    m.send(fx.Pass(), "b")  # passing is no share
    assert m.speaker == "c"
    m.send(fx.EndRound(), "f")  # c had the floor when the round ended: a share (`skipped`)
    m.send(fx.OpenRound("", 60, fx.Order.ROUND_ROBIN, unshared_first=True), "f")
    assert [m.speaker, *m.queue] == ["b", "d", "f", "a", "c"]
    m.send(fx.EndRound(), "f")
    m.send(fx.OpenRound("", 60, fx.Order.ROUND_ROBIN), "f")  # the default: join order
    assert [m.speaker, *m.queue] == ["f", "a", "b", "c", "d"]


# --- random meetings ------------------------------------------------------------------------------

MEMBERS = ["a", "b", "c"]
PEOPLE = ["f", *MEMBERS]

member_commands = st.one_of(
    st.sampled_from([fx.RaiseHand(), fx.Pass(), fx.ShareDone(), fx.MilestoneClear()]),
    st.builds(fx.MilestoneSet, st.integers(0, 400)),
)
facilitator_commands = st.one_of(
    st.builds(
        fx.OpenRound,
        st.just(""),
        st.just(30),
        st.sampled_from(fx.Order),
        st.booleans(),
    ),
    st.sampled_from([fx.EndRound(), fx.Skip(), fx.PartNext(), fx.FormatEnd()]),
    st.builds(fx.PartGoto, st.integers(0, 3)),
    st.builds(fx.MilestoneCelebrate, st.sampled_from(PEOPLE)),
)


class TendingMachine(RuleBasedStateMachine):
    """Milestones and the turns tally in a room with a small format, people coming and going."""

    state: fx.MeetingState
    now: float

    @initialize(self_led=st.booleans())
    def start(self, self_led: bool) -> None:
        self.state = fx.MeetingState.new(format=SMALL, self_led=self_led, seat_hold_seconds=60)
        self.now = T0
        self.apply(fx.Join("f", "F", "f", True), None)
        for who in MEMBERS:
            self.apply(fx.Join(who, who.upper(), who), None)

    @rule(dt=st.sampled_from([1, 10, 30, 61]) | st.floats(0, 400))
    def time_passes(self, dt: float) -> None:
        self.now += dt
        self.apply(fx.Tick(), None)

    @rule(command=member_commands, who=st.sampled_from(PEOPLE))
    def someone_acts(self, command: fx.Command, who: str) -> None:
        self.apply(command, fx.Actor(who))

    @rule(command=facilitator_commands)
    def the_facilitator_steers(self, command: fx.Command) -> None:
        self.apply(command, fx.Actor("f"))

    @rule(
        kind=st.sampled_from([fx.Leave, fx.Disconnected, fx.Reconnected]),
        who=st.sampled_from(PEOPLE),
    )
    def presence_changes(self, kind: type[fx.Leave], who: str) -> None:
        self.apply(kind(who), None)

    @rule(who=st.sampled_from(PEOPLE))
    def someone_comes_back(self, who: str) -> None:
        if self.state.participant(who) is None:
            self.apply(fx.Join(who, who.upper(), who, who == "f"), None)

    def apply(self, command: fx.Command, actor: fx.Actor | None) -> None:
        before = self.state
        result = fx.decide(before, command, actor=actor, now=self.now)
        if isinstance(result, fx.Refused):
            return
        self._check_events(before, result, command)
        self.state = result.state

    def _check_events(self, before: fx.MeetingState, result: fx.Accepted, command: object) -> None:
        after = result.state
        fair = [e for e in result.events if isinstance(e, fx.FairnessChanged)]
        assert len(fair) == (1 if after.turns != before.turns else 0)
        assert all(e.turns.turns == after.turns for e in fair)
        for event in result.events:
            wire = fx.to_wire(event)
            json.dumps(wire)
            if event.AUDIENCE == "all" and not isinstance(event, fx.MilestoneCelebrated):
                assert "days" not in wire  # a milestone reaches everyone only when celebrated
        if any(isinstance(e, fx.FormatEnded) for e in result.events):
            assert after.turns == ()
            assert after.milestones == ()
        closing = [
            e for e in result.events if isinstance(e, fx.PartStarted) and e.part.kind == "closing"
        ]
        if closing and after.current_part() is not None:
            assert all(x.celebrated for x in after.milestones if x.member in _marked(before))
        if (
            isinstance(command, fx.OpenRound)
            and command.unshared_first
            and command.order is fx.Order.ROUND_ROBIN
            and after.round
        ):
            order = [x for x in (after.speaker(), *after.queue) if x is not None]
            had = [any(t.member == x and t.shares for t in after.turns) for x in order]
            assert had == sorted(had)  # everyone who has not shared before anyone who has

    @invariant()
    def only_people_seated_have_milestones_or_turns(self) -> None:
        seated = {p.member for p in self.state.participants}
        marked = [x.member for x in self.state.milestones]
        counted = [t.member for t in self.state.turns]
        assert set(marked) <= seated
        assert len(marked) == len(set(marked))
        assert set(counted) <= seated
        assert len(counted) == len(set(counted))
        assert all(1 <= x.days <= 36_500 for x in self.state.milestones)

    @invariant()
    def the_tally_is_plausible(self) -> None:
        elapsed = self.now - T0
        for t in self.state.turns:
            assert t.shares >= 0
            assert t.passes >= 0
            assert t.shares + t.passes > 0
            assert 0 <= t.seconds <= elapsed
            assert t.seconds == 0 or t.shares > 0

    @invariant()
    def the_stored_form_round_trips(self) -> None:
        fx.check_invariants(self.state, self.now)
        assert fx.from_dict(json.loads(json.dumps(fx.to_dict(self.state)))) == self.state


def _marked(state: fx.MeetingState) -> set[str]:
    return {x.member for x in state.milestones}


TendingMachine.TestCase.settings = settings(
    max_examples=80,
    stateful_step_count=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
TestTendingMachine = TendingMachine.TestCase


def test_a_new_facilitator_is_briefed_on_the_tally_and_the_milestones() -> None:
    """Promoted mid-meeting (co-facilitator or handover), a member gets what facilitators hold at
    once, after the `member.updated` that lets their connections read it; with nothing held,
    nothing is sent."""
    m = room("a", "b", "c")
    m.send(fx.AddFacilitator("c"), "f")
    assert not [e for e in m.events if isinstance(e, fx.TendingShared)]
    m.send(fx.PartNext(), "f")
    m.send(fx.MilestoneSet(30), "a")
    m.send(fx.PartNext(), "f")  # the round-robin part: f, a, b and c in turn
    m.send(fx.Pass(), "f")
    names = m.send(fx.AddFacilitator("b"), "f")
    assert names.index("member.updated") < names.index("tending")
    shared = m.one(fx.TendingShared)
    assert shared.AUDIENCE == "facilitators"
    assert fx.to_wire(shared) == {"event": "tending", "tending": fx.facilitators_view(m.state)}
    assert fx.to_wire(shared)["tending"] == {
        "fairness": [{"member": "f", "shares": 0, "share_ms": 0, "passes": 1}],
        "milestones": [{"member": "a", "days": 30, "celebrated": False}],
    }
    m.send(fx.Handover("a"), "f")
    assert m.one(fx.TendingShared).tending == fx.TendingView.of(m.state)
