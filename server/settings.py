"""Every setting of a node, with its default and its reason, in one place.

Settings come from, in increasing priority: the defaults below, a TOML file (`--config`, or
`SHARECIRCLE_CONFIG`), environment variables (`SHARECIRCLE_<NAME>`, and `REDIS_URL`), and
command-line flags. `docs/configuration.md` holds the table rendered from this module
(`python -m server.settings`), and a test keeps the two in step.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rooms.model import RoomConfig, RoomConfigError

__all__ = ["DEFAULT_ROOMS", "Settings", "SettingsError", "render_table"]


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names it."""


def _s(default: Any, doc: str, **kw: Any) -> Any:
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"doc": doc, **kw})
    return field(default=default, metadata={"doc": doc, **kw})


DEFAULT_ROOMS = (
    RoomConfig(
        slug="night-owls",
        name="Night Owls",
        description="For anyone awake and struggling tonight. Drop in, read, share when ready.",
        self_led=True,
    ),
    RoomConfig(
        slug="daily-check-in",
        name="Daily Check-in",
        description="A facilitated share round: how are you today, really?",
    ),
    RoomConfig(
        slug="speaker-meeting",
        name="Speaker Meeting",
        description="Listen to someone's story. Only the facilitators speak here.",
        listen_only=True,
    ),
)


