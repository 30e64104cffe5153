"""Every setting of a node, with its default and its reason, in one place.

Settings come from, in increasing priority: the defaults below, a TOML file (`--config`, or
`SHARECIRCLE_CONFIG`), environment variables (`SHARECIRCLE_<NAME>`, and `REDIS_URL`), and
command-line flags. pydantic-settings reads and checks them: a value of the wrong type, or a key
no setting has, is a `SettingsError` that names the setting. Adding a setting is one line, a
typed attribute `= _s(default, "what it does")` (the paging, crisis and voice settings are
defined in server/settings_paging_crisis_voice.py and declared here, in their place). `docs/configuration.md` holds the table
rendered from this module (`python -m server.settings`), and a test keeps the two in step.
How the file and the environment are read, the value types and the error wording are in
server/settings_sources.py.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError

from server.credentials import read_secret_file
from server.default_rooms import DEFAULT_ROOMS
from server.settings_paging_crisis_voice import (
    CRISIS_LINE_HOURS,
    CRISIS_LINE_LABEL,
    CRISIS_LINE_NUMBER,
    CRISIS_LINE_TEXT,
    CRISIS_REGIONS,
    PAGING_ALLOW_PRIVATE,
    PAGING_ENDPOINTS,
    PAGING_TIMEOUT_SECONDS,
    STAFF_CONSOLE_URL,
    VOICE_FRAMES_PER_SECOND,
    VOICE_LISTENER_QUEUE_FRAMES,
    DialableNumber,
    check_paging,
)
from server.settings_sources import (
    FILE_VALUES,
    CommaList,
    PagingEndpoints,
    Rooms,
    Secret,
    SettingsError,
    Unset,
    blank_is_unset,
    named_error,
    settings_table,
    sources_by_priority,
    toml_values,
)
from server.settings_sources import setting as _s

__all__ = ["DEFAULT_ROOMS", "Settings", "SettingsError", "render_table"]


class Settings(BaseSettings):
    """A node's configuration. Field docs become docs/configuration.md."""

    model_config = SettingsConfigDict(
        env_prefix="SHARECIRCLE_",
        extra="forbid",  # a misspelt key in the file is an error, not silently ignored
        frozen=True,
        validate_by_name=True,  # `redis_url` by name too, besides its environment aliases
    )

    host: str = _s("127.0.0.1", "Address to listen on.")
    port: int = _s(8000, "TCP port to listen on.")
    redis_url: Unset = _s(
        None,
        "Redis URL (`redis://`, `rediss://`, `unix://`). Unset: the in-memory backend, one "
        "process only. Env also `REDIS_URL`.",
        env=("SHARECIRCLE_REDIS_URL", "REDIS_URL"),
    )
    secret: Secret = _s(
        None,
        "Key that signs session and invite tokens: at least 32 random bytes (hex or base64; "
        "`sharecircle secrets` makes one), never a placeholder. Required with Redis (all nodes "
        "share it); random per process otherwise.",
        secret=True,
    )
    secret_file: Unset = _s(
        None,
        "Read `secret` from this file instead (Docker secrets, systemd `LoadCredential=`); it "
        "must exist.",
    )
    admin_token: Secret = _s(
        None,
        "Bearer token for the admin API and the `rooms`/`invite` CLI, as strong as `secret`. "
        "Unset: read from `admin_token_file`, or made at start and written there (mode 0600), "
        "never printed.",
        secret=True,
    )
    data_dir: Unset = _s(
        None,
        "Directory of the embedded SQLite store (`sharecircle.db`), used when `database_url` is "
        "unset. Unset: `$STATE_DIRECTORY` (systemd's `StateDirectory=`), else "
        "`$XDG_STATE_HOME/sharecircle`, else `~/.local/state/sharecircle`; never the current "
        "directory, so starting from elsewhere cannot silently start with no bans.",
    )
    database_url: Unset = _s(
        None,
        "PostgreSQL URL (`postgresql://user@host/db`) of the durable store (rooms, staff, "
        "invites, bans, open reports, moderation log) shared by several nodes. Unset: SQLite in "
        "`data_dir`. Env also `DATABASE_URL`.",
        secret=True,
        env=("SHARECIRCLE_DATABASE_URL", "DATABASE_URL"),
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
    metrics_token: Unset = _s(
        None,
        "Bearer token Prometheus must send to scrape `/metrics` (`authorization` in the scrape "
        "config). Unset: `/metrics` answers 403.",
        secret=True,
    )
    admin_token_file: Unset = _s(
        None,
        "File of the admin token: read if it exists, else `serve` writes a new token there. "
        "Unset: `$STATE_DIRECTORY/admin-token` under systemd, else "
        "`$XDG_STATE_HOME/sharecircle/admin-token` (`~/.local/state/sharecircle/admin-token`).",
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
        "Most frames replayed to one resuming client. Past it, runs of presence events (a "
        "drain's away/back churn) are folded into one `members.changed` each; if chat and "
        "meeting events alone are past it, the resume is an explicit resync (`backlog`). Capped "
        "at half of `outbox_max_messages` (and the backlog's bytes at half of "
        "`outbox_max_bytes`): the backlog is queued at once and must fit the outbox.",
    )
    members_page_size: int = _s(
        50,
        "Members a join ack carries (facilitators and the people near the floor first) and the "
        "most one `members.page` returns; the rest is paged in by the client.",
    )
    presence_batch_members: int = _s(
        50,
        "From this many people in a room, the presence changes of one commit (joins, drops, "
        "returns, leaves) are sent as one `members.changed` event.",
    )
    session_lifetime_seconds: int = _s(
        12 * 3600,
        "Absolute lifetime of a session (kept in memory or Redis): after it, `resume` is refused "
        "and the person joins again. A resume never extends it.",
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
    command_rate: str = _s(
        "10/3seconds", "Other commands per connection (and control frames per media connection)."
    )
    frame_ceiling: str = _s("120/minute", "Hard ceiling of frames per connection, else 4029.")
    bad_frames_before_close: int = _s(3, "Undecodable frames within a minute before 1008.")
    voice_frames_per_second: float = VOICE_FRAMES_PER_SECOND
    voice_listener_queue_frames: int = VOICE_LISTENER_QUEUE_FRAMES
    max_connections: int = _s(10000, "Open WebSockets per node; more get 1013.")
    max_connections_per_session: int = _s(3, "Open connections per person across the cluster.")
    max_connections_per_address: int = _s(
        50,
        "Open WebSockets per client address (IPv4 address, IPv6 /64, after proxy headers); "
        "more get HTTP 503 before the upgrade. 0: no limit.",
    )
    handshake_rate_per_address: Unset = _s(
        "20/10seconds",
        "WebSocket handshakes per client address (a leaky bucket: N at once, refilled over the "
        "period); faster get HTTP 429 before the upgrade. Empty: no limit.",
    )
    join_rate_per_address: Unset = _s(
        "20/minute",
        "`join` commands per client address on this node (a leaky bucket); faster get "
        "`rate_limited` with `retry_after_ms`. Empty: no limit.",
    )
    failed_join_rate_per_address: Unset = _s(
        "10/minute",
        "Refused `join` commands per client address on this node; past it every join from "
        "that address gets `rate_limited` until the bucket has room. Empty: no limit.",
    )
    lobby_waiting_per_address: int = _s(
        5,
        "People from one client address waiting in one room's lobby on this node; the next "
        "gets `lobby_full`. 0: no limit.",
    )
    public_origin: Unset = _s(
        None,
        "The origin people's browsers load the client from (scheme, host and port, e.g. "
        "`https://circle.example.org`); a WebSocket from any other origin gets 403, unless it is "
        "in `allowed_origins`. Unset: the request's own scheme (from `X-Forwarded-Proto` behind "
        "the proxy) and `Host`. Set it behind a proxy or a public name.",
    )
    allowed_origins: CommaList = _s(
        [],
        "Browser origins allowed to open WebSockets, besides the server's own; each compared in "
        "full (scheme, host, port). Comma-separated in the environment.",
    )
    trusted_hosts: CommaList = _s(
        [],
        "`Host` names this node answers (`*.example.org` and `*` allowed); any other gets 400 "
        "before anything else, HTTP and WebSocket (DNS rebinding). Empty: the listen `host`, "
        "`localhost`, `127.0.0.1`, `::1`; the `public_origin` host is always trusted.",
    )
    crisis_line_text: str = CRISIS_LINE_TEXT
    crisis_line_number: DialableNumber = CRISIS_LINE_NUMBER
    crisis_line_label: str = CRISIS_LINE_LABEL
    crisis_line_hours: str = CRISIS_LINE_HOURS
    crisis_regions: bool = CRISIS_REGIONS
    paging_endpoints: PagingEndpoints = PAGING_ENDPOINTS
    paging_allow_private: bool = PAGING_ALLOW_PRIVATE
    paging_timeout_seconds: float = PAGING_TIMEOUT_SECONDS
    staff_console_url: Unset = STAFF_CONSOLE_URL
    raid_joins: int = _s(10, "New identities within the raid window that trigger raid mode.")
    raid_window_seconds: int = _s(30, "The raid detection window.")
    raid_listen_only_seconds: int = _s(
        300,
        "In a room with no facilitator present, a raid puts the room in quiet mode instead of "
        "turning the lobby on: newcomers are seated listen-only for this long (0-3600; 0: "
        "slow mode only). Taken when a room's meeting state is first made.",
    )
    ban_network_marks: bool = _s(
        True,
        "Bans also hold against a keyed hash of the banned person's network address, kept "
        "only in the ban record for the ban's length.",
    )
    log_level: str = _s("info", "Log level of sharecircle's own loggers.")
    log_client_addresses: bool = _s(False, "Log client IP addresses (off: never logged).")
    drain_notice_seconds: float = _s(
        0.0,
        "On SIGTERM, how long `/readyz` answers 503 while the node still serves everyone, before clients are told to move and the port closes. Behind a balancer that routes by readiness probes, at least its probe period times its failure threshold; nginx needs none (a stopped node refuses connections).",
    )
    drain_seconds: float = _s(
        10.0,
        "On SIGTERM, the longest uvicorn waits for connections to close before exiting (clients are told to move at once).",
    )
    test_clock_file: Unset = _s(
        None,
        "For tests only: shift this node's clock by the seconds written in this file, so a test "
        "can expire shares on real processes without sleeping.",
    )
    rooms: Rooms = _s(
        DEFAULT_ROOMS,
        "Rooms (`[[rooms]]` tables in the TOML file, or a JSON list of them in the "
        "environment); four defaults if none.",
        shown="see below",
    )

    @model_validator(mode="before")
    @classmethod
    def _secrets_from_files(cls, data: Any) -> Any:
        """`secret_file` and `admin_token_file` → `secret` and `admin_token` (checked as those)."""
        if not isinstance(data, dict):
            return data
        for name in ("secret", "admin_token"):
            path = blank_is_unset(data.get(f"{name}_file"))
            if path is None:
                continue
            if blank_is_unset(data.get(name)) is not None:
                raise ValueError(f"{name}: set {name} or {name}_file, not both")
            if name == "admin_token" and not Path(path).exists():
                continue  # `serve` makes a token and writes it there
            try:
                data = {**data, name: read_secret_file(Path(path))}
            except (OSError, ValueError) as exc:
                raise ValueError(f"{name}_file: cannot read the secret: {exc}") from None
        return data

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> Settings:
        """Defaults, then the TOML file, then the environment, then `overrides` (CLI flags).

        Raises:
            SettingsError: a value is unusable; the message names the setting.
        """
        path = path or os.environ.get("SHARECIRCLE_CONFIG")
        given = {k: v for k, v in (overrides or {}).items() if v is not None}
        token = FILE_VALUES.set(toml_values(Path(path)) if path else {})
        try:
            return cls.from_mapping(given)
        finally:
            FILE_VALUES.reset(token)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Settings:
        """These values over the defaults (and, inside `load`, over the file and environment)."""
        try:
            settings = cls(**values)
        except ValidationError as exc:
            raise named_error(exc, Settings.model_fields) from None
        except SourceError as exc:  # an environment value that is not the JSON its type needs
            raise SettingsError(str(exc)) from None
        settings.check()
        return settings

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Highest priority first: flags, environment, file (no .env files, no secrets dir)."""
        return sources_by_priority(settings_cls, init_settings, env_settings)

    def check(self) -> None:
        """Rules across settings, which no single field's type can say."""
        if self.redis_url and not self.secret:
            raise SettingsError(
                "secret: set SHARECIRCLE_SECRET (the same on every node) when using Redis"
            )
        from server.rates import Rate, RateSyntaxError

        for key in (
            "post_rate",
            "command_rate",
            "frame_ceiling",
            "handshake_rate_per_address",
            "join_rate_per_address",
            "failed_join_rate_per_address",
        ):
            if getattr(self, key) is None:
                continue
            try:
                Rate.parse(getattr(self, key))
            except RateSyntaxError as exc:
                raise SettingsError(f"{key}: {exc}") from None
        if self.max_connections_per_address < 0:
            raise SettingsError("max_connections_per_address: 0 (no limit) or more")
        if not 0 <= self.raid_listen_only_seconds <= 3600:
            raise SettingsError("raid_listen_only_seconds: 0 to 3600")
        if self.lobby_waiting_per_address < 0:
            raise SettingsError("lobby_waiting_per_address: 0 (no limit) or more")
        if self.max_frame_bytes < 1024:
            raise SettingsError("max_frame_bytes: at least 1024")
        if len({r.slug for r in self.rooms}) != len(self.rooms):
            raise SettingsError("rooms: two rooms share a slug")
        check_paging(self)
        from server.origins import OriginPolicy

        try:
            OriginPolicy.from_settings(self)  # public_origin and allowed_origins are origins
        except ValueError as exc:
            raise SettingsError(str(exc)) from None


def render_table() -> str:
    """The Markdown table of every setting (docs/configuration.md)."""
    return settings_table(Settings)


if __name__ == "__main__":
    print(render_table(), end="")
