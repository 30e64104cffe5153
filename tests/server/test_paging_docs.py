"""docs/operations.md, "Paging webhooks", matches the code: every event type and receiver is
documented, and every example endpoint is one the pager accepts."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from rooms.oncall import PageLevel
from server import paging, paging_rules
from server.paging import Endpoint, PagingSettings
from server.paging_formats import EventType, Receiver

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def _section() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## Paging webhooks")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def _examples() -> list[dict[str, object]]:
    blocks = re.findall(r"```toml\n(.*?)```", _section(), re.S)
    return [tomllib.loads(block)["paging"]["endpoint"][0] for block in blocks]


@pytest.mark.parametrize("event_type", list(EventType))
def test_every_event_type_is_documented(event_type: EventType) -> None:
    assert f"`{event_type}`" in _section()


def test_every_receiver_has_an_example_the_pager_accepts() -> None:
    endpoints = []
    for example in _examples():
        fields = dict(example)
        fields["receiver"] = Receiver(str(fields["receiver"]))
        fields["secrets"] = tuple(fields.get("secrets", ()))  # type: ignore[arg-type]
        if "min_level" in fields:
            fields["min_level"] = PageLevel[str(fields["min_level"]).upper()]
        endpoints.append(Endpoint(**fields))  # type: ignore[arg-type]
    assert {e.receiver for e in endpoints} == set(Receiver)
    PagingSettings(endpoints=tuple(endpoints))


def _spoken(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def test_the_documented_schedule_is_the_coded_one() -> None:
    delays = ", ".join(_spoken(d) for d in paging.RETRY_DELAYS)
    repeat = f"every {_spoken(paging.REPEAT_EVERY)} ±{paging_rules.JITTER * 100:g} %"
    section = " ".join(_section().split())
    for words in (
        f"at once, then after {delays}, then {repeat}",
        f"at most {_spoken(paging.GIVE_UP_AFTER)} after the first attempt",
        f"at most {_spoken(paging.RETRY_AFTER_CAP)}",
        f"times out after {_spoken(PagingSettings().timeout_s)}",
    ):
        assert words in section
