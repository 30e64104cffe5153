"""Content notes (MEETINGS.md §3, the survivors' circle): in a part that asks for them, the person
sharing starts each post with a short content note; everyone else's rules are unchanged."""

from __future__ import annotations

import facilitation as fx
from facilitation import part_rules
from facilitation.shipped import SURVIVORS_CIRCLE, TWELVE_STEP_TEXT
from tests.facilitation.harness import Meeting

R = fx.Refusal
SHARES = 3  # the survivors' circle's share part


def circle_in_shares(fmt: fx.Format = SURVIVORS_CIRCLE, index: int = SHARES) -> Meeting:
    m = Meeting(format=fmt)
    m.join("f", facilitator=True)
    m.join_all("a", "b")
    m.send(fx.RaiseHand(), "b")
    m.send(fx.PartGoto(index), "f")
    assert m.speaker == "b"
    return m


def posts(m: Meeting, who: str, note: str = "") -> fx.Refusal | None:
    result = fx.may_post(m.state, fx.Actor(who), m.now, note=note)
    return result.code if isinstance(result, fx.Refused) else None


def test_the_speaker_in_a_part_with_content_notes_must_give_one() -> None:
    m = circle_in_shares()
    assert m.state.current_part() is not None
    assert m.state.current_part().content_notes  # type: ignore[union-attr]
    assert posts(m, "b") is R.CONTENT_NOTE
    assert posts(m, "b", note="   ") is R.CONTENT_NOTE  # blank is no note
    assert posts(m, "b", note="family, grief") is None


def test_content_notes_change_nobody_elses_rules() -> None:
    m = circle_in_shares()
    assert posts(m, "a") is R.NOT_YOUR_TURN  # a note never opens the floor
    assert posts(m, "a", note="anything") is R.NOT_YOUR_TURN
    assert posts(m, "f") is None  # the facilitator leads; no note needed
    assert posts(m, "a", note="x") is R.NOT_YOUR_TURN


def test_parts_without_content_notes_never_ask_for_one() -> None:
    shares = next(i for i, p in enumerate(TWELVE_STEP_TEXT.parts) if p.share_round)
    m = circle_in_shares(TWELVE_STEP_TEXT, shares)
    assert posts(m, "b") is None
    assert posts(m, "b", note="optional") is None
    check_in = 2  # the circle's check-in is a round-robin share part without notes
    m = Meeting(format=SURVIVORS_CIRCLE)
    m.join("f", facilitator=True)
    m.join_all("a")
    m.send(fx.PartGoto(check_in), "f")
    m.send(fx.Pass(), "f")
    assert m.speaker == "a"
    assert posts(m, "a") is None


def test_the_shipped_circle_asks_for_notes_in_its_share_part_only() -> None:
    asking = [p.title for p in SURVIVORS_CIRCLE.parts if p.content_notes]
    assert asking == ["Shares"]
    assert part_rules.CONTENT_NOTE_CHARS == 120
    rule = part_rules.CONTENT_NOTE_RULE
    assert rule.refusal is R.CONTENT_NOTE
    assert "`note`" in rule.when
