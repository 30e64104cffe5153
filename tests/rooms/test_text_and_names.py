"""Text cleaning and display-name rules (pure)."""

from __future__ import annotations

import pytest

from rooms.names import MAX_NAME_CHARS, NameRejected, alternates, check_name, name_key
from rooms.text import MAX_COMBINING, TextRejected, clean_text


def test_text_is_normalised_to_nfc() -> None:
    assert clean_text("Cafe\u0301", max_chars=100) == "Caf\u00e9"


def test_bidi_overrides_and_isolates_are_removed() -> None:
    assert clean_text("abc\u202edef\u2066x\u2069", max_chars=100) == "abcdefx"


def test_combining_mark_floods_are_capped() -> None:
    flood = "a" + "\u0336" * 50 + "b"
    cleaned = clean_text(flood, max_chars=100)
    assert cleaned == "a" + "\u0336" * MAX_COMBINING + "b"


def test_emoji_joiners_and_newlines_survive() -> None:
    family = "\U0001f469\u200d\U0001f467"
    assert clean_text(f"{family}\nsecond line", max_chars=100) == f"{family}\nsecond line"


def test_control_characters_are_dropped() -> None:
    assert clean_text("a\x00b\x1bc\x07", max_chars=100) == "abc"


@pytest.mark.parametrize("raw", ["", "   ", "\u202e\u202c", "\x00"])
def test_empty_text_is_rejected(raw: str) -> None:
    with pytest.raises(TextRejected):
        clean_text(raw, max_chars=100)


def test_too_long_text_is_rejected_after_cleaning() -> None:
    clean_text("x" * 10 + "\u202e" * 50, max_chars=10)
    with pytest.raises(TextRejected):
        clean_text("x" * 11, max_chars=10)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "x" * (MAX_NAME_CHARS + 1),
        "Sam\x00",
        "Sam\u200b",  # zero-width space
        "Sam\u202e",  # bidi override
        "Sam\u00a0Lee",  # no-break space
        "a\u0336\u0336\u0336",
        "Facilitator",
        "Fac1l1tat0r",
        "Моderator",  # Cyrillic M and o
        "ADMIN",
        "!!!",
    ],
)
def test_bad_names_are_rejected(raw: str) -> None:
    with pytest.raises(NameRejected):
        check_name(raw)


def test_names_are_trimmed_and_spaces_folded() -> None:
    assert check_name("  Sam    Lee ") == "Sam Lee"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("River", "river"),
        ("River", "Rivеr"),  # Cyrillic е
        ("Ian", "lan"),
        ("Mary", "rnary"),
        ("Zoe", "Zoë"),
        ("Sam Lee", "SamLee"),
    ],
)
def test_look_alike_names_share_a_key(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


def test_different_names_have_different_keys() -> None:
    assert name_key("River") != name_key("Rover")


def test_alternates_number_a_name_and_still_fit() -> None:
    forms = alternates("River")
    assert [name for name, _ in forms] == [f"River {n}" for n in range(2, 10)]
    assert all(key == name_key(name) for name, key in forms)
    assert len({key for _, key in forms} | {name_key("River")}) == len(forms) + 1
    long = "x" * MAX_NAME_CHARS
    assert all(len(name) <= MAX_NAME_CHARS for name, _ in alternates(long))
    assert alternates(long)[0][0] == "x" * (MAX_NAME_CHARS - 2) + " 2"
