"""Crisis resources: always something to show, emergency first, tel: links, stale entries flagged."""

from __future__ import annotations

from datetime import date

import pytest

from rooms import crisis
from rooms.crisis import Channel, CrisisConfigError, CrisisResource, Source

TODAY = date(2026, 11, 29)
RECENT = date(2026, 6, 1)

SERVER_LINE = CrisisResource("Our helpline", Channel.CALL, "+1 (555) 010-0199", verified_on=RECENT)
ROOM_LINE = CrisisResource("Room line", Channel.CALL, "0800 000 000", verified_on=RECENT)
ROOM_CHAT = CrisisResource(
    "Room chat", Channel.CHAT, url="https://chat.example.org", verified_on=RECENT
)


def labels(resolution: crisis.Resolution) -> list[str]:
    return [entry.resource.label for entry in resolution.entries]


@pytest.mark.parametrize(
    ("number", "uri"),
    [
        ("988", "tel:988"),
        ("0800 111 0 111", "tel:08001110111"),
        ("+44 116 123", "tel:+44116123"),
        ("+1 (555) 010-0199", "tel:+15550100199"),
        ("13.11.14", "tel:131114"),
    ],
)
def test_numbers_become_tel_uris_of_digits(number: str, uri: str) -> None:
    assert crisis.tel_uri(number) == uri


@pytest.mark.parametrize("number", ["", "call us", "12+34", "0800 CALL NOW", "+", "1;2"])
def test_what_is_not_a_number_is_refused(number: str) -> None:
    with pytest.raises(CrisisConfigError, match="not a phone number"):
        crisis.tel_uri(number)


def test_nothing_configured_still_gives_the_international_directory() -> None:
    shown = crisis.resources_for(None, (), (), TODAY)
    assert shown.source is Source.DIRECTORY
    assert [e.href for e in shown.entries] == ["https://findahelpline.com"]


def test_an_unknown_region_falls_back_to_the_server_default() -> None:
    shown = crisis.resources_for("pt-BR", (), (SERVER_LINE,), TODAY, table=crisis.EXAMPLES)
    assert shown.source is Source.SERVER
    assert [e.href for e in shown.entries] == ["tel:+15550100199"]
    assert shown.entries[0].stale is False


def test_the_room_override_wins_and_the_region_emergency_goes_first() -> None:
    shown = crisis.resources_for("en-GB", (ROOM_CHAT, ROOM_LINE), (SERVER_LINE,), TODAY,
                                 table=crisis.EXAMPLES)  # fmt: skip
    assert shown.source is Source.ROOM
    assert labels(shown) == ["Emergency services", "Room line", "Room chat"]
    assert shown.entries[0].href == "tel:999"


def test_the_region_beats_the_server_default_when_the_table_is_on() -> None:
    shown = crisis.resources_for("de_DE", (), (SERVER_LINE,), TODAY, table=crisis.EXAMPLES)
    assert shown.source is Source.REGION
    assert [e.href for e in shown.entries] == ["tel:112", "tel:08001110111", "tel:08001110222"]


def test_the_shipped_examples_are_off_by_default() -> None:
    shown = crisis.resources_for("en-US", (), (SERVER_LINE,), TODAY)
    assert shown.source is Source.SERVER
    assert labels(shown) == ["Our helpline"]


def test_an_eu_region_without_a_row_gets_112_before_the_default() -> None:
    shown = crisis.resources_for("fr-FR", (), (SERVER_LINE,), TODAY, table=crisis.EXAMPLES)
    assert [e.href for e in shown.entries] == ["tel:112"]
    assert shown.source is Source.REGION


def test_text_lines_get_an_sms_link_with_their_keyword() -> None:
    shown = crisis.resources_for("en-US", (), (), TODAY, table=crisis.EXAMPLES)
    assert [e.href for e in shown.entries] == ["tel:911", "tel:988", "sms:741741?body=HOME"]
    assert shown.entries[0].resource.channel is Channel.EMERGENCY


