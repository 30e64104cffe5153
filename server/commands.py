"""The command table: every command of docs/protocol.md §3, its fields and its typed value.

Session commands (join, resume, ping, leave, post, react) are small dataclasses declared here.
Every other command is the facilitation engine's: its spec is derived from the command's
dataclass (field names, types, defaults) and the engine's rule tables (`rules.NUMBER_BOUNDS`,
`TEXT_LIMITS`, `CHOICES`), so the server keeps no second list of names or limits that could drift
from the engine's. Fields marked `SERVER_FILLS` are never read from the wire.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

import facilitation as fx
from facilitation import rules
from server.staff_commands import STAFF_SPECS
from server.wire import MAX_INT, CommandSpec, Field

__all__ = [
    "CONVERSATION_COMMANDS",
    "SESSION_SPECS",
    "SPECS",
    "ConversationEnd",
    "ConversationSay",
    "CrisisCancel",
    "CrisisRequest",
    "Join",
    "Leave",
    "PageMembers",
    "Ping",
    "Post",
    "React",
    "Resume",
    "WordOpen",
    "engine_spec",
]

REACTIONS: Final = frozenset({"heart", "thanks", "hug", "strength", "same"})


@dataclass(frozen=True, slots=True)
class Join:
    room: str
    name: str | None
    role: str
    invite: str | None
    facilitator: str | None
    remember: bool
    staff: str | None = None
    """A staff sign-in token (`POST /api/staff/session`): seated as facilitator if the account
    may facilitate the room."""


@dataclass(frozen=True, slots=True)
class Resume:
    token: str
    seq: int
    epoch: str


@dataclass(frozen=True, slots=True)
class Ping:
    pass


@dataclass(frozen=True, slots=True)
class Leave:
    pass


@dataclass(frozen=True, slots=True)
class Post:
    text: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class React:
    mid: int
    reaction: str
    on: bool = True
    """False takes a reaction back."""


@dataclass(frozen=True, slots=True)
class CrisisRequest:
    """ "Talk to someone now" (docs/protocol.md §3.5)."""

    locale: str | None = None
    """The member's locale (`en-GB`), for their region's crisis entries."""


@dataclass(frozen=True, slots=True)
class CrisisCancel:
    """ "I'm OK for now": withdraws the alert and ends the conversation."""

    conversation: str


@dataclass(frozen=True, slots=True)
class WordOpen:
    """A facilitator's private word with a member seated in their room."""

    member: str


@dataclass(frozen=True, slots=True)
class ConversationSay:
    conversation: str
    text: str


@dataclass(frozen=True, slots=True)
class ConversationEnd:
    conversation: str


CONVERSATION_COMMANDS: Final = (
    CrisisRequest,
    CrisisCancel,
    WordOpen,
    ConversationSay,
    ConversationEnd,
)
"""Commands about private conversations (server/conversation_handlers.py)."""


@dataclass(frozen=True, slots=True)
class PageMembers:
    """`members.page`: more of the member list, in join order (rooms/roster.py)."""

    after: int = -1
    """The join position to continue after (a join ack's `members_next`); -1: from the top."""
    limit: int = 50


def _spec(name: str, build: Callable[..., object], *fields: Field) -> tuple[str, CommandSpec]:
    return name, CommandSpec(name, fields, build)


SESSION_SPECS: Final = dict(
    [
        # session (protocol.md §3.1)
        _spec(
            "join",
            Join,
            Field("room", "str", lo=1, hi=48),
            Field("name", "str", required=False, lo=0, hi=64),
            Field(
                "role",
                "str",
                required=False,
                default="member",
                choices=frozenset({"member", "observer"}),
            ),
            Field("invite", "str", required=False, hi=512),
            Field("facilitator", "str", required=False, hi=512),
            Field("remember", "bool", required=False, default=False),
            Field("staff", "str", required=False, hi=512),
        ),
        _spec(
            "resume",
            Resume,
            Field("token", "str", lo=1, hi=1024),
            Field("seq", "int"),
            Field("epoch", "str", lo=0, hi=64),
        ),
        _spec("ping", Ping),
        _spec("leave", Leave),
        _spec(
            "members.page",
            PageMembers,
            Field("after", "int", required=False, default=-1, lo=-1),
            Field("limit", "int", required=False, default=50, lo=1, hi=200),
        ),
        # chat (§3.2); texts are measured again after normalisation in rooms/text.py
        _spec(
            "post",
            Post,
            Field("text", "str", lo=1, hi=8000),
            # a content note (§3.2; part_rules.CONTENT_NOTE_RULE), measured again in rooms/chat.py
            Field("note", "str", required=False, default="", hi=600),
        ),
        _spec(
            "react",
            React,
            Field("mid", "int", lo=1),
            Field("reaction", "str", choices=REACTIONS),
            Field("on", "bool", required=False, default=True),
        ),
        # private conversations (§3.5); a conversation id is `cv_` and 16 URL-safe characters
        _spec("crisis.request", CrisisRequest, Field("locale", "str", required=False, hi=35)),
        _spec("crisis.cancel", CrisisCancel, Field("conversation", "str", lo=1, hi=64)),
        _spec("word.open", WordOpen, Field("member", "str", lo=1, hi=64)),
        _spec(
            "conversation.say",
            ConversationSay,
            Field("conversation", "str", lo=1, hi=64),
            Field("text", "str", lo=1, hi=8000),
        ),
        _spec("conversation.end", ConversationEnd, Field("conversation", "str", lo=1, hi=64)),
    ]
)
"""Commands the server handles itself, before or beside the meeting."""


