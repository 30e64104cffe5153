"""Crisis resources as data: what a member sees the moment they ask for help.

Pure (no I/O, no clock: `today` is passed in). Entries come in three layers, and the resolver
always returns something:

1. the room's own entries, if its configuration has any;
2. else the entries for the member's region (from their locale), if the operator's table has
   that region;
3. else the server default;
4. else an international directory of free, human-staffed helplines.

Whatever layer wins, the member's regional emergency number goes first when the table knows it.
The regional table ships as `EXAMPLES` (SAFETY-NET §4) but is *off* until the operator turns
it on: every entry must be checked by a person, and an entry whose `verified_on` is missing or
over a year old is flagged (`ResolvedResource.stale`, and `warnings` at start-up).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

__all__ = [
    "EU_REGIONS",
    "EXAMPLES",
    "INTERNATIONAL_DIRECTORY",
    "STALE_AFTER",
    "Channel",
    "CrisisConfigError",
    "CrisisResource",
    "Resolution",
    "ResolvedResource",
    "Source",
    "parse_resources",
    "region_of",
    "resource_to_mapping",
    "resources_for",
    "tel_uri",
    "views",
    "warnings",
]

STALE_AFTER = timedelta(days=365)
"""An entry verified longer ago than this is flagged for the operator to check again."""


class CrisisConfigError(ValueError):
    """A crisis entry in the configuration is unusable; the message says which and why."""


class Channel(StrEnum):
    """How a member reaches the service; also the order they are shown in (emergency first)."""

    EMERGENCY = "emergency"
    CALL = "call"
    TEXT = "text"
    CHAT = "chat"
    DIRECTORY = "directory"


_ORDER = {channel: index for index, channel in enumerate(Channel)}
_DIALABLE = re.compile(r"\+?[0-9][0-9 ()./-]*")
_SEPARATORS = re.compile(r"[ ()./-]")


def tel_uri(number: str) -> str:
    """`number` as a `tel:` URI: separators dropped, a leading `+` kept ("0800 111 0 111" →
    "tel:08001110111"; "+44 116 123" → "tel:+44116123").

    Raises:
        CrisisConfigError: it holds anything but digits, a leading `+` and separators.
    """
    text = number.strip()
    if not _DIALABLE.fullmatch(text):
        raise CrisisConfigError(f"not a phone number: {number!r} (digits, spaces, + - ( ) . /)")
    return "tel:" + _SEPARATORS.sub("", text)


@dataclass(frozen=True, slots=True)
class CrisisResource:
    """One service a member can reach."""

    label: str
    """What it is called, shown as written ("Samaritans", "Emergency")."""
    channel: Channel
    number: str = ""
    """As people write it ("116 123"); needed for every channel but chat and directory."""
    keyword: str = ""
    """For text lines: the word to send ("HOME")."""
    hours: str = "24/7"
    languages: tuple[str, ...] = ()
    """Language tags the service answers in ("en", "fr"); empty when unknown."""
    url: str = ""
    verified_on: date | None = None
    """When a person last checked the entry; None for never (the shipped examples)."""

    def __post_init__(self) -> None:
        if not self.label.strip():
            raise CrisisConfigError("a crisis entry needs a label")
        if self.channel in (Channel.CHAT, Channel.DIRECTORY):
            if not self.url.startswith("https://"):
                raise CrisisConfigError(
                    f"{self.label!r}: a {self.channel} entry needs an https url"
                )
        else:
            tel_uri(self.number)
        if self.url and not self.url.startswith("https://"):
            raise CrisisConfigError(f"{self.label!r}: the url must start with https://")

    @property
    def href(self) -> str:
        """The link a client puts on it: `tel:` to call, `sms:` to text, else the url."""
        if self.channel in (Channel.EMERGENCY, Channel.CALL):
            return tel_uri(self.number)
        if self.channel is Channel.TEXT:
            digits = tel_uri(self.number).removeprefix("tel:")
            return f"sms:{digits}" + (f"?body={self.keyword}" if self.keyword else "")
        return self.url

    def stale(self, today: date) -> bool:
        return self.verified_on is None or today - self.verified_on > STALE_AFTER


class Source(StrEnum):
    """Which layer the entries came from."""

    ROOM = "room"
    REGION = "region"
    SERVER = "server"
    DIRECTORY = "directory"


@dataclass(frozen=True, slots=True)
class ResolvedResource:
    """An entry ready to show: its link, and whether the operator must check it again."""

    resource: CrisisResource
    href: str
    stale: bool


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a member sees, emergency first, never empty."""

    source: Source
    entries: tuple[ResolvedResource, ...] = field(default=())


