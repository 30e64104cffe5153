"""Meeting formats as data: the shipped formats, loading from plain mappings, and validation."""

from __future__ import annotations

import json
from typing import Any

import pytest

import facilitation as fx
from facilitation import part_rules
from facilitation.shipped import (
    SHIPPED_FORMATS,
    SURVIVORS_CIRCLE,
    TOOLS_MEETING,
    TWELVE_STEP_TEXT,
)

K = fx.PartKind
P = fx.Posting


@pytest.mark.parametrize("fmt", SHIPPED_FORMATS.values(), ids=lambda f: f.key)
def test_a_shipped_format_round_trips_through_plain_data(fmt: fx.Format) -> None:
    plain = json.loads(json.dumps(fmt.to_mapping()))
    assert fx.Format.from_mapping(plain) == fmt


@pytest.mark.parametrize(
    ("fmt", "low", "high"),
    [(TWELVE_STEP_TEXT, 55, 60), (TOOLS_MEETING, 80, 90), (SURVIVORS_CIRCLE, 80, 90)],
    ids=lambda v: getattr(v, "key", str(v)),
)
def test_shipped_formats_keep_the_lengths_meetings_keep(
    fmt: fx.Format, low: int, high: int
) -> None:
    total = sum(p.minutes or 0 for p in fmt.parts)
    assert low <= total <= high
    assert fmt.parts[0].kind is K.READING  # every format opens with words read to the room
    assert all(p.text for p in fmt.parts)


def test_the_shipped_formats_have_the_parts_meetings_have() -> None:
    assert [p.title for p in TWELVE_STEP_TEXT.parts] == [
        "Opening", "A minute of quiet", "Readings", "Welcomes", "Topic", "Shares",
        "Self-support", "Announcements", "Closing",
    ]  # fmt: skip
    tools = {p.title: p for p in TOOLS_MEETING.parts}
    assert tools["Check-in"].posting is P.IN_TURN
    assert tools["Check-in"].order is fx.Order.ROUND_ROBIN
    assert tools["Working time"].posting is P.EVERYONE
    assert tools["Working time"].crosstalk
    circle = {p.title: p for p in SURVIVORS_CIRCLE.parts}
    assert circle["Shares"].content_notes
    assert "content note" in circle["Guidelines"].text


def test_only_the_survivors_circle_needs_a_facilitator() -> None:
    assert TWELVE_STEP_TEXT.self_led
    assert TOOLS_MEETING.self_led
    assert not SURVIVORS_CIRCLE.self_led


def test_no_shipped_format_carries_a_fellowships_words_or_marks() -> None:
    words = json.dumps([f.to_mapping() for f in SHIPPED_FORMATS.values()]).casefold()
    for mark in ("smart recovery", "4-point", "alcoholics anonymous", "a.a.", "big book"):
        assert mark not in words
    for phrase in ("god grant me", "serenity", "how it works", "keep coming back"):
        assert phrase not in words


@pytest.mark.parametrize("fmt", SHIPPED_FORMATS.values(), ids=lambda f: f.key)
def test_a_share_part_never_allows_crosstalk(fmt: fx.Format) -> None:
    for part in fmt.parts:
        if part.share_round:
            assert not part.crosstalk
            assert part.kind is K.SHARE_ROUND


def test_unset_rules_take_the_kinds_defaults() -> None:
    reading = fx.Part.from_mapping({"kind": "reading", "title": "Readings"})
    assert (reading.posting, reading.crosstalk, reading.order) == (P.FACILITATOR, False, None)
    shares = fx.Part.from_mapping({"kind": "share_round", "title": "Shares"})
    assert (shares.posting, shares.crosstalk, shares.order) == (P.FLOOR, False, fx.Order.HANDS)
    check_in = fx.Part.of(K.SHARE_ROUND, "Check-in", posting="in_turn")
    assert check_in.order is fx.Order.ROUND_ROBIN
    talk = fx.Part.of(K.OPEN_TALK, "Talk")
    assert (talk.posting, talk.crosstalk) == (P.EVERYONE, True)
    for kind, allowed in part_rules.POSTING_BY_PART.items():
        part = fx.Part.of(kind, "x")
        assert part.posting is allowed.postings[0]


def _format(*parts: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"key": "ours", "title": "Ours", "self_led": False, "parts": list(parts), **fields}


