"""The on-call machine, scenario by scenario: escalation, take, release, resolve, dedup."""

from __future__ import annotations

import dataclasses

import pytest

import rooms.oncall as oc
from rooms.oncall import rules

T0 = 1_800_000_000.0


class Desk:
    """One on-call state driven by hand: `do` applies a command, keeps the effects."""

    def __init__(self) -> None:
        self.state = oc.OnCallState()
        self.now = T0
        self.effects: list[oc.Effect] = []

    def do(self, command: oc.Command, *, at: float | None = None) -> tuple[oc.Effect, ...]:
        if at is not None:
            self.now = T0 + at
        result = oc.decide(self.state, command, self.now)
        assert isinstance(result, oc.Accepted), result
        self.state = result.state
        self.effects += result.effects
        return result.effects

    def refused(self, command: oc.Command, *, at: float | None = None) -> oc.OnCallRefusal:
        if at is not None:
            self.now = T0 + at
        result = oc.decide(self.state, command, self.now)
        assert isinstance(result, oc.Refused), result
        return result.code

    def tick(self, at: float) -> tuple[oc.Effect, ...]:
        return self.do(oc.Tick(), at=at)

    def alert(self, alert_id: str = "alr_1") -> oc.Alert:
        found = self.state.find(alert_id)
        assert found is not None
        return found


def pages(effects: tuple[oc.Effect, ...] | list[oc.Effect]) -> list[tuple[oc.PageLevel, int]]:
    return [(e.level, e.waited_s) for e in effects if isinstance(e, oc.Page)]


def crisis(alert_id: str = "alr_1", member: str = "m1", room: str = "r1") -> oc.Raise:
    return oc.Raise(alert_id, oc.AlertKind.CRISIS, room, member)


def test_a_crisis_chimes_at_once_then_pages_on_call_then_everyone() -> None:
    desk = Desk()
    opened = desk.do(crisis())
    assert [type(e) for e in opened] == [oc.Notify, oc.Chime]
    assert desk.tick(59) == ()
    assert pages(desk.tick(60)) == [(oc.PageLevel.ON_CALL, 60)]
    assert pages(desk.tick(179)) == []
    assert pages(desk.tick(180)) == [(oc.PageLevel.ALL_STAFF, 180)]
    assert pages(desk.tick(180 + 300)) == [(oc.PageLevel.ALL_STAFF, 480)]


def test_the_crisis_schedule_stops_at_its_cap() -> None:
    desk = Desk()
    desk.do(crisis())
    desk.tick(24 * 3600)
    assert len(pages(desk.effects)) == rules.ESCALATION[oc.AlertKind.CRISIS].max_pages
    assert oc.next_deadline(desk.state) is None


def test_one_late_tick_fires_every_step_at_its_own_time() -> None:
    desk = Desk()
    desk.do(crisis())
    late = desk.tick(600)
    assert pages(late) == [
        (oc.PageLevel.ON_CALL, 60),
        (oc.PageLevel.ALL_STAFF, 180),
        (oc.PageLevel.ALL_STAFF, 480),
    ]


@pytest.mark.parametrize(
    ("kind", "first_page"),
    [(oc.AlertKind.RAID, 120), (oc.AlertKind.REPORT, 900), (oc.AlertKind.LOBBY, 300)],
)
def test_other_kinds_page_after_their_own_wait(kind: oc.AlertKind, first_page: int) -> None:
    desk = Desk()
    desk.do(oc.Raise("alr_1", kind, "r1", "msg-7"))
    assert pages(desk.tick(first_page - 1)) == []
    assert pages(desk.tick(first_page)) == [(oc.PageLevel.ON_CALL, first_page)]