INTERNATIONAL_DIRECTORY = CrisisResource(
    label="Find a helpline: free, confidential support in your country",
    channel=Channel.DIRECTORY,
    hours="directory",
    url="https://findahelpline.com",
)
"""Shown when nothing else matches (ThroughLine's directory of human-staffed helplines)."""


def _call(label: str, number: str, *, languages: tuple[str, ...] = ()) -> CrisisResource:
    return CrisisResource(label, Channel.CALL, number, languages=languages)


def _emergency(number: str) -> CrisisResource:
    return CrisisResource("Emergency services", Channel.EMERGENCY, number)


_CRISIS_TEXT_LINE = CrisisResource(
    "Crisis Text Line", Channel.TEXT, "741741", keyword="HOME", languages=("en",)
)
_SAMARITANS = _call("Samaritans", "116 123", languages=("en",))

EU_REGIONS = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    ]
)
"""Where 112 reaches emergency services from any phone, free."""

EXAMPLES: Mapping[str, tuple[CrisisResource, ...]] = {
    "US": (
        _emergency("911"),
        _call("988 Suicide & Crisis Lifeline (call or text)", "988", languages=("en", "es")),
        _CRISIS_TEXT_LINE,
    ),
    "CA": (
        _emergency("911"),
        _call("9-8-8 Suicide Crisis Helpline (call or text)", "988", languages=("en", "fr")),
        _CRISIS_TEXT_LINE,
    ),
    "GB": (_emergency("999"), _SAMARITANS),
    "IE": (_emergency("112"), _SAMARITANS),
    "DE": (
        _emergency("112"),
        _call("TelefonSeelsorge", "0800 111 0 111", languages=("de",)),
        _call("TelefonSeelsorge", "0800 111 0 222", languages=("de",)),
    ),
    "AU": (_emergency("000"), _call("Lifeline", "13 11 14", languages=("en",))),
}
"""SAFETY-NET §4, unverified (`verified_on` None), off unless the operator turns them on. EU
countries without a row get the 112 emergency entry."""


def region_of(locale: str | None) -> str | None:
    """The region subtag of a locale ("en-GB", "de_DE", "zh-Hant-TW" → "GB", "DE", "TW")."""
    if not locale:
        return None
    for subtag in re.split(r"[-_]", locale.strip())[1:]:
        if len(subtag) == 2 and subtag.isalpha():
            return subtag.upper()
    return None


def _regional(
    table: Mapping[str, Sequence[CrisisResource]], region: str | None
) -> tuple[CrisisResource, ...]:
    if region is None:
        return ()
    if region in table:
        return tuple(table[region])
    if region in EU_REGIONS and table:
        return (_emergency("112"),)
    return ()


def resources_for(
    locale: str | None,
    room_override: Sequence[CrisisResource],
    server_default: Sequence[CrisisResource],
    today: date,
    *,
    table: Mapping[str, Sequence[CrisisResource]] | None = None,
) -> Resolution:
    """The crisis entries to show a member with `locale` in a room (see the module docstring
    for the layers). `table` is the operator's regional table (empty: regions are skipped).

    Never empty: with nothing configured, the international directory.
    """
    regional = _regional(table or {}, region_of(locale))
    layers = (
        (Source.ROOM, tuple(room_override)),
        (Source.REGION, regional),
        (Source.SERVER, tuple(server_default)),
        (Source.DIRECTORY, (INTERNATIONAL_DIRECTORY,)),
    )
    source, chosen = next((s, entries) for s, entries in layers if entries)
    if not any(entry.channel is Channel.EMERGENCY for entry in chosen):
        emergency = tuple(e for e in regional if e.channel is Channel.EMERGENCY)
        chosen = emergency + chosen
    ordered = sorted(chosen, key=lambda entry: _ORDER[entry.channel])
    return Resolution(source, tuple(ResolvedResource(e, e.href, e.stale(today)) for e in ordered))


