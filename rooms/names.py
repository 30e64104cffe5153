"""Display names: what a member may call themselves, and when two names are "the same".

Names are anonymous and chosen freely, but they must be readable and must not pretend to be
someone else. So a name is NFC-normalised, 1–32 characters, with no control, format, invisible or
private-use characters and no combining-mark floods; and uniqueness in a room is decided on a
*skeleton*: case-folded and with look-alike characters (Cyrillic "е" for Latin "e", "1" for "l",
"rn" for "m") mapped to one representative, using the Unicode confusables data shipped by the
confusable-homoglyphs library. Names that claim a role ("facilitator", "moderator", ...) in any
disguise are refused outright.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Final

from confusable_homoglyphs import confusables

__all__ = [
    "ALTERNATE_NUMBERS",
    "MAX_NAME_CHARS",
    "NameRejected",
    "alternates",
    "check_name",
    "name_key",
]

MAX_NAME_CHARS: Final = 32
ALTERNATE_NUMBERS: Final = range(2, 10)
"""A lobby newcomer whose name is taken by the time they are admitted is seated as "River 2" ...
"River 9", the first free (facilitation/lobby.py picks it from `alternates`)."""
_DIGIT_FOLD: Final = str.maketrans({"1": "i", "|": "i", "0": "o"})
_RESERVED: Final = (
    "facilitator",
    "moderator",
    "admin",
    "sharecircle",
    "system",
    "staff",
)


class NameRejected(ValueError):
    """The display name cannot be used; the message says why, for the person choosing it."""


def check_name(raw: str) -> str:
    """Return the name as it will be shown, or raise NameRejected.

    Inner runs of spaces are folded to one; leading and trailing spaces are dropped.
    """
    name = " ".join(unicodedata.normalize("NFC", raw).split(" "))
    name = " ".join(part for part in name.split(" ") if part)
    if not name:
        raise NameRejected("Please choose a name.")
    if len(name) > MAX_NAME_CHARS:
        raise NameRejected(f"Names can have at most {MAX_NAME_CHARS} characters.")
    marks = 0
    for ch in name:
        category = unicodedata.category(ch)
        if category[0] == "C" or (category[0] == "Z" and ch != " "):
            raise NameRejected("Names cannot contain control or invisible characters.")
        marks = marks + 1 if category in ("Mn", "Me") else 0
        if marks > 2:
            raise NameRejected("Names cannot stack that many accents.")
    key = name_key(name)
    if not any(ch.isalnum() for ch in key):
        raise NameRejected("Names need at least one letter or digit.")
    squeezed = "".join(ch for ch in key if ch.isalnum())
    for word in _RESERVED:
        if name_key(word) in squeezed:
            raise NameRejected("That name could be mistaken for a facilitator or the system.")
    return name


@functools.lru_cache(maxsize=4096)
def _skeleton_char(ch: str) -> str:
    """The smallest ASCII look-alike reachable from `ch` in a few steps, or `ch` itself."""
    seen = {ch}
    frontier = [ch]
    for _ in range(3):
        nxt: list[str] = []
        for c in frontier:
            found = confusables.is_confusable(c, greedy=True, preferred_aliases=[])
            for entry in found or ():
                for glyph in entry["homoglyphs"]:
                    g = glyph["c"]
                    if len(g) == 1 and g.isascii() and g.isprintable() and g not in seen:
                        seen.add(g)
                        nxt.append(g)
        frontier = nxt
    ascii_forms = [c for c in seen if c.isascii()]
    return min(ascii_forms) if ascii_forms else ch


def name_key(name: str) -> str:
    """The form two names are compared in: same key means "looks like the same name"."""
    folded = unicodedata.normalize("NFKD", name)
    folded = "".join(ch for ch in folded if unicodedata.category(ch) not in ("Mn", "Me"))
    # Look-alikes first on the case as typed (Cyrillic "М" looks like "M"), then again after
    # case folding (its lower case "м" looks like nothing in ASCII).
    once = "".join(_skeleton_char(ch) for ch in folded).casefold()
    skeleton = "".join(_skeleton_char(ch) for ch in once).casefold()
    # After case folding, "I" and "l" and "1" (and "O" and "0") must still meet: fold the
    # digit representatives the confusables data picks onto the letters.
    return skeleton.translate(_DIGIT_FOLD).replace("rn", "m").replace(" ", "")


def alternates(name: str) -> tuple[tuple[str, str], ...]:
    """The numbered forms of a checked name, each with its key, for admission from the lobby.

    The base is shortened if need be so that each form still fits `MAX_NAME_CHARS`.
    """
    out = []
    for number in ALTERNATE_NUMBERS:
        suffix = f" {number}"
        base = name[: MAX_NAME_CHARS - len(suffix)].rstrip()
        form = base + suffix
        if base != name:
            # Only a shortened base can need the checks again; the whole checked name plus a
            # space and a digit passes them as it is, and every join pays for this list (a
            # check_name per form cost a join storm about 0.4 ms per joiner).
            try:
                form = check_name(form)
            except NameRejected:
                continue
        out.append((form, name_key(form)))
    return tuple(out)