def test_taking_stops_the_escalation_and_stands_down_pagers_that_rang() -> None:
    desk = Desk()
    desk.do(crisis())
    desk.tick(61)
    taken = desk.do(oc.Take("alr_1", "staff-a"))
    assert [type(e) for e in taken] == [oc.Notify, oc.StandDown]
    assert desk.alert().status is oc.AlertStatus.TAKEN
    desk.do(oc.StaffSeen("staff-a"), at=150)
    assert pages(desk.tick(250)) == []


def test_taking_before_any_page_sends_no_stand_down() -> None:
    desk = Desk()
    desk.do(crisis())
    assert [type(e) for e in desk.do(oc.Take("alr_1", "staff-a"), at=10)] == [oc.Notify]


def test_two_takers_one_winner() -> None:
    desk = Desk()
    desk.do(crisis())
    desk.do(oc.Take("alr_1", "staff-a"))
    assert desk.refused(oc.Take("alr_1", "staff-b")) is oc.OnCallRefusal.ALREADY_TAKEN
    assert desk.alert().taker == "staff-a"


def test_a_silent_taker_loses_a_crisis_after_two_minutes() -> None:
    desk = Desk()
    desk.do(crisis())
    desk.do(oc.Take("alr_1", "staff-a"), at=30)
    desk.do(oc.StaffSeen("staff-a"), at=100)
    assert desk.tick(219) == ()
    reopened = desk.tick(220)
    assert desk.alert().status is oc.AlertStatus.OPEN
    assert desk.alert().taker is None
    assert [type(e) for e in reopened] == [oc.Notify, oc.Chime]
    assert pages(desk.tick(280)) == [(oc.PageLevel.ON_CALL, 60)]


def test_a_report_taker_may_be_quiet_for_half_an_hour() -> None:
    desk = Desk()
    desk.do(oc.Raise("alr_1", oc.AlertKind.REPORT, "r1", "msg-7"))
    desk.do(oc.Take("alr_1", "staff-a"))
    desk.tick(1799)
    assert desk.alert().status is oc.AlertStatus.TAKEN
    desk.tick(1800)
    assert desk.alert().status is oc.AlertStatus.OPEN


def test_a_dropped_taker_loses_what_they_held_at_once() -> None:
    desk = Desk()
    desk.do(crisis())
    desk.do(oc.Raise("alr_2", oc.AlertKind.RAID, "r2"))
    desk.do(oc.Take("alr_1", "staff-a"))
    desk.do(oc.Take("alr_2", "staff-a"))
    desk.do(oc.StaffDropped("staff-a"), at=5)
    assert {a.status for a in desk.state.alerts} == {oc.AlertStatus.OPEN}


def test_release_reopens_and_escalates_from_the_start() -> None:
    desk = Desk()
    desk.do(crisis())
    desk.do(oc.Take("alr_1", "staff-a"), at=30)
    assert desk.refused(oc.Release("alr_1", "staff-b"), at=40) is oc.OnCallRefusal.NOT_TAKER
    desk.do(oc.Release("alr_1", "staff-a"), at=40)
    assert pages(desk.tick(99)) == []
    assert pages(desk.tick(100)) == [(oc.PageLevel.ON_CALL, 60)]


def test_resolve_needs_the_taker_and_an_outcome_of_the_kind() -> None:
    desk = Desk()
    desk.do(crisis())
    resolve = oc.Resolve("alr_1", "staff-a", oc.Outcome.SUPPORTED)
    assert desk.refused(resolve) is oc.OnCallRefusal.NOT_TAKEN
    desk.do(oc.Take("alr_1", "staff-a"))
    assert desk.refused(oc.Resolve("alr_1", "staff-b", oc.Outcome.SUPPORTED)) == "not_taker"
    wrong = oc.Resolve("alr_1", "staff-a", oc.Outcome.ADMITTED)
    assert desk.refused(wrong) is oc.OnCallRefusal.WRONG_OUTCOME
    desk.do(resolve, at=100)
    assert desk.alert().status is oc.AlertStatus.RESOLVED
    assert desk.alert().outcome is oc.Outcome.SUPPORTED
    assert desk.refused(oc.Take("alr_1", "staff-b")) is oc.OnCallRefusal.ALERT_CLOSED


