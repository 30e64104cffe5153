"""Random on-call histories never break the rules that matter at 2 a.m.

A hypothesis state machine raises, takes, releases, resolves and withdraws alerts, drops and
hears from staff, and moves the clock. After every step: one owner at most, a closed alert
never pages or chimes again, a merged repeat pages nobody, no open period pages more than its
cap, nothing is overdue, and deadlines fire exactly once whichever way two copies of the state
are ticked.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import rooms.oncall as oc
from rooms.oncall import rules

T0 = 1_800_000_000.0
STAFF = ["s1", "s2", "s3"]
ROOMS = ["r1", "r2"]
SUBJECTS = ["m1", "m2"]
gaps = st.sampled_from([0, 1, 30, 59, 60, 61, 119, 120, 180, 300, 900, 1800, 3600])


def _touches(effect: oc.Effect) -> str:
    return effect.alert.id


class OnCallMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.state = oc.OnCallState()
        self.now = T0
        self.serial = 0
        self.closed: set[str] = set()
        self.pages_this_period: Counter[str] = Counter()

    def _apply(self, command: oc.Command) -> oc.Accepted | oc.Refused:
        before = self.state
        result = oc.decide(before, command, self.now)
        assert oc.decide(before, command, self.now) == result, "decide is deterministic"
        if isinstance(result, oc.Accepted):
            self._check_effects(before, result)
            self.state = result.state
        return result

    def _check_effects(self, before: oc.OnCallState, result: oc.Accepted) -> None:
        for effect in result.effects:
            alert_id = _touches(effect)
            if isinstance(effect, (oc.Page, oc.Chime, oc.Notify)):
                assert alert_id not in self.closed, "a closed alert came back"
            if isinstance(effect, oc.Chime):
                self.pages_this_period[alert_id] = 0
            if isinstance(effect, oc.Page):
                self.pages_this_period[alert_id] += 1
                kind = effect.alert.kind
                assert self.pages_this_period[alert_id] <= rules.ESCALATION[kind].max_pages
        for alert in result.state.alerts:
            if alert.status.closed:
                self.closed.add(alert.id)

    @rule(
        kind=st.sampled_from(oc.AlertKind),
        room=st.sampled_from(ROOMS),
        subject=st.sampled_from(SUBJECTS),
    )
    def raise_alert(self, kind: oc.AlertKind, room: str, subject: str) -> None:
        self.serial += 1
        keyed = rules.DEDUP_BY_SUBJECT[kind]
        live = self.state.live((kind, room, subject if keyed else ""))
        result = self._apply(oc.Raise(f"alr_{self.serial}", kind, room, subject))
        assert isinstance(result, oc.Accepted)
        if live is not None:
            assert not any(isinstance(e, (oc.Page, oc.Chime)) for e in result.effects), (
                "a merged repeat paged"
            )
            merged = result.state.find(live.id)
            assert merged is not None
            assert merged.count == live.count + 1

    def _pick(self, data: st.DataObject) -> str:
        ids = [a.id for a in self.state.alerts] + ["alr_unknown"]
        return data.draw(st.sampled_from(ids))

    @rule(data=st.data(), staff=st.sampled_from(STAFF))
    def take(self, data: st.DataObject, staff: str) -> None:
        alert_id = self._pick(data)
        was = self.state.find(alert_id)
        result = self._apply(oc.Take(alert_id, staff))
        if isinstance(result, oc.Accepted):
            assert was is not None
            assert was.status is oc.AlertStatus.OPEN, "took an alert someone else held"
        elif was is not None and was.status is oc.AlertStatus.TAKEN:
            assert result.code is oc.OnCallRefusal.ALREADY_TAKEN

    @rule(data=st.data(), staff=st.sampled_from(STAFF))
    def release(self, data: st.DataObject, staff: str) -> None:
        self._apply(oc.Release(self._pick(data), staff))

    @rule(data=st.data(), staff=st.sampled_from(STAFF), outcome=st.sampled_from(oc.Outcome))
    def resolve(self, data: st.DataObject, staff: str, outcome: oc.Outcome) -> None:
        self._apply(oc.Resolve(self._pick(data), staff, outcome))

    @rule(data=st.data(), reason=st.sampled_from(oc.CancelReason))
    def withdraw(self, data: st.DataObject, reason: oc.CancelReason) -> None:
        self._apply(oc.Withdraw(self._pick(data), reason))

    @rule(staff=st.sampled_from(STAFF))
    def staff_seen(self, staff: str) -> None:
        self._apply(oc.StaffSeen(staff))

    @rule(staff=st.sampled_from(STAFF))
    def staff_dropped(self, staff: str) -> None:
        self._apply(oc.StaffDropped(staff))
        assert not any(
            a.taker == staff and a.status is oc.AlertStatus.TAKEN for a in self.state.alerts
        )

    @rule(first=gaps, second=gaps)
    def tick_two_copies(self, first: int, second: int) -> None:
        """One copy ticks at t1 then t2, the other straight at t2: the same state and the
        same effects in the same order, and ticking the result again fires nothing."""
        t1, t2 = self.now + first, self.now + first + second
        step = oc.decide(self.state, oc.Tick(), t1)
        assert isinstance(step, oc.Accepted)
        stepped = oc.decide(step.state, oc.Tick(), t2)
        direct = oc.decide(self.state, oc.Tick(), t2)
        assert isinstance(stepped, oc.Accepted)
        assert isinstance(direct, oc.Accepted)
        assert stepped.state == direct.state
        assert step.effects + stepped.effects == direct.effects
        again = oc.decide(direct.state, oc.Tick(), t2)
        assert isinstance(again, oc.Accepted)
        assert again.effects == ()
        self.now = t2
        self._check_effects(self.state, direct)
        self.state = direct.state

    @invariant()
    def holds_its_invariants(self) -> None:
        oc.check_invariants(self.state)

    @invariant()
    def one_owner_at_most(self) -> None:
        for alert in self.state.alerts:
            if alert.status is oc.AlertStatus.TAKEN:
                assert alert.taker in STAFF
            if alert.status is oc.AlertStatus.OPEN:
                assert alert.taker is None

    @invariant()
    def nothing_is_overdue(self) -> None:
        deadline = oc.next_deadline(self.state)
        assert deadline is None or deadline > self.now

    @invariant()
    def closed_alerts_stay_closed(self) -> None:
        for alert in self.state.alerts:
            if alert.id in self.closed:
                assert alert.status.closed

    @invariant()
    def the_queue_holds_exactly_the_open_alerts(self) -> None:
        rows = oc.queue(self.state, self.now)
        open_ids = {a.id for a in self.state.alerts if a.status is oc.AlertStatus.OPEN}
        assert {row.alert_id for row in rows} == open_ids
        waits = [row.waited_s for row in rows]
        assert waits == sorted(waits, reverse=True)


OnCallMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
TestOnCall = OnCallMachine.TestCase
