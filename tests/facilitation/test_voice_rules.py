"""Who may be heard by voice (facilitation/voice_rules.py): the floor decides, every way a share
can end silences it, and nobody else is heard over a share."""

from __future__ import annotations

import pytest

import facilitation as fx
from facilitation.voice_rules import VOICE_RULES
from tests.facilitation.harness import Meeting

R = fx.Refusal


def heard(m: Meeting, who: str, *, observer: bool = False) -> fx.Refusal | None:
    refused = fx.may_be_heard(m.state, fx.Actor(who, observer), m.now)
    return None if refused is None else refused.code


def sharing(*members: str) -> Meeting:
    """A round of 60 s shares with `a` on the floor and the others waiting."""
    m = Meeting()
    m.join("f", facilitator=True)
    m.join_all("a", *members)
    for who in ("a", *members):
        m.send(fx.RaiseHand(), who)
    m.send(fx.OpenRound("", 60), "f")
    assert m.speaker == "a"
    return m


def test_only_the_floor_holder_is_heard_while_a_share_runs() -> None:
    m = sharing("b")
    assert heard(m, "a") is None
    assert heard(m, "b") is R.NOT_YOUR_TURN
    assert heard(m, "f") is R.NOT_YOUR_TURN  # a facilitator does not talk over a share
    assert heard(m, "o", observer=True) is R.OBSERVER
    assert heard(m, "stranger") is R.NOT_JOINED


def test_the_share_is_silent_from_its_end_on_before_any_tick() -> None:
    m = sharing("b")
    m.advance(59.999)
    assert heard(m, "a") is None
    m.advance(0.001)  # exactly at ends_at: the share is over, the state not yet ticked
    assert m.speaker == "a"
    assert heard(m, "a") is R.NOT_YOUR_TURN


@pytest.mark.parametrize(
    ("command", "by"),
    [
        (fx.Pass(), "a"),
        (fx.ShareDone(), "a"),
        (fx.Skip(), "f"),
        (fx.EndRound(), "f"),
        (fx.Mute(member="a", seconds=60), "f"),
        (fx.Remove(member="a"), "f"),
        (fx.PauseRound(), "f"),
        (fx.PauseRoom(), "f"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, fx.Command) else v,
)
def test_every_way_a_share_ends_silences_the_speaker(command: fx.Command, by: str) -> None:
    m = sharing("b")
    m.send(command, by)
    assert heard(m, "a") is not None


def test_listen_only_and_away_silence_the_speaker() -> None:
    m = sharing("b")
    m.send(fx.SetListenOnly(on=True), "a")
    assert heard(m, "a") is not None
    m = sharing("b")
    m.send(fx.Disconnected(member="a"))
    assert heard(m, "a") is R.NOT_JOINED


def test_the_next_speaker_is_heard_when_the_floor_passes() -> None:
    m = sharing("b")
    m.send(fx.Pass(), "a")
    assert m.speaker == "b"
    assert heard(m, "b") is None
    assert heard(m, "a") is R.NOT_YOUR_TURN


def test_a_facilitator_is_heard_between_shares_and_members_are_not() -> None:
    m = Meeting()
    m.join("f", facilitator=True)
    m.join_all("a")
    assert heard(m, "f") is None  # open room, no round: the chair may speak
    assert heard(m, "a") is R.NOT_YOUR_TURN  # members speak with the floor only
    m.send(fx.PauseRoom(), "f")
    assert heard(m, "f") is None
    assert heard(m, "a") is not None


def test_the_rule_table_reads_in_words() -> None:
    assert all(rule.when and rule.detail for rule in VOICE_RULES)