def _stale_warnings(where: str, entries: Iterable[CrisisResource], today: date) -> list[str]:
    found = []
    for entry in entries:
        if entry.verified_on is None:
            found.append(f"crisis entry {entry.label!r} ({where}) has never been verified")
        elif entry.stale(today):
            found.append(
                f"crisis entry {entry.label!r} ({where}) was last verified on "
                f"{entry.verified_on.isoformat()}, over a year ago"
            )
    return found


def warnings(
    server_default: Sequence[CrisisResource],
    today: date,
    *,
    table: Mapping[str, Sequence[CrisisResource]] | None = None,
    rooms: Mapping[str, Sequence[CrisisResource]] | None = None,
) -> tuple[str, ...]:
    """What `sharecircle serve` should warn about at start-up: no default number, and every
    entry never verified or verified over a year ago (room ids and labels only)."""
    found: list[str] = []
    if not any(e.channel is not Channel.DIRECTORY for e in server_default):
        found.append(
            "no crisis number set: members outside a configured region see only the "
            "international directory; set a server default crisis entry"
        )
    found += _stale_warnings("server default", server_default, today)
    for region, entries in sorted((table or {}).items()):
        found += _stale_warnings(f"region {region}", entries, today)
    for room, entries in sorted((rooms or {}).items()):
        found += _stale_warnings(f"room {room}", entries, today)
    return tuple(found)


_FIELDS = frozenset(CrisisResource.__dataclass_fields__)


def parse_resources(
    items: Sequence[Mapping[str, object]], *, where: str
) -> tuple[CrisisResource, ...]:
    """Entries from configuration (TOML tables, JSON objects): `channel` by name,
    `languages` a list, `verified_on` an ISO date or a date.

    Raises:
        CrisisConfigError: naming `where`, the entry's position and what is wrong.
    """
    return tuple(_parse_one(item, f"{where}[{index}]") for index, item in enumerate(items))


def _parse_one(item: Mapping[str, object], where: str) -> CrisisResource:
    unknown = sorted(set(item) - _FIELDS)
    if unknown:
        raise CrisisConfigError(f"{where}: unknown field(s) {', '.join(unknown)}")
    values = dict(item)
    try:
        values["channel"] = Channel(str(values.get("channel", "")))
        if "languages" in values:
            values["languages"] = tuple(str(tag) for tag in _as_list(values["languages"]))
        if isinstance(values.get("verified_on"), str):
            values["verified_on"] = date.fromisoformat(str(values["verified_on"]))
        if not isinstance(values.get("verified_on"), (date, type(None))):
            raise CrisisConfigError("verified_on must be a date (YYYY-MM-DD)")
        for text in ("label", "number", "keyword", "hours", "url"):
            if not isinstance(values.get(text, ""), str):
                raise CrisisConfigError(f"{text} must be text")
        return CrisisResource(**values)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise CrisisConfigError(f"{where}: {exc}") from None


def _as_list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise CrisisConfigError("languages must be a list")
    return value


def resource_to_mapping(entry: CrisisResource) -> dict[str, object]:
    """Plain data (JSON, TOML) that `parse_resources` reads back to an equal entry."""
    return {
        "label": entry.label,
        "channel": str(entry.channel),
        "number": entry.number,
        "keyword": entry.keyword,
        "hours": entry.hours,
        "languages": list(entry.languages),
        "url": entry.url,
        "verified_on": None if entry.verified_on is None else entry.verified_on.isoformat(),
    }


def views(resolution: Resolution) -> list[dict[str, str]]:
    """What a client shows, emergency first: `{label, number, channel, link, hours}` with
    `link` a `tel:` (digits only), `sms:` or https link (docs/protocol.md, "Crisis resources")."""
    return [
        {
            "label": found.resource.label,
            "number": found.resource.number,
            "channel": str(found.resource.channel),
            "link": found.href,
            "hours": found.resource.hours,
        }
        for found in resolution.entries
    ]