def test_a_resolved_alert_never_retriggers_and_is_forgotten_later() -> None:
    desk = Desk()
    desk.do(crisis())
    desk.tick(61)
    desk.do(oc.Take("alr_1", "staff-a"))
    effects = desk.do(oc.Resolve("alr_1", "staff-a", oc.Outcome.REFERRED), at=90)
    assert [type(e) for e in effects] == [oc.Notify, oc.StandDown]
    assert pages(desk.tick(3000)) == []
    assert desk.state.find("alr_1") is None
    again = desk.do(crisis("alr_2"), at=3001)
    assert [type(e) for e in again] == [oc.Notify, oc.Chime]


def test_the_same_key_after_a_resolve_opens_a_new_alert() -> None:
    desk = Desk()
    desk.do(crisis())
    desk.do(oc.Take("alr_1", "staff-a"))
    desk.do(oc.Resolve("alr_1", "staff-a", oc.Outcome.SUPPORTED), at=10)
    desk.do(crisis("alr_2"), at=20)
    assert desk.alert("alr_1").status is oc.AlertStatus.RESOLVED
    assert desk.alert("alr_2").status is oc.AlertStatus.OPEN


def test_double_taps_merge_and_page_nobody() -> None:
    desk = Desk()
    desk.do(crisis())
    merged = desk.do(crisis("alr_other"), at=30)
    assert [type(e) for e in merged] == [oc.Notify]
    assert desk.alert().count == 2
    assert desk.state.find("alr_other") is None
    assert len(pages(desk.tick(60))) == 1


def test_two_members_in_crisis_are_two_alerts() -> None:
    desk = Desk()
    desk.do(crisis("alr_1", member="m1"))
    desk.do(crisis("alr_2", member="m2"))
    assert len(oc.queue(desk.state, desk.now)) == 2


def test_a_raid_keys_on_the_room_only() -> None:
    desk = Desk()
    desk.do(oc.Raise("alr_1", oc.AlertKind.RAID, "r1", "ignored"))
    desk.do(oc.Raise("alr_2", oc.AlertKind.RAID, "r1", "other"))
    desk.do(oc.Raise("alr_3", oc.AlertKind.RAID, "r2"))
    assert [a.id for a in desk.state.alerts] == ["alr_1", "alr_3"]
    assert desk.alert().subject == ""


def test_repeats_merge_into_a_taken_alert_too() -> None:
    desk = Desk()
    desk.do(oc.Raise("alr_1", oc.AlertKind.REPORT, "r1", "msg-7"))
    desk.do(oc.Take("alr_1", "staff-a"))
    desk.do(oc.Raise("alr_2", oc.AlertKind.REPORT, "r1", "msg-7"))
    assert desk.alert().count == 2
    assert desk.alert().status is oc.AlertStatus.TAKEN


def test_withdraw_cancels_open_or_taken_alerts() -> None:
    desk = Desk()
    desk.do(crisis())
    desk.tick(60)
    effects = desk.do(oc.Withdraw("alr_1", oc.CancelReason.MEMBER_OK), at=70)
    assert [type(e) for e in effects] == [oc.Notify, oc.StandDown]
    assert desk.alert().status is oc.AlertStatus.CANCELLED
    assert desk.alert().cancel_reason is oc.CancelReason.MEMBER_OK
    again = oc.Withdraw("alr_1", oc.CancelReason.MEMBER_GONE)
    assert desk.refused(again) is oc.OnCallRefusal.ALERT_CLOSED


