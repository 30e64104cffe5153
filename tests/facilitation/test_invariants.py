"""Random command sequences and clock jumps never break the meeting's invariants.

A hypothesis state machine plays members, facilitators, observers and the server against one
meeting. After every step: the invariants hold (facilitation.check_invariants), nothing is
overdue, observers and listen-only members may not post while the speaker may, a refusal
changed nothing, the same decision twice gives the same result, the state survives a trip
through its stored form, and the member list a client builds from the events alone equals a
fresh snapshot (docs/protocol.md §4.1). Raids come, with and without a facilitator present:
quiet mode never makes a member already seated listen-only, always ends, and gives slow mode
back (issue 14 item 6).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import replace

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import facilitation as fx
from facilitation.join_rules import LOBBY_MAX_WAITING
from facilitation.raid_rules import RAID_QUIET_MAX_SECONDS
from tests.facilitation.harness import T0

MEMBERS = ["a", "b", "c", "d", "e"]
FACILITATORS = ["f", "g"]
EVERYONE = [*MEMBERS, *FACILITATORS, "zz"]
NAME_KEYS = ["a", "b", "c", "d", "e", "f", "g", "river"]

people = st.sampled_from(EVERYONE)
seconds = st.sampled_from([5, 10, 30, 60, 180, 600, 1200, 1201])

member_commands = st.one_of(
    st.just(fx.RaiseHand()),
    st.just(fx.RaiseHand()),
    st.just(fx.LowerHand()),
    st.just(fx.Pass()),
    st.just(fx.ShareDone()),
    st.builds(fx.SetListenOnly, st.booleans()),
    st.builds(fx.Report, st.integers(0, 9), people, st.just("N"), st.just("t"), st.just("")),
)

facilitator_commands = st.one_of(
    st.builds(
        fx.OpenRound,
        st.sampled_from(["", "Hope"]),
        st.sampled_from([None, 30, 60, 180, 29]),
        st.sampled_from(list(fx.Order)),
    ),
    st.just(fx.EndRound()),
    st.just(fx.PauseRound()),
    st.just(fx.ResumeRound()),
    st.builds(fx.Extend, st.sampled_from([5, 10, 60])),
    st.just(fx.Skip()),
    st.builds(fx.QueueMove, people, st.integers(0, 5)),
    st.builds(fx.QueueRemove, people),
    st.builds(fx.SetMode, st.sampled_from(list(fx.Mode))),
    st.builds(fx.Mute, people, seconds),
    st.builds(fx.Unmute, people),
    st.builds(fx.AssignListenOnly, people, st.booleans()),
    st.builds(fx.Remove, people, st.just("")),
    st.builds(fx.Ban, people, seconds),
    st.builds(fx.RemoveMessage, st.integers(0, 9)),
    st.builds(fx.SetLock, st.booleans()),
    st.builds(fx.SetSlow, st.sampled_from([0, 15])),
    st.builds(fx.AddFacilitator, people),
    st.builds(fx.Handover, people),
    st.builds(fx.SetLobby, st.booleans()),
    st.just(fx.PauseRoom()),
    st.just(fx.UnpauseRoom()),
    st.just(fx.ResetRoom()),
)


def announced(
    views: dict[str, fx.MemberView], events: Iterable[fx.Event]
) -> dict[str, fx.MemberView]:
    """The member list a client keeps from events only (protocol.md §4.1-4.2), after `events`."""
    views = dict(views)
    for event in events:
        match event:
            case fx.MemberJoined(member=view) | fx.MemberUpdated(member=view):
                views[view.id] = view
            case fx.MemberLeft(member=member):
                del views[member]
            case fx.MemberAway(member=member) | fx.MemberBack(member=member):
                views[member] = replace(views[member], away=isinstance(event, fx.MemberAway))
            case fx.HandRaised(member=member) | fx.HandLowered(member=member):
                views[member] = replace(views[member], hand=isinstance(event, fx.HandRaised))
            case fx.FloorGranted(member=member):
                # The head of the queue takes the floor: their hand is down.
                views[member] = replace(views[member], hand=False)
    return views


def snapshot(state: fx.MeetingState) -> dict[str, fx.MemberView]:
    return {p.member: fx.MemberView.of(state, p) for p in state.participants}


def quiet_mode_keeps_its_promises(
    before: fx.MeetingState, result: fx.Accepted, command: fx.Command
) -> None:
    """Across one accepted decision: nobody already seated is made listen-only by a raid (only
    a facilitator's command or a room pause may do that), and when quiet mode ends, slow mode is
    what it was before the raid unless a facilitator set it meanwhile."""
    after = result.state
    if isinstance(command, fx.Join | fx.Tick | fx.Leave | fx.Disconnected | fx.Reconnected):
        for p in before.participants:
            now = after.participant(p.member)
            if now is not None and not p.listen_only:
                assert not now.listen_only, f"{p.member} was made listen-only by {command}"
                assert now.listen_only_until is None
    for p in after.participants:
        was = before.participant(p.member)
        if was is not None and was.listen_only_until is None:
            assert p.listen_only_until is None, "a hold is only given on being seated"
    settled = [e for e in result.events if isinstance(e, fx.RaidSettled)]
    if before.quiet is not None and after.quiet is None:
        assert len(settled) == 1
        if before.quiet.slow_before is not None and not isinstance(command, fx.SetSlow):
            assert after.slow_seconds == before.quiet.slow_before
            assert settled[0].slow_seconds == after.slow_seconds
    elif not (before.quiet is not None and after.quiet is not None):
        assert len(settled) <= 1  # a raid and its end both inside one late decision


class MeetingMachine(RuleBasedStateMachine):
    state: fx.MeetingState
    now: float
    """The clock."""
    decided_at: float
    """When the state was last decided: the clock may have moved on without a tick."""
    tickets: int
    views: dict[str, fx.MemberView]
    """The member list built from every event so far, as a client would."""

    @initialize(
        self_led=st.booleans(),
        lobby=st.booleans(),
        grace=st.sampled_from([0.0, 20.0]),
        hold=st.sampled_from([10.0, 300.0]),
        listen_first=st.sampled_from([0.0, 60.0, 300.0]),
    )
    def start(
        self, self_led: bool, lobby: bool, grace: float, hold: float, listen_first: float
    ) -> None:
        self.state = fx.MeetingState.new(
            self_led=self_led,
            lobby=lobby,
            grace_seconds=grace,
            seat_hold_seconds=hold,
            raid_joins=8,
            lobby_ticket_seconds=600,
            raid_listen_only_seconds=listen_first,
        )
        self.now = self.decided_at = T0
        self.tickets = 0
        self.views = {}
        for who in [*FACILITATORS, *MEMBERS]:
            facilitator = who in FACILITATORS
            self.apply(fx.Join(who, who.upper(), who, facilitator, frozenset(), f"t{who}"), None)
        if lobby:
            self.apply(fx.SetLobby(True), fx.Actor("f"))

    # --- steps -----------------------------------------------------------------------------

    @rule(dt=st.sampled_from([0, 0.5, 1, 10, 20, 29.5, 30]))
    def a_moment_passes(self, dt: float) -> None:
        self.now += dt
        self.apply(fx.Tick(), None)

    @rule(dt=st.sampled_from([60, 150, 180, 400, 900]) | st.floats(0, 2000))
    def time_passes(self, dt: float) -> None:
        self.now += dt
        self.apply(fx.Tick(), None)

    @rule(dt=st.floats(0, 100))
    def time_passes_silently(self, dt: float) -> None:
        """The clock moves with no tick: the next command must catch up first."""
        self.now += dt

    @rule(
        who=st.sampled_from(FACILITATORS),
        share=st.sampled_from([30, 60, 180]),
        order=st.sampled_from(list(fx.Order)),
        hands=st.lists(st.sampled_from(MEMBERS), max_size=3),
    )
    def a_round_opens(self, who: str, share: int, order: fx.Order, hands: list[str]) -> None:
        for member in hands:
            self.apply(fx.RaiseHand(), fx.Actor(member))
        self.apply(fx.OpenRound("", share, order), fx.Actor(who))

    @rule(
        who=st.sampled_from(FACILITATORS),
        hands=st.lists(st.sampled_from([*MEMBERS, *FACILITATORS]), max_size=3),
        then=st.sampled_from([fx.PauseRoom(), fx.EndRound(), fx.SetMode(fx.Mode.LISTEN_ONLY)]),
    )
    def hands_go_up_then_are_cleared(self, who: str, hands: list[str], then: fx.Command) -> None:
        """Raised hands (facilitators' too), then a command that clears every hand at once."""
        for member in hands:
            self.apply(fx.RaiseHand(), fx.Actor(member))
        self.apply(then, fx.Actor(who))

    @rule(
        command=st.sampled_from(
            [fx.ShareDone(), fx.Pass(), fx.SetListenOnly(True), fx.RaiseHand(), fx.ShareDone()]
        )
    )
    def the_speaker_acts(self, command: fx.Command) -> None:
        speaker = self.state.speaker()
        if speaker is not None:
            self.apply(command, fx.Actor(speaker))

    @rule(command=member_commands, who=st.sampled_from([*MEMBERS, *FACILITATORS]))
    def member_acts(self, command: fx.Command, who: str) -> None:
        self.apply(command, fx.Actor(who))

    @rule(command=facilitator_commands, who=st.sampled_from([*FACILITATORS, "a"]))
    def facilitator_acts(self, command: fx.Command, who: str) -> None:
        self.apply(command, fx.Actor(who))

    @rule(
        who=st.sampled_from(EVERYONE),
        key=st.sampled_from(NAME_KEYS),
        facilitator=st.booleans(),
        marks=st.sets(st.sampled_from(["d:1", "d:2"]), max_size=1),
    )
    def someone_joins(self, who: str, key: str, facilitator: bool, marks: set[str]) -> None:
        self.tickets += 1
        command = fx.Join(who, key.upper(), key, facilitator, frozenset(marks), f"n{self.tickets}")
        self.apply(command, None)

    @precondition(lambda self: self.state.lobby)
    @rule(count=st.integers(1, LOBBY_MAX_WAITING + 3), key=st.sampled_from(NAME_KEYS))
    def a_flood_waits(self, count: int, key: str) -> None:
        """Many newcomers at once, all with one name: the lobby stays within its cap, and a
        name clash is settled at admission (issue 13)."""
        for _ in range(count):
            self.tickets += 1
            who, ticket = f"x{self.tickets}", f"n{self.tickets}"
            alternates = ((f"{key.upper()} {self.tickets}", f"{key}{self.tickets}"),)
            command = fx.Join(who, key.upper(), key, ticket=ticket, alternates=alternates)
            self.apply(command, None)

    @precondition(lambda self: not self.state.lobby)
    @rule(
        count=st.integers(1, 12),
        facilitators=st.sampled_from([fx.Leave, fx.Disconnected, None]),
        spread=st.sampled_from([0, 1, 5]),
    )
    def a_raid_arrives(
        self, count: int, facilitators: type[fx.Leave] | None, spread: float
    ) -> None:
        """A burst of newcomers from new networks, often into a room nobody facilitates."""
        if facilitators is not None:
            for who in FACILITATORS:
                self.apply(facilitators(who), None)
        for _ in range(count):
            self.tickets += 1
            who, ticket = f"r{self.tickets}", f"n{self.tickets}"
            self.now += spread
            self.apply(fx.Join(who, who.upper(), who, ticket=ticket), None)

    @rule(kind=st.sampled_from([fx.Leave, fx.Disconnected, fx.Reconnected]), who=people)
    def presence_changes(self, kind: type[fx.Leave], who: str) -> None:
        self.apply(kind(who), None)

    @rule(
        data=st.data(),
        who=st.sampled_from(FACILITATORS),
        make=st.sampled_from(
            [
                lambda m: fx.Unmute(m),
                lambda m: fx.Mute(m, 10),
                lambda m: fx.QueueRemove(m),
                lambda m: fx.QueueMove(m, 0),
                lambda m: fx.AssignListenOnly(m, False),
                lambda m: fx.AssignListenOnly(m, True),
                lambda m: fx.AddFacilitator(m),
                lambda m: fx.Handover(m),
            ]
        ),
    )
    def a_facilitator_acts_on_someone_here(
        self, data: st.DataObject, who: str, make: Callable[[str], fx.Command]
    ) -> None:
        here = [p.member for p in self.state.participants] + list(self.state.queue) or ["zz"]
        self.apply(make(data.draw(st.sampled_from(here))), fx.Actor(who))

    @rule(data=st.data(), admit=st.booleans(), who=st.sampled_from(FACILITATORS))
    def lobby_decision(self, data: st.DataObject, admit: bool, who: str) -> None:
        tickets = [w.ticket for w in self.state.waiting] or ["none"]
        ticket = data.draw(st.sampled_from(tickets))
        self.apply(fx.Admit(ticket) if admit else fx.Deny(ticket), fx.Actor(who))

    @rule(command=st.one_of(member_commands, facilitator_commands), who=people)
    def an_observer_tries(self, command: fx.Command, who: str) -> None:
        result = fx.decide(self.state, command, actor=fx.Actor(who, observer=True), now=self.now)
        assert isinstance(result, fx.Refused)
        assert result.code is fx.Refusal.OBSERVER

    # --- checks ----------------------------------------------------------------------------

    def apply(self, command: fx.Command, actor: fx.Actor | None) -> None:
        before = json.dumps(fx.to_dict(self.state), sort_keys=True)
        result = fx.decide(self.state, command, actor=actor, now=self.now)
        assert result == fx.decide(self.state, command, actor=actor, now=self.now)
        assert json.dumps(fx.to_dict(self.state), sort_keys=True) == before
        if isinstance(result, fx.Refused):
            assert isinstance(result.code, fx.Refusal)
            assert result.detail
            return
        for event in result.events:
            json.dumps(fx.to_wire(event))
        names = [e.NAME for e in result.events]
        assert names.count("meeting.state") <= 1
        assert "meeting.state" not in names[:-1]
        quiet_mode_keeps_its_promises(self.state, result, command)
        self.state = result.state
        self.decided_at = self.now
        self.views = announced(self.views, result.events)

    @invariant()
    def events_tell_the_member_list(self) -> None:
        """A member list kept from events alone agrees with a fresh snapshot (issue 10 item 8)."""
        if hasattr(self, "state"):
            assert self.views == snapshot(self.state)

    @invariant()
    def invariants_hold(self) -> None:
        if hasattr(self, "state"):
            fx.check_invariants(self.state, self.decided_at)

    @invariant()
    def the_stored_form_round_trips(self) -> None:
        if hasattr(self, "state"):
            stored = json.loads(json.dumps(fx.to_dict(self.state)))
            assert fx.from_dict(stored) == self.state

    @invariant()
    def only_the_right_people_may_post(self) -> None:
        if not hasattr(self, "state"):
            return
        for who in self.state.participants:
            now = self.decided_at
            result = fx.may_post(self.state, fx.Actor(who.member, observer=True), now)
            assert isinstance(result, fx.Refused)
            assert result.code is fx.Refusal.OBSERVER
            if who.listen_only:
                assert isinstance(fx.may_post(self.state, fx.Actor(who.member), now), fx.Refused)
        speaker = self.state.speaker()
        if speaker is not None and not self.state.participant(speaker).away:  # type: ignore[union-attr]
            allowed = fx.may_post(self.state, fx.Actor(speaker), self.decided_at)
            assert isinstance(allowed, fx.PostAllowed)

    @invariant()
    def the_next_deadline_is_the_earliest_pending_one(self) -> None:
        """next_deadline's allocation-free search agrees with the full list of deadlines."""
        if hasattr(self, "state"):
            from facilitation.deadlines import pending

            expected = min((d.at for d in pending(self.state)), default=None)
            assert fx.next_deadline(self.state) == expected

    @invariant()
    def quiet_mode_always_ends(self) -> None:
        quiet = self.state.quiet if hasattr(self, "state") else None
        if quiet is not None:
            assert self.decided_at < quiet.started_at + RAID_QUIET_MAX_SECONDS
            deadline = fx.next_deadline(self.state)
            assert deadline is not None
            assert deadline <= quiet.started_at + RAID_QUIET_MAX_SECONDS

    @invariant()
    def the_clock_is_never_behind(self) -> None:
        if hasattr(self, "state"):
            deadline = fx.next_deadline(self.state)
            assert deadline is None or deadline > self.decided_at


MeetingMachine.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=40,
    deadline=None,
    derandomize=True,  # the same sequences on every run: a failure here is never a fluke
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestMeetingMachine = MeetingMachine.TestCase
