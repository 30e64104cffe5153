"""Cleaning text people send, before anyone else sees it (docs/protocol.md §3.2).

Messages are relayed as plain text. We normalise to NFC so that one visible text has one form,
remove bidirectional controls (they can make a message read differently from what was typed,
or spill over the rest of a page), drop other invisible format characters except the joiners
that emoji and some scripts need, and cap runs of combining marks ("zalgo" floods that paint
over neighbouring lines).
"""

from __future__ import annotations

import unicodedata
from typing import Final

__all__ = ["MAX_COMBINING", "TextRejected", "clean_text"]

MAX_COMBINING: Final = 4
"""Combining marks kept after one base character; real scripts rarely need more than three."""

_BIDI_CONTROLS: Final = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # isolates
    "\u200e\u200f\u061c"  # marks
)
_KEEP_FORMAT: Final = frozenset("\u200c\u200d")  # ZWNJ / ZWJ: needed by emoji and Indic scripts
_ALLOWED_CONTROLS: Final = frozenset("\n\t")


class TextRejected(ValueError):
    """The text is empty after cleaning, or too long."""


def clean_text(raw: str, *, max_chars: int) -> str:
    """Return the text as it will be relayed.

    Args:
        raw: what the client sent.
        max_chars: the limit, counted after cleaning.

    Raises:
        TextRejected: nothing is left, or more than `max_chars` characters remain.
    """
    text = unicodedata.normalize("NFC", raw)
    out: list[str] = []
    marks = 0
    for ch in text:
        category = unicodedata.category(ch)
        if ch in _BIDI_CONTROLS or category in ("Cs", "Co", "Cn"):
            continue
        if category == "Cc" and ch not in _ALLOWED_CONTROLS:
            continue
        if category == "Cf" and ch not in _KEEP_FORMAT:
            continue
        if category in ("Mn", "Me"):
            marks += 1
            if marks > MAX_COMBINING:
                continue
        else:
            marks = 0
        out.append(ch)
    cleaned = "".join(out).strip()
    if not cleaned:
        raise TextRejected("the text is empty")
    if len(cleaned) > max_chars:
        raise TextRejected(f"the text is longer than {max_chars} characters")
    return cleaned
