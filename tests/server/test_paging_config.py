"""Paging settings as an operator writes them: `[[paging.endpoint]]` tables (the examples of
docs/operations.md), a JSON list in the environment, and errors that never show a URL."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from rooms.oncall import PageLevel
from server.oncall_setup import paging_settings, room_key
from server.paging_formats import Receiver
from server.settings import Settings, SettingsError

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("SHARECIRCLE_") or name == "REDIS_URL":
            monkeypatch.delenv(name)


def test_every_endpoint_example_in_the_operations_guide_loads(tmp_path: Path) -> None:
    text = (DOCS / "operations.md").read_text()
    blocks = re.findall(r"```toml\n(\[\[paging\.endpoint\]\].*?)```", text, re.S)
    assert len(blocks) >= 5
    path = tmp_path / "sharecircle.toml"
    path.write_text("\n".join(blocks))
    settings = Settings.load(path)
    receivers = {e.receiver for e in settings.paging_endpoints}
    assert {Receiver.GENERIC, Receiver.NTFY, Receiver.SLACK, Receiver.HOOKSHOT} <= receivers
    slack = next(e for e in settings.paging_endpoints if e.receiver is Receiver.SLACK)
    assert slack.min_level is PageLevel.ALL_STAFF
    assert "hooks.slack.com" not in repr(settings)  # a chat URL is a credential


def test_endpoints_from_the_environment_and_the_console_link(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    endpoint = {"name": "phones", "receiver": "ntfy", "url": "https://ntfy.example.org/t"}
    monkeypatch.setenv("SHARECIRCLE_PAGING_ENDPOINTS", json.dumps([endpoint]))
    monkeypatch.setenv("SHARECIRCLE_PUBLIC_ORIGIN", "https://circle.example.org")
    settings = Settings.load()
    (loaded,) = settings.paging_endpoints
    assert (loaded.name, loaded.receiver) == ("phones", Receiver.NTFY)
    paging = paging_settings(settings, room_key("k" * 40))
    assert paging.console_url == "https://circle.example.org/staff"
    assert paging.room_key == room_key("k" * 40) != room_key("j" * 40)
    assert paging.timeout_s == 10.0


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ({"name": "x", "url": "https://secret.example.org/abc"}, "needs a secret"),
        ({"name": "x", "receiver": "pager", "url": "https://secret.example.org/a"}, "receiver"),
        ({"name": "x", "receiver": "slack", "url": "http://secret.example.org/a"}, "https"),
        ({"name": "x", "receiver": "slack", "url": "https://secret.example.org/a", "min_level": "x"}, "min_level"),
        ({"name": "x", "receiver": "slack", "url": "https://secret.example.org/a", "tok": "1"}, "unknown key"),
    ],
)  # fmt: skip
def test_a_bad_endpoint_is_named_and_its_url_never_shown(
    endpoint: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message) as refused:
        Settings.from_mapping({"paging_endpoints": [endpoint]})
    assert "secret.example.org" not in str(refused.value)
    assert "paging_endpoints" in str(refused.value)


def test_plain_http_and_loopback_only_when_allowed() -> None:
    endpoint = {"name": "local", "receiver": "slack", "url": "http://127.0.0.1:9/hook"}
    settings = Settings.from_mapping({"paging_endpoints": [endpoint], "paging_allow_private": True})
    assert paging_settings(settings).allow_private_addresses is True
