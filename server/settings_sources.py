"""How a node's settings are read: the TOML file, the environment, errors and the docs table.

server/settings.py declares every setting (`Settings`); this module holds the machinery around
those declarations:

- the value types a setting may have (`Unset`, `Secret`, `CommaList`, `Rooms`,
  `PagingEndpoints`), with the
  validators that turn what a source gives (an environment string, a TOML value) into it;
- the sources: the TOML file's values (`toml_values`), visible to `Settings` through
  `FILE_VALUES` while `Settings.load` runs, and their priority (`sources_by_priority`);
- `SettingsError`, and `named_error`, which turns pydantic's error into one naming the setting;
- `settings_table`, the Markdown table of every setting that docs/configuration.md embeds
  (`python -m server.settings` prints it).
"""

from __future__ import annotations

import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AliasChoices,
    BeforeValidator,
    Field,
    InstanceOf,
    ValidationError,
    ValidationInfo,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
)

from rooms.model import RoomConfig, RoomConfigError
from rooms.oncall import PageLevel
from server.credentials import problem
from server.paging_formats import Receiver
from server.paging_settings import Endpoint

__all__ = [
    "FILE_VALUES",
    "CommaList",
    "PagingEndpoints",
    "Rooms",
    "Secret",
    "SettingsError",
    "Unset",
    "blank_is_unset",
    "named_error",
    "setting",
    "settings_table",
    "sources_by_priority",
    "toml_values",
]


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names it."""


def blank_is_unset(value: Any) -> Any:
    """An empty value (`SHARECIRCLE_SECRET=`) means unset."""
    return None if value == "" else value


def _split_commas(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _room_tables(value: Any) -> Any:
    """`[[rooms]]` tables (or a JSON list) → RoomConfig, each checked by RoomConfig itself."""
    if not isinstance(value, list | tuple):
        raise ValueError("a list of room tables")
    try:
        return tuple(r if isinstance(r, RoomConfig) else RoomConfig.from_mapping(r) for r in value)
    except (RoomConfigError, TypeError, AttributeError) as exc:
        raise ValueError(str(exc)) from None


_LEVELS = {"on_call": PageLevel.ON_CALL, "all_staff": PageLevel.ALL_STAFF}
_ENDPOINT_KEYS = frozenset({"name", "url", "receiver", "secrets", "token", "min_level"})


def _endpoint_tables(value: Any) -> Any:
    """`[[paging.endpoint]]` tables (or a JSON list) → `Endpoint`, each checked by itself.
    Errors name the endpoint, never its URL, token or secret."""
    if not isinstance(value, list | tuple):
        raise ValueError("a list of endpoint tables")
    out = []
    for table in value:
        if isinstance(table, Endpoint):
            out.append(table)
            continue
        if not isinstance(table, dict) or not isinstance(table.get("name"), str):
            raise ValueError("each endpoint is a table with a `name`")
        name = table["name"]
        unknown = set(table) - _ENDPOINT_KEYS
        if unknown:
            raise ValueError(f"endpoint {name!r}: unknown key {sorted(unknown)[0]}")
        try:
            out.append(
                Endpoint(
                    name=name,
                    url=str(table.get("url", "")),
                    receiver=Receiver(table.get("receiver", "generic")),
                    secrets=tuple(str(s) for s in table.get("secrets", ())),
                    token=str(table.get("token", "")),
                    min_level=_LEVELS[table.get("min_level", "on_call")],
                )
            )
        except KeyError:
            raise ValueError(f"endpoint {name!r}: min_level is on_call or all_staff") from None
        except (TypeError, ValueError) as exc:  # PagingConfigError is a ValueError
            if "receiver" in str(exc) or "Receiver" in str(exc):
                raise ValueError(f"endpoint {name!r}: unknown receiver") from None
            raise ValueError(str(exc)) from None
    return tuple(out)


def _real_secret(value: str | None, info: ValidationInfo) -> str | None:
    """A secret that is no placeholder and holds 32 bytes of key material (server/credentials)."""
    why = None if value is None else problem(value)
    if why is not None:
        env = f"SHARECIRCLE_{str(info.field_name).upper()}"
        raise ValueError(f"the value ({env} or {env}_FILE) {why}")
    return value


Unset = Annotated[str | None, BeforeValidator(blank_is_unset)]
"""Optional text: an empty value (`SHARECIRCLE_SECRET=`) means unset."""
Secret = Annotated[str | None, BeforeValidator(blank_is_unset), AfterValidator(_real_secret)]
"""An optional secret: when given, a real one (`server.credentials.problem`)."""
CommaList = Annotated[list[str], NoDecode, BeforeValidator(_split_commas)]
"""A list; comma-separated in the environment."""
Rooms = Annotated[tuple[InstanceOf[RoomConfig], ...], BeforeValidator(_room_tables)]
PagingEndpoints = Annotated[tuple[InstanceOf[Endpoint], ...], BeforeValidator(_endpoint_tables)]
"""Paging endpoints: `[[paging.endpoint]]` tables in the file, a JSON list in the environment."""

FILE_VALUES: ContextVar[dict[str, Any] | None] = ContextVar("settings_file", default=None)
"""While `Settings.load` runs: the TOML file's values. Otherwise None, and only the values
given to the constructor (and the defaults) count, whatever the environment holds."""


def sources_by_priority(
    settings_cls: type[BaseSettings],
    init_settings: PydanticBaseSettingsSource,
    env_settings: PydanticBaseSettingsSource,
) -> tuple[PydanticBaseSettingsSource, ...]:
    """Highest priority first: flags, environment, file (no .env files, no secrets dir)."""
    file_values = FILE_VALUES.get()
    if file_values is None:
        return (init_settings,)
    return (init_settings, env_settings, InitSettingsSource(settings_cls, file_values))


def named_error(exc: ValidationError, fields: dict[str, FieldInfo]) -> SettingsError:
    """The first problem, led by the setting's name; a secret's value is never repeated."""
    error = exc.errors()[0]
    if not error["loc"] and error["type"] == "value_error":  # a rule across settings
        return SettingsError(str(error["ctx"]["error"]))
    name = str(error["loc"][0]) if error["loc"] else "settings"
    if error["type"] == "extra_forbidden":
        return SettingsError(f"unknown setting: {name}")
    if error["type"] == "value_error":  # our own validators' messages say what was wrong
        return SettingsError(f"{name}: {error['ctx']['error']}")
    field = fields.get(name)
    shown = f" (got {error['input']!r})" if field is not None and field.repr else ""
    return SettingsError(f"{name}: {error['msg']}{shown}")


def toml_values(path: Path) -> dict[str, Any]:
    """The `[server]` table's keys, `rooms` from the `[[rooms]]` tables and `paging_endpoints`
    from the `[[paging.endpoint]]` tables."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"config file {path}: {exc}") from None
    unknown = set(data) - {"server", "rooms", "paging"}
    if unknown:
        raise SettingsError(f"unknown table in config file: {sorted(unknown)[0]}")
    server = data.get("server", {})
    if not isinstance(server, dict):
        raise SettingsError("config file: `server` must be a table")
    paging = data.get("paging", {})
    if not isinstance(paging, dict) or set(paging) - {"endpoint"}:
        raise SettingsError("config file: `paging` holds only `[[paging.endpoint]]` tables")
    return {
        **server,
        **({"rooms": data["rooms"]} if "rooms" in data else {}),
        **({"paging_endpoints": paging["endpoint"]} if "endpoint" in paging else {}),
    }


