"""Meeting formats as data: a format is a list of parts, each with its own rules.

Rules of this module:

- A `Format` and its `Part`s are frozen values, validated when they are built: an invalid one
  cannot exist, so the engine never meets one. What a part may be set to (who may post,
  crosstalk, order) is decided by the tables in part_rules.py (`POSTING_BY_PART`,
  `CROSSTALK_BY_POSTING`, `ORDER_BY_POSTING`); this module only checks values against them.
- `Format.from_mapping` reads the plain mapping a room's TOML or the admin API gives (unset
  fields take their kind's defaults) and raises `FormatError` naming the field and the problem;
  `to_mapping` writes every field, and the two round-trip exactly.
- How a meeting moves through the parts is in parts.py; the formats we ship are in shipped.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from facilitation.errors import FormatError
from facilitation.part_rules import CROSSTALK_BY_POSTING, ORDER_BY_POSTING, POSTING_BY_PART
from facilitation.state import Order, PartKind, Posting

__all__ = ["FORMAT_NUMBER_LIMITS", "FORMAT_TEXT_LIMITS", "Format", "Part"]

FORMAT_TEXT_LIMITS: dict[str, int] = {"key": 48, "title": 80, "text": 4000}
"""Maximum lengths (characters) of a format's and its parts' text fields."""

FORMAT_NUMBER_LIMITS: dict[str, tuple[int, int]] = {
    "parts": (1, 30),
    "minutes": (1, 240),
    "share_seconds": (30, 1200),
}
"""Inclusive ranges: the number of parts, a part's planned minutes and its share length."""