@dataclass(frozen=True, slots=True)
class Settings:
    """A node's configuration. Field docs become docs/configuration.md."""

    host: str = _s("127.0.0.1", "Address to listen on.")
    port: int = _s(8000, "TCP port to listen on.")
    redis_url: str | None = _s(
        None,
        "Redis URL (`redis://`, `rediss://`, `unix://`). Unset: the in-memory backend, one "
        "process only. Env also `REDIS_URL`.",
    )
    secret: str | None = _s(
        None,
        "Key that signs session and invite tokens. Required with Redis (all nodes share it); "
        "random per process otherwise.",
        secret=True,
    )
    admin_token: str | None = _s(
        None,
        "Bearer token for the admin API and the `rooms`/`invite` CLI. Unset: generated at start "
        "and printed once to the console.",
        secret=True,
    )
    data_dir: str | None = _s(
        None,
        "Directory of the embedded SQLite store (`sharecircle.db`), used when `database_url` is "
        "unset. Unset: `$STATE_DIRECTORY` (systemd's `StateDirectory=`), else "
        "`$XDG_STATE_HOME/sharecircle`, else `~/.local/state/sharecircle`; never the current "
        "directory, so starting from elsewhere cannot silently start with no bans.",
    )
    database_url: str | None = _s(
        None,
        "PostgreSQL URL (`postgresql://user@host/db`) of the durable store (rooms, staff, "
        "invites, bans, open reports, moderation log) shared by several nodes. Unset: SQLite in "
        "`data_dir`. Env also `DATABASE_URL`.",
        secret=True,
    )
    report_retention_seconds: int = _s(
        259200,
        "An open report (the one place reported text is kept) is deleted this long after it was "
        "filed, if no facilitator closed it first.",
    )
    moderation_log_retention_seconds: int = _s(
        2592000, "Moderation log entries (ids, actions, times; no text) are deleted after this."
    )
    invite_retention_seconds: int = _s(
        604800, "Spent, revoked or expired invite records are deleted this long after they end."
    )
    retention_sweep_seconds: float = _s(
        3600.0, "How often a node deletes what is past its retention (also `sharecircle purge`)."
    )
    metrics_token: str | None = _s(
        None,
        "Bearer token Prometheus must send to scrape `/metrics` (`authorization` in the scrape "
        "config). Unset: `/metrics` answers 403.",
        secret=True,
    )
    replay_window_seconds: int = _s(
        300, "How long events stay available for resuming clients; the only history kept."
    )
    replay_max_events: int = _s(
        2000,
        "Most events kept per room in the replay window (a join storm of a big room produces "
        "one event per joiner; below this a node cannot fill its own holes from the window).",
    )
    resume_max_events: int = _s(
        128,
        "Most events replayed to one resuming client; more gets an explicit resync. Capped at "
        "half of `outbox_max_messages` (and the backlog's bytes at half of `outbox_max_bytes`): "
        "the backlog is queued at once and must fit the outbox.",
    )
    seat_hold_seconds: int = _s(
        300, "How long a disconnected member keeps their seat (and name) for a resume."
    )
    grace_seconds: int = _s(20, "How long a disconnected speaker keeps the floor.")
    presence_ttl_seconds: float = _s(
        20.0, "Presence entries expire this long after their node stops refreshing them."
    )
    presence_interval_seconds: float = _s(5.0, "How often a node refreshes presence.")
    max_frame_bytes: int = _s(16384, "Largest frame accepted; larger closes with 1009.")
    max_text_chars: int = _s(2000, "Longest chat message, after normalisation.")
    join_deadline_seconds: float = _s(10.0, "Time from connect to `join`/`resume`, else 4012.")
    handshake_timeout_seconds: float = _s(
        10.0,
        "Time a client has to send a whole HTTP request head (the WebSocket upgrade included); "
        "slower connections are closed unanswered.",
    )
    heartbeat_ms: int = _s(25000, "Application ping interval the client is told in `hello`.")
    ws_ping_interval: float = _s(20.0, "WebSocket protocol ping interval (seconds).")
    ws_ping_timeout: float = _s(20.0, "Close a peer whose pong is this late (seconds).")
    outbox_max_messages: int = _s(256, "Queued outbound frames per connection before 4008.")
    outbox_max_bytes: int = _s(262144, "Queued outbound bytes per connection before 4008.")
    post_rate: str = _s(
        "5/5seconds", "Posts per connection (a leaky bucket: N/second, N/minute or N/Mseconds)."
    )
    command_rate: str = _s("10/3seconds", "Other commands per connection.")
    frame_ceiling: str = _s("120/minute", "Hard ceiling of frames per connection, else 4029.")
    bad_frames_before_close: int = _s(3, "Undecodable frames within a minute before 1008.")
    max_connections: int = _s(10000, "Open WebSockets per node; more get 1013.")
    max_connections_per_session: int = _s(3, "Open connections per person across the cluster.")
    allowed_origins: list[str] = _s(
        [],
        "Browser origins allowed to open WebSockets, besides the server's own. "
        "Comma-separated in the environment.",
    )
    crisis_line_text: str = _s(
        "If you are in danger or thinking of harming yourself, call or text your local "
        "emergency or crisis number.",
        "Crisis line shown on every screen of the browser client.",
    )
    crisis_line_number: str = _s("", "The local crisis number shown with that text.")
    raid_joins: int = _s(10, "New identities within the raid window that trigger raid mode.")
    raid_window_seconds: int = _s(30, "The raid detection window.")
    ban_network_marks: bool = _s(
        True,
        "Bans also hold against a keyed hash of the banned person's network address, kept "
        "only in the ban record for the ban's length.",
    )
    log_level: str = _s("info", "Log level of sharecircle's own loggers.")
    log_client_addresses: bool = _s(False, "Log client IP addresses (off: never logged).")
    drain_seconds: float = _s(
        10.0,
        "On SIGTERM, the longest uvicorn waits for connections to close before exiting (clients are told to move at once).",
    )
    test_clock_file: str | None = _s(
        None,
        "For tests only: shift this node's clock by the seconds written in this file, so a test "
        "can expire shares on real processes without sleeping.",
    )
    rooms: tuple[RoomConfig, ...] = _s(
        DEFAULT_ROOMS, "Rooms (`[[rooms]]` tables in the TOML file); three defaults if none."
    )

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> Settings:
        """Defaults, then the TOML file, then the environment, then `overrides`."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        path = path or env.get("SHARECIRCLE_CONFIG")
        if path:
            values.update(_from_toml(Path(path)))
        values.update(_from_env(env))
        values.update({k: v for k, v in (overrides or {}).items() if v is not None})
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Settings:
        fields = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            if key not in fields:
                raise SettingsError(f"unknown setting: {key}")
            kwargs[key] = _coerce(key, fields[key].type, value)
        settings = cls(**kwargs)
        settings.check()
        return settings

    def check(self) -> None:
        if self.redis_url and not self.secret:
            raise SettingsError(
                "secret: set SHARECIRCLE_SECRET (the same on every node) when using Redis"
            )
        from server.rates import Rate, RateSyntaxError

        for key in ("post_rate", "command_rate", "frame_ceiling"):
            try:
                Rate.parse(getattr(self, key))
            except RateSyntaxError as exc:
                raise SettingsError(f"{key}: {exc}") from None
        if self.max_frame_bytes < 1024:
            raise SettingsError("max_frame_bytes: at least 1024")
        if len({r.slug for r in self.rooms}) != len(self.rooms):
            raise SettingsError("rooms: two rooms share a slug")


def _from_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"config file {path}: {exc}") from None
    values = dict(data.get("server", {}))
    if "rooms" in data:
        try:
            values["rooms"] = tuple(RoomConfig.from_mapping(r) for r in data["rooms"])
        except RoomConfigError as exc:
            raise SettingsError(f"rooms: {exc}") from None
    unknown = set(data) - {"server", "rooms"}
    if unknown:
        raise SettingsError(f"unknown table in config file: {sorted(unknown)[0]}")
    return values


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        if f.name == "rooms":
            continue
        raw = env.get(f"SHARECIRCLE_{f.name.upper()}")
        if raw is not None:
            values[f.name] = raw
    if "redis_url" not in values and env.get("REDIS_URL"):
        values["redis_url"] = env["REDIS_URL"]
    if "database_url" not in values and env.get("DATABASE_URL"):
        values["database_url"] = env["DATABASE_URL"]
    return values


def _coerce(key: str, kind: Any, value: Any) -> Any:
    kind = str(kind)
    try:
        if key == "rooms":
            return tuple(value)
        if kind.startswith("list"):
            if isinstance(value, str):
                return [v.strip() for v in value.split(",") if v.strip()]
            return [str(v) for v in value]
        if kind == "bool":
            if isinstance(value, str):
                if value.lower() not in ("1", "0", "true", "false", "yes", "no"):
                    raise ValueError(value)
                return value.lower() in ("1", "true", "yes")
            return bool(value)
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if value is None or value == "":
            return None
        return str(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{key}: cannot use {value!r}") from None


def render_table() -> str:
    """The Markdown table of every setting (docs/configuration.md)."""
    lines = [
        "| setting | environment variable | default | what it does |",
        "|---|---|---|---|",
    ]
    for f in dataclasses.fields(Settings):
        env = "—" if f.name == "rooms" else f"`SHARECIRCLE_{f.name.upper()}`"
        if f.name == "redis_url":
            env += " or `REDIS_URL`"
        if f.name == "database_url":
            env += " or `DATABASE_URL`"
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[operator]
        shown = (
            "see below"
            if f.name == "rooms"
            else f"`{default!r}`"
            if default not in (None, "", [])
            else "unset"
        )
        lines.append(f"| `{f.name}` | {env} | {shown} | {f.metadata['doc']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_table(), end="")