def _env_names(name: str, field: FieldInfo) -> list[str]:
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    return [f"SHARECIRCLE_{name.upper()}"]


def settings_table(settings_cls: type[BaseSettings]) -> str:
    """The Markdown table of every setting of `settings_cls` (docs/configuration.md)."""
    lines = [
        "| setting | environment variable | default | what it does |",
        "|---|---|---|---|",
    ]
    for name, field in settings_cls.model_fields.items():
        env = " or ".join(f"`{e}`" for e in _env_names(name, field))
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        default = field.get_default(call_default_factory=True)
        shown = extra.get("shown") or (
            f"`{default!r}`" if default not in (None, "", []) else "unset"
        )
        lines.append(f"| `{name}` | {env} | {shown} | {field.description} |")
    return "\n".join(lines) + "\n"


def setting(
    default: Any, doc: str, *, secret: bool = False, env: tuple[str, ...] = (), shown: str = ""
) -> Any:
    """One setting: its default and what it does (the `doc` goes into docs/configuration.md).

    `secret` keeps the value out of `repr` (and so out of logs and tracebacks); `env` replaces
    the one environment name `SHARECIRCLE_<NAME>` with these, first found wins.
    """
    return Field(
        default,
        description=doc,
        repr=not secret,
        validation_alias=AliasChoices(*env) if env else None,
        json_schema_extra={"shown": shown} if shown else None,
    )