# --- the engine's commands, derived -------------------------------------------------------


def engine_spec(kind: type[fx.Command]) -> CommandSpec:
    """The wire spec of one engine command, from its dataclass and rules.py's tables.

    Raises:
        TypeError: the command has no wire name, a field has a type the wire cannot carry, or
            a field the server fills has no default.
    """
    if kind.WIRE is None:
        raise TypeError(f"{kind.__name__} is sent by the server only")
    hints = typing.get_type_hints(kind)
    for f in dataclasses.fields(kind):
        if f.metadata.get("server_fills") and f.default is dataclasses.MISSING:
            raise TypeError(f"{kind.__name__}.{f.name}: the server fills it, so it needs a default")
    types_by_name = {f.name: _plain(hints[f.name]) for f in fx.client_fields(kind)}
    fields = tuple(_wire_field(kind, f, types_by_name[f.name]) for f in fx.client_fields(kind))
    enums = {name: t for name, t in types_by_name.items() if issubclass(t, enum.Enum)}
    return CommandSpec(kind.WIRE, fields, _builder(kind, enums))


def _plain(hint: Any) -> type:
    """`int | None` → int: None on the wire means "the default" (parse_command fills it)."""
    if isinstance(hint, types.UnionType):
        kinds = [t for t in typing.get_args(hint) if t is not type(None)]
        if len(kinds) == 1:
            hint = kinds[0]
    if not isinstance(hint, type):
        raise TypeError(f"no wire form for {hint!r}")
    return hint


def _wire_field(kind: type[fx.Command], f: dataclasses.Field[object], hint: type) -> Field:
    required = f.default is dataclasses.MISSING
    default = None if required else f.default
    if hint is bool:
        return Field(f.name, "bool", required, default)
    if hint is int:
        lo, hi = rules.NUMBER_BOUNDS.get(kind, {}).get(f.name, (0, MAX_INT))
        return Field(f.name, "int", required, default, lo, hi)
    if issubclass(hint, str):  # str, or a StrEnum whose values are the choices
        choices = rules.CHOICES.get(kind, {}).get(f.name)
        if choices is None and issubclass(hint, enum.Enum):
            choices = frozenset(hint)
        lo, hi = rules.TEXT_LIMITS.get(kind, {}).get(f.name, (0, MAX_INT))
        options = None if choices is None else frozenset(str(c) for c in choices)
        return Field(f.name, "str", required, default, lo, hi, options)
    raise TypeError(f"{kind.__name__}.{f.name}: no wire form for {hint.__name__}")


def _builder(kind: type[fx.Command], enums: dict[str, type]) -> Callable[..., fx.Command]:
    """Build `kind` from checked wire values, turning strings into the engine's enums."""

    def build(**values: Any) -> fx.Command:
        for name, enum_type in enums.items():
            if values[name] is not None:
                values[name] = enum_type(values[name])
        return kind(**values)

    return build


def _engine_specs(kinds: Iterable[type[fx.Command]]) -> dict[str, CommandSpec]:
    return {kind.WIRE: engine_spec(kind) for kind in kinds if kind.WIRE is not None}


SPECS: Final[dict[str, CommandSpec]] = {
    **SESSION_SPECS,
    **_engine_specs(rules.ALL_COMMANDS),
    **STAFF_SPECS,
}
"""Every command a client may send, by its `type` (the staff channel's are server/staff_commands.py)."""
