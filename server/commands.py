"""The command table: every command of docs/protocol.md §3, its fields and its typed value.

Session commands (join, resume, chat) are small dataclasses defined here; meeting commands are
built straight into the facilitation engine's command values, so the server adds no second
vocabulary between the wire and the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import facilitation as fx
from server.wire import CommandSpec, Field

__all__ = ["SPECS", "Join", "Leave", "Ping", "Post", "React", "Resume"]

REACTIONS: Final = frozenset({"heart", "thanks", "hug", "strength", "same"})


@dataclass(frozen=True, slots=True)
class Join:
    room: str
    name: str | None
    role: str
    invite: str | None
    facilitator: str | None
    remember: bool


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


@dataclass(frozen=True, slots=True)
class React:
    mid: int
    reaction: str
    on: bool = True
    """False takes a reaction back."""


def _member(name: str = "member") -> Field:
    return Field(name, "str", lo=1, hi=64)


def _on() -> Field:
    return Field("on", "bool")


def _reason(required: bool = False) -> Field:
    return Field("reason", "str", required=required, default="", hi=200)


def _spec(name: str, build: object, *fields: Field) -> tuple[str, CommandSpec]:
    return name, CommandSpec(name, fields, build)  # type: ignore[arg-type]


SPECS: Final[dict[str, CommandSpec]] = dict(
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
        # chat (§3.2); texts are measured again after normalisation in rooms/text.py
        _spec("post", Post, Field("text", "str", lo=1, hi=8000)),
        _spec(
            "react",
            React,
            Field("mid", "int", lo=1),
            Field("reaction", "str", choices=REACTIONS),
            Field("on", "bool", required=False, default=True),
        ),
        _spec(
            "report",
            lambda mid, reason: fx.Report(mid=mid, about="", about_name="", text="", reason=reason),
            Field("mid", "int", lo=1),
            _reason(),
        ),
        # hands and turns (§3.3)
        _spec("hand.raise", fx.RaiseHand),
        _spec("hand.lower", fx.LowerHand),
        _spec("pass", fx.Pass),
        _spec("share.done", fx.ShareDone),
        _spec("listen_only.set", fx.SetListenOnly, _on()),
        # facilitators (§3.4); bounds are the engine's, checked there too
        _spec(
            "round.open",
            lambda topic, share_seconds, order: fx.OpenRound(
                topic=topic, share_seconds=share_seconds, order=fx.Order(order)
            ),
            Field("topic", "str", required=False, default="", hi=200),
            Field("share_seconds", "int", required=False, default=180, lo=30, hi=1200),
            Field(
                "order",
                "str",
                required=False,
                default="hands",
                choices=frozenset({"hands", "round_robin"}),
            ),
        ),
        _spec("round.end", fx.EndRound),
        _spec("round.pause", fx.PauseRound),
        _spec("round.resume", fx.ResumeRound),
        _spec(
            "share.extend",
            fx.Extend,
            Field("seconds", "int", required=False, default=60, lo=10, hi=600),
        ),
        _spec("share.skip", fx.Skip),
        _spec("queue.move", fx.QueueMove, _member(), Field("position", "int", hi=10_000)),
        _spec("queue.remove", fx.QueueRemove, _member()),
        _spec(
            "mode.set", fx.SetMode, Field("mode", "str", choices=frozenset({"open", "listen_only"}))
        ),
        _spec("mute", fx.Mute, _member(), Field("seconds", "int", lo=10, hi=86_400)),
        _spec("unmute", fx.Unmute, _member()),
        _spec("listen_only.assign", fx.AssignListenOnly, _member(), _on()),
        _spec("remove", fx.Remove, _member(), _reason()),
        _spec("ban", fx.Ban, _member(), Field("seconds", "int", lo=60, hi=604_800), _reason()),
        _spec("message.remove", fx.RemoveMessage, Field("mid", "int", lo=1)),
        _spec("lock.set", fx.SetLock, _on()),
        _spec("slow.set", fx.SetSlow, Field("seconds", "int", hi=3600)),
        _spec("facilitator.add", fx.AddFacilitator, _member()),
        _spec("facilitator.handover", fx.Handover, _member()),
        _spec("lobby.set", fx.SetLobby, _on()),
        _spec("lobby.admit", fx.Admit, Field("ticket", "str", lo=1, hi=64)),
        _spec("lobby.deny", fx.Deny, Field("ticket", "str", lo=1, hi=64)),
        _spec("room.pause", fx.PauseRoom),
        _spec("room.unpause", fx.UnpauseRoom),
        _spec("room.reset", fx.ResetRoom),
    ]
)