_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a format and its rules (build with `Part.of` to get the kind's defaults)."""

    kind: PartKind
    """What the part is (rules.POSTING_BY_PART lists what each kind may do)."""
    title: str
    """Shown to everyone ("Readings", "Check-in")."""
    posting: Posting
    """Who has the word (rules.POSTING_VOICES)."""
    crosstalk: bool
    """Everyone else may post too; off means others may only raise a hand, pass or react."""
    order: Order | None = None
    """How a share part's queue fills; None for parts without a share round."""
    share_seconds: int | None = None
    """A share part's share length; None means the room's default."""
    minutes: int | None = None
    """Planned length; a format that runs itself moves on when it is up."""
    text: str = ""
    """Shown when the part starts (in `part.started` and the meeting view): a reading, the rules."""
    content_notes: bool = False
    """Shares in this part begin with a content note (clients fold the rest until opened)."""

    @classmethod
    def of(
        cls,
        kind: PartKind | str,
        title: str,
        *,
        posting: Posting | str | None = None,
        crosstalk: bool | None = None,
        order: Order | str | None = None,
        share_seconds: int | None = None,
        minutes: int | None = None,
        text: str = "",
        content_notes: bool = False,
    ) -> Part:
        """A part with unset rules taken from its kind's defaults (the first allowed value).

        Raises:
            FormatError: a value is unknown or not allowed for this kind of part.
        """
        kind = _enum(PartKind, kind, "kind")
        chosen = POSTING_BY_PART[kind].postings[0] if posting is None else posting
        posting = _enum(Posting, chosen, "posting")
        if crosstalk is None:
            allowed = CROSSTALK_BY_POSTING[posting]
            crosstalk = next((x for x in POSTING_BY_PART[kind].crosstalk if x in allowed), False)
        if order is None and posting in ORDER_BY_POSTING:
            order = ORDER_BY_POSTING[posting][0]
        order = None if order is None else _enum(Order, order, "order")
        return cls(
            kind, title, posting, crosstalk, order, share_seconds, minutes, text, content_notes
        )

    def __post_init__(self) -> None:
        # Built in code rather than by `of`: the enums must be enums, not their string values.
        for where, value, kind in (
            ("kind", self.kind, PartKind),
            ("posting", self.posting, Posting),
            ("order", Order.HANDS if self.order is None else self.order, Order),
        ):
            if not isinstance(value, kind):
                raise FormatError(where, f"{value!r} is not a {kind.__name__}")
        _check_text(self.title, "title", required=True)
        _check_text(self.text, "text")
        rules = POSTING_BY_PART[self.kind]
        if self.posting not in rules.postings:
            allowed = ", ".join(rules.postings)
            raise FormatError("posting", f"a {self.kind} part gives the word to {allowed} only")
        if not isinstance(self.crosstalk, bool):
            raise FormatError("crosstalk", "true or false")
        if (
            self.crosstalk not in rules.crosstalk
            or self.crosstalk not in CROSSTALK_BY_POSTING[self.posting]
        ):
            raise FormatError(
                "crosstalk",
                f"cannot be {'on' if self.crosstalk else 'off'} in a {self.kind} "
                f"part where {self.posting} has the word",
            )
        self._check_round()
        _check_number(self.minutes, "minutes")
        if not isinstance(self.content_notes, bool):
            raise FormatError("content_notes", "true or false")

    def _check_round(self) -> None:
        orders = ORDER_BY_POSTING.get(self.posting)
        if orders is None:
            if self.order is not None or self.share_seconds is not None:
                field = "order" if self.order is not None else "share_seconds"
                raise FormatError(
                    field, f"only parts with a share round have one (not {self.posting})"
                )
            return
        if self.order not in orders:
            raise FormatError("order", f"{self.posting} runs {' or '.join(orders)} rounds")
        _check_number(self.share_seconds, "share_seconds")

    @property
    def share_round(self) -> bool:
        """Entering this part opens a share round."""
        return self.posting in ORDER_BY_POSTING

    def to_mapping(self) -> dict[str, Any]:
        """Every field as plain data (`from_mapping` reads it back to an equal part)."""
        return {
            "kind": str(self.kind),
            "title": self.title,
            "posting": str(self.posting),
            "crosstalk": self.crosstalk,
            "order": None if self.order is None else str(self.order),
            "share_seconds": self.share_seconds,
            "minutes": self.minutes,
            "text": self.text,
            "content_notes": self.content_notes,
        }

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Part:
        """A part from plain data; unset rules take the kind's defaults.

        Raises:
            FormatError: a field is missing, unknown, of the wrong type or not allowed.
        """
        _check_keys(data, required={"kind", "title"}, optional=set(_PART_OPTIONAL))
        return cls.of(
            data["kind"], data["title"], **{k: data[k] for k in _PART_OPTIONAL if k in data}
        )


_PART_OPTIONAL = (
    "posting", "crosstalk", "order", "share_seconds", "minutes", "text", "content_notes"
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Format:
    """A meeting format: its parts in order, and whether it may run without a facilitator."""

    key: str
    """A short id: lowercase letters, digits and dashes."""
    title: str
    """Shown to everyone ("Twelve-step style text meeting")."""
    parts: tuple[Part, ...]
    """The script, in order."""
    self_led: bool = True
    """May run by itself in a self-led room; False: it holds until a facilitator is present."""

    def __post_init__(self) -> None:
        key = self.key
        if not isinstance(key, str) or not key or not set(key) <= _KEY_CHARS:
            raise FormatError("key", "1-48 lowercase letters, digits or dashes")
        _check_text(key, "key")
        _check_text(self.title, "title", required=True)
        if not isinstance(self.self_led, bool):
            raise FormatError("self_led", "true or false")
        if not isinstance(self.parts, tuple) or not all(isinstance(p, Part) for p in self.parts):
            raise FormatError("parts", "a list of parts")
        _check_number(len(self.parts), "parts")
        if self.self_led:
            for i, part in enumerate(self.parts):
                if part.minutes is None:
                    raise FormatError(
                        f"parts[{i}].minutes",
                        "a format that may run self-led needs planned minutes for every part "
                        "(or self_led = false)",
                    )

    def to_mapping(self) -> dict[str, Any]:
        """Every field as plain data (`from_mapping` reads it back to an equal format)."""
        return {
            "key": self.key,
            "title": self.title,
            "self_led": self.self_led,
            "parts": [p.to_mapping() for p in self.parts],
        }

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Format:
        """A format from plain data (room TOML, the admin API, a stored meeting state).

        Raises:
            FormatError: naming the field (`parts[2].posting`) and what is wrong with it.
        """
        if not isinstance(data, Mapping):
            raise FormatError("", "a format is a table of fields")
        _check_keys(data, required={"key", "title", "parts"}, optional={"self_led"})
        raw_parts = data["parts"]
        if not isinstance(raw_parts, list | tuple):
            raise FormatError("parts", "a list of parts")
        parts = []
        for i, raw in enumerate(raw_parts):
            if not isinstance(raw, Mapping):
                raise FormatError(f"parts[{i}]", "a part is a table of fields")
            try:
                parts.append(Part.from_mapping(raw))
            except FormatError as error:
                raise error.inside(f"parts[{i}]") from None
        return cls(data["key"], data["title"], tuple(parts), data.get("self_led", True))


def _enum(kind: type[E], value: object, where: str) -> E:
    if isinstance(value, str) and value in kind._value2member_map_:
        return kind(value)
    options = ", ".join(kind)
    raise FormatError(where, f"{value!r} is not one of {options}")


def _check_text(value: object, where: str, *, required: bool = False) -> None:
    limit = FORMAT_TEXT_LIMITS[where]
    if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
        need = "1" if required else "0"
        raise FormatError(where, f"text of {need}-{limit} characters")


def _check_number(value: object, where: str) -> None:
    if value is None:
        return
    low, high = FORMAT_NUMBER_LIMITS[where]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise FormatError(where, f"a whole number {low}-{high}")


def _check_keys(data: Mapping[str, Any], *, required: set[str], optional: set[str]) -> None:
    missing = sorted(required - set(data))
    if missing:
        raise FormatError(missing[0], "missing")
    unknown = sorted(set(data) - required - optional)
    if unknown:
        raise FormatError(str(unknown[0]), "unknown field")
