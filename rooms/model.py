"""What a room is: its configuration, as operators write it and as the lobby lists it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Final, Literal

import facilitation as fx
from facilitation.shipped import SHIPPED_FORMATS
from rooms.crisis import CrisisConfigError, CrisisResource, parse_resources, resource_to_mapping

__all__ = ["Access", "RoomConfig", "RoomConfigError", "format_from_config", "format_to_config"]

Access = Literal["open", "closed"]
_SLUG: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
_LANGUAGE: Final = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
"""A BCP 47 language tag, primary language lowercase: `en`, `es`, `pt-BR`."""


class RoomConfigError(ValueError):
    """A room definition is invalid; the message names the field."""


@dataclass(frozen=True, slots=True)
class RoomConfig:
    """One room. Rooms never close for being empty; they exist until an operator deletes them."""

    slug: str
    name: str
    description: str = ""
    access: Access = "open"
    self_led: bool = False
    """With no facilitator present, the first raised hand opens a share round by itself."""
    share_seconds: int = 180
    listen_only: bool = False
    """A listen-only room (a speaker meeting or a reading): only facilitators post."""
    replay_seconds: int | None = None
    """How far back a reconnecting client of this room may catch up, if shorter than the node's
    replay window. A room can only keep less history, never more."""
    format: fx.Format | None = None
    """The room's meeting format: a shipped one by key (`format = "twelve-step-text"`) or one
    given inline (`[rooms.format]`), checked by `Format.from_mapping`; None: plain rounds."""
    language: str = "en"
    """The language the room meets in, shown in the directory (`en`, `es`)."""
    crisis: tuple[CrisisResource, ...] = ()
    """The room's own crisis entries (`[[rooms.crisis]]` tables, rooms/crisis.py); empty: the
    locale's and the server's defaults."""
    voice: bool = False
    """Members may share and listen by voice (issue 17; docs/protocol.md §9): audio frames on a
    media connection, relayed only from whoever the floor lets be heard. Off by default."""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RoomConfig:
        """Build from a TOML table or JSON body, checking every field."""
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise RoomConfigError(f"unknown room field: {sorted(unknown)[0]}")
        slug = data.get("slug")
        if not isinstance(slug, str) or not _SLUG.match(slug):
            raise RoomConfigError("slug: 1-48 lowercase letters, digits or dashes")
        name = data.get("name", slug)
        if not isinstance(name, str) or not 1 <= len(name) <= 80:
            raise RoomConfigError("name: 1-80 characters")
        description = data.get("description", "")
        if not isinstance(description, str) or len(description) > 500:
            raise RoomConfigError("description: at most 500 characters")
        access = data.get("access", "open")
        if access not in ("open", "closed"):
            raise RoomConfigError("access: open or closed")
        share = data.get("share_seconds", 180)
        if isinstance(share, bool) or not isinstance(share, int) or not 30 <= share <= 1200:
            raise RoomConfigError("share_seconds: an integer from 30 to 1200")
        replay = data.get("replay_seconds")
        if replay is not None and (
            isinstance(replay, bool) or not isinstance(replay, int) or not 0 <= replay <= 86_400
        ):
            raise RoomConfigError("replay_seconds: an integer number of seconds, 0 or more")
        language = data.get("language", "en")
        if not isinstance(language, str) or not _LANGUAGE.match(language):
            raise RoomConfigError("language: a language tag such as en or es")
        flags = {k: data.get(k, False) for k in ("self_led", "listen_only", "voice")}
        for key, value in flags.items():
            if not isinstance(value, bool):
                raise RoomConfigError(f"{key}: true or false")
        crisis = data.get("crisis") or []
        if not isinstance(crisis, list) or not all(isinstance(c, Mapping) for c in crisis):
            raise RoomConfigError("crisis: a list of crisis entries")
        try:
            resources = parse_resources(crisis, where="crisis")
        except CrisisConfigError as exc:
            raise RoomConfigError(str(exc)) from None
        return cls(
            slug=slug,
            crisis=resources,
            name=name,
            description=description,
            access=access,
            share_seconds=share,
            replay_seconds=replay,
            format=format_from_config(data.get("format")),
            language=language,
            **flags,
        )

    def to_mapping(self) -> dict[str, Any]:
        """Plain data that `from_mapping` reads back to an equal room (a shipped format by key)."""
        return {
            **asdict(self),
            "format": format_to_config(self.format),
            "crisis": [resource_to_mapping(entry) for entry in self.crisis],
        }


def format_from_config(value: object) -> fx.Format | None:
    """A room's `format` setting: None, a shipped format's key, or a format table.

    Raises:
        RoomConfigError: naming the field, e.g. `format.parts[2].posting: ...`.
    """
    if value is None:
        return None
    if isinstance(value, str):
        found = SHIPPED_FORMATS.get(value)
        if found is None:
            shipped = ", ".join(sorted(SHIPPED_FORMATS))
            raise RoomConfigError(f"format: {value!r} is not a shipped format ({shipped})")
        return found
    if not isinstance(value, Mapping):
        raise RoomConfigError("format: a shipped format's key or a format table")
    try:
        return fx.Format.from_mapping(value)
    except fx.FormatError as error:
        raise RoomConfigError(str(error.inside("format"))) from None


def format_to_config(fmt: fx.Format | None) -> str | dict[str, Any] | None:
    """The `format` setting for `fmt`: a shipped format's key if it is one, else its table."""
    if fmt is None:
        return None
    if SHIPPED_FORMATS.get(fmt.key) == fmt:
        return fmt.key
    return fmt.to_mapping()
