"""Settings from defaults, a TOML file, the environment and flags, and what a bad value says."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from rooms.model import RoomConfig
from server.settings import DEFAULT_ROOMS, Settings, SettingsError, _s
from tests.support.nodes import ROOT


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test sets counts."""
    for name in list(os.environ):
        if name.startswith("SHARECIRCLE_") or name == "REDIS_URL":
            monkeypatch.delenv(name)


def toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sharecircle.toml"
    path.write_text(text)
    return path


def test_defaults_without_file_or_environment() -> None:
    settings = Settings.load()
    assert (settings.host, settings.port, settings.redis_url) == ("127.0.0.1", 8000, None)
    assert settings.replay_max_events == 2000
    assert settings.allowed_origins == []
    assert settings.rooms == DEFAULT_ROOMS


def test_file_then_environment_then_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = toml(tmp_path, '[server]\nport = 8001\nhost = "0.0.0.0"\nlog_level = "debug"\n')
    assert Settings.load(path).port == 8001
    monkeypatch.setenv("SHARECIRCLE_PORT", "8002")
    settings = Settings.load(path)
    assert (settings.port, settings.host, settings.log_level) == (8002, "0.0.0.0", "debug")
    flagged = Settings.load(path, overrides={"port": 8003, "host": None})  # None: flag not given
    assert (flagged.port, flagged.host) == (8003, "0.0.0.0")


def test_the_config_file_may_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHARECIRCLE_CONFIG", str(toml(tmp_path, "[server]\nport = 8011\n")))
    assert Settings.load().port == 8011


def test_redis_url_from_either_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARECIRCLE_SECRET", secrets.token_hex(32))
    monkeypatch.setenv("REDIS_URL", "redis://plain")
    assert Settings.load().redis_url == "redis://plain"
    monkeypatch.setenv("SHARECIRCLE_REDIS_URL", "redis://ours")
    assert Settings.load().redis_url == "redis://ours"
    assert Settings.load(overrides={"redis_url": "redis://flag"}).redis_url == "redis://flag"


def test_environment_values_are_parsed_by_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARECIRCLE_ALLOWED_ORIGINS", "https://a.example, https://b.example,")
    monkeypatch.setenv("SHARECIRCLE_BAN_NETWORK_MARKS", "no")
    monkeypatch.setenv("SHARECIRCLE_PRESENCE_TTL_SECONDS", "12.5")
    monkeypatch.setenv("SHARECIRCLE_SECRET", "")  # empty means unset
    settings = Settings.load()
    assert settings.allowed_origins == ["https://a.example", "https://b.example"]
    assert settings.ban_network_marks is False
    assert settings.presence_ttl_seconds == 12.5
    assert settings.secret is None


def test_rooms_from_the_file(tmp_path: Path) -> None:
    path = toml(tmp_path, '[[rooms]]\nslug = "late"\nname = "Late"\nself_led = true\n')
    assert Settings.load(path).rooms == (RoomConfig(slug="late", name="Late", self_led=True),)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SHARECIRCLE_PORT", "eighty", "port: Input should be a valid integer"),
        ("SHARECIRCLE_MAX_CONNECTIONS", "10.5", "max_connections:"),
        ("SHARECIRCLE_LOG_CLIENT_ADDRESSES", "perhaps", "log_client_addresses:"),
        ("SHARECIRCLE_POST_RATE", "lots", "post_rate:"),
        ("SHARECIRCLE_ROOMS", "not json", 'field "rooms"'),
    ],
)
def test_a_bad_environment_value_names_its_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=message):
        Settings.load()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[server]\nprot = 8000\n", "unknown setting: prot"),
        ('[server]\nport = "eighty"\n', "port: Input should be a valid integer"),
        ("[server]\nport = 80.5\n", "port: .*fractional"),
        ("[server]\nallowed_origins = 3\n", "allowed_origins:"),
        ("[server]\nmax_frame_bytes = 10\n", "max_frame_bytes: at least 1024"),
        ("[serve]\nport = 1\n", "unknown table in config file: serve"),
        ('[[rooms]]\nslug = "Not A Slug"\n', "rooms: slug"),
        ('[[rooms]]\nslug = "a"\n[[rooms]]\nslug = "a"\n', "rooms: two rooms share a slug"),
        ("[server\n", "config file"),
    ],
)
def test_a_bad_file_names_its_setting(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.load(toml(tmp_path, text))


def test_a_missing_file_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="config file"):
        Settings.load(tmp_path / "absent.toml")


def test_redis_needs_a_secret() -> None:
    with pytest.raises(SettingsError, match="secret:"):
        Settings.from_mapping({"redis_url": "redis://x"})


def test_from_mapping_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests build nodes from exact values; the process's environment must not leak in."""
    monkeypatch.setenv("SHARECIRCLE_PORT", "9999")
    assert Settings.from_mapping({"host": "::1"}).port == 8000
    assert Settings().port == 8000
    with pytest.raises(SettingsError, match="unknown setting: prot"):
        Settings.from_mapping({"prot": 1})


def test_settings_are_immutable() -> None:
    settings = Settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.port = 1  # type: ignore[misc]
    assert settings.model_copy(update={"port": 1}).port == 1
    assert settings.port == 8000


def test_secrets_stay_out_of_repr_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    secret, token = "sesame-" + secrets.token_hex(32), "tok-" + secrets.token_hex(32)
    settings = Settings.from_mapping({"secret": secret, "admin_token": token})
    assert secret not in repr(settings)
    assert token not in repr(settings)
    assert settings.secret == secret
    with pytest.raises(SettingsError) as info:
        Settings.from_mapping({"secret": [secret]})
    assert str(info.value).startswith("secret:")
    assert "sesame" not in str(info.value)
    with pytest.raises(SettingsError) as info:
        Settings.from_mapping({"secret": "sesame-1234"})  # too short now: never repeated either
    assert str(info.value).startswith("secret:")
    assert "sesame" not in str(info.value)


def test_a_new_setting_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the next issues need: a typed line reads its environment variable and is checked."""

    class WithWebhook(Settings):
        webhook_timeout_seconds: float = _s(5.0, "How long a webhook may take.")

    monkeypatch.setenv("SHARECIRCLE_WEBHOOK_TIMEOUT_SECONDS", "2.5")
    assert WithWebhook.load().webhook_timeout_seconds == 2.5
    monkeypatch.setenv("SHARECIRCLE_WEBHOOK_TIMEOUT_SECONDS", "soon")
    with pytest.raises(SettingsError, match="webhook_timeout_seconds:"):
        WithWebhook.load()


def _serve(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", "--port", "0", *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_exits_with_the_message_not_a_traceback(tmp_path: Path) -> None:
    """A bad value stops `sharecircle serve` before it listens: status 2, one named line."""
    bad_env = _serve(SHARECIRCLE_MAX_CONNECTIONS="many")
    assert bad_env.returncode == 2
    assert bad_env.stderr.startswith("sharecircle: max_connections: ")
    assert "Traceback" not in bad_env.stderr
    bad_file = _serve("--config", str(toml(tmp_path, "[server]\nprot = 8000\n")))
    assert bad_file.returncode == 2
    assert bad_file.stderr.strip() == "sharecircle: unknown setting: prot"