def test_one_crisis_conversation_per_staff_member() -> None:
    desk = Desk()
    desk.do(crisis("alr_1", member="m1"))
    desk.do(crisis("alr_2", member="m2"))
    desk.do(oc.Raise("alr_3", oc.AlertKind.REPORT, "r1", "msg-1"))
    desk.do(oc.Take("alr_1", "staff-a"))
    assert desk.refused(oc.Take("alr_2", "staff-a")) is oc.OnCallRefusal.IN_CONVERSATION
    desk.do(oc.Take("alr_3", "staff-a"))


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (oc.Take("nope", "s"), oc.OnCallRefusal.UNKNOWN_ALERT),
        (oc.Raise("alr_x", oc.AlertKind.CRISIS, "r1", ""), oc.OnCallRefusal.NO_SUBJECT),
        (oc.Raise("alr_x", oc.AlertKind.REPORT, "r1"), oc.OnCallRefusal.NO_SUBJECT),
        (oc.Raise("alr_1", oc.AlertKind.RAID, "r9"), oc.OnCallRefusal.ID_IN_USE),
    ],
)
def test_refusals_change_nothing(command: oc.Command, code: oc.OnCallRefusal) -> None:
    desk = Desk()
    desk.do(crisis())
    before = desk.state
    assert desk.refused(command) is code
    assert desk.state is before


def test_the_queue_is_oldest_first_with_one_action_each() -> None:
    desk = Desk()
    desk.do(oc.Raise("alr_r", oc.AlertKind.REPORT, "r1", "msg-1"))
    desk.do(crisis("alr_c"), at=10)
    desk.do(oc.Raise("alr_l", oc.AlertKind.LOBBY, "r3"), at=20)
    desk.do(oc.Raise("alr_d", oc.AlertKind.RAID, "r4"), at=30)
    desk.do(oc.Take("alr_l", "staff-a"), at=40)
    rows = oc.queue(desk.state, T0 + 70)
    assert [(r.alert_id, r.waited_s, r.action) for r in rows] == [
        ("alr_r", 70, oc.QueueAction.REVIEW_REPORT),
        ("alr_c", 60, oc.QueueAction.TAKE_CONVERSATION),
        ("alr_d", 40, oc.QueueAction.JOIN_ROOM),
    ]
    assert rows[1].severity is oc.Severity.URGENT


def test_a_released_alert_queues_by_its_release_time() -> None:
    desk = Desk()
    desk.do(crisis("alr_1", member="m1"))
    desk.do(crisis("alr_2", member="m2"), at=10)
    desk.do(oc.Take("alr_1", "staff-a"), at=20)
    desk.do(oc.Release("alr_1", "staff-a"), at=30)
    assert [r.alert_id for r in oc.queue(desk.state, desk.now)] == ["alr_2", "alr_1"]


def test_next_deadline_is_the_earliest_step_of_any_alert() -> None:
    desk = Desk()
    assert oc.next_deadline(desk.state) is None
    desk.do(oc.Raise("alr_r", oc.AlertKind.REPORT, "r1", "msg-1"))
    assert oc.next_deadline(desk.state) == T0 + 900
    desk.do(crisis("alr_c"), at=10)
    assert oc.next_deadline(desk.state) == T0 + 70


def test_a_broken_state_is_a_bug_not_a_refusal() -> None:
    alert = oc.Alert("alr_1", oc.AlertKind.CRISIS, "r1", "m1", oc.AlertStatus.TAKEN, T0, T0)
    ownerless = dataclasses.replace(alert, taker_seen_at=T0)
    with pytest.raises(oc.OnCallBug, match="owner"):
        oc.check_invariants(oc.OnCallState((ownerless,)))
    with pytest.raises(oc.OnCallBug, match="unique"):
        oc.check_invariants(oc.OnCallState((alert, alert)))
    with pytest.raises(oc.OnCallBug, match="taker_seen_at"):
        oc.check_invariants(oc.OnCallState((alert,)))


def test_the_public_names_exist_once() -> None:
    assert len(oc.__all__) == len(set(oc.__all__))
    assert [name for name in oc.__all__ if not hasattr(oc, name)] == []