BAD: list[tuple[dict[str, Any], str, str]] = [
    (_format({"kind": "share_round", "title": "S", "crosstalk": True}),
     "parts[0].crosstalk", "cannot be on"),
    (_format({"kind": "reading", "title": "R", "posting": "everyone"}),
     "parts[0].posting", "facilitator, nobody only"),
    (_format({"kind": "open_talk", "title": "T", "posting": "everyone", "crosstalk": False}),
     "parts[0].crosstalk", "cannot be off"),
    (_format({"kind": "open_talk", "title": "T", "posting": "nobody", "crosstalk": True}),
     "parts[0].crosstalk", "cannot be on"),
    (_format({"kind": "reading", "title": "R"}, {"kind": "chat", "title": "C"}),
     "parts[1].kind", "'chat' is not one of"),
    (_format({"kind": "reading"}), "parts[0].title", "missing"),
    (_format({"kind": "reading", "title": "  "}), "parts[0].title", "1-80"),
    (_format({"kind": "reading", "title": "R", "voice": "x"}), "parts[0].voice", "unknown field"),
    (_format({"kind": "reading", "title": "R", "order": "hands"}),
     "parts[0].order", "only parts with a share round"),
    (_format({"kind": "reading", "title": "R", "share_seconds": 60}),
     "parts[0].share_seconds", "only parts with a share round"),
    (_format({"kind": "share_round", "title": "S", "posting": "in_turn", "order": "hands"}),
     "parts[0].order", "runs round_robin rounds"),
    (_format({"kind": "share_round", "title": "S", "order": "alphabetical"}),
     "parts[0].order", "not one of"),
    (_format({"kind": "share_round", "title": "S", "share_seconds": 10}),
     "parts[0].share_seconds", "30-1200"),
    (_format({"kind": "reading", "title": "R", "minutes": 0}), "parts[0].minutes", "1-240"),
    (_format({"kind": "reading", "title": "R", "minutes": True}), "parts[0].minutes", "1-240"),
    (_format({"kind": "reading", "title": "R", "text": "x" * 4001}), "parts[0].text", "0-4000"),
    (_format({"kind": "reading", "title": "R", "content_notes": "yes"}),
     "parts[0].content_notes", "true or false"),
    (_format({"kind": "reading", "title": "R", "minutes": 5}, {"kind": "closing", "title": "C"},
             self_led=True),
     "parts[1].minutes", "needs planned minutes"),
    (_format(), "parts", "1-30"),
    (_format(*[{"kind": "reading", "title": "R"}] * 31), "parts", "1-30"),
    (_format({"kind": "reading", "title": "R"}, key="Our Meeting"), "key", "lowercase"),
    (_format({"kind": "reading", "title": "R"}, title=""), "title", "1-80"),
    (_format({"kind": "reading", "title": "R"}, self_led="no"), "self_led", "true or false"),
    ({**_format({"kind": "reading", "title": "R"}), "parts": "reading"}, "parts", "a list"),
    (_format("reading"), "parts[0]", "a table of fields"),  # type: ignore[arg-type]
    ({"title": "T", "parts": []}, "key", "missing"),
    ({**_format({"kind": "reading", "title": "R"}), "colour": "blue"}, "colour", "unknown field"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "where", "problem"), BAD, ids=lambda v: str(v)[:40])
def test_an_invalid_format_is_refused_with_what_is_wrong(
    data: dict[str, Any], where: str, problem: str
) -> None:
    with pytest.raises(fx.FormatError) as caught:
        fx.Format.from_mapping(data)
    assert caught.value.where == where
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"{where}: ")


def test_a_format_error_is_a_value_error_of_this_package() -> None:
    with pytest.raises(ValueError, match="parts"):
        fx.Format.from_mapping(_format())
    assert issubclass(fx.FormatError, fx.FacilitationError)
    with pytest.raises(fx.FormatError, match="a format is a table"):
        fx.Format.from_mapping(["not", "a", "table"])  # type: ignore[arg-type]


def test_parts_built_in_code_are_checked_too() -> None:
    with pytest.raises(fx.FormatError, match="crosstalk"):
        fx.Part(K.SHARE_ROUND, "Shares", P.FLOOR, True, fx.Order.HANDS)
    with pytest.raises(fx.FormatError, match="minutes"):
        fx.Format("ours", "Ours", (fx.Part.of(K.READING, "R"),), self_led=True)
    with pytest.raises(fx.FormatError, match="not a PartKind"):
        fx.Part("reading", "R", P.FACILITATOR, False)  # type: ignore[arg-type]


def test_a_state_stored_before_formats_existed_still_loads() -> None:
    stored = fx.to_dict(fx.MeetingState.new())
    for key in ("meeting_format", "part", "part_started_at"):
        del stored[key]
    assert fx.from_dict(stored) == fx.MeetingState.new()


def test_the_stored_form_carries_the_format_and_the_part() -> None:
    state = fx.MeetingState.new(format=SURVIVORS_CIRCLE)
    stored = json.loads(json.dumps(fx.to_dict(state)))
    assert stored["meeting_format"]["key"] == "survivors-circle"
    assert fx.from_dict(stored) == state


@pytest.mark.parametrize("fmt", SHIPPED_FORMATS.values(), ids=lambda f: f.key)
def test_shipped_texts_wrap_on_the_screen_not_in_the_source(fmt: fx.Format) -> None:
    for part in fmt.parts:
        for line in part.text.split("\n"):
            assert line == "" or line[0].isupper() or line.startswith("- "), (part.title, line)