def test_entries_never_verified_or_older_than_a_year_are_flagged() -> None:
    old = CrisisResource("Old line", Channel.CALL, "123", verified_on=date(2025, 11, 28))
    fresh = CrisisResource("Fresh line", Channel.CALL, "124", verified_on=date(2025, 11, 29))
    shown = crisis.resources_for(None, (old, fresh), (), TODAY)
    assert [e.stale for e in shown.entries] == [True, False]
    examples = crisis.resources_for("en-AU", (), (), TODAY, table=crisis.EXAMPLES)
    assert all(e.stale for e in examples.entries)


@pytest.mark.parametrize(
    ("locale", "region"),
    [("en-GB", "GB"), ("de_DE", "DE"), ("zh-Hant-TW", "TW"), ("es-419", None), ("en", None),
     ("", None), (None, None)],
)  # fmt: skip
def test_region_of_reads_the_region_subtag(locale: str | None, region: str | None) -> None:
    assert crisis.region_of(locale) == region


def test_start_up_warns_without_a_default_number() -> None:
    found = crisis.warnings((), TODAY)
    assert len(found) == 1
    assert found[0].startswith("no crisis number set")
    directory_only = crisis.warnings((crisis.INTERNATIONAL_DIRECTORY,), TODAY)
    assert directory_only[0].startswith("no crisis number set")


def test_start_up_is_quiet_with_a_fresh_default() -> None:
    assert crisis.warnings((SERVER_LINE,), TODAY) == ()


def test_start_up_names_every_stale_entry_and_where_it_is() -> None:
    old = CrisisResource("Old line", Channel.CALL, "123", verified_on=date(2024, 1, 2))
    found = crisis.warnings(
        (old,), TODAY, table={"GB": crisis.EXAMPLES["GB"]}, rooms={"night-owls": (ROOM_LINE, old)}
    )
    assert found == (
        "crisis entry 'Old line' (server default) was last verified on 2024-01-02, over a year ago",
        "crisis entry 'Emergency services' (region GB) has never been verified",
        "crisis entry 'Samaritans' (region GB) has never been verified",
        "crisis entry 'Old line' (room night-owls) was last verified on 2024-01-02, over a year ago",
    )


def test_configuration_parses_into_entries() -> None:
    parsed = crisis.parse_resources(
        [
            {"label": "Line", "channel": "call", "number": "116 123", "languages": ["en"],
             "verified_on": "2026-05-01"},
            {"label": "Chat", "channel": "chat", "url": "https://chat.example.org",
             "verified_on": date(2026, 5, 2)},
        ],
        where="crisis_default",
    )  # fmt: skip
    assert parsed[0] == CrisisResource(
        "Line", Channel.CALL, "116 123", languages=("en",), verified_on=date(2026, 5, 1)
    )
    assert parsed[1].href == "https://chat.example.org"


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"label": "X", "channel": "pigeon", "number": "1"}, r"\[0\]: 'pigeon' is not a valid"),
        ({"label": "X", "channel": "call", "number": "abc"}, "not a phone number"),
        ({"label": "X", "channel": "call", "number": "1", "colour": "red"}, "unknown field"),
        ({"label": "", "channel": "call", "number": "1"}, "needs a label"),
        ({"label": "X", "channel": "chat"}, "needs an https url"),
        ({"label": "X", "channel": "call", "number": "1", "url": "http://x"}, "https://"),
        ({"label": "X", "channel": "call", "number": "1", "verified_on": "soon"}, "isoformat"),
        ({"label": "X", "channel": "call", "number": "1", "verified_on": 5}, "must be a date"),
        ({"label": "X", "channel": "call", "number": "1", "languages": "en"}, "must be a list"),
        ({"label": 3, "channel": "call", "number": "1"}, "label must be text"),
    ],
)
def test_bad_configuration_gets_a_clear_error(item: dict[str, object], message: str) -> None:
    with pytest.raises(CrisisConfigError, match=message) as raised:
        crisis.parse_resources([item], where="crisis_default")
    assert str(raised.value).startswith("crisis_default[0]")


def test_every_shipped_example_is_well_formed_and_unverified() -> None:
    for region, entries in crisis.EXAMPLES.items():
        assert entries[0].channel is Channel.EMERGENCY, region
        assert all(entry.verified_on is None for entry in entries)
        assert all(entry.href.startswith(("tel:", "sms:")) for entry in entries)
