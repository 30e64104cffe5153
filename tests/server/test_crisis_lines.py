"""Crisis numbers on a node (server/crisis_lines.py): never empty, tel: links, the room's own
first, a dialable server default, and `sharecircle serve`'s start-up warning."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from rooms.model import RoomConfig, RoomConfigError
from server.crisis_lines import CrisisLines
from server.settings import Settings, SettingsError

TODAY = date(2026, 11, 29)
ROOT = Path(__file__).resolve().parents[2]


def test_with_nothing_set_the_directory_is_shown_and_serve_would_warn() -> None:
    lines = CrisisLines.from_settings(Settings.from_mapping({}))
    shown = lines.resolve(None, None, TODAY)
    assert [entry["channel"] for entry in shown] == ["directory"]
    assert shown[0]["link"].startswith("https://")
    assert any("no crisis number set" in w for w in lines.warnings([], TODAY))


def test_the_server_default_is_a_tel_link_and_silences_the_warning() -> None:
    settings = Settings.from_mapping(
        {"crisis_line_number": "+44 116 123", "crisis_line_label": "S"}
    )
    lines = CrisisLines.from_settings(settings)
    assert lines.resolve("en-GB", None, TODAY) == [
        {"label": "S", "number": "+44 116 123", "channel": "call", "link": "tel:+44116123",
         "hours": "24/7"}
    ]  # fmt: skip
    assert lines.warnings([], TODAY) == ()


def test_a_number_that_cannot_be_dialled_is_refused_at_start_up() -> None:
    with pytest.raises(SettingsError, match="crisis_line_number"):
        Settings.from_mapping({"crisis_line_number": "call us"})


def test_a_rooms_own_entries_come_first_and_stale_ones_are_flagged() -> None:
    room = RoomConfig.from_mapping(
        {
            "slug": "night-owls",
            "crisis": [{"label": "Lifeline", "channel": "call", "number": "13 11 14",
                        "verified_on": "2024-01-01"}],
        }
    )  # fmt: skip
    lines = CrisisLines.from_settings(Settings.from_mapping({"crisis_line_number": "988"}))
    assert lines.resolve(None, room, TODAY)[0]["link"] == "tel:131114"
    assert any("room night-owls" in w for w in lines.warnings([room], TODAY))
    assert RoomConfig.from_mapping(room.to_mapping()) == room
    with pytest.raises(RoomConfigError, match="crisis"):
        RoomConfig.from_mapping({"slug": "x", "crisis": [{"label": "L", "channel": "call"}]})


def test_the_regional_table_is_off_until_turned_on() -> None:
    off = CrisisLines.from_settings(Settings.from_mapping({}))
    on = CrisisLines.from_settings(Settings.from_mapping({"crisis_regions": True}))
    assert off.resolve("en-GB", None, TODAY)[0]["channel"] == "directory"
    assert on.resolve("en-GB", None, TODAY)[0]["link"] == "tel:999"


def test_serve_prints_the_warning_at_start_up(tmp_path: Path) -> None:
    """What `sharecircle serve` prints before serving, with no crisis number: the warning, on
    stderr (real nodes' logs are checked in tests/privacy/test_crisis_lane.py)."""
    done = subprocess.run(
        [sys.executable, "-c", _SERVE_WARNINGS_ONLY, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "sharecircle: warning: no crisis number set" in done.stderr


_SERVE_WARNINGS_ONLY = """
import sys
from server import cli
from server.settings import Settings
cli._warn_about_crisis_lines(Settings.from_mapping({"data_dir": sys.argv[1]}))
"""
